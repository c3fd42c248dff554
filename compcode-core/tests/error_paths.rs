//! Error paths must point at the input (issue #10): every issue of every `spec-fixtures/errors`
//! vector names a location that exists in the fixture's input (for `required`, its parent), and
//! the known bugs found while writing those vectors, kept as ignored tests until fixed.

use compcode_core::api::run;
use serde_json::{json, Value};
use std::path::Path;

/// `plans[0].versions[0].config` → ["plans", 0, "versions", 0, "config"].
fn segments(path: &str) -> Vec<Result<String, usize>> {
    let mut out = Vec::new();
    for part in path.split('.').filter(|p| !p.is_empty()) {
        let (key, rest) = part.split_once('[').map_or((part, ""), |(k, r)| (k, r));
        if !key.is_empty() {
            out.push(Ok(key.to_string()));
        }
        for idx in rest.split('[').filter(|s| !s.is_empty()) {
            out.push(Err(idx.trim_end_matches(']').parse().expect("index")));
        }
    }
    out
}

fn lookup<'v>(v: &'v Value, segs: &[Result<String, usize>]) -> Option<&'v Value> {
    segs.iter().try_fold(v, |cur, s| match s {
        Ok(k) => cur.get(k.as_str()),
        Err(i) => cur.get(*i),
    })
}

/// Issues of a `VALIDATION_FAILED` output whose path does not resolve in `input`.
fn dangling(input: &Value, output: &Value) -> Vec<String> {
    let errors = output
        .pointer("/error/details/errors")
        .or_else(|| output.get("errors"))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut bad = Vec::new();
    for issue in errors {
        let (path, code) = (issue["path"].as_str().unwrap_or(""), issue["code"].as_str().unwrap_or(""));
        let segs = segments(path);
        let want = if code == "required" { &segs[..segs.len().saturating_sub(1)] } else { &segs[..] };
        if lookup(input, want).is_none() {
            bad.push(format!("{code} at `{path}`"));
        }
    }
    bad
}

fn run_json(op: &str, input: &Value) -> Value {
    match run(op, input) {
        Ok(v) => v,
        Err(e) => json!({ "error": e.to_json() }),
    }
}

#[test]
fn every_error_fixture_path_exists_in_its_input() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../spec-fixtures/errors");
    let mut n = 0;
    let mut failures = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("spec-fixtures/errors") {
        let p = entry.unwrap().path();
        let fx: Value = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
        let op = fx["operation"].as_str().unwrap();
        if op == "workflow" {
            continue; // paths there name workflow arguments or the stored state
        }
        n += 1;
        let out = run_json(op, &fx["input"]);
        let bad = dangling(&fx["input"], &out);
        if !bad.is_empty() {
            failures.push(format!("{}: {}", p.display(), bad.join(", ")));
        }
    }
    assert!(n >= 60, "expected the error fixtures, found {n}");
    assert!(failures.is_empty(), "issue paths that name nothing in the input:\n{}", failures.join("\n"));
}

fn base() -> Value {
    json!({
        "asOf": "2026-04-02",
        "reps": [{"id": "alice", "name": "Alice"}, {"id": "bob", "name": "Bob", "managerId": "alice"}],
        "plans": [{"planId": "ae", "name": "AE", "effectiveStart": "2026-01-01", "config": {"rules": [
            {"name": "Commission", "measure": "amount", "tierBy": "value",
             "tiers": [{"tierIndex": 0, "name": "Base", "minThreshold": "0", "rate": "0.08"}]}]}}],
        "assignments": [{"repId": "alice", "planId": "ae"}, {"repId": "bob", "planId": "ae"}],
        "deals": []
    })
}

fn issues(input: &Value) -> Vec<(String, String)> {
    let out = run_json("simulate", input);
    out.pointer("/error/details/errors")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|i| (i["path"].as_str().unwrap().to_string(), i["code"].as_str().unwrap().to_string()))
                .collect()
        })
        .unwrap_or_default()
}

/// Bug: `validate.rs` `cross_checks` builds its paths from the index of an entry in the *parsed*
/// list (`doc.reps`, `doc.assignments`, `doc.quotas`, `doc.rep_overrides`, `doc.plans`), which
/// leaves out entries that could not be read. After one unreadable entry, every later
/// cross-check issue names the wrong element: here bob's unknown manager is reported at
/// `reps[0].managerId` — alice, who has no managerId. Fix: keep each parsed entry's input index
/// (e.g. `Vec<(usize, Rep)>` from `Reader::list`, or an `index` field) and use it in the paths.
#[test]
fn cross_check_paths_survive_an_unreadable_entry() {
    let mut doc = base();
    doc["reps"][0]["id"] = json!("");
    let got = issues(&doc);
    assert!(got.contains(&("reps[1].managerId".into(), "unknown_reference".into())), "{got:?}");
    let dangling = dangling(
        &doc,
        &json!({"error": {"details": {"errors": got.iter().map(|(p, c)| json!({"path": p, "code": c})).collect::<Vec<_>>()}}}),
    );
    assert!(dangling.is_empty(), "{dangling:?}");
}

/// The same bug on assignments: the unknown rep of `assignments[1]` is reported at
/// `assignments[0].repId` because `assignments[0]` (no planId) was dropped.
#[test]
fn assignment_reference_paths_survive_an_unreadable_assignment() {
    let mut doc = base();
    doc["assignments"] = json!([{"repId": "alice"}, {"repId": "zed", "planId": "ae"}]);
    assert_eq!(
        issues(&doc),
        vec![
            ("assignments[0].planId".to_string(), "required".to_string()),
            ("assignments[1].repId".to_string(), "unknown_reference".to_string())
        ]
    );
}

/// Bug: `spec-fixtures/README.md` gives `out_of_range` for "a decimal beyond what exact decimals
/// hold (28 significant digits)", and the v0 reader (`rules_v0/schema.rs`) does so, but the
/// calculation-document reader (`Reader::decimal` in validate.rs, via `decimal::parse_decimal`)
/// reports every unparsable decimal — `1e30`, 2^96, a 40-digit amount — as `invalid_decimal`.
/// Fix: in `Reader::decimal`, when parsing fails but the text has the decimal shape
/// (`-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?`, or a JSON number), report `out_of_range`; and add
/// `out_of_range` to `api::intern_code`'s list, which otherwise turns it into `invalid_value` in
/// `validate`'s answer.
#[test]
fn oversized_decimals_are_out_of_range() {
    for amount in
        [json!("1e30"), json!("79228162514264337593543950336"), json!("1234567890123456789012345678901234567890")]
    {
        let mut doc = base();
        doc["deals"] = json!([{"id": "D1", "stage": "closed_won", "amount": amount, "closeDate": "2026-02-01", "ownerRepId": "alice"}]);
        assert_eq!(issues(&doc), vec![("deals[0].amount".to_string(), "out_of_range".to_string())], "{amount}");
        let v = run_json("validate", &doc);
        assert_eq!(v["errors"][0]["code"], "out_of_range", "validate keeps the code: {v}");
    }
}
