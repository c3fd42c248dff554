//! The published JSON Schema (`spec-fixtures/no_code_rules.schema.json`) and the v0 validator
//! (`rules_v0.validate`) agree: on every rule in the v0 fixtures, and on random mutations of the
//! seed's rules, a rule is valid under the schema exactly when the validator reports no issue
//! other than the ones JSON Schema cannot express (`BEYOND_JSON_SCHEMA`: formula syntax and
//! limits, overlapping or inverted tiers, decimals beyond 28 digits, duplicate ids in a list).

use compcode_core::api::run;
use compcode_core::rules_v0::schema::BEYOND_JSON_SCHEMA;
use proptest::prelude::*;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../spec-fixtures")
}

fn schema() -> jsonschema::Validator {
    let text = std::fs::read_to_string(root().join("no_code_rules.schema.json")).expect("schema readable");
    let schema: Value = serde_json::from_str(&text).expect("schema is JSON");
    assert!(jsonschema::meta::is_valid(&schema), "the schema is a valid JSON Schema");
    jsonschema::validator_for(&schema).expect("schema compiles")
}

/// The validator's verdict on one rule: Ok(()) when only beyond-schema issues (or none) remain.
fn structural_issues(rule: &Value) -> Vec<String> {
    let out = run("rules_v0.validate", rule).expect("validate never fails");
    out["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|i| !BEYOND_JSON_SCHEMA.contains(&i["code"].as_str().unwrap_or("")))
        .map(|i| format!("{} {}", i["path"].as_str().unwrap_or(""), i["code"].as_str().unwrap_or("")))
        .collect()
}

fn agree(v: &jsonschema::Validator, rule: &Value) -> Result<(), String> {
    // a single rule never has a `rules` key; wrap such objects so the validator reads them as one rule
    let structural = if rule.get("rules").is_some() && rule.get("schema_version").is_none() {
        let mut r = rule.clone();
        r["schema_version"] = json!(null);
        structural_issues(&r)
    } else {
        structural_issues(rule)
    };
    let schema_ok = v.is_valid(rule);
    if schema_ok == structural.is_empty() {
        Ok(())
    } else {
        let schema_errors: Vec<String> = v.iter_errors(rule).map(|e| format!("{} {e}", e.instance_path())).collect();
        Err(format!(
            "schema says {}, validator says {:?}; schema errors: {schema_errors:?}; rule: {rule}",
            if schema_ok { "valid" } else { "invalid" },
            structural
        ))
    }
}

fn fixture_rules() -> Vec<(String, Value)> {
    let mut out = Vec::new();
    let dir = root().join("rules_v0");
    let mut files: Vec<_> = std::fs::read_dir(&dir).expect("rules_v0 fixtures").flatten().map(|e| e.path()).collect();
    files.sort();
    for f in files {
        let name = f.file_name().unwrap_or_default().to_string_lossy().to_string();
        let fx: Value = serde_json::from_str(&std::fs::read_to_string(&f).expect("readable")).expect("JSON");
        let input = &fx["input"];
        match fx["operation"].as_str() {
            Some("rules_v0.validate") | Some("rules_v0.evaluate") => match input.get("rules").and_then(Value::as_array)
            {
                Some(rules) => {
                    for (i, r) in rules.iter().enumerate() {
                        out.push((format!("{name} rules[{i}]"), r.clone()));
                    }
                }
                None => out.push((name, input.clone())),
            },
            _ => {}
        }
    }
    out
}

#[test]
fn schema_and_validator_agree_on_every_v0_fixture() {
    let v = schema();
    let rules = fixture_rules();
    let (mut valid, mut invalid) = (0, 0);
    let mut failures = Vec::new();
    for (name, rule) in &rules {
        if v.is_valid(rule) {
            valid += 1;
        } else {
            invalid += 1;
        }
        if let Err(e) = agree(&v, rule) {
            failures.push(format!("{name}: {e}"));
        }
    }
    assert!(failures.is_empty(), "{} disagreements:\n{}", failures.len(), failures.join("\n\n"));
    assert!(valid >= 20 && invalid >= 8, "expected both kinds of rules: {valid} valid, {invalid} invalid");
    println!("{} fixture rules: {valid} valid, {invalid} invalid under the schema; validator agrees", rules.len());
}

#[test]
fn semantic_issues_are_beyond_the_schema() {
    // overlapping tiers, a bad formula, an oversized decimal: schema-valid, validator-invalid
    let v = schema();
    let rule = json!({"schema_version": "v0", "rule_id": "00000000-0000-4000-8000-000000000001", "rule_name": "R",
        "conditions": [{"field": "n", "operator": "gt", "value": 0}],
        "actions": [{"type": "apply_tier", "target_field": "t", "tiers": [{"min": 1, "max": 10, "rate": "0.1"}, {"min": 5, "rate": "0.2"}]},
                    {"type": "apply_formula", "target_field": "f", "formula": "(1"},
                    {"type": "set_rate", "target_field": "r", "rate": "123456789012345678901234567890"}]});
    assert!(v.is_valid(&rule));
    let out = run("rules_v0.validate", &rule).unwrap();
    let codes: Vec<&str> = out["errors"].as_array().unwrap().iter().map(|i| i["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["invalid_tier", "formula_syntax", "out_of_range"]);
}

// ---- random mutations of valid rules ----

fn seed_rules() -> Vec<Value> {
    let text = std::fs::read_to_string(root().join("rules_v0/validate_seed_examples.json")).unwrap();
    let fx: Value = serde_json::from_str(&text).unwrap();
    let mut rules: Vec<Value> = fx["input"]["rules"].as_array().unwrap().clone();
    rules.push(json!({"schema_version": "v0", "rule_id": "00000000-0000-4000-8000-000000000002", "rule_name": "All",
        "priority": 3, "is_active": false, "rule_description": null,
        "conditions": [{"field": "a", "operator": "in", "value": ["x", 1, true]}, {"field": "b", "operator": "contains", "value": "y"}],
        "actions": [{"type": "set_rate", "target_field": "r", "rate": "0.1"},
                    {"type": "set_fixed_amount", "target_field": "f", "fixed_amount": "-10.00"},
                    {"type": "apply_formula", "target_field": "g", "formula": "{{r}} * 2"},
                    {"type": "apply_tier", "target_field": "t", "source_field": "s",
                     "tiers": [{"min": "0", "max": 5, "rate": "0.1"}, {"min": 6, "max": null, "rate": "0.2"}]}]}));
    rules
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        (-3i64..2000).prop_map(|n| json!(n)),
        prop::sample::select(vec!["0.15", "1.50", "-0", "5.0", "1e2", "1000.5", "1e400", "-7"])
            .prop_map(|t| serde_json::from_str::<Value>(t).unwrap()),
        prop::sample::select(vec![
            "v0",
            "v1",
            "",
            " ",
            "0.15",
            "-1",
            "1e3",
            ".5",
            "5.",
            "+1",
            "abc",
            "007",
            "99999999999999999999999999999999",
            "550e8400-e29b-41d4-a716-446655440000",
            "550E8400-E29B-41D4-A716-44665544000Z",
            "eq",
            "gte",
            "in",
            "not_in",
            "contains",
            "equals",
            "set_rate",
            "set_split",
            "apply_formula",
            "apply_tier",
            "set_fixed_amount",
            "apply",
            "{{a}} + 1",
            "(((",
            "{{",
            "1/0",
        ])
        .prop_map(|s| Value::String(s.to_string())),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(KEYS.to_vec()), inner), 0..4)
                .prop_map(|kv| Value::Object(kv.into_iter().map(|(k, v)| (k.to_string(), v)).collect())),
        ]
    })
}

const KEYS: [&str; 14] = [
    "source_field",
    "priority",
    "foo",
    "rate",
    "min",
    "max",
    "value",
    "tiers",
    "formula",
    "type",
    "field",
    "operator",
    "target_field",
    "rules",
];

#[derive(Debug, Clone)]
enum Mutation {
    Remove(usize),
    Replace(usize, Value),
    Add(usize, &'static str, Value),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        any::<usize>().prop_map(Mutation::Remove),
        (any::<usize>(), json_value()).prop_map(|(i, v)| Mutation::Replace(i, v)),
        (any::<usize>(), prop::sample::select(KEYS.to_vec()), json_value())
            .prop_map(|(i, k, v)| Mutation::Add(i, k, v)),
    ]
}

/// Every location in a value: a JSON pointer for each object member and array element.
fn pointers(v: &Value, at: String, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                let p = format!("{at}/{}", k.replace('~', "~0").replace('/', "~1"));
                out.push(p.clone());
                pointers(x, p, out);
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                let p = format!("{at}/{i}");
                out.push(p.clone());
                pointers(x, p, out);
            }
        }
        _ => {}
    }
}

fn apply(rule: &mut Value, m: &Mutation) {
    let mut ps = Vec::new();
    pointers(rule, String::new(), &mut ps);
    let pick = |i: usize| ps.get(i % ps.len().max(1)).cloned().unwrap_or_default();
    match m {
        Mutation::Remove(i) => {
            let p = pick(*i);
            let (parent, last) = p.rsplit_once('/').unwrap_or(("", ""));
            match rule.pointer_mut(parent) {
                Some(Value::Object(o)) => {
                    o.remove(&last.replace("~1", "/").replace("~0", "~"));
                }
                Some(Value::Array(a)) => {
                    if let Ok(n) = last.parse::<usize>() {
                        if n < a.len() {
                            a.remove(n);
                        }
                    }
                }
                _ => {}
            }
        }
        Mutation::Replace(i, v) => {
            if let Some(x) = rule.pointer_mut(&pick(*i)) {
                *x = v.clone();
            }
        }
        Mutation::Add(i, k, v) => {
            let p = pick(*i);
            let (parent, _) = p.rsplit_once('/').unwrap_or(("", ""));
            if let Some(Value::Object(o)) = rule.pointer_mut(parent) {
                o.insert(k.to_string(), v.clone());
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 600, ..ProptestConfig::default() })]

    #[test]
    fn schema_and_validator_agree_on_mutated_rules(which in 0usize..4, muts in prop::collection::vec(mutation(), 1..4)) {
        let v = schema();
        let mut rule = seed_rules()[which].clone();
        for m in &muts {
            apply(&mut rule, m);
        }
        if let Err(e) = agree(&v, &rule) {
            prop_assert!(false, "{}", e);
        }
    }
}
