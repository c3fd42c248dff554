//! The conformance suite every [`Repository`] implementation must pass, and the seed's operator
//! recipes as end-to-end scenarios over any store. `MemoryRepository` runs it in this crate's
//! tests; `compcode-sqlite` runs the same functions; a host can run it on its own store:
//!
//! ```
//! compcode_core::conformance::run_all(|| compcode_core::memory::MemoryRepository::new()).unwrap();
//! ```
//!
//! Each check returns `Err` with a description instead of panicking, so a host can report it.

use crate::error::{Error, ErrorCode, Result};
use crate::ledger::{Event, LineStatus};
use crate::orchestrator::{Actor, Orchestrator};
use crate::repository::{Collection, Query, Record, Repository, Write};
use chrono::NaiveDate;
use serde_json::{json, Value};

/// One named check on a fresh store.
type Check<R> = (&'static str, fn(R) -> Result<()>);

/// Runs every check on fresh stores from `make`.
pub fn run_all<R: Repository>(mut make: impl FnMut() -> R) -> Result<()> {
    let checks: [Check<R>; 14] = [
        ("store basics", store_basics),
        ("atomic commit", atomic_commit),
        ("recipe: author, assign, quota, simulate, recalc", recipe_author_to_recalc),
        ("recipe: onboard mid-period", recipe_onboard_mid_period),
        ("recipe: close the month", recipe_close_the_month),
        ("recipe: adjust after approval", recipe_adjust_after_approval),
        ("recipe: diagnose a missing commission", recipe_diagnose_missing),
        ("stage flip reverses", stage_flip_reverses),
        ("amount change updates and re-tiers", amount_change_retiers),
        ("owner change moves events", owner_change_moves),
        ("deletion reverses and soft-deletes", deletion_reverses),
        ("recalculating twice is all noop", recalc_twice_noop),
        ("roles", roles),
        ("spark: sale → MP1 → batch → paid → cancel → clawback → next batch nets it out", spark_lifecycle),
    ];
    for (name, check) in checks {
        check(make()).map_err(|e| {
            Error::with_details(e.code(), format!("conformance `{name}`: {}", e.message()), e.details().clone())
        })?;
    }
    Ok(())
}

fn fail(msg: impl Into<String>) -> Error {
    Error::new(ErrorCode::InternalError, msg.into())
}

fn ensure(cond: bool, msg: &str) -> Result<()> {
    if cond {
        Ok(())
    } else {
        Err(fail(msg))
    }
}

fn ensure_eq<T: PartialEq + std::fmt::Debug>(a: T, b: T, what: &str) -> Result<()> {
    if a == b {
        Ok(())
    } else {
        Err(fail(format!("{what}: {a:?} != {b:?}")))
    }
}

fn d(s: &str) -> NaiveDate {
    crate::period::parse_date(s, false).unwrap_or(NaiveDate::MIN)
}

/// Put / get / list with filters / versions / delete / conflicts.
pub fn store_basics<R: Repository>(mut repo: R) -> Result<()> {
    let rec = |id: &str, rep: &str, period: &str| Record {
        id: id.into(),
        rep_id: Some(rep.into()),
        period: Some(period.into()),
        deal_id: None,
        version: 0,
        doc: json!({"id": id}),
    };
    repo.commit(vec![
        Write::put(Collection::Events, rec("b", "alice", "2026-Q1"), Some(0)),
        Write::put(Collection::Events, rec("a", "alice", "2026-Q2"), Some(0)),
        Write::put(Collection::Events, rec("c", "bob", "2026-Q1"), None),
    ])?;
    let all = repo.list(Collection::Events, &Query::all())?;
    ensure_eq(all.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), vec!["a", "b", "c"], "list is ordered by id")?;
    let q = Query { rep_id: Some("alice".into()), period: Some("2026-Q1".into()), deal_id: None };
    ensure_eq(repo.list(Collection::Events, &q)?.len(), 1, "filter by rep and period")?;
    ensure_eq(repo.get(Collection::Events, "a")?.map(|r| r.version), Some(1), "a new record has version 1")?;
    repo.commit(vec![Write::put(Collection::Events, rec("a", "alice", "2026-Q2"), Some(1))])?;
    ensure_eq(repo.get(Collection::Events, "a")?.map(|r| r.version), Some(2), "a put increments the version")?;
    let stale = repo.commit(vec![Write::put(Collection::Events, rec("a", "alice", "2026-Q2"), Some(1))]);
    ensure_eq(stale.map_err(|e| e.code()), Err(ErrorCode::Conflict), "a stale version is CONFLICT")?;
    let dup = repo.commit(vec![Write::put(Collection::Events, rec("b", "alice", "2026-Q1"), Some(0))]);
    ensure_eq(
        dup.map_err(|e| e.code()),
        Err(ErrorCode::Conflict),
        "inserting an existing id with expected 0 is CONFLICT",
    )?;
    repo.commit(vec![
        Write::Delete { collection: Collection::Events, id: "c".into() },
        Write::Delete { collection: Collection::Events, id: "zz".into() },
    ])?;
    ensure(repo.get(Collection::Events, "c")?.is_none(), "delete removes")?;
    ensure(repo.get(Collection::Reps, "a")?.is_none(), "collections are separate")?;
    Ok(())
}

/// A commit whose last write fails leaves the store exactly as before.
pub fn atomic_commit<R: Repository>(mut repo: R) -> Result<()> {
    repo.commit(vec![Write::put(Collection::Reps, Record::new("x", json!({"v": 1})), Some(0))])?;
    let before: Vec<_> = Collection::ALL.iter().map(|c| repo.list(*c, &Query::all())).collect::<Result<_>>()?;
    let r = repo.commit(vec![
        Write::put(Collection::Reps, Record::new("x", json!({"v": 2})), Some(1)),
        Write::put(Collection::Reps, Record::new("y", json!({"v": 1})), Some(0)),
        Write::Delete { collection: Collection::Reps, id: "x".into() },
        Write::put(Collection::Reps, Record::new("y", json!({"v": 9})), Some(7)), // fails: stale
    ]);
    ensure_eq(r.map_err(|e| e.code()), Err(ErrorCode::Conflict), "the failing write is reported")?;
    let after: Vec<_> = Collection::ALL.iter().map(|c| repo.list(*c, &Query::all())).collect::<Result<_>>()?;
    ensure(before == after, "a failed commit changed the store")
}

/// An orchestrator with an admin, a manager and two reps, settings and the seed's AE plan.
fn setup<R: Repository>(repo: R) -> Result<Orchestrator<R>> {
    let mut o = Orchestrator::new(repo);
    let at = d("2026-01-01");
    let sys = Actor::System;
    o.upsert_rep(&sys, json!({"id": "admin", "name": "Ada Admin", "email": "ada@example.com", "role": "admin"}), at)?;
    o.upsert_rep(&sys, json!({"id": "mgr", "name": "Morgan", "email": "mgr@example.com", "role": "manager"}), at)?;
    o.upsert_rep(
        &sys,
        json!({"id": "alice", "name": "Alice", "email": "alice@example.com", "managerId": "mgr", "crmIds": ["hs-1"]}),
        at,
    )?;
    o.upsert_rep(&sys, json!({"id": "bob", "name": "Bob", "email": "bob@example.com", "managerId": "mgr"}), at)?;
    let admin = Actor::user("admin");
    o.create_plan(
        &admin,
        json!({"name": "AE Plan 2026", "effectiveStart": "2026-01-01", "config": {"rules": [{
            "name": "Revenue Commission", "measure": "closed_won_revenue", "executionPhase": "per_deal",
            "attainmentPeriod": "quarterly", "tierBy": "attainment", "tierMode": "full_rate",
            "tiers": [{"tierIndex": 0, "name": "Base", "minThreshold": 0, "rate": 0.08},
                      {"tierIndex": 1, "name": "On Target", "minThreshold": 1.0, "rate": 0.10},
                      {"tierIndex": 2, "name": "Accelerator", "minThreshold": 1.25, "rate": 0.14}]}]}}),
        at,
    )?;
    Ok(o)
}

fn deal(id: &str, owner: &str, amount: &str, date: &str) -> Value {
    json!({"id": id, "name": format!("Deal {id}"), "stage": "closed_won", "amount": amount, "closeDate": date, "ownerRepId": owner})
}

fn live<R: Repository>(o: &Orchestrator<R>, rep: &str) -> Result<Vec<Event>> {
    Ok(o.events(&Actor::user("admin"), Some(rep), None)?
        .into_iter()
        .filter(|e| e.status != LineStatus::Reversed)
        .collect())
}

fn amount_of<R: Repository>(o: &Orchestrator<R>, deal: &str, rep: &str) -> Result<String> {
    live(o, rep)?
        .into_iter()
        .find(|e| e.deal_id.as_deref() == Some(deal))
        .map(|e| e.amount.to_string())
        .ok_or_else(|| fail(format!("no live event for {deal}/{rep}")))
}

fn assigned_alice<R: Repository>(repo: R) -> Result<Orchestrator<R>> {
    let mut o = setup(repo)?;
    let admin = Actor::user("admin");
    let at = d("2026-01-01");
    o.assign(
        &admin,
        json!({"repIds": ["alice", "bob"], "planId": "ae-plan-2026", "effectiveStart": "2026-01-01"}),
        at,
    )?;
    o.set_quota(&admin, json!({"repIds": ["alice", "bob"], "planRuleId": "ae-plan-2026:v1:r1", "period": "2026-Q1", "target": 500000, "variableTarget": 25000}), at)?;
    Ok(o)
}

/// Recipe 1: author → assign → quota → simulate → recalc (SPEC §8.4's full_rate numbers).
pub fn recipe_author_to_recalc<R: Repository>(repo: R) -> Result<()> {
    let mut o = assigned_alice(repo)?;
    let admin = Actor::user("admin");
    // deals arrive before the recalculation: store them through the host
    for (id, amt, date) in [
        ("D1", "200000", "2026-01-10"),
        ("D2", "250000", "2026-02-05"),
        ("D3", "100000", "2026-03-01"),
        ("D4", "100000", "2026-03-20"),
    ] {
        o.upsert_deal(&Actor::System, deal(id, "alice", amt, date), d(date))?;
    }
    let sim = o.simulate(&admin, Some(json!({"period": "2026-Q1"})), None, d("2026-04-02"))?;
    ensure_eq(sim.total_commission.as_str(), "60000.00", "simulate total")?;
    let before = o.repo().list(Collection::Events, &Query::all())?;
    let _ = o.simulate(&admin, None, None, d("2026-04-02"))?;
    ensure(before == o.repo().list(Collection::Events, &Query::all())?, "simulate wrote events")?;
    let run = o.recalculate(&admin, Some("ae-plan-2026"), d("2026-04-02"))?;
    ensure_eq(run.events_noop, 4, "the webhook runs already wrote the four lines")?;
    let amounts: Vec<String> =
        ["D1", "D2", "D3", "D4"].iter().map(|x| amount_of(&o, x, "alice")).collect::<Result<_>>()?;
    ensure_eq(
        amounts,
        vec!["16000.00".to_string(), "20000.00".into(), "10000.00".into(), "14000.00".into()],
        "SPEC §8.4 full_rate",
    )
}

/// Recipe 2: onboard a rep mid-period with a prorated quota.
pub fn recipe_onboard_mid_period<R: Repository>(repo: R) -> Result<()> {
    let mut o = setup(repo)?;
    let admin = Actor::user("admin");
    let at = d("2026-02-15");
    // Q1 2026 has 90 days; assigned from 2026-02-15 → 45 days → half the target
    o.assign(&admin, json!({"repIds": ["bob"], "planId": "ae-plan-2026", "effectiveStart": "2026-02-15"}), at)?;
    o.set_quota(&admin, json!({"repIds": ["bob"], "measure": "Revenue Commission", "period": "2026-Q1", "target": "500000", "prorate": true}), at)?;
    o.upsert_deal(&Actor::System, deal("B1", "bob", "250000", "2026-02-20"), d("2026-02-20"))?;
    ensure_eq(
        amount_of(&o, "B1", "bob")?,
        "25000.00".into(),
        "250000 on a 250000 prorated target is attainment 1.0 → 10%",
    )?;
    o.upsert_deal(&Actor::System, deal("B0", "bob", "1000", "2026-02-01"), d("2026-02-20"))?;
    let sim = o.simulate(&admin, None, None, d("2026-02-20"))?;
    ensure(
        sim.diagnostics.iter().any(|x| x.code == "rep_not_assigned" && x.deal_id.as_deref() == Some("B0")),
        "a deal before the assignment is rep_not_assigned",
    )?;
    ensure_eq(sim.quotas.first().map(|q| q.target.clone()), Some("250000".into()), "prorated target")
}

/// Recipe 3: close the month — approve, a webhook after approval is held, true-up.
pub fn recipe_close_the_month<R: Repository>(repo: R) -> Result<()> {
    let mut o = assigned_alice(repo)?;
    let admin = Actor::user("admin");
    let mgr = Actor::user("mgr");
    o.upsert_deal(&Actor::System, deal("D1", "alice", "200000", "2026-01-10"), d("2026-01-10"))?;
    o.upsert_deal(&Actor::System, deal("D2", "alice", "100000", "2026-02-10"), d("2026-02-10"))?;
    let st = o.generate_statement(&mgr, "alice", "2026-Q1", d("2026-04-01"))?;
    ensure_eq(st.current().map(|v| v.net_payout.to_string()), Some("24000.00".into()), "net payout 16000 + 8000")?;
    let again = o.generate_statement(&mgr, "alice", "2026-Q1", d("2026-04-01"))?;
    ensure_eq(again.versions.len(), 1, "generating with nothing changed returns the current version")?;
    o.set_statement_status(&mgr, "alice", "2026-Q1", "approved", d("2026-04-01"))?;
    ensure(live(&o, "alice")?.iter().all(|e| e.status == LineStatus::Approved), "approving sets lines APPROVED")?;
    // a webhook after approval: D2 grows 100000 → 110000; the event is untouched
    let run = o.upsert_deal(&Actor::System, deal("D2", "alice", "110000", "2026-02-10"), d("2026-04-03"))?;
    // the group's two keys are locked: D2 changed, D1 did not — both count only as locked (§18.38)
    ensure_eq(
        (run.statement_locked, run.events_locked, run.events_updated, run.events_noop),
        (true, 2, 0, 0),
        "the locked run",
    )?;
    ensure_eq(amount_of(&o, "D2", "alice")?, "8000.00".into(), "the approved line is untouched")?;
    let log = o.audit_log(&admin, Some("orchestrator.ran"))?;
    ensure(log.last().is_some_and(|e| e["details"]["statementLocked"] == true), "audit records statementLocked: true")?;
    // true-up: 110000 × 0.08 = 8800 → delta 800 > 500 → requires approval, lands in 2026-Q2
    let tu = o.true_up(&mgr, "alice", "2026-Q1", d("2026-04-03"))?;
    ensure_eq(
        (tu.total.to_string(), tu.status.as_str(), tu.period.as_str()),
        ("800.00".into(), "requires_approval", "2026-Q2"),
        "true-up",
    )?;
    let q2 = o.live_lines("alice", "2026-Q2")?;
    ensure(q2.is_empty(), "an unapproved true-up is not on a statement")?;
    o.decide_true_up(&mgr, &tu.id, true, d("2026-04-04"))?;
    let q2 = o.live_lines("alice", "2026-Q2")?;
    ensure_eq(
        q2.iter().map(|l| (l.kind.as_str(), l.amount.to_string())).collect::<Vec<_>>(),
        vec![("true_up", "800.00".to_string())],
        "the approved true-up lands in Q2",
    )?;
    let again = o.true_up(&mgr, "alice", "2026-Q1", d("2026-04-05"))?;
    ensure_eq(again.lines.len(), 0, "nothing left to true up")?;
    // a small change stays under the threshold: 110000 → 112000 adds 160 → approved directly
    o.upsert_deal(&Actor::System, deal("D2", "alice", "112000", "2026-02-10"), d("2026-04-06"))?;
    let small = o.true_up(&admin, "alice", "2026-Q1", d("2026-04-06"))?;
    ensure_eq((small.total.to_string(), small.status.as_str()), ("160.00".into(), "approved"), "small true-up")?;
    let csv = o.export_statement(&admin, "alice", "2026-Q2", "csv", d("2026-04-06"))?;
    ensure(
        csv.ends_with("alice,Alice,alice@example.com,2026-Q2,net,,,,,,960.00,\n"),
        &format!("export ends with the net row:\n{csv}"),
    )
}

/// Recipe 4: adjust after approval — refused; revert, adjust, re-approve.
pub fn recipe_adjust_after_approval<R: Repository>(repo: R) -> Result<()> {
    let mut o = assigned_alice(repo)?;
    let admin = Actor::user("admin");
    let mgr = Actor::user("mgr");
    o.upsert_deal(&Actor::System, deal("D1", "alice", "200000", "2026-01-10"), d("2026-01-10"))?;
    o.generate_statement(&mgr, "alice", "2026-Q1", d("2026-04-01"))?;
    o.set_statement_status(&mgr, "alice", "2026-Q1", "approved", d("2026-04-01"))?;
    let refused = o.adjust(&admin, "alice", "2026-Q1", &json!("500"), "Spiff bonus for new logo", d("2026-04-02"));
    ensure_eq(
        refused.map_err(|e| e.code()).map(|_| ()),
        Err(ErrorCode::StatementLocked),
        "adjusting an approved period",
    )?;
    let by_rep = o.set_statement_status(&Actor::user("bob"), "alice", "2026-Q1", "draft", d("2026-04-02"));
    ensure_eq(by_rep.map_err(|e| e.code()).map(|_| ()), Err(ErrorCode::Forbidden), "a rep cannot revert")?;
    o.set_statement_status(&mgr, "alice", "2026-Q1", "draft", d("2026-04-02"))?;
    ensure(live(&o, "alice")?.iter().all(|e| e.status == LineStatus::Pending), "reverting sets lines back to PENDING")?;
    o.adjust(&admin, "alice", "2026-Q1", &json!("500"), "Spiff bonus for new logo", d("2026-04-02"))?;
    let stale = o.set_statement_status(&mgr, "alice", "2026-Q1", "approved", d("2026-04-02"));
    ensure_eq(stale.map_err(|e| e.code()).map(|_| ()), Err(ErrorCode::Conflict), "approving a stale draft")?;
    let st = o.generate_statement(&mgr, "alice", "2026-Q1", d("2026-04-02"))?;
    ensure_eq(st.current().map(|v| v.net_payout.to_string()), Some("16500.00".into()), "16000 + 500 adjustment")?;
    o.set_statement_status(&mgr, "alice", "2026-Q1", "approved", d("2026-04-02"))?;
    let twice = o.set_statement_status(&mgr, "alice", "2026-Q1", "approved", d("2026-04-02"));
    ensure_eq(twice.map_err(|e| e.code()).map(|_| ()), Err(ErrorCode::Conflict), "approving twice")?;
    let gen_locked = o.generate_statement(&mgr, "alice", "2026-Q1", d("2026-04-03"));
    ensure_eq(
        gen_locked.map_err(|e| e.code()).map(|_| ()),
        Err(ErrorCode::StatementLocked),
        "generating on an approved period",
    )
}

/// Recipe 5: a missing commission is explained by `orchestrator.skipped` in the audit log.
pub fn recipe_diagnose_missing<R: Repository>(repo: R) -> Result<()> {
    let mut o = setup(repo)?;
    let admin = Actor::user("admin");
    let run = o.upsert_deal(&Actor::System, deal("X1", "alice", "1000", "2026-01-10"), d("2026-01-10"))?;
    ensure_eq(run.skipped, vec!["rep_not_assigned".to_string()], "skip reason")?;
    let ghost =
        json!({"id": "X2", "stage": "closed_won", "amount": "1000", "closeDate": "2026-01-10", "ownerCrmId": "hs-999"});
    o.upsert_deal(&Actor::System, ghost, d("2026-01-10"))?;
    let skipped = o.audit_log(&admin, Some("orchestrator.skipped"))?;
    let reasons: Vec<(String, String)> = skipped
        .iter()
        .map(|e| (e["targetId"].as_str().unwrap_or("").into(), e["details"]["reason"].as_str().unwrap_or("").into()))
        .collect();
    ensure_eq(
        reasons,
        vec![("X1".into(), "rep_not_assigned".into()), ("X2".into(), "ghost_owner".into())],
        "audit reasons",
    )?;
    ensure(o.audit_log(&admin, Some("webhook.received"))?.len() == 2, "webhooks are audited")
}

/// A stage flip out of won reverses the event (amount 0, REVERSED, history row).
pub fn stage_flip_reverses<R: Repository>(repo: R) -> Result<()> {
    let mut o = assigned_alice(repo)?;
    o.upsert_deal(&Actor::System, deal("D1", "alice", "200000", "2026-01-10"), d("2026-01-10"))?;
    let mut lost = deal("D1", "alice", "200000", "2026-01-10");
    lost["stage"] = json!("closed_lost");
    let run = o.upsert_deal(&Actor::System, lost, d("2026-01-12"))?;
    ensure_eq((run.events_reversed, run.outcome.as_str()), (1, "processed"), "reversed")?;
    let e = o.events(&Actor::user("admin"), Some("alice"), None)?;
    ensure(e.len() == 1 && e[0].status == LineStatus::Reversed && e[0].amount.is_zero(), "amount 0, REVERSED")?;
    let hist = o.event_history(&Actor::user("admin"), &e[0].idempotency_key)?;
    ensure_eq(hist.iter().map(|h| h.change.as_str()).collect::<Vec<_>>(), vec!["written", "reversed"], "history rows")?;
    // back to won: the reversed key computed again counts as updated
    let run = o.upsert_deal(&Actor::System, deal("D1", "alice", "200000", "2026-01-10"), d("2026-01-13"))?;
    ensure_eq(run.events_updated, 1, "a reversed key computed again is updated")
}

/// An amount change updates the event in place and re-tiers the later deals of its group.
pub fn amount_change_retiers<R: Repository>(repo: R) -> Result<()> {
    let mut o = assigned_alice(repo)?;
    for (id, amt, date) in
        [("D1", "200000", "2026-01-10"), ("D2", "250000", "2026-02-05"), ("D3", "100000", "2026-03-01")]
    {
        o.upsert_deal(&Actor::System, deal(id, "alice", amt, date), d(date))?;
    }
    ensure_eq(amount_of(&o, "D3", "alice")?, "10000.00".into(), "D3 crosses into 10%")?;
    // D1 shrinks to 100000: D3's A_after falls to 0.9 → 8%
    let run = o.upsert_deal(&Actor::System, deal("D1", "alice", "100000", "2026-01-10"), d("2026-03-05"))?;
    // D2 keeps its amount but its attainment moves 0.9 → 0.7: an attainment change alone is an update (§18.38)
    ensure_eq((run.events_updated, run.events_noop), (3, 0), "D1, D2 and D3 updated")?;
    ensure_eq(
        (amount_of(&o, "D1", "alice")?, amount_of(&o, "D3", "alice")?),
        ("8000.00".into(), "8000.00".into()),
        "re-tiered",
    )
}

/// An owner change reverses the old owner's events and writes the new owner's.
pub fn owner_change_moves<R: Repository>(repo: R) -> Result<()> {
    let mut o = assigned_alice(repo)?;
    o.upsert_deal(&Actor::System, deal("D1", "alice", "200000", "2026-01-10"), d("2026-01-10"))?;
    let run = o.upsert_deal(&Actor::System, deal("D1", "bob", "200000", "2026-01-10"), d("2026-01-11"))?;
    ensure_eq(
        (run.outcome.as_str(), run.events_reversed, run.events_written),
        ("owner_changed", 1, 1),
        "owner change",
    )?;
    ensure(live(&o, "alice")?.is_empty(), "alice has nothing left")?;
    ensure_eq(amount_of(&o, "D1", "bob")?, "16000.00".into(), "bob is paid")
}

/// A deletion reverses every event of the deal and soft-deletes the snapshot; a manual reverse
/// is audited as such.
pub fn deletion_reverses<R: Repository>(repo: R) -> Result<()> {
    let mut o = assigned_alice(repo)?;
    let admin = Actor::user("admin");
    o.upsert_deal(&Actor::System, deal("D1", "alice", "200000", "2026-01-10"), d("2026-01-10"))?;
    o.upsert_deal(&Actor::System, deal("D2", "alice", "100000", "2026-01-11"), d("2026-01-11"))?;
    let run = o.delete_deal(&admin, "D1", d("2026-01-12"))?;
    ensure_eq((run.outcome.as_str(), run.events_reversed), ("deleted", 1), "deleted")?;
    let snap = o.repo().get(Collection::Deals, "D1")?.ok_or_else(|| fail("snapshot kept"))?;
    ensure_eq(snap.doc["deleted"].clone(), json!(true), "soft-deleted")?;
    let run = o.reverse_deal(&admin, "D2", d("2026-01-12"))?;
    ensure_eq((run.outcome.as_str(), run.events_reversed), ("manual_reverse", 1), "manual reverse")?;
    let log = o.audit_log(&admin, Some("orchestrator.ran"))?;
    ensure(
        log.iter().any(|e| e["details"]["outcome"] == "manual_reverse" && e["details"]["snapshotSoftDeleted"] == true),
        "audited",
    )?;
    ensure(o.recalculate(&admin, None, d("2026-01-13"))?.events_written == 0, "later runs skip a reversed deal")
}

/// Recalculating twice gives an all-noop change set.
pub fn recalc_twice_noop<R: Repository>(repo: R) -> Result<()> {
    let mut o = assigned_alice(repo)?;
    let admin = Actor::user("admin");
    for (id, who, amt, date) in [
        ("D1", "alice", "200000", "2026-01-10"),
        ("D2", "bob", "300000", "2026-02-05"),
        ("D3", "alice", "400000", "2026-03-01"),
    ] {
        o.upsert_deal(&Actor::System, deal(id, who, amt, date), d(date))?;
    }
    o.recalculate(&admin, None, d("2026-04-02"))?;
    let second = o.recalculate(&admin, None, d("2026-04-02"))?;
    ensure_eq(
        (second.events_written, second.events_updated, second.events_reversed, second.events_noop),
        (0, 0, 0, 3),
        "all noop",
    )
}

/// Role checks (SPEC §17, §18.33).
pub fn roles<R: Repository>(repo: R) -> Result<()> {
    let mut o = assigned_alice(repo)?;
    let at = d("2026-04-01");
    o.upsert_deal(&Actor::System, deal("D1", "alice", "200000", "2026-01-10"), at)?;
    let code = |r: Result<()>| r.err().map(|e| e.code());
    ensure_eq(
        code(o.recalculate(&Actor::user("mgr"), None, at).map(|_| ())),
        Some(ErrorCode::Forbidden),
        "recalc is admin only",
    )?;
    ensure_eq(
        code(o.generate_statement(&Actor::user("bob"), "alice", "2026-Q1", at).map(|_| ())),
        Some(ErrorCode::Forbidden),
        "a rep cannot generate another's statement",
    )?;
    ensure_eq(
        code(o.events(&Actor::user("nobody"), Some("alice"), None).map(|_| ())),
        Some(ErrorCode::Unauthorized),
        "unknown users",
    )?;
    ensure(o.events(&Actor::user("alice"), Some("alice"), None).is_ok(), "a rep reads their own")?;
    ensure(o.events(&Actor::user("mgr"), Some("alice"), None).is_ok(), "a manager reads the team")?;
    ensure_eq(
        code(o.events(&Actor::user("bob"), Some("alice"), None).map(|_| ())),
        Some(ErrorCode::Forbidden),
        "a rep cannot read another rep",
    )?;
    o.generate_statement(&Actor::user("mgr"), "alice", "2026-Q1", at)?;
    ensure_eq(
        code(o.set_statement_status(&Actor::user("mgr"), "mgr", "2026-Q1", "approved", at).map(|_| ())),
        Some(ErrorCode::Forbidden),
        "a manager cannot approve their own",
    )?;
    o.add_comment(&Actor::user("alice"), "alice", "2026-Q1", None, "Is D1 right?", at)?;
    ensure_eq(o.comments(&Actor::user("mgr"), "alice", "2026-Q1")?.len(), 1, "the manager sees the comment")?;
    ensure_eq(
        code(o.delete_comment(&Actor::user("mgr"), "alice|2026-Q1|c1", at)),
        Some(ErrorCode::Forbidden),
        "only the author or an admin deletes",
    )?;
    o.delete_comment(&Actor::user("alice"), "alice|2026-Q1|c1", at)?;
    let del = o.delete_plan(&Actor::user("admin"), "ae-plan-2026", at);
    ensure_eq(code(del), Some(ErrorCode::Conflict), "a plan with assigned reps cannot be deleted")
}

/// The Spark plan of the seed: a rate table with two milestones, a level-1 override.
fn spark_setup<R: Repository>(repo: R) -> Result<Orchestrator<R>> {
    let mut o = Orchestrator::new(repo);
    let at = d("2025-01-01");
    let sys = Actor::System;
    o.upsert_rep(&sys, json!({"id": "admin", "name": "Ada Admin", "role": "admin"}), at)?;
    o.upsert_rep(&sys, json!({"id": "bob", "name": "Bob Manager", "email": "bob@example.com", "role": "manager"}), at)?;
    o.upsert_rep(
        &sys,
        json!({"id": "alice", "name": "Alice Rep", "email": "alice@example.com", "managerId": "bob"}),
        at,
    )?;
    let admin = Actor::user("admin");
    o.create_plan(
        &admin,
        json!({"planId": "spark", "name": "Spark Solar", "effectiveStart": "2025-01-01", "config": {"rules": [
            {"name": "Sales Commission", "measure": "amount", "attainmentPeriod": "monthly", "clawbackWindowDays": 90,
             "rateTable": [
                {"rateId": 100, "userId": "alice", "roleId": "Closer", "stateCode": "TX", "effectiveStartDate": "2025-01-01",
                 "percentMp1": "4.00", "flatMp1": "100.00", "percentMp2": "2.00", "flatMp2": "50.00"},
                {"rateId": 1, "roleId": "Closer", "effectiveStartDate": "2025-01-01", "percentMp1": "3", "percentMp2": "1"}],
             "milestones": [
                {"number": 1, "name": "MP1", "when": [{"field": "status", "operator": "in", "value": ["APPROVED", "COMPLETED"]}]},
                {"number": 2, "name": "MP2", "when": [{"field": "status", "operator": "equals", "value": "COMPLETED"}],
                 "dateField": "installDate"}]},
            {"name": "Override L1", "measure": "amount", "executionPhase": "cascade", "cascadeBase": "measure",
             "dependsOn": "Sales Commission", "level": 1, "attainmentPeriod": "monthly", "sourceRoles": ["Closer"],
             "tiers": [{"tierIndex": 0, "name": "1%", "minThreshold": 0, "rate": "0.01"}]}]}}),
        at,
    )?;
    o.assign(&admin, json!({"repIds": ["alice", "bob"], "planId": "spark", "effectiveStart": "2025-01-01"}), at)?;
    Ok(o)
}

fn sale(id: &str, amount: &str, date: &str) -> Value {
    json!({"id": id, "name": format!("Sale {id}"), "status": "APPROVED", "amount": amount, "closeDate": date,
           "ownerRepId": "alice", "fields": {"stateCode": "TX", "projectTypeId": 1},
           "credits": [{"repId": "alice", "role": "Closer"}]})
}

/// Approves the statements of `period` for alice and bob (the lines become APPROVED).
fn approve_month<R: Repository>(o: &mut Orchestrator<R>, period: &str, at: NaiveDate) -> Result<()> {
    let admin = Actor::user("admin");
    for rep in ["alice", "bob"] {
        o.generate_statement(&admin, rep, period, at)?;
        o.set_statement_status(&admin, rep, period, "approved", at)?;
    }
    Ok(())
}

/// (user, gross, clawbackAmount, net) of one payout.
type PayoutRow = (String, String, String, String);

/// Creates, submits, approves, exports and pays a batch; returns its payouts as
/// (user, gross, clawbackAmount, net) and the paid batch.
fn pay_batch<R: Repository>(
    o: &mut Orchestrator<R>,
    body: Value,
    at: NaiveDate,
    paid_on: NaiveDate,
) -> Result<(Vec<PayoutRow>, Value)> {
    let admin = Actor::user("admin");
    let b = o.create_batch(&admin, body, at)?;
    let id = b.batch_id.clone();
    o.batch_action(&admin, &id, "submit", at)?;
    o.batch_action(&admin, &id, "approve", at)?;
    let exported = o.batch_action(&admin, &id, "export", at)?;
    ensure(exported["csv"].as_str().is_some_and(|c| c.starts_with("batchId,")), "export returns the CSV")?;
    let paid = o.batch_action(&admin, &id, "mark_paid", paid_on)?;
    let payouts = b
        .payouts
        .iter()
        .map(|p| {
            (p.user_id.clone(), p.gross_amount.to_string(), p.clawback_amount.to_string(), p.net_amount.to_string())
        })
        .collect();
    Ok((payouts, paid))
}

fn p(user: &str, gross: &str, claw: &str, net: &str) -> PayoutRow {
    (user.into(), gross.into(), claw.into(), net.into())
}

/// Spark end to end (SPEC §9, §14, §18.5–§18.13, §18.23–§18.24): a 25000 sale pays MP1 1100.00
/// (4% + 100) and a 250.00 override; a batch pays both; the sale is cancelled, so both paid lines
/// are clawed back; the next batch nets the clawbacks against a new sale and carries the negative
/// nets forward; the batch after that nets the carry-forwards out.
pub fn spark_lifecycle<R: Repository>(repo: R) -> Result<()> {
    let mut o = spark_setup(repo)?;
    let admin = Actor::user("admin");
    let sys = Actor::System;
    // sale → MP1 (MP2 waits for COMPLETED)
    let run = o.upsert_deal(&sys, sale("S1", "25000", "2025-01-15"), d("2025-01-15"))?;
    ensure_eq(run.events_written, 2, "MP1 and the override are written")?;
    ensure_eq(amount_of(&o, "S1", "alice")?, "1100.00".into(), "MP1 = 25000 × 4% + 100")?;
    ensure_eq(amount_of(&o, "S1", "bob")?, "250.00".into(), "override = 25000 × 1%")?;
    let mp1 = live(&o, "alice")?.into_iter().next().ok_or_else(|| fail("MP1"))?;
    ensure_eq(
        mp1.idempotency_key.as_str(),
        r#"["S1","alice","spark","Sales Commission","1"]"#,
        "a milestone payment's key ends with its milestone",
    )?;
    approve_month(&mut o, "2025-01", d("2025-01-31"))?;
    // batch 1 pays both lines
    let forbidden = o.create_batch(
        &Actor::user("bob"),
        json!({"batchName": "x", "payPeriodEnd": "2025-01-31", "payDate": "2025-02-05"}),
        d("2025-02-01"),
    );
    ensure_eq(forbidden.err().map(|e| e.code()), Some(ErrorCode::Forbidden), "batches are admin only")?;
    let b1 = json!({"batchName": "January 2025", "payPeriodStart": "2025-01-01", "payPeriodEnd": "2025-01-31",
                    "payDate": "2025-02-05", "projectTypeIds": [1], "includeClawbacks": true});
    let (payouts, paid) = pay_batch(&mut o, b1, d("2025-02-01"), d("2025-02-05"))?;
    ensure_eq(
        payouts,
        vec![p("alice", "1100.00", "0.00", "1100.00"), p("bob", "250.00", "0.00", "250.00")],
        "batch 1 payouts",
    )?;
    ensure_eq(paid["batch"]["totalAmount"].clone(), json!("1350.00"), "batch 1 total")?;
    ensure_eq(paid["batch"]["status"].clone(), json!("PAID"), "batch 1 is PAID")?;
    ensure(
        live(&o, "alice")?.iter().all(|e| e.status == LineStatus::Paid && e.paid_at.as_deref() == Some("2025-02-05")),
        "PAID marks every line paid on the pay date",
    )?;
    let again = o.batch_action(&admin, "batch-1", "mark_paid", d("2025-02-06"));
    ensure_eq(again.err().map(|e| e.code()), Some(ErrorCode::Conflict), "nothing leaves PAID")?;
    // a recalculation keeps paid lines
    let rerun = o.recalculate_sale(&admin, "S1", d("2025-02-07"))?;
    ensure_eq((rerun.events_locked, rerun.events_updated), (2, 0), "paid lines are locked")?;
    // cancel → clawbacks for both paid lines (inside the 90-day window)
    let cancel = o.cancel_sale(&admin, "S1", Some("Customer cancelled contract"), None, d("2025-02-10"))?;
    ensure_eq((cancel.outcome.as_str(), cancel.clawbacks), ("processed", 2), "cancellation writes two clawbacks")?;
    let cbs = o.clawbacks(&admin, &json!({"isProcessed": false}), d("2025-02-10"))?;
    let got: Vec<(String, String, String)> = cbs
        .iter()
        .map(|c| {
            (
                c["userId"].as_str().unwrap_or("").into(),
                c["amount"].as_str().unwrap_or("").into(),
                c["period"].as_str().unwrap_or("").into(),
            )
        })
        .collect();
    ensure_eq(
        got,
        vec![
            ("alice".to_string(), "-1100.00".to_string(), "2025-02".to_string()),
            ("bob".into(), "-250.00".into(), "2025-02".into()),
        ],
        "clawbacks land in the month of the cancellation",
    )?;
    ensure(o.audit_log(&admin, Some("sale.cancelled"))?.len() == 1, "the cancellation is audited")?;
    // a new sale in February; the statements hold the sale and the clawbacks
    o.upsert_deal(&sys, sale("S2", "10000", "2025-02-12"), d("2025-02-12"))?;
    approve_month(&mut o, "2025-02", d("2025-02-28"))?;
    let b2 = json!({"batchName": "February 2025", "payPeriodEnd": "2025-02-28", "payDate": "2025-03-05",
                    "includeClawbacks": true});
    let (payouts, paid) = pay_batch(&mut o, b2, d("2025-03-01"), d("2025-03-05"))?;
    // alice: 10000 × 4% + 100 = 500 − 1100 = −600; bob: 100 − 250 = −150
    ensure_eq(
        payouts,
        vec![p("alice", "500.00", "1100.00", "-600.00"), p("bob", "100.00", "250.00", "-150.00")],
        "batch 2 payouts",
    )?;
    ensure_eq(paid["batch"]["totalAmount"].clone(), json!("0.00"), "negative nets pay 0")?;
    let open = o.clawbacks(&admin, &json!({"isProcessed": false}), d("2025-03-05"))?;
    let carried: Vec<(String, String, String, String)> = open
        .iter()
        .map(|c| {
            let t = |k: &str| c[k].as_str().unwrap_or("").to_string();
            (t("userId"), t("amount"), t("reason"), t("period"))
        })
        .collect();
    ensure_eq(
        carried,
        vec![
            ("alice".to_string(), "-600.00".to_string(), "carry_forward".to_string(), "2025-03".to_string()),
            ("bob".into(), "-150.00".into(), "carry_forward".into(), "2025-03".into()),
        ],
        "the negative nets are carried forward; the batch's clawbacks are processed",
    )?;
    let reprocess = o.process_clawbacks(
        &admin,
        &[r#"["S1","alice","spark","Sales Commission","1","clawback"]"#.to_string()],
        d("2025-03-06"),
    );
    ensure_eq(
        reprocess.err().map(|e| e.code()),
        Some(ErrorCode::Conflict),
        "a processed clawback cannot be processed again",
    )?;
    // March: a new sale nets the carry-forwards out
    o.upsert_deal(&sys, sale("S3", "20000", "2025-03-10"), d("2025-03-10"))?;
    approve_month(&mut o, "2025-03", d("2025-03-31"))?;
    let b3 = json!({"batchName": "March 2025", "payPeriodEnd": "2025-03-31", "payDate": "2025-04-04",
                    "includeClawbacks": true});
    let (payouts, paid) = pay_batch(&mut o, b3, d("2025-04-01"), d("2025-04-04"))?;
    // alice: 20000 × 4% + 100 = 900 − 600 = 300; bob: 200 − 150 = 50
    ensure_eq(
        payouts,
        vec![p("alice", "900.00", "600.00", "300.00"), p("bob", "200.00", "150.00", "50.00")],
        "batch 3 nets the carry-forwards out",
    )?;
    ensure_eq(paid["batch"]["totalAmount"].clone(), json!("350.00"), "batch 3 total")?;
    ensure(o.clawbacks(&admin, &json!({"isProcessed": false}), d("2025-04-04"))?.is_empty(), "nothing is left owed")?;
    let summary = o.allocation_summary(&admin, &json!({}), d("2025-04-04"))?;
    // the paid S1 line stays (its clawback offsets it; summaries leave clawbacks out, §18.25)
    ensure_eq(
        (summary["grandTotal"].clone(), summary["byStatus"]["paid"].clone(), summary["overrides"]["total"].clone()),
        (json!("2500.00"), json!("2500.00"), json!("550.00")),
        "allocation summary: 1100 + 500 + 900 paid; overrides 250 + 100 + 200",
    )?;
    Ok(())
}
