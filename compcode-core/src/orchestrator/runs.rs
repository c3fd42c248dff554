//! Calculation runs: a deal changed (upsert / delete / manual reverse), a recalculation, a
//! simulation (SPEC §12, §18.18, §18.38).

use super::{indexed, s, version, Actor, Orchestrator};
use crate::api::{simulate_doc, SimulateResult};
use crate::calc::calculate;
use crate::error::{Error, ErrorCode, Result};
use crate::hash::{HashMap, HashSet};
use crate::ledger::{computed_events, reconcile, ChangeSet, Event, HistoryRow, LineStatus, Locks, Outcome};
use crate::period::{parse_date, Period};
use crate::repository::{Collection, Query, Record, Repository, Write};
use crate::validate::read_document;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::BTreeSet;

/// What one run did (the `orchestrator.ran` counters of SPEC §12).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RunReport {
    /// `processed`, `owner_changed`, `deleted` or `manual_reverse`.
    pub outcome: Outcome,
    /// New keys.
    pub events_written: usize,
    /// Changed keys.
    pub events_updated: usize,
    /// Keys no longer computed.
    pub events_reversed: usize,
    /// Unchanged keys.
    pub events_noop: usize,
    /// Locked keys (results held for a true-up).
    pub events_locked: usize,
    /// Clawback lines written.
    pub clawbacks: usize,
    /// Any key was locked by an approved statement, a payment or a batch.
    pub statement_locked: bool,
    /// Why the deal produced no line, when it did not (`rep_not_assigned`, `ghost_owner`,
    /// `no_matching_plan`, …).
    pub skipped: Vec<String>,
    /// The change set itself.
    pub changes: ChangeSet,
}

/// What a run recalculates.
enum RunScope {
    /// Everything (a full recalculation), or one plan's lines and every cascade.
    All(Option<String>),
    /// A deal's groups before and after, the periodic groups of those reps over the deal's
    /// periods, and the cascades whose (source rep, period) is among them.
    Deal(String),
}

impl<R: Repository> Orchestrator<R> {
    /// A CRM snapshot arrived (webhook or sync): store it and recalculate the groups it touches.
    /// The host (`Actor::System`) or an admin may call it.
    pub fn upsert_deal(&mut self, actor: &Actor, snapshot: Value, at: NaiveDate) -> Result<RunReport> {
        self.require_admin(actor)?;
        let id = s(&snapshot, "id").map(str::to_string).unwrap_or_default();
        let deleted = snapshot.get("deleted").and_then(Value::as_bool).unwrap_or(false);
        let outcome = if deleted { Outcome::Deleted } else { Outcome::Processed };
        self.deal_run(actor, &id, Some(snapshot), outcome, at)
    }

    /// The CRM deleted the deal: reverse its events and soft-delete the snapshot.
    pub fn delete_deal(&mut self, actor: &Actor, deal_id: &str, at: NaiveDate) -> Result<RunReport> {
        self.require_admin(actor)?;
        self.deal_run(actor, deal_id, None, Outcome::Deleted, at)
    }

    /// An admin reverses a deal by hand: like a deletion, audited as `manual_reverse`; later
    /// runs skip the deal until the host sends it again with `deleted: false` (SPEC §18.21).
    pub fn reverse_deal(&mut self, actor: &Actor, deal_id: &str, at: NaiveDate) -> Result<RunReport> {
        self.require_admin(actor)?;
        self.deal_run(actor, deal_id, None, Outcome::ManualReverse, at)
    }

    fn deal_run(
        &mut self,
        actor: &Actor,
        deal_id: &str,
        snapshot: Option<Value>,
        outcome: Outcome,
        at: NaiveDate,
    ) -> Result<RunReport> {
        self.deal_run_with(actor, deal_id, snapshot, outcome, at, None)
    }

    /// A deal run with one more audit entry `(action, details)` in the same transaction.
    pub(super) fn deal_run_with(
        &mut self,
        actor: &Actor,
        deal_id: &str,
        snapshot: Option<Value>,
        outcome: Outcome,
        at: NaiveDate,
        extra: Option<(&str, Value)>,
    ) -> Result<RunReport> {
        let from_webhook = *actor == Actor::System && snapshot.is_some() && extra.is_none();
        self.transact(|o| {
            let old = o.repo.get(Collection::Deals, deal_id)?;
            let mut snap = match (&snapshot, &old) {
                (Some(s), _) => s.clone(),
                (None, Some(r)) => r.doc.clone(),
                (None, None) => return Err(Error::new(ErrorCode::NotFound, format!("no deal `{deal_id}`"))),
            };
            if outcome != Outcome::Processed {
                snap["deleted"] = json!(true);
            }
            let old_doc = old.as_ref().map(|r| r.doc.clone());
            let (mut writes, mut report) =
                o.run(RunScope::Deal(deal_id.to_string()), Some((&snap, old_doc.as_ref())), outcome, at)?;
            let deal_rec = indexed(Record::new(deal_id, snap.clone()), None, None, Some(deal_id));
            writes.insert(0, Write::put(Collection::Deals, deal_rec, Some(version(&old))));
            if from_webhook {
                writes.push(o.audit(
                    actor,
                    at,
                    "webhook.received",
                    "deal",
                    deal_id,
                    json!({"eventType": "deal.upsert"}),
                )?);
            }
            if report.outcome == Outcome::Processed && report.owner_changed(&old_doc, &snap, o)? {
                report.outcome = Outcome::OwnerChanged;
            }
            let mut details = report.counters();
            details["outcome"] = json!(report.outcome.as_str());
            if outcome != Outcome::Processed {
                details["snapshotSoftDeleted"] = json!(true);
            }
            writes.push(o.audit(actor, at, "orchestrator.ran", "deal", deal_id, details)?);
            for reason in &report.skipped {
                writes.push(o.audit(actor, at, "orchestrator.skipped", "deal", deal_id, json!({"reason": reason}))?);
            }
            if let Some((action, details)) = &extra {
                writes.push(o.audit(actor, at, action, "deal", deal_id, details.clone())?);
            }
            Ok((writes, report))
        })
    }

    /// Recalculates every stored line (or one plan's lines and every cascade). Admin only.
    pub fn recalculate(&mut self, actor: &Actor, plan_id: Option<&str>, at: NaiveDate) -> Result<RunReport> {
        self.require_admin(actor)?;
        self.transact(|o| {
            let (mut writes, report) =
                o.run(RunScope::All(plan_id.map(str::to_string)), None, Outcome::Processed, at)?;
            let mut details = report.counters();
            details["outcome"] = json!("processed");
            writes.push(o.audit(actor, at, "orchestrator.ran", "plan", plan_id.unwrap_or("*"), details)?);
            Ok((writes, report))
        })
    }

    /// Simulates on the stored state, optionally with a scope (`{planId, period, repIds}`) and
    /// options; writes nothing. Admin only.
    pub fn simulate(
        &self,
        actor: &Actor,
        scope: Option<Value>,
        options: Option<Value>,
        at: NaiveDate,
    ) -> Result<SimulateResult> {
        self.require_admin(actor)?;
        let mut doc = self.state_document(at)?;
        if let Some(s) = scope {
            doc["scope"] = s;
        }
        if let Some(o) = options {
            doc["options"] = o;
        }
        simulate_doc(&read_document(&doc)?)
    }

    /// Live events, optionally filtered by rep and period. Reps see their own, managers their
    /// team's, admins all.
    pub fn events(&self, actor: &Actor, rep_id: Option<&str>, period: Option<&str>) -> Result<Vec<Event>> {
        match rep_id {
            Some(r) => self.require_read(actor, r)?,
            None => self.require_admin(actor)?,
        }
        let q = Query { rep_id: rep_id.map(str::to_string), period: period.map(str::to_string), deal_id: None };
        self.repo.list(Collection::Events, &q)?.into_iter().map(|r| parse_event(&r.doc)).collect()
    }

    /// An event's history rows, oldest first. Admin only.
    pub fn event_history(&self, actor: &Actor, key: &str) -> Result<Vec<HistoryRow>> {
        self.require_admin(actor)?;
        let mut rows: Vec<(u64, HistoryRow)> = Vec::new();
        for r in self.repo.list(Collection::History, &Query::all())? {
            if r.doc["idempotencyKey"] == key {
                let seq = r.doc["seq"].as_u64().unwrap_or(0);
                rows.push((seq, serde_json::from_value(r.doc).map_err(internal)?));
            }
        }
        rows.sort_by_key(|(s, _)| *s);
        Ok(rows.into_iter().map(|(_, r)| r).collect())
    }

    /// Marks lines paid (SPEC §18.11: an explicit mark-paid call). Admin only. A line held by a
    /// payroll batch is `CONFLICT`: the batch pays it.
    pub fn mark_paid(&mut self, actor: &Actor, keys: &[String], at: NaiveDate) -> Result<usize> {
        self.require_admin(actor)?;
        self.transact(|o| {
            let mut writes = Vec::new();
            let mut history = HistoryRows::new(&o.repo, "mark_paid", at)?;
            for k in keys {
                let rec = o
                    .repo
                    .get(Collection::Events, k)?
                    .ok_or_else(|| Error::new(ErrorCode::NotFound, format!("no event `{k}`")))?;
                let mut e = parse_event(&rec.doc)?;
                if e.status == LineStatus::Paid {
                    continue;
                }
                if let Some(b) = &e.batch_id {
                    // its payroll batch pays it (SPEC §18.11, §18.24); paying it here too would pay twice
                    return Err(Error::new(
                        ErrorCode::Conflict,
                        format!("event `{k}` is in payroll batch `{b}`, which pays it when marked PAID"),
                    ));
                }
                if e.status != LineStatus::Approved {
                    return Err(Error::new(
                        ErrorCode::Conflict,
                        format!("event `{k}` is {:?}; only APPROVED lines can be paid", e.status),
                    ));
                }
                let before = e.clone();
                e.status = LineStatus::Paid;
                e.paid_at = Some(at.to_string());
                writes.push(event_write(&e, Some(rec.version))?);
                writes.push(history.row("status", Some(&before), &e)?);
            }
            let n = writes.len() / 2; // an event write and its history row per line
            if n > 0 {
                writes.push(o.audit(
                    actor,
                    at,
                    "line.status_changed",
                    "events",
                    "*",
                    json!({"status": "PAID", "count": n}),
                )?);
            }
            Ok((writes, n))
        })
    }

    /// Computes, reconciles within the scope, and prepares every write of a run.
    fn run(
        &self,
        scope: RunScope,
        deal: Option<(&Value, Option<&Value>)>,
        outcome: Outcome,
        at: NaiveDate,
    ) -> Result<(Vec<Write>, RunReport)> {
        // The history rows' sequence numbers are counted FIRST, before any state is read: every
        // run that changes events writes rows numbered from this count, each a create-only write,
        // so a commit that lands between this count and this run's commit takes the same numbers
        // and this run's commit is a CONFLICT (retried on fresh state). Counting after reading the
        // state left a window in which two runs of one group each calculated without the other's
        // deal and both committed — write skew past a periodCap (compcode-sqlite's concurrency test).
        let history_base = self.repo.count(Collection::History, &Query::all())?;
        if let (RunScope::Deal(id), Some((snap, _)), false) = (&scope, deal, self.exhaustive) {
            // only the deals and stored events the deal can change (issue #9)
            if let Some(part) = self.deal_part(id, snap, at)? {
                return self.run_writes(part, history_base, outcome, at);
            }
        }
        let mut state = self.state_document(at)?;
        if let Some((snap, _)) = deal {
            let id = s(snap, "id").unwrap_or("");
            let deals = state["deals"].as_array_mut().ok_or_else(|| internal("deals"))?;
            deals.retain(|d| s(d, "id") != Some(id));
            deals.push(snap.clone());
        }
        let doc = read_document(&state)?;
        let fy = doc.settings.fiscal_year_start_month;
        let calc = calculate(&doc)?;
        let computed = computed_events(&doc, &calc);
        let stored: Vec<(Event, u64)> = self
            .repo
            .list(Collection::Events, &Query::all())?
            .into_iter()
            .map(|r| parse_event(&r.doc).map(|e| (e, r.version)))
            .collect::<Result<_>>()?;

        let in_scope: Box<dyn Fn(&Event) -> bool> = match &scope {
            RunScope::All(None) => Box::new(|e: &Event| is_calculated(e)),
            RunScope::All(Some(p)) => {
                let p = p.clone();
                Box::new(move |e: &Event| is_calculated(e) && (e.plan_id == p || e.execution_phase == "cascade"))
            }
            RunScope::Deal(id) => {
                let mut groups: HashSet<(String, String, String, String)> = HashSet::default();
                let mut dates: Vec<NaiveDate> = Vec::new();
                for e in stored.iter().map(|(e, _)| e).chain(computed.iter()) {
                    if e.deal_id.as_deref() == Some(id.as_str()) && e.execution_phase == "per_deal" {
                        groups.insert((e.rep_id.clone(), e.plan_id.clone(), e.rule_name.clone(), e.period.clone()));
                        dates.extend(parse_date(&e.credit_date, false));
                    }
                }
                let reps: HashSet<String> = groups.iter().map(|g| g.0.clone()).collect();
                let deal_id = id.clone();
                Box::new(move |e: &Event| {
                    let covers = || {
                        Period::parse(&e.period)
                            .is_some_and(|p| dates.iter().any(|d| p.start(fy) <= *d && *d < p.end(fy)))
                    };
                    match e.execution_phase.as_str() {
                        "per_deal" => groups.contains(&(
                            e.rep_id.clone(),
                            e.plan_id.clone(),
                            e.rule_name.clone(),
                            e.period.clone(),
                        )),
                        "periodic" => reps.contains(&e.rep_id) && covers(),
                        // a Spark override line belongs to its sale (SPEC §18.9)
                        "cascade" if e.deal_id.is_some() => e.deal_id.as_deref() == Some(deal_id.as_str()),
                        "cascade" => e.source_rep_id.as_ref().is_some_and(|s| reps.contains(s)) && covers(),
                        _ => false,
                    }
                })
            }
        };
        let existing: Vec<Event> = stored.iter().filter(|(e, _)| in_scope(e)).map(|(e, _)| e.clone()).collect();
        let fresh: Vec<Event> = computed.iter().filter(|e| in_scope(e)).cloned().collect();
        let mut locks = self.locks(&stored, at)?;
        if let Some((snap, _)) = deal {
            // the run's own snapshot decides its cancellation date (SPEC §18.10), not the stored one
            let id = match snap.get("id") {
                Some(Value::Number(n)) => n.to_string(),
                _ => s(snap, "id").unwrap_or("").to_string(),
            };
            match snap["fields"].get("cancelledAt").and_then(Value::as_str).and_then(|t| parse_date(t, true)) {
                Some(c) => locks.cancelled_at.insert(id, c),
                None => locks.cancelled_at.remove(&id),
            };
        }
        let landing = |e: &Event| landing_period(e, at, fy, &locks);
        let changes = reconcile(&existing, &fresh, &locks, &landing);
        let versions: HashMap<String, u64> = stored.iter().map(|(e, v)| (e.idempotency_key.clone(), *v)).collect();
        // why a changed deal produced no line
        let skipped = match (&scope, deal) {
            (RunScope::Deal(id), Some(_)) => skipped_reasons(id, &computed, &doc, &calc),
            _ => Vec::new(),
        };
        self.run_writes(RunPart { changes, versions, skipped }, history_base, outcome, at)
    }

    /// The writes and report of a run's change set: events (version-checked), clawbacks,
    /// history rows numbered from `history_base`.
    fn run_writes(
        &self,
        part: RunPart,
        history_base: usize,
        outcome: Outcome,
        at: NaiveDate,
    ) -> Result<(Vec<Write>, RunReport)> {
        let RunPart { mut changes, versions, skipped } = part;
        let mut writes = Vec::new();
        let mut hist_n = 0usize;
        let mut history = |key: &str,
                           change: &str,
                           old: Option<Decimal>,
                           new: Option<Decimal>,
                           deal: Option<&str>|
         -> Result<Write> {
            hist_n += 1;
            let seq = history_base + hist_n;
            let row = HistoryRow {
                idempotency_key: key.to_string(),
                change: change.to_string(),
                outcome: outcome.as_str().to_string(),
                old_amount: old,
                new_amount: new,
                at: at.to_string(),
            };
            let mut doc = serde_json::to_value(&row).map_err(internal)?;
            doc["seq"] = json!(seq);
            Ok(Write::put(
                Collection::History,
                indexed(Record::new(format!("{seq:012}"), doc), None, None, deal),
                Some(0),
            ))
        };
        for (kind, list) in [
            ("written", &mut changes.written),
            ("updated", &mut changes.updated),
            ("reversed", &mut changes.reversed),
            ("locked", &mut changes.locked),
        ] {
            for c in list.iter_mut() {
                let v = versions.get(c.key.as_str()).copied().unwrap_or(0);
                writes.push(event_write_mut(&mut c.new, Some(v))?);
                let new_amount =
                    if kind == "locked" { c.new.held.as_ref().map(|h| h.amount) } else { Some(c.new.amount) };
                writes.push(history(
                    &c.key,
                    kind,
                    c.old.as_ref().map(|e| e.amount),
                    new_amount,
                    c.new.deal_id.as_deref(),
                )?);
            }
        }
        for cb in &changes.clawbacks {
            writes.push(event_write(cb, Some(0))?);
            writes.push(history(&cb.idempotency_key, "clawback", None, Some(cb.amount), cb.deal_id.as_deref())?);
        }
        let report = RunReport {
            outcome,
            events_written: changes.written.len(),
            events_updated: changes.updated.len(),
            events_reversed: changes.reversed.len(),
            events_noop: changes.noop.len(),
            events_locked: changes.locked.len(),
            clawbacks: changes.clawbacks.len(),
            statement_locked: changes.statement_locked(),
            skipped,
            changes,
        };
        Ok((writes, report))
    }

    /// Locks of SPEC §18.12 from the store: approved statements, batches past `DRAFT`;
    /// corrections per key; the clawback windows of the stored rules and the deals'
    /// `cancelledAt` (SPEC §18.10); `at` as the run's date.
    pub(super) fn locks(&self, stored: &[(Event, u64)], at: NaiveDate) -> Result<Locks> {
        self.locks_of(&mut stored.iter().map(|(e, _)| e), at)
    }

    /// [`Self::locks`] with the corrections of the given events (the stored events, or at least
    /// their clawbacks and true-ups).
    pub(super) fn locks_of(&self, stored: &mut dyn Iterator<Item = &Event>, at: NaiveDate) -> Result<Locks> {
        let mut locks = Locks { today: Some(at), ..Locks::default() };
        for b in self.repo.list(Collection::Batches, &Query::all())? {
            if s(&b.doc, "status").is_some_and(|st| st != "DRAFT") {
                locks.locked_batches.insert(b.id.clone());
            }
        }
        for p in self.docs(Collection::Plans)? {
            for v in p["versions"].as_array().into_iter().flatten() {
                let vid = s(v, "planVersionId").unwrap_or("");
                for r in v["config"]["rules"].as_array().into_iter().flatten() {
                    if let (Some(name), Some(days)) =
                        (s(r, "name"), r.get("clawbackWindowDays").and_then(Value::as_u64))
                    {
                        let days = u32::try_from(days).unwrap_or(u32::MAX);
                        locks.clawback_windows.insert((vid.to_string(), name.to_string()), days);
                    }
                }
            }
        }
        self.repo.scan(Collection::Deals, &Query::all(), &mut |r| {
            let d = &r.doc;
            let cancelled = d["fields"].get("cancelledAt").and_then(Value::as_str).and_then(|t| parse_date(t, true));
            // the id is copied only for a cancelled deal (this runs for every stored deal)
            let Some(c) = cancelled else { return Ok(()) };
            let id = match d.get("id") {
                Some(Value::String(t)) => Some(t.clone()),
                Some(Value::Number(n)) => Some(n.to_string()),
                _ => None,
            };
            if let Some(id) = id {
                locks.cancelled_at.insert(id, c);
            }
            Ok(())
        })?;
        for st in self.repo.list(Collection::Statements, &Query::all())? {
            if st.doc["status"] == "approved" {
                if let (Some(r), Some(p)) = (s(&st.doc, "repId"), s(&st.doc, "period")) {
                    locks.approved.insert((r.to_string(), p.to_string()));
                }
            }
        }
        let approved_calls: HashSet<String> = self
            .repo
            .list(Collection::TrueUps, &Query::all())?
            .into_iter()
            .filter(|r| r.doc["status"] == "approved")
            .map(|r| r.id)
            .collect();
        for e in stored {
            let counts = match e.execution_phase.as_str() {
                "clawback" => true,
                "true_up" => e.true_up_id.as_ref().is_some_and(|t| approved_calls.contains(t)),
                _ => false,
            };
            if counts {
                let orig = original_key(&e.idempotency_key);
                *locks.corrections.entry(orig).or_default() += e.amount;
            }
        }
        Ok(locks)
    }
}

impl RunReport {
    fn counters(&self) -> Value {
        self.changes.counters()
    }

    /// The owner changed when the credited reps of the old and new snapshot differ.
    fn owner_changed<R: Repository>(&self, old: &Option<Value>, new: &Value, o: &Orchestrator<R>) -> Result<bool> {
        let Some(old) = old else { return Ok(false) };
        // the reps are listed once, and only for an owner named by CRM id or email (issue #9)
        let listed: std::cell::OnceCell<Vec<Value>> = std::cell::OnceCell::new();
        let who = |d: &Value| -> Result<BTreeSet<String>> {
            let reps = || -> Result<&Vec<Value>> {
                if let Some(r) = listed.get() {
                    return Ok(r);
                }
                let all = o.docs(Collection::Reps)?;
                Ok(listed.get_or_init(|| all))
            };
            let mut out = BTreeSet::new();
            if let Some(cs) = d.get("credits").and_then(Value::as_array).filter(|c| !c.is_empty()) {
                out.extend(cs.iter().filter_map(|c| s(c, "repId")).map(str::to_string));
            } else if let Some(r) = s(d, "ownerRepId") {
                out.insert(r.to_string());
            } else if let Some(c) = s(d, "ownerCrmId") {
                out.extend(
                    reps()?
                        .iter()
                        .filter(|r| r["crmIds"].as_array().is_some_and(|a| a.iter().any(|x| x == c)))
                        .filter_map(|r| s(r, "id"))
                        .map(str::to_string)
                        .take(1),
                );
            } else if let Some(e) = s(d, "ownerEmail") {
                let e = e.to_lowercase();
                out.extend(
                    reps()?
                        .iter()
                        .filter(|r| s(r, "email").is_some_and(|m| m.to_lowercase() == e))
                        .filter_map(|r| s(r, "id"))
                        .map(str::to_string)
                        .take(1),
                );
            }
            Ok(out)
        };
        Ok(who(old)? != who(new)?)
    }
}

/// What a run's calculation and reconcile produced, before its writes.
pub(super) struct RunPart {
    /// The change set.
    pub changes: ChangeSet,
    /// Stored versions by key (at least of every key the change set writes that is stored).
    pub versions: HashMap<String, u64>,
    /// Why the run's deal produced no line.
    pub skipped: Vec<String>,
}

/// Why a changed deal produced no line (`computed`: the run's computed events, at least those
/// of the deal).
pub(super) fn skipped_reasons(
    id: &str,
    computed: &[Event],
    doc: &crate::model::CalcDoc,
    calc: &crate::calc::Calculation,
) -> Vec<String> {
    if computed.iter().any(|e| e.deal_id.as_deref() == Some(id)) {
        return Vec::new();
    }
    let reasons: BTreeSet<&str> = calc
        .diagnostics
        .iter()
        .filter(|d| d.deal_id(doc) == Some(id))
        .map(|d| d.code())
        .filter(|c| matches!(*c, "rep_not_assigned" | "ghost_owner" | "no_matching_plan"))
        .collect();
    reasons.into_iter().map(str::to_string).collect()
}

/// Lines the calculation owns (not true-ups or clawbacks).
pub(super) fn is_calculated(e: &Event) -> bool {
    matches!(e.execution_phase.as_str(), "per_deal" | "periodic" | "cascade")
}

/// The key a true-up or clawback corrects: its own key without the trailing parts.
pub(super) fn original_key(key: &str) -> String {
    let mut parts: Vec<String> = serde_json::from_str(key).unwrap_or_default();
    if let Some(i) = parts.iter().position(|p| p == "clawback" || p == "true_up") {
        parts.truncate(i);
    }
    let refs: Vec<&str> = parts.iter().map(String::as_str).collect();
    crate::ledger::key_of(&refs)
}

/// SPEC §18.14: the earliest period of the corrected line's length, at or after the period
/// containing `at`, with no approved statement for the rep.
pub(super) fn landing_period(e: &Event, at: NaiveDate, fy: u32, locks: &Locks) -> String {
    let kind = Period::parse(&e.period).map(|p| p.kind).unwrap_or(crate::period::PeriodKind::Monthly);
    let mut p = Period::containing(at, kind, fy);
    for _ in 0..1000 {
        if !locks.approved.contains(&(e.rep_id.clone(), p.to_string())) {
            break;
        }
        p = Period::containing(p.end(fy), kind, fy);
    }
    p.to_string()
}

pub(super) fn parse_event(doc: &Value) -> Result<Event> {
    // read from the borrowed document, not from a copy of it (issue #9)
    <Event as serde::Deserialize>::deserialize(doc).map_err(internal)
}

/// Numbers and writes the history rows of one workflow's event mutations outside a run (SPEC
/// §12: every mutation appends a history row): status changes (approve, revert, mark paid,
/// clawback processing), true-up lines, payroll-batch membership and carry-forward clawbacks.
/// `outcome` names the workflow; rows are numbered after the rows already stored, like a run's.
pub(super) struct HistoryRows {
    next: usize,
    outcome: &'static str,
    at: String,
}

impl HistoryRows {
    /// Starts numbering after the history rows stored in `repo`.
    pub(super) fn new<R: Repository>(repo: &R, outcome: &'static str, at: NaiveDate) -> Result<Self> {
        Ok(HistoryRows { next: repo.count(Collection::History, &Query::all())? + 1, outcome, at: at.to_string() })
    }

    /// The history row of `new` (`old`: the event before, `None` for a new event): `change` is
    /// `status`, `true_up`, `batched`, `released` or `clawback`.
    pub(super) fn row(&mut self, change: &str, old: Option<&Event>, new: &Event) -> Result<Write> {
        let seq = self.next;
        self.next += 1;
        let row = HistoryRow {
            idempotency_key: new.idempotency_key.clone(),
            change: change.to_string(),
            outcome: self.outcome.to_string(),
            old_amount: old.map(|e| e.amount),
            new_amount: Some(new.amount),
            at: self.at.clone(),
        };
        let mut doc = serde_json::to_value(&row).map_err(internal)?;
        doc["seq"] = json!(seq);
        Ok(Write::put(
            Collection::History,
            indexed(Record::new(format!("{seq:012}"), doc), None, None, new.deal_id.as_deref()),
            Some(0),
        ))
    }
}

/// [`event_write`], faster for an event with a long trace: the trace is copied into the
/// document as it is instead of going through the serializer (the same document; `e` is left
/// as it was).
fn event_write_mut(e: &mut Event, expected: Option<u64>) -> Result<Write> {
    let trace = std::mem::take(&mut e.trace);
    let w = event_write(e, expected);
    e.trace = trace;
    let mut w = w?;
    if let Write::Put { record, .. } = &mut w {
        if let Some(slot) = record.doc.get_mut("trace") {
            *slot = Value::Array(e.trace.clone());
        }
    }
    Ok(w)
}

pub(super) fn event_write(e: &Event, expected: Option<u64>) -> Result<Write> {
    let doc = serde_json::to_value(e).map_err(internal)?;
    let rec = indexed(Record::new(&e.idempotency_key, doc), Some(&e.rep_id), Some(&e.period), e.deal_id.as_deref());
    Ok(Write::put(Collection::Events, rec, expected))
}

pub(super) fn internal(e: impl std::fmt::Display) -> Error {
    Error::new(ErrorCode::InternalError, format!("stored data could not be read: {e}"))
}
