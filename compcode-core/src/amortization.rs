//! Commission expense amortization (ASC 606 / IFRS 15) — SPEC §20.
//!
//! `amortizationSchedule(lines, policy)` spreads each capitalized line straight-line over
//! `policy.months` months:
//!
//! * the first month is the month of the line's `creditDate` (`start: "credit_month"`, the
//!   default) or the month after it (`"next_month"`);
//! * every month but the last is `round(amount / months)` (the document's `currencyPrecision`
//!   and `rounding`, defaults 2 and half away from zero); the last month takes the remainder, so
//!   a line's months add up exactly to the line;
//! * the result lists, per line, its months, then the table by month (Σ over lines, in month
//!   order) and the total — which equals Σ line amounts.
//!
//! Input (operation `amortization.schedule`, and `amortization.csv` for the CSV export):
//! `{lines: [{id?, amount, creditDate, repId?, currency?}], policy: {months, start?}, settings?:
//! {currencyPrecision?, rounding?}}`. A line's `id` defaults to its position (`"0"`, `"1"`, …).
//! Lines of different currencies are never added: the by-month table has one row per (month,
//! currency) (currency `null` when not given).

use crate::decimal::{fmt_money, round_money, Rounding};
use crate::error::{Error, ErrorCode, Result};
use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// Where the schedule starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// The month of the credit date.
    CreditMonth,
    /// The month after it.
    NextMonth,
}

/// An amortization policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Number of months (1–600).
    pub months: u32,
    /// First month.
    pub start: Start,
}

/// One capitalized line.
#[derive(Debug, Clone, PartialEq)]
pub struct AmortLine {
    /// Id.
    pub id: String,
    /// Amount (money).
    pub amount: Decimal,
    /// Credit date.
    pub credit_date: NaiveDate,
    /// Rep, if given.
    pub rep_id: Option<String>,
    /// Currency, if given.
    pub currency: Option<String>,
}

/// One month of a line or of the table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MonthAmount {
    /// `YYYY-MM`.
    pub month: String,
    /// Money.
    pub amount: String,
    /// Currency (null when not given).
    pub currency: Option<String>,
}

/// One line's schedule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LineSchedule {
    /// Id.
    pub id: String,
    /// Rep.
    pub rep_id: Option<String>,
    /// Amount.
    pub amount: String,
    /// Credit date.
    pub credit_date: String,
    /// Currency.
    pub currency: Option<String>,
    /// Its months.
    pub months: Vec<MonthAmount>,
}

/// The answer of `amortization.schedule`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Schedule {
    /// Per line.
    pub lines: Vec<LineSchedule>,
    /// Σ per (month, currency), in month order.
    pub by_month: Vec<MonthAmount>,
    /// Σ per currency.
    pub total: Vec<MonthTotal>,
}

/// A total per currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MonthTotal {
    /// Currency (null when not given).
    pub currency: Option<String>,
    /// Money.
    pub amount: String,
}

fn add_months(y: i32, m: u32, k: u32) -> (i32, u32) {
    let idx = y as i64 * 12 + (m as i64 - 1) + k as i64;
    ((idx.div_euclid(12)) as i32, (idx.rem_euclid(12) + 1) as u32)
}

/// Splits one amount straight-line over `months` (each rounded, the last takes the remainder).
///
/// ```
/// use compcode_core::amortization::straight_line;
/// use compcode_core::decimal::Rounding;
/// let m = straight_line("1000.00".parse().unwrap(), 3, 2, Rounding::HalfAwayFromZero).unwrap();
/// assert_eq!(m.iter().map(|d| d.to_string()).collect::<Vec<_>>(), ["333.33", "333.33", "333.34"]);
/// ```
pub fn straight_line(amount: Decimal, months: u32, dp: u32, rounding: Rounding) -> Result<Vec<Decimal>> {
    let ovf = || Error::overflow("an amortization month");
    let n = months.max(1);
    let each = round_money(amount.checked_div(Decimal::from(n)).ok_or_else(ovf)?, dp, rounding);
    let mut out = vec![each; n as usize - 1];
    let head = each.checked_mul(Decimal::from(n - 1)).ok_or_else(ovf)?;
    out.push(round_money(amount.checked_sub(head).ok_or_else(ovf)?, dp, rounding));
    Ok(out)
}

/// Builds the schedule.
///
/// ```
/// use compcode_core::amortization::{amortization_schedule, AmortLine, Policy, Start};
/// use compcode_core::decimal::Rounding;
/// let line = AmortLine { id: "L1".into(), amount: "1200".parse().unwrap(),
///     credit_date: chrono::NaiveDate::from_ymd_opt(2026, 1, 15).unwrap(), rep_id: None, currency: None };
/// let s = amortization_schedule(&[line], Policy { months: 12, start: Start::NextMonth }, 2, Rounding::HalfAwayFromZero).unwrap();
/// assert_eq!(s.lines[0].months[0].month, "2026-02");
/// assert_eq!(s.lines[0].months[11].month, "2027-01");
/// assert_eq!(s.total[0].amount, "1200.00");
/// ```
pub fn amortization_schedule(lines: &[AmortLine], policy: Policy, dp: u32, rounding: Rounding) -> Result<Schedule> {
    let ovf = || Error::overflow("an amortization total");
    let mut by_month: BTreeMap<((i32, u32), Option<String>), Decimal> = BTreeMap::new();
    let mut totals: BTreeMap<Option<String>, Decimal> = BTreeMap::new();
    let mut out = Vec::with_capacity(lines.len());
    for l in lines {
        let amount = round_money(l.amount, dp, rounding);
        let parts = straight_line(amount, policy.months, dp, rounding)?;
        let first = match policy.start {
            Start::CreditMonth => 0,
            Start::NextMonth => 1,
        };
        let mut months = Vec::with_capacity(parts.len());
        for (k, part) in parts.into_iter().enumerate() {
            let (y, m) = add_months(l.credit_date.year(), l.credit_date.month(), first + k as u32);
            let slot = by_month.entry(((y, m), l.currency.clone())).or_default();
            *slot = slot.checked_add(part).ok_or_else(ovf)?;
            months.push(MonthAmount {
                month: format!("{y:04}-{m:02}"),
                amount: fmt_money(part, dp),
                currency: l.currency.clone(),
            });
        }
        let t = totals.entry(l.currency.clone()).or_default();
        *t = t.checked_add(amount).ok_or_else(ovf)?;
        out.push(LineSchedule {
            id: l.id.clone(),
            rep_id: l.rep_id.clone(),
            amount: fmt_money(amount, dp),
            credit_date: l.credit_date.to_string(),
            currency: l.currency.clone(),
            months,
        });
    }
    Ok(Schedule {
        lines: out,
        by_month: by_month
            .into_iter()
            .map(|(((y, m), c), a)| MonthAmount {
                month: format!("{y:04}-{m:02}"),
                amount: fmt_money(a, dp),
                currency: c,
            })
            .collect(),
        total: totals.into_iter().map(|(c, a)| MonthTotal { currency: c, amount: fmt_money(a, dp) }).collect(),
    })
}

/// The schedule as CSV: a header `lineId,repId,month,amount,currency`, one row per (line,
/// month), then one row per (month, currency) with `lineId` = `total`, then one row per currency
/// with `lineId` = `grand_total`. LF line endings.
pub fn to_csv(s: &Schedule) -> Result<String> {
    let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::Any(b'\n')).from_writer(Vec::new());
    let e = |e: csv::Error| Error::new(ErrorCode::InternalError, format!("CSV: {e}"));
    w.write_record(["lineId", "repId", "month", "amount", "currency"]).map_err(e)?;
    // host text (ids, currency) is neutralized against spreadsheet formulas, as in every CSV
    // export; months and amounts are ours and stay as they are
    use crate::csv_text::text_cell as t;
    for l in &s.lines {
        for m in &l.months {
            w.write_record([
                &*t(&l.id),
                &t(l.rep_id.as_deref().unwrap_or("")),
                &m.month,
                &m.amount,
                &t(m.currency.as_deref().unwrap_or("")),
            ])
            .map_err(e)?;
        }
    }
    for m in &s.by_month {
        w.write_record(["total", "", &m.month, &m.amount, m.currency.as_deref().unwrap_or("")]).map_err(e)?;
    }
    for t in &s.total {
        w.write_record(["grand_total", "", "", &t.amount, t.currency.as_deref().unwrap_or("")]).map_err(e)?;
    }
    let bytes = w.into_inner().map_err(|x| Error::new(ErrorCode::InternalError, format!("CSV: {x}")))?;
    String::from_utf8(bytes).map_err(|x| Error::new(ErrorCode::InternalError, format!("CSV: {x}")))
}

/// `amortization.schedule`: see the module docs.
///
/// ```
/// use serde_json::json;
/// let out = compcode_core::api::run("amortization.schedule", &json!({
///   "lines": [{"id": "L1", "amount": "1000", "creditDate": "2026-01-31"}],
///   "policy": {"months": 3, "start": "credit_month"}})).unwrap();
/// assert_eq!(out["byMonth"][2]["month"], "2026-03");
/// assert_eq!(out["byMonth"][2]["amount"], "333.34");
/// ```
pub fn schedule_op(input: &Value) -> Result<Value> {
    let (lines, policy, dp, rounding) = crate::validate::read_amortization_input(input)?;
    let s = amortization_schedule(&lines, policy, dp, rounding)?;
    serde_json::to_value(s).map_err(|e| Error::new(ErrorCode::InternalError, e.to_string()))
}

/// `amortization.csv`: the same input; output `{csv}` (see [`to_csv`]).
///
/// ```
/// use serde_json::json;
/// let out = compcode_core::api::run("amortization.csv", &json!({
///   "lines": [{"id": "L1", "amount": "10", "creditDate": "2026-01-31"}],
///   "policy": {"months": 1}})).unwrap();
/// assert_eq!(out["csv"], "lineId,repId,month,amount,currency\nL1,,2026-01,10.00,\ntotal,,2026-01,10.00,\ngrand_total,,,10.00,\n");
/// ```
pub fn csv_op(input: &Value) -> Result<Value> {
    let (lines, policy, dp, rounding) = crate::validate::read_amortization_input(input)?;
    let s = amortization_schedule(&lines, policy, dp, rounding)?;
    Ok(serde_json::json!({ "csv": to_csv(&s)? }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A host id that starts like a spreadsheet formula is written as text, the amounts as numbers.
    #[test]
    fn csv_text_cells_are_neutralized() {
        let out = csv_op(&serde_json::json!({
            "lines": [{"id": "=HYPERLINK(\"x\")", "repId": "@ada", "amount": "-10", "creditDate": "2026-01-31"}],
            "policy": {"months": 1}}))
        .unwrap();
        let csv = out["csv"].as_str().unwrap();
        assert!(csv.contains("\"'=HYPERLINK(\"\"x\"\")\",'@ada,2026-01,-10.00,"), "{csv}");
        assert!(csv.contains("\ntotal,,2026-01,-10.00,\n"), "{csv}");
    }

    proptest! {
        /// A line's months add up exactly to the line, and no month differs from the
        /// straight-line share by more than the remainder.
        #[test]
        fn months_sum_to_line(cents in -10_000_000_000i64..10_000_000_000, months in 1u32..120, dp in 0u32..4, mode in 0usize..4) {
            let rounding = [Rounding::HalfAwayFromZero, Rounding::HalfEven, Rounding::Down, Rounding::Up][mode];
            let amount = round_money(Decimal::new(cents, 2), dp, rounding);
            let parts = straight_line(amount, months, dp, rounding).unwrap();
            prop_assert_eq!(parts.len() as u32, months);
            prop_assert_eq!(parts.iter().copied().sum::<Decimal>(), amount);
        }
    }
}
