//! Ledger invariants (issue #10) over random sequences of deal upserts (owner changes and stage
//! flips included), deletions, manual reverses, statement approvals and reverts, adjustments,
//! true-ups and their decisions, mark-paid and recalculations (SPEC §12–§15, §18.11–§18.38):
//!
//! 1. every stored statement version's `netPayout` is the sum of its lines;
//! 2. outside locked keys (approved (rep, period), PAID), the live events equal a fresh
//!    calculation of the final snapshots — after every step, not only at the end;
//! 3. while a (rep, period) statement stays approved, neither the statement nor the lines it
//!    would hold change;
//! 4. every event mutation — a new event (calculated, true-up), an amount or held-result change,
//!    a status change (approve, revert, mark paid), any other field — gets a history row in the
//!    same step (SPEC §12), and history rows are never removed;
//! 5. every step that changes stored state appends at least one audit entry naming that step's
//!    workflow (upserts, owner changes, stage flips, deletions, reverses and recalculations:
//!    `orchestrator.ran`; approvals `statement.approved`; …), and the audit log is append-only
//!    (old entries never change);
//! 6. after a final full recalculation, every locked key's held result is the fresh amount
//!    (0.00 when the key is no longer computed).

use chrono::NaiveDate;
use compcode_core::api::simulate;
use compcode_core::ledger::{Event, LineStatus};
use compcode_core::memory::MemoryRepository;
use compcode_core::orchestrator::{Actor, Orchestrator, Statement};
use compcode_core::repository::{Collection, Query, Repository};
use compcode_core::ErrorCode;
use proptest::prelude::*;
use rust_decimal::Decimal;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone)]
enum Step {
    Upsert { deal: u8, owner: u8, amount: u32, day: u8, won: bool },
    Delete { deal: u8 },
    Reverse { deal: u8 },
    Approve { rep: u8, q2: bool },
    Revert { rep: u8, q2: bool },
    Adjust { rep: u8, q2: bool, cents: i32 },
    TrueUp { rep: u8 },
    Decide { approve: bool },
    MarkPaid { rep: u8 },
    Recalc,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        8 => (0u8..5, 0u8..2, 0u32..400_000, 0u8..85, prop::bool::weighted(0.8))
            .prop_map(|(deal, owner, amount, day, won)| Step::Upsert { deal, owner, amount, day, won }),
        1 => (0u8..5).prop_map(|deal| Step::Delete { deal }),
        1 => (0u8..5).prop_map(|deal| Step::Reverse { deal }),
        3 => (0u8..3, prop::bool::weighted(0.2)).prop_map(|(rep, q2)| Step::Approve { rep, q2 }),
        1 => (0u8..3, prop::bool::weighted(0.2)).prop_map(|(rep, q2)| Step::Revert { rep, q2 }),
        1 => (0u8..3, any::<bool>(), -50_000i32..50_000).prop_map(|(rep, q2, cents)| Step::Adjust { rep, q2, cents }),
        2 => (0u8..3).prop_map(|rep| Step::TrueUp { rep }),
        1 => any::<bool>().prop_map(|approve| Step::Decide { approve }),
        1 => (0u8..3).prop_map(|rep| Step::MarkPaid { rep }),
        1 => Just(Step::Recalc),
    ]
}

const REPS: [&str; 3] = ["r0", "r1", "mgr"];

fn at() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 4, 2).unwrap()
}

fn date(day: u8) -> String {
    (NaiveDate::from_ymd_opt(2026, 1, 1).unwrap() + chrono::Days::new(u64::from(day))).to_string()
}

fn period(q2: bool) -> &'static str {
    if q2 {
        "2026-Q2"
    } else {
        "2026-Q1"
    }
}

fn setup() -> Orchestrator<MemoryRepository> {
    let sys = Actor::System;
    let mut o = Orchestrator::new(MemoryRepository::new());
    for (id, mgr) in [("mgr", None), ("r0", Some("mgr")), ("r1", Some("mgr"))] {
        o.upsert_rep(&sys, json!({"id": id, "name": id, "managerId": mgr}), at()).unwrap();
    }
    o.create_plan(
        &sys,
        json!({"planId": "ae", "name": "AE", "effectiveStart": "2026-01-01", "config": {"rules": [
            {"name": "Commission", "measure": "closed_won_revenue", "tierMode": "marginal",
             "tiers": [{"tierIndex": 0, "name": "Base", "minThreshold": 0, "rate": "0.08"},
                       {"tierIndex": 1, "name": "Accel", "minThreshold": "1", "rate": "0.12"}]},
            {"name": "Bonus", "measure": "closed_won_revenue", "executionPhase": "periodic", "payoutBase": "1",
             "tiers": [{"tierIndex": 0, "name": "Hit", "minThreshold": "1", "flatAmount": "5000"}]},
            {"name": "Override", "measure": "closed_won_revenue", "executionPhase": "cascade", "dependsOn": "_total",
             "tiers": [{"tierIndex": 0, "name": "All", "minThreshold": 0, "rate": "0.05"}]}]}}),
        at(),
    )
    .unwrap();
    o.assign(&sys, json!({"repIds": ["mgr", "r0", "r1"], "planId": "ae", "effectiveStart": "2026-01-01"}), at())
        .unwrap();
    for rule in ["Commission", "Bonus"] {
        o.set_quota(
            &sys,
            json!({"repIds": ["r0", "r1"], "planId": "ae", "ruleName": rule, "period": "2026-Q1", "target": "500000"}),
            at(),
        )
        .unwrap();
    }
    o
}

/// Runs one step as the host; refusals the SPEC defines for the state at hand are fine.
fn apply(o: &mut Orchestrator<MemoryRepository>, s: &Step, known: &mut BTreeSet<u8>) -> Result<(), String> {
    let sys = Actor::System;
    let r = match s {
        Step::Upsert { deal, owner, amount, day, won } => {
            known.insert(*deal);
            let d = json!({"id": format!("D{deal}"), "name": format!("Deal {deal}"),
                           "stage": if *won { "closed_won" } else { "closed_lost" }, "amount": amount.to_string(),
                           "closeDate": date(*day), "ownerRepId": format!("r{owner}")});
            o.upsert_deal(&sys, d, at()).map(|_| ())
        }
        Step::Delete { deal } if known.contains(deal) => o.delete_deal(&sys, &format!("D{deal}"), at()).map(|_| ()),
        Step::Reverse { deal } if known.contains(deal) => o.reverse_deal(&sys, &format!("D{deal}"), at()).map(|_| ()),
        Step::Approve { rep, q2 } => {
            let (r, p) = (REPS[*rep as usize], period(*q2));
            o.generate_statement(&sys, r, p, at())
                .and_then(|_| o.set_statement_status(&sys, r, p, "approved", at()))
                .map(|_| ())
        }
        Step::Revert { rep, q2 } => {
            o.set_statement_status(&sys, REPS[*rep as usize], period(*q2), "draft", at()).map(|_| ())
        }
        Step::Adjust { rep, q2, cents } if *cents != 0 => {
            let amount = Decimal::new(i64::from(*cents), 2).to_string();
            o.adjust(&sys, REPS[*rep as usize], period(*q2), &json!(amount), "property test", at()).map(|_| ())
        }
        Step::TrueUp { rep } => o.true_up(&sys, REPS[*rep as usize], "2026-Q1", at()).map(|_| ()),
        Step::Decide { approve } => {
            let pending = o
                .repo()
                .list(Collection::TrueUps, &Query::all())
                .unwrap()
                .into_iter()
                .find(|r| r.doc["status"] == "requires_approval");
            match pending {
                Some(r) => o.decide_true_up(&sys, &r.id, *approve, at()).map(|_| ()),
                None => Ok(()),
            }
        }
        Step::MarkPaid { rep } => {
            let keys: Vec<String> = o
                .events(&sys, Some(REPS[*rep as usize]), None)
                .unwrap()
                .into_iter()
                .filter(|e| e.status == LineStatus::Approved)
                .map(|e| e.idempotency_key)
                .collect();
            o.mark_paid(&sys, &keys, at()).map(|_| ())
        }
        Step::Recalc => o.recalculate(&sys, None, at()).map(|_| ()),
        _ => Ok(()),
    };
    match r {
        Ok(()) => Ok(()),
        Err(e) if matches!(e.code(), ErrorCode::Conflict | ErrorCode::StatementLocked | ErrorCode::NotFound) => Ok(()),
        Err(e) => Err(format!("{s:?}: unexpected error {e}")),
    }
}

fn all_events(o: &Orchestrator<MemoryRepository>) -> BTreeMap<String, Event> {
    o.events(&Actor::System, None, None).unwrap().into_iter().map(|e| (e.idempotency_key.clone(), e)).collect()
}

fn approved(o: &Orchestrator<MemoryRepository>) -> BTreeMap<(String, String), Statement> {
    o.repo()
        .list(Collection::Statements, &Query::all())
        .unwrap()
        .into_iter()
        .map(|r| serde_json::from_value::<Statement>(r.doc).unwrap())
        .filter(|s| s.status == "approved")
        .map(|s| ((s.rep_id.clone(), s.period.clone()), s))
        .collect()
}

fn history_counts(o: &Orchestrator<MemoryRepository>) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for r in o.repo().list(Collection::History, &Query::all()).unwrap() {
        *out.entry(r.doc["idempotencyKey"].as_str().unwrap_or("").to_string()).or_default() += 1;
    }
    out
}

/// Every stored record but the audit log, to tell whether a step changed anything.
fn dump(o: &Orchestrator<MemoryRepository>) -> Vec<(Collection, String, Value)> {
    let mut out = Vec::new();
    for c in Collection::ALL {
        if c == Collection::Audit {
            continue;
        }
        for r in o.repo().list(c, &Query::all()).unwrap() {
            out.push((c, r.id, r.doc));
        }
    }
    out
}

fn is_calculated(e: &Event) -> bool {
    matches!(e.execution_phase.as_str(), "per_deal" | "periodic" | "cascade")
}

/// A fresh calculation on the stored snapshots: key → ((rep, period), amount).
fn fresh(o: &Orchestrator<MemoryRepository>) -> BTreeMap<String, ((String, String), Decimal)> {
    let out = simulate(&o.state_document(at()).unwrap()).unwrap();
    out.events
        .iter()
        .map(|e| (e.idempotency_key.clone(), ((e.rep_id.clone(), e.period.clone()), e.amount.parse().unwrap())))
        .collect()
}

fn check_after_step(o: &Orchestrator<MemoryRepository>, before: &Snapshot, s: &Step) -> Result<(), String> {
    let events = all_events(o);
    let locks = approved(o);
    // 1. statement totals
    for r in o.repo().list(Collection::Statements, &Query::all()).unwrap() {
        let st: Statement = serde_json::from_value(r.doc).unwrap();
        for v in &st.versions {
            let sum: Decimal = v.lines.iter().map(|l| l.amount).sum();
            if sum != v.net_payout {
                return Err(format!(
                    "{s:?}: statement {} {} v{} nets {} but its lines add to {sum}",
                    st.rep_id, st.period, v.version, v.net_payout
                ));
            }
        }
    }
    // 2. live = fresh outside locked keys. A key that still carries a held result from a time its
    // period was locked (a revert since) is applied by the next run that covers it, not by the
    // revert: such keys are compared after the final recalculation (invariant 6).
    let fresh = fresh(o);
    let locked = |e: &Event| {
        e.status == LineStatus::Paid || e.held.is_some() || locks.contains_key(&(e.rep_id.clone(), e.period.clone()))
    };
    let live: BTreeMap<&str, Decimal> = events
        .values()
        .filter(|e| is_calculated(e) && !locked(e) && e.status != LineStatus::Reversed)
        .map(|e| (e.idempotency_key.as_str(), e.amount))
        .collect();
    let locked_keys: BTreeSet<&str> =
        events.values().filter(|e| is_calculated(e) && locked(e)).map(|e| e.idempotency_key.as_str()).collect();
    let expected: BTreeMap<&str, Decimal> = fresh
        .iter()
        .filter(|(k, _)| !locked_keys.contains(k.as_str()))
        // a key whose freshly computed (rep, period) is approved is held, not written (§18.12)
        .filter(|(_, (rp, _))| !locks.contains_key(rp))
        .map(|(k, (_, v))| (k.as_str(), *v))
        .collect();
    if live != expected {
        return Err(format!(
            "{s:?}: live events differ from a fresh calculation\n live: {live:?}\nfresh: {expected:?}"
        ));
    }
    // 3. approved periods are frozen
    for (k, st) in &locks {
        if let Some((old_st, old_lines)) = before.approved.get(k) {
            if old_st != st {
                return Err(format!("{s:?}: the approved statement {k:?} changed"));
            }
            let lines = o.live_lines(&k.0, &k.1).unwrap();
            if &lines != old_lines {
                return Err(format!("{s:?}: the lines of approved {k:?} changed:\n{old_lines:?}\n→ {lines:?}"));
            }
        }
    }
    // 4. a history row for every event mutation, of any field, of any event kind
    let hist = history_counts(o);
    for (k, n) in &before.history {
        if hist.get(k).copied().unwrap_or(0) < *n {
            return Err(format!("{s:?}: history rows of {k} were removed"));
        }
    }
    for (k, e) in &events {
        if before.events.get(k) != Some(e)
            && hist.get(k).copied().unwrap_or(0) <= before.history.get(k).copied().unwrap_or(0)
        {
            return Err(format!(
                "{s:?}: event {k} changed without a history row:\n{:?}\n→ {e:?}",
                before.events.get(k)
            ));
        }
    }
    for k in before.events.keys() {
        if !events.contains_key(k) {
            return Err(format!("{s:?}: event {k} was removed (events are reversed, never deleted)"));
        }
    }
    // 5. audit: append-only, and every change is audited by the step's own workflow
    let log = o.audit_log(&Actor::System, None).unwrap();
    if log.len() < before.audit.len() || log[..before.audit.len()] != before.audit[..] {
        return Err(format!("{s:?}: the audit log was rewritten"));
    }
    if dump(o) != before.dump {
        let added: Vec<&str> = log[before.audit.len()..].iter().filter_map(|e| e["action"].as_str()).collect();
        let want = audit_actions(s);
        if !added.iter().any(|a| want.contains(a)) {
            return Err(format!("{s:?}: stored state changed without an audit entry of {want:?} (added: {added:?})"));
        }
    }
    Ok(())
}

/// The audit actions a step's workflow writes when it changes stored state.
fn audit_actions(s: &Step) -> &'static [&'static str] {
    match s {
        Step::Upsert { .. } | Step::Delete { .. } | Step::Reverse { .. } | Step::Recalc => &["orchestrator.ran"],
        Step::Approve { .. } => &["statement.generated", "statement.approved"],
        Step::Revert { .. } => &["statement.reverted"],
        Step::Adjust { .. } => &["statement.adjusted"],
        Step::TrueUp { .. } => &["statement.true_up"],
        Step::Decide { .. } => &["true_up.approved", "true_up.rejected"],
        Step::MarkPaid { .. } => &["line.status_changed"],
    }
}

struct Snapshot {
    events: BTreeMap<String, Event>,
    history: BTreeMap<String, usize>,
    approved: BTreeMap<(String, String), (Statement, Vec<compcode_core::orchestrator::StatementLine>)>,
    audit: Vec<Value>,
    dump: Vec<(Collection, String, Value)>,
}

fn snapshot(o: &Orchestrator<MemoryRepository>) -> Snapshot {
    Snapshot {
        events: all_events(o),
        history: history_counts(o),
        approved: approved(o)
            .into_iter()
            .map(|(k, st)| {
                let lines = o.live_lines(&k.0, &k.1).unwrap();
                (k, (st, lines))
            })
            .collect(),
        audit: o.audit_log(&Actor::System, None).unwrap(),
        dump: dump(o),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn ledger_invariants_hold_after_every_step(steps in prop::collection::vec(step(), 1..18)) {
        let mut o = setup();
        let mut known = BTreeSet::new();
        for s in &steps {
            let before = snapshot(&o);
            if let Err(e) = apply(&mut o, s, &mut known) {
                prop_assert!(false, "{}", e);
            }
            if let Err(e) = check_after_step(&o, &before, s) {
                prop_assert!(false, "after {:?}:\n{}", steps, e);
            }
        }
        // 6. a full recalculation brings every held result up to date, and every unlocked key to
        // its fresh amount
        o.recalculate(&Actor::System, None, at()).unwrap();
        let fresh = fresh(&o);
        let locks = approved(&o);
        let is_locked = |e: &Event| e.status == LineStatus::Paid || locks.contains_key(&(e.rep_id.clone(), e.period.clone()));
        let events = all_events(&o);
        let live: BTreeMap<&str, Decimal> = events.values()
            .filter(|e| is_calculated(e) && !is_locked(e) && e.status != LineStatus::Reversed)
            .map(|e| (e.idempotency_key.as_str(), e.amount)).collect();
        let locked_keys: BTreeSet<&str> = events.values().filter(|e| is_calculated(e) && is_locked(e))
            .map(|e| e.idempotency_key.as_str()).collect();
        let expected: BTreeMap<&str, Decimal> = fresh.iter()
            .filter(|(k, (rp, _))| !locked_keys.contains(k.as_str()) && !locks.contains_key(rp))
            .map(|(k, (_, v))| (k.as_str(), *v)).collect();
        prop_assert_eq!(live, expected, "after the final recalculation of {:?}", steps);
        for e in events.values().filter(|e| is_calculated(e)) {
            if !is_locked(e) {
                continue;
            }
            let want = fresh.get(&e.idempotency_key).map(|f| f.1).unwrap_or_default();
            let held = e.held.as_ref().map(|h| h.amount);
            prop_assert_eq!(held, Some(want), "held result of locked key {} after {:?}", e.idempotency_key, steps);
        }
    }
}

/// SPEC §12: "every mutation appends a history row". Runs always did (written, updated,
/// reversed, locked, clawback); true-up lines and approve / revert / mark-paid status changes
/// used to write none (fixed: change `true_up` / `status`, outcome the workflow).
#[test]
fn every_event_mutation_has_a_history_row() {
    let sys = Actor::System;
    let mut o = setup();
    let deal = |amount: &str| json!({"id": "D1", "stage": "closed_won", "amount": amount, "closeDate": "2026-02-01", "ownerRepId": "r0"});
    o.upsert_deal(&sys, deal("100000"), at()).unwrap();
    let key = "[\"D1\",\"r0\",\"ae\",\"Commission\"]";
    let rows = |o: &Orchestrator<MemoryRepository>, k: &str| o.event_history(&sys, k).unwrap().len();
    assert_eq!(rows(&o, key), 1, "written");
    o.generate_statement(&sys, "r0", "2026-Q1", at()).unwrap();
    o.set_statement_status(&sys, "r0", "2026-Q1", "approved", at()).unwrap();
    assert_eq!(all_events(&o)[key].status, LineStatus::Approved);
    assert_eq!(rows(&o, key), 2, "PENDING → APPROVED has a history row");
    let last = |o: &Orchestrator<MemoryRepository>, k: &str| {
        let r = o.event_history(&sys, k).unwrap().pop().unwrap();
        (r.change, r.outcome, r.old_amount, r.new_amount)
    };
    let (change, outcome, old, new) = last(&o, key);
    assert_eq!((change.as_str(), outcome.as_str()), ("status", "statement_approved"));
    assert_eq!(old, new, "a status change keeps the amount");
    o.set_statement_status(&sys, "r0", "2026-Q1", "draft", at()).unwrap();
    assert_eq!(rows(&o, key), 3, "APPROVED → PENDING has a history row");
    assert_eq!(last(&o, key).1, "statement_reverted");
    o.generate_statement(&sys, "r0", "2026-Q1", at()).unwrap();
    o.set_statement_status(&sys, "r0", "2026-Q1", "approved", at()).unwrap();
    assert_eq!(rows(&o, key), 4);
    o.upsert_deal(&sys, deal("200000"), at()).unwrap();
    assert_eq!(rows(&o, key), 5, "the held result of the locked key has a history row");
    let tu = o.true_up(&sys, "r0", "2026-Q1", at()).unwrap();
    assert!(!tu.lines.is_empty());
    for l in &tu.lines {
        assert_eq!(rows(&o, &l.idempotency_key), 1, "the true-up line {} has a history row", l.idempotency_key);
        let (change, outcome, old, new) = last(&o, &l.idempotency_key);
        assert_eq!((change.as_str(), outcome.as_str(), old, new), ("true_up", "true_up", None, Some(l.amount)));
    }
    o.mark_paid(&sys, &[key.to_string()], at()).unwrap();
    assert_eq!(all_events(&o)[key].status, LineStatus::Paid);
    assert_eq!(rows(&o, key), 6, "APPROVED → PAID has a history row");
    assert_eq!(last(&o, key).1, "mark_paid");
}
