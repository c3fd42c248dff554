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
    vec![
        json!({
            "id": "ae_commission",
            "name": "AE commission",
            "description": "Account executives earn a share of closed-won revenue that rises with quarterly quota attainment: 8% below quota, 10% from 100%, 14% from 125% (full rate: the deal that crosses a threshold earns the new rate). Needs a quarterly quota per rep.",
            "product": "compcode",
            "plan": {
                "planId": "ae-commission", "name": "AE Commission", "effectiveStart": "2026-01-01",
                "config": {"rules": [{
                    "name": "Revenue Commission", "measure": "closed_won_revenue", "executionPhase": "per_deal",
                    "attainmentPeriod": "quarterly", "tierBy": "attainment", "tierMode": "full_rate",
                    "tiers": [
                        {"tierIndex": 0, "name": "Base", "minThreshold": "0", "rate": "0.08"},
                        {"tierIndex": 1, "name": "On Target", "minThreshold": "1.0", "rate": "0.10"},
                        {"tierIndex": 2, "name": "Accelerator", "minThreshold": "1.25", "rate": "0.14"}
                    ]
                }]}
            }
        }),
        json!({
            "id": "spif",
            "name": "SPIF: new-logo bonus",
            "description": "A flat 500.00 for every won new-business deal of at least 10,000 (a sales performance incentive fund; per deal, no quota). The deal type is the `deal_type` field.",
            "product": "compcode",
            "plan": {
                "planId": "spif-new-logo", "name": "New Logo SPIF", "effectiveStart": "2026-01-01",
                "config": {"rules": [{
                    "name": "New Logo SPIF", "measure": "closed_won_revenue", "executionPhase": "per_deal",
                    "attainmentPeriod": "quarterly", "tierBy": "value", "tierMode": "full_rate",
                    "conditions": [
                        {"field": "deal_type", "operator": "equals", "value": "new_business"},
                        {"field": "amount", "operator": "gte", "value": "10000"}
                    ],
                    "tiers": [{"tierIndex": 0, "name": "SPIF", "minThreshold": "0", "flatAmount": "500"}]
                }]}
            }
        }),
        json!({
            "id": "quarterly_milestone_bonus",
            "name": "Quarterly milestone bonus",
            "description": "One bonus per rep and quarter, paid once the quarter closes: 5,000.00 at 100% of quota, 15,000.00 at 150% (periodic, flat tiers). Needs a quarterly quota per rep.",
            "product": "compcode",
            "plan": {
                "planId": "quarterly-bonus", "name": "Quarterly Milestone Bonus", "effectiveStart": "2026-01-01",
                "config": {"rules": [{
                    "name": "Quarterly Bonus", "measure": "closed_won_revenue", "executionPhase": "periodic",
                    "attainmentPeriod": "quarterly", "tierBy": "attainment", "tierMode": "full_rate", "payoutBase": "1",
                    "tiers": [
                        {"tierIndex": 0, "name": "Target", "minThreshold": "1.0", "flatAmount": "5000"},
                        {"tierIndex": 1, "name": "Stretch", "minThreshold": "1.5", "flatAmount": "15000"}
                    ]
                }]}
            }
        }),
        json!({
            "id": "manager_override",
            "name": "Manager override",
            "description": "Managers earn 5% of everything their direct reports earn, from every plan (a cascade on `_total`). Assign the managers to this plan; their reports keep their own plans.",
            "product": "compcode",
            "plan": {
                "planId": "manager-override", "name": "Manager Override", "effectiveStart": "2026-01-01",
                "config": {"rules": [{
                    "name": "Manager Override", "measure": "closed_won_revenue", "executionPhase": "cascade",
                    "attainmentPeriod": "quarterly", "dependsOn": "_total", "cascadeBase": "commission", "level": 1,
                    "tierBy": "value",
                    "tiers": [{"tierIndex": 0, "name": "Override", "minThreshold": "0", "rate": "0.05"}]
                }]}
            }
        }),
        json!({
            "id": "spark_solar",
            "name": "Spark solar: rate table and two milestones",
            "description": "Solar sales pay each participant from a rate table (most specific row wins: Closer, Setter, else a default row) in two milestone payments: MP1 once the sale is APPROVED or COMPLETED, MP2 once it is COMPLETED, dated by the install date.",
            "product": "spark",
            "plan": {
                "planId": "spark-solar", "name": "Spark Solar", "effectiveStart": "2026-01-01",
                "config": {"rules": [{
                    "name": "Sales Commission", "measure": "amount", "executionPhase": "per_deal",
                    "attainmentPeriod": "monthly",
                    "rateTable": [
                        {"rateId": "closer", "roleId": "Closer", "effectiveStartDate": "2026-01-01",
                         "percentMp1": "3", "flatMp1": "100", "percentMp2": "1", "flatMp2": "0"},
                        {"rateId": "setter", "roleId": "Setter", "effectiveStartDate": "2026-01-01",
                         "percentMp1": "1", "flatMp1": "50", "percentMp2": "0.5", "flatMp2": "0"},
                        {"rateId": "default", "effectiveStartDate": "2026-01-01",
                         "percentMp1": "2", "flatMp1": "0", "percentMp2": "1", "flatMp2": "0"}
                    ],
                    "milestones": [
                        {"number": 1, "name": "MP1", "when": [{"field": "status", "operator": "in", "value": ["APPROVED", "COMPLETED"]}]},
                        {"number": 2, "name": "MP2", "when": [{"field": "status", "operator": "equals", "value": "COMPLETED"}], "dateField": "installDate"}
                    ]
                }]}
            }
        }),
        json!({
            "id": "commissionflow_basic",
            "name": "CommissionFlow basic: 10% with a cap",
            "description": "CommissionFlow's PERCENTAGE rule: 10% of each sale, at most 1,000.00 per sale (tierBy value, maxAmount; a refund mirrors its sale).",
            "product": "commissionflow",
            "plan": {
                "planId": "cf-basic", "name": "Standard Sales Plan", "effectiveStart": "2026-01-01",
                "config": {"rules": [{
                    "name": "10% Base Commission", "measure": "amount", "executionPhase": "per_deal",
                    "attainmentPeriod": "monthly", "tierBy": "value", "tierMode": "full_rate",
                    "tiers": [{"tierIndex": 0, "name": "Tier 1", "minThreshold": "0", "rate": "0.1"}],
                    "maxAmount": "1000"
                }]}
            }
        }),
    ]
}

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
