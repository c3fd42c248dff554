//! The field catalogue and `autoMatch` (SPEC §19).
//!
//! `attributes` reads a CRM schema payload:
//! * HubSpot `GET /crm/v3/properties/deals` → `{results: [{name, label, type, fieldType,
//!   options: [{label, value}], showCurrencySymbol?, …}]}`; types: `number` (`currency` when
//!   `showCurrencySymbol` is true), `date` → `date`, `datetime` → `timestamp`, `enumeration` →
//!   `select` (`status` for `dealstage`), `bool` → `checkbox`, anything else `text`;
//! * Attio `GET /v2/objects/deals/attributes` → `{data: [{api_slug, title, type, is_archived,
//!   …}]}`; types kept with `-` written `_` (`actor-reference` → `actor_reference`); archived
//!   attributes are left out; options come from an inline `options` or `statuses` list of
//!   `{title}` (Attio serves them from a separate endpoint; the host may attach them).
//!
//! ## autoMatch: the formula
//!
//! For a canonical slug `c` and an attribute `a`:
//!
//! * `norm(s)` = `s` lowercased with every character that is not a letter or digit removed;
//! * `sim(x, y)` = 1 − lev(norm x, norm y) / max(len norm x, len norm y) (Levenshtein distance on
//!   characters; 0 when both are empty);
//! * `name(c, a)` = the largest `sim` between `a.slug` or `a.label` and any synonym of `c`
//!   (table [`SYNONYMS`]; the canonical slug is its own first synonym);
//! * `confidence` = `name(c, a)` × (1 when `a.type` is one of `c`'s expected types, else 0.5),
//!   rounded half away from zero to 2 decimals.
//!
//! Proposals with confidence ≥ 0.6 are assigned greedily: highest confidence first (ties by the
//! canonical order, then attribute slug), each slug and each attribute used once.

use super::fail;
use crate::error::Result;
use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::{json, Value};

/// The synonyms table: canonical slug → (names, expected types).
pub const SYNONYMS: &[(&str, &[&str], &[&str])] = &[
    (
        "closed_won_revenue",
        &["closed_won_revenue", "amount", "value", "deal_value", "revenue", "hs_deal_amount", "deal_amount"],
        &["currency", "number"],
    ),
    ("deal_stage", &["deal_stage", "dealstage", "stage", "pipeline_stage", "status"], &["status", "select", "text"]),
    (
        "close_date",
        &["close_date", "closedate", "closed_at", "close_date_actual", "expected_close_date"],
        &["date", "timestamp"],
    ),
    (
        "owner",
        &["owner", "hubspot_owner_id", "deal_owner", "owner_id", "assigned_to"],
        &["actor_reference", "select", "text", "number"],
    ),
    ("deal_type", &["deal_type", "dealtype", "type"], &["select", "text", "status"]),
    ("deal_name", &["deal_name", "dealname", "name", "title"], &["text"]),
];

/// Least confidence a proposal needs.
pub const THRESHOLD: Decimal = Decimal::from_parts(6, 0, 0, false, 1);

fn norm(s: &str) -> Vec<char> {
    s.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect()
}

/// Levenshtein distance on characters.
pub fn levenshtein(a: &[char], b: &[char]) -> usize {
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// `sim(x, y)` of the module docs, exact.
pub fn similarity(x: &str, y: &str) -> Decimal {
    let (a, b) = (norm(x), norm(y));
    let m = a.len().max(b.len());
    if m == 0 {
        return Decimal::ZERO;
    }
    let d = levenshtein(&a, &b);
    Decimal::ONE - Decimal::from(d as u64) / Decimal::from(m as u64)
}

fn hub_type(p: &Value) -> &'static str {
    let name = p.get("name").and_then(Value::as_str).unwrap_or("");
    match p.get("type").and_then(Value::as_str).unwrap_or("") {
        "number" if p.get("showCurrencySymbol").and_then(Value::as_bool) == Some(true) => "currency",
        "number" => "number",
        "date" => "date",
        "datetime" => "timestamp",
        "enumeration" if name == "dealstage" => "status",
        "enumeration" => "select",
        "bool" => "checkbox",
        _ => "text",
    }
}

/// `crm.attributes`: `{schema, provider?}` → `{provider, attributes: [{slug, label, type,
/// options}]}`. The provider is detected from the payload when not given (`results` → HubSpot,
/// `data` → Attio).
///
/// ```
/// use serde_json::json;
/// let out = compcode_core::api::run("crm.attributes", &json!({"schema": {"results": [
///   {"name": "amount", "label": "Amount", "type": "number", "fieldType": "number", "showCurrencySymbol": true}]}})).unwrap();
/// assert_eq!(out["attributes"][0], json!({"slug": "amount", "label": "Amount", "type": "currency", "options": []}));
/// ```
pub fn attributes_op(input: &Value) -> Result<Value> {
    let schema =
        input.get("schema").ok_or_else(|| fail("schema", "required", "`schema` (a CRM schema payload) is required"))?;
    let provider = match input.get("provider").and_then(Value::as_str) {
        Some(p @ ("hubspot" | "attio")) => p,
        Some(_) => return Err(fail("provider", "invalid_value", "`provider` is `hubspot` or `attio`")),
        None if schema.get("results").is_some() => "hubspot",
        None if schema.get("data").is_some() => "attio",
        None => {
            return Err(fail("schema", "invalid_value", "expected HubSpot `{results: [...]}` or Attio `{data: [...]}`"))
        }
    };
    let key = if provider == "hubspot" { "results" } else { "data" };
    let list = schema
        .get(key)
        .and_then(Value::as_array)
        .ok_or_else(|| fail(format!("schema.{key}"), "invalid_type", "a list of properties is required"))?;
    if list.len() > super::MAX_EVENTS * 10 {
        return Err(fail(format!("schema.{key}"), "too_large", "too many properties"));
    }
    let mut out = Vec::new();
    for (i, p) in list.iter().enumerate() {
        let at = |k: &str| format!("schema.{key}[{i}].{k}");
        if !p.is_object() {
            return Err(fail(format!("schema.{key}[{i}]"), "invalid_type", "a property definition is an object"));
        }
        if provider == "hubspot" {
            let slug = super::text_at(p.get("name").unwrap_or(&Value::Null), &at("name"))?
                .ok_or_else(|| fail(at("name"), "required", "`name` is required"))?;
            let label =
                super::text_at(p.get("label").unwrap_or(&Value::Null), &at("label"))?.unwrap_or_else(|| slug.clone());
            let ty = hub_type(p);
            let options: Vec<Value> = if matches!(ty, "select" | "status") {
                p.get("options")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter(|o| o.get("hidden").and_then(Value::as_bool) != Some(true))
                    .map(|o| json!({"value": o.get("value"), "label": o.get("label")}))
                    .collect()
            } else {
                Vec::new()
            };
            out.push(json!({"slug": slug, "label": label, "type": ty, "options": options}));
        } else {
            if p.get("is_archived").and_then(Value::as_bool) == Some(true) {
                continue;
            }
            let slug = super::text_at(p.get("api_slug").unwrap_or(&Value::Null), &at("api_slug"))?
                .ok_or_else(|| fail(at("api_slug"), "required", "`api_slug` is required"))?;
            let label =
                super::text_at(p.get("title").unwrap_or(&Value::Null), &at("title"))?.unwrap_or_else(|| slug.clone());
            let ty = super::text_at(p.get("type").unwrap_or(&Value::Null), &at("type"))?
                .ok_or_else(|| fail(at("type"), "required", "`type` is required"))?
                .replace('-', "_");
            let options: Vec<Value> = ["options", "statuses"]
                .iter()
                .filter_map(|k| p.get(*k).and_then(Value::as_array))
                .flatten()
                .filter(|o| o.get("is_archived").and_then(Value::as_bool) != Some(true))
                .filter_map(|o| o.get("title").and_then(Value::as_str))
                .map(|t| json!({"value": t, "label": t}))
                .collect();
            out.push(json!({"slug": slug, "label": label, "type": ty, "options": options}));
        }
    }
    Ok(json!({"provider": provider, "attributes": out}))
}

/// `crm.auto_match`: `{attributes: [{slug, label?, type?}]}` (or `{schema, provider?}`, read
/// with [`attributes_op`]) → `{mapping: {slug: attribute}, proposals: [{slug, attribute, label,
/// confidence}], unmatched: [slug]}`.
///
/// ```
/// use serde_json::json;
/// let out = compcode_core::api::run("crm.auto_match", &json!({"attributes": [
///   {"slug": "dealname", "label": "Deal Name", "type": "text"},
///   {"slug": "amount", "label": "Amount", "type": "number"}]})).unwrap();
/// assert_eq!(out["mapping"], json!({"closed_won_revenue": "amount", "deal_name": "dealname"}));
/// assert_eq!(out["proposals"][0]["confidence"], "1.00");
/// ```
pub fn auto_match_op(input: &Value) -> Result<Value> {
    let owned;
    let attrs = match input.get("attributes") {
        Some(Value::Array(a)) => a,
        Some(_) => return Err(fail("attributes", "invalid_type", "`attributes` must be a list")),
        None => {
            owned = attributes_op(input)?;
            owned["attributes"].as_array().ok_or_else(|| fail("schema", "invalid_value", "no attributes"))?
        }
    };
    let mut cands: Vec<(Decimal, usize, String, String)> = Vec::new();
    for (i, a) in attrs.iter().enumerate() {
        let slug = a
            .get("slug")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| fail(format!("attributes[{i}].slug"), "required", "`slug` (a string) is required"))?;
        let label = a.get("label").and_then(Value::as_str).unwrap_or(slug);
        let ty = a.get("type").and_then(Value::as_str).unwrap_or("text");
        for (ci, (_, names, types)) in SYNONYMS.iter().enumerate() {
            let name =
                names.iter().map(|n| similarity(slug, n).max(similarity(label, n))).max().unwrap_or(Decimal::ZERO);
            let factor = if types.contains(&ty) { Decimal::ONE } else { Decimal::new(5, 1) };
            let conf = (name * factor).round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
            if conf >= THRESHOLD {
                cands.push((conf, ci, slug.to_string(), label.to_string()));
            }
        }
    }
    cands.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    let mut mapping = serde_json::Map::new();
    let mut used = std::collections::BTreeSet::new();
    let mut proposals = Vec::new();
    for (conf, ci, slug, label) in cands {
        let canon = SYNONYMS[ci].0;
        if mapping.contains_key(canon) || used.contains(&slug) {
            continue;
        }
        used.insert(slug.clone());
        mapping.insert(canon.to_string(), json!(slug));
        proposals
            .push((ci, json!({"slug": canon, "attribute": slug, "label": label, "confidence": format!("{conf:.2}")})));
    }
    proposals.sort_by_key(|(ci, _)| *ci);
    let unmatched: Vec<&str> = SYNONYMS.iter().map(|s| s.0).filter(|c| !mapping.contains_key(*c)).collect();
    Ok(json!({
        "mapping": mapping,
        "proposals": proposals.into_iter().map(|(_, p)| p).collect::<Vec<_>>(),
        "unmatched": unmatched,
    }))
}

/// Deal attributes a condition may name without a mapping (SPEC §7, §18.1).
const DEAL_ATTRIBUTES: &[&str] = &["stage", "status", "deleted", "amount", "closeDate", "name", "currency"];
/// Measures the engine reads without a mapping (SPEC §4).
const BUILT_IN_MEASURES: &[&str] = &["closed_won_revenue", "amount", "deal_count"];

/// The shape check of a document's `fieldMapping` (`{slug: crmProperty}`, strings).
pub(crate) fn field_mapping_issues(v: Option<&Value>) -> Vec<crate::error::Issue> {
    match v {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Object(m)) => m
            .iter()
            .filter(|(_, p)| !p.as_str().is_some_and(|s| !s.is_empty()))
            .map(|(k, _)| {
                super::issue(format!("fieldMapping.{k}"), "invalid_type", "a CRM property name (a string) is required")
            })
            .collect(),
        Some(_) => {
            vec![super::issue("fieldMapping", "invalid_type", "`fieldMapping` must be an object {slug: crmProperty}")]
        }
    }
}

/// `unknown_field` warnings (SPEC §19): with a saved `fieldMapping` in the document, every rule
/// `measure` and condition `field` (plan-level and rule conditions, nested groups included)
/// that is neither a mapping slug, a built-in measure (`closed_won_revenue`, `amount`,
/// `deal_count`) nor a deal attribute (`stage`, `status`, `deleted`, `amount`, `closeDate`,
/// `name`, `currency`). No mapping, no warnings.
///
/// ```
/// use serde_json::json;
/// let doc = json!({"fieldMapping": {"closed_won_revenue": "amount"}, "plans": [{"planId": "p", "config": {"rules": [
///     {"name": "R", "measure": "gross_margin", "conditions": [{"field": "region", "operator": "is_set"}]}]}}]});
/// let w = compcode_core::crm::catalog::unknown_field_warnings(&doc);
/// assert_eq!(w[0].path, "plans[0].config.rules[0].measure");
/// assert_eq!(w[1].path, "plans[0].config.rules[0].conditions[0].field");
/// ```
pub fn unknown_field_warnings(doc: &Value) -> Vec<crate::error::Issue> {
    let Some(map) = doc.get("fieldMapping").and_then(Value::as_object) else { return Vec::new() };
    let known = |f: &str| map.contains_key(f) || BUILT_IN_MEASURES.contains(&f);
    let mut out = Vec::new();
    fn conds(list: &Value, path: &str, ok: &dyn Fn(&str) -> bool, out: &mut Vec<crate::error::Issue>) {
        for (i, c) in list.as_array().into_iter().flatten().enumerate() {
            let p = format!("{path}[{i}]");
            if let Some(rules) = c.get("rules") {
                conds(rules, &format!("{p}.rules"), ok, out);
            } else if let Some(f) = c.get("field").and_then(Value::as_str) {
                if !ok(f) && !DEAL_ATTRIBUTES.contains(&f) {
                    out.push(crate::error::Issue {
                        path: format!("{p}.field"),
                        code: "unknown_field",
                        message: format!("condition field `{f}` is not in the saved field mapping"),
                        suggestion: None,
                    });
                }
            }
        }
    }
    for (i, plan) in doc.get("plans").and_then(Value::as_array).into_iter().flatten().enumerate() {
        let mut configs = Vec::new();
        if let Some(vs) = plan.get("versions").and_then(Value::as_array) {
            for (j, v) in vs.iter().enumerate() {
                configs.push((format!("plans[{i}].versions[{j}].config"), v.get("config")));
            }
        } else {
            configs.push((format!("plans[{i}].config"), plan.get("config")));
        }
        for (cp, config) in configs {
            let Some(config) = config else { continue };
            if let Some(c) = config.get("conditions") {
                conds(c, &format!("{cp}.conditions"), &known, &mut out);
            }
            for (k, rule) in config.get("rules").and_then(Value::as_array).into_iter().flatten().enumerate() {
                let rp = format!("{cp}.rules[{k}]");
                if let Some(m) = rule.get("measure").and_then(Value::as_str) {
                    if !known(m) {
                        out.push(crate::error::Issue {
                            path: format!("{rp}.measure"),
                            code: "unknown_field",
                            message: format!(
                                "measure `{m}` is neither a built-in measure nor in the saved field mapping"
                            ),
                            suggestion: None,
                        });
                    }
                }
                if let Some(c) = rule.get("conditions") {
                    conds(c, &format!("{rp}.conditions"), &known, &mut out);
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levenshtein_by_hand() {
        let c = |s: &str| s.chars().collect::<Vec<_>>();
        assert_eq!(levenshtein(&c("closingdate"), &c("closedate")), 3);
        assert_eq!(levenshtein(&c("kitten"), &c("sitting")), 3);
        assert_eq!(similarity("Closing Date", "close_date").round_dp(2), Decimal::new(73, 2));
    }
}
