//! No workflow loses or double-counts a cent: after any sequence of deal upserts, deletes,
//! manual reverses and recalculations, the live events equal a fresh calculation from the
//! final deal snapshots.

use compcode_core::api::simulate;
use compcode_core::ledger::LineStatus;
use compcode_core::memory::MemoryRepository;
use compcode_core::orchestrator::{Actor, Orchestrator};
use proptest::prelude::*;
use serde_json::json;
use std::collections::BTreeMap;

#[derive(Debug, Clone)]
enum Step {
    Upsert { deal: u8, owner: u8, amount: u32, day: u8, won: bool },
    Delete { deal: u8 },
    Reverse { deal: u8 },
    Recalc,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        6 => (0u8..6, 0u8..2, 0u32..400_000, 0u8..85, prop::bool::weighted(0.85))
            .prop_map(|(deal, owner, amount, day, won)| Step::Upsert { deal, owner, amount, day, won }),
        1 => (0u8..6).prop_map(|deal| Step::Delete { deal }),
        1 => (0u8..6).prop_map(|deal| Step::Reverse { deal }),
        1 => Just(Step::Recalc),
    ]
}

fn date(day: u8) -> String {
    let d = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap() + chrono::Days::new(u64::from(day));
    d.to_string()
}

fn plan() -> serde_json::Value {
    json!({"planId": "ae", "name": "AE", "effectiveStart": "2026-01-01", "config": {"rules": [
        {"name": "Commission", "measure": "closed_won_revenue", "tierMode": "marginal",
         "tiers": [{"tierIndex": 0, "name": "Base", "minThreshold": 0, "rate": "0.08"},
                   {"tierIndex": 1, "name": "Accel", "minThreshold": "1", "rate": "0.12"}]},
        {"name": "Bonus", "measure": "closed_won_revenue", "executionPhase": "periodic", "payoutBase": "1",
         "tiers": [{"tierIndex": 0, "name": "Hit", "minThreshold": "1", "flatAmount": "5000"}]},
        {"name": "Override", "measure": "closed_won_revenue", "executionPhase": "cascade", "dependsOn": "_total",
         "tiers": [{"tierIndex": 0, "name": "All", "minThreshold": 0, "rate": "0.05"}]}]}})
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn live_events_equal_a_fresh_calculation(steps in prop::collection::vec(step(), 1..14)) {
        let start = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        let at = chrono::NaiveDate::from_ymd_opt(2026, 4, 2).unwrap();
        let mut o = Orchestrator::new(MemoryRepository::new());
        let sys = Actor::System;
        for (id, mgr) in [("mgr", None), ("r0", Some("mgr")), ("r1", Some("mgr"))] {
            o.upsert_rep(&sys, json!({"id": id, "name": id, "managerId": mgr}), start).unwrap();
        }
        o.create_plan(&sys, plan(), start).unwrap();
        o.assign(&sys, json!({"repIds": ["mgr", "r0", "r1"], "planId": "ae", "effectiveStart": "2026-01-01"}), start).unwrap();
        for rule in ["Commission", "Bonus"] {
            o.set_quota(&sys, json!({"repIds": ["r0", "r1"], "planId": "ae", "ruleName": rule, "period": "2026-Q1", "target": "500000"}), start).unwrap();
        }
        let mut known = std::collections::BTreeSet::new();
        for s in &steps {
            match s {
                Step::Upsert { deal, owner, amount, day, won } => {
                    let d = json!({"id": format!("D{deal}"), "stage": if *won { "closed_won" } else { "closed_lost" },
                                   "amount": amount.to_string(), "closeDate": date(*day), "ownerRepId": format!("r{owner}")});
                    o.upsert_deal(&sys, d, at).unwrap();
                    known.insert(*deal);
                }
                Step::Delete { deal } if known.contains(deal) => { o.delete_deal(&sys, &format!("D{deal}"), at).unwrap(); }
                Step::Reverse { deal } if known.contains(deal) => { o.reverse_deal(&sys, &format!("D{deal}"), at).unwrap(); }
                Step::Recalc => { o.recalculate(&sys, None, at).unwrap(); }
                _ => {}
            }
        }
        // what the ledger holds
        let mut live: BTreeMap<String, String> = BTreeMap::new();
        for e in o.events(&sys, None, None).unwrap() {
            if e.status != LineStatus::Reversed {
                live.insert(e.idempotency_key.clone(), e.amount.to_string());
            }
        }
        // a fresh calculation on the final snapshots
        let fresh = simulate(&o.state_document(at).unwrap()).unwrap();
        let expected: BTreeMap<String, String> = fresh.events.iter().map(|e| (e.idempotency_key.clone(), e.amount.clone())).collect();
        prop_assert_eq!(live, expected);
    }
}
