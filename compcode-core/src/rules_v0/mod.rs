//! No-code rules v0 (SPEC §10, §18.27–§18.29): the JSON rule schema of the seed's
//! "No-Code Commission Rules", the evaluator its documents left unbuilt, and the formula
//! language shared with plan rules' `payoutBase` (`"={{pepm_rate}} * 12 / {{pay_periods}}"`).
//!
//! * [`schema`] — reading and validating rules, every violation with its JSON path;
//!   published as JSON Schema in `spec-fixtures/no_code_rules.schema.json`.
//! * [`formula`] — the formula parser and exact-decimal evaluator.
//! * [`eval`] — running rules against a context, with a trace.
//!
//! The operations of [`crate::api::run`]: [`validate_op`] (`rules_v0.validate`),
//! [`evaluate_op`] (`rules_v0.evaluate`) and [`formula_op`] (`formula.evaluate`).

pub mod eval;
pub mod formula;
pub mod schema;

use crate::api::ValidateResult;
use crate::error::{Error, Result};
use crate::validate::Reader;
use serde_json::{json, Map, Value};

/// `rules_v0.validate`: checks one rule (`{schema_version, rule_id, …}`, paths like
/// `actions[0].rate`) or a list (`{"rules": [...]}`, paths like `rules[0].actions[0].rate`) and
/// returns `{valid, errors: [{path, code, message, suggestion?}]}` — every violation, never an
/// error for the call.
///
/// ```
/// use serde_json::json;
/// let out = compcode_core::api::run("rules_v0.validate", &json!({
///     "schema_version": "v0", "rule_id": "550e8400-e29b-41d4-a716-446655440000",
///     "rule_name": "TPA", "conditions": [{"field": "pepm_rate", "operator": "gt", "value": "0"}],
///     "actions": [{"type": "set_rate", "target_field": "commission_rate", "rate": 0.15}]
/// })).unwrap();
/// assert_eq!(out["valid"], false);
/// assert_eq!(out["errors"][0]["path"], "actions[0].rate");
/// assert_eq!(out["errors"][0]["code"], "invalid_decimal");
/// ```
pub fn validate_op(input: &Value) -> ValidateResult {
    let list = input.as_object().is_some_and(|m| m.contains_key("rules") && !m.contains_key("schema_version"));
    let mut r = Reader::default();
    let read = if list {
        r.obj(input, "", &["rules"])
            .and_then(|m| m.get("rules"))
            .and_then(|v| schema::rules(&mut r, v, "rules"))
            .is_some()
    } else {
        schema::rule(&mut r, input, "").is_some()
    };
    if !read && r.issues.is_empty() {
        r.issue("", "invalid_value", "the rules could not be read");
    }
    ValidateResult { valid: r.issues.is_empty(), errors: r.issues, warnings: Vec::new() }
}

/// Every issue code the v0 reader reports.
pub const ISSUE_CODES: [&str; 13] = [
    "required",
    "unknown_field",
    "invalid_type",
    "invalid_value",
    "invalid_decimal",
    "invalid_operator",
    "invalid_condition_value",
    "invalid_tier",
    "duplicate",
    "out_of_range",
    "formula_syntax",
    "formula_too_complex",
    "arithmetic_overflow",
];

/// Reads a context: an object whose values are strings, numbers, booleans or null. A list or an
/// object as a value is `invalid_type` at `path.key`.
fn read_context(r: &mut Reader, v: Option<&Value>, path: &str) -> Map<String, Value> {
    let Some(v) = v.filter(|v| !v.is_null()) else { return Map::new() };
    let Some(m) = v.as_object() else {
        r.issue(path, "invalid_type", "the context must be an object of field → value");
        return Map::new();
    };
    for (k, x) in m {
        if x.is_array() || x.is_object() {
            r.issue(
                format!("{path}.{k}"),
                "invalid_type",
                format!("context field `{k}` must be a string, number, boolean or null, not a list or an object"),
            );
        }
    }
    m.clone()
}

/// `rules_v0.evaluate`: `{rules: [rule…], context: {field: value}}` → `{context, trace,
/// fired}`. Invalid rules or context are `VALIDATION_FAILED` (paths `rules[i]…`,
/// `context.<field>`); a formula runtime error fails the evaluation with its code
/// (`formula_missing_field`, `formula_division_by_zero`, `arithmetic_overflow`) and
/// `details {ruleId, ruleName, actionIndex, path, formula, position, field}`.
///
/// ```
/// use serde_json::json;
/// let rule = |id: &str, priority: u32, rate: &str| json!({
///     "schema_version": "v0", "rule_id": id, "rule_name": format!("rate {rate}"), "priority": priority,
///     "conditions": [{"field": "employee_count", "operator": "gte", "value": 1}],
///     "actions": [{"type": "set_rate", "target_field": "commission_rate", "rate": rate}]});
/// let out = compcode_core::api::run("rules_v0.evaluate", &json!({
///     "rules": [rule("00000000-0000-0000-0000-000000000001", 5, "0.10"),
///               rule("00000000-0000-0000-0000-000000000002", 10, "0.20")],
///     "context": {"employee_count": 12}})).unwrap();
/// // priority 10 runs first, then priority 5 overwrites
/// assert_eq!(out["context"]["commission_rate"], "0.10");
/// assert_eq!(out["trace"][0]["ruleName"], "rate 0.20");
/// ```
pub fn evaluate_op(input: &Value) -> Result<Value> {
    let mut r = Reader::default();
    let Some(m) = r.obj(input, "", &["rules", "context"]) else { return Err(Error::validation(r.issues)) };
    let rules = match m.get("rules") {
        None | Some(Value::Null) => {
            r.issue("rules", "required", "`rules` (a list of v0 rules) is required");
            None
        }
        Some(v) => schema::rules(&mut r, v, "rules"),
    };
    let context = read_context(&mut r, m.get("context"), "context");
    let rules = match rules {
        Some(x) if r.issues.is_empty() => x,
        _ => return Err(Error::validation(r.issues)),
    };
    let out = eval::evaluate(&rules, context)?;
    Ok(json!({"context": out.context, "trace": out.trace, "fired": out.fired}))
}

/// `formula.evaluate`: `{formula, context?}` → `{result, references}` (the result a decimal
/// string, normalized). Errors carry `details {position, field}`: `formula_syntax`,
/// `formula_too_complex`, `formula_missing_field`, `formula_division_by_zero`,
/// `arithmetic_overflow`.
///
/// ```
/// use serde_json::json;
/// let out = compcode_core::api::run("formula.evaluate", &json!({
///     "formula": "({{base_rate}} + {{bonus_rate}}) * {{employee_count}}",
///     "context": {"base_rate": "0.10", "bonus_rate": "0.05", "employee_count": 12}})).unwrap();
/// assert_eq!(out["result"], "1.8");
/// let err = compcode_core::api::run("formula.evaluate", &json!({"formula": "2 * (3 + 4"})).unwrap_err();
/// assert_eq!(err.code().as_str(), "formula_syntax");
/// assert_eq!(err.details()["position"], 10);
/// ```
pub fn formula_op(input: &Value) -> Result<Value> {
    let mut r = Reader::default();
    let Some(m) = r.obj(input, "", &["formula", "context"]) else { return Err(Error::validation(r.issues)) };
    let text = match m.get("formula") {
        Some(Value::String(s)) => Some(s.clone()),
        None | Some(Value::Null) => {
            r.issue("formula", "required", "`formula` is required");
            None
        }
        Some(_) => {
            r.issue("formula", "invalid_type", "`formula` must be a string");
            None
        }
    };
    let context = read_context(&mut r, m.get("context"), "context");
    let Some(text) = text.filter(|_| r.issues.is_empty()) else { return Err(Error::validation(r.issues)) };
    let f = formula::Formula::parse(&text)?;
    let mut inputs = Map::new();
    let result = f.eval(|name| {
        let v = context.get(name).cloned().unwrap_or(Value::Null);
        let resolved = eval::resolve(&v);
        inputs.insert(name.to_string(), v);
        resolved
    })?;
    Ok(json!({"result": formula::format_result(result), "references": f.references(), "inputs": inputs}))
}
