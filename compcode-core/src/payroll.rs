//! Spark payroll batches and allocation summaries (SPEC §14, §18.23–§18.25): the pure parts —
//! which lines a batch takes, payouts per user, the status machine, the CSV export, and the
//! allocation summary (the operation `spark.allocation_summary`). The stateful workflows that
//! create, move and pay batches are in `orchestrator::spark`.
//!
//! Choices where SPEC is silent:
//! - **Lines a batch takes** (SPEC §18.23): events with status `APPROVED`, a non-zero amount and
//!   no batch, dated on or before `payPeriodEnd` (no lower bound: an approved line left out of
//!   an earlier batch is caught by the next); a true-up line only when its call is approved;
//!   adjustments of approved statements (dated by their creation date). `payPeriodStart` is
//!   informational. The project-type filter keeps only lines whose deal's `projectTypeId` is in
//!   the list (a line without a deal is left out); it does not apply to clawbacks, which are a
//!   user's debts whatever the project: with `includeClawbacks`, every unprocessed clawback in no
//!   other batch dated on or before `payPeriodEnd` is taken.
//! - **Payout kinds**: `overrides` counts cascade lines, `clawbacks` clawback lines,
//!   `allocations` every other line (per_deal, periodic, true-ups, adjustments). Payouts are per
//!   (user, currency) — the line's own (the plan's when FX is on, SPEC §20), else the deal's,
//!   else the workspace's (null) —
//!   because amounts of different currencies are never added (SPEC §18.4); `totals` gives the
//!   batch total per currency and `totalAmount` is that total when the batch has one currency
//!   (null when it mixes currencies). Each payout also reports `payAmount` = max(net, 0) and
//!   `carryForward` = max(−net, 0).
//! - **Status machine**: `submit` DRAFT → SUBMITTED, `approve` SUBMITTED → APPROVED, `export`
//!   APPROVED → EXPORTED, `mark_paid` EXPORTED → PAID; anything else is `CONFLICT`.
//! - **CSV** (through the `csv` crate, LF line endings): one row per payout — batchId,
//!   batchName, payDate, userId, userName, email, currency, allocations, overrides, clawbacks,
//!   grossAmount, clawbackAmount, netAmount, payAmount — then one `total` row per currency.
//! - **Summaries** (SPEC §18.25) cover non-reversed rate-table payment lines (per_deal lines with
//!   a milestone); Spark override lines (cascade lines with a deal) are summarized separately in
//!   `overrides` (by level and status); clawbacks are left out. `byAllocationType` groups by the
//!   participant role (`typeId` = `typeName` = the role; null for a line without one). Filters:
//!   `userId`, `dealId`, `projectTypeId` (needs `deals`), `milestoneNumber`, `isApproved`
//!   (APPROVED or PAID), `isPaid`, `payrollBatchId`, `startDate` / `endDate` (the line's date,
//!   inclusive), `period`. Amounts of different currencies are not told apart here: summarize
//!   one currency at a time.

use crate::decimal::fmt_money;
use crate::error::{Error, ErrorCode, Issue, Result};
use crate::ledger::{Event, LineStatus};
use crate::period::parse_date;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, HashMap};

/// The batch statuses, in order (SPEC §14).
pub const BATCH_STATUSES: [&str; 5] = ["DRAFT", "SUBMITTED", "APPROVED", "EXPORTED", "PAID"];

/// The status a batch moves to on `action` (`submit`, `approve`, `export`, `mark_paid`), or
/// `CONFLICT` (SPEC §14: any other transition).
///
/// ```
/// use compcode_core::payroll::transition;
/// assert_eq!(transition("DRAFT", "submit").unwrap(), "SUBMITTED");
/// assert_eq!(transition("DRAFT", "export").unwrap_err().code().as_str(), "CONFLICT");
/// assert!(transition("PAID", "mark_paid").is_err());
/// ```
pub fn transition(status: &str, action: &str) -> Result<&'static str> {
    let (from, to) = match action {
        "submit" => ("DRAFT", "SUBMITTED"),
        "approve" => ("SUBMITTED", "APPROVED"),
        "export" => ("APPROVED", "EXPORTED"),
        "mark_paid" => ("EXPORTED", "PAID"),
        other => {
            return Err(Error::validation(vec![Issue {
                path: "action".into(),
                code: "invalid_value",
                message: format!("unknown batch action `{other}`"),
                suggestion: None,
            }]))
        }
    };
    if status == from {
        Ok(to)
    } else {
        Err(Error::with_details(
            ErrorCode::Conflict,
            format!("a {status} batch cannot {action} (only {from} → {to})"),
            json!({"status": status, "action": action, "allowedFrom": from}),
        ))
    }
}

/// One line of a batch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchLine {
    /// `event` or `adjustment`.
    pub source: String,
    /// The event key or the adjustment id.
    pub key: String,
    /// Who is paid (or owes, for a clawback).
    pub user_id: String,
    /// `allocation`, `override` or `clawback`.
    #[serde(rename = "type")]
    pub line_type: String,
    /// Amount (clawbacks are negative).
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    /// Currency (null = the workspace's).
    pub currency: Option<String>,
    /// Deal.
    pub deal_id: Option<String>,
    /// Milestone of a rate-table payment.
    pub milestone: Option<u32>,
    /// The line's date for batching (SPEC §18.23).
    pub date: String,
}

/// A user's payout in a batch (SPEC §14, §18.24).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Payout {
    /// User.
    pub user_id: String,
    /// Name.
    pub user_name: String,
    /// Currency (null = the workspace's).
    pub currency: Option<String>,
    /// Allocation lines.
    pub allocations: usize,
    /// Override lines.
    pub overrides: usize,
    /// Clawback lines.
    pub clawbacks: usize,
    /// Σ non-clawback lines (negative ones included).
    #[serde(with = "rust_decimal::serde::str")]
    pub gross_amount: Decimal,
    /// −Σ clawback lines (positive).
    #[serde(with = "rust_decimal::serde::str")]
    pub clawback_amount: Decimal,
    /// gross − clawback.
    #[serde(with = "rust_decimal::serde::str")]
    pub net_amount: Decimal,
    /// max(net, 0): what is paid.
    #[serde(with = "rust_decimal::serde::str")]
    pub pay_amount: Decimal,
    /// max(−net, 0): carried forward as a clawback when the batch is paid.
    #[serde(with = "rust_decimal::serde::str")]
    pub carry_forward: Decimal,
}

/// A batch total in one currency.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CurrencyTotal {
    /// Currency (null = the workspace's).
    pub currency: Option<String>,
    /// Σ max(net, 0).
    #[serde(with = "rust_decimal::serde::str")]
    pub total_amount: Decimal,
}

/// A status change of a batch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchTransition {
    /// The new status.
    pub status: String,
    /// When.
    pub at: String,
    /// Who.
    pub by: String,
}

/// A payroll batch (the seed's `GET /payroll/batches/{id}` plus its lines).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Batch {
    /// Id (the host's, or `batch-<n>`).
    pub batch_id: String,
    /// Name.
    pub batch_name: String,
    /// Pay period start (informational).
    pub pay_period_start: Option<String>,
    /// Pay period end: lines dated on or before it.
    pub pay_period_end: String,
    /// Pay date: `paidAt` of its lines, the date of carry-forward clawbacks.
    pub pay_date: String,
    /// Project-type filter.
    pub project_type_ids: Option<Vec<String>>,
    /// Takes unprocessed clawbacks.
    pub include_clawbacks: bool,
    /// DRAFT, SUBMITTED, APPROVED, EXPORTED or PAID.
    pub status: String,
    /// Σ max(net, 0) when the batch has one currency, else null.
    #[serde(with = "rust_decimal::serde::str_option")]
    pub total_amount: Option<Decimal>,
    /// Per currency.
    pub totals: Vec<CurrencyTotal>,
    /// Lines.
    pub record_count: usize,
    /// Creator.
    pub created_by: String,
    /// Creation date.
    pub created_at: String,
    /// Status changes, oldest first.
    pub history: Vec<BatchTransition>,
    /// Payouts per (user, currency).
    pub payouts: Vec<Payout>,
    /// The lines.
    pub lines: Vec<BatchLine>,
    /// Keys of the carry-forward clawbacks written when the batch was paid.
    #[serde(default)]
    pub carry_forwards: Vec<String>,
}

fn money(d: Decimal, dp: u32) -> Decimal {
    let mut r = d;
    r.rescale(dp);
    if r.is_zero() {
        r.set_sign_positive(true);
    }
    r
}

fn add(a: Decimal, b: Decimal) -> Result<Decimal> {
    a.checked_add(b).ok_or_else(|| Error::overflow("a batch total"))
}

/// Payouts per (user, currency) and totals per currency (SPEC §18.24). `names` maps user ids to
/// display names.
///
/// ```
/// use compcode_core::payroll::{payouts, BatchLine};
/// let line = |t: &str, a: &str| BatchLine { source: "event".into(), key: a.into(), user_id: "alice".into(),
///     line_type: t.into(), amount: a.parse().unwrap(), currency: None, deal_id: None, milestone: None,
///     date: "2025-01-15".into() };
/// let (p, totals) = payouts(&[line("allocation", "500.00"), line("clawback", "-1100.00")], &Default::default(), 2).unwrap();
/// assert_eq!((p[0].net_amount.to_string(), p[0].pay_amount.to_string(), p[0].carry_forward.to_string()),
///            ("-600.00".into(), "0.00".into(), "600.00".into()));
/// assert_eq!(totals[0].total_amount.to_string(), "0.00");
/// ```
pub fn payouts(
    lines: &[BatchLine],
    names: &HashMap<String, String>,
    dp: u32,
) -> Result<(Vec<Payout>, Vec<CurrencyTotal>)> {
    let mut by: BTreeMap<(String, Option<String>), Payout> = BTreeMap::new();
    for l in lines {
        let p = by.entry((l.user_id.clone(), l.currency.clone())).or_insert_with(|| Payout {
            user_id: l.user_id.clone(),
            user_name: names.get(&l.user_id).cloned().unwrap_or_else(|| l.user_id.clone()),
            currency: l.currency.clone(),
            allocations: 0,
            overrides: 0,
            clawbacks: 0,
            gross_amount: Decimal::ZERO,
            clawback_amount: Decimal::ZERO,
            net_amount: Decimal::ZERO,
            pay_amount: Decimal::ZERO,
            carry_forward: Decimal::ZERO,
        });
        match l.line_type.as_str() {
            "clawback" => {
                p.clawbacks += 1;
                p.clawback_amount = add(p.clawback_amount, -l.amount)?;
            }
            "override" => {
                p.overrides += 1;
                p.gross_amount = add(p.gross_amount, l.amount)?;
            }
            _ => {
                p.allocations += 1;
                p.gross_amount = add(p.gross_amount, l.amount)?;
            }
        }
    }
    let mut totals: BTreeMap<Option<String>, Decimal> = BTreeMap::new();
    let mut out = Vec::with_capacity(by.len());
    for (_, mut p) in by {
        let net = p.gross_amount.checked_sub(p.clawback_amount).ok_or_else(|| Error::overflow("a net payout"))?;
        p.gross_amount = money(p.gross_amount, dp);
        p.clawback_amount = money(p.clawback_amount, dp);
        p.net_amount = money(net, dp);
        p.pay_amount = money(net.max(Decimal::ZERO), dp);
        p.carry_forward = money((-net).max(Decimal::ZERO), dp);
        let t = totals.entry(p.currency.clone()).or_default();
        *t = add(*t, p.pay_amount)?;
        out.push(p);
    }
    let totals =
        totals.into_iter().map(|(currency, t)| CurrencyTotal { currency, total_amount: money(t, dp) }).collect();
    Ok((out, totals))
}

impl Batch {
    /// Recomputes payouts, totals and the record count from `lines`.
    pub fn refresh(&mut self, names: &HashMap<String, String>, dp: u32) -> Result<()> {
        let (p, totals) = payouts(&self.lines, names, dp)?;
        self.payouts = p;
        self.total_amount = match totals.as_slice() {
            [] => Some(money(Decimal::ZERO, dp)),
            [one] => Some(one.total_amount),
            _ => None,
        };
        self.totals = totals;
        self.record_count = self.lines.len();
        Ok(())
    }

    /// The payroll CSV (one row per payout, then a `total` row per currency; LF endings). Text
    /// cells that a spreadsheet would read as a formula get a leading `'`
    /// ([`crate::csv_text::text_cell`]); money and count columns are written as numbers.
    pub fn csv(&self, emails: &HashMap<String, String>, dp: u32) -> Result<String> {
        let csv_err = |e: csv::Error| Error::new(ErrorCode::InternalError, format!("CSV: {e}"));
        let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::Any(b'\n')).from_writer(Vec::new());
        w.write_record([
            "batchId",
            "batchName",
            "payDate",
            "userId",
            "userName",
            "email",
            "currency",
            "allocations",
            "overrides",
            "clawbacks",
            "grossAmount",
            "clawbackAmount",
            "netAmount",
            "payAmount",
        ])
        .map_err(csv_err)?;
        // text cells are neutralized against spreadsheet formulas; counts and money are not
        use crate::csv_text::text_cell as cell;
        let (id, name, pay_date) = (cell(&self.batch_id), cell(&self.batch_name), cell(&self.pay_date));
        for p in &self.payouts {
            w.write_record([
                &*id,
                &name,
                &pay_date,
                &cell(&p.user_id),
                &cell(&p.user_name),
                &cell(emails.get(&p.user_id).map_or("", String::as_str)),
                &cell(p.currency.as_deref().unwrap_or("")),
                &p.allocations.to_string(),
                &p.overrides.to_string(),
                &p.clawbacks.to_string(),
                &fmt_money(p.gross_amount, dp),
                &fmt_money(p.clawback_amount, dp),
                &fmt_money(p.net_amount, dp),
                &fmt_money(p.pay_amount, dp),
            ])
            .map_err(csv_err)?;
        }
        for t in &self.totals {
            let total = fmt_money(t.total_amount, dp);
            let c = t.currency.as_deref().unwrap_or("");
            w.write_record([&*id, &name, &pay_date, "total", "", "", &cell(c), "", "", "", "", "", "", &total])
                .map_err(csv_err)?;
        }
        let bytes = w.into_inner().map_err(|e| Error::new(ErrorCode::InternalError, format!("CSV: {e}")))?;
        String::from_utf8(bytes).map_err(|e| Error::new(ErrorCode::InternalError, format!("CSV: {e}")))
    }
}

/// The batch kind of an event: `override` for cascade lines, `clawback` for clawbacks,
/// `allocation` for the rest.
pub fn line_type(e: &Event) -> &'static str {
    match e.execution_phase.as_str() {
        "cascade" => "override",
        "clawback" => "clawback",
        _ => "allocation",
    }
}

/// The filters of the seed's `GET /allocations` (and its summary).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AllocationFilter {
    /// Recipient.
    pub user_id: Option<String>,
    /// Sale.
    pub deal_id: Option<String>,
    /// The deal's `projectTypeId`.
    pub project_type_id: Option<String>,
    /// Milestone (allocations only).
    pub milestone: Option<u32>,
    /// APPROVED or PAID (true) / PENDING (false).
    pub is_approved: Option<bool>,
    /// PAID (true) / not PAID (false).
    pub is_paid: Option<bool>,
    /// Batch.
    pub batch_id: Option<String>,
    /// Line date from (inclusive).
    pub start: Option<chrono::NaiveDate>,
    /// Line date to (inclusive).
    pub end: Option<chrono::NaiveDate>,
    /// Period string.
    pub period: Option<String>,
}

impl AllocationFilter {
    /// Reads the filters from JSON (ids as strings or integers); problems are
    /// `VALIDATION_FAILED` with paths.
    pub fn read(v: &Value) -> Result<Self> {
        let mut issues = Vec::new();
        let id = |k: &str, issues: &mut Vec<Issue>| match v.get(k) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
            Some(Value::Number(n)) if n.is_i64() || n.is_u64() => Some(n.to_string()),
            Some(_) => {
                issues.push(issue(k, "invalid_type", "must be a string or integer id"));
                None
            }
        };
        let flag = |k: &str, issues: &mut Vec<Issue>| match v.get(k) {
            None | Some(Value::Null) => None,
            Some(Value::Bool(b)) => Some(*b),
            Some(_) => {
                issues.push(issue(k, "invalid_type", "must be true or false"));
                None
            }
        };
        let date = |k: &str, issues: &mut Vec<Issue>| match v.get(k) {
            None | Some(Value::Null) => None,
            Some(x) => {
                let d = x.as_str().and_then(|s| parse_date(s, true));
                if d.is_none() {
                    issues.push(issue(k, "invalid_date", "must be a date YYYY-MM-DD"));
                }
                d
            }
        };
        let milestone = match v.get("milestoneNumber") {
            None | Some(Value::Null) => None,
            Some(x) => match x.as_u64().and_then(|n| u32::try_from(n).ok()) {
                Some(n) => Some(n),
                None => {
                    issues.push(issue("milestoneNumber", "invalid_type", "must be a whole number"));
                    None
                }
            },
        };
        let f = AllocationFilter {
            user_id: id("userId", &mut issues),
            deal_id: id("dealId", &mut issues).or_else(|| id("saleId", &mut issues)),
            project_type_id: id("projectTypeId", &mut issues),
            milestone,
            is_approved: flag("isApproved", &mut issues),
            is_paid: flag("isPaid", &mut issues),
            batch_id: id("payrollBatchId", &mut issues),
            start: date("startDate", &mut issues),
            end: date("endDate", &mut issues),
            period: id("period", &mut issues),
        };
        if issues.is_empty() {
            Ok(f)
        } else {
            Err(Error::validation(issues))
        }
    }

    /// True when an event passes (`project` is the `projectTypeId` of its deal).
    pub fn passes(&self, e: &Event, project: Option<&str>) -> bool {
        let date = parse_date(&e.credit_date, true);
        self.user_id.as_ref().map_or(true, |u| &e.rep_id == u)
            && self.deal_id.as_ref().map_or(true, |d| e.deal_id.as_ref() == Some(d))
            && self.project_type_id.as_ref().map_or(true, |p| project == Some(p.as_str()))
            && self.milestone.map_or(true, |m| e.milestone == Some(m) || e.execution_phase == "cascade")
            && self.is_approved.map_or(true, |a| a == matches!(e.status, LineStatus::Approved | LineStatus::Paid))
            && self.is_paid.map_or(true, |p| p == (e.status == LineStatus::Paid))
            && self.batch_id.as_ref().map_or(true, |b| e.batch_id.as_ref() == Some(b))
            && self.start.map_or(true, |s| date.is_some_and(|d| d >= s))
            && self.end.map_or(true, |x| date.is_some_and(|d| d <= x))
            && self.period.as_ref().map_or(true, |p| &e.period == p)
    }
}

fn issue(path: &str, code: &'static str, message: &str) -> Issue {
    Issue { path: path.into(), code, message: format!("`{path}` {message}"), suggestion: None }
}

#[derive(Default)]
struct Tally {
    count: usize,
    total: Decimal,
}

impl Tally {
    fn add(&mut self, d: Decimal) -> Result<()> {
        self.count += 1;
        self.total = add(self.total, d)?;
        Ok(())
    }
    fn json(&self, dp: u32) -> Value {
        json!({"count": self.count, "total": fmt_money(self.total, dp)})
    }
}

fn by_status(lines: &[&Event], dp: u32) -> Result<Value> {
    let mut m = Map::new();
    for (name, st) in [("pending", LineStatus::Pending), ("approved", LineStatus::Approved), ("paid", LineStatus::Paid)]
    {
        let mut t = Decimal::ZERO;
        for e in lines.iter().filter(|e| e.status == st) {
            t = add(t, e.amount)?;
        }
        m.insert(name.into(), json!(fmt_money(t, dp)));
    }
    Ok(Value::Object(m))
}

/// The allocation summary (SPEC §14, §18.25; the seed's `GET /allocations/summary`) over stored
/// events. `projects` maps deal ids to their `projectTypeId`.
pub fn summary(events: &[Event], projects: &HashMap<String, String>, f: &AllocationFilter, dp: u32) -> Result<Value> {
    let project = |e: &Event| e.deal_id.as_ref().and_then(|d| projects.get(d)).map(String::as_str);
    let live = |e: &&Event| e.status != LineStatus::Reversed && f.passes(e, project(e));
    let allocations: Vec<&Event> =
        events.iter().filter(|e| e.execution_phase == "per_deal" && e.milestone.is_some()).filter(live).collect();
    let overrides: Vec<&Event> =
        events.iter().filter(|e| e.execution_phase == "cascade" && e.deal_id.is_some()).filter(live).collect();
    let mut by_milestone: BTreeMap<u32, Tally> = BTreeMap::new();
    let mut by_type: BTreeMap<Option<String>, Tally> = BTreeMap::new();
    let mut grand = Tally::default();
    for e in &allocations {
        by_milestone.entry(e.milestone.unwrap_or(1)).or_default().add(e.amount)?;
        by_type.entry(e.role.clone()).or_default().add(e.amount)?;
        grand.add(e.amount)?;
    }
    let mut by_level: BTreeMap<u32, Tally> = BTreeMap::new();
    let mut overall = Tally::default();
    for e in &overrides {
        by_level.entry(e.level.unwrap_or(1)).or_default().add(e.amount)?;
        overall.add(e.amount)?;
    }
    let milestones: Map<String, Value> = by_milestone.iter().map(|(n, t)| (format!("mp{n}"), t.json(dp))).collect();
    let types: Vec<Value> = by_type
        .iter()
        .map(|(r, t)| json!({"typeId": r, "typeName": r, "count": t.count, "total": fmt_money(t.total, dp)}))
        .collect();
    let levels: Vec<Value> =
        by_level.iter().map(|(l, t)| json!({"level": l, "count": t.count, "total": fmt_money(t.total, dp)})).collect();
    Ok(json!({
        "period": f.period,
        "count": grand.count,
        "byMilestone": milestones,
        "byStatus": by_status(&allocations, dp)?,
        "byAllocationType": types,
        "grandTotal": fmt_money(grand.total, dp),
        "overrides": {"count": overall.count, "byLevel": levels, "byStatus": by_status(&overrides, dp)?,
                      "total": fmt_money(overall.total, dp)},
    }))
}

/// `spark.allocation_summary`: `{events: [event], deals?: [deal snapshot], currencyPrecision?,
/// <filters>}` → the summary (see the module docs for the filters and the shape).
///
/// ```
/// use serde_json::json;
/// let ev = |key: &str, m: u32, amount: &str, status: &str| json!({"idempotencyKey": key, "dealId": "S1",
///     "repId": "alice", "planId": "spark", "planVersionId": "spark:v1", "ruleName": "Closer",
///     "executionPhase": "per_deal", "period": "2025-01", "amount": amount, "milestone": m, "role": "Closer",
///     "creditDate": "2025-01-15", "status": status});
/// let out = compcode_core::api::run("spark.allocation_summary", &json!({"events": [
///     ev("a", 1, "1100.00", "PAID"), ev("b", 2, "550.00", "PENDING")]})).unwrap();
/// assert_eq!(out["grandTotal"], "1650.00");
/// assert_eq!(out["byMilestone"]["mp2"]["total"], "550.00");
/// assert_eq!(out["byStatus"]["paid"], "1100.00");
/// ```
pub fn summary_op(input: &Value) -> Result<Value> {
    let events: Vec<Event> =
        serde_json::from_value(input.get("events").cloned().unwrap_or(json!([]))).map_err(|e| {
            Error::validation(vec![issue("events", "invalid_value", &format!("must be a list of events: {e}"))])
        })?;
    let mut projects = HashMap::new();
    for d in input.get("deals").and_then(Value::as_array).into_iter().flatten() {
        let id = match d.get("id") {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => continue,
        };
        match d.get("fields").and_then(|f| f.get("projectTypeId")) {
            Some(Value::String(s)) => projects.insert(id, s.clone()),
            Some(Value::Number(n)) => projects.insert(id, n.to_string()),
            _ => None,
        };
    }
    let dp = match input.get("currencyPrecision") {
        None | Some(Value::Null) => 2,
        Some(x) => x.as_u64().filter(|p| *p <= 10).map(|p| p as u32).ok_or_else(|| {
            Error::validation(vec![issue("currencyPrecision", "invalid_value", "must be a whole number 0–10")])
        })?,
    };
    summary(&events, &projects, &AllocationFilter::read(input)?, dp)
}
