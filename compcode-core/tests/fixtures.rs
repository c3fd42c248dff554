//! Runs every `spec-fixtures/**/*.json` vector through `compcode_core::api::run` and matches the
//! output against `expected` with the rules of `spec-fixtures/README.md`.

use serde_json::Value;
use std::path::{Path, PathBuf};

fn fixture_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> =
        std::fs::read_dir(dir).expect("spec-fixtures readable").flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            fixture_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "json")
            && !p.file_name().is_some_and(|n| n.to_string_lossy().ends_with(".schema.json"))
        {
            out.push(p);
        }
    }
}

/// The README's matching rule: objects by the keys named, arrays one-to-one in any order,
/// scalars by equality. Returns the first mismatch as a path and explanation.
fn matches(expected: &Value, actual: &Value, path: &str) -> Result<(), String> {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            for (k, ev) in e {
                let p = format!("{path}.{k}");
                match a.get(k) {
                    Some(av) => matches(ev, av, &p)?,
                    None => return Err(format!("{p}: missing (expected {ev})")),
                }
            }
            Ok(())
        }
        (Value::Array(e), Value::Array(a)) => {
            if e.len() != a.len() {
                return Err(format!("{path}: expected {} items, got {}: {}", e.len(), a.len(), short(actual)));
            }
            let mut used = vec![false; a.len()];
            for (i, ev) in e.iter().enumerate() {
                let hit = a.iter().enumerate().find(|(j, av)| !used[*j] && matches(ev, av, "").is_ok());
                match hit {
                    Some((j, _)) => used[j] = true,
                    None => {
                        let why = a
                            .iter()
                            .enumerate()
                            .filter(|(j, _)| !used[*j])
                            .map(|(_, av)| matches(ev, av, &format!("{path}[{i}]")).err().unwrap_or_default())
                            .min_by_key(|s| s.len())
                            .unwrap_or_default();
                        return Err(format!("{path}[{i}]: no actual item matches {ev}; closest: {why}"));
                    }
                }
            }
            Ok(())
        }
        (e, a) if e == a => Ok(()),
        (e, a) => Err(format!("{path}: expected {e}, got {}", short(a))),
    }
}

fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.len() > 600 {
        let mut end = 600;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        format!("{}…", &s[..end])
    } else {
        s
    }
}

#[test]
fn every_spec_fixture_passes() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../spec-fixtures");
    let mut files = Vec::new();
    fixture_files(&root, &mut files);
    assert!(files.len() >= 40, "expected at least 40 fixtures, found {}", files.len());
    let mut failures = Vec::new();
    for f in &files {
        let name = f.strip_prefix(&root).unwrap_or(f).display().to_string();
        let text = std::fs::read_to_string(f).expect("fixture readable");
        let fx: Value = match serde_json::from_str(&text) {
            Ok(v) => v,
            Err(e) => {
                failures.push(format!("{name}: not JSON: {e}"));
                continue;
            }
        };
        for key in ["operation", "input", "expected", "why"] {
            if fx.get(key).is_none() {
                failures.push(format!("{name}: missing `{key}`"));
            }
        }
        let op = fx["operation"].as_str().unwrap_or("");
        let actual = match compcode_core::api::run(op, &fx["input"]) {
            Ok(v) => v,
            Err(e) => serde_json::json!({ "error": e.to_json() }),
        };
        if let Err(why) = matches(&fx["expected"], &actual, "") {
            failures.push(format!("{name}: {why}"));
        }
    }
    if !failures.is_empty() {
        panic!("{} of {} fixtures failed:\n{}", failures.len(), files.len(), failures.join("\n\n"));
    }
    println!("{} fixtures passed", files.len());
}
