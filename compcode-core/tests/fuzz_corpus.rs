//! Replays every committed fuzz corpus file (`fuzz/corpus/<target>/*`, minimized by
//! `scripts/fuzz.sh`) through the same entry points its cargo-fuzz target drives, on the stable
//! toolchain and without libFuzzer, so `cargo test` (and CI) catches a regression on any input
//! the fuzzer ever found interesting. Each replay mirrors its target in `fuzz/fuzz_targets/`:
//! no panic, and the target's own assertions.

use compcode_core::api::{run, simulate, validate, OPERATIONS};
use compcode_core::csv_text::text_cell;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

fn corpus(target: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus").join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|d| d.flatten().map(|e| e.path()).filter(|p| p.is_file()).collect())
        .unwrap_or_default();
    files.sort();
    files
}

/// Runs `replay` on every file of the target's corpus, reporting the files that panicked.
fn replay_all(target: &str, replay: impl Fn(&[u8]) + std::panic::RefUnwindSafe) -> usize {
    let files = corpus(target);
    let mut failures = Vec::new();
    for f in &files {
        // a file the fuzzer replaced while this ran (scripts/fuzz.sh at work) is skipped
        let Ok(data) = std::fs::read(f) else { continue };
        if let Err(e) = std::panic::catch_unwind(|| replay(&data)) {
            let why = e.downcast_ref::<String>().cloned().or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()));
            failures.push(format!("{}: {}", f.display(), why.unwrap_or_default()));
        }
    }
    assert!(failures.is_empty(), "{target}: {} corpus inputs failed:\n{}", failures.len(), failures.join("\n"));
    files.len()
}

#[test]
fn api_run_corpus() {
    replay_all("api_run", |data| {
        let Some((&pick, rest)) = data.split_first() else { return };
        let op = OPERATIONS[pick as usize % OPERATIONS.len()];
        let Ok(input) = serde_json::from_slice::<Value>(rest) else { return };
        if let Err(e) = run(op, &input) {
            assert!(!e.code().as_str().is_empty());
        }
    });
}

#[test]
fn formula_corpus() {
    use compcode_core::rules_v0::formula::{format_result, Formula, Ref};
    replay_all("formula", |data| {
        let Ok(text) = std::str::from_utf8(data) else { return };
        let Ok(formula) = Formula::parse(text) else { return };
        let result = formula.eval(|name| match name.len() % 4 {
            0 => Ref::Missing,
            1 => Ref::NotNumeric("text".into()),
            2 => {
                let n = name.bytes().fold(0i64, |a, b| a.wrapping_mul(31).wrapping_add(b as i64));
                Ref::Number(rust_decimal::Decimal::new(n, (name.len() % 29) as u32))
            }
            _ => Ref::Number(0.into()),
        });
        if let Ok(d) = result {
            let s = format_result(d);
            assert!(!s.contains('e') && s != "-0");
        }
    });
}

#[test]
fn rules_v0_json_corpus() {
    replay_all("rules_v0_json", |data| {
        let Ok(v) = serde_json::from_slice::<Value>(data) else { return };
        let _ = run("rules_v0.validate", &v);
        let _ = run("rules_v0.validate", &json!({ "rules": [v.clone()] }));
        let _ = run("rules_v0.evaluate", &v);
        let _ = run("rules_v0.evaluate", &json!({ "rules": [v.clone()], "context": {} }));
        if let Some(context) = v.get("context") {
            let _ = run(
                "formula.evaluate",
                &json!({ "formula": v.get("formula").cloned().unwrap_or(Value::Null), "context": context }),
            );
        }
    });
}

#[test]
fn plan_validate_corpus() {
    replay_all("plan_validate", |data| {
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
}

fn simulate_base() -> Value {
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

#[test]
fn simulate_input_corpus() {
    replay_all("simulate_input", |data| {
        let Some((&pick, rest)) = data.split_first() else { return };
        let Ok(part) = serde_json::from_slice::<Value>(rest) else { return };
        let mut doc = simulate_base();
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
                let _ = doc["plans"][0]["versions"][0]["config"]["rules"][0].take();
                doc["scope"] = part;
            }
        }
        if let Err(e) = simulate(&doc) {
            assert!(!e.code().as_str().is_empty());
        }
    });
}

#[test]
fn export_roundtrip_corpus() {
    use compcode_core::memory::MemoryRepository;
    use compcode_core::orchestrator::{Actor, Orchestrator};
    use compcode_core::repository::{Collection, Repository};
    replay_all("export_roundtrip", |data| {
        let text = String::from_utf8_lossy(data);
        let mut parts = text.split('\0');
        let rep_name = parts.next().unwrap_or("").to_string();
        let deal_name = parts.next().unwrap_or("").to_string();
        let amounts: Vec<String> = parts.by_ref().take(2).map(str::to_string).collect();
        let adjustment = parts.next().map(str::to_string);
        let at = chrono::NaiveDate::from_ymd_opt(2026, 4, 2).unwrap();
        let sys = Actor::System;
        let mut o = Orchestrator::new(MemoryRepository::new());
        if o.upsert_rep(&sys, json!({"id": "r", "name": rep_name, "email": "r@example.com"}), at).is_err() {
            return;
        }
        o.create_plan(
            &sys,
            json!({"planId": "p", "name": "P", "effectiveStart": "2026-01-01", "config": {"rules": [
            {"name": "R", "measure": "amount", "tierBy": "value",
             "tiers": [{"tierIndex": 0, "name": "T", "minThreshold": "0", "rate": "0.1"}]}]}}),
            at,
        )
        .unwrap();
        o.assign(&sys, json!({"repIds": ["r"], "planId": "p", "effectiveStart": "2026-01-01"}), at).unwrap();
        for (i, a) in amounts.iter().enumerate() {
            let deal = json!({"id": format!("D{i}"), "name": deal_name, "stage": "closed_won", "amount": a,
                              "closeDate": "2026-02-01", "ownerRepId": "r"});
            let _ = o.upsert_deal(&sys, deal, at);
        }
        if let Some(a) = adjustment {
            let _ = o.adjust(&sys, "r", "2026-Q1", &json!(a), "fuzz", at);
        }
        let Ok(lines) = o.live_lines("r", "2026-Q1") else { return };
        let csv_text = match o.export_statement(&sys, "r", "2026-Q1", "csv", at) {
            Ok(t) => t,
            Err(e) => {
                assert_eq!(e.code().as_str(), "arithmetic_overflow", "{e}");
                return;
            }
        };
        let mut rd = csv::ReaderBuilder::new().has_headers(true).from_reader(csv_text.as_bytes());
        let rows: Vec<csv::StringRecord> = rd.records().map(|r| r.expect("the export parses as CSV")).collect();
        let body: Vec<&csv::StringRecord> = rows.iter().filter(|r| &r[4] != "net").collect();
        assert_eq!(body.len(), lines.len(), "one row per line");
        let currencies: std::collections::BTreeSet<String> =
            lines.iter().map(|l| l.currency.clone().unwrap_or_default()).collect();
        assert_eq!(rows.len() - body.len(), currencies.len(), "one net row per currency");
        let name =
            o.repo().get(Collection::Reps, "r").unwrap().unwrap().doc["name"].as_str().unwrap_or("r").to_string();
        for (row, line) in body.iter().zip(&lines) {
            // text cells as stored, with a leading `'` when a spreadsheet would read a formula
            assert_eq!(&row[1], &*text_cell(&name));
            assert_eq!(&row[4], line.kind.as_str());
            assert_eq!(&row[7], &*text_cell(line.deal_name.as_deref().unwrap_or_default()));
            for cell in [&row[1], &row[7]] {
                assert!(!cell.starts_with(['=', '+', '-', '@', '\t', '\r']), "a formula cell: {cell:?}");
            }
            assert_eq!(row[10].parse::<rust_decimal::Decimal>().unwrap(), line.amount.round_dp(2));
        }
        let json_text = o.export_statement(&sys, "r", "2026-Q1", "json", at).unwrap();
        let v: Value = serde_json::from_str(&json_text).expect("the JSON export parses");
        assert_eq!(v["lines"].as_array().map(Vec::len), Some(lines.len()));
        for (row, j) in body.iter().zip(v["lines"].as_array().unwrap()) {
            assert_eq!(j["amount"].as_str(), Some(&row[10]));
            assert_eq!(j["repName"].as_str().map(text_cell).as_deref(), Some(&row[1]));
        }
    });
}

/// The corpora exist (scripts/fuzz.sh writes them; an empty checkout still passes the replays).
#[test]
fn every_target_has_a_replay() {
    let targets = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/fuzz_targets");
    let replayed = ["api_run", "formula", "rules_v0_json", "plan_validate", "simulate_input", "export_roundtrip"];
    for f in std::fs::read_dir(targets).unwrap().flatten() {
        let name = f.path().file_stem().unwrap().to_string_lossy().to_string();
        assert!(replayed.contains(&name.as_str()), "fuzz target `{name}` has no corpus replay here");
    }
}
