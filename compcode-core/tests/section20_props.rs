//! SPEC §20 invariants end to end (through `simulate`):
//! * a payout schedule's installments (released + held) add up exactly to the payout the rule
//!   pays without a schedule, for every deal;
//! * a recoverable draw's balance never goes negative and never exceeds the draws paid.

use proptest::prelude::*;
use rust_decimal::Decimal;
use serde_json::{json, Value};
use std::collections::BTreeMap;

fn doc(amounts: &[i64], rate: &str, schedule: Option<Value>, draws: Option<Value>) -> Value {
    let mut rule = json!({"name": "R", "measure": "amount", "attainmentPeriod": "monthly", "tierBy": "value",
        "tiers": [{"tierIndex": 0, "name": "T", "minThreshold": "0", "rate": rate}]});
    if let Some(s) = schedule {
        rule["payoutSchedule"] = s;
    }
    let deals: Vec<Value> = amounts
        .iter()
        .enumerate()
        .map(|(i, a)| {
            json!({"id": format!("D{i}"), "stage": "Won", "amount": Decimal::new(*a, 2).to_string(),
                   "closeDate": format!("2026-{:02}-{:02}", i % 12 + 1, i % 28 + 1), "ownerRepId": "a",
                   "fields": {"paid": format!("2026-{:02}-15", (i * 7) % 12 + 1)}})
        })
        .collect();
    let mut d = json!({"asOf": "2026-12-31", "reps": [{"id": "a", "name": "A"}],
        "plans": [{"planId": "p", "name": "P", "effectiveStart": "2026-01-01", "config": {"rules": [rule]}}],
        "assignments": [{"repId": "a", "planId": "p", "effectiveStart": "2026-01-01"}],
        "deals": deals, "options": {"trace": false}});
    if let Some(x) = draws {
        d["draws"] = x;
    }
    d
}

fn dec(v: &Value) -> Decimal {
    v.as_str().unwrap().parse().unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn installments_add_up_to_the_payout(
        amounts in proptest::collection::vec(-1_000_000i64..100_000_000, 1..8),
        rate_milli in 1i64..300,
        split in proptest::collection::vec(1u32..100, 1..4),
        days in 0i64..400,
    ) {
        let rate = Decimal::new(rate_milli, 3).to_string();
        // percents with 2 decimals summing to exactly 100
        let total: u32 = split.iter().sum();
        let mut pcts: Vec<Decimal> = split.iter().map(|s| (Decimal::from(*s * 100) / Decimal::from(total)).round_dp(2)).collect();
        let head: Decimal = pcts[..pcts.len() - 1].iter().copied().sum();
        let n = pcts.len();
        pcts[n - 1] = Decimal::ONE_HUNDRED - head;
        prop_assume!(pcts.iter().all(|p| *p > Decimal::ZERO));
        let releases = [json!("credit"), json!({"field": "paid"}), json!({"daysAfterCredit": days})];
        let schedule: Vec<Value> = pcts.iter().enumerate()
            .map(|(i, p)| json!({"percent": p.to_string(), "release": releases[i % 3].clone()}))
            .collect();
        let plain = compcode_core::api::run("simulate", &doc(&amounts, &rate, None, None)).unwrap();
        let split_out = compcode_core::api::run("simulate", &doc(&amounts, &rate, Some(json!(schedule)), None)).unwrap();
        let mut payout: BTreeMap<String, Decimal> = BTreeMap::new();
        for e in plain["events"].as_array().unwrap() {
            payout.insert(e["dealId"].as_str().unwrap().to_string(), dec(&e["amount"]));
        }
        let mut released: BTreeMap<String, Decimal> = BTreeMap::new();
        let mut held: BTreeMap<String, Decimal> = BTreeMap::new();
        for e in split_out["events"].as_array().unwrap() {
            let d = e["dealId"].as_str().unwrap().to_string();
            let slot = if e["held"] == true { held.entry(d).or_default() } else { released.entry(d).or_default() };
            *slot += dec(&e["amount"]);
        }
        prop_assert_eq!(split_out["events"].as_array().unwrap().len(), plain["events"].as_array().unwrap().len() * n);
        for (d, p) in &payout {
            let sum = released.get(d).copied().unwrap_or_default() + held.get(d).copied().unwrap_or_default();
            prop_assert_eq!(sum, *p, "deal {}", d);
        }
        prop_assert_eq!(&split_out["totalCommission"], &plain["totalCommission"]);
    }

    #[test]
    fn a_draw_balance_stays_between_zero_and_the_draws_paid(
        amounts in proptest::collection::vec(-1_000_000i64..50_000_000, 1..12),
        per in 0i64..2_000_000,
        to in 1u32..12,
        pct in 0u32..=100,
    ) {
        let draws = json!([{"repId": "a", "amountPerPeriod": Decimal::new(per, 2).to_string(), "periodFrom": "2026-01",
            "periodTo": format!("2026-{to:02}"), "recoverable": true, "maxRecoveryPercent": pct}]);
        let out = compcode_core::api::run("simulate", &doc(&amounts, "0.1", None, Some(draws))).unwrap();
        let mut paid = Decimal::ZERO;
        for row in out["draws"].as_array().unwrap() {
            paid += dec(&row["drawAmount"]);
            let balance = dec(&row["balance"]);
            prop_assert!(balance >= Decimal::ZERO);
            prop_assert!(balance <= paid);
            prop_assert!(dec(&row["recovery"]) <= Decimal::ZERO);
            prop_assert_eq!(dec(&row["net"]), dec(&row["earnings"]) + dec(&row["drawAmount"]) + dec(&row["recovery"]));
        }
    }
}
