//! Draws (recoverable) and guarantees (non-recoverable) — SPEC §20.
//!
//! A document's `draws: [{repId, amountPerPeriod, periodFrom, periodTo, recoverable,
//! recoveryStart?, maxRecoveryPercent?}]` pays a rep up to `amountPerPeriod` in every period of
//! the window `[periodFrom, periodTo]`. For each period `p`:
//!
//! * `E` = the rep's earnings in `p` without draw lines: the sum of the rep's rounded payout lines
//!   whose date (credit date; a periodic line's last day) falls in `p` — `p` being a period of the
//!   draw's own kind (a monthly draw sums quarterly lines by their dates too).
//! * inside the window: a `draw` line of `max(0, amountPerPeriod − E)`; a recoverable draw adds it
//!   to the balance.
//! * from `recoveryStart` (default: the period after the first period that paid a draw), whenever
//!   `E > g` (`g` = `amountPerPeriod` inside the window, 0 after it): a `draw_recovery` line of
//!   `−min(balance, round((E − g) × maxRecoveryPercent / 100))`, which lowers the balance.
//! * a guarantee (`recoverable: false`) is never recovered and keeps no balance.
//!
//! SPEC readings (also in DESIGN.md): the periods run from `periodFrom` to the later of
//! `periodTo` and the last period with earnings (recovery continues after the window while
//! there is a balance); the recovery amount is rounded once with the document's rounding before
//! the `min`, so the balance never goes negative; two draws of one rep are independent (each has
//! its own balance, each sees the same `E`); the draw amounts are money (rounded to
//! `currencyPrecision`).

use crate::calc::Calculation;
use crate::decimal::{fmt_money, round_money, Rounding};
use crate::error::{Error, Result};
use crate::model::CalcDoc;
use crate::period::Period;
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::BTreeMap;

/// One draw or guarantee of a document (SPEC §20).
#[derive(Debug, Clone, PartialEq)]
pub struct Draw {
    /// The rep it pays.
    pub rep_id: String,
    /// The most paid per period (a floor on earnings).
    pub amount_per_period: Decimal,
    /// First period of the window.
    pub period_from: Period,
    /// Last period of the window (inclusive).
    pub period_to: Period,
    /// `true`: a draw (recovered later); `false`: a guarantee.
    pub recoverable: bool,
    /// First period in which recovery may happen (default: the period after the first draw).
    pub recovery_start: Option<Period>,
    /// Share of the excess `E − g` that recovery may take, 0–100 (default 100).
    pub max_recovery_percent: Decimal,
}

/// One period of one draw: what the rep earned, was drawn, had recovered, and the balance after.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DrawPeriod {
    /// Rep.
    pub rep_id: String,
    /// Index of the draw in the document's `draws`.
    pub draw: usize,
    /// `draw` (recoverable) or `guarantee`.
    pub kind: &'static str,
    /// Period.
    pub period: String,
    /// Earnings E without draw lines (money).
    pub earnings: String,
    /// The `draw` line (money, ≥ 0).
    pub draw_amount: String,
    /// The `draw_recovery` line (money, ≤ 0).
    pub recovery: String,
    /// Balance after the period (money, ≥ 0; always 0 for a guarantee).
    pub balance: String,
    /// E + draw + recovery (money).
    pub net: String,
}

/// The numbers of one period, unformatted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DrawStep {
    /// Period.
    pub period: Period,
    /// Earnings E.
    pub earnings: Decimal,
    /// Draw paid (≥ 0).
    pub draw: Decimal,
    /// Recovery taken (≤ 0).
    pub recovery: Decimal,
    /// Balance after the period.
    pub balance: Decimal,
}

fn next(p: Period, fy: u32) -> Period {
    Period::containing(p.end(fy), p.kind, fy)
}

/// Runs one draw over the rep's earnings per period (periods of the draw's kind; missing = 0).
///
/// ```
/// use compcode_core::draws::{run_draw, Draw};
/// use compcode_core::decimal::Rounding;
/// use compcode_core::period::Period;
/// use rust_decimal::Decimal;
/// use std::collections::BTreeMap;
/// let p = |s: &str| Period::parse(s).unwrap();
/// let d = Draw { rep_id: "a".into(), amount_per_period: Decimal::from(1000), period_from: p("2026-01"),
///     period_to: p("2026-03"), recoverable: true, recovery_start: None, max_recovery_percent: Decimal::from(100) };
/// let e: BTreeMap<Period, Decimal> = [(p("2026-01"), 500), (p("2026-02"), 700), (p("2026-03"), 400)]
///     .into_iter().map(|(k, v)| (k, Decimal::from(v))).collect();
/// let steps = run_draw(&d, &e, 1, 2, Rounding::HalfAwayFromZero).unwrap();
/// let draws: Vec<String> = steps.iter().map(|s| s.draw.to_string()).collect();
/// assert_eq!(draws, ["500.00", "300.00", "600.00"]);
/// assert_eq!(steps[2].balance, Decimal::from(1400));
/// ```
pub fn run_draw(
    d: &Draw,
    earnings: &BTreeMap<Period, Decimal>,
    fy: u32,
    dp: u32,
    rounding: Rounding,
) -> Result<Vec<DrawStep>> {
    let last_earning = earnings.keys().filter(|p| p.kind == d.period_from.kind).max().copied();
    let last = match last_earning {
        Some(l) if l > d.period_to => l,
        _ => d.period_to,
    };
    let ovf = || Error::overflow("a draw balance");
    let mut out = Vec::new();
    let mut balance = Decimal::ZERO;
    let mut first_draw: Option<Period> = None;
    let mut p = d.period_from;
    let mut guard = 0u32;
    while p <= last {
        guard += 1;
        if guard > 100_000 {
            return Err(ovf());
        }
        let e = earnings.get(&p).copied().unwrap_or_default();
        let in_window = p >= d.period_from && p <= d.period_to;
        let g = if in_window { d.amount_per_period } else { Decimal::ZERO };
        let draw = if in_window {
            round_money(d.amount_per_period.checked_sub(e).ok_or_else(ovf)?.max(Decimal::ZERO), dp, rounding)
        } else {
            round_money(Decimal::ZERO, dp, rounding)
        };
        let mut recovery = round_money(Decimal::ZERO, dp, rounding);
        if d.recoverable {
            let start = d.recovery_start.or_else(|| first_draw.map(|f| next(f, fy)));
            if start.is_some_and(|s| p >= s) && e > g && balance > Decimal::ZERO {
                let excess = e
                    .checked_sub(g)
                    .and_then(|x| x.checked_mul(d.max_recovery_percent))
                    .and_then(|x| x.checked_div(Decimal::ONE_HUNDRED))
                    .ok_or_else(ovf)?;
                let take = round_money(excess, dp, rounding).min(balance);
                recovery = round_money(-take, dp, rounding);
            }
            balance = balance.checked_add(draw).and_then(|b| b.checked_add(recovery)).ok_or_else(ovf)?;
        }
        if draw > Decimal::ZERO && first_draw.is_none() {
            first_draw = Some(p);
        }
        out.push(DrawStep { period: p, earnings: e, draw, recovery, balance: round_money(balance, dp, rounding) });
        p = next(p, fy);
    }
    Ok(out)
}

/// The rep's earnings per period of `kind`, from a calculation's lines (by each line's date).
pub fn earnings_by_period(
    doc: &CalcDoc,
    calc: &Calculation,
    rep_id: &str,
    kind: crate::period::PeriodKind,
) -> Result<BTreeMap<Period, Decimal>> {
    let fy = doc.settings.fiscal_year_start_month;
    let mut out: BTreeMap<Period, Decimal> = BTreeMap::new();
    for l in calc.lines.iter().filter(|l| doc.reps[l.rep].id == rep_id) {
        if crate::schedule::is_held(l) {
            continue; // a held installment is not earned yet
        }
        let slot = out.entry(Period::containing(l.date, kind, fy)).or_default();
        *slot = slot.checked_add(l.amount).ok_or_else(|| Error::overflow("a rep's earnings"))?;
    }
    Ok(out)
}

/// Every draw of the document over the calculation, formatted for the simulate output's `draws`
/// section (empty when the document has no draws).
pub fn draws_section(doc: &CalcDoc, calc: &Calculation) -> Result<Vec<DrawPeriod>> {
    let dp = doc.settings.currency_precision;
    let mut out = Vec::new();
    for (i, d) in doc.draws.iter().enumerate() {
        let e = earnings_by_period(doc, calc, &d.rep_id, d.period_from.kind)?;
        let steps = run_draw(d, &e, doc.settings.fiscal_year_start_month, dp, doc.settings.rounding)?;
        push_rows(&mut out, d, i, steps, dp)?;
    }
    Ok(out)
}

/// The output rows of draw number `i` (simulate's `draws` section and `draws.compute`).
fn push_rows(out: &mut Vec<DrawPeriod>, d: &Draw, i: usize, steps: Vec<DrawStep>, dp: u32) -> Result<()> {
    for s in steps {
        let net = s.earnings.checked_add(s.draw).and_then(|x| x.checked_add(s.recovery));
        out.push(DrawPeriod {
            rep_id: d.rep_id.clone(),
            draw: i,
            kind: if d.recoverable { "draw" } else { "guarantee" },
            period: s.period.to_string(),
            earnings: fmt_money(s.earnings, dp),
            draw_amount: fmt_money(s.draw, dp),
            recovery: fmt_money(s.recovery, dp),
            balance: fmt_money(s.balance, dp),
            net: fmt_money(net.ok_or_else(|| Error::overflow("a draw net"))?, dp),
        });
    }
    Ok(())
}

/// `draws.compute`: runs draws over earnings given directly, without a calculation.
///
/// Input `{draws: [...], earnings: [{repId, period, amount}], settings?}`; output
/// `{draws: [DrawPeriod…]}`. Earnings of one (rep, period) add up.
///
/// ```
/// use serde_json::json;
/// let out = compcode_core::api::run("draws.compute", &json!({
///   "draws": [{"repId": "a", "amountPerPeriod": "1000", "periodFrom": "2026-01", "periodTo": "2026-03",
///              "recoverable": true}],
///   "earnings": [{"repId": "a", "period": "2026-01", "amount": "500"}]})).unwrap();
/// assert_eq!(out["draws"][0]["drawAmount"], "500.00");
/// assert_eq!(out["draws"][2]["balance"], "2500.00");
/// ```
pub fn compute_op(input: &serde_json::Value) -> Result<serde_json::Value> {
    let (draws, earnings, settings) = crate::validate::read_draws_input(input)?;
    let dp = settings.currency_precision;
    let fy = settings.fiscal_year_start_month;
    let mut out = Vec::new();
    for (i, d) in draws.iter().enumerate() {
        let mut e: BTreeMap<Period, Decimal> = BTreeMap::new();
        for (rep, p, a) in &earnings {
            if rep == &d.rep_id && p.kind == d.period_from.kind {
                let slot = e.entry(*p).or_default();
                *slot = slot.checked_add(*a).ok_or_else(|| Error::overflow("a rep's earnings"))?;
            }
        }
        push_rows(&mut out, d, i, run_draw(d, &e, fy, dp, settings.rounding)?, dp)?;
    }
    Ok(serde_json::json!({ "draws": out }))
}

/// Splits a workspace settings record into the settings proper and the SPEC §20 document
/// fields it may carry for the ledger: `(settings, draws, fxRates)`.
///
/// ```
/// use serde_json::json;
/// let (s, d, f) = compcode_core::draws::split_workspace_settings(&json!({"currencyPrecision": 2, "draws": []}));
/// assert_eq!(s, json!({"currencyPrecision": 2}));
/// assert_eq!(d, Some(json!([])));
/// assert!(f.is_none());
/// ```
pub fn split_workspace_settings(
    v: &serde_json::Value,
) -> (serde_json::Value, Option<serde_json::Value>, Option<serde_json::Value>) {
    match v.as_object() {
        Some(m) if m.contains_key("draws") || m.contains_key("fxRates") => {
            let mut m = m.clone();
            let d = m.remove("draws");
            let f = m.remove("fxRates");
            (serde_json::Value::Object(m), d, f)
        }
        _ => (v.clone(), None, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn p(s: &str) -> Period {
        Period::parse(s).unwrap()
    }

    proptest! {
        /// A recoverable draw's balance never goes negative and never exceeds the draws paid.
        #[test]
        fn balance_bounded(
            amt in 0i64..500_000,
            months in 1u32..12,
            pct in 0i64..=100,
            e in proptest::collection::vec(-100_000i64..1_000_000, 1..24),
        ) {
            let d = Draw { rep_id: "a".into(), amount_per_period: Decimal::new(amt, 2), period_from: p("2026-01"),
                period_to: Period { year: 2026, kind: crate::period::PeriodKind::Monthly, n: months },
                recoverable: true, recovery_start: None, max_recovery_percent: Decimal::from(pct) };
            let mut earn = BTreeMap::new();
            let mut q = p("2026-01");
            for x in &e {
                earn.insert(q, Decimal::new(*x, 2));
                q = next(q, 1);
            }
            let steps = run_draw(&d, &earn, 1, 2, Rounding::HalfAwayFromZero).unwrap();
            let mut paid = Decimal::ZERO;
            for s in &steps {
                paid += s.draw;
                prop_assert!(s.balance >= Decimal::ZERO);
                prop_assert!(s.balance <= paid);
                prop_assert!(s.recovery <= Decimal::ZERO);
            }
        }
    }
}
