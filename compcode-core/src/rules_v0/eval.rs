//! The v0 rule evaluator the seed's documents left unbuilt (SPEC §10, §18.27–§18.29).
//!
//! Active rules run in priority order — higher first, ties in list order. A rule fires when all
//! its conditions hold; its actions then run in order, and each writes its `target_field` into
//! the context, so later actions and later rules read the new value. Every rule appears in the
//! trace (fired or not, and why), and every action with the value it wrote.
//!
//! Conditions (SPEC §18.27): `gt`/`gte`/`lt`/`lte` compare as decimals (a context value that is
//! not a number makes them false). `eq`/`ne`/`in`/`not_in` compare as decimals when the rule's
//! value (or list item) is a JSON number, booleans only with booleans, and otherwise as exact text
//! (`"007"` never equals `"7"`; a context number is compared by its JSON text). `contains`,
//! `starts_with` and `ends_with` work on text (a context number by its JSON text; a boolean never
//! matches). A missing, null or empty field makes `ne` and `not_in` true and every other operator
//! false.
//!
//! Values written: `set_rate`, `set_fixed_amount`, `set_split` and `apply_tier` write the decimal
//! string exactly as the rule spells it (`"1000.00"` stays `"1000.00"`); `apply_formula` writes
//! its result normalized (SPEC §18.29). A formula reads the context as it is when its action
//! runs: a self-reference (`bonus = {{bonus}} + 100`) reads the previous value, and fails with
//! `formula_missing_field` when there is none — rules run once each, so nothing can loop.
//! A formula error fails the whole evaluation (SPEC §18.29), naming the rule and action.
//! `apply_tier` with a missing or non-numeric input, or no covering tier, writes nothing and says
//! so in the trace (SPEC §18.28).

use super::formula::{format_result, Ref};
use super::schema::{ActionKind, Condition, Op, RuleV0};
use crate::condition::number_of;
use crate::decimal::{fmt_plain, parse_decimal};
use crate::error::{Error, Result};
use rust_decimal::Decimal;
use serde_json::{json, Map, Value};

/// The context: field → value (scalars or null).
pub type Context = Map<String, Value>;

/// The result of an evaluation: the final context and the trace.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    /// The context after every rule ran.
    pub context: Context,
    /// One entry per rule, in evaluation order.
    pub trace: Vec<Value>,
    /// The ids of the rules that fired, in order.
    pub fired: Vec<String>,
}

/// Evaluates validated rules against a context.
///
/// ```
/// use compcode_core::rules_v0::{schema::read_rules, eval::evaluate};
/// use serde_json::json;
/// let rules = read_rules(&json!([{
///     "schema_version": "v0", "rule_id": "770e8400-e29b-41d4-a716-446655440002",
///     "rule_name": "Multi-Agent Split", "priority": 15,
///     "conditions": [{"field": "agent_count", "operator": "gt", "value": 1}],
///     "actions": [{"type": "set_split", "target_field": "split_percentage", "split_percentage": "33.333333"}]
/// }]), "rules").unwrap();
/// let ctx = json!({"agent_count": 3}).as_object().unwrap().clone();
/// let out = evaluate(&rules, ctx).unwrap();
/// assert_eq!(out.context["split_percentage"], "33.333333");
/// assert_eq!(out.trace[0]["fired"], true);
/// ```
pub fn evaluate(rules: &[RuleV0], mut context: Context) -> Result<Evaluation> {
    let mut order: Vec<usize> = (0..rules.len()).collect();
    order.sort_by_key(|i| std::cmp::Reverse(rules[*i].priority)); // stable: ties keep list order
    let mut trace = Vec::with_capacity(rules.len());
    let mut fired = Vec::new();
    for (step, &ri) in order.iter().enumerate() {
        let rule = &rules[ri];
        let mut entry = json!({
            "step": step, "index": ri, "ruleId": rule.rule_id, "ruleName": rule.rule_name,
            "priority": rule.priority, "active": rule.is_active,
        });
        if !rule.is_active {
            entry["fired"] = json!(false);
            entry["reason"] = json!("inactive");
            entry["message"] = json!("the rule is inactive (is_active: false)");
            entry["conditions"] = json!([]);
            entry["actions"] = json!([]);
            trace.push(entry);
            continue;
        }
        let mut conds = Vec::with_capacity(rule.conditions.len());
        let mut failed = Vec::new();
        for (ci, c) in rule.conditions.iter().enumerate() {
            let actual = context.get(&c.field).cloned().unwrap_or(Value::Null);
            let holds = holds(c, &actual);
            if !holds {
                failed.push(format!("conditions[{ci}] ({} {} {})", c.field, c.op.as_str(), c.value));
            }
            conds.push(json!({"index": ci, "field": c.field, "operator": c.op.as_str(), "value": c.value,
                              "actual": actual, "holds": holds}));
        }
        entry["conditions"] = Value::Array(conds);
        if !failed.is_empty() {
            entry["fired"] = json!(false);
            entry["reason"] = json!("conditions_not_met");
            entry["message"] = json!(format!("does not hold: {}", failed.join(", ")));
            entry["actions"] = json!([]);
            trace.push(entry);
            continue;
        }
        entry["fired"] = json!(true);
        entry["reason"] = json!("conditions_met");
        entry["message"] = json!("all conditions hold");
        fired.push(rule.rule_id.clone());
        let mut actions = Vec::with_capacity(rule.actions.len());
        for (ai, a) in rule.actions.iter().enumerate() {
            let previous = context.get(&a.target_field).cloned().unwrap_or(Value::Null);
            let mut at = json!({"index": ai, "type": a.kind.type_name(), "targetField": a.target_field,
                                "previous": previous});
            let written: Option<String> = match &a.kind {
                ActionKind::SetRate(s) | ActionKind::SetFixedAmount(s) | ActionKind::SetSplit(s) => Some(s.clone()),
                ActionKind::ApplyFormula(f) => {
                    let mut inputs = Map::new();
                    let result = f.eval(|name| {
                        let v = context.get(name).cloned().unwrap_or(Value::Null);
                        let r = resolve(&v);
                        inputs.insert(name.to_string(), v);
                        r
                    });
                    at["formula"] = json!(f.text());
                    at["inputs"] = Value::Object(inputs);
                    match result {
                        Ok(d) => Some(format_result(d)),
                        Err(e) => {
                            let path = format!("rules[{ri}].actions[{ai}].formula");
                            let message = format!(
                                "rule `{}` ({}), action {ai} ({}): {}",
                                rule.rule_name, rule.rule_id, a.target_field, e.message
                            );
                            return Err(Error::with_details(
                                e.code,
                                message,
                                json!({"ruleId": rule.rule_id, "ruleName": rule.rule_name, "actionIndex": ai,
                                       "path": path, "formula": f.text(), "position": e.position, "field": e.field}),
                            ));
                        }
                    }
                }
                ActionKind::ApplyTier { tiers, source_field } => {
                    let field = source_field
                        .clone()
                        .or_else(|| rule.conditions.first().map(|c| c.field.clone()))
                        .unwrap_or_default();
                    let v = context.get(&field).cloned().unwrap_or(Value::Null);
                    at["sourceField"] = json!(field);
                    at["input"] = v.clone();
                    let (reason, message, written) = match resolve(&v) {
                        Ref::Missing => ("input_missing", format!("`{field}` is missing; nothing written"), None),
                        Ref::NotNumeric(what) => {
                            ("input_not_numeric", format!("`{field}` is not a number ({what}); nothing written"), None)
                        }
                        Ref::Number(x) => match tiers.iter().find(|t| t.covers(x)) {
                            None => (
                                "no_covering_tier",
                                format!("no tier covers {} (`{field}`); nothing written", fmt_plain(x)),
                                None,
                            ),
                            Some(t) => {
                                at["tier"] =
                                    json!({"min": fmt_plain(t.min), "max": t.max.map(fmt_plain), "rate": t.rate});
                                ("", String::new(), Some(t.rate.clone()))
                            }
                        },
                    };
                    if written.is_none() {
                        at["reason"] = json!(reason);
                        at["message"] = json!(message);
                    }
                    written
                }
            };
            match written {
                Some(w) => {
                    at["written"] = json!(w);
                    context.insert(a.target_field.clone(), Value::String(w));
                }
                None => at["written"] = Value::Null,
            }
            actions.push(at);
        }
        entry["actions"] = Value::Array(actions);
        trace.push(entry);
    }
    Ok(Evaluation { context, trace, fired })
}

/// A context value as a formula or tier input sees it: missing (null, empty text), a number
/// (a JSON number or numeric text), or not numeric.
pub(crate) fn resolve(v: &Value) -> Ref {
    match v {
        Value::Null => Ref::Missing,
        Value::String(s) if s.is_empty() => Ref::Missing,
        Value::String(s) => match number_of(v) {
            Some(d) => Ref::Number(d),
            None => Ref::NotNumeric(format!("the text \"{}\"", s.chars().take(40).collect::<String>())),
        },
        Value::Number(n) => match parse_decimal(&n.to_string()) {
            Some(d) => Ref::Number(d),
            None => Ref::NotNumeric(format!("{n} does not fit an exact decimal")),
        },
        Value::Bool(b) => Ref::NotNumeric(format!("the boolean {b}")),
        Value::Array(_) | Value::Object(_) => Ref::NotNumeric("a list or an object".into()),
    }
}

fn missing(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        _ => false,
    }
}

/// SPEC §18.27: does condition `c` hold for the context value `actual` (null when absent)?
pub(crate) fn holds(c: &Condition, actual: &Value) -> bool {
    if missing(actual) {
        return matches!(c.op, Op::Ne | Op::NotIn);
    }
    match c.op {
        Op::Gt | Op::Gte | Op::Lt | Op::Lte => {
            let (Some(a), Some(b)) = (decimal_of(actual), number_of(&c.value)) else { return false };
            let o = a.cmp(&b);
            match c.op {
                Op::Gt => o.is_gt(),
                Op::Gte => o.is_ge(),
                Op::Lt => o.is_lt(),
                _ => o.is_le(),
            }
        }
        Op::Eq => equal(actual, &c.value),
        Op::Ne => !equal(actual, &c.value),
        Op::In => c.value.as_array().is_some_and(|l| l.iter().any(|x| equal(actual, x))),
        Op::NotIn => !c.value.as_array().is_some_and(|l| l.iter().any(|x| equal(actual, x))),
        Op::Contains | Op::StartsWith | Op::EndsWith => {
            let (Some(a), Some(b)) = (text_of(actual), c.value.as_str()) else { return false };
            match c.op {
                Op::Contains => a.contains(b),
                Op::StartsWith => a.starts_with(b),
                _ => a.ends_with(b),
            }
        }
    }
}

fn decimal_of(v: &Value) -> Option<Decimal> {
    match v {
        Value::Number(_) | Value::String(_) => number_of(v),
        _ => None,
    }
}

fn text_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// eq semantics: by the rule value's JSON type.
fn equal(actual: &Value, rule_value: &Value) -> bool {
    match rule_value {
        Value::Number(_) => match (decimal_of(actual), number_of(rule_value)) {
            (Some(a), Some(b)) => a == b,
            _ => false,
        },
        Value::Bool(b) => actual.as_bool() == Some(*b),
        Value::String(s) => match actual {
            Value::String(a) => a == s,
            Value::Number(n) => n.to_string() == *s,
            _ => false,
        },
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cond(op: Op, value: Value) -> Condition {
        Condition { field: "f".into(), op, value }
    }

    #[test]
    fn spec_18_27_comparisons() {
        assert!(holds(&cond(Op::Eq, json!(7)), &json!("7.0")));
        assert!(holds(&cond(Op::Eq, json!(7)), &json!(7.00)));
        assert!(!holds(&cond(Op::Eq, json!("7")), &json!("007")));
        assert!(holds(&cond(Op::Eq, json!("7")), &json!(7)));
        assert!(!holds(&cond(Op::Eq, json!(true)), &json!("true")));
        assert!(holds(&cond(Op::Eq, json!(true)), &json!(true)));
        assert!(!holds(&cond(Op::Eq, json!("true")), &json!(true)));
        assert!(holds(&cond(Op::Gt, json!("0")), &json!("45.50")));
        assert!(!holds(&cond(Op::Gt, json!("0")), &json!("abc")));
        assert!(holds(&cond(Op::In, json!(["W", "BW", "SM"])), &json!("BW")));
        assert!(holds(&cond(Op::NotIn, json!(["W"])), &json!(null)));
        assert!(holds(&cond(Op::Ne, json!("x")), &json!("")));
        assert!(!holds(&cond(Op::Eq, json!("")), &json!("")));
        assert!(!holds(&cond(Op::Contains, json!("")), &json!(null)));
        assert!(holds(&cond(Op::Contains, json!("Dental")), &json!("Bright Dental LLC")));
        assert!(holds(&cond(Op::StartsWith, json!("12")), &json!(123)));
        assert!(!holds(&cond(Op::EndsWith, json!("e")), &json!(true)));
    }
}
