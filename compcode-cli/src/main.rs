//! `compcode` — validate and simulate commission plans from JSON files.
//!
//! ```text
//! compcode validate FILE          # every problem, with its JSON path
//! compcode simulate FILE          # a readable table
//! compcode simulate --json FILE   # the exact simulate document
//! compcode diff FILE --from V1 --to V2   # what a plan change does: per rep, total, top deals
//!
//! # the lifecycle on the embedded store (SQLite):
//! compcode --db store.sqlite load examples/ae-quickstart.json --at 2026-04-02
//! compcode --db store.sqlite deal upsert deal.json --at 2026-04-03
//! compcode --db store.sqlite statement generate sarah 2026-Q1 --as admin
//! compcode --db store.sqlite statement approve sarah 2026-Q1 --as admin
//! compcode --db store.sqlite statement true-up sarah 2026-Q1 --as admin
//! compcode --db store.sqlite statement export sarah 2026-Q1 --format csv
//! compcode --db store.sqlite audit
//! ```
//! Exit codes: 0 ok, 1 the input is invalid or the calculation failed, 2 usage or I/O error.

mod store;

/// `println!` that ends the program quietly when the reader has gone away (`compcode … | head`):
/// a closed pipe is the reader's choice, not an error, and must never be a panic.
macro_rules! println {
    () => {
        $crate::write_stdout(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::write_stdout(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// Writes to standard output; a closed pipe exits with success (everything that had to be
/// stored was committed before anything is printed), any other write failure exits with 2.
pub(crate) fn write_stdout(args: std::fmt::Arguments<'_>) {
    use std::io::Write;
    if let Err(e) = std::io::stdout().lock().write_fmt(args) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("compcode: cannot write standard output: {e}");
        std::process::exit(2);
    }
}

use clap::{Parser, Subcommand};
use compcode_core::api::{self, SimulateResult};
use compcode_core::orchestrator::Actor;
use compcode_core::Error;
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "compcode", version, about = "Sales-commission engine: validate and simulate plans on deal data")]
struct Cli {
    /// A SQLite store for the lifecycle commands (created and migrated when missing).
    #[arg(long, global = true)]
    db: Option<String>,
    /// The acting user (a rep id); default: the host itself (`system`).
    #[arg(long = "as", global = true)]
    actor: Option<String>,
    /// The date the workflow runs at (YYYY-MM-DD); default: today.
    #[arg(long, global = true)]
    at: Option<String>,
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
    /// Compare two versions of a plan on the document's deals, quotas and assignments: old, new
    /// and delta per rep and in total, and the deals whose payout changed most.
    Diff {
        /// The calculation document (JSON); `-` reads standard input.
        file: String,
        /// The version to compare from: a planVersionId (a flat plan's is `<planId>:v1`), or a
        /// date (the version in force that day).
        #[arg(long = "from")]
        from: String,
        /// The version to compare to (an id or a date).
        #[arg(long = "to")]
        to: String,
        /// The plan, for versions given as dates when the document has several plans.
        #[arg(long)]
        plan: Option<String>,
        /// How many changed deals to list (default 10).
        #[arg(long, default_value_t = 10)]
        top: usize,
        /// Print the exact diff document as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Import a calculation document into the store and recalculate (needs --db).
    Load {
        /// The calculation document (JSON).
        file: String,
    },
    /// Recalculate every line, or one plan's (needs --db).
    Recalc {
        /// Only this plan.
        #[arg(long)]
        plan: Option<String>,
    },
    /// Deal changes from the CRM (needs --db).
    Deal {
        #[command(subcommand)]
        action: DealAction,
    },
    /// Statements (needs --db).
    Statement {
        #[command(subcommand)]
        action: StatementAction,
    },
    /// A manual adjustment on a rep's period (needs --db).
    Adjust {
        /// Rep id.
        rep: String,
        /// Period.
        period: String,
        /// Amount (negative deducts).
        amount: String,
        /// Why.
        reason: String,
    },
    /// Live events, optionally one rep's (needs --db).
    Events {
        /// Rep id.
        #[arg(long)]
        rep: Option<String>,
        /// Period.
        #[arg(long)]
        period: Option<String>,
    },
    /// The audit log (needs --db).
    Audit {
        /// Only this action (e.g. orchestrator.skipped).
        #[arg(long)]
        action: Option<String>,
    },
}

#[derive(Subcommand)]
enum DealAction {
    /// Store a CRM snapshot (JSON file) and recalculate what it touches.
    Upsert {
        /// The deal snapshot.
        file: String,
    },
    /// The CRM deleted the deal.
    Delete {
        /// Deal id.
        id: String,
    },
    /// Reverse a deal by hand.
    Reverse {
        /// Deal id.
        id: String,
    },
}

#[derive(Subcommand)]
enum StatementAction {
    /// Generate a snapshot (draft).
    Generate { rep: String, period: String },
    /// Show the statement.
    Get { rep: String, period: String },
    /// Approve (locks the period).
    Approve { rep: String, period: String },
    /// Revert to draft.
    Revert { rep: String, period: String },
    /// True-up an approved period.
    TrueUp { rep: String, period: String },
    /// Export for payroll.
    Export {
        rep: String,
        period: String,
        /// csv or json.
        #[arg(long, default_value = "csv")]
        format: String,
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
    let at = match cli.at.as_deref().map(|d| compcode_core::period::parse_date(d, false)) {
        Some(Some(d)) => d,
        Some(None) => return usage_error("--at must be a date YYYY-MM-DD"),
        None => today(),
    };
    let actor = cli.actor.clone().map_or(Actor::System, Actor::User);
    if let Some(db) = cli.db.clone() {
        if !matches!(cli.command, Command::Validate { .. } | Command::Simulate { .. } | Command::Diff { .. }) {
            return match store::run(&db, &actor, at, cli.command) {
                Ok(out) => {
                    println!("{out}");
                    ExitCode::SUCCESS
                }
                Err(e) => fail(&e, false),
            };
        }
    }
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
        Command::Load { .. }
        | Command::Recalc { .. }
        | Command::Deal { .. }
        | Command::Statement { .. }
        | Command::Adjust { .. }
        | Command::Events { .. }
        | Command::Audit { .. } => usage_error("this command works on a store: give --db FILE.sqlite"),
        Command::Diff { file, from, to, plan, top, json } => {
            let text = match read(&file) {
                Ok(t) => t,
                Err(e) => return usage_error(&e),
            };
            let value = match compcode_core::validate::parse_json(&text) {
                Ok(v) => v,
                Err(e) => return fail(&e, json),
            };
            match compcode_core::diff::diff_plans_in(&value, plan.as_deref(), &from, &to, top) {
                Ok(r) => {
                    if json {
                        println!("{}", serde_json::to_string_pretty(&r).unwrap_or_default());
                    } else {
                        print_diff(&r);
                    }
                    ExitCode::SUCCESS
                }
                Err(e) => fail(&e, json),
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
            if json {
                // the lazy view writes the same document without building the owned result
                return match compcode_core::view::simulate(&value) {
                    Ok(v) => {
                        println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
                        ExitCode::SUCCESS
                    }
                    Err(e) => fail(&e, json),
                };
            }
            match api::simulate(&value) {
                Ok(r) => {
                    print_table(&r);
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

/// A money text with an explicit sign for deltas: `+1100.00`, `-5.00`, `0.00`.
fn signed(s: &str) -> String {
    if s.starts_with('-') || s.chars().all(|c| c == '0' || c == '.') {
        s.to_string()
    } else {
        format!("+{s}")
    }
}

/// Prints rows as aligned columns; `right` marks the columns aligned right (numbers).
fn print_columns(header: &[&str], rows: &[Vec<String>], right: &[bool]) {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, c) in widths.iter_mut().zip(row.iter()) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let parts: Vec<String> = cells
            .iter()
            .zip(widths.iter())
            .zip(right.iter())
            .map(|((c, w), r)| if *r { format!("{c:>w$}") } else { format!("{c:<w$}") })
            .collect();
        println!("{}", parts.join("  ").trim_end());
    };
    line(header.to_vec());
    line(widths.iter().map(|w| "-".repeat(*w)).collect::<Vec<_>>().iter().map(String::as_str).collect());
    for row in rows {
        line(row.iter().map(String::as_str).collect());
    }
}

/// The readable form of `compcode diff`.
fn print_diff(r: &serde_json::Value) {
    let s = |v: &serde_json::Value| v.as_str().unwrap_or("").to_string();
    println!("plan {}: {} → {}", s(&r["planId"]), s(&r["versionA"]), s(&r["versionB"]));
    println!();
    let mut rows: Vec<Vec<String>> = r["reps"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|x| vec![s(&x["repId"]), s(&x["repName"]), s(&x["old"]), s(&x["new"]), signed(&s(&x["delta"]))])
        .collect();
    let t = &r["total"];
    rows.push(vec!["total".into(), String::new(), s(&t["old"]), s(&t["new"]), signed(&s(&t["delta"]))]);
    print_columns(&["rep", "name", "old", "new", "delta"], &rows, &[false, false, true, true, true]);
    println!();
    let deals: Vec<Vec<String>> = r["deals"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|x| {
            vec![
                x["rank"].to_string(),
                s(&x["dealId"]),
                s(&x["dealName"]),
                s(&x["old"]),
                s(&x["new"]),
                signed(&s(&x["delta"])),
            ]
        })
        .collect();
    let changed = r["changedDeals"].as_u64().unwrap_or(0);
    if changed == 0 {
        println!("no deal's payout changed");
        return;
    }
    println!("most changed deals ({} of {changed} changed):", deals.len());
    print_columns(&["#", "deal", "name", "old", "new", "delta"], &deals, &[true, false, false, true, true, true]);
}

/// Shortens long attainment ratios for the table (the JSON keeps full precision).
fn trim(s: &str) -> String {
    match s.find('.') {
        Some(i) if s.len() > i + 5 => s[..i + 5].to_string(),
        _ => s.to_string(),
    }
}

/// Today's date from the system clock (the CLI may read it; the core never does).
fn today() -> chrono::NaiveDate {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    chrono::NaiveDate::from_ymd_opt(1970, 1, 1)
        .and_then(|e| e.checked_add_days(chrono::Days::new(secs / 86_400)))
        .unwrap_or(chrono::NaiveDate::MIN)
}
