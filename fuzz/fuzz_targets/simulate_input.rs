//! A valid calculation document with one part replaced by fuzz JSON: the first byte picks the
//! slot (a deal, a rule, a condition tree, a quota, the settings, a rep, credits, a tier list,
//! the scope), the rest is JSON text. Aims the fuzzer at the calculation paths behind the
//! reader rather than at the reader's first error. Never a panic; errors carry a code.
#![no_main]

use compcode_core::api::simulate;
use libfuzzer_sys::fuzz_target;
use serde_json::{json, Value};

fn base() -> Value {
    json!({
        "asOf": "2026-04-02",
        "reps": [{"id": "a", "name": "A", "managerId": "m"}, {"id": "m", "name": "M"}],
        "plans": [{"planId": "p", "name": "P", "versions": [{"planVersionId": "p1", "effectiveStart": "2026-01-01",
            "config": {"rules": [
                {"name": "R", "measure": "closed_won_revenue", "tierMode": "marginal",
                 "tiers": [{"tierIndex": 0, "name": "T0", "minThreshold": "0", "rate": "0.08"},
                           {"tierIndex": 1, "name": "T1", "minThreshold": "1", "rate": "0.12"}]},
                {"name": "B", "measure": "closed_won_revenue", "executionPhase": "periodic", "payoutBase": "1",
                 "tiers": [{"tierIndex": 0, "name": "Hit", "minThreshold": "1", "flatAmount": "500"}]},
                {"name": "O", "measure": "closed_won_revenue", "executionPhase": "cascade", "dependsOn": "_total",
                 "tiers": [{"tierIndex": 0, "name": "All", "minThreshold": "0", "rate": "0.05"}]}]}}]}],
        "assignments": [{"repId": "a", "planId": "p"}, {"repId": "m", "planId": "p"}],
        "quotas": [{"repId": "a", "planId": "p", "ruleName": "R", "period": "2026-Q1", "target": "10000"},
                   {"repId": "a", "planId": "p", "ruleName": "B", "period": "2026-Q1", "target": "10000"}],
        "deals": [{"id": "D1", "stage": "closed_won", "amount": "6000", "closeDate": "2026-02-01", "ownerRepId": "a",
                   "fields": {"x": "5", "t": "text", "d": "2026-01-31", "b": true}},
                  {"id": "D2", "stage": "closed_won", "amount": "-2500", "closeDate": "2026-03-01", "ownerRepId": "a"}]
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else { return };
    let Ok(part) = serde_json::from_slice::<Value>(rest) else { return };
    let mut doc = base();
    let rule = |d: &mut Value| d["plans"][0]["versions"][0]["config"]["rules"][0].take();
    match pick % 10 {
        0 => doc["deals"][0] = part,
        1 => doc["plans"][0]["versions"][0]["config"]["rules"][0] = part,
        2 => doc["plans"][0]["versions"][0]["config"]["rules"][0]["conditions"] = json!([part]),
        3 => doc["plans"][0]["versions"][0]["config"]["conditions"] = part,
        4 => doc["quotas"][0] = part,
        5 => doc["settings"] = part,
        6 => doc["reps"][0] = part,
        7 => doc["deals"][0]["credits"] = part,
        8 => doc["plans"][0]["versions"][0]["config"]["rules"][0]["tiers"] = part,
        _ => {
            let _ = rule(&mut doc);
            doc["scope"] = part;
        }
    }
    if let Err(e) = simulate(&doc) {
        assert!(!e.code().as_str().is_empty());
    }
});
