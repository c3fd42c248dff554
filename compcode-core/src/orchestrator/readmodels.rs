//! CompCode's remaining surface over the store (SPEC §19): a CRM webhook batch taken directly,
//! the read models (rep dashboard, team summary, periods, deal list) and maintenance
//! (`cleanup`, `reset`).
//!
//! Readings (also in DESIGN.md):
//! * **Webhook batches** are converted first (pure, [`crate::crm::webhook`], against the stored
//!   snapshots) and the actor is checked, so a bad event or a refused actor writes nothing. The
//!   changes are collapsed to one final snapshot per deal; each deal is run (upsert or deletion,
//!   with its `webhook.received` — details `provider`, `eventType` — and `orchestrator.ran`
//!   entries) on a staging view of the store that sees the earlier deals' writes, and all the
//!   writes land in **one atomic commit** (a lost race recomputes the whole batch). A deletion of
//!   a deal the store never saw changes nothing (`skipped: unknown_deal`).
//! * **Read models** read the live lines (every stored line that is not `REVERSED`: events,
//!   true-ups, clawbacks). `totalEarnings` = Σ of those lines in the period (all periods when
//!   none is given); `dealsClosed` = the distinct deals of its per_deal lines; `attainment` =
//!   Σ currentValue / Σ target over the rep's quotas of the period (all quotas without a period;
//!   null without quotas), from a calculation as of `at`. Periods sort as text.
//! * **Team summary**: a manager sees one row per member of their team (SPEC §18.33, not
//!   themselves); an admin or the host sees every rep whose role is not `admin`; a rep is
//!   `FORBIDDEN`.
//! * **Deal list**: reps see deals they own, managers those of their team and their own, admins
//!   all (ghost-owned deals included, `ownerRepId` null); deleted snapshots are left out; the period filter reads `closeDate`; sorted by
//!   `closeDate` descending, then id.
//! * **cleanup** reverses (amount 0.00, `REVERSED`, a history row with outcome `cleanup`)
//!   every live calculated line whose deal snapshot is gone or deleted, whose plan is gone, or
//!   whose version no longer has the rule; a locked line (approved statement, `PAID`, a batch
//!   past `DRAFT`) is counted, never touched. Audited as `orchestrator.ran` with outcome
//!   `cleanup` and the counters.
//! * **reset** deletes every calculated line (per_deal, periodic, cascade) that is not locked
//!   and every deal snapshot no kept line refers to; true-ups, clawbacks, statements,
//!   adjustments and the history stay (money decisions and the append-only record). Audited as
//!   `workspace.reset` (SPEC §15 has no maintenance action; like `import.loaded`, this one is
//!   ours).

use super::runs::{event_write, internal, parse_event};
use super::{forbidden, indexed, s, Actor, Orchestrator};
use crate::decimal::{fmt_money, fmt_plain};
use crate::error::{Error, ErrorCode, Result};
use crate::ledger::{Event, HistoryRow, LineStatus, Outcome};
use crate::model::Role;
use crate::period::{parse_date, Period};
use crate::repository::{Collection, Query, Record, Repository, Write};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// (rep, period or `all`) → (Σ currentValue, Σ target) of the rep's quotas.
type QuotaSums = HashMap<(String, String), (Decimal, Decimal)>;
/// plan → (earned, deal → (credit date, commission)).
type PlanTotals = BTreeMap<String, (Decimal, BTreeMap<String, (String, Decimal)>)>;

fn overflow() -> Error {
    Error::overflow("a read-model total")
}

/// Who the actor may see: `None` = everyone.
enum Visible {
    All,
    Some(HashSet<String>),
}

impl Visible {
    fn has(&self, rep: &str) -> bool {
        match self {
            Visible::All => true,
            Visible::Some(s) => s.contains(rep),
        }
    }
}

impl<R: Repository> Orchestrator<R> {
    fn visible(&self, actor: &Actor) -> Result<Visible> {
        Ok(match self.role_of(actor)? {
            None | Some((_, Role::Admin)) => Visible::All,
            Some((id, Role::Manager)) => {
                let mut t = self.team_of(&id)?;
                t.insert(id);
                Visible::Some(t)
            }
            Some((id, _)) => Visible::Some(std::iter::once(id).collect()),
        })
    }

    fn live_events(&self, rep: Option<&str>) -> Result<Vec<Event>> {
        let q = Query { rep_id: rep.map(str::to_string), period: None, deal_id: None };
        let mut out = Vec::new();
        for r in self.repo.list(Collection::Events, &q)? {
            let e = parse_event(&r.doc)?;
            if e.status != LineStatus::Reversed {
                out.push(e);
            }
        }
        Ok(out)
    }

    /// The calculation of the stored state (for attainment) and its currency precision.
    fn quota_sums(&self, at: NaiveDate) -> Result<(QuotaSums, u32)> {
        let state = self.state_document(at)?;
        let doc = crate::validate::read_document(&state)?;
        let calc = crate::calc::calculate(&doc)?;
        let mut sums: QuotaSums = HashMap::new();
        for q in &calc.quotas {
            let rep = doc.reps[q.rep].id.clone();
            for key in [(rep.clone(), q.period.to_string()), (rep.clone(), "all".to_string())] {
                let slot = sums.entry(key).or_default();
                slot.0 = slot.0.checked_add(q.current_value).ok_or_else(overflow)?;
                slot.1 = slot.1.checked_add(q.target).ok_or_else(overflow)?;
            }
        }
        Ok((sums, doc.settings.currency_precision))
    }

    fn rep_doc(&self, rep: &str) -> Result<Value> {
        self.repo
            .get(Collection::Reps, rep)?
            .map(|r| r.doc)
            .ok_or_else(|| Error::new(ErrorCode::RepNotFound, format!("no rep `{rep}`")))
    }

    /// The rep dashboard (CompCode `GET /api/commissions?repId`): `{repId, repName, period,
    /// totalEarnings, dealsClosed, attainment, plans: [{planId, planName, earned, deals:
    /// [{dealId, dealName, amount, commission}]}]}`. The rep, their managers, or an admin.
    pub fn rep_dashboard(&self, actor: &Actor, rep: &str, period: Option<&str>, at: NaiveDate) -> Result<Value> {
        self.require_read(actor, rep)?;
        let rep_doc = self.rep_doc(rep)?;
        let (sums, dp) = self.quota_sums(at)?;
        let plans: HashMap<String, String> = self
            .docs(Collection::Plans)?
            .into_iter()
            .filter_map(|p| Some((s(&p, "planId")?.to_string(), s(&p, "name").unwrap_or("").to_string())))
            .collect();
        let deals: HashMap<String, Value> =
            self.docs(Collection::Deals)?.into_iter().filter_map(|d| Some((deal_id(&d)?, d))).collect();
        let events: Vec<Event> =
            self.live_events(Some(rep))?.into_iter().filter(|e| period.map_or(true, |p| e.period == p)).collect();
        let mut total = Decimal::ZERO;
        let mut closed = BTreeSet::new();
        let mut by_plan: PlanTotals = BTreeMap::new();
        for e in &events {
            total = total.checked_add(e.amount).ok_or_else(overflow)?;
            let slot = by_plan.entry(e.plan_id.clone()).or_default();
            slot.0 = slot.0.checked_add(e.amount).ok_or_else(overflow)?;
            if let (Some(d), "per_deal") = (&e.deal_id, e.execution_phase.as_str()) {
                closed.insert(d.clone());
                let ds = slot.1.entry(d.clone()).or_insert_with(|| (e.credit_date.clone(), Decimal::ZERO));
                ds.1 = ds.1.checked_add(e.amount).ok_or_else(overflow)?;
            }
        }
        let plans_out: Vec<Value> = by_plan
            .into_iter()
            .map(|(pid, (earned, ds))| {
                let mut list: Vec<(String, String, Decimal)> =
                    ds.into_iter().map(|(d, (date, c))| (date, d, c)).collect();
                list.sort();
                json!({
                    "planId": pid,
                    "planName": plans.get(&pid).cloned().unwrap_or_default(),
                    "earned": fmt_money(earned, dp),
                    "deals": list.into_iter().map(|(_, d, c)| {
                        let snap = deals.get(&d);
                        json!({"dealId": d,
                               "dealName": snap.and_then(|x| s(x, "name")),
                               "amount": snap.and_then(|x| x.get("amount")).and_then(amount_text),
                               "commission": fmt_money(c, dp)})
                    }).collect::<Vec<_>>(),
                })
            })
            .collect();
        Ok(json!({
            "repId": rep,
            "repName": s(&rep_doc, "name"),
            "period": period.unwrap_or("all"),
            "totalEarnings": fmt_money(total, dp),
            "dealsClosed": closed.len(),
            "attainment": attainment(&sums, rep, period),
            "plans": plans_out,
        }))
    }

    /// The team summary (CompCode `GET /api/commissions`): `{period, totalEarnings, reps:
    /// [{repId, repName, managerId, totalEarnings, dealsClosed, attainment}]}`. Managers and
    /// admins; a rep is `FORBIDDEN`.
    pub fn team_summary(&self, actor: &Actor, period: Option<&str>, at: NaiveDate) -> Result<Value> {
        let members: Vec<Value> = match self.role_of(actor)? {
            None | Some((_, Role::Admin)) => {
                self.docs(Collection::Reps)?.into_iter().filter(|r| s(r, "role") != Some("admin")).collect()
            }
            Some((id, Role::Manager)) => {
                let team = self.team_of(&id)?;
                self.docs(Collection::Reps)?
                    .into_iter()
                    .filter(|r| s(r, "id").is_some_and(|x| team.contains(x)))
                    .collect()
            }
            Some((id, _)) => return Err(forbidden(&id, "the team summary is for managers and admins")),
        };
        let (sums, dp) = self.quota_sums(at)?;
        let events = self.live_events(None)?;
        let mut rows = Vec::new();
        let mut grand = Decimal::ZERO;
        for r in &members {
            let id = s(r, "id").unwrap_or("");
            let mut total = Decimal::ZERO;
            let mut closed = BTreeSet::new();
            for e in events.iter().filter(|e| e.rep_id == id && period.map_or(true, |p| e.period == p)) {
                total = total.checked_add(e.amount).ok_or_else(overflow)?;
                if e.execution_phase == "per_deal" {
                    closed.extend(e.deal_id.clone());
                }
            }
            grand = grand.checked_add(total).ok_or_else(overflow)?;
            rows.push(json!({
                "repId": id, "repName": s(r, "name"), "managerId": r.get("managerId").cloned().unwrap_or(Value::Null),
                "totalEarnings": fmt_money(total, dp), "dealsClosed": closed.len(),
                "attainment": attainment(&sums, id, period),
            }));
        }
        rows.sort_by(|a, b| a["repId"].as_str().cmp(&b["repId"].as_str()));
        Ok(json!({"period": period.unwrap_or("all"), "totalEarnings": fmt_money(grand, dp), "reps": rows}))
    }

    /// The periods with commission data (CompCode `GET /api/commissions/periods`): the distinct
    /// periods of the live lines the actor may read (one rep's with `repId`).
    pub fn commission_periods(&self, actor: &Actor, rep: Option<&str>) -> Result<Value> {
        let vis = match rep {
            Some(r) => {
                self.require_read(actor, r)?;
                Visible::Some(std::iter::once(r.to_string()).collect())
            }
            None => self.visible(actor)?,
        };
        let periods: BTreeSet<String> =
            self.live_events(rep)?.into_iter().filter(|e| vis.has(&e.rep_id)).map(|e| e.period).collect();
        Ok(json!({"periods": periods}))
    }

    /// The deal list filtered by owner (`ownerRepId`), `stage` and `period` (of `closeDate`):
    /// `{deals: [{id, name, stage, amount, currency, closeDate, ownerRepId}], total}`.
    pub fn deal_list(&self, actor: &Actor, args: &Value) -> Result<Value> {
        let owner = s(args, "ownerRepId");
        if let Some(o) = owner {
            self.require_read(actor, o)?;
        }
        let vis = self.visible(actor)?;
        let fy = self
            .repo
            .get(Collection::Settings, "settings")?
            .and_then(|r| r.doc.get("fiscalYearStartMonth").and_then(Value::as_u64))
            .and_then(|m| u32::try_from(m).ok())
            .unwrap_or(1);
        let period = match s(args, "period") {
            Some(p) => Some(Period::parse(p).ok_or_else(|| {
                crate::crm::fail("args.period", "invalid_period", format!("`{p}` is not YYYY-MM, YYYY-QN or YYYY"))
            })?),
            None => None,
        };
        let reps = self.docs(Collection::Reps)?;
        let resolve = |d: &Value| -> Option<String> {
            if let Some(r) = s(d, "ownerRepId") {
                return Some(r.to_string());
            }
            if let Some(c) = s(d, "ownerCrmId") {
                return reps
                    .iter()
                    .find(|r| r["crmIds"].as_array().is_some_and(|a| a.iter().any(|x| x == c)))
                    .and_then(|r| s(r, "id"))
                    .map(str::to_string);
            }
            let e = s(d, "ownerEmail")?.to_lowercase();
            reps.iter()
                .find(|r| s(r, "email").is_some_and(|m| m.to_lowercase() == e))
                .and_then(|r| s(r, "id"))
                .map(str::to_string)
        };
        let mut out: Vec<(String, String, Value)> = Vec::new();
        for d in self.docs(Collection::Deals)? {
            if d.get("deleted").and_then(Value::as_bool) == Some(true) {
                continue;
            }
            let who = resolve(&d);
            // admins see every deal, ghosts (owners that resolve to no rep) included
            let seen = matches!(vis, Visible::All) || who.as_deref().is_some_and(|w| vis.has(w));
            if !seen {
                continue;
            }
            if owner.is_some_and(|o| who.as_deref() != Some(o)) {
                continue;
            }
            if let Some(st) = s(args, "stage") {
                if s(&d, "stage") != Some(st) {
                    continue;
                }
            }
            let close = s(&d, "closeDate").and_then(|t| parse_date(t, true));
            if let Some(p) = &period {
                if !close.is_some_and(|c| p.start(fy) <= c && c < p.end(fy)) {
                    continue;
                }
            }
            let id = deal_id(&d).unwrap_or_default();
            let row = json!({"id": id, "name": d.get("name"), "stage": d.get("stage"),
                             "amount": d.get("amount").and_then(amount_text), "currency": d.get("currency"),
                             "closeDate": close.map(|c| c.to_string()), "ownerRepId": who});
            out.push((close.map(|c| c.to_string()).unwrap_or_default(), id, row));
        }
        out.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        let total = out.len();
        Ok(json!({"deals": out.into_iter().map(|x| x.2).collect::<Vec<_>>(), "total": total}))
    }

    /// Takes a CRM webhook batch directly (SPEC §19): `{provider: "hubspot" | "attio", events |
    /// payload, mapping, records?, objectId?}`. Admin or the host. The batch is converted, then
    /// every touched deal is run on a staging view of the store, and all of their writes land in
    /// one atomic commit: all or nothing. Returns `{provider, changes, runs: [{dealId, outcome,
    /// report}], skipped}`.
    pub fn crm_webhook(&mut self, actor: &Actor, args: &Value, at: NaiveDate) -> Result<Value> {
        self.require_admin(actor)?;
        if !args.is_object() {
            return Err(crate::crm::fail("args", "invalid_type", "the arguments must be an object"));
        }
        // one commit for the whole batch, retried on CONFLICT like every workflow
        self.transact(|o| o.stage_webhook(actor, args, at))
    }

    /// Converts a batch against the stored snapshots and runs its deals on a staging view; the
    /// writes (collapsed per record) and the answer.
    fn stage_webhook(&self, actor: &Actor, args: &Value, at: NaiveDate) -> Result<(Vec<Write>, Value)> {
        let mut input = args.clone();
        input["deals"] = Value::Array(self.docs(Collection::Deals)?);
        let converted = crate::crm::webhook(&input)?;
        let provider = converted.provider;
        // one run per deal, with its final snapshot, in first-touch order
        let mut order: Vec<String> = Vec::new();
        for c in converted.changes.iter().filter(|c| c.kind != "ignored") {
            if !order.contains(&c.deal_id) {
                order.push(c.deal_id.clone());
            }
        }
        let finals: HashMap<String, Value> =
            converted.deals.iter().filter_map(|d| Some((deal_id(d)?, d.clone()))).collect();
        let mut stage = Orchestrator::new(Staging::new(&self.repo));
        let mut runs = Vec::new();
        let mut skipped = Vec::new();
        for id in order {
            let Some(snap) = finals.get(&id).cloned() else { continue };
            let deleted = snap.get("deleted").and_then(Value::as_bool) == Some(true);
            let event_type = match (provider, deleted) {
                ("hubspot", true) => "deal.deletion",
                ("hubspot", false) => "deal.propertyChange",
                (_, true) => "record.deleted",
                _ => "record.updated",
            };
            let extra = Some(("webhook.received", json!({"provider": provider, "eventType": event_type})));
            let report = if deleted {
                if stage.repo.get(Collection::Deals, &id)?.is_none() {
                    skipped.push(json!({"dealId": id, "reason": "unknown_deal"}));
                    continue;
                }
                stage.deal_run_with(actor, &id, None, Outcome::Deleted, at, extra)?
            } else {
                stage.deal_run_with(actor, &id, Some(snap), Outcome::Processed, at, extra)?
            };
            let mut r = serde_json::to_value(&report).map_err(internal)?;
            if let Some(o) = r.as_object_mut() {
                o.remove("changes");
            }
            runs.push(json!({"dealId": id, "outcome": report.outcome.as_str(), "report": r}));
        }
        let writes = stage.into_repo().into_writes();
        Ok((writes, json!({"provider": provider, "changes": converted.changes, "runs": runs, "skipped": skipped})))
    }

    fn is_locked(&self, e: &Event, locks: &crate::ledger::Locks) -> bool {
        e.status == LineStatus::Paid
            || locks.approved.contains(&(e.rep_id.clone(), e.period.clone()))
            || e.batch_id.as_ref().is_some_and(|b| locks.locked_batches.contains(b))
    }

    /// Reverses the live calculated lines whose deal snapshot, plan or rule no longer exists
    /// (SPEC §19). Admin only. Returns `{eventsReversed, eventsLocked, byReason}`.
    pub fn cleanup(&mut self, actor: &Actor, at: NaiveDate) -> Result<Value> {
        self.require_admin(actor)?;
        self.transact(|o| {
            let stored: Vec<(Event, u64)> = o
                .repo
                .list(Collection::Events, &Query::all())?
                .into_iter()
                .map(|r| parse_event(&r.doc).map(|e| (e, r.version)))
                .collect::<Result<_>>()?;
            let locks = o.locks(&stored, at)?;
            let deals: HashMap<String, bool> = o
                .docs(Collection::Deals)?
                .into_iter()
                .filter_map(|d| Some((deal_id(&d)?, d.get("deleted").and_then(Value::as_bool) == Some(true))))
                .collect();
            let mut rules: HashMap<String, HashMap<String, HashSet<String>>> = HashMap::new();
            for p in o.docs(Collection::Plans)? {
                let versions = rules.entry(s(&p, "planId").unwrap_or("").to_string()).or_default();
                for v in p["versions"].as_array().into_iter().flatten() {
                    let names = v["config"]["rules"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|r| s(r, "name").map(str::to_string))
                        .collect();
                    versions.insert(s(v, "planVersionId").unwrap_or("").to_string(), names);
                }
            }
            let mut by_reason: BTreeMap<&str, usize> = BTreeMap::new();
            let (mut reversed, mut locked) = (0usize, 0usize);
            let mut writes = Vec::new();
            let mut seq = o.repo.list(Collection::History, &Query::all())?.len();
            for (e, v) in &stored {
                if e.status == LineStatus::Reversed
                    || !matches!(e.execution_phase.as_str(), "per_deal" | "periodic" | "cascade")
                {
                    continue;
                }
                let reason = if e.deal_id.as_ref().is_some_and(|d| deals.get(d).copied().unwrap_or(true)) {
                    "deal_missing"
                } else if !rules.contains_key(&e.plan_id) {
                    "plan_missing"
                } else if !rules[&e.plan_id].get(&e.plan_version_id).is_some_and(|r| r.contains(&e.rule_name)) {
                    "rule_missing"
                } else {
                    continue;
                };
                *by_reason.entry(reason).or_default() += 1;
                if o.is_locked(e, &locks) {
                    locked += 1;
                    continue;
                }
                reversed += 1;
                let mut n = e.clone();
                let old = n.amount;
                // a reversed line reads 0.00 at the line's own precision, like reconcile's
                n.amount = Decimal::new(0, old.scale());
                n.status = LineStatus::Reversed;
                n.held = None;
                n.gone_since.get_or_insert_with(|| at.to_string());
                writes.push(event_write(&n, Some(*v))?);
                seq += 1;
                let row = HistoryRow {
                    idempotency_key: n.idempotency_key.clone(),
                    change: "reversed".into(),
                    outcome: "cleanup".into(),
                    old_amount: Some(old),
                    new_amount: Some(n.amount),
                    at: at.to_string(),
                };
                let mut doc = serde_json::to_value(&row).map_err(internal)?;
                doc["seq"] = json!(seq);
                writes.push(Write::put(
                    Collection::History,
                    indexed(Record::new(format!("{seq:012}"), doc), None, None, n.deal_id.as_deref()),
                    Some(0),
                ));
            }
            let report = json!({"eventsReversed": reversed, "eventsLocked": locked, "byReason": by_reason});
            let details = json!({"outcome": "cleanup", "eventsWritten": 0, "eventsUpdated": 0,
                                 "eventsReversed": reversed, "eventsNoop": 0, "eventsLocked": locked,
                                 "statementLocked": locked > 0, "byReason": by_reason});
            writes.push(o.audit(actor, at, "orchestrator.ran", "workspace", "*", details)?);
            Ok((writes, report))
        })
    }

    /// Wipes the calculated lines and the deal snapshots, keeping locked and paid lines (and
    /// the snapshots they refer to), true-ups and clawbacks (SPEC §19). Admin only. Returns
    /// `{eventsDeleted, eventsKept, snapshotsDeleted}`.
    pub fn reset(&mut self, actor: &Actor, at: NaiveDate) -> Result<Value> {
        self.require_admin(actor)?;
        self.transact(|o| {
            let stored: Vec<(Event, u64)> = o
                .repo
                .list(Collection::Events, &Query::all())?
                .into_iter()
                .map(|r| parse_event(&r.doc).map(|e| (e, r.version)))
                .collect::<Result<_>>()?;
            let locks = o.locks(&stored, at)?;
            let mut writes = Vec::new();
            let mut keep_deals: HashSet<String> = HashSet::new();
            let (mut deleted, mut kept) = (0usize, 0usize);
            for (e, _) in &stored {
                let calculated = matches!(e.execution_phase.as_str(), "per_deal" | "periodic" | "cascade");
                if calculated && !o.is_locked(e, &locks) {
                    deleted += 1;
                    writes.push(Write::Delete { collection: Collection::Events, id: e.idempotency_key.clone() });
                } else {
                    kept += 1;
                    keep_deals.extend(e.deal_id.clone());
                }
            }
            let mut snaps = 0usize;
            for r in o.repo.list(Collection::Deals, &Query::all())? {
                if !keep_deals.contains(&r.id) {
                    snaps += 1;
                    writes.push(Write::Delete { collection: Collection::Deals, id: r.id.clone() });
                }
            }
            let report = json!({"eventsDeleted": deleted, "eventsKept": kept, "snapshotsDeleted": snaps});
            writes.push(o.audit(actor, at, "workspace.reset", "workspace", "*", report.clone())?);
            Ok((writes, report))
        })
    }
}

fn attainment(sums: &QuotaSums, rep: &str, period: Option<&str>) -> Value {
    match sums.get(&(rep.to_string(), period.unwrap_or("all").to_string())) {
        Some((cur, target)) if !target.is_zero() => {
            cur.checked_div(*target).map_or(Value::Null, |a| json!(fmt_plain(a)))
        }
        _ => Value::Null,
    }
}

fn deal_id(d: &Value) -> Option<String> {
    match d.get("id") {
        Some(Value::String(t)) => Some(t.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    }
}

fn amount_text(v: &Value) -> Option<Value> {
    let d = crate::condition::number_of(v)?;
    Some(json!(fmt_plain(d)))
}

/// A staging view of a store: reads see the base plus the writes staged so far; commits are
/// checked against that view and kept, so several workflow runs can be chained and their writes
/// committed to the base at once ([`Staging::into_writes`]).
struct Staging<'a, R: Repository> {
    base: &'a R,
    /// (collection, id) → the staged record (None = deleted), and the version the base had
    /// before the first staged write (None = the first write was a delete).
    changes: BTreeMap<(Collection, String), (Option<Record>, Option<u64>)>,
    /// First-touch order of the staged records.
    order: Vec<(Collection, String)>,
}

impl<'a, R: Repository> Staging<'a, R> {
    fn new(base: &'a R) -> Self {
        Staging { base, changes: BTreeMap::new(), order: Vec::new() }
    }

    /// The staged writes, one per record, in first-touch order, each checked against the version
    /// the base had before (so a concurrent change makes the final commit `CONFLICT`).
    fn into_writes(mut self) -> Vec<Write> {
        let mut out = Vec::with_capacity(self.order.len());
        for key in std::mem::take(&mut self.order) {
            let Some((rec, base_version)) = self.changes.remove(&key) else { continue };
            out.push(match rec {
                Some(r) => Write::put(key.0, r, base_version),
                None => Write::Delete { collection: key.0, id: key.1 },
            });
        }
        out
    }
}

impl<R: Repository> Repository for Staging<'_, R> {
    fn get(&self, collection: Collection, id: &str) -> Result<Option<Record>> {
        match self.changes.get(&(collection, id.to_string())) {
            Some((rec, _)) => Ok(rec.clone()),
            None => self.base.get(collection, id),
        }
    }

    fn list(&self, collection: Collection, query: &Query) -> Result<Vec<Record>> {
        let mut out: BTreeMap<String, Record> =
            self.base.list(collection, query)?.into_iter().map(|r| (r.id.clone(), r)).collect();
        for ((c, id), (rec, _)) in &self.changes {
            if *c != collection {
                continue;
            }
            match rec {
                Some(r) if query.matches(r) => {
                    out.insert(id.clone(), r.clone());
                }
                _ => {
                    out.remove(id);
                }
            }
        }
        Ok(out.into_values().collect())
    }

    fn commit(&mut self, writes: Vec<Write>) -> Result<()> {
        let mut next = self.changes.clone();
        let mut order = self.order.clone();
        for w in writes {
            let (collection, id) = match &w {
                Write::Put { collection, record, .. } => (*collection, record.id.clone()),
                Write::Delete { collection, id } => (*collection, id.clone()),
            };
            let key = (collection, id.clone());
            let current = match next.get(&key) {
                Some((rec, _)) => rec.clone(),
                None => self.base.get(collection, &id)?,
            };
            let found = current.as_ref().map_or(0, |r| r.version);
            let base_version = match next.get(&key) {
                Some((_, v)) => *v,
                None => Some(found),
            };
            if !order.contains(&key) {
                order.push(key.clone());
            }
            match w {
                Write::Put { mut record, expected_version, .. } => {
                    if let Some(exp) = expected_version {
                        if exp != found {
                            return Err(crate::repository::version_conflict(collection, &id, exp, found));
                        }
                    }
                    record.version = found + 1;
                    next.insert(key, (Some(record), base_version));
                }
                Write::Delete { .. } => {
                    let v = if next.contains_key(&key) { base_version } else { None };
                    next.insert(key, (None, v));
                }
            }
        }
        self.changes = next;
        self.order = order;
        Ok(())
    }
}
