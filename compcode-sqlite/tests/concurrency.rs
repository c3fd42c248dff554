//! Concurrency on one SQLite file (issue #10, SPEC §12 "never process two runs of one group at
//! once", §18.22): many threads, each with its own connection and orchestrator, upsert deals of
//! the same group (one rep, one quarter) and of different groups at once. A lost race is a
//! version-check `CONFLICT` that the orchestrator retries (and, past its retries, the host
//! does); afterwards the stored events equal the sequential result, and a rule's `periodCap` is
//! never exceeded — not at the end, and not in any state a concurrent reader sees.

use chrono::NaiveDate;
use compcode_core::api::simulate;
use compcode_core::ledger::LineStatus;
use compcode_core::memory::MemoryRepository;
use compcode_core::orchestrator::{Actor, Orchestrator};
use compcode_core::repository::{Collection, Query, Repository};
use compcode_core::ErrorCode;
use compcode_sqlite::SqliteRepository;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

const THREADS: usize = 8;
const DEALS_PER_THREAD: usize = 6;
const CAP: &str = "30000";

/// Money as whole cents (currencyPrecision is 2 here), so no decimal crate is needed.
type Cents = i64;

fn cents(text: &str) -> Cents {
    let (neg, t) = text.strip_prefix('-').map_or((false, text), |t| (true, t));
    let (int, frac) = t.split_once('.').unwrap_or((t, ""));
    assert!(frac.len() <= 2, "{text}");
    let v = int.parse::<i64>().unwrap() * 100 + format!("{frac:0<2}").parse::<i64>().unwrap();
    if neg {
        -v
    } else {
        v
    }
}

fn at() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 4, 2).unwrap()
}

fn temp_db(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("compcode-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir.join("store.sqlite")
}

/// Reps r0..r4 (r0's group is shared by half the threads), a marginal rule (attainment tiers:
/// every deal of a group depends on the others), a capped SPIF and a manager override.
fn seed<R: Repository>(o: &mut Orchestrator<R>) {
    let sys = Actor::System;
    o.upsert_rep(&sys, json!({"id": "mgr", "name": "Mgr", "role": "manager"}), at()).unwrap();
    for r in 0..5 {
        o.upsert_rep(&sys, json!({"id": format!("r{r}"), "name": format!("R{r}"), "managerId": "mgr"}), at()).unwrap();
    }
    o.create_plan(
        &sys,
        json!({"planId": "ae", "name": "AE", "effectiveStart": "2026-01-01", "config": {"rules": [
            {"name": "Commission", "measure": "closed_won_revenue", "tierMode": "marginal",
             "tiers": [{"tierIndex": 0, "name": "Base", "minThreshold": 0, "rate": "0.08"},
                       {"tierIndex": 1, "name": "Accel", "minThreshold": "1", "rate": "0.12"}]},
            {"name": "Spif", "measure": "closed_won_revenue", "tierBy": "value", "periodCap": CAP,
             "tiers": [{"tierIndex": 0, "name": "All", "minThreshold": 0, "rate": "0.05"}]},
            {"name": "Override", "measure": "closed_won_revenue", "executionPhase": "cascade", "dependsOn": "_total",
             "tiers": [{"tierIndex": 0, "name": "All", "minThreshold": 0, "rate": "0.02"}]}]}}),
        at(),
    )
    .unwrap();
    let reps: Vec<String> = (0..5).map(|r| format!("r{r}")).collect();
    o.assign(&sys, json!({"repIds": reps, "planId": "ae", "effectiveStart": "2026-01-01"}), at()).unwrap();
    o.set_quota(
        &sys,
        json!({"repIds": reps, "planId": "ae", "ruleName": "Commission", "period": "2026-Q1", "target": "400000"}),
        at(),
    )
    .unwrap();
}

/// Thread t's rep: threads 0..4 share r0's group; threads 4..8 have r1..r4 each.
fn rep_of(t: usize) -> String {
    if t < THREADS / 2 {
        "r0".into()
    } else {
        format!("r{}", t - THREADS / 2 + 1)
    }
}

/// The i-th snapshot thread t sends: deal `T{t}-{i % DEALS}`, so each deal is sent twice and
/// its second snapshot (a new amount, sometimes lost) is its final one.
fn snapshot(t: usize, i: usize) -> Value {
    let d = i % DEALS_PER_THREAD;
    let second = i >= DEALS_PER_THREAD;
    let amount = 20_000 + 7_919 * ((t * 31 + d * 17 + usize::from(second) * 5) % 23);
    let stage = if second && (t + d) % 5 == 0 { "closed_lost" } else { "closed_won" };
    json!({"id": format!("T{t}-{d}"), "name": format!("Deal {t}-{d}"), "stage": stage, "amount": amount.to_string(),
           "closeDate": format!("2026-0{}-{:02}", 1 + (d % 3), 1 + (t * 3 + d) % 27), "ownerRepId": rep_of(t)})
}

/// key → amount of the live (not REVERSED) events.
fn live<R: Repository>(o: &Orchestrator<R>) -> BTreeMap<String, Cents> {
    o.events(&Actor::System, None, None)
        .unwrap()
        .into_iter()
        .filter(|e| e.status != LineStatus::Reversed)
        .map(|e| (e.idempotency_key, cents(&e.amount.to_string())))
        .collect()
}

/// The largest Σ Spif per (rep, period) in the store.
fn max_spif_total(repo: &SqliteRepository) -> Cents {
    let mut totals: BTreeMap<(String, String), Cents> = BTreeMap::new();
    for r in repo.list(Collection::Events, &Query::all()).unwrap() {
        if r.doc["ruleName"] == "Spif" && r.doc["status"] != "REVERSED" {
            let amount = cents(r.doc["amount"].as_str().unwrap());
            *totals.entry((r.doc["repId"].to_string(), r.doc["period"].to_string())).or_default() += amount;
        }
    }
    totals.values().copied().max().unwrap_or_default()
}

/// `SQLite: database is locked`, what a busy database answered before the fix tested by
/// [`busy_is_a_conflict`].
fn is_busy(e: &compcode_core::Error) -> bool {
    e.code() == ErrorCode::InternalError && e.message().contains("database is locked")
}

fn upsert_with_host_retries(
    o: &mut Orchestrator<SqliteRepository>,
    deal: Value,
    conflicts: &AtomicUsize,
    retry_busy: bool,
) {
    for _ in 0..500 {
        match o.upsert_deal(&Actor::System, deal.clone(), at()) {
            Ok(_) => return,
            // the orchestrator retried a few times already; the host tries again
            Err(e) if e.code() == ErrorCode::Conflict || (retry_busy && is_busy(&e)) => {
                conflicts.fetch_add(1, Ordering::Relaxed);
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
            Err(e) => panic!("upsert of {}: {e}", deal["id"]),
        }
    }
    panic!("upsert of {} lost 500 races in a row", deal["id"]);
}

fn run_concurrently(path: &Path, retry_busy: bool) -> usize {
    let conflicts = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicBool::new(false));
    let cap = cents(CAP);
    let reader = {
        let (path, done) = (path.to_path_buf(), done.clone());
        std::thread::spawn(move || {
            let repo = SqliteRepository::open(&path).unwrap();
            let mut reads = 0;
            while !done.load(Ordering::Relaxed) {
                let m = max_spif_total(&repo);
                assert!(m <= cap, "a reader saw a Spif total of {m} over the cap {cap}");
                reads += 1;
            }
            reads
        })
    };
    let writers: Vec<_> = (0..THREADS)
        .map(|t| {
            let (path, conflicts) = (path.to_path_buf(), conflicts.clone());
            std::thread::spawn(move || {
                let mut o = Orchestrator::new(SqliteRepository::open(&path).unwrap());
                for i in 0..2 * DEALS_PER_THREAD {
                    upsert_with_host_retries(&mut o, snapshot(t, i), &conflicts, retry_busy);
                }
            })
        })
        .collect();
    for w in writers {
        w.join().expect("a writer thread failed");
    }
    done.store(true, Ordering::Relaxed);
    let reads = reader.join().expect("the reader thread failed");
    assert!(reads > 0);
    conflicts.load(Ordering::Relaxed)
}

/// With the host also retrying `database is locked`, as hosts had to before the fix below: the
/// results are right either way.
#[test]
fn concurrent_upserts_equal_the_sequential_result_and_respect_the_cap() {
    check_concurrent_upserts("concurrency", true);
}

/// Regression test (found by this suite, fixed in compcode-sqlite/src/lib.rs): `commit` opened
/// a DEFERRED transaction, read the versions, then wrote; when another connection committed in
/// between, SQLite could not upgrade the stale read transaction and answered SQLITE_BUSY at once
/// (the busy timeout does not cover a lock upgrade in WAL mode), surfacing as `INTERNAL_ERROR:
/// SQLite: database is locked` instead of the `CONFLICT` the orchestrator retries (SPEC
/// §18.22). Commits now begin IMMEDIATE (the write lock first, waiting under `busy_timeout`) and
/// a busy or locked database is `CONFLICT`: the host retries only `CONFLICT` here.
#[test]
fn busy_is_a_conflict() {
    check_concurrent_upserts("concurrency-busy", false);
}

fn check_concurrent_upserts(name: &str, retry_busy: bool) {
    let path = temp_db(name);
    seed(&mut Orchestrator::new(SqliteRepository::open(&path).unwrap()));
    let conflicts = run_concurrently(&path, retry_busy);

    let o = Orchestrator::new(SqliteRepository::open(&path).unwrap());
    let got = live(&o);
    // the same final snapshots, one after the other, in memory
    let mut seq = Orchestrator::new(MemoryRepository::new());
    seed(&mut seq);
    for t in 0..THREADS {
        for i in 0..2 * DEALS_PER_THREAD {
            seq.upsert_deal(&Actor::System, snapshot(t, i), at()).unwrap();
        }
    }
    assert_eq!(got, live(&seq), "concurrent result differs from the sequential one");
    // and both equal a fresh calculation
    let fresh = simulate(&o.state_document(at()).unwrap()).unwrap();
    let fresh: BTreeMap<String, Cents> =
        fresh.events.iter().map(|e| (e.idempotency_key.clone(), cents(&e.amount))).collect();
    assert_eq!(got, fresh);
    let cap = cents(CAP);
    assert!(max_spif_total(o.repo()) <= cap);
    // the cap binds: r0's shared group earns more than it without the cap
    assert_eq!(max_spif_total(o.repo()), cap, "the test should exercise the cap");
    // every run was audited exactly once, with gap-free sequence numbers
    let log = o.audit_log(&Actor::System, None).unwrap();
    let runs = log.iter().filter(|a| a["action"] == "orchestrator.ran").count();
    assert_eq!(runs, THREADS * 2 * DEALS_PER_THREAD, "one orchestrator.ran per upsert");
    for (i, a) in log.iter().enumerate() {
        assert_eq!(a["seq"], json!(i + 1), "audit sequence numbers are gap-free");
    }
    let integrity: String =
        rusqlite::Connection::open(&path).unwrap().query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(integrity, "ok");
    eprintln!("{THREADS} writers × {} upserts: {conflicts} lost races retried by the host", 2 * DEALS_PER_THREAD);
    std::fs::remove_dir_all(path.parent().unwrap()).ok();
}
