//! Plan JSON (any JSON text) through the reader and, when it is valid, a calculation: the plan
//! goes into a small document in both shapes (versioned, and CompCode's flat `POST /api/plans`
//! body). `validate` must answer `{valid, errors}` and `simulate` a result or a typed error;
//! never a panic, and `validate` and `simulate` agree on whether the document is valid.
#![no_main]

use compcode_core::api::{simulate, validate};
use libfuzzer_sys::fuzz_target;
use serde_json::{json, Value};

fuzz_target!(|data: &[u8]| {
    let Ok(plan) = serde_json::from_slice::<Value>(data) else { return };
    for plan in [plan.clone(), json!({"planId": "p", "name": "P", "versions": [plan]})] {
        let doc = json!({
            "asOf": "2026-04-02",
            "reps": [{"id": "a", "name": "A"}, {"id": "m", "name": "M"}],
            "plans": [plan],
            "assignments": [{"repId": "a", "planId": "p"}, {"repId": "m", "planId": "p"}],
            "deals": [{"id": "D1", "stage": "closed_won", "amount": "1000", "closeDate": "2026-02-01", "ownerRepId": "a",
                       "fields": {"x": "5", "t": "text", "d": "2026-01-31", "b": true}}]
        });
        let v = validate(&doc);
        match simulate(&doc) {
            Ok(_) => assert!(v.valid, "simulate accepted what validate refused: {:?}", v.errors),
            Err(e) if e.code().as_str() == "VALIDATION_FAILED" => assert!(!v.valid),
            Err(_) => {}
        }
    }
});
