//! SPEC §20: converting with a rate or with its inverse (the reverse rate `1/rate`, given the
//! other way round) pays the same to the cent, on every FX fixture.

use rust_decimal::Decimal;
use serde_json::Value;
use std::path::Path;

fn invert(doc: &mut Value) {
    let Some(rates) = doc.get_mut("fxRates").and_then(Value::as_array_mut) else { return };
    for r in rates {
        let rate: Decimal = r["rate"].as_str().unwrap().parse().unwrap();
        let inv = Decimal::ONE.checked_div(rate).unwrap();
        let (from, to) = (r["from"].clone(), r["to"].clone());
        r["from"] = to;
        r["to"] = from;
        r["rate"] = Value::String(inv.to_string());
    }
}

#[test]
fn rate_and_inverse_pay_the_same_on_every_fx_fixture() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../spec-fixtures/fx");
    let mut checked = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let fx: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        if fx["operation"] != "simulate" {
            continue;
        }
        let direct = compcode_core::api::run("simulate", &fx["input"]).unwrap();
        let mut doc = fx["input"].clone();
        invert(&mut doc);
        let inverse = compcode_core::api::run("simulate", &doc).unwrap();
        assert_eq!(direct["totalCommission"], inverse["totalCommission"], "{}", path.display());
        let amounts = |v: &Value| -> Vec<(Value, Value)> {
            v["events"].as_array().unwrap().iter().map(|e| (e["idempotencyKey"].clone(), e["amount"].clone())).collect()
        };
        assert_eq!(amounts(&direct), amounts(&inverse), "{}", path.display());
        assert_eq!(direct["diagnostics"], inverse["diagnostics"], "{}", path.display());
        checked += 1;
    }
    assert!(checked >= 3, "expected the FX fixtures, found {checked}");
}
