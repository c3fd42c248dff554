//! Crash safety of the SQLite store (issue #10): a child process (this test binary, re-run with
//! `COMPCODE_CRASH_CHILD` set) applies change sets — deal upserts whose commit rewrites a whole
//! group of events, their history rows and audit entries — and is SIGKILLed at a random moment,
//! `COMPCODE_CRASH_ITERATIONS` times (default 200). After each kill, `PRAGMA integrity_check` is
//! `ok` and the database holds exactly the state after the last change set the child reported, or
//! after the next one (killed between its commit and its report): never a part of one. The
//! expected states come from replaying the same change sets on `MemoryRepository`.
//!
//! SIGKILL kills the process, not the machine: the OS keeps what was written, so this checks
//! the atomicity of commits against process death, not durability against power loss.

use chrono::NaiveDate;
use compcode_core::memory::MemoryRepository;
use compcode_core::orchestrator::{Actor, Orchestrator};
use compcode_core::repository::{Collection, Query, Repository};
use compcode_sqlite::SqliteRepository;
use serde_json::{json, Value};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Change sets per child run.
const CHANGE_SETS: usize = 12;
/// Deals in the one group every change set recalculates.
const DEALS: usize = 24;

fn at() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 4, 2).unwrap()
}

fn seed<R: Repository>(o: &mut Orchestrator<R>) {
    let sys = Actor::System;
    o.upsert_rep(&sys, json!({"id": "mgr", "name": "Mgr", "role": "manager"}), at()).unwrap();
    o.upsert_rep(&sys, json!({"id": "r0", "name": "R0", "managerId": "mgr"}), at()).unwrap();
    o.create_plan(
        &sys,
        json!({"planId": "ae", "name": "AE", "effectiveStart": "2026-01-01", "config": {"rules": [
            {"name": "Commission", "measure": "closed_won_revenue", "tierMode": "marginal",
             "tiers": [{"tierIndex": 0, "name": "Base", "minThreshold": 0, "rate": "0.08"},
                       {"tierIndex": 1, "name": "Accel", "minThreshold": "0.5", "rate": "0.12"}]},
            {"name": "Override", "measure": "closed_won_revenue", "executionPhase": "cascade", "dependsOn": "_total",
             "tiers": [{"tierIndex": 0, "name": "All", "minThreshold": 0, "rate": "0.02"}]}]}}),
        at(),
    )
    .unwrap();
    o.assign(&sys, json!({"repIds": ["r0"], "planId": "ae", "effectiveStart": "2026-01-01"}), at()).unwrap();
    o.set_quota(
        &sys,
        json!({"repIds": ["r0"], "planId": "ae", "ruleName": "Commission", "period": "2026-Q1", "target": "1000000"}),
        at(),
    )
    .unwrap();
    for d in 0..DEALS {
        o.upsert_deal(&sys, deal(d, 10_000 + 1_000 * d), at()).unwrap();
    }
}

fn deal(d: usize, amount: usize) -> Value {
    json!({"id": format!("D{d:02}"), "stage": "closed_won", "amount": amount.to_string(),
           "closeDate": format!("2026-02-{:02}", 1 + d % 27), "ownerRepId": "r0"})
}

/// Change set k (1-based): an early deal of the group changes amount, so every later deal of the
/// group is re-tiered and the whole group is rewritten in one commit.
fn change_set<R: Repository>(o: &mut Orchestrator<R>, k: usize) {
    o.upsert_deal(&Actor::System, deal(k % 3, 50_000 + 7_000 * k), at()).unwrap();
}

type Dump = Vec<(&'static str, String, Option<String>, Option<String>, Option<String>, u64, Value)>;

fn dump<R: Repository>(repo: &R) -> Dump {
    let mut out = Vec::new();
    for c in Collection::ALL {
        for r in repo.list(c, &Query::all()).unwrap() {
            out.push((c.as_str(), r.id, r.rep_id, r.period, r.deal_id, r.version, r.doc));
        }
    }
    out
}

/// The child: applies the change sets, reporting each commit as one line appended to
/// `<db>.progress` (one `write` call each; stdout is shared with the test harness's own output).
#[test]
fn crash_child() {
    let Ok(path) = std::env::var("COMPCODE_CRASH_CHILD") else { return };
    let mut o = Orchestrator::new(SqliteRepository::open(&path).unwrap());
    let mut progress = std::fs::OpenOptions::new().create(true).append(true).open(format!("{path}.progress")).unwrap();
    for k in 1..=CHANGE_SETS {
        change_set(&mut o, k);
        progress.write_all(format!("applied {k}\n").as_bytes()).unwrap();
    }
}

fn remove_db(path: &Path) {
    for suffix in ["", "-wal", "-shm", "-journal", ".progress"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}

/// Runs the child on `work` (a fresh copy of `template`), kills it after `delay` (None: let it
/// finish), and returns the last change set it reported.
fn run_child(template: &Path, work: &Path, delay: Option<Duration>) -> (usize, Duration) {
    remove_db(work);
    std::fs::copy(template, work).unwrap();
    let started = Instant::now();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["crash_child", "--exact", "--nocapture", "--test-threads", "1"])
        .env("COMPCODE_CRASH_CHILD", work)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    if let Some(d) = delay {
        std::thread::sleep(d);
        let _ = child.kill(); // SIGKILL on Unix; an error means it had exited already
    }
    let status = child.wait().unwrap();
    let elapsed = started.elapsed();
    let mut last = 0;
    let progress = std::fs::read_to_string(format!("{}.progress", work.display())).unwrap_or_default();
    for line in progress.lines() {
        if let Some(k) = line.strip_prefix("applied ") {
            last = k.trim().parse().unwrap();
        }
    }
    if delay.is_none() {
        assert!(status.success(), "the child failed on its own: {status}");
    }
    (last, elapsed)
}

#[test]
fn sigkill_never_leaves_half_a_change_set() {
    let iterations: usize = std::env::var("COMPCODE_CRASH_ITERATIONS").ok().and_then(|s| s.parse().ok()).unwrap_or(200);
    let dir: PathBuf = std::env::temp_dir().join(format!("compcode-crash-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let (template, work) = (dir.join("template.sqlite"), dir.join("work.sqlite"));

    // the seeded template, checkpointed into the main file
    seed(&mut Orchestrator::new(SqliteRepository::open(&template).unwrap()));
    let conn = rusqlite::Connection::open(&template).unwrap();
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(())).unwrap();
    drop(conn);

    // the expected state after 0, 1, …, CHANGE_SETS change sets
    let mut mem = Orchestrator::new(MemoryRepository::new());
    seed(&mut mem);
    let mut states = vec![dump(mem.repo())];
    for k in 1..=CHANGE_SETS {
        change_set(&mut mem, k);
        states.push(dump(mem.repo()));
    }
    assert_eq!(dump(&SqliteRepository::open(&template).unwrap()), states[0], "the template is the seeded state");

    // one uncrashed run, to learn how long a whole run takes
    let (last, full) = run_child(&template, &work, None);
    assert_eq!(last, CHANGE_SETS);
    assert_eq!(dump(&SqliteRepository::open(&work).unwrap()), states[CHANGE_SETS]);

    let started = Instant::now();
    let mut seed_rng: u64 = 0x9e37_79b9_7f4a_7c15 ^ u64::from(std::process::id());
    let (mut mid, mut landed_after_report) = (0, 0);
    for i in 0..iterations {
        // xorshift: a delay anywhere in the child's life, process start-up included
        seed_rng ^= seed_rng << 13;
        seed_rng ^= seed_rng >> 7;
        seed_rng ^= seed_rng << 17;
        let delay = Duration::from_micros(seed_rng % (full.as_micros() as u64 + 1));
        let (reported, _) = run_child(&template, &work, Some(delay));
        let conn = rusqlite::Connection::open(&work).unwrap();
        let integrity: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
        assert_eq!(integrity, "ok", "iteration {i}: integrity_check after a kill at {delay:?}");
        drop(conn);
        let state = dump(&SqliteRepository::open(&work).unwrap());
        if state == states[reported] {
            if reported > 0 && reported < CHANGE_SETS {
                mid += 1;
            }
        } else if reported < CHANGE_SETS && state == states[reported + 1] {
            landed_after_report += 1;
        } else {
            let which = states.iter().position(|s| *s == state);
            panic!(
                "iteration {i}: killed at {delay:?} after the child reported {reported} change sets, the database \
                 holds {} (neither the state after {reported} nor after {})",
                which.map_or("no state of the sequence: a partial change set".into(), |w| format!(
                    "the state after {w}"
                )),
                reported + 1
            );
        }
    }
    eprintln!(
        "{iterations} kills in {:?} (a whole run takes {full:?}): {mid} between change sets, {landed_after_report} \
         committed but not yet reported; integrity ok and a whole number of change sets every time",
        started.elapsed()
    );
    let _ = std::fs::remove_dir_all(&dir);
}
