//! CRM adapters (SPEC §19): limits, all-or-nothing batches, and properties of autoMatch.

use compcode_core::api::run;
use proptest::prelude::*;
use serde_json::{json, Value};

fn event(i: usize, value: &str) -> Value {
    json!({"eventId": i, "subscriptionType": "deal.propertyChange", "objectId": 1000 + i, "occurredAt": 1_711_234_567_890_i64,
           "propertyName": "amount", "propertyValue": value})
}

fn issues(e: &compcode_core::Error) -> Vec<(String, String)> {
    e.details()["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["path"].as_str().unwrap().to_string(), i["code"].as_str().unwrap().to_string()))
        .collect()
}

#[test]
fn an_oversized_batch_is_too_large() {
    let events: Vec<Value> = (0..1001).map(|i| event(i, "10")).collect();
    let e = run("crm.hubspot.webhook", &json!({"mapping": {"closed_won_revenue": "amount"}, "events": events}))
        .unwrap_err();
    assert_eq!(issues(&e), vec![("events".to_string(), "too_large".to_string())]);
    // 1000 events are fine
    let events: Vec<Value> = (0..1000).map(|i| event(i, "10")).collect();
    let ok =
        run("crm.hubspot.webhook", &json!({"mapping": {"closed_won_revenue": "amount"}, "events": events})).unwrap();
    assert_eq!(ok["changes"].as_array().unwrap().len(), 1000);
}

#[test]
fn an_oversized_value_is_too_large() {
    let long = "9".repeat(10_001);
    let e =
        run("crm.hubspot.webhook", &json!({"mapping": {"closed_won_revenue": "amount"}, "events": [event(0, &long)]}))
            .unwrap_err();
    assert_eq!(issues(&e), vec![("events[0].propertyValue".to_string(), "too_large".to_string())]);
}

#[test]
fn one_bad_event_rejects_the_batch() {
    let events = json!([event(0, "10"), event(1, "ten")]);
    let e = run("crm.hubspot.webhook", &json!({"mapping": {"closed_won_revenue": "amount"}, "events": events}))
        .unwrap_err();
    assert_eq!(e.code().as_str(), "VALIDATION_FAILED");
    assert_eq!(issues(&e), vec![("events[1].propertyValue".to_string(), "invalid_decimal".to_string())]);
}

proptest! {
    /// Confidences are decimal strings in [0, 1] with two decimals, each slug and attribute used once.
    #[test]
    fn auto_match_confidences_are_in_range(names in proptest::collection::vec("[a-zA-Z_ ]{0,20}", 0..8),
                                           types in proptest::collection::vec(prop_oneof!["text", "currency", "date", "select", "number"], 8)) {
        let attrs: Vec<Value> = names.iter().enumerate()
            .map(|(i, n)| json!({"slug": format!("{n}{i}"), "label": n, "type": types[i]}))
            .collect();
        let out = run("crm.auto_match", &json!({"attributes": attrs})).unwrap();
        let mut used = std::collections::BTreeSet::new();
        for p in out["proposals"].as_array().unwrap() {
            let c: rust_decimal::Decimal = p["confidence"].as_str().unwrap().parse().unwrap();
            prop_assert!(c >= rust_decimal::Decimal::new(60, 2) && c <= rust_decimal::Decimal::ONE);
            prop_assert_eq!(c.scale(), 2);
            prop_assert!(used.insert(p["attribute"].as_str().unwrap().to_string()));
        }
        prop_assert_eq!(out["proposals"].as_array().unwrap().len() + out["unmatched"].as_array().unwrap().len(), 6);
    }

    /// Any JSON as a webhook batch: a typed error or one change per event, never a panic.
    #[test]
    fn webhook_batches_never_panic(kinds in proptest::collection::vec(0u8..6, 0..12), vals in proptest::collection::vec("[0-9a-z.,-]{0,6}", 12)) {
        let events: Vec<Value> = kinds.iter().enumerate().map(|(i, k)| match k {
            0 => json!({"subscriptionType": "deal.creation", "objectId": i, "occurredAt": i}),
            1 => json!({"subscriptionType": "deal.deletion", "objectId": i % 3, "occurredAt": 5}),
            2 => json!({"subscriptionType": "deal.propertyChange", "objectId": i % 3, "occurredAt": 7, "propertyName": "amount", "propertyValue": vals[i]}),
            3 => json!({"subscriptionType": "deal.propertyChange", "objectId": i % 3, "occurredAt": 7, "propertyName": "owner_x", "propertyValue": vals[i]}),
            4 => json!({"subscriptionType": "contact.creation", "objectId": i}),
            _ => json!(vals[i]),
        }).collect();
        let n = events.len();
        match run("crm.hubspot.webhook", &json!({"mapping": {"closed_won_revenue": "amount", "owner": "owner_x"}, "events": events})) {
            Ok(out) => prop_assert_eq!(out["changes"].as_array().unwrap().len(), n),
            Err(e) => prop_assert_eq!(e.code().as_str(), "VALIDATION_FAILED"),
        }
    }
}

#[test]
fn no_saved_mapping_no_warnings() {
    let doc = json!({"asOf": "2026-04-02", "reps": [], "deals": [], "plans": [{"planId": "p", "name": "P",
        "effectiveStart": "2026-01-01", "config": {"rules": [{"name": "R", "measure": "gross_margin", "tierBy": "value",
        "tiers": [{"tierIndex": 0, "name": "T", "minThreshold": "0", "rate": "0.1"}]}]}}]});
    let out = run("validate", &doc).unwrap();
    assert_eq!(out, json!({"valid": true, "errors": []}));
    let mut with = doc.clone();
    with["fieldMapping"] = json!({"gross_margin": "hs_margin"});
    assert_eq!(run("validate", &with).unwrap(), json!({"valid": true, "errors": []}), "a mapped measure is known");
}

/// cleanup's other two reasons: a deal snapshot gone from the store, a rule gone from its version.
#[test]
fn cleanup_finds_missing_deals_and_rules() {
    use compcode_core::memory::MemoryRepository;
    use compcode_core::orchestrator::{Actor, Orchestrator};
    use compcode_core::repository::{Collection, Record, Repository, Write};
    let at = chrono::NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
    let mut o = Orchestrator::new(MemoryRepository::new());
    let sys = Actor::System;
    o.upsert_rep(&sys, json!({"id": "alice", "name": "Alice"}), at).unwrap();
    let rule = |n: &str| {
        json!({"name": n, "measure": "amount", "tierBy": "value",
        "tiers": [{"tierIndex": 0, "name": "T", "minThreshold": "0", "rate": "0.1"}]})
    };
    o.create_plan(
        &sys,
        json!({"planId": "ae", "name": "AE", "effectiveStart": "2026-01-01",
        "config": {"rules": [rule("A"), rule("B")]}}),
        at,
    )
    .unwrap();
    o.assign(&sys, json!({"repIds": ["alice"], "planId": "ae", "effectiveStart": "2026-01-01"}), at).unwrap();
    for (id, amount) in [("D1", "100"), ("D2", "200")] {
        o.upsert_deal(
            &sys,
            json!({"id": id, "stage": "Won", "amount": amount, "closeDate": "2026-01-10", "ownerRepId": "alice"}),
            at,
        )
        .unwrap();
    }
    // the host drops D2's snapshot and rewrites version 1 without rule B
    let mut plan = o.repo().get(Collection::Plans, "ae").unwrap().unwrap();
    plan.doc["versions"][0]["config"]["rules"] = json!([rule("A")]);
    o.repo_mut()
        .commit(vec![
            Write::Delete { collection: Collection::Deals, id: "D2".into() },
            Write::put(Collection::Plans, Record::new("ae", plan.doc.clone()), None),
        ])
        .unwrap();
    let out = o.cleanup(&sys, at).unwrap();
    // D2/A and D2/B: deal_missing (checked first); D1/B: rule_missing
    assert_eq!(
        out,
        json!({"eventsReversed": 3, "eventsLocked": 0, "byReason": {"deal_missing": 2, "rule_missing": 1}})
    );
    let live: Vec<String> = o
        .events(&sys, None, None)
        .unwrap()
        .into_iter()
        .filter(|e| e.status != compcode_core::ledger::LineStatus::Reversed)
        .map(|e| format!("{} {} {}", e.deal_id.unwrap_or_default(), e.rule_name, e.amount))
        .collect();
    assert_eq!(live, vec!["D1 A 10.00"]);
    assert_eq!(o.cleanup(&sys, at).unwrap()["eventsReversed"], 0, "a second cleanup finds nothing");
}

/// A webhook batch touching two deals is one commit: a store failure while applying it leaves
/// neither deal (nor any audit entry) behind, and the same batch then applies whole.
#[test]
fn a_webhook_batch_is_one_commit() {
    use compcode_core::memory::MemoryRepository;
    use compcode_core::orchestrator::{Actor, Orchestrator};
    use compcode_core::repository::{Collection, Query, Repository};
    let at = chrono::NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
    let mut o = Orchestrator::new(MemoryRepository::new());
    let sys = Actor::System;
    o.upsert_rep(&sys, json!({"id": "alice", "name": "Alice", "crmIds": ["52"]}), at).unwrap();
    o.create_plan(
        &sys,
        json!({"planId": "ae", "name": "AE", "effectiveStart": "2026-01-01", "config": {"rules": [
        {"name": "R", "measure": "amount", "tierBy": "value",
         "tiers": [{"tierIndex": 0, "name": "T", "minThreshold": "0", "rate": "0.1"}]}]}}),
        at,
    )
    .unwrap();
    o.assign(&sys, json!({"repIds": ["alice"], "planId": "ae", "effectiveStart": "2026-01-01"}), at).unwrap();
    let ev = |i: u64, obj: u64, p: &str, v: &str| {
        json!({"eventId": i, "subscriptionType": "deal.propertyChange",
        "objectId": obj, "occurredAt": 1_767_225_600_000_u64 + i, "propertyName": p, "propertyValue": v})
    };
    let mut events = Vec::new();
    for (k, obj) in [(0, 1u64), (10, 2u64)] {
        events.push(ev(k, obj, "amount", "1000"));
        events.push(ev(k + 1, obj, "dealstage", "closedwon"));
        events.push(ev(k + 2, obj, "closedate", "2026-02-01"));
        events.push(ev(k + 3, obj, "hubspot_owner_id", "52"));
    }
    let batch = json!({"provider": "hubspot", "events": events, "mapping": {"closed_won_revenue": "amount",
        "deal_stage": "dealstage", "close_date": "closedate", "owner": "hubspot_owner_id"}});
    let audit_before = o.repo().list(Collection::Audit, &Query::all()).unwrap().len();
    o.repo_mut().fail_next_commit_after(3);
    assert!(o.call("crm_webhook", &sys, at, &batch).is_err());
    assert!(o.repo().list(Collection::Deals, &Query::all()).unwrap().is_empty());
    assert!(o.repo().list(Collection::Events, &Query::all()).unwrap().is_empty());
    assert_eq!(o.repo().list(Collection::Audit, &Query::all()).unwrap().len(), audit_before);
    let out = o.call("crm_webhook", &sys, at, &batch).unwrap();
    assert_eq!(out["runs"].as_array().unwrap().len(), 2);
    let amounts: Vec<String> =
        o.events(&sys, Some("alice"), None).unwrap().into_iter().map(|e| e.amount.to_string()).collect();
    assert_eq!(amounts, vec!["100.00", "100.00"]);
    // per deal: its orchestrator.ran, then the webhook.received of its run; numbered after the earlier entries
    let log = o.audit_log(&sys, None).unwrap();
    let tail: Vec<&str> = log[audit_before..].iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(tail, vec!["orchestrator.ran", "webhook.received", "orchestrator.ran", "webhook.received"]);
    let seqs: Vec<u64> = log.iter().map(|e| e["seq"].as_u64().unwrap()).collect();
    assert_eq!(seqs, (1..=log.len() as u64).collect::<Vec<_>>());
}
