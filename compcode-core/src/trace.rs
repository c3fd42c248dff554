//! Explanation steps of a payout line (the `trace` of an event), kept typed while calculating
//! and written out as JSON only when the answer is serialized.
//!
//! Performance (issue #9): building each step as a `serde_json::Value` cost a map, a key string
//! and a formatted decimal per field on every deal and rule — about 40 % of a traced
//! calculation. A [`Step`] holds the numbers themselves; the steps of the hot paths (credit,
//! tier, bands, clamps, round, period cap, floor, refund, override) have their own variants,
//! the rare ones (periodic and cascade headers, FX, installments, rate tables, ledger steps)
//! stay [`Step::Json`]. The JSON of a step is exactly what the engine wrote before: an object
//! whose keys are in byte order (serde_json's map order), decimals as their text with their
//! scale (`Decimal`'s `Display`), dates as `YYYY-MM-DD`.
//!
//! ```
//! use compcode_core::trace::Step;
//! use rust_decimal::Decimal;
//! let s = Step::Round { before: Decimal::new(12345, 3), after: Decimal::new(1235, 2) };
//! assert_eq!(s.to_value(), serde_json::json!({"step": "round", "before": "12.345", "after": "12.35"}));
//! assert_eq!(serde_json::to_string(&s).unwrap(), r#"{"after":"12.35","before":"12.345","step":"round"}"#);
//! ```

use crate::model::Name;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};
use serde_json::Value;
use std::sync::Arc;

/// One band of a marginal or interpolated tier computation, as the `bands` step shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Band {
    /// Tier name.
    pub tier: Name,
    /// Band start (credited-value units).
    pub from: Decimal,
    /// Band end (`None` = open).
    pub to: Option<Decimal>,
    /// Overlap with the deal's interval (signed).
    pub overlap: Decimal,
    /// Amount from this band.
    pub amount: Decimal,
}

/// One explanation step. See the module docs for the JSON of each variant.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// `{"step": "credit", dealId, creditDate, splitPercent, creditedValue, cumulativeBefore,
    /// cumulativeAfter}`: the deal's credit to the rep and the group's running total.
    Credit {
        /// Deal id.
        deal_id: String,
        /// Credit date.
        credit_date: NaiveDate,
        /// The rep's split, in percent (normalized).
        split_percent: Decimal,
        /// Credited value.
        credited: Decimal,
        /// Running total before the deal.
        before: Decimal,
        /// Running total after the deal.
        after: Decimal,
    },
    /// `{"step": "tier", "mode": "full_rate", readAt, tier, rate, flatAmount, base, amount}`.
    Tier {
        /// Where the tier was read.
        read_at: Decimal,
        /// Tier name.
        tier: Name,
        /// The tier's rate (null when flat).
        rate: Option<Decimal>,
        /// The tier's flat amount (null when a rate).
        flat_amount: Option<Decimal>,
        /// What a rate multiplies.
        base: Decimal,
        /// The amount.
        amount: Decimal,
    },
    /// `{"step": "bands", "mode": "marginal" | "interpolated", bands: [{tier, from, to, overlap,
    /// amount}], amount}`.
    Bands {
        /// Marginal (else interpolated).
        marginal: bool,
        /// The bands the interval covered.
        bands: Vec<Band>,
        /// Their sum (or the scaled sum).
        amount: Decimal,
    },
    /// `{"step": "minAmount" | "maxAmount", before, after}`.
    Clamp {
        /// `minAmount` or `maxAmount`.
        kind: &'static str,
        /// Before.
        before: Decimal,
        /// After.
        after: Decimal,
    },
    /// `{"step": "capMultiplier", before, after, capMultiplier, variableTarget}`.
    CapMultiplier {
        /// Before.
        before: Decimal,
        /// After.
        after: Decimal,
        /// The rule's capMultiplier.
        cap_multiplier: Decimal,
        /// The quota's variable target.
        variable_target: Decimal,
    },
    /// `{"step": "periodCap", before, after, periodCap, paidBefore}`.
    PeriodCap {
        /// Before.
        before: Decimal,
        /// After.
        after: Decimal,
        /// The rule's periodCap.
        period_cap: Decimal,
        /// Paid by the group before this line.
        paid_before: Decimal,
    },
    /// `{"step": "floor", floorAttainment, periodAttainment, [before], "after": "0"}` (a per_deal
    /// line shows `before`, a periodic one does not).
    Floor {
        /// The rule's floorAttainment.
        floor_attainment: Decimal,
        /// The period's attainment.
        period_attainment: Decimal,
        /// The amount before the floor (per_deal lines).
        before: Option<Decimal>,
    },
    /// `{"step": "refund", "note": …, after}`: a refund priced as a sale of its size, negated.
    Refund {
        /// The negated amount.
        after: Decimal,
    },
    /// `{"step": "round", before, after}`.
    Round {
        /// Before rounding.
        before: Decimal,
        /// Rounded.
        after: Decimal,
    },
    /// `{"step": "override", dealId, creditDate, level}`: a Spark override's sale.
    Override {
        /// Deal id.
        deal_id: String,
        /// Credit date.
        credit_date: NaiveDate,
        /// Override level.
        level: u32,
    },
    /// `{"step": "period", period, deals, creditedValue, attainment, closed}`: a periodic
    /// rule's period total.
    Period {
        /// The period.
        period: crate::period::Period,
        /// Deals in the period.
        deals: usize,
        /// Credited value.
        credited: Decimal,
        /// Attainment (null without a quota).
        attainment: Option<Decimal>,
        /// The period is closed on asOf.
        closed: bool,
    },
    /// `{"step": "cascade", sourceRepId, level, cascadeBase, dependsOn, base}`: a manager
    /// override's source.
    Cascade {
        /// The report whose lines the override reads.
        source_rep_id: String,
        /// Cascade level.
        level: u32,
        /// `commission` or `measure`.
        cascade_base: &'static str,
        /// The upstream rule (or `_total`).
        depends_on: Option<String>,
        /// The override's base.
        base: Decimal,
    },
    /// Any other step, as JSON.
    Json(Value),
}

const REFUND_NOTE: &str = "priced as a sale of its size, then negated";

/// A decimal written as its text (with its scale), from a stack buffer (no `String`).
struct Dec(Decimal);

impl Serialize for Dec {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(crate::decimal::DecText::new(self.0).as_str())
    }
}

struct OptDec(Option<Decimal>);

impl Serialize for OptDec {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Some(d) => s.serialize_str(crate::decimal::DecText::new(d).as_str()),
            None => s.serialize_none(),
        }
    }
}

/// A value written as its `Display` text.
struct Text<'a, T: std::fmt::Display>(&'a T);

impl<T: std::fmt::Display> Serialize for Text<'_, T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self.0)
    }
}

impl Serialize for Band {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(5))?;
        m.serialize_entry("amount", &Dec(self.amount))?;
        m.serialize_entry("from", &Dec(self.from))?;
        m.serialize_entry("overlap", &Dec(self.overlap))?;
        m.serialize_entry("tier", &self.tier)?;
        m.serialize_entry("to", &OptDec(self.to))?;
        m.end()
    }
}

/// Sets the deal id of the credit steps that were written without one (a calculation for a
/// view, see `calc::calculate_with`).
pub(crate) fn fill_deal_id(steps: &mut [Step], id: &str) {
    for step in steps {
        if let Step::Credit { deal_id, .. } = step {
            if deal_id.is_empty() {
                *deal_id = id.to_string();
            }
        }
    }
}

/// A step written with its line's deal id, for a credit step that has none (see
/// [`fill_deal_id`]).
pub(crate) struct StepOf<'a> {
    pub step: &'a Step,
    pub deal_id: Option<&'a str>,
}

impl Serialize for StepOf<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.step.write(s, self.deal_id)
    }
}

/// Keys in byte order, as serde_json's `Map` writes them.
impl Serialize for Step {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.write(s, None)
    }
}

impl Step {
    /// The step's JSON; a credit step without a deal id takes `line_deal`.
    fn write<S: Serializer>(&self, s: S, line_deal: Option<&str>) -> Result<S::Ok, S::Error> {
        match self {
            Step::Credit { deal_id, credit_date, split_percent, credited, before, after } => {
                let mut m = s.serialize_map(Some(7))?;
                m.serialize_entry("creditDate", &Text(credit_date))?;
                m.serialize_entry("creditedValue", &Dec(*credited))?;
                m.serialize_entry("cumulativeAfter", &Dec(*after))?;
                m.serialize_entry("cumulativeBefore", &Dec(*before))?;
                let id = match (deal_id.is_empty(), line_deal) {
                    (true, Some(line)) => line,
                    _ => deal_id.as_str(),
                };
                m.serialize_entry("dealId", id)?;
                m.serialize_entry("splitPercent", &Dec(*split_percent))?;
                m.serialize_entry("step", "credit")?;
                m.end()
            }
            Step::Tier { read_at, tier, rate, flat_amount, base, amount } => {
                let mut m = s.serialize_map(Some(8))?;
                m.serialize_entry("amount", &Dec(*amount))?;
                m.serialize_entry("base", &Dec(*base))?;
                m.serialize_entry("flatAmount", &OptDec(*flat_amount))?;
                m.serialize_entry("mode", "full_rate")?;
                m.serialize_entry("rate", &OptDec(*rate))?;
                m.serialize_entry("readAt", &Dec(*read_at))?;
                m.serialize_entry("step", "tier")?;
                m.serialize_entry("tier", tier)?;
                m.end()
            }
            Step::Bands { marginal, bands, amount } => {
                let mut m = s.serialize_map(Some(4))?;
                m.serialize_entry("amount", &Dec(*amount))?;
                m.serialize_entry("bands", bands)?;
                m.serialize_entry("mode", if *marginal { "marginal" } else { "interpolated" })?;
                m.serialize_entry("step", "bands")?;
                m.end()
            }
            Step::Clamp { kind, before, after } => {
                let mut m = s.serialize_map(Some(3))?;
                m.serialize_entry("after", &Dec(*after))?;
                m.serialize_entry("before", &Dec(*before))?;
                m.serialize_entry("step", kind)?;
                m.end()
            }
            Step::CapMultiplier { before, after, cap_multiplier, variable_target } => {
                let mut m = s.serialize_map(Some(5))?;
                m.serialize_entry("after", &Dec(*after))?;
                m.serialize_entry("before", &Dec(*before))?;
                m.serialize_entry("capMultiplier", &Dec(*cap_multiplier))?;
                m.serialize_entry("step", "capMultiplier")?;
                m.serialize_entry("variableTarget", &Dec(*variable_target))?;
                m.end()
            }
            Step::PeriodCap { before, after, period_cap, paid_before } => {
                let mut m = s.serialize_map(Some(5))?;
                m.serialize_entry("after", &Dec(*after))?;
                m.serialize_entry("before", &Dec(*before))?;
                m.serialize_entry("paidBefore", &Dec(*paid_before))?;
                m.serialize_entry("periodCap", &Dec(*period_cap))?;
                m.serialize_entry("step", "periodCap")?;
                m.end()
            }
            Step::Floor { floor_attainment, period_attainment, before } => {
                let mut m = s.serialize_map(Some(if before.is_some() { 5 } else { 4 }))?;
                m.serialize_entry("after", "0")?;
                if let Some(b) = before {
                    m.serialize_entry("before", &Dec(*b))?;
                }
                m.serialize_entry("floorAttainment", &Dec(*floor_attainment))?;
                m.serialize_entry("periodAttainment", &Dec(*period_attainment))?;
                m.serialize_entry("step", "floor")?;
                m.end()
            }
            Step::Refund { after } => {
                let mut m = s.serialize_map(Some(3))?;
                m.serialize_entry("after", &Dec(*after))?;
                m.serialize_entry("note", REFUND_NOTE)?;
                m.serialize_entry("step", "refund")?;
                m.end()
            }
            Step::Round { before, after } => {
                let mut m = s.serialize_map(Some(3))?;
                m.serialize_entry("after", &Dec(*after))?;
                m.serialize_entry("before", &Dec(*before))?;
                m.serialize_entry("step", "round")?;
                m.end()
            }
            Step::Override { deal_id, credit_date, level } => {
                let mut m = s.serialize_map(Some(4))?;
                m.serialize_entry("creditDate", &Text(credit_date))?;
                m.serialize_entry("dealId", deal_id)?;
                m.serialize_entry("level", level)?;
                m.serialize_entry("step", "override")?;
                m.end()
            }
            Step::Period { period, deals, credited, attainment, closed } => {
                let mut m = s.serialize_map(Some(6))?;
                m.serialize_entry("attainment", &OptDec(*attainment))?;
                m.serialize_entry("closed", closed)?;
                m.serialize_entry("creditedValue", &Dec(*credited))?;
                m.serialize_entry("deals", deals)?;
                m.serialize_entry("period", &Text(period))?;
                m.serialize_entry("step", "period")?;
                m.end()
            }
            Step::Cascade { source_rep_id, level, cascade_base, depends_on, base } => {
                let mut m = s.serialize_map(Some(6))?;
                m.serialize_entry("base", &Dec(*base))?;
                m.serialize_entry("cascadeBase", cascade_base)?;
                m.serialize_entry("dependsOn", depends_on)?;
                m.serialize_entry("level", level)?;
                m.serialize_entry("sourceRepId", source_rep_id)?;
                m.serialize_entry("step", "cascade")?;
                m.end()
            }
            Step::Json(v) => v.serialize(s),
        }
    }
}

impl Step {
    /// The step as a JSON value (what the engine writes).
    pub fn to_value(&self) -> Value {
        match self {
            Step::Json(v) => v.clone(),
            // serializing into a `Value` cannot fail: every key is a string
            other => serde_json::to_value(other).unwrap_or(Value::Null),
        }
    }

    /// The step's name (`credit`, `tier`, `bands`, `round`, …).
    pub fn name(&self) -> &str {
        match self {
            Step::Credit { .. } => "credit",
            Step::Tier { .. } => "tier",
            Step::Bands { .. } => "bands",
            Step::Clamp { kind, .. } => kind,
            Step::CapMultiplier { .. } => "capMultiplier",
            Step::PeriodCap { .. } => "periodCap",
            Step::Floor { .. } => "floor",
            Step::Refund { .. } => "refund",
            Step::Round { .. } => "round",
            Step::Override { .. } => "override",
            Step::Period { .. } => "period",
            Step::Cascade { .. } => "cascade",
            Step::Json(v) => v.get("step").and_then(Value::as_str).unwrap_or(""),
        }
    }
}

impl PartialEq<Value> for Step {
    fn eq(&self, other: &Value) -> bool {
        &self.to_value() == other
    }
}

/// A line's explanation steps, shared (not copied) by the event and the per-deal view that
/// show it; serializes as a JSON array of steps.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Trace(Arc<[Step]>);

impl Trace {
    /// The steps as JSON values.
    pub fn to_values(&self) -> Vec<Value> {
        self.0.iter().map(Step::to_value).collect()
    }

    /// A trace of JSON steps (e.g. read back from a stored event).
    pub fn from_values(values: Vec<Value>) -> Trace {
        Trace(values.into_iter().map(Step::Json).collect())
    }
}

impl From<Vec<Step>> for Trace {
    fn from(steps: Vec<Step>) -> Self {
        Trace(steps.into())
    }
}

impl std::ops::Deref for Trace {
    type Target = [Step];
    fn deref(&self) -> &[Step] {
        &self.0
    }
}

impl Serialize for Trace {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for step in self.0.iter() {
            seq.serialize_element(step)?;
        }
        seq.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    /// Every typed step writes exactly the object the engine built with `json!` before steps were
    /// typed (the expressions below are the old ones, verbatim but for the variables).
    #[test]
    fn typed_steps_write_the_same_json_as_before() {
        let date = NaiveDate::from_ymd_opt(2026, 2, 1).unwrap();
        let (a, b, c, e) = (d("1.50"), d("-2.000"), d("0"), d("12345.678901"));
        let cases: Vec<(Step, Value)> = vec![
            (
                Step::Credit {
                    deal_id: "D1".into(),
                    credit_date: date,
                    split_percent: d("50"),
                    credited: a,
                    before: b,
                    after: e,
                },
                json!({"step": "credit", "dealId": "D1", "creditDate": date.to_string(), "splitPercent": "50",
                       "creditedValue": a.to_string(), "cumulativeBefore": b.to_string(), "cumulativeAfter": e.to_string()}),
            ),
            (
                Step::Tier { read_at: a, tier: "T".into(), rate: Some(b), flat_amount: None, base: c, amount: e },
                json!({"step": "tier", "mode": "full_rate", "readAt": a.to_string(), "tier": "T",
                       "rate": Some(b).map(|r| r.to_string()), "flatAmount": None::<Decimal>.map(|f| f.to_string()),
                       "base": c.to_string(), "amount": e.to_string()}),
            ),
            (
                Step::Tier { read_at: a, tier: "T".into(), rate: None, flat_amount: Some(b), base: c, amount: e },
                json!({"step": "tier", "mode": "full_rate", "readAt": a.to_string(), "tier": "T",
                       "rate": None::<String>, "flatAmount": b.to_string(), "base": c.to_string(), "amount": e.to_string()}),
            ),
            (
                Step::Bands {
                    marginal: true,
                    bands: vec![
                        Band { tier: "A".into(), from: c, to: Some(a), overlap: a, amount: b },
                        Band { tier: "B".into(), from: a, to: None, overlap: e, amount: e },
                    ],
                    amount: e,
                },
                json!({"step": "bands", "mode": "marginal", "bands": [
                    {"tier": "A", "from": c.to_string(), "to": Some(a.to_string()), "overlap": a.to_string(), "amount": b.to_string()},
                    {"tier": "B", "from": a.to_string(), "to": None::<String>, "overlap": e.to_string(), "amount": e.to_string()}],
                    "amount": e.to_string()}),
            ),
            (
                Step::Bands { marginal: false, bands: vec![], amount: c },
                json!({"step": "bands", "mode": "interpolated", "bands": [], "amount": "0"}),
            ),
            (
                Step::Clamp { kind: "minAmount", before: a, after: b },
                json!({"step": "minAmount", "before": a.to_string(), "after": b.to_string()}),
            ),
            (
                Step::Clamp { kind: "maxAmount", before: a, after: b },
                json!({"step": "maxAmount", "before": a.to_string(), "after": b.to_string()}),
            ),
            (
                Step::CapMultiplier { before: a, after: b, cap_multiplier: c, variable_target: e },
                json!({"step": "capMultiplier", "before": a.to_string(), "after": b.to_string(), "capMultiplier": c.to_string(), "variableTarget": e.to_string()}),
            ),
            (
                Step::PeriodCap { before: a, after: b, period_cap: c, paid_before: e },
                json!({"step": "periodCap", "before": a.to_string(), "after": b.to_string(), "periodCap": c.to_string(), "paidBefore": e.to_string()}),
            ),
            (
                Step::Floor { floor_attainment: a, period_attainment: b, before: Some(e) },
                json!({"step": "floor", "floorAttainment": a.to_string(), "periodAttainment": b.to_string(), "before": e.to_string(), "after": "0"}),
            ),
            (
                Step::Floor { floor_attainment: a, period_attainment: b, before: None },
                json!({"step": "floor", "floorAttainment": a.to_string(), "periodAttainment": b.to_string(), "after": "0"}),
            ),
            (
                Step::Refund { after: b },
                json!({"step": "refund", "note": "priced as a sale of its size, then negated", "after": b.to_string()}),
            ),
            (
                Step::Round { before: e, after: a },
                json!({"step": "round", "before": e.to_string(), "after": a.to_string()}),
            ),
            (
                Step::Override { deal_id: "D9".into(), credit_date: date, level: 2 },
                json!({"step": "override", "dealId": "D9", "creditDate": date.to_string(), "level": 2}),
            ),
            (
                Step::Period {
                    period: crate::period::Period { year: 2026, kind: crate::period::PeriodKind::Quarterly, n: 1 },
                    deals: 12,
                    credited: a,
                    attainment: Some(b),
                    closed: true,
                },
                json!({"step": "period", "period": "2026-Q1", "deals": 12, "creditedValue": a.to_string(),
                       "attainment": Some(b.to_string()), "closed": true}),
            ),
            (
                Step::Period {
                    period: crate::period::Period { year: 2026, kind: crate::period::PeriodKind::Monthly, n: 3 },
                    deals: 0,
                    credited: e,
                    attainment: None,
                    closed: false,
                },
                json!({"step": "period", "period": "2026-03", "deals": 0, "creditedValue": e.to_string(),
                       "attainment": None::<String>, "closed": false}),
            ),
            (
                Step::Cascade {
                    source_rep_id: "rep7".into(),
                    level: 1,
                    cascade_base: "commission",
                    depends_on: Some("_total".into()),
                    base: a,
                },
                json!({"step": "cascade", "sourceRepId": "rep7", "level": 1, "cascadeBase": "commission",
                       "dependsOn": Some("_total"), "base": a.to_string()}),
            ),
            (
                Step::Cascade {
                    source_rep_id: "r".into(),
                    level: 2,
                    cascade_base: "measure",
                    depends_on: None,
                    base: e,
                },
                json!({"step": "cascade", "sourceRepId": "r", "level": 2, "cascadeBase": "measure",
                       "dependsOn": None::<String>, "base": e.to_string()}),
            ),
            (Step::Json(json!({"step": "x", "n": 1})), json!({"step": "x", "n": 1})),
        ];
        for (step, old) in cases {
            assert_eq!(step.to_value(), old, "{step:?}");
            // the text too: the same keys in the same order as serde_json's map
            assert_eq!(serde_json::to_string(&step).unwrap(), serde_json::to_string(&old).unwrap());
            assert_eq!(step.name(), old["step"].as_str().unwrap());
        }
    }

    #[test]
    fn a_trace_is_shared_and_serializes_as_an_array() {
        let t = Trace::from(vec![Step::Round { before: d("1.005"), after: d("1.01") }]);
        let u = t.clone();
        assert_eq!(u.len(), 1);
        assert_eq!(serde_json::to_value(&u).unwrap(), json!([{"step": "round", "before": "1.005", "after": "1.01"}]));
        assert_eq!(Trace::from_values(t.to_values()).to_values(), t.to_values());
    }
}
