//! Multi-currency (SPEC §20): FX rate tables, plan currencies and the conversion of a deal's
//! credited value into the currency of the plan that pays it.
//!
//! * `fxRates: [{from, to, rate, effectiveDate}]` — `1 from = rate to`, in force from
//!   `effectiveDate` on.
//! * A plan version pays in its `currency`, else `settings.reportingCurrency`, else `USD`.
//! * A deal whose `currency` differs from the plan version's is converted at the rate with the
//!   latest `effectiveDate` ≤ the deal's credit date under the rule. A direct rate
//!   (`from` = deal currency, `to` = plan currency) is used when one is in force; otherwise the
//!   latest reverse rate, by dividing by it (`value / rate`, i.e. the inverse `1/rate`). No rate
//!   in force → the deal is skipped for the rule with diagnostic `fx_rate_missing`.
//! * The converted value keeps full precision; only the payout line is rounded (SPEC §1).
//!
//! SPEC readings (also in DESIGN.md):
//! * Conversion is switched on by the document: it applies when the document has `fxRates`, a
//!   plan version names a `currency`, or `settings.reportingCurrency` is set. A document with
//!   none of these behaves exactly as before (§18.4: a group mixing currencies is an error).
//! * A deal without `currency` is in the plan's currency (never converted).
//! * What is converted: the rule's measure (every measure but `deal_count`), a `payoutBase`
//!   field or formula value and a rate table's contract base — the money the rule multiplies.
//!   Conditions and tier thresholds read the deal's own values, unconverted.
//! * The payout lines are in the plan version's currency; the ledger records it on the event
//!   (`currency`), so statements and payroll batches keep one net per currency.

use crate::model::{CalcDoc, Deal, PlanVersion};
use chrono::NaiveDate;
use rust_decimal::Decimal;

/// One FX rate: `1 from = rate to` from `effective_date` on.
#[derive(Debug, Clone, PartialEq)]
pub struct FxRate {
    /// Source currency code.
    pub from: String,
    /// Target currency code.
    pub to: String,
    /// Units of `to` per unit of `from` (> 0).
    pub rate: Decimal,
    /// First day in force.
    pub effective_date: NaiveDate,
}

/// The rate found for a conversion.
#[derive(Debug, Clone, PartialEq)]
pub struct Conversion {
    /// Deal currency.
    pub from: String,
    /// Plan currency.
    pub to: String,
    /// The table's rate as given.
    pub rate: Decimal,
    /// `true` when the reverse rate was used (value / rate).
    pub inverse: bool,
    /// Its effective date.
    pub effective_date: NaiveDate,
}

impl Conversion {
    /// Converts a value at full precision (`None` on overflow).
    ///
    /// ```
    /// use compcode_core::fx::Conversion;
    /// use rust_decimal::Decimal;
    /// let c = Conversion { from: "EUR".into(), to: "USD".into(), rate: "0.8".parse().unwrap(), inverse: true,
    ///     effective_date: chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap() };
    /// assert_eq!(c.apply(Decimal::from(100)).unwrap(), Decimal::from(125));
    /// ```
    pub fn apply(&self, v: Decimal) -> Option<Decimal> {
        if self.inverse {
            v.checked_div(self.rate)
        } else {
            v.checked_mul(self.rate)
        }
    }
}

/// True when the document uses currencies (see the module docs).
pub fn active(doc: &CalcDoc) -> bool {
    !doc.fx_rates.is_empty()
        || doc.settings.reporting_currency.is_some()
        || doc.plans.iter().any(|p| p.versions.iter().any(|v| v.currency.is_some()))
}

/// The currency a plan version pays in.
pub fn version_currency<'d>(doc: &'d CalcDoc, v: &'d PlanVersion) -> &'d str {
    v.currency.as_deref().or(doc.settings.reporting_currency.as_deref()).unwrap_or("USD")
}

/// The rate converting `from` into `to` on `on`: the direct rate with the latest effective date
/// ≤ `on`, else the reverse one used inversely.
///
/// ```
/// use compcode_core::fx::{find_rate, FxRate};
/// let d = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
/// let rates = vec![
///     FxRate { from: "EUR".into(), to: "USD".into(), rate: "1.10".parse().unwrap(), effective_date: d("2026-01-01") },
///     FxRate { from: "EUR".into(), to: "USD".into(), rate: "1.20".parse().unwrap(), effective_date: d("2026-03-01") },
///     FxRate { from: "USD".into(), to: "GBP".into(), rate: "0.8".parse().unwrap(), effective_date: d("2026-01-01") },
/// ];
/// assert_eq!(find_rate(&rates, "EUR", "USD", d("2026-02-15")).unwrap().rate.to_string(), "1.10");
/// assert_eq!(find_rate(&rates, "EUR", "USD", d("2026-03-01")).unwrap().rate.to_string(), "1.20");
/// assert!(find_rate(&rates, "GBP", "USD", d("2026-02-01")).unwrap().inverse);
/// assert!(find_rate(&rates, "EUR", "USD", d("2025-12-31")).is_none());
/// ```
pub fn find_rate(rates: &[FxRate], from: &str, to: &str, on: NaiveDate) -> Option<Conversion> {
    let latest = |f: &str, t: &str| {
        rates
            .iter()
            .filter(|r| r.from == f && r.to == t && r.effective_date <= on)
            // latest date; among equal dates the last listed wins
            .fold(None::<&FxRate>, |best, r| match best {
                Some(b) if b.effective_date > r.effective_date => Some(b),
                _ => Some(r),
            })
    };
    if let Some(r) = latest(from, to) {
        return Some(Conversion {
            from: from.into(),
            to: to.into(),
            rate: r.rate,
            inverse: false,
            effective_date: r.effective_date,
        });
    }
    latest(to, from).map(|r| Conversion {
        from: from.into(),
        to: to.into(),
        rate: r.rate,
        inverse: true,
        effective_date: r.effective_date,
    })
}

/// What the calculation does with a deal under a plan version on its credit date.
#[derive(Debug, Clone, PartialEq)]
pub enum DealFx {
    /// Same currency, no currency, or conversion switched off.
    Same,
    /// Convert with this rate.
    Convert(Conversion),
    /// No rate in force: skip with `fx_rate_missing` (the message names the pair).
    Missing(String),
}

/// Decides how a deal's values are converted for a plan version on `date`.
pub fn for_deal(doc: &CalcDoc, deal: &Deal, v: &PlanVersion, date: NaiveDate) -> DealFx {
    if !active(doc) {
        return DealFx::Same;
    }
    let Some(from) = deal.currency.as_deref() else { return DealFx::Same };
    let to = version_currency(doc, v);
    if from == to {
        return DealFx::Same;
    }
    match find_rate(&doc.fx_rates, from, to, date) {
        Some(c) => DealFx::Convert(c),
        None => DealFx::Missing(format!("no FX rate {from}→{to} (or {to}→{from}) is in force on {date}")),
    }
}

/// The currency recorded on a payout line: the plan version's when conversion is on, else none
/// (the deal's own currency, as before).
pub fn line_currency(doc: &CalcDoc, plan: usize, version: usize) -> Option<String> {
    active(doc).then(|| version_currency(doc, &doc.plans[plan].versions[version]).to_string())
}

/// A post-step of the calculation: adds an `fx` trace step to every per-deal line whose deal was
/// converted (`{step: "fx", from, to, rate, inverse, effectiveDate}`), so the conversion is
/// explained. Does nothing when tracing is off or conversion is off.
pub fn annotate(doc: &CalcDoc, calc: &mut crate::calc::Calculation) {
    if !doc.options.trace || !active(doc) {
        return;
    }
    for l in calc.lines.iter_mut() {
        let Some(d) = l.deal else { continue };
        if l.phase != crate::model::Phase::PerDeal {
            continue;
        }
        let v = &doc.plans[l.plan].versions[l.version];
        let Some(rule) = v.config.rules.iter().find(|r| r.name == l.rule_name) else { continue };
        let Some(date) = crate::calc::credit_date_of(&doc.deals[d], rule.credit_date_field.as_deref()) else {
            continue;
        };
        if let DealFx::Convert(c) = for_deal(doc, &doc.deals[d], v, date) {
            l.trace.insert(
                0,
                crate::trace::Step::Json(
                    serde_json::json!({"step": "fx", "from": c.from, "to": c.to, "rate": c.rate.to_string(),
                    "inverse": c.inverse, "effectiveDate": c.effective_date.to_string()}),
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_converted_line_explains_its_rate() {
        let doc = serde_json::json!({
          "asOf": "2026-04-01", "reps": [{"id": "a", "name": "A"}],
          "plans": [{"planId": "p", "name": "P", "effectiveStart": "2026-01-01", "currency": "EUR", "config": {"rules": [
            {"name": "R", "measure": "amount", "tierBy": "value",
             "tiers": [{"tierIndex": 0, "name": "T", "minThreshold": 0, "rate": "0.1"}]}]}}],
          "assignments": [{"repId": "a", "planId": "p", "effectiveStart": "2026-01-01"}],
          "fxRates": [{"from": "EUR", "to": "USD", "rate": "1.25", "effectiveDate": "2026-01-01"}],
          "deals": [{"id": "D1", "stage": "Won", "amount": 1000, "currency": "USD", "closeDate": "2026-02-01", "ownerRepId": "a"}]
        });
        let out = crate::api::simulate(&doc).unwrap();
        let e = &out.events[0];
        assert_eq!(e.amount, "80.00"); // 1000 / 1.25 = 800 EUR × 10%
        assert_eq!(e.currency.as_deref(), Some("EUR"));
        assert_eq!(
            e.trace[0],
            serde_json::json!({"step": "fx", "from": "USD", "to": "EUR", "rate": "1.25", "inverse": true, "effectiveDate": "2026-01-01"})
        );
    }

    proptest! {
        /// Converting with a rate, or with its inverse given as the reverse rate, pays the same
        /// to the cent (rates whose inverses are exact decimals, as on the fixtures).
        #[test]
        fn rate_and_inverse_agree(cents in 0i64..10_000_000_000, i in 0usize..8) {
            const PAIRS: [(&str, &str); 8] = [("1.25", "0.8"), ("2", "0.5"), ("1.6", "0.625"), ("0.04", "25"),
                ("1.024", "0.9765625"), ("0.2", "5"), ("3.2", "0.3125"), ("1.28", "0.78125")];
            let (r, inv) = PAIRS[i];
            let d = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
            let direct = vec![FxRate { from: "EUR".into(), to: "USD".into(), rate: r.parse().unwrap(), effective_date: d }];
            let reverse = vec![FxRate { from: "USD".into(), to: "EUR".into(), rate: inv.parse().unwrap(), effective_date: d }];
            let v = Decimal::new(cents, 2);
            let a = find_rate(&direct, "EUR", "USD", d).unwrap().apply(v).unwrap();
            let b = find_rate(&reverse, "EUR", "USD", d).unwrap().apply(v).unwrap();
            prop_assert_eq!(a.round_dp(2), b.round_dp(2));
        }
    }
}
