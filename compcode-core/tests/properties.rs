//! Property tests: invariants that must hold for every input (issue #2's list).

use compcode_core::api::{run, simulate};
use compcode_core::calc::tiers::marginal;
use compcode_core::model::Tier;
use proptest::prelude::*;
use rust_decimal::Decimal;
use serde_json::{json, Value};

#[derive(Debug, Clone)]
struct DealSpec {
    amount: i64,
    cents: i64,
    day: u32,
    rep: usize,
    split: Option<u32>,
}

fn deal_strategy() -> impl Strategy<Value = DealSpec> {
    (0i64..300_000, 0i64..100, 0u32..89, 0usize..3, prop::option::of(1u32..100))
        .prop_map(|(amount, cents, day, rep, split)| DealSpec { amount, cents, day, rep, split })
}

fn date_of(day: u32) -> String {
    let (m, d) = match day {
        0..=30 => (1, day + 1),
        31..=58 => (2, day - 30),
        _ => (3, day - 58),
    };
    format!("2026-{m:02}-{d:02}")
}

/// A document with three reps (r0 manages r1 and r2), one plan with a per_deal rule of the
/// given mode, a periodic bonus and a cascade, quotas for everyone, and the given deals.
fn document(deals: &[DealSpec], mode: &str, rates: &[(&str, &str)], zero: bool) -> Value {
    let tiers: Vec<Value> = rates
        .iter()
        .enumerate()
        .map(|(i, (min, rate))| json!({"tierIndex": i, "name": format!("T{i}"), "minThreshold": min, "rate": rate}))
        .collect();
    let deals: Vec<Value> = deals
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let amount = if zero { "0".to_string() } else { format!("{}.{:02}", d.amount, d.cents) };
            let mut v = json!({"id": format!("D{i}"), "name": format!("Deal {i}"), "stage": "closed_won",
                               "amount": amount, "closeDate": date_of(d.day), "ownerRepId": format!("r{}", d.rep)});
            if let Some(s) = d.split {
                let other = (d.rep + 1) % 3;
                v["credits"] = json!([{"repId": format!("r{}", d.rep), "splitPercent": s.to_string()},
                                      {"repId": format!("r{other}"), "splitPercent": (100 - s).to_string()}]);
            }
            v
        })
        .collect();
    let mut quotas = Vec::new();
    for r in 0..3 {
        for rule in ["Commission", "Bonus"] {
            quotas.push(json!({"repId": format!("r{r}"), "planId": "p", "ruleName": rule, "period": "2026-Q1",
                               "target": "400000", "variableTarget": "20000"}));
        }
    }
    json!({
        "asOf": "2026-04-15",
        "reps": [{"id": "r0", "name": "Mgr"}, {"id": "r1", "name": "One", "managerId": "r0"},
                 {"id": "r2", "name": "Two", "managerId": "r0"}],
        "plans": [{"planId": "p", "name": "Plan", "versions": [{"planVersionId": "p1", "effectiveStart": "2026-01-01",
            "config": {"rules": [
                {"name": "Commission", "measure": "closed_won_revenue", "tierMode": mode, "tiers": tiers},
                {"name": "Bonus", "measure": "closed_won_revenue", "executionPhase": "periodic", "payoutBase": "1",
                 "tiers": [{"tierIndex": 0, "name": "Hit", "minThreshold": "1", "flatAmount": "5000"}]},
                {"name": "Override", "measure": "closed_won_revenue", "executionPhase": "cascade", "dependsOn": "_total",
                 "tiers": [{"tierIndex": 0, "name": "All", "minThreshold": "0", "rate": "0.05"}]}
            ]}}]}],
        "assignments": [{"repId": "r0", "planId": "p", "effectiveStart": "2026-01-01"},
                        {"repId": "r1", "planId": "p", "effectiveStart": "2026-01-01"},
                        {"repId": "r2", "planId": "p", "effectiveStart": "2026-01-01"}],
        "quotas": quotas,
        "deals": deals
    })
}

const RATES: [(&str, &str); 3] = [("0", "0.05"), ("0.5", "0.08"), ("1", "0.12")];

fn reverse_lists(doc: &mut Value) {
    for key in ["deals", "reps", "assignments", "quotas"] {
        if let Some(a) = doc[key].as_array_mut() {
            a.reverse();
        }
    }
    if let Some(t) = doc["plans"][0]["versions"][0]["config"]["rules"][0]["tiers"].as_array_mut() {
        t.reverse();
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// The output does not depend on the order of any input list.
    #[test]
    fn output_is_identical_under_permutation(deals in prop::collection::vec(deal_strategy(), 1..25), seed in any::<u64>()) {
        let doc = document(&deals, "full_rate", &RATES, false);
        let base = serde_json::to_value(simulate(&doc).unwrap()).unwrap();
        let mut shuffled = doc.clone();
        reverse_lists(&mut shuffled);
        // a seeded rotation of the deals as well
        if let Some(a) = shuffled["deals"].as_array_mut() {
            let k = (seed as usize) % a.len();
            a.rotate_left(k);
        }
        let other = serde_json::to_value(simulate(&shuffled).unwrap()).unwrap();
        prop_assert_eq!(base, other);
    }

    /// With non-decreasing rates, marginal never pays more than full_rate for a deal.
    #[test]
    fn marginal_never_exceeds_full_rate(deals in prop::collection::vec(deal_strategy(), 1..25)) {
        let full = simulate(&document(&deals, "full_rate", &RATES, false)).unwrap();
        let marg = simulate(&document(&deals, "marginal", &RATES, false)).unwrap();
        let per_deal = |r: &compcode_core::api::SimulateResult| -> Vec<(Option<String>, String, Decimal)> {
            r.events.iter().filter(|e| e.execution_phase == "per_deal")
                .map(|e| (e.deal_id.clone(), e.rep_id.clone(), e.amount.parse().unwrap())).collect()
        };
        let (f, m) = (per_deal(&full), per_deal(&marg));
        prop_assert_eq!(f.len(), m.len());
        for (a, b) in f.iter().zip(m.iter()) {
            prop_assert_eq!(&a.0, &b.0);
            prop_assert!(b.2 <= a.2, "deal {:?} rep {}: marginal {} > full_rate {}", b.0, b.1, b.2, a.2);
        }
    }

    /// Marginal payouts are additive: paying [a, c] equals paying [a, b] then [b, c].
    #[test]
    fn marginal_is_additive(a in -500_000i64..2_000_000, len1 in 0i64..1_000_000, len2 in 0i64..1_000_000,
                            t1 in 1i64..150, t2 in 1i64..150, target in 1i64..1_000_000) {
        let tiers = vec![
            Tier { tier_index: 0, name: "A".into(), min_threshold: Decimal::ZERO, max_threshold: None, rate: Some(Decimal::new(5, 2)), flat_amount: None },
            Tier { tier_index: 1, name: "B".into(), min_threshold: Decimal::new(t1, 2), max_threshold: None, rate: Some(Decimal::new(9, 2)), flat_amount: None },
            Tier { tier_index: 2, name: "C".into(), min_threshold: Decimal::new(t1 + t2, 2), max_threshold: None, rate: Some(Decimal::new(14, 2)), flat_amount: None },
        ];
        let scale = Decimal::from(target);
        let (a, b, c) = (Decimal::from(a), Decimal::from(a + len1), Decimal::from(a + len1 + len2));
        let whole = marginal(&tiers, scale, a, c).unwrap().0;
        let parts = marginal(&tiers, scale, a, b).unwrap().0 + marginal(&tiers, scale, b, c).unwrap().0;
        prop_assert_eq!(whole, parts);
    }

    /// Deals of amount zero pay nothing, in every phase.
    #[test]
    fn zero_amount_deals_pay_zero(deals in prop::collection::vec(deal_strategy(), 1..25)) {
        for mode in ["full_rate", "marginal"] {
            let out = simulate(&document(&deals, mode, &RATES, true)).unwrap();
            prop_assert_eq!(&out.total_commission, "0.00");
            prop_assert!(out.events.iter().all(|e| e.amount == "0.00"));
        }
    }

    /// Arbitrary JSON never panics: it is either simulated or refused with a typed error.
    #[test]
    fn arbitrary_json_never_panics(v in arb_json()) {
        let _ = run("simulate", &v);
        let _ = run("validate", &v);
    }

    /// The lazy view (`compcode_core::view`) writes the same JSON text as the owned result, for
    /// marginal and full_rate tiers, splits, a periodic bonus and a cascade, with and without traces.
    #[test]
    fn the_view_writes_what_the_owned_result_writes(deals in prop::collection::vec(deal_strategy(), 1..25),
                                                    mode in prop::sample::select(vec!["marginal", "full_rate"]),
                                                    trace in any::<bool>(), zero in any::<bool>()) {
        let mut doc = document(&deals, mode, &RATES, zero);
        doc["options"] = serde_json::json!({"trace": trace});
        let calc_doc = compcode_core::validate::read_document(&doc).unwrap();
        let owned = compcode_core::api::simulate_doc(&calc_doc).unwrap();
        let view = compcode_core::view::simulate_view(&calc_doc).unwrap();
        prop_assert_eq!(serde_json::to_string(&view).unwrap(), serde_json::to_string(&owned).unwrap());
    }

    /// A valid document with one value replaced by arbitrary JSON never panics.
    #[test]
    fn mutated_documents_never_panic(deals in prop::collection::vec(deal_strategy(), 1..6), pick in any::<u64>(), v in arb_json()) {
        let mut doc = document(&deals, "marginal", &RATES, false);
        let mut slots = Vec::new();
        collect_paths(&doc, String::new(), &mut slots);
        let path = &slots[(pick as usize) % slots.len()];
        if let Some(slot) = doc.pointer_mut(path) {
            *slot = v;
        }
        let _ = run("simulate", &doc);
    }
}

fn collect_paths(v: &Value, at: String, out: &mut Vec<String>) {
    out.push(at.clone());
    match v {
        Value::Object(m) => m.iter().for_each(|(k, x)| collect_paths(x, format!("{at}/{k}"), out)),
        Value::Array(a) => a.iter().enumerate().for_each(|(i, x)| collect_paths(x, format!("{at}/{i}"), out)),
        _ => {}
    }
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|i| json!(i)),
        "[0-9eE.+-]{0,12}".prop_map(|s| serde_json::from_str::<Value>(&s).unwrap_or(Value::String(s))),
        prop::sample::select(vec![
            "2026-01-01",
            "2026-Q1",
            "closed_won",
            "-1",
            "1e30",
            "99999999999999999999999999999",
            "0",
            ""
        ])
        .prop_map(|s| Value::String(s.to_string())),
        "[a-zA-Z_]{0,8}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        let keys = prop::sample::select(vec![
            "asOf",
            "reps",
            "plans",
            "deals",
            "quotas",
            "assignments",
            "id",
            "planId",
            "versions",
            "config",
            "rules",
            "tiers",
            "rate",
            "minThreshold",
            "amount",
            "closeDate",
            "ownerRepId",
            "name",
            "measure",
            "target",
            "period",
            "repId",
            "effectiveStart",
            "planVersionId",
            "credits",
            "splitPercent",
            "conditions",
            "operator",
            "value",
            "field",
        ]);
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::btree_map(keys, inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().map(|(k, v)| (k.to_string(), v)).collect())),
        ]
    })
}

#[test]
fn huge_numbers_are_typed_errors_not_panics() {
    let deals = vec![DealSpec { amount: 1, cents: 0, day: 3, rep: 1, split: None }];
    let mut doc = document(&deals, "full_rate", &RATES, false);
    doc["deals"][0]["amount"] = json!("79228162514264337593543950335");
    for t in 0..3 {
        doc["plans"][0]["versions"][0]["config"]["rules"][0]["tiers"][t]["rate"] = json!("3");
    }
    let err = simulate(&doc).unwrap_err();
    assert_eq!(err.code().as_str(), "arithmetic_overflow");
}
