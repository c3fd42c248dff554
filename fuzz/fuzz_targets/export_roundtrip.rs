//! Statement export round trip (SPEC §13, §18.36): fuzz bytes become rep and deal names, deal
//! amounts and an adjustment; the orchestrator stores them, generates the statement and exports
//! it as CSV and JSON. The CSV must parse back (with a real CSV reader) to exactly the
//! statement's lines plus the net rows, with every name intact (text cells that a spreadsheet
//! would read as a formula carry a leading `'`) and every amount a number, and the JSON must
//! agree with it. Never a panic.
#![no_main]

use chrono::NaiveDate;
use compcode_core::csv_text::text_cell;
use compcode_core::memory::MemoryRepository;
use compcode_core::orchestrator::{Actor, Orchestrator};
use libfuzzer_sys::fuzz_target;
use serde_json::{json, Value};

fuzz_target!(|data: &[u8]| {
    // name \0 deal name \0 amount \0 amount \0 adjustment
    let text = String::from_utf8_lossy(data);
    let mut parts = text.split('\0');
    let rep_name = parts.next().unwrap_or("").to_string();
    let deal_name = parts.next().unwrap_or("").to_string();
    let amounts: Vec<String> = parts.by_ref().take(2).map(str::to_string).collect();
    let adjustment = parts.next().map(str::to_string);
    let at = NaiveDate::from_ymd_opt(2026, 4, 2).unwrap();
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
    for (row, line) in body.iter().zip(&lines) {
        // text cells come back as stored, with a leading `'` when they would read as a formula
        assert_eq!(&row[1], &*text_cell(&o.repo_name("r")));
        assert_eq!(&row[4], line.kind.as_str());
        assert_eq!(&row[7], &*text_cell(line.deal_name.as_deref().unwrap_or_default()));
        assert!(!row[1].starts_with(['=', '+', '-', '@', '\t', '\r']), "a formula cell: {:?}", &row[1]);
        assert!(!row[7].starts_with(['=', '+', '-', '@', '\t', '\r']), "a formula cell: {:?}", &row[7]);
        // amounts stay numbers (a negative one keeps its `-`)
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

trait RepName {
    fn repo_name(&self, id: &str) -> String;
}

impl RepName for Orchestrator<MemoryRepository> {
    fn repo_name(&self, id: &str) -> String {
        use compcode_core::repository::{Collection, Repository};
        let doc = self.repo().get(Collection::Reps, id).unwrap().unwrap().doc;
        doc["name"].as_str().unwrap_or(id).to_string()
    }
}
