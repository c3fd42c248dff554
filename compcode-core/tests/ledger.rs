//! The repository conformance suite and the seed's recipes on `MemoryRepository`, plus the
//! ledger's reliability checks.

use compcode_core::conformance;
use compcode_core::memory::MemoryRepository;
use compcode_core::orchestrator::{Actor, Orchestrator};
use compcode_core::repository::{Collection, Query, Repository};
use serde_json::json;

#[test]
fn memory_repository_passes_the_conformance_suite() {
    conformance::run_all(MemoryRepository::new).unwrap();
}

#[test]
fn a_failure_while_applying_a_change_set_leaves_the_store_as_before() {
    let at = chrono::NaiveDate::from_ymd_opt(2026, 1, 10).unwrap();
    let mut o = Orchestrator::new(MemoryRepository::new());
    o.upsert_rep(&Actor::System, json!({"id": "alice", "name": "Alice"}), at).unwrap();
    o.create_plan(&Actor::System, json!({"planId": "p", "name": "P", "effectiveStart": "2026-01-01", "config": {"rules": [
        {"name": "R", "measure": "amount", "tierBy": "value", "tiers": [{"tierIndex": 0, "name": "T", "minThreshold": 0, "rate": "0.1"}]}]}}), at).unwrap();
    o.assign(&Actor::System, json!({"repIds": ["alice"], "planId": "p", "effectiveStart": "2026-01-01"}), at).unwrap();
    let snapshot = |o: &Orchestrator<MemoryRepository>| -> Vec<_> {
        Collection::ALL.iter().map(|c| o.repo().list(*c, &Query::all()).unwrap()).collect()
    };
    let before = snapshot(&o);
    o.repo_mut().fail_next_commit_after(2); // the deal snapshot and the event land, then failure
    let deal = json!({"id": "D1", "stage": "Won", "amount": "1000", "closeDate": "2026-01-05", "ownerRepId": "alice"});
    let err = o.upsert_deal(&Actor::System, deal.clone(), at).unwrap_err();
    assert_eq!(err.code().as_str(), "INTERNAL_ERROR");
    assert_eq!(snapshot(&o), before, "nothing of the failed run may remain");
    let run = o.upsert_deal(&Actor::System, deal, at).unwrap();
    assert_eq!(run.events_written, 1);
}

/// A store where another writer commits between the orchestrator's read and its commit.
struct Racing {
    inner: MemoryRepository,
    races_left: usize,
}

impl Repository for Racing {
    fn get(&self, c: Collection, id: &str) -> compcode_core::Result<Option<compcode_core::repository::Record>> {
        self.inner.get(c, id)
    }
    fn list(&self, c: Collection, q: &Query) -> compcode_core::Result<Vec<compcode_core::repository::Record>> {
        self.inner.list(c, q)
    }
    fn commit(&mut self, writes: Vec<compcode_core::repository::Write>) -> compcode_core::Result<()> {
        if self.races_left > 0 {
            self.races_left -= 1;
            // the concurrent writer appends an audit entry first: our audit id is now taken
            let seq = self.inner.list(Collection::Audit, &Query::all())?.len() + 1;
            let rec = compcode_core::repository::Record::new(format!("{seq:012}"), json!({"action": "other.writer"}));
            self.inner.commit(vec![compcode_core::repository::Write::put(Collection::Audit, rec, Some(0))])?;
        }
        self.inner.commit(writes)
    }
}

#[test]
fn a_lost_race_is_retried_and_nothing_is_counted_twice() {
    let at = chrono::NaiveDate::from_ymd_opt(2026, 1, 10).unwrap();
    let mut o = Orchestrator::new(Racing { inner: MemoryRepository::new(), races_left: 0 });
    o.upsert_rep(&Actor::System, json!({"id": "alice", "name": "Alice"}), at).unwrap();
    o.create_plan(&Actor::System, json!({"planId": "p", "name": "P", "effectiveStart": "2026-01-01", "config": {"rules": [
        {"name": "R", "measure": "amount", "tierBy": "value", "tiers": [{"tierIndex": 0, "name": "T", "minThreshold": 0, "rate": "0.1"}]}]}}), at).unwrap();
    o.assign(&Actor::System, json!({"repIds": ["alice"], "planId": "p", "effectiveStart": "2026-01-01"}), at).unwrap();
    o.repo_mut().races_left = 2;
    let run = o
        .upsert_deal(
            &Actor::System,
            json!({"id": "D1", "stage": "Won", "amount": "1000", "closeDate": "2026-01-05", "ownerRepId": "alice"}),
            at,
        )
        .unwrap();
    assert_eq!(run.events_written, 1);
    let events = o.repo().list(Collection::Events, &Query::all()).unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].doc["amount"], "100.00");
    let ran = o.audit_log(&Actor::System, Some("orchestrator.ran")).unwrap();
    assert_eq!(ran.len(), 1, "the retried run is audited once");
}
