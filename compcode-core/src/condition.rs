//! Conditions (SPEC §7, §8.5): compiled once per plan version, evaluated per deal.

use crate::decimal::parse_decimal;
use crate::model::Deal;
use crate::period::{parse_date, Period};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde_json::Value;

/// A condition operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum Op {
    Equals,
    NotEquals,
    Contains,
    NotContains,
    StartsWith,
    EndsWith,
    In,
    NotIn,
    Gt,
    Gte,
    Lt,
    Lte,
    Between,
    Before,
    After,
    InPeriod,
    InLastNDays,
    IsSet,
    IsNotSet,
    IsTrue,
    IsFalse,
}

/// Every operator spelling accepted (the v0 `eq` / `ne` are aliases).
pub const OPERATORS: [&str; 23] = [
    "equals",
    "not_equals",
    "contains",
    "not_contains",
    "starts_with",
    "ends_with",
    "in",
    "not_in",
    "gt",
    "gte",
    "lt",
    "lte",
    "between",
    "before",
    "after",
    "in_period",
    "in_last_n_days",
    "is_set",
    "is_not_set",
    "is_true",
    "is_false",
    "eq",
    "ne",
];

impl Op {
    /// Parses an operator spelling.
    ///
    /// ```
    /// use compcode_core::condition::Op;
    /// assert_eq!(Op::parse("eq"), Some(Op::Equals));
    /// assert_eq!(Op::parse("like"), None);
    /// ```
    pub fn parse(s: &str) -> Option<Op> {
        Some(match s {
            "equals" | "eq" => Op::Equals,
            "not_equals" | "ne" => Op::NotEquals,
            "contains" => Op::Contains,
            "not_contains" => Op::NotContains,
            "starts_with" => Op::StartsWith,
            "ends_with" => Op::EndsWith,
            "in" => Op::In,
            "not_in" => Op::NotIn,
            "gt" => Op::Gt,
            "gte" => Op::Gte,
            "lt" => Op::Lt,
            "lte" => Op::Lte,
            "between" => Op::Between,
            "before" => Op::Before,
            "after" => Op::After,
            "in_period" => Op::InPeriod,
            "in_last_n_days" => Op::InLastNDays,
            "is_set" => Op::IsSet,
            "is_not_set" => Op::IsNotSet,
            "is_true" => Op::IsTrue,
            "is_false" => Op::IsFalse,
            _ => return None,
        })
    }

    fn is_date_op(self) -> bool {
        matches!(self, Op::Before | Op::After | Op::InPeriod | Op::InLastNDays)
    }

    /// True for the operators that hold on a missing field.
    fn true_when_missing(self) -> bool {
        matches!(self, Op::IsNotSet | Op::NotEquals | Op::NotIn | Op::NotContains)
    }
}

/// A field type (SPEC §7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum FieldType {
    Text,
    Number,
    Currency,
    Date,
    Select,
    Status,
    Checkbox,
    Timestamp,
}

impl FieldType {
    /// Parses a field type spelling.
    pub fn parse(s: &str) -> Option<FieldType> {
        Some(match s {
            "text" => FieldType::Text,
            "number" => FieldType::Number,
            "currency" => FieldType::Currency,
            "date" => FieldType::Date,
            "select" => FieldType::Select,
            "status" => FieldType::Status,
            "checkbox" => FieldType::Checkbox,
            "timestamp" => FieldType::Timestamp,
            _ => return None,
        })
    }
}

/// The comparison domain a leaf works in, decided once at compile time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Domain {
    /// Decimal comparison.
    Number,
    /// Date comparison.
    Date,
    /// Exact text comparison.
    Text,
    /// Booleans.
    Bool,
}

/// A pre-parsed operand.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    /// No operand (`is_set`, …).
    None,
    /// A decimal.
    Number(Decimal),
    /// A date.
    Date(NaiveDate),
    /// Text.
    Text(String),
    /// A boolean.
    Bool(bool),
    /// A list (`in`, `not_in`) or a pair (`between`).
    List(Vec<Operand>),
    /// `in_period`: the period's days `[start, end)`.
    Range(NaiveDate, NaiveDate),
    /// `in_last_n_days`: n.
    Days(i64),
}

/// A compiled condition: a leaf or an and/or group.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    /// A leaf test on one field.
    Leaf(Leaf),
    /// `and` (true) or `or` (false) over nested conditions.
    Group {
        /// `and` when true, `or` when false.
        all: bool,
        /// The members.
        rules: Vec<Condition>,
    },
}

/// A compiled leaf.
#[derive(Debug, Clone, PartialEq)]
pub struct Leaf {
    /// Field name (deal attribute or field slug).
    pub field: String,
    /// Operator.
    pub op: Op,
    /// Comparison domain.
    pub domain: Domain,
    /// Operand.
    pub operand: Operand,
    /// The operand as written (for traces).
    pub raw: Value,
}

/// Compiles one leaf, checking the operand's shape. `Err` carries an issue code and message.
pub fn compile_leaf(
    field: &str,
    field_type: Option<FieldType>,
    op: Op,
    value: &Value,
    fy_start: u32,
) -> Result<Leaf, (&'static str, String)> {
    let domain = match field_type {
        Some(FieldType::Number | FieldType::Currency) => Domain::Number,
        Some(FieldType::Date | FieldType::Timestamp) => Domain::Date,
        Some(FieldType::Checkbox) => Domain::Bool,
        Some(_) => Domain::Text,
        None if field == "amount" => Domain::Number,
        None if field == "closeDate" => Domain::Date,
        None if op.is_date_op() => Domain::Date,
        None if matches!(op, Op::IsTrue | Op::IsFalse) => Domain::Bool,
        None if value.is_number() || value.as_array().is_some_and(|a| a.iter().any(Value::is_number)) => Domain::Number,
        None => Domain::Text,
    };
    let bad = |why: &str| Err(("invalid_condition_value", format!("operator `{}` {why}", op_name(op))));
    let operand = match op {
        Op::IsSet | Op::IsNotSet | Op::IsTrue | Op::IsFalse => Operand::None,
        Op::In | Op::NotIn => {
            let Some(items) = value.as_array() else { return bad("needs a list value") };
            let mut out = Vec::with_capacity(items.len());
            for it in items {
                match scalar(it, domain) {
                    Some(o) => out.push(o),
                    None => return bad(&format!("has a list item that is not a {}", domain_name(domain))),
                }
            }
            Operand::List(out)
        }
        Op::Between => {
            let items = match value.as_array() {
                Some(a) if a.len() == 2 => a,
                _ => return bad("needs a value [low, high]"),
            };
            let lo = scalar(&items[0], domain);
            let hi = scalar(&items[1], domain);
            match (lo, hi) {
                (Some(l), Some(h)) => Operand::List(vec![l, h]),
                _ => return bad(&format!("needs two {} bounds", domain_name(domain))),
            }
        }
        Op::Before | Op::After => match value.as_str().and_then(|s| parse_date(s, true)) {
            Some(d) => Operand::Date(d),
            None => return bad("needs a YYYY-MM-DD date"),
        },
        Op::InPeriod => match value.as_str().and_then(Period::parse) {
            Some(p) => Operand::Range(p.start(fy_start), p.end(fy_start)),
            None => return bad("needs a period string (YYYY-MM, YYYY-QN or YYYY)"),
        },
        Op::InLastNDays => {
            let n = match value {
                Value::Number(n) => n.as_i64(),
                Value::String(s) => s.parse::<i64>().ok(),
                _ => None,
            };
            match n {
                Some(n) if (0..=100_000).contains(&n) => Operand::Days(n),
                _ => return bad("needs a whole number of days ≥ 0"),
            }
        }
        Op::Gt | Op::Gte | Op::Lt | Op::Lte if domain == Domain::Bool => {
            return bad("cannot order booleans");
        }
        _ => match scalar(value, domain) {
            Some(o) => o,
            None => return bad(&format!("needs a {} value", domain_name(domain))),
        },
    };
    Ok(Leaf { field: field.to_string(), op, domain, operand, raw: value.clone() })
}

fn op_name(op: Op) -> &'static str {
    OPERATORS.iter().copied().find(|s| Op::parse(s) == Some(op)).unwrap_or("?")
}

fn domain_name(d: Domain) -> &'static str {
    match d {
        Domain::Number => "number",
        Domain::Date => "date",
        Domain::Text => "text",
        Domain::Bool => "boolean",
    }
}

fn scalar(v: &Value, domain: Domain) -> Option<Operand> {
    match domain {
        Domain::Number => number_of(v).map(Operand::Number),
        Domain::Date => v.as_str().and_then(|s| parse_date(s, true)).map(Operand::Date),
        Domain::Text => text_of(v).map(Operand::Text),
        Domain::Bool => bool_of(v).map(Operand::Bool),
    }
}

/// Reads a JSON value as a decimal: a number (from its text) or a decimal string.
pub fn number_of(v: &Value) -> Option<Decimal> {
    match v {
        Value::Number(n) => parse_decimal(&n.to_string()),
        Value::String(s) => parse_decimal(s.trim()),
        _ => None,
    }
}

fn text_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn bool_of(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s == "true" => Some(true),
        Value::String(s) if s == "false" => Some(false),
        _ => None,
    }
}

/// A deal value as conditions and formulas see it.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldValue<'a> {
    /// Text.
    Text(&'a str),
    /// A JSON value from `fields` (or a computed attribute).
    Json(&'a Value),
    /// A decimal attribute (`amount`).
    Number(Decimal),
    /// A date attribute (`closeDate`).
    Date(NaiveDate),
    /// A boolean attribute (`deleted`).
    Bool(bool),
}

/// Looks a field up on a deal: attributes first (SPEC §18.1), then `fields`. Missing, null
/// and empty strings are `None`.
pub fn deal_field<'a>(deal: &'a Deal, field: &str) -> Option<FieldValue<'a>> {
    let v = match field {
        "stage" => deal.stage.as_deref().map(FieldValue::Text),
        "status" => deal.status.as_deref().map(FieldValue::Text),
        "name" => deal.name.as_deref().map(FieldValue::Text),
        "currency" => deal.currency.as_deref().map(FieldValue::Text),
        "amount" => deal.amount.map(FieldValue::Number),
        "closeDate" => deal.close_date.map(FieldValue::Date),
        "deleted" => Some(FieldValue::Bool(deal.deleted)),
        _ => match deal.fields.get(field) {
            None | Some(Value::Null) => None,
            Some(v) => Some(FieldValue::Json(v)),
        },
    };
    match v {
        Some(FieldValue::Text("")) => None,
        Some(FieldValue::Json(Value::String(s))) if s.is_empty() => None,
        other => other,
    }
}

/// The outcome of a leaf on one deal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeafOutcome {
    /// The leaf holds.
    True,
    /// The leaf does not hold.
    False,
    /// The field's value could not be read as the leaf's type (counts as false).
    Unreadable,
}

impl Leaf {
    /// Evaluates the leaf on a deal as of `as_of`.
    pub fn eval(&self, deal: &Deal, as_of: NaiveDate) -> LeafOutcome {
        let Some(fv) = deal_field(deal, &self.field) else {
            return bool_outcome(self.op.true_when_missing());
        };
        match self.op {
            Op::IsSet => return LeafOutcome::True,
            Op::IsNotSet => return LeafOutcome::False,
            _ => {}
        }
        // text equality without copying the deal's text (the hot path of conditions, issue #9);
        // the same answers as `read_as` + `eq` below
        if self.domain == Domain::Text {
            let text = match &fv {
                FieldValue::Text(s) => Some(*s),
                FieldValue::Json(Value::String(s)) => Some(s.as_str()),
                _ => None,
            };
            if let Some(t) = text {
                let is = |o: &Operand| matches!(o, Operand::Text(x) if x == t);
                match (&self.op, &self.operand) {
                    (Op::Equals, o) => return bool_outcome(is(o)),
                    (Op::NotEquals, o) => return bool_outcome(!is(o)),
                    (Op::In, Operand::List(l)) => return bool_outcome(l.iter().any(is)),
                    (Op::NotIn, Operand::List(l)) => return bool_outcome(!l.iter().any(is)),
                    _ => {}
                }
            }
        }
        let Some(actual) = read_as(&fv, self.domain) else { return LeafOutcome::Unreadable };
        let r = match (&self.op, &self.operand) {
            (Op::IsTrue, _) => actual == Operand::Bool(true),
            (Op::IsFalse, _) => actual == Operand::Bool(false),
            (Op::Equals, o) => eq(&actual, o),
            (Op::NotEquals, o) => !eq(&actual, o),
            (Op::In, Operand::List(l)) => l.iter().any(|o| eq(&actual, o)),
            (Op::NotIn, Operand::List(l)) => !l.iter().any(|o| eq(&actual, o)),
            (Op::Contains | Op::NotContains | Op::StartsWith | Op::EndsWith, o) => {
                let (a, b) = (text_form(&actual), text_form(o));
                match self.op {
                    Op::Contains => a.contains(b.as_str()),
                    Op::NotContains => !a.contains(b.as_str()),
                    Op::StartsWith => a.starts_with(b.as_str()),
                    _ => a.ends_with(b.as_str()),
                }
            }
            (Op::Gt, o) => cmp(&actual, o).is_some_and(|c| c.is_gt()),
            (Op::Gte, o) => cmp(&actual, o).is_some_and(|c| c.is_ge()),
            (Op::Lt, o) => cmp(&actual, o).is_some_and(|c| c.is_lt()),
            (Op::Lte, o) => cmp(&actual, o).is_some_and(|c| c.is_le()),
            (Op::Between, Operand::List(l)) if l.len() == 2 => {
                cmp(&actual, &l[0]).is_some_and(|c| c.is_ge()) && cmp(&actual, &l[1]).is_some_and(|c| c.is_le())
            }
            (Op::Before, o) => cmp(&actual, o).is_some_and(|c| c.is_lt()),
            (Op::After, o) => cmp(&actual, o).is_some_and(|c| c.is_gt()),
            (Op::InPeriod, Operand::Range(s, e)) => matches!(actual, Operand::Date(d) if *s <= d && d < *e),
            (Op::InLastNDays, Operand::Days(n)) => match actual {
                Operand::Date(d) => {
                    let from = as_of.checked_sub_days(chrono::Days::new(*n as u64)).unwrap_or(NaiveDate::MIN);
                    from <= d && d <= as_of
                }
                _ => false,
            },
            _ => false,
        };
        bool_outcome(r)
    }
}

fn bool_outcome(b: bool) -> LeafOutcome {
    if b {
        LeafOutcome::True
    } else {
        LeafOutcome::False
    }
}

fn read_as(fv: &FieldValue<'_>, domain: Domain) -> Option<Operand> {
    match (fv, domain) {
        (FieldValue::Number(d), Domain::Number) => Some(Operand::Number(*d)),
        (FieldValue::Number(d), Domain::Text) => Some(Operand::Text(d.to_string())),
        (FieldValue::Date(d), Domain::Date) => Some(Operand::Date(*d)),
        (FieldValue::Date(d), Domain::Text) => Some(Operand::Text(d.to_string())),
        (FieldValue::Bool(b), Domain::Bool) => Some(Operand::Bool(*b)),
        (FieldValue::Bool(b), Domain::Text) => Some(Operand::Text(b.to_string())),
        (FieldValue::Text(s), d) => scalar(&Value::String((*s).to_string()), d),
        (FieldValue::Json(v), d) => scalar(v, d),
        _ => None,
    }
}

fn eq(a: &Operand, b: &Operand) -> bool {
    match (a, b) {
        (Operand::Number(x), Operand::Number(y)) => x == y,
        _ => a == b,
    }
}

fn cmp(a: &Operand, b: &Operand) -> Option<std::cmp::Ordering> {
    match (a, b) {
        (Operand::Number(x), Operand::Number(y)) => Some(x.cmp(y)),
        (Operand::Date(x), Operand::Date(y)) => Some(x.cmp(y)),
        (Operand::Text(x), Operand::Text(y)) => Some(x.as_bytes().cmp(y.as_bytes())),
        _ => None,
    }
}

fn text_form(o: &Operand) -> String {
    match o {
        Operand::Text(s) => s.clone(),
        Operand::Number(d) => d.to_string(),
        Operand::Date(d) => d.to_string(),
        Operand::Bool(b) => b.to_string(),
        _ => String::new(),
    }
}

/// The result of evaluating a condition list: whether it holds, and the leaves that failed or
/// were unreadable (for traces and diagnostics).
#[derive(Debug, Default, Clone, PartialEq)]
pub struct CondResult {
    /// All conditions hold.
    pub pass: bool,
    /// `field operator` texts of failed leaves.
    pub failed: Vec<String>,
    /// Fields whose values could not be read as the leaf's type.
    pub unreadable: Vec<String>,
}

/// Evaluates an AND-ed list of conditions on a deal.
pub fn eval_all(conds: &[&[Condition]], deal: &Deal, as_of: NaiveDate) -> CondResult {
    let mut res = CondResult { pass: true, ..Default::default() };
    for list in conds {
        for c in list.iter() {
            if !eval_one(c, deal, as_of, &mut res) {
                res.pass = false;
            }
        }
    }
    res
}

/// [`eval_all`] without the texts: (all conditions hold, some failed leaf's value was
/// unreadable) — exactly `(r.pass, !r.unreadable.is_empty())` of `eval_all`'s result, for the hot
/// path where a failure's description is written later, only if it is read.
///
/// ```
/// use compcode_core::condition::{eval_all, passes};
/// # use compcode_core::validate::read_document;
/// # let doc = read_document(&serde_json::json!({
/// #   "asOf": "2026-04-01",
/// #   "reps": [{"id": "a", "name": "A"}],
/// #   "plans": [{"planId": "p", "name": "P", "effectiveStart": "2026-01-01", "config": {"rules": [
/// #     {"name": "R", "measure": "amount", "tierBy": "value",
/// #      "conditions": [{"field": "region", "operator": "equals", "value": "EMEA"}],
/// #      "tiers": [{"tierIndex": 0, "name": "T", "minThreshold": 0, "rate": "0.1"}]}]}}],
/// #   "assignments": [{"repId": "a", "planId": "p", "effectiveStart": "2026-01-01"}],
/// #   "deals": [{"id": "D1", "stage": "Won", "amount": 1000, "closeDate": "2026-02-01", "ownerRepId": "a",
/// #              "fields": {"region": "APAC"}}]
/// # })).unwrap();
/// let rule = &doc.plans[0].versions[0].config.rules[0];
/// let deal = &doc.deals[0];
/// let r = eval_all(&[&rule.conditions], deal, doc.as_of);
/// assert_eq!(r.failed.len(), 1);
/// assert_eq!(passes(&[&rule.conditions], deal, doc.as_of), (false, false));
/// ```
pub fn passes(conds: &[&[Condition]], deal: &Deal, as_of: NaiveDate) -> (bool, bool) {
    let (mut pass, mut unreadable) = (true, false);
    for list in conds {
        for c in list.iter() {
            let (ok, u) = check_one(c, deal, as_of);
            pass &= ok;
            unreadable |= u;
        }
    }
    (pass, unreadable)
}

/// (holds, unreadable values among the failures `eval_one` would report).
fn check_one(c: &Condition, deal: &Deal, as_of: NaiveDate) -> (bool, bool) {
    match c {
        Condition::Leaf(l) => match l.eval(deal, as_of) {
            LeafOutcome::True => (true, false),
            LeafOutcome::False => (false, false),
            LeafOutcome::Unreadable => (false, true),
        },
        Condition::Group { all: true, rules } => {
            let (mut ok, mut unreadable) = (true, false);
            for r in rules {
                let (o, u) = check_one(r, deal, as_of);
                ok &= o;
                unreadable |= u;
            }
            (ok, unreadable)
        }
        Condition::Group { all: false, rules } => {
            if rules.is_empty() {
                return (true, false);
            }
            let mut unreadable = false;
            for r in rules {
                let (o, u) = check_one(r, deal, as_of);
                if o {
                    return (true, false); // a passing any-group reports nothing
                }
                unreadable |= u;
            }
            (false, unreadable)
        }
    }
}

fn eval_one(c: &Condition, deal: &Deal, as_of: NaiveDate, res: &mut CondResult) -> bool {
    match c {
        Condition::Leaf(l) => match l.eval(deal, as_of) {
            LeafOutcome::True => true,
            LeafOutcome::False => {
                res.failed.push(format!("{} {} {}", l.field, op_name(l.op), l.raw));
                false
            }
            LeafOutcome::Unreadable => {
                res.failed.push(format!("{} {} {}", l.field, op_name(l.op), l.raw));
                res.unreadable.push(l.field.clone());
                false
            }
        },
        Condition::Group { all: true, rules } => {
            let mut ok = true;
            for r in rules {
                ok &= eval_one(r, deal, as_of, res);
            }
            ok
        }
        Condition::Group { all: false, rules } => {
            let mut scratch = CondResult::default();
            let ok = rules.is_empty() || rules.iter().any(|r| eval_one(r, deal, as_of, &mut scratch));
            if !ok {
                res.failed.append(&mut scratch.failed);
                res.unreadable.append(&mut scratch.unreadable);
            }
            ok
        }
    }
}
