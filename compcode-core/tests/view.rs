//! The lazy simulate view (`compcode_core::view`) writes exactly the JSON of the owned
//! `SimulateResult` — value and text (key order) — on every simulate fixture, with traces on
//! and off, and under every scope the fixtures use.
use compcode_core::api::simulate_doc;
use compcode_core::calc::calculate;
use compcode_core::trace::Step;
use compcode_core::validate::read_document;
use compcode_core::view::{simulate_view, simulate_view_owned};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).expect("spec-fixtures readable").flatten() {
        let p = e.path();
        if p.is_dir() {
            files(&p, out)
        } else if p.extension().is_some_and(|x| x == "json") {
            out.push(p)
        }
    }
}

/// Asserts that the view and the owned result serialize the same, returns whether it could
/// compare (the document is valid and calculates).
fn same(doc: &Value, label: &str) -> bool {
    let Ok(calc_doc) = read_document(doc) else { return false };
    let owned = simulate_doc(&calc_doc);
    let view = simulate_view(&calc_doc);
    match (owned, view) {
        (Ok(o), Ok(v)) => {
            assert_eq!(serde_json::to_string(&v).unwrap(), serde_json::to_string(&o).unwrap(), "{label}: text");
            assert_eq!(serde_json::to_value(&v).unwrap(), serde_json::to_value(&o).unwrap(), "{label}: value");
            true
        }
        (Err(a), Err(b)) => {
            assert_eq!(a.to_string(), b.to_string(), "{label}: the same error");
            false
        }
        (a, b) => panic!("{label}: one failed: owned {:?} view {:?}", a.err(), b.err()),
    }
}

/// The view's calculation, taken out of it, is `calculate`'s: every line and trace, the deal ids
/// of credit steps (which the view writes late, issue #9) included.
fn complete_calculation(doc: &Value, label: &str) {
    let calc_doc = read_document(doc).unwrap();
    let direct = calculate(&calc_doc).unwrap();
    let from_view = simulate_view(&calc_doc).unwrap().into_calculation();
    assert_eq!(from_view, direct, "{label}: the view's calculation");
    let credit_ids =
        direct.lines.iter().flat_map(|l| l.trace.iter().map(move |s| (l, s))).filter_map(|(l, s)| match s {
            Step::Credit { deal_id, .. } => Some((l, deal_id)),
            _ => None,
        });
    for (l, id) in credit_ids {
        assert_eq!(Some(id.as_str()), l.deal.map(|d| calc_doc.deals[d].id.as_str()), "{label}: credit step's deal");
    }
}

#[test]
fn the_view_writes_what_the_owned_result_writes_on_every_fixture() {
    let mut all = Vec::new();
    files(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../spec-fixtures"), &mut all);
    all.sort();
    let mut compared = 0;
    for f in all {
        let Ok(v) = serde_json::from_str::<Value>(&std::fs::read_to_string(&f).unwrap()) else { continue };
        if v["operation"] != "simulate" {
            continue;
        }
        let label = f.display().to_string();
        let mut doc = v["input"].clone();
        if same(&doc, &label) {
            compared += 1;
            complete_calculation(&doc, &label);
        }
        // the other trace setting
        if let Some(m) = doc.as_object_mut() {
            let on = m.get("options").and_then(|o| o.get("trace")).and_then(Value::as_bool).unwrap_or(true);
            m.insert("options".into(), serde_json::json!({"trace": !on, "includeOpenPeriods": true}));
            same(&doc, &format!("{label} (trace {})", !on));
        }
    }
    assert!(compared >= 90, "only {compared} simulate fixtures compared");
}

#[test]
fn an_owned_view_is_the_same_as_a_borrowed_one() {
    let doc = serde_json::json!({
      "asOf": "2026-04-01", "reps": [{"id": "a", "name": "A"}],
      "plans": [{"planId": "p", "name": "P", "effectiveStart": "2026-01-01", "config": {"rules": [
        {"name": "R", "measure": "amount", "tierBy": "value",
         "tiers": [{"tierIndex": 0, "name": "T", "minThreshold": 0, "rate": "0.1"}]}]}}],
      "assignments": [{"repId": "a", "planId": "p", "effectiveStart": "2026-01-01"}],
      "deals": [{"id": "D1", "stage": "Won", "amount": "-1000", "closeDate": "2026-02-01", "ownerRepId": "a"},
                {"id": "D2", "stage": "Lost", "amount": "5", "closeDate": "2026-02-01", "ownerRepId": "a"}]
    });
    let calc_doc = read_document(&doc).unwrap();
    let borrowed = serde_json::to_value(simulate_view(&calc_doc).unwrap()).unwrap();
    let owned = serde_json::to_value(simulate_view_owned(calc_doc.clone()).unwrap()).unwrap();
    assert_eq!(borrowed, owned);
    assert_eq!(owned["events"][0]["amount"], "-100.00"); // a refund mirrors the sale
    assert_eq!(owned["results"][1]["ruleBreakdown"][0]["reason"], "not_won");
    assert!(same(&doc, "inline"));
}
