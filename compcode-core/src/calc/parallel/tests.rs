//! The threaded per_deal groups give exactly the sequential calculation (lines, diagnostics,
//! quotas, in the same order), traces included.
use crate::calc::calculate_with;
use crate::validate::read_document;
use serde_json::{json, Value};

fn document(deals: usize) -> Value {
    let reps: Vec<Value> = (0..40)
        .map(|i| json!({"id": format!("r{i}"), "name": "R", "managerId": if i % 10 == 0 { Value::Null } else { json!(format!("r{}", i / 10 * 10)) }}))
        .collect();
    let assignments: Vec<Value> =
        (0..40).map(|i| json!({"repId": format!("r{i}"), "planId": "p", "effectiveStart": "2026-01-01"})).collect();
    let quotas: Vec<Value> = (0..40)
        .flat_map(|i| (1..=4).map(move |q| json!({"repId": format!("r{i}"), "planId": "p", "ruleName": "C", "period": format!("2026-Q{q}"), "target": "900000"})))
        .collect();
    let deals: Vec<Value> = (0..deals)
        .map(|i| {
            json!({"id": format!("D{i}"), "stage": if i % 7 == 3 { "closed_lost" } else { "closed_won" },
                   "amount": format!("{}.{:02}", 1000 + (i * 7919) % 90000, i % 100),
                   "closeDate": format!("2026-{:02}-{:02}", 1 + i % 12, 1 + i % 28), "ownerRepId": format!("r{}", (i * 31) % 40),
                   "fields": {"region": if i % 3 == 0 { "EMEA" } else { "AMER" }}})
        })
        .collect();
    json!({"asOf": "2027-01-15", "reps": reps, "assignments": assignments, "quotas": quotas, "deals": deals,
        "plans": [{"planId": "p", "name": "P", "effectiveStart": "2026-01-01", "config": {"rules": [
            {"name": "C", "measure": "closed_won_revenue", "executionPhase": "per_deal", "attainmentPeriod": "quarterly",
             "tierBy": "attainment", "tierMode": "marginal", "tiers": [
                {"tierIndex": 0, "name": "A", "minThreshold": "0", "rate": "0.05"},
                {"tierIndex": 1, "name": "B", "minThreshold": "1", "rate": "0.08"}]},
            {"name": "S", "measure": "closed_won_revenue", "executionPhase": "per_deal", "attainmentPeriod": "quarterly",
             "tierBy": "value", "conditions": [{"field": "region", "operator": "equals", "value": "EMEA"}],
             "tiers": [{"tierIndex": 0, "name": "S", "minThreshold": "0", "rate": "0.01"}]},
            {"name": "O", "measure": "closed_won_revenue", "executionPhase": "cascade", "attainmentPeriod": "quarterly",
             "dependsOn": "C", "tiers": [{"tierIndex": 0, "name": "O", "minThreshold": "0", "rate": "0.03"}]}]}}]})
}

#[test]
fn threads_give_the_sequential_calculation() {
    // 6,000 deals: above the threshold, so the groups are really split across threads
    let doc = read_document(&document(6_000)).unwrap();
    let sequential = calculate_with(&doc, false, true).unwrap();
    let threaded = calculate_with(&doc, true, true).unwrap();
    assert!(sequential.lines.len() > 6_000);
    assert!(!sequential.diagnostics.is_empty());
    assert_eq!(threaded, sequential);
}
