//! Plan templates (SPEC §19): starter plan configurations a host offers when a user creates a
//! plan. Each template is a plan in the flat shape a calculation document takes (`{planId, name,
//! effectiveStart, config}`, SPEC §0.1), valid as it stands, and pinned by a fixture in
//! `spec-fixtures/templates/` that simulates it on a small deal set to hand-worked numbers (a unit
//! test below checks that every fixture carries the template's plan verbatim).
//!
//! SPEC readings: the templates' `effectiveStart` is `2026-01-01` (a host replaces it, and the ids,
//! when it saves a plan); decimals are written as strings; `templates` takes an optional
//! `{product}` filter (`compcode`, `spark`, `commissionflow`).

use crate::error::{Error, Issue, Result};
use serde_json::{json, Value};

/// Every template, in listing order: `{id, name, description, product, plan}`.
///
/// ```
/// let all = compcode_core::templates::templates();
/// let ids: Vec<&str> = all.iter().map(|t| t["id"].as_str().unwrap()).collect();
/// assert_eq!(ids, ["ae_commission", "spif", "quarterly_milestone_bonus", "manager_override",
///                  "spark_solar", "commissionflow_basic"]);
/// assert_eq!(all[0]["plan"]["config"]["rules"][0]["tiers"][2]["rate"], "0.14");
/// ```
pub fn templates() -> Vec<Value> {
    // The templates are data (`templates.json`), parsed when asked for: as `json!` literals they
    // compiled to ~50 KB of code in the WASM module. A unit test proves the text parses.
    serde_json::from_str(TEMPLATES_JSON).unwrap_or_default()
}

const TEMPLATES_JSON: &str = include_str!("templates.json");

/// `templates` as an operation: `{product?}` (or `null`) → `{templates: [...]}`.
///
/// ```
/// use serde_json::json;
/// let out = compcode_core::api::run("templates", &json!({"product": "spark"})).unwrap();
/// assert_eq!(out["templates"][0]["id"], "spark_solar");
/// ```
pub fn templates_op(input: &Value) -> Result<Value> {
    let product = match input.get("product") {
        None | Some(Value::Null) => None,
        Some(Value::String(p)) => Some(p.as_str()),
        Some(_) => {
            return Err(Error::validation(vec![Issue {
                path: "product".into(),
                code: "invalid_type",
                message: "`product` must be a string (compcode, spark or commissionflow)".into(),
                suggestion: None,
            }]))
        }
    };
    let list: Vec<Value> = templates().into_iter().filter(|t| product.map_or(true, |p| t["product"] == p)).collect();
    Ok(json!({ "templates": list }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_template_text_parses_to_six_templates() {
        let parsed: Vec<Value> = serde_json::from_str(TEMPLATES_JSON).expect("templates.json is JSON");
        assert_eq!(parsed.len(), 6);
        assert_eq!(templates(), parsed);
    }

    /// Every template validates inside a document, and its fixture simulates the very same plan.
    #[test]
    fn every_template_is_valid_and_pinned_by_its_fixture() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../spec-fixtures/templates");
        for t in templates() {
            let id = t["id"].as_str().unwrap_or_default();
            let doc = json!({"asOf": "2026-04-02", "reps": [], "plans": [t["plan"].clone()], "deals": []});
            assert!(crate::api::validate(&doc).valid, "{id}: {:?}", crate::api::validate(&doc).errors);
            let text = std::fs::read_to_string(root.join(format!("{id}.json"))).expect("a fixture per template");
            let fx: Value = serde_json::from_str(&text).expect("fixture JSON");
            assert_eq!(fx["operation"], "simulate", "{id}");
            let plans = fx["input"]["plans"].as_array().expect("plans");
            assert!(plans.iter().any(|p| p == &t["plan"]), "{id}: the fixture carries the template's plan verbatim");
        }
    }

    #[test]
    fn the_product_filter() {
        let out = templates_op(&json!({"product": "compcode"})).unwrap();
        assert_eq!(out["templates"].as_array().map(Vec::len), Some(4));
        assert_eq!(templates_op(&Value::Null).unwrap()["templates"].as_array().map(Vec::len), Some(6));
        let err = templates_op(&json!({"product": 3})).unwrap_err();
        assert_eq!(err.details()["errors"][0]["path"], "product");
    }
}
