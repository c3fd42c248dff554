//! Incremental deal runs (issue #9): a deal run calculates only the deals that can change the
//! lines of its scope, and parses only the stored events of its scope.
//!
//! A deal run's scope (SPEC §12, `RunScope::Deal`) is: the (rep, plan, rule, period) groups of the
//! deal's per_deal lines, stored or computed; the periodic lines of those groups' reps over the
//! deal's periods; the cascade lines whose source rep is one of them over those periods; the
//! Spark override lines of the deal. Every one of these lines is a function of its reps' credited
//! deals only (per_deal and periodic groups are per credited rep; a cascade's base is its source
//! rep's own non-cascade lines or credited deals; a Spark override reads its own deal), of the
//! assignments, quotas and overrides of its reps and of the managers it pays, and of the records
//! read whole (settings, reps, plans, draws, FX rates).
//!
//! So a deal run:
//! 1. reads the reps of the deal's stored per_deal events (the `dealId` index) and the reps the
//!    new snapshot may credit (its credits' `repId`, `ownerRepId`, a rep with its `ownerCrmId`, a
//!    rep with its `ownerEmail`, case-insensitively) — a superset of the reps of its groups — and
//!    the "receivers": those reps and every manager up to 64 levels above them;
//! 2. builds the calculation document with every rep, the assignments, quotas and overrides of the
//!    receivers, the stored deals that may credit one of the reps (by the same superset test, so
//!    every deal that does credit one is kept; a deal kept needlessly only adds lines outside the
//!    scope) and, when every rule dates its lines by `closeDate` (no `creditDateField`, payout
//!    schedule or rate table), that close inside the widest period around the deal's dates (see
//!    [`date_window`]), and the run's snapshot — a stored deal whose document the previous deal
//!    run read already is taken typed from [`cache`], the others are read with the document;
//! 3. calculates, keeps the computed lines of the scope (the same test as a full run), and scans
//!    the stored events of the receivers (the `repId` index) by reference, parsing only those of
//!    the scope — without their traces; the changed keys' traces are fetched by key afterwards —
//!    plus the clawbacks and true-ups (the corrections of the locks). A calculated line of
//!    another deal in a period the scope cannot hold is passed over after reading three fields.
//!    Reconcile compares events without traces (it never reads them): only the computed events
//!    it writes get theirs.
//!
//! The output — events written, history rows, audit entries, the counters, the change set — is
//! the full calculation's: `tests::incremental_deal_runs_match_full_runs` runs random upserts,
//! deletions, reversals, statement approvals and payments both ways (`Orchestrator::exhaustive`)
//! and compares every stored record and report. A stored per_deal event of the deal whose rep
//! the first step did not see (a store whose `dealId` index misses it) makes the run fall back to
//! the full calculation.
//!
//! A run whose document or calculation fails (an invalid snapshot, a currency conflict) is run
//! again in full, so it fails with the full run's error (whose paths count every stored deal).
//! Differences only on a store that a full run could not read at all: a stored deal that no
//! longer validates, an event that no longer parses, or a currency conflict in another rep's group
//! fails every full run; a deal run that does not read it succeeds.

use super::runs::{internal, is_calculated, landing_period, parse_event, skipped_reasons, RunPart};
use super::{plan_for_calc, s, Orchestrator};
use crate::calc::calculate;
use crate::error::Result;
use crate::hash::{HashMap, HashSet};
use crate::ledger::{attach_trace, reconcile, untraced_events, ChangeSet, Event};
use crate::model::{CalcDoc, Deal};
use crate::period::{parse_date, Period, PeriodKind};
use crate::repository::{Collection, Query, Repository};
use crate::validate::read_document;
use chrono::NaiveDate;
use serde::de::value::MapDeserializer;
use serde_json::{json, Value};
use std::collections::BTreeSet;

impl<R: Repository> Orchestrator<R> {
    /// The change set of a deal run on the deals and stored events it can change (see the module
    /// docs); `None` when the store's `dealId` index missed one of the deal's events, or the
    /// restricted document or calculation failed (the caller then calculates everything).
    pub(super) fn deal_part(&self, id: &str, snap: &Value, at: NaiveDate) -> Result<Option<RunPart>> {
        // 1. the reps of the deal's stored per_deal events and the reps the snapshot may credit
        let mut stored_deal_lines: Vec<[String; 5]> = Vec::new();
        let by_deal = Query { deal_id: Some(id.to_string()), ..Query::all() };
        self.repo.scan(Collection::Events, &by_deal, &mut |r| {
            let parsed;
            let v = match EventView::of_doc(&r.doc) {
                Some(v) => v,
                None => {
                    parsed = parse_event(&r.doc)?;
                    EventView::of(&parsed)
                }
            };
            if v.deal_id == Some(id) && v.phase == "per_deal" {
                stored_deal_lines.push([
                    v.rep_id.into(),
                    v.plan_id.into(),
                    v.rule_name.into(),
                    v.period.into(),
                    v.credit_date.into(),
                ]);
            }
            Ok(())
        })?;
        let mut reps: HashSet<String> = stored_deal_lines.iter().map(|l| l[0].clone()).collect();
        let rep_docs = self.docs(Collection::Reps)?;
        for r in &rep_docs {
            let Some(rid) = id_text(r.get("id").unwrap_or(&Value::Null)) else { return Ok(None) };
            let may = match CreditMatcher::new(std::slice::from_ref(r), &|_| true) {
                Some(m) => m.may_credit(snap),
                None => true,
            };
            if may {
                reps.insert(rid);
            }
        }
        let Some(matcher) = CreditMatcher::new(&rep_docs, &|rid| reps.contains(rid)) else { return Ok(None) };
        // the reps whose events can be in the scope: those reps and everyone above them (a
        // cascade pays a manager up to 64 levels up, SPEC §8.3)
        let manager_of: HashMap<String, String> =
            rep_docs.iter().filter_map(|r| Some((id_text(r.get("id")?)?, id_text(r.get("managerId")?)?))).collect();
        let mut receivers: HashSet<String> = reps.clone();
        for r in &reps {
            let mut cur = r;
            for _ in 0..64 {
                let Some(m) = manager_of.get(cur) else { break };
                receivers.insert(m.clone());
                cur = m;
            }
        }

        // 2. the calculation document of the deals that may credit them (and, in a workspace
        // whose lines are all dated by `closeDate`, close in the scope's periods), and the run's
        // snapshot; every rep, the assignments, quotas and overrides of the receivers only
        let mut state = self.deal_document(at, rep_docs, &|rec| match rec.get("repId").and_then(id_text) {
            Some(r) => receivers.contains(&r),
            None => true,
        })?;
        // the settings and the rules, read alone (no reps, no deals: cheap)
        let rules_only = json!({"asOf": state["asOf"], "settings": state["settings"],
                                            "plans": state["plans"], "reps": [], "deals": []});
        let dates =
            stored_deal_lines.iter().map(|l| l[4].as_str()).chain(snap.get("closeDate").and_then(Value::as_str));
        let window = read_document(&rules_only).ok().and_then(|doc| date_window(&doc, dates));
        let in_window = |d: &Value| match &window {
            Some(w) => w.may_hold(d),
            None => true,
        };
        // a stored deal whose document the last run read already is taken typed from the cache
        // (see `cache`); the others are read with the snapshot, in the document
        let mut cache = self.deal_cache.take();
        let mut slots: Vec<(String, Option<(Value, Deal)>)> = Vec::new();
        let mut deals = Vec::new();
        self.repo.scan(Collection::Deals, &Query::all(), &mut |r| {
            let d = &r.doc;
            // the date test first: the cheaper one (a deal outside the window is not read further)
            if s(d, "id") != Some(id) && in_window(d) && matcher.may_credit(d) {
                match cache.remove(&r.id) {
                    Some(hit) if hit.0 == *d => slots.push((r.id.clone(), Some(hit))),
                    _ => {
                        deals.push(d.clone());
                        slots.push((r.id.clone(), None));
                    }
                }
            }
            Ok(())
        })?;
        drop(cache);
        deals.push(snap.clone());
        state["deals"] = Value::Array(deals);
        // a document or calculation that fails (an invalid snapshot, say) fails as the full run
        // does: with its error, whose paths count every stored deal
        let Ok(mut doc) = read_document(&state) else { return Ok(None) };
        // the deals in the document's order: the stored ones by record id, then the snapshot
        let Value::Array(read_docs) = state["deals"].take() else { return Ok(None) };
        let read = std::mem::take(&mut doc.deals);
        if read.len() != read_docs.len() {
            return Ok(None);
        }
        let mut read = read.into_iter().zip(read_docs);
        let mut sources: Vec<(String, Value)> = Vec::with_capacity(slots.len() + 1);
        for (rid, hit) in slots {
            let Some((v, deal)) = hit.or_else(|| read.next().map(|(deal, v)| (v, deal))) else { return Ok(None) };
            doc.deals.push(deal);
            sources.push((rid, v));
        }
        let Some((deal, v)) = read.next() else { return Ok(None) };
        doc.deals.push(deal);
        sources.push((id.to_string(), v));
        // the reader's one check across deals: no id twice (else the full run reports it)
        let mut ids = HashSet::with_capacity_and_hasher(doc.deals.len(), Default::default());
        if !doc.deals.iter().all(|d| ids.insert(d.id.as_str())) {
            return Ok(None);
        }
        drop(ids);
        let fy = doc.settings.fiscal_year_start_month;
        let Ok(calc) = calculate(&doc) else { return Ok(None) };

        // 3. the scope: the groups of the deal's lines, stored and computed
        let mut scope = DealScope::new(id, fy);
        let computed = untraced_events(&doc, &calc);
        for (_, e) in &computed {
            scope.add(&EventView::of(e));
        }
        for [rep, plan, rule, period, date] in &stored_deal_lines {
            scope.add(&EventView {
                phase: "per_deal",
                deal_id: Some(id),
                rep_id: rep,
                plan_id: plan,
                rule_name: rule,
                period,
                source_rep_id: None,
                credit_date: date,
            });
        }
        // without their traces: reconcile never compares traces, and only the keys it writes
        // get theirs (see `attach_computed_traces`)
        let mut line_of: HashMap<String, usize> = HashMap::default();
        let fresh: Vec<Event> = computed
            .into_iter()
            .filter(|(_, e)| is_calculated(e) && scope.contains(&EventView::of(e)))
            .map(|(i, e)| {
                line_of.insert(e.idempotency_key.clone(), i);
                e
            })
            .collect();
        let fresh_keys: HashSet<&str> = fresh.iter().map(|e| e.idempotency_key.as_str()).collect();

        // the stored events of the scope, the corrections, the versions of the keys written
        let mut existing: Vec<Event> = Vec::new();
        let mut corrections: Vec<Event> = Vec::new();
        let mut versions: HashMap<String, u64> = HashMap::default();
        let mut missed = false;
        self.repo.scan(Collection::Events, &Query::all(), &mut |r| {
            if r.rep_id.as_ref().is_some_and(|rep| !receivers.contains(rep)) {
                return Ok(()); // the rep index says: another rep's event
            }
            // a calculated line of another deal in a period the scope cannot hold (most of a
            // rep's lines): three fields tell, and only its version may be needed (a key of the
            // scope computed again in another period, its per_deal key having no period)
            let doc = &r.doc;
            if let (Some(phase), Some(period), Some(deal)) =
                (s(doc, "executionPhase"), s(doc, "period"), opt_str(doc, "dealId"))
            {
                if is_calculated_phase(phase) && deal != Some(id) && !scope.may_hold_period(period) {
                    let key = s(doc, "idempotencyKey").unwrap_or(&r.id);
                    if fresh_keys.contains(key) {
                        versions.insert(key.to_string(), r.version);
                    }
                    return Ok(());
                }
            }
            let parsed;
            let v = match EventView::of_doc(&r.doc) {
                Some(v) => v,
                None => {
                    parsed = parse_event(&r.doc)?;
                    EventView::of(&parsed)
                }
            };
            if scope.is_deal_line(&v) && !scope.has_group(&v) {
                missed = true; // the `dealId` index did not list it
            }
            let key = s(&r.doc, "idempotencyKey").unwrap_or(&r.id);
            if fresh_keys.contains(key) {
                versions.insert(key.to_string(), r.version);
            }
            match v.phase {
                "clawback" | "true_up" => corrections.push(parse_event(&r.doc)?),
                _ if is_calculated_phase(v.phase) && scope.contains(&v) => {
                    let e = parse_untraced(&r.doc)?;
                    versions.insert(e.idempotency_key.clone(), r.version);
                    existing.push(e);
                }
                _ => {}
            }
            Ok(())
        })?;
        if missed {
            return Ok(None);
        }
        let mut locks = self.locks_of(&mut corrections.iter(), at)?;
        // the run's own snapshot decides its cancellation date (SPEC §18.10), not the stored one
        let sid = match snap.get("id") {
            Some(Value::Number(n)) => n.to_string(),
            _ => s(snap, "id").unwrap_or("").to_string(),
        };
        match snap["fields"].get("cancelledAt").and_then(Value::as_str).and_then(|t| parse_date(t, true)) {
            Some(c) => locks.cancelled_at.insert(sid, c),
            None => locks.cancelled_at.remove(&sid),
        };
        let landing = |e: &Event| landing_period(e, at, fy, &locks);
        let mut changes = reconcile(&existing, &fresh, &locks, &landing);
        attach_computed_traces(&mut changes, &calc, &line_of);
        self.attach_stored_traces(&mut changes)?;
        let skipped = skipped_reasons(id, &fresh, &doc, &calc);
        let deals = std::mem::take(&mut doc.deals);
        self.deal_cache.put(sources.into_iter().zip(deals).map(|((rid, v), deal)| (rid, (v, deal))).collect());
        Ok(Some(RunPart { changes, versions, skipped }))
    }

    /// The calculation document of a deal run, without deals: the workspace as
    /// [`Self::state_document`] reads it, with every rep (`reps`) but only the assignments, quotas
    /// and rep overrides that `keep` accepts (the others are never copied).
    fn deal_document(&self, at: NaiveDate, reps: Vec<Value>, keep: &dyn Fn(&Value) -> bool) -> Result<Value> {
        let settings = self.repo.get(Collection::Settings, "settings")?.map(|r| r.doc).unwrap_or(json!({}));
        let (settings, draws, fx) = crate::draws::split_workspace_settings(&settings);
        let plans: Vec<Value> = self.docs(Collection::Plans)?.into_iter().map(plan_for_calc).collect();
        let mut doc = json!({"asOf": at.to_string()});
        doc["settings"] = settings;
        doc["reps"] = Value::Array(reps);
        doc["plans"] = Value::Array(plans);
        for (key, c) in [
            ("assignments", Collection::Assignments),
            ("quotas", Collection::Quotas),
            ("repOverrides", Collection::Overrides),
        ] {
            let mut list = Vec::new();
            self.repo.scan(c, &Query::all(), &mut |r| {
                if keep(&r.doc) {
                    list.push(r.doc.clone());
                }
                Ok(())
            })?;
            doc[key] = Value::Array(list);
        }
        doc["deals"] = json!([]);
        if let Some(d) = draws {
            doc["draws"] = d;
        }
        if let Some(f) = fx {
            doc["fxRates"] = f;
        }
        Ok(doc)
    }

    /// Gives the stored events of a change set (read without their traces) their stored traces:
    /// every change's `old`, and the `new` of a reversed or locked key (reconcile builds those
    /// from the stored event; an updated key's `new` is the computed event, with its own trace).
    fn attach_stored_traces(&self, changes: &mut ChangeSet) -> Result<()> {
        let mut want: HashMap<String, Option<Vec<Value>>> = HashMap::default();
        for c in changes.updated.iter().chain(&changes.reversed).chain(&changes.locked) {
            if c.old.is_some() {
                want.insert(c.key.clone(), None);
            }
        }
        if want.is_empty() {
            return Ok(());
        }
        if want.len() < BY_KEY_BELOW {
            // by key (a store indexes its ids), not by listing every event
            for (key, slot) in want.iter_mut() {
                if let Some(r) = self.repo.get(Collection::Events, key)? {
                    *slot = Some(trace_of(r.doc)?);
                }
            }
        } else {
            // many keys (a change early in a marginal-tier group moves every later line): the
            // same records, by id, lent by one pass instead of copied whole by a `get` each
            self.repo.scan(Collection::Events, &Query::all(), &mut |r| {
                if let Some(slot @ None) = want.get_mut(r.id.as_str()) {
                    *slot = Some(trace_of_ref(&r.doc)?);
                }
                Ok(())
            })?;
        }
        if want.values().any(Option::is_none) {
            // a record whose id is not its key: find it by its key
            self.repo.scan(Collection::Events, &Query::all(), &mut |r| {
                let key = s(&r.doc, "idempotencyKey").unwrap_or(&r.id);
                if let Some(slot @ None) = want.get_mut(key) {
                    *slot = Some(trace_of(r.doc.clone())?);
                }
                Ok(())
            })?;
        }
        let mut take = |key: &str| want.get_mut(key).and_then(Option::take).unwrap_or_default();
        for c in &mut changes.updated {
            if let Some(old) = &mut c.old {
                old.trace = take(&c.key);
            }
        }
        for c in changes.reversed.iter_mut().chain(changes.locked.iter_mut()) {
            if let Some(old) = &mut c.old {
                let trace = take(&c.key);
                c.new.trace = trace.clone();
                old.trace = trace;
            }
        }
        Ok(())
    }
}

/// Gives the computed events of a change set (reconciled without their traces) their traces:
/// exactly the events [`reconcile`] copies from a computed event — a written or updated key's
/// `new`, a locked new key's placeholder and every held computed event. (`line_of`: the line of
/// each computed key.)
fn attach_computed_traces(changes: &mut ChangeSet, calc: &crate::calc::Calculation, line_of: &HashMap<String, usize>) {
    for c in changes.written.iter_mut().chain(changes.updated.iter_mut()) {
        if let Some(&i) = line_of.get(&c.key) {
            attach_trace(calc, i, &mut c.new);
        }
    }
    for c in &mut changes.locked {
        let Some(&i) = line_of.get(&c.key) else { continue };
        if c.old.is_none() {
            attach_trace(calc, i, &mut c.new);
        }
        if let Some(ev) = c.new.held.as_mut().and_then(|h| h.event.as_mut()) {
            attach_trace(calc, i, ev);
        }
    }
}

/// From how many changed keys [`Orchestrator::attach_stored_traces`] reads the stored events in
/// one pass rather than one `get` per key.
const BY_KEY_BELOW: usize = 32;

/// [`trace_of`] of a borrowed document (only the trace is copied).
fn trace_of_ref(doc: &Value) -> Result<Vec<Value>> {
    match doc.get("trace") {
        None => Ok(Vec::new()),
        Some(Value::Array(t)) => Ok(t.clone()),
        Some(t) => serde_json::from_value(t.clone()).map_err(internal),
    }
}

/// A stored event's trace (as [`parse_event`] reads it).
fn trace_of(mut doc: Value) -> Result<Vec<Value>> {
    match doc.get_mut("trace").map(Value::take) {
        None => Ok(Vec::new()),
        Some(Value::Array(t)) => Ok(t),
        Some(t) => serde_json::from_value(t).map_err(internal),
    }
}

/// A stored event without its trace (left empty): the attributes reconcile compares.
fn parse_untraced(doc: &Value) -> Result<Event> {
    let Some(obj) = doc.as_object() else { return parse_event(doc) };
    let fields = obj.iter().filter(|(k, _)| k.as_str() != "trace").map(|(k, v)| (k.as_str(), v));
    <Event as serde::Deserialize>::deserialize(MapDeserializer::<_, serde_json::Error>::new(fields)).map_err(internal)
}

/// The dates a deal run's lines can read deals from, when every rule of every plan dates its
/// lines by the deal's `closeDate` (no `creditDateField`, no payout schedule, no rate table or
/// milestones): from the start to the end of the widest period, of any kind a rule uses, that
/// contains a date of the deal's lines (the stored lines' credit dates, the snapshot's
/// `closeDate`). Every line of the scope is in such a period — a per_deal or periodic group's
/// period, a cascade's period covering one of the deal's dates — and reads only lines and deals
/// dated inside its own period (a cascade buckets its source's lines by their date: a per_deal
/// line's credit date, a periodic line's last day, whose period then contains the cascade's or
/// is contained in it). `None`: no date restriction.
fn date_window<'a>(doc: &CalcDoc, dates: impl Iterator<Item = &'a str>) -> Option<DateWindow> {
    let rules = || doc.plans.iter().flat_map(|p| p.versions.iter()).flat_map(|v| v.config.rules.iter());
    let simple = rules().all(|r| {
        r.credit_date_field.is_none()
            && r.payout_schedule.is_empty()
            && r.rate_table.is_none()
            && r.milestones.is_empty()
    });
    if !simple {
        return None;
    }
    let fy = doc.settings.fiscal_year_start_month;
    let kinds: BTreeSet<PeriodKind> = rules().map(|r| r.period_kind).collect();
    let dates: Vec<NaiveDate> = dates.filter_map(|d| parse_date(d, true)).collect();
    let mut w: Option<(NaiveDate, NaiveDate)> = None;
    for d in &dates {
        for k in &kinds {
            let p = Period::containing(*d, *k, fy);
            let (from, to) = (p.start(fy), p.end(fy));
            w = Some(match w {
                None => (from, to),
                Some((a, b)) => (a.min(from), b.max(to)),
            });
        }
    }
    Some(DateWindow(w))
}

/// A half-open date range (`None`: empty).
struct DateWindow(Option<(NaiveDate, NaiveDate)>);

impl DateWindow {
    /// False only for a deal whose `closeDate` reads as a date outside the range.
    fn may_hold(&self, deal: &Value) -> bool {
        match deal.get("closeDate").and_then(Value::as_str).and_then(|t| parse_date(t, true)) {
            Some(d) => self.0.is_some_and(|(from, to)| from <= d && d < to),
            None => true,
        }
    }
}

fn is_calculated_phase(phase: &str) -> bool {
    matches!(phase, "per_deal" | "periodic" | "cascade")
}

/// The attributes a run's scope reads, borrowed from an [`Event`] or a stored event's document.
pub(super) struct EventView<'a> {
    pub phase: &'a str,
    pub deal_id: Option<&'a str>,
    pub rep_id: &'a str,
    pub plan_id: &'a str,
    pub rule_name: &'a str,
    pub period: &'a str,
    pub source_rep_id: Option<&'a str>,
    pub credit_date: &'a str,
}

impl<'a> EventView<'a> {
    pub fn of(e: &'a Event) -> Self {
        EventView {
            phase: &e.execution_phase,
            deal_id: e.deal_id.as_deref(),
            rep_id: &e.rep_id,
            plan_id: &e.plan_id,
            rule_name: &e.rule_name,
            period: &e.period,
            source_rep_id: e.source_rep_id.as_deref(),
            credit_date: &e.credit_date,
        }
    }

    /// The view of a stored event's document; `None` when a field does not have the type an
    /// [`Event`] reads (the caller then parses it, and reports what is wrong).
    pub fn of_doc(doc: &'a Value) -> Option<Self> {
        let opt = opt_str;
        Some(EventView {
            phase: s(doc, "executionPhase")?,
            deal_id: opt(doc, "dealId")?,
            rep_id: s(doc, "repId")?,
            plan_id: s(doc, "planId")?,
            rule_name: s(doc, "ruleName")?,
            period: s(doc, "period")?,
            source_rep_id: opt(doc, "sourceRepId")?,
            credit_date: s(doc, "creditDate")?,
        })
    }
}

/// An optional string field as an [`Event`] reads it (`None`: not a string).
fn opt_str<'v>(doc: &'v Value, key: &str) -> Option<Option<&'v str>> {
    match doc.get(key) {
        None | Some(Value::Null) => Some(None),
        Some(Value::String(t)) => Some(Some(t)),
        Some(_) => None,
    }
}

/// The scope of a deal run: the test of `RunScope::Deal` (see the module docs).
pub(super) struct DealScope {
    deal_id: String,
    fy: u32,
    /// (rep, plan, rule, period); a deal has few groups, and a lookup by borrowed parts
    /// allocates nothing (it runs for every stored event of the receivers)
    groups: Vec<[String; 4]>,
    reps: HashSet<String>,
    dates: Vec<NaiveDate>,
}

impl DealScope {
    pub fn new(deal_id: &str, fy: u32) -> Self {
        DealScope { deal_id: deal_id.to_string(), fy, groups: Vec::new(), reps: HashSet::default(), dates: Vec::new() }
    }

    /// True for a per_deal line of the run's deal (its group is in the scope).
    pub fn is_deal_line(&self, v: &EventView<'_>) -> bool {
        v.deal_id == Some(self.deal_id.as_str()) && v.phase == "per_deal"
    }

    /// Adds a per_deal line of the deal (stored or computed): its group and its date.
    pub fn add(&mut self, v: &EventView<'_>) {
        if self.is_deal_line(v) {
            if !self.has_group(v) {
                self.groups.push([v.rep_id.into(), v.plan_id.into(), v.rule_name.into(), v.period.into()]);
            }
            self.reps.insert(v.rep_id.to_string());
            self.dates.extend(parse_date(v.credit_date, false));
        }
    }

    /// True when the group of a per_deal line of the deal is in the scope.
    pub fn has_group(&self, v: &EventView<'_>) -> bool {
        self.reps.contains(v.rep_id)
            && self
                .groups
                .iter()
                .any(|[r, p, n, d]| r == v.rep_id && p == v.plan_id && n == v.rule_name && d == v.period)
    }

    /// False only when [`Self::contains`] is false for every per_deal, periodic or cascade line
    /// of `period` that is not one of the run's deal (neither a group's period nor a period
    /// covering one of the deal's dates).
    pub fn may_hold_period(&self, period: &str) -> bool {
        self.groups.iter().any(|g| g[3] == period) || self.covers(period)
    }

    /// True when the period contains one of the deal's dates.
    fn covers(&self, period: &str) -> bool {
        Period::parse(period).is_some_and(|p| self.dates.iter().any(|d| p.start(self.fy) <= *d && *d < p.end(self.fy)))
    }

    /// True when the line is in the scope.
    pub fn contains(&self, v: &EventView<'_>) -> bool {
        let covers = || self.covers(v.period);
        match v.phase {
            "per_deal" => self.has_group(v),
            "periodic" => self.reps.contains(v.rep_id) && covers(),
            // a Spark override line belongs to its sale (SPEC §18.9)
            "cascade" if v.deal_id.is_some() => v.deal_id == Some(self.deal_id.as_str()),
            "cascade" => v.source_rep_id.is_some_and(|s| self.reps.contains(s)) && covers(),
            _ => false,
        }
    }
}

/// An id as the document reader reads it: a string, or an integer written as its text.
fn id_text(v: &Value) -> Option<String> {
    match v {
        Value::String(t) => Some(t.clone()),
        Value::Number(n) if n.is_i64() || n.is_u64() => Some(n.to_string()),
        _ => None,
    }
}

/// Which deal documents may credit one of a set of reps: a superset test (a value it cannot
/// read says "may").
pub(super) struct CreditMatcher {
    ids: HashSet<String>,
    crm_ids: HashSet<String>,
    emails: HashSet<String>,
}

impl CreditMatcher {
    /// The matcher of the reps (documents) whose id passes `keep`; `None` when a rep's id cannot
    /// be read (then no deal can be left out).
    pub fn new(reps: &[Value], keep: &dyn Fn(&str) -> bool) -> Option<Self> {
        let mut m = CreditMatcher { ids: HashSet::default(), crm_ids: HashSet::default(), emails: HashSet::default() };
        for r in reps {
            let id = id_text(r.get("id").unwrap_or(&Value::Null))?;
            if !keep(&id) {
                continue;
            }
            for c in r.get("crmIds").and_then(Value::as_array).into_iter().flatten() {
                m.crm_ids.insert(id_text(c)?);
            }
            match r.get("email") {
                None | Some(Value::Null) => {}
                Some(Value::String(e)) => {
                    m.emails.insert(e.to_lowercase());
                }
                Some(_) => return None,
            }
            m.ids.insert(id);
        }
        Some(m)
    }

    /// True when the deal may credit one of the reps.
    pub fn may_credit(&self, deal: &Value) -> bool {
        let Some(obj) = deal.as_object() else { return true };
        // a string id is looked up as it is (no copy: this runs for every stored deal)
        let hit = |v: Option<&Value>, set: &HashSet<String>| match v {
            None | Some(Value::Null) => false,
            Some(Value::String(t)) => set.contains(t.as_str()),
            Some(v) => match id_text(v) {
                Some(t) => set.contains(&t),
                None => true,
            },
        };
        match obj.get("credits") {
            None | Some(Value::Null) => {}
            Some(Value::Array(list)) => {
                if list.iter().any(|c| hit(Some(c.get("repId").unwrap_or(&Value::Bool(false))), &self.ids)) {
                    return true;
                }
            }
            Some(_) => return true,
        }
        if hit(obj.get("ownerRepId"), &self.ids) || hit(obj.get("ownerCrmId"), &self.crm_ids) {
            return true;
        }
        match obj.get("ownerEmail") {
            None | Some(Value::Null) => false,
            Some(Value::String(e)) => self.emails.contains(&e.to_lowercase()),
            Some(_) => true,
        }
    }
}

pub(super) mod cache;
#[cfg(test)]
mod tests;
