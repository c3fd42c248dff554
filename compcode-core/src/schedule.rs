//! Payout schedules (holdbacks) — SPEC §20.
//!
//! A rule's `payoutSchedule: [{percent, release}]` (percents > 0, summing to exactly 100) splits
//! every payout line of the rule into installments, one per entry, in the listed order:
//!
//! * installment `i < n` = the line's amount × percent / 100, rounded once (the document's
//!   `currencyPrecision` and `rounding`); the last installment takes the remainder, so the
//!   installments add up exactly to the payout;
//! * `release`: `"credit"` — on the line's date (the credit date); `{"field": slug}` — on the
//!   date in the deal's `fields[slug]`; `{"daysAfterCredit": n}` — n days after the credit date;
//! * an installment whose release date is after `asOf`, or missing (no such field, not a date),
//!   is **held**: it is shown (simulate `events` with `held: true`; the
//!   ledger stores it with `reason: "held"`; statements list it with kind `held`), but it is not
//!   payable: statements leave it out of `netPayout`, payroll batches never select it, and draws
//!   do not count it as earnings — until a later run (a later `asOf`) releases it.
//!
//! SPEC readings (also in DESIGN.md): a released installment is dated on its release date and
//! placed in that date's period (of the rule's period kind), so it is paid in the period it was
//! released in; a held one keeps the line's date and period. An approved statement does not lock
//! a held installment (it was never payable): when a later run releases it, it moves to the
//! release period as a pending line. Its event key is the line's key with
//! `"installment:<i>"` appended (1-based), so each installment is its own ledger event; a rule
//! without `payoutSchedule` writes exactly the lines it wrote before. `{"field": …}` needs a deal,
//! so it is refused on periodic and cascade rules (validation).

use crate::calc::{Calculation, Line};
use crate::decimal::round_money;
use crate::error::{Error, Result};
use crate::model::CalcDoc;
use crate::period::{parse_date, Period};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde_json::{json, Value};

/// When an installment is released.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Release {
    /// At the credit date.
    Credit,
    /// On the date in this deal field.
    Field(String),
    /// N days after the credit date.
    DaysAfterCredit(i64),
}

/// One entry of a rule's `payoutSchedule`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Installment {
    /// Percent of the payout (0 < percent ≤ 100).
    pub percent: Decimal,
    /// When it is released.
    pub release: Release,
}

/// The installment a line is (set by [`apply`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstallmentInfo {
    /// 1-based position in the schedule.
    pub index: u32,
    /// Number of installments.
    pub count: u32,
    /// Percent of the payout.
    pub percent: Decimal,
    /// Release date (`None`: missing).
    pub release_date: Option<NaiveDate>,
    /// Not payable yet.
    pub held: bool,
}

/// True when a line is a held installment.
pub fn is_held(l: &Line) -> bool {
    l.installment.as_ref().is_some_and(|i| i.held)
}

/// Splits an amount into installments: each rounded, the last taking the remainder.
///
/// ```
/// use compcode_core::schedule::split;
/// use compcode_core::decimal::Rounding;
/// use rust_decimal::Decimal;
/// let p = |s: &str| s.parse::<Decimal>().unwrap();
/// let parts = split(p("100.00"), &[p("33.333"), p("33.333"), p("33.334")], 2, Rounding::HalfAwayFromZero).unwrap();
/// assert_eq!(parts.iter().map(|d| d.to_string()).collect::<Vec<_>>(), ["33.33", "33.33", "33.34"]);
/// ```
pub fn split(
    amount: Decimal,
    percents: &[Decimal],
    dp: u32,
    rounding: crate::decimal::Rounding,
) -> Result<Vec<Decimal>> {
    let ovf = || Error::overflow("a payout installment");
    let mut out = Vec::with_capacity(percents.len());
    let mut rest = amount;
    for (i, p) in percents.iter().enumerate() {
        if i + 1 == percents.len() {
            out.push(round_money(rest, dp, rounding));
        } else {
            let part = round_money(
                amount.checked_mul(*p).and_then(|x| x.checked_div(Decimal::ONE_HUNDRED)).ok_or_else(ovf)?,
                dp,
                rounding,
            );
            rest = rest.checked_sub(part).ok_or_else(ovf)?;
            out.push(part);
        }
    }
    Ok(out)
}

/// The release date of an installment of a line.
fn release_date(doc: &CalcDoc, l: &Line, r: &Release) -> Option<NaiveDate> {
    match r {
        Release::Credit => Some(l.date),
        Release::DaysAfterCredit(n) => l.date.checked_add_signed(chrono::Duration::days(*n)),
        Release::Field(f) => {
            l.deal.and_then(|d| doc.deals[d].fields.get(f)).and_then(Value::as_str).and_then(|s| parse_date(s, true))
        }
    }
}

fn release_json(r: &Release) -> Value {
    match r {
        Release::Credit => json!("credit"),
        Release::Field(f) => json!({"field": f}),
        Release::DaysAfterCredit(n) => json!({"daysAfterCredit": n}),
    }
}

/// The post-step of the calculation: replaces every line of a rule with a `payoutSchedule` by
/// its installments, in place (the order stays deterministic). Lines of other rules are
/// untouched.
pub fn apply(doc: &CalcDoc, calc: &mut Calculation) -> Result<()> {
    let any = doc
        .plans
        .iter()
        .any(|p| p.versions.iter().any(|v| v.config.rules.iter().any(|r| !r.payout_schedule.is_empty())));
    if !any {
        return Ok(());
    }
    let dp = doc.settings.currency_precision;
    let lines = std::mem::take(&mut calc.lines);
    let mut out = Vec::with_capacity(lines.len());
    for l in lines {
        let rules = &doc.plans[l.plan].versions[l.version].config.rules;
        let sched = rules.iter().find(|r| r.name == l.rule_name).map(|r| &r.payout_schedule);
        let Some(sched) = sched.filter(|s| !s.is_empty() && l.installment.is_none()) else {
            out.push(l);
            continue;
        };
        let percents: Vec<Decimal> = sched.iter().map(|i| i.percent).collect();
        let parts = split(l.amount, &percents, dp, doc.settings.rounding)?;
        let n = sched.len() as u32;
        for (i, (ins, amount)) in sched.iter().zip(parts).enumerate() {
            let date = release_date(doc, &l, &ins.release);
            let held = date.map_or(true, |d| d > doc.as_of);
            let mut x = l.clone();
            x.amount = amount;
            if let (Some(d), false) = (date, held) {
                // a released installment is payable from its release date, in that date's period
                x.date = d;
                x.period = Period::containing(d, l.period.kind, doc.settings.fiscal_year_start_month);
            }
            if doc.options.trace {
                x.trace.push(crate::trace::Step::Json(json!({
                    "step": "installment", "index": i + 1, "of": n, "percent": ins.percent.normalize().to_string(),
                    "release": release_json(&ins.release), "releaseDate": date.map(|d| d.to_string()),
                    "held": held, "payout": l.amount.to_string(), "amount": amount.to_string(),
                })));
            }
            x.installment = Some(Box::new(InstallmentInfo {
                index: i as u32 + 1,
                count: n,
                percent: ins.percent,
                release_date: date,
                held,
            }));
            out.push(x);
        }
    }
    calc.lines = out;
    Ok(())
}

/// The idempotency key of an installment: the line's key with `"installment:<i>"` appended.
///
/// ```
/// assert_eq!(compcode_core::schedule::installment_key(r#"["D1","a","p","R"]"#, 2),
///            r#"["D1","a","p","R","installment:2"]"#);
/// ```
pub fn installment_key(base: &str, index: u32) -> String {
    let mut parts: Vec<String> = serde_json::from_str(base).unwrap_or_default();
    parts.push(format!("installment:{index}"));
    serde_json::to_string(&parts).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decimal::Rounding;
    use proptest::prelude::*;

    proptest! {
        /// A schedule's installments (released + held) always add up to the payout.
        #[test]
        fn installments_sum_to_payout(
            cents in -10_000_000_000i64..10_000_000_000,
            raw in proptest::collection::vec(1u32..1000, 1..6),
            dp in 0u32..4,
            mode in 0usize..4,
        ) {
            // percents summing to exactly 100, with 3 decimals
            let total: u32 = raw.iter().sum();
            let mut percents: Vec<Decimal> = raw.iter()
                .map(|r| (Decimal::from(*r) * Decimal::ONE_HUNDRED / Decimal::from(total)).round_dp(3))
                .collect();
            let head: Decimal = percents[..percents.len() - 1].iter().copied().sum();
            let last = percents.len() - 1;
            percents[last] = Decimal::ONE_HUNDRED - head;
            let rounding = [Rounding::HalfAwayFromZero, Rounding::HalfEven, Rounding::Down, Rounding::Up][mode];
            let amount = round_money(Decimal::new(cents, 2), dp, rounding);
            let parts = split(amount, &percents, dp, rounding).unwrap();
            prop_assert_eq!(parts.len(), percents.len());
            prop_assert_eq!(parts.iter().copied().sum::<Decimal>(), amount);
            for p in &parts {
                prop_assert!(p.scale() == dp);
            }
        }
    }
}
