//! `compcode` — validate and simulate commission plans from JSON files.
//!
//! ```text
//! compcode validate FILE          # every problem, with its JSON path
//! compcode simulate FILE          # a readable table
//! compcode simulate --json FILE   # the exact simulate document
//! ```
//! Exit codes: 0 ok, 1 the input is invalid or the calculation failed, 2 usage or I/O error.

use clap::{Parser, Subcommand};
use compcode_core::api::{self, SimulateResult};
use compcode_core::Error;
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "compcode", version, about = "Sales-commission engine: validate and simulate plans on deal data")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check a calculation document and list every problem with its path.
    Validate {
        /// The calculation document (JSON); `-` reads standard input.
        file: String,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Calculate every payout line without writing anything.
    Simulate {
        /// The calculation document (JSON); `-` reads standard input.
        file: String,
        /// Print the exact simulate document as JSON.
        #[arg(long)]
        json: bool,
        /// Leave traces out of the JSON output.
        #[arg(long)]
        no_trace: bool,
    },
}

fn read(file: &str) -> Result<String, String> {
    if file == "-" {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut s)
            .map_err(|e| format!("cannot read standard input: {e}"))?;
        Ok(s)
    } else {
        std::fs::read_to_string(file).map_err(|e| format!("cannot read {file}: {e}"))
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Validate { file, json } => {
            let text = match read(&file) {
                Ok(t) => t,
                Err(e) => return usage_error(&e),
            };
            let result = match compcode_core::validate::parse_json(&text) {
                Ok(v) => api::validate(&v),
                Err(e) => return fail(&e, json),
            };
            if json {
                println!("{}", serde_json::to_string_pretty(&result).unwrap_or_default());
            } else if result.valid {
                println!("{file}: valid");
            } else {
                println!("{file}: {} problem(s)", result.errors.len());
                for i in &result.errors {
                    let path = if i.path.is_empty() { "(document)" } else { &i.path };
                    println!("  {path}: [{}] {}", i.code, i.message);
                }
            }
            if result.valid {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Command::Simulate { file, json, no_trace } => {
            let text = match read(&file) {
                Ok(t) => t,
                Err(e) => return usage_error(&e),
            };
            let value = match compcode_core::validate::parse_json(&text) {
                Ok(mut v) => {
                    if no_trace {
                        if let Some(o) = v.as_object_mut() {
                            let opts = o.entry("options").or_insert_with(|| serde_json::json!({}));
                            if let Some(m) = opts.as_object_mut() {
                                m.insert("trace".into(), serde_json::Value::Bool(false));
                            }
                        }
                    }
                    v
                }
                Err(e) => return fail(&e, json),
            };
            match api::simulate(&value) {
                Ok(r) => {
                    if json {
                        println!("{}", serde_json::to_string_pretty(&r).unwrap_or_default());
                    } else {
                        print_table(&r);
                    }
                    ExitCode::SUCCESS
                }
                Err(e) => fail(&e, json),
            }
        }
    }
}

fn usage_error(msg: &str) -> ExitCode {
    eprintln!("compcode: {msg}");
    ExitCode::from(2)
}

fn fail(e: &Error, json: bool) -> ExitCode {
    if json {
        println!("{}", serde_json::to_string_pretty(&serde_json::json!({"error": e.to_json()})).unwrap_or_default());
    }
    eprintln!("compcode: {} ({}): {}", e.code(), e.status(), e.message());
    if let Some(errors) = e.details().get("errors").and_then(|v| v.as_array()) {
        for i in errors {
            eprintln!(
                "  {}: [{}] {}",
                i["path"].as_str().unwrap_or(""),
                i["code"].as_str().unwrap_or(""),
                i["message"].as_str().unwrap_or("")
            );
        }
    }
    ExitCode::from(1)
}

fn print_table(r: &SimulateResult) {
    println!(
        "simulate as of {} — period {}: {} deals, {} eligible, {} reps assigned",
        r.as_of, r.period, r.total_deals, r.eligible_deals, r.assigned_reps
    );
    println!();
    let header = ["rep", "period", "rule", "deal", "tier", "rate", "attainment", "amount"];
    let rows: Vec<[String; 8]> = r
        .events
        .iter()
        .map(|e| {
            let deal = match (&e.deal_id, &e.source_rep_id) {
                (Some(d), _) => d.clone(),
                (None, Some(s)) => format!("(from {s})"),
                (None, None) => format!("({})", e.execution_phase),
            };
            let mut amount = e.amount.clone();
            if e.provisional {
                amount.push_str(" (provisional)");
            }
            if let Some(reason) = e.reason {
                amount.push_str(&format!(" ({reason})"));
            }
            [
                e.rep_id.clone(),
                e.period.clone(),
                e.rule_name.clone(),
                deal,
                e.tier_name.clone().unwrap_or_else(|| "-".into()),
                e.rate_applied.clone().unwrap_or_else(|| "-".into()),
                e.attainment.clone().map(|a| trim(&a)).unwrap_or_else(|| "-".into()),
                amount,
            ]
        })
        .collect();
    let mut widths = header.map(str::len);
    for row in &rows {
        for (w, c) in widths.iter_mut().zip(row.iter()) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let parts: Vec<String> = cells
            .iter()
            .zip(widths.iter())
            .enumerate()
            .map(|(i, (c, w))| if i == 7 || i == 5 || i == 6 { format!("{c:>w$}") } else { format!("{c:<w$}") })
            .collect();
        println!("{}", parts.join("  ").trim_end());
    };
    line(header.to_vec());
    line(widths.iter().map(|w| "-".repeat(*w)).collect::<Vec<_>>().iter().map(String::as_str).collect());
    for row in &rows {
        line(row.iter().map(String::as_str).collect());
    }
    println!();
    println!("total commission: {}", r.total_commission);
    if !r.quotas.is_empty() {
        println!();
        println!("quota progress:");
        for q in &r.quotas {
            println!(
                "  {} {} {} {}: {} of {} ({})",
                q.rep_id,
                q.plan_id,
                q.rule_name,
                q.period,
                q.current_value,
                q.target,
                trim(&q.attainment)
            );
        }
    }
    if !r.diagnostics.is_empty() {
        println!();
        println!("skipped and notes:");
        for d in &r.diagnostics {
            let who = [d.deal_id.as_deref(), d.rep_id.as_deref(), d.rule_name.as_deref()]
                .iter()
                .flatten()
                .copied()
                .collect::<Vec<_>>()
                .join(" / ");
            println!("  {:<20} {who}: {}", d.code, d.message);
        }
    }
}

/// Shortens long attainment ratios for the table (the JSON keeps full precision).
fn trim(s: &str) -> String {
    match s.find('.') {
        Some(i) if s.len() > i + 5 => s[..i + 5].to_string(),
        _ => s.to_string(),
    }
}
