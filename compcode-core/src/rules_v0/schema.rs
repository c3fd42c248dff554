//! The v0 rule schema (SPEC §10, §18.27, §18.28): host JSON → typed [`RuleV0`], reporting
//! **every** violation with its JSON path, the way [`crate::validate`] does for plans.
//!
//! Published as JSON Schema in `spec-fixtures/no_code_rules.schema.json`. The JSON Schema checks
//! the structure; this reader checks the same structure plus what JSON Schema cannot say: a
//! formula's syntax and limits (`formula_syntax`, `formula_too_complex`, `arithmetic_overflow`),
//! overlapping or inverted `apply_tier` tiers (`invalid_tier`), decimals too large for the
//! 28-digit decimal type (`out_of_range`) and, in a list, a `rule_id` used twice (`duplicate`).
//!
//! ```
//! use compcode_core::rules_v0::schema::read_rule;
//! use serde_json::json;
//! let err = read_rule(&json!({
//!     "schema_version": "v0", "rule_id": "not-a-uuid", "rule_name": "R",
//!     "conditions": [{"field": "x", "operator": "equals", "value": 1}],
//!     "actions": [{"type": "set_rate", "target_field": "rate", "rate": 0.15}],
//!     "priorty": 5
//! })).unwrap_err();
//! let paths: Vec<&str> = err.details()["errors"].as_array().unwrap().iter()
//!     .map(|i| i["path"].as_str().unwrap()).collect();
//! assert_eq!(paths, ["priorty", "rule_id", "conditions[0].operator", "actions[0].rate"]);
//! ```

use super::formula::{exact_decimal, Formula};
use crate::decimal::parse_decimal;
use crate::error::{Error, Issue, Result};
use crate::validate::{suggest, Reader};
use rust_decimal::Decimal;
use serde_json::{Map, Value};
use std::collections::HashMap;

type Obj = Map<String, Value>;

/// The eleven operators of the v0 schema (SPEC §18.27); no others are accepted.
pub const OPERATORS: [&str; 11] =
    ["eq", "ne", "gt", "gte", "lt", "lte", "in", "not_in", "contains", "starts_with", "ends_with"];

/// The five action types.
pub const ACTION_TYPES: [&str; 5] = ["set_rate", "set_fixed_amount", "set_split", "apply_formula", "apply_tier"];

/// Keys of a rule.
pub const RULE_KEYS: [&str; 8] =
    ["schema_version", "rule_id", "rule_name", "rule_description", "conditions", "actions", "priority", "is_active"];
const CONDITION_KEYS: [&str; 3] = ["field", "operator", "value"];
const TIER_KEYS: [&str; 3] = ["min", "max", "rate"];

/// Issue codes this reader reports that the JSON Schema cannot express (see the module docs).
pub const BEYOND_JSON_SCHEMA: [&str; 6] =
    ["formula_syntax", "formula_too_complex", "arithmetic_overflow", "invalid_tier", "out_of_range", "duplicate"];

/// A v0 condition operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum Op {
    Eq,
    Ne,
    Gt,
    Gte,
    Lt,
    Lte,
    In,
    NotIn,
    Contains,
    StartsWith,
    EndsWith,
}

impl Op {
    /// Parses one of the eleven spellings.
    ///
    /// ```
    /// use compcode_core::rules_v0::schema::Op;
    /// assert_eq!(Op::parse("not_in"), Some(Op::NotIn));
    /// assert_eq!(Op::parse("equals"), None); // SPEC §7's spelling is not v0
    /// ```
    pub fn parse(s: &str) -> Option<Op> {
        Some(match s {
            "eq" => Op::Eq,
            "ne" => Op::Ne,
            "gt" => Op::Gt,
            "gte" => Op::Gte,
            "lt" => Op::Lt,
            "lte" => Op::Lte,
            "in" => Op::In,
            "not_in" => Op::NotIn,
            "contains" => Op::Contains,
            "starts_with" => Op::StartsWith,
            "ends_with" => Op::EndsWith,
            _ => return None,
        })
    }

    /// The spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Eq => "eq",
            Op::Ne => "ne",
            Op::Gt => "gt",
            Op::Gte => "gte",
            Op::Lt => "lt",
            Op::Lte => "lte",
            Op::In => "in",
            Op::NotIn => "not_in",
            Op::Contains => "contains",
            Op::StartsWith => "starts_with",
            Op::EndsWith => "ends_with",
        }
    }
}

/// One condition: `{field, operator, value}`. The value is kept as written; its meaning
/// depends on its JSON type (SPEC §18.27).
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    /// Context field.
    pub field: String,
    /// Operator.
    pub op: Op,
    /// Operand as written (a scalar, or a list for `in` / `not_in`).
    pub value: Value,
}

/// One `apply_tier` tier: `min` and `max` inclusive, `max` absent or null = unbounded.
#[derive(Debug, Clone, PartialEq)]
pub struct Tier {
    /// Lower bound (inclusive).
    pub min: Decimal,
    /// Upper bound (inclusive); `None` = unbounded.
    pub max: Option<Decimal>,
    /// The rate, as the decimal string written in the rule.
    pub rate: String,
}

impl Tier {
    /// True when `x` is inside `[min, max]`.
    pub fn covers(&self, x: Decimal) -> bool {
        self.min <= x && self.max.map_or(true, |m| x <= m)
    }
}

/// What an action does.
#[derive(Debug, Clone, PartialEq)]
pub enum ActionKind {
    /// `set_rate`: writes the rate string.
    SetRate(String),
    /// `set_fixed_amount`: writes the amount string.
    SetFixedAmount(String),
    /// `set_split`: writes the split percentage string.
    SetSplit(String),
    /// `apply_formula`: writes the formula's result.
    ApplyFormula(Formula),
    /// `apply_tier`: writes the rate of the tier covering the input.
    ApplyTier {
        /// The tiers, as listed.
        tiers: Vec<Tier>,
        /// The input field (`source_field`, else the rule's first condition's field).
        source_field: Option<String>,
    },
}

impl ActionKind {
    /// The `type` spelling.
    pub fn type_name(&self) -> &'static str {
        match self {
            ActionKind::SetRate(_) => "set_rate",
            ActionKind::SetFixedAmount(_) => "set_fixed_amount",
            ActionKind::SetSplit(_) => "set_split",
            ActionKind::ApplyFormula(_) => "apply_formula",
            ActionKind::ApplyTier { .. } => "apply_tier",
        }
    }
}

/// One action: a type and the context field it writes.
#[derive(Debug, Clone, PartialEq)]
pub struct Action {
    /// The field written.
    pub target_field: String,
    /// What is written.
    pub kind: ActionKind,
}

/// A validated v0 rule.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleV0 {
    /// UUID.
    pub rule_id: String,
    /// Name.
    pub rule_name: String,
    /// Description.
    pub rule_description: Option<String>,
    /// 0..=1000, higher first (default 0).
    pub priority: u16,
    /// Default true.
    pub is_active: bool,
    /// At least one; all must hold.
    pub conditions: Vec<Condition>,
    /// At least one; run in order.
    pub actions: Vec<Action>,
}

/// Reads one rule; paths are relative to the rule (`rule_id`, `actions[0].rate`).
pub fn read_rule(v: &Value) -> Result<RuleV0> {
    let mut r = Reader::default();
    let rule = rule(&mut r, v, "");
    finish(r, rule)
}

/// Reads a list of rules at `path` (`rules[0].rule_id`, …); a `rule_id` used twice is
/// `duplicate`.
///
/// ```
/// use compcode_core::rules_v0::schema::read_rules;
/// use serde_json::json;
/// let rule = json!({"schema_version": "v0", "rule_id": "550e8400-e29b-41d4-a716-446655440000",
///     "rule_name": "R", "conditions": [{"field": "x", "operator": "gt", "value": 0}],
///     "actions": [{"type": "set_rate", "target_field": "rate", "rate": "0.1"}]});
/// let err = read_rules(&json!([rule, rule]), "rules").unwrap_err();
/// assert_eq!(err.details()["errors"][0]["path"], "rules[1].rule_id");
/// assert_eq!(err.details()["errors"][0]["code"], "duplicate");
/// ```
pub fn read_rules(v: &Value, path: &str) -> Result<Vec<RuleV0>> {
    let mut r = Reader::default();
    let rules = rules(&mut r, v, path);
    finish(r, rules)
}

fn finish<T>(r: Reader, value: Option<T>) -> Result<T> {
    match value {
        Some(v) if r.issues.is_empty() => Ok(v),
        _ => {
            let mut issues = r.issues;
            if issues.is_empty() {
                issues.push(Issue {
                    path: String::new(),
                    code: "invalid_value",
                    message: "the rules could not be read".into(),
                    suggestion: None,
                });
            }
            Err(Error::validation(issues))
        }
    }
}

pub(crate) fn rules(r: &mut Reader, v: &Value, path: &str) -> Option<Vec<RuleV0>> {
    let Some(items) = v.as_array() else {
        r.issue(path, "invalid_type", format!("expected a list of rules, found {}", kind(v)));
        return None;
    };
    let mut out = Vec::with_capacity(items.len());
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (i, it) in items.iter().enumerate() {
        let p = format!("{path}[{i}]");
        if let Some(id) = it.get("rule_id").and_then(Value::as_str) {
            if let Some(first) = seen.get(id) {
                r.issue(join(&p, "rule_id"), "duplicate", format!("rule_id `{id}` is already used by {path}[{first}]"));
            } else {
                seen.insert(id, i);
            }
        }
        if let Some(rule) = rule(r, it, &p) {
            out.push(rule);
        }
    }
    Some(out)
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// True for `8-4-4-4-12` hexadecimal digits (either case).
///
/// ```
/// use compcode_core::rules_v0::schema::is_uuid;
/// assert!(is_uuid("550e8400-E29B-41d4-a716-446655440000"));
/// assert!(!is_uuid("550e8400e29b41d4a716446655440000"));
/// ```
pub fn is_uuid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

fn present<'v>(m: &'v Obj, key: &str) -> Option<&'v Value> {
    m.get(key).filter(|v| !v.is_null())
}

fn required<'v>(r: &mut Reader, m: &'v Obj, path: &str, key: &str) -> Option<&'v Value> {
    let v = present(m, key);
    if v.is_none() {
        r.issue(join(path, key), "required", format!("`{key}` is required"));
    }
    v
}

/// A required decimal string (`rate`, `fixed_amount`, `split_percentage`, tier `rate`): a JSON
/// number is refused by name (decimal safety).
fn decimal_string(r: &mut Reader, m: &Obj, path: &str, key: &str) -> Option<String> {
    let v = required(r, m, path, key)?;
    let p = join(path, key);
    match v {
        Value::String(s) => match exact_decimal(s) {
            Some(_) => Some(s.clone()),
            None if is_decimal_shape(s) => {
                r.issue(
                    p,
                    "out_of_range",
                    format!("`{key}` \"{s}\" does not fit an exact decimal (28 significant digits)"),
                );
                None
            }
            None => {
                r.issue(
                    p,
                    "invalid_decimal",
                    format!("`{key}` must be a decimal string like \"0.15\" (-?[0-9]+(.[0-9]+)?), found \"{s}\""),
                );
                None
            }
        },
        Value::Number(n) => {
            r.issue(
                p,
                "invalid_decimal",
                format!("`{key}` must be a decimal string, not the JSON number {n}: write \"{n}\" (decimal safety, ADR-002)"),
            );
            None
        }
        other => {
            r.issue(p, "invalid_type", format!("`{key}` must be a decimal string, found {}", kind(other)));
            None
        }
    }
}

fn is_decimal_shape(s: &str) -> bool {
    let body = s.strip_prefix('-').unwrap_or(s);
    let (int, frac) = match body.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (body, None),
    };
    let digits = |x: &str| !x.is_empty() && x.bytes().all(|b| b.is_ascii_digit());
    digits(int) && frac.map_or(true, digits)
}

/// A JSON number (read from its text) or a decimal string, as a decimal.
pub(crate) fn number_or_decimal_string(v: &Value) -> NumRead {
    match v {
        Value::Number(n) => match parse_decimal(&n.to_string()) {
            Some(d) => NumRead::Ok(d),
            None => NumRead::OutOfRange,
        },
        Value::String(s) => match exact_decimal(s) {
            Some(d) => NumRead::Ok(d),
            None if is_decimal_shape(s) => NumRead::OutOfRange,
            None => NumRead::NotANumber,
        },
        _ => NumRead::NotANumber,
    }
}

pub(crate) enum NumRead {
    Ok(Decimal),
    OutOfRange,
    NotANumber,
}

/// A tier bound (`min`, `max`): a JSON number or a decimal string.
fn bound(r: &mut Reader, v: &Value, path: &str, key: &str) -> Option<Decimal> {
    match number_or_decimal_string(v) {
        NumRead::Ok(d) => Some(d),
        NumRead::OutOfRange => {
            r.issue(join(path, key), "out_of_range", format!("`{key}` does not fit an exact decimal"));
            None
        }
        NumRead::NotANumber => {
            r.issue(
                join(path, key),
                "invalid_decimal",
                format!("`{key}` must be a number or a decimal string, found {}", short(v)),
            );
            None
        }
    }
}

fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 60 {
        format!("{}…", s.chars().take(60).collect::<String>())
    } else {
        s
    }
}

pub(crate) fn rule(r: &mut Reader, v: &Value, path: &str) -> Option<RuleV0> {
    let m = r.obj(v, path, &RULE_KEYS)?;
    let version = required(r, m, path, "schema_version");
    match version {
        Some(Value::String(s)) if s == "v0" => {}
        Some(Value::String(s)) => r.issue(
            join(path, "schema_version"),
            "invalid_value",
            format!("`schema_version` must be \"v0\", found \"{s}\""),
        ),
        Some(other) => r.issue(
            join(path, "schema_version"),
            "invalid_type",
            format!("`schema_version` must be the string \"v0\", found {}", kind(other)),
        ),
        None => {}
    }
    let rule_id = r.string(m, path, "rule_id", true);
    if let Some(id) = &rule_id {
        if !is_uuid(id) {
            r.issue(
                join(path, "rule_id"),
                "invalid_value",
                format!("`rule_id` must be a UUID like 550e8400-e29b-41d4-a716-446655440000, found \"{id}\""),
            );
        }
    }
    let rule_name = r.string(m, path, "rule_name", true);
    let rule_description = r.string(m, path, "rule_description", false);
    let priority = match present(m, "priority") {
        None => Some(0),
        Some(Value::Number(n)) => match parse_decimal(&n.to_string()) {
            Some(d) if d.fract().is_zero() => {
                if d >= Decimal::ZERO && d <= Decimal::from(1000) {
                    u16::try_from(d.mantissa() / 10i128.pow(d.scale())).ok()
                } else {
                    r.issue(join(path, "priority"), "invalid_value", format!("`priority` must be 0–1000, found {n}"));
                    None
                }
            }
            _ => {
                r.issue(
                    join(path, "priority"),
                    "invalid_type",
                    format!("`priority` must be a whole number, found {n}"),
                );
                None
            }
        },
        Some(other) => {
            r.issue(
                join(path, "priority"),
                "invalid_type",
                format!("`priority` must be a whole number 0–1000, found {}", kind(other)),
            );
            None
        }
    };
    let is_active = match present(m, "is_active") {
        None => Some(true),
        Some(Value::Bool(b)) => Some(*b),
        Some(other) => {
            r.issue(
                join(path, "is_active"),
                "invalid_type",
                format!("`is_active` must be true or false, found {}", kind(other)),
            );
            None
        }
    };
    let conditions = non_empty_list(r, m, path, "conditions", "condition", condition);
    let actions = non_empty_list(r, m, path, "actions", "action", action);
    Some(RuleV0 {
        rule_id: rule_id?,
        rule_name: rule_name?,
        rule_description,
        priority: priority?,
        is_active: is_active?,
        conditions: conditions?,
        actions: actions?,
    })
}

fn non_empty_list<T>(
    r: &mut Reader,
    m: &Obj,
    path: &str,
    key: &str,
    what: &str,
    f: fn(&mut Reader, &Value, &str) -> Option<T>,
) -> Option<Vec<T>> {
    let items = r.array(m, path, key, true)?;
    let base = join(path, key);
    if items.is_empty() {
        r.issue(&base, "invalid_value", format!("at least one {what} is required"));
        return None;
    }
    let mut out = Vec::with_capacity(items.len());
    let mut ok = true;
    for (i, it) in items.iter().enumerate() {
        match f(r, it, &format!("{base}[{i}]")) {
            Some(x) => out.push(x),
            None => ok = false,
        }
    }
    ok.then_some(out)
}

fn condition(r: &mut Reader, v: &Value, path: &str) -> Option<Condition> {
    let m = r.obj(v, path, &CONDITION_KEYS)?;
    let field = r.string(m, path, "field", true);
    let op_text = r.string(m, path, "operator", true);
    let op = op_text.as_deref().and_then(|o| {
        let op = Op::parse(o);
        if op.is_none() {
            let alias = match o {
                "equals" => Some("eq"),
                "not_equals" => Some("ne"),
                _ => None,
            };
            let hint = alias
                .map(str::to_string)
                .or_else(|| suggest(o, &OPERATORS))
                .map(|x| format!("; did you mean `{x}`?"))
                .unwrap_or_default();
            r.issue(
                join(path, "operator"),
                "invalid_operator",
                format!("unknown operator `{o}`; v0 accepts {}{hint}", OPERATORS.join(", ")),
            );
        }
        op
    });
    let value = required(r, m, path, "value");
    let (op, value) = (op?, value?);
    let scalar = |v: &Value| matches!(v, Value::String(_) | Value::Number(_) | Value::Bool(_));
    let problem = match op {
        Op::Eq | Op::Ne => (!scalar(value)).then(|| "needs a string, number or boolean value".to_string()),
        Op::Gt | Op::Gte | Op::Lt | Op::Lte => match number_or_decimal_string(value) {
            NumRead::Ok(_) => None,
            NumRead::OutOfRange => {
                r.issue(join(path, "value"), "out_of_range", "the value does not fit an exact decimal");
                return None;
            }
            NumRead::NotANumber => Some(format!("needs a number or a decimal string, found {}", short(value))),
        },
        Op::In | Op::NotIn => match value.as_array() {
            Some(items) if items.iter().all(scalar) => None,
            Some(_) => Some("needs a list of strings, numbers or booleans".to_string()),
            None => Some(format!("needs a list value, found {}", kind(value))),
        },
        Op::Contains | Op::StartsWith | Op::EndsWith => {
            (!value.is_string()).then(|| format!("needs a string value, found {}", kind(value)))
        }
    };
    if let Some(p) = problem {
        r.issue(join(path, "value"), "invalid_condition_value", format!("operator `{}` {p}", op.as_str()));
        return None;
    }
    Some(Condition { field: field?, op, value: value.clone() })
}

fn action_keys(t: Option<&str>) -> Vec<&'static str> {
    let mut keys = vec!["type", "target_field"];
    match t {
        Some("set_rate") => keys.push("rate"),
        Some("set_fixed_amount") => keys.push("fixed_amount"),
        Some("set_split") => keys.push("split_percentage"),
        Some("apply_formula") => keys.push("formula"),
        Some("apply_tier") => keys.extend(["tiers", "source_field"]),
        _ => keys.extend(["rate", "fixed_amount", "split_percentage", "formula", "tiers", "source_field"]),
    }
    keys
}

fn action(r: &mut Reader, v: &Value, path: &str) -> Option<Action> {
    let Some(m) = v.as_object() else {
        r.issue(path, "invalid_type", format!("expected an object, found {}", kind(v)));
        return None;
    };
    let t = r.string(m, path, "type", true);
    let known = t.as_deref().filter(|t| ACTION_TYPES.contains(t));
    if let (Some(t), None) = (&t, known) {
        let hint = suggest(t, &ACTION_TYPES).map(|x| format!(" (did you mean `{x}`?)")).unwrap_or_default();
        r.issue(
            join(path, "type"),
            "invalid_value",
            format!("`type` must be one of {}, found `{t}`{hint}", ACTION_TYPES.join(", ")),
        );
    }
    r.obj(v, path, &action_keys(known));
    let target_field = r.string(m, path, "target_field", true);
    let kind = match known? {
        "set_rate" => ActionKind::SetRate(decimal_string(r, m, path, "rate")?),
        "set_fixed_amount" => ActionKind::SetFixedAmount(decimal_string(r, m, path, "fixed_amount")?),
        "set_split" => ActionKind::SetSplit(decimal_string(r, m, path, "split_percentage")?),
        "apply_formula" => {
            let text = r.string(m, path, "formula", true)?;
            match Formula::parse(&text) {
                Ok(f) => ActionKind::ApplyFormula(f),
                Err(e) => {
                    r.issue(join(path, "formula"), e.code.as_str(), e.message);
                    return None;
                }
            }
        }
        _ => {
            let source_field = r.string(m, path, "source_field", false);
            let empty = source_field.as_deref() == Some("");
            if empty {
                r.issue(join(path, "source_field"), "invalid_value", "`source_field` must not be empty");
            }
            let tiers = tiers(r, m, path);
            if empty || present(m, "source_field").is_some_and(|s| !s.is_string()) {
                return None;
            }
            ActionKind::ApplyTier { tiers: tiers?, source_field }
        }
    };
    Some(Action { target_field: target_field?, kind })
}

fn tiers(r: &mut Reader, m: &Obj, path: &str) -> Option<Vec<Tier>> {
    let items = r.array(m, path, "tiers", true)?;
    let base = join(path, "tiers");
    if items.is_empty() {
        r.issue(&base, "invalid_value", "at least one tier is required");
        return None;
    }
    let mut out = Vec::with_capacity(items.len());
    let mut ok = true;
    for (i, it) in items.iter().enumerate() {
        let p = format!("{base}[{i}]");
        let Some(tm) = r.obj(it, &p, &TIER_KEYS) else {
            ok = false;
            continue;
        };
        let min = required(r, tm, &p, "min").and_then(|v| bound(r, v, &p, "min"));
        let max = match present(tm, "max") {
            None => Some(None),
            Some(v) => bound(r, v, &p, "max").map(Some),
        };
        let rate = decimal_string(r, tm, &p, "rate");
        match (min, max, rate) {
            (Some(min), Some(max), Some(rate)) => {
                if max.is_some_and(|x| x < min) {
                    r.issue(&p, "invalid_tier", format!("`min` {min} is above `max` {}", max.unwrap_or_default()));
                    ok = false;
                } else {
                    out.push(Tier { min, max, rate });
                }
            }
            _ => ok = false,
        }
    }
    if !ok {
        return None;
    }
    // overlaps: in order of `min`, a tier overlaps an earlier one when it starts at or below the
    // highest upper bound so far (min and max are inclusive)
    let mut order: Vec<usize> = (0..out.len()).collect();
    order.sort_by(|a, b| out[*a].min.cmp(&out[*b].min));
    let mut reach: Option<(usize, Option<Decimal>)> = None;
    for &j in &order {
        if let Some((i, top)) = reach {
            if top.map_or(true, |t| out[j].min <= t) {
                let shown = |t: &Tier| {
                    format!("[{}, {}]", t.min, t.max.map_or_else(|| "unbounded".to_string(), |x| x.to_string()))
                };
                r.issue(
                    format!("{base}[{j}]"),
                    "invalid_tier",
                    format!("tier {} overlaps {base}[{i}] {}", shown(&out[j]), shown(&out[i])),
                );
                ok = false;
            }
        }
        let extends = match reach {
            None => true,
            Some((_, None)) => false,
            Some((_, Some(t))) => out[j].max.map_or(true, |m| m > t),
        };
        if extends {
            reach = Some((j, out[j].max));
        }
    }
    ok.then_some(out)
}
