//! v0 rule JSON (any JSON text) through validation and evaluation: a value or a typed error,
//! never a panic.
#![no_main]

use compcode_core::api::run;
use libfuzzer_sys::fuzz_target;
use serde_json::{json, Value};

fuzz_target!(|data: &[u8]| {
    let Ok(v) = serde_json::from_slice::<Value>(data) else { return };
    let _ = run("rules_v0.validate", &v);
    let _ = run("rules_v0.validate", &json!({ "rules": [v.clone()] }));
    // the value as a whole evaluate request, and as one rule with an empty context
    let _ = run("rules_v0.evaluate", &v);
    let _ = run("rules_v0.evaluate", &json!({ "rules": [v.clone()], "context": {} }));
    if let Some(context) = v.get("context") {
        let _ = run("formula.evaluate", &json!({ "formula": v.get("formula").cloned().unwrap_or(Value::Null), "context": context }));
    }
});
