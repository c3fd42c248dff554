//! Templates, plan analysis and plan diff (SPEC §19): invariants over random plans and deals,
//! and the analysis of every template.

use compcode_core::api::run;
use proptest::prelude::*;
use rust_decimal::Decimal;
use serde_json::{json, Value};

fn dec(v: &Value) -> Decimal {
    v.as_str().and_then(|s| s.parse().ok()).unwrap_or_else(|| panic!("not a decimal string: {v}"))
}

fn version(id: &str, start: &str, rate: &str) -> Value {
    json!({"planVersionId": id, "effectiveStart": start, "config": {"rules": [{
        "name": "Commission", "measure": "closed_won_revenue", "tierBy": "value",
        "tiers": [{"tierIndex": 0, "name": "Flat", "minThreshold": "0", "rate": rate}]}]}})
}

fn document(rate_a: &str, rate_b: &str, deals: &[(u8, u32, u8)]) -> Value {
    let deals: Vec<Value> = deals
        .iter()
        .enumerate()
        .map(|(i, (owner, amount, day))| {
            json!({"id": format!("D{i}"), "stage": "closed_won", "amount": amount.to_string(),
                   "closeDate": format!("2026-02-{:02}", day % 28 + 1),
                   "ownerRepId": if owner % 2 == 0 { "alice" } else { "bob" }})
        })
        .collect();
    json!({"asOf": "2026-04-02",
        "reps": [{"id": "alice", "name": "Alice"}, {"id": "bob", "name": "Bob"}],
        "plans": [{"planId": "p", "name": "P", "versions": [version("a", "2026-01-01", rate_a), version("b", "2026-03-01", rate_b)]}],
        "assignments": [{"repId": "alice", "planId": "p", "effectiveStart": "2026-01-01"},
                        {"repId": "bob", "planId": "p", "effectiveStart": "2026-01-01"}],
        "deals": deals})
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// The total delta is new − old, the sum of the rep deltas and (no periodic or cascade
    /// lines here) of every deal's delta; `old` is what a document with only version A in force
    /// pays; the listed deals are ranked by |delta| then id; a version against itself changes
    /// nothing.
    #[test]
    fn diff_totals_add_up(
        ra in 0u32..50, rb in 0u32..50,
        deals in proptest::collection::vec((0u8..2, 0u32..100_000, 0u8..28), 1..8),
    ) {
        let (rate_a, rate_b) = (format!("0.{ra:02}"), format!("0.{rb:02}"));
        let doc = document(&rate_a, &rate_b, &deals);
        let out = run("diff_plans", &json!({"document": doc, "versionA": "a", "versionB": "b", "top": 100})).unwrap();
        let t = &out["total"];
        prop_assert_eq!(dec(&t["new"]) - dec(&t["old"]), dec(&t["delta"]));
        let reps: Decimal = out["reps"].as_array().unwrap().iter().map(|r| dec(&r["delta"])).sum();
        prop_assert_eq!(reps, dec(&t["delta"]));
        let listed: Decimal = out["deals"].as_array().unwrap().iter().map(|d| dec(&d["delta"])).sum();
        prop_assert_eq!(listed, dec(&t["delta"]));
        prop_assert_eq!(out["changedDeals"].as_u64().unwrap() as usize, out["deals"].as_array().unwrap().len());
        let ranked: Vec<(Decimal, String)> = out["deals"].as_array().unwrap().iter()
            .map(|d| (dec(&d["delta"]).abs(), d["dealId"].as_str().unwrap().to_string())).collect();
        for w in ranked.windows(2) {
            prop_assert!(w[0].0 > w[1].0 || (w[0].0 == w[1].0 && w[0].1.as_bytes() < w[1].1.as_bytes()), "{:?}", ranked);
        }
        // only version A, in force from the plan's first day
        let mut only_a = doc.clone();
        only_a["plans"][0]["versions"] = json!([version("a", "2026-01-01", &rate_a)]);
        let sim = run("simulate", &only_a).unwrap();
        prop_assert_eq!(&sim["totalCommission"], &t["old"]);
        let same = run("diff_plans", &json!({"document": doc, "versionA": "b", "versionB": "b"})).unwrap();
        prop_assert_eq!(dec(&same["total"]["delta"]), Decimal::ZERO);
        prop_assert_eq!(same["changedDeals"].as_u64(), Some(0));
    }
}

#[test]
fn top_zero_lists_no_deal_but_counts_them() {
    let doc = document("0.05", "0.06", &[(0, 1000, 1), (1, 2000, 2)]);
    let out = run("diff_plans", &json!({"document": doc, "versionA": "a", "versionB": "b", "top": 0})).unwrap();
    assert_eq!(out["deals"], json!([]));
    assert_eq!(out["changedDeals"], 2);
    assert_eq!(out["total"]["delta"], "30.00");
}

/// Every template analyzed without a context: only the AE commission template's uncapped
/// accelerator is flagged (by design: the quickstart tiers have no cap). The quarterly bonus
/// calibrates by hand: nothing below 100%, 5,000.00 from 100%, 15,000.00 from 150%.
#[test]
fn the_templates_analyzed() {
    let list = run("templates", &json!({})).unwrap();
    for t in list["templates"].as_array().unwrap() {
        let out = run("analyze_plan", &json!({"plan": t["plan"]})).unwrap();
        let codes: Vec<&str> =
            out["findings"].as_array().unwrap().iter().map(|f| f["code"].as_str().unwrap()).collect();
        let want: &[&str] = if t["id"] == "ae_commission" { &["uncapped_accelerator"] } else { &[] };
        assert_eq!(codes, want, "{}: {}", t["id"], out["findings"]);
        assert_eq!(out["calibration"]["rows"].as_array().map(Vec::len), Some(6), "{}", t["id"]);
        if t["id"] == "quarterly_milestone_bonus" {
            let pays: Vec<&str> =
                out["calibration"]["rows"].as_array().unwrap().iter().map(|r| r["payout"].as_str().unwrap()).collect();
            assert_eq!(pays, ["0.00", "0.00", "5000.00", "5000.00", "15000.00", "15000.00"]);
        }
        if t["id"] == "commissionflow_basic" {
            // 10% of 250,000 = 25,000 per deal, capped at 1,000.00: 2 deals → 2000.00, 8 → 8000.00
            assert_eq!(out["calibration"]["rows"][0]["payout"], "2000.00");
            assert_eq!(out["calibration"]["rows"][5]["payout"], "8000.00");
            assert_eq!(out["calibration"]["rows"][5]["effectiveRate"], "0.004");
        }
    }
}

/// A plan whose only version is archived has no calibration; findings still come.
#[test]
fn no_active_version_no_calibration() {
    let mut v = version("v1", "2026-01-01", "0.1");
    v["status"] = json!("archived");
    let out = run("analyze_plan", &json!({"plan": {"planId": "p", "name": "P", "versions": [v]}})).unwrap();
    assert_eq!(out["calibration"], Value::Null);
    assert_eq!(out["findings"], json!([]));
}

/// Versioned plans: paths name the version; a context quota of another plan is ignored and
/// a bad one is reported at its own position in the caller's list.
#[test]
fn paths_follow_the_input() {
    let mut v2 = version("v2", "2026-03-01", "0.1");
    v2["config"]["rules"][0]["tiers"] = json!([
        {"tierIndex": 1, "name": "High", "minThreshold": "1000", "rate": "0.05"},
        {"tierIndex": 0, "name": "Low", "minThreshold": "0", "rate": "0.1"}]);
    let plan = json!({"planId": "p", "name": "P", "versions": [version("v1", "2026-01-01", "0.1"), v2]});
    let out = run("analyze_plan", &json!({"plan": plan})).unwrap();
    // tiers sorted by tierIndex: Low 0.1 then High 0.05 — High (written first) decelerates
    assert_eq!(out["findings"][0]["code"], "decelerator");
    assert_eq!(out["findings"][0]["path"], "plan.versions[1].config.rules[0].tiers[0].rate");
    assert_eq!(out["calibration"]["planVersionId"], "v2");
    let ctx = json!({"reps": [{"id": "a", "name": "A"}],
        "quotas": [{"repId": "a", "planId": "other", "ruleName": "X", "period": "2026-Q1", "target": "1"},
                   {"repId": "a", "planId": "p", "ruleName": "Commission", "period": "2026-13", "target": "1"}]});
    let err = run("analyze_plan", &json!({"plan": plan, "context": ctx})).unwrap_err();
    assert_eq!(err.details()["errors"][0]["path"], "context.quotas[1].period");
}

/// What belongs to a version follows it: version a's per-rep override applies only in run A,
/// and a quota naming version a's rule id counts for version b's rule of the same name.
#[test]
fn overrides_and_rule_ids_follow_their_version() {
    let rule = |id: &str, rate: &str| {
        json!({"id": id, "name": "Commission", "measure": "closed_won_revenue",
               "tiers": [{"tierIndex": 0, "name": "Base", "minThreshold": "0", "rate": rate}]})
    };
    let doc = json!({"asOf": "2026-04-02", "reps": [{"id": "alice", "name": "Alice"}],
        "plans": [{"planId": "p", "name": "P", "versions": [
            {"planVersionId": "a", "effectiveStart": "2026-01-01", "effectiveEnd": "2026-01-31", "config": {"rules": [rule("ra", "0.05")]}},
            {"planVersionId": "b", "effectiveStart": "2026-02-01", "config": {"rules": [rule("rb", "0.06")]}}]}],
        "assignments": [{"repId": "alice", "planId": "p", "effectiveStart": "2026-01-01"}],
        "quotas": [{"repId": "alice", "planRuleId": "ra", "period": "2026-Q1", "target": "1000"}],
        "repOverrides": [{"planVersionId": "a", "repId": "alice", "ruleName": "Commission",
                          "tiers": [{"tierIndex": 0, "name": "Alice", "minThreshold": "0", "rate": "0.10"}]}],
        "deals": [{"id": "D1", "stage": "closed_won", "amount": "1000", "closeDate": "2026-02-10", "ownerRepId": "alice"}]});
    let out = run("diff_plans", &json!({"document": doc, "versionA": "a", "versionB": "b"})).unwrap();
    // A: alice's own tiers on version a, 1000 × 0.10 = 100.00; B: 1000 × 0.06 = 60.00 (the quota
    // on rule id ra is Commission's quota under b too: attainment 1.0)
    assert_eq!(out["total"], json!({"old": "100.00", "new": "60.00", "delta": "-40.00"}));
    assert_eq!(out["deals"][0]["delta"], "-40.00");
}

/// Odd inputs are typed errors (or answers), never panics; a reference quota at the edge of
/// exact decimals overflows into `arithmetic_overflow`-class errors, not wrong numbers.
#[test]
fn odd_inputs_never_panic() {
    let plan = json!({"planId": "p", "name": "P", "effectiveStart": "2026-01-01", "config": {"rules": [{
        "name": "R", "measure": "closed_won_revenue",
        "tiers": [{"tierIndex": 0, "name": "T", "minThreshold": 0, "rate": "0.1"}]}]}});
    let odd = [
        json!(null),
        json!([]),
        json!(3),
        json!("x"),
        json!({"plan": []}),
        json!({"plan": {}}),
        json!({"plan": plan, "context": []}),
        json!({"plan": plan, "context": {"assignments": {}, "quotas": 3, "fieldMapping": [], "calibrationDeal": 1}}),
        json!({"plan": plan, "context": {"referenceQuota": "79228162514264337593543950335"}}),
        json!({"plan": plan, "context": {"referenceQuota": "-5", "referenceVariableTarget": "x"}}),
        json!({"plan": plan, "context": {"deals": [{"id": "D1"}], "reps": "x"}}),
        json!({"document": {}, "versionA": 1, "versionB": null, "top": "3"}),
        json!({"document": [], "versionA": "a", "versionB": "b"}),
        json!({"document": {"asOf": "2026-01-01", "reps": [], "plans": [plan], "deals": []}, "versionA": "p:v1", "versionB": "p:v1", "planId": 7}),
    ];
    for op in ["templates", "analyze_plan", "diff_plans"] {
        for input in &odd {
            match run(op, input) {
                Ok(_) => {}
                Err(e) => assert!(!e.code().as_str().is_empty(), "{op} {input}"),
            }
        }
    }
    let big = run("analyze_plan", &odd[8]);
    assert!(big.is_err(), "a quota at the edge of exact decimals cannot calibrate: {big:?}");
}
