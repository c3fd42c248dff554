//! Plan analysis (SPEC §19): the deterministic core of CompCode's `/api/chat/analyze`.
//! [`analyze_plan`] reads one plan (flat `{planId, name, effectiveStart, config}` or with
//! `versions`) and an optional context, and returns `findings` and a `calibration` table.
//!
//! **Input** — `{plan, context?}`. The context is a calculation document without `plans`:
//! `{asOf?, settings?, reps?, assignments?, quotas?, deals?}` plus the analysis keys
//! `fieldMapping` (`{slug: crmProperty}`, the host's saved mapping), `referenceQuota`,
//! `referenceVariableTarget` and `calibrationDeal` (`{stage?, status?, currency?, fields?}`).
//! Assignments and quotas that name another plan are ignored. The plan and context are validated
//! as one document; a problem is `VALIDATION_FAILED` with paths under `plan.` and `context.`.
//! Without `asOf`, the context's date is its latest deal `closeDate`, else the plan's latest
//! version start (the core reads no clock).
//!
//! **Findings** — `{code, severity, path, message}`; `path` points into the input
//! (`plan.config.rules[0].tiers[2].rate`, `context.assignments[1]`). Codes and exact triggers:
//!
//! | code | severity | when |
//! | --- | --- | --- |
//! | `uncapped_accelerator` | warning | the top tier's rate is above the first tier's rate and the rule has no `maxAmount`, `capMultiplier`, `periodCap`, nor (marginal / interpolated) a `maxThreshold` on the top tier; path: the top tier's `rate` |
//! | `tier_gap` | warning | a per_deal or cascade rule whose first tier starts above 0: credited value below it earns nothing (validation already forbids gaps between tiers, SPEC §6); path: the first tier's `minThreshold`. Periodic rules (bonuses that start at a threshold by design) are exempt |
//! | `unreachable_tier` | warning | a tier of an attainment rule with `minThreshold` > 3.0; path: its `minThreshold` |
//! | `decelerator` | warning | a tier whose rate (or, outside interpolated mode, flat amount) is below the previous tier's; path: its `rate` / `flatAmount` |
//! | `missing_quota` | error | a rep assigned to the plan has no quota at all for a rule that needs one (tierBy attainment, `floorAttainment` or `payoutBase: variable_target`; not rate-table or cascade rules); path: the rep's first assignment; one finding per (rep, rule name) |
//! | `rule_never_fires` | warning | the context has deals and a rule writes no line on them (the real engine on the context, open periods included); path: the rule |
//! | `condition_never_matches` | warning | the context has deals and a top-level plan or rule condition holds for none of them; path: the condition |
//! | `cascade_without_manager` | warning | the context has reps and a cascade rule can pay no one: no rep's level-`level` manager is assigned to the plan (path: the rule); or, on a plan that also pays its reps, an assigned rep who receives no override of this rule and whose level-`level` manager is missing or not assigned (path: the rep's assignment) |
//! | `unknown_field` | warning | the context has a `fieldMapping`, and a rule's `measure` (other than `closed_won_revenue`, `amount`, `deal_count`), a condition's `field` (other than the deal attributes `stage`, `status`, `deleted`, `amount`, `closeDate`, `name`, `currency`), a `creditDateField`, a field `payoutBase` or a milestone `dateField` is not one of its slugs |
//!
//! **Calibration** (SPEC reading: "deals of equal size") — the plan's current version (the
//! active one with the latest `effectiveStart`) runs through the real engine ([`crate::api`]'s
//! simulate) on a synthesized document: for each attainment a in 0.5, 0.75, 1.0, 1.25, 1.5, 2.0,
//! one rep closes `a × 4` deals of `Q / 4` each (a quarter of the reference quota Q), so each row
//! adds deals of the same size to the previous one and its revenue is exactly `a × Q`. Q is
//! `context.referenceQuota`, else the first context quota's target, else 1,000,000 (its
//! `variableTarget` likewise, for capMultiplier and variable_target bases). All deals are dated
//! the version's `effectiveStart`, are won (the first won stage), ordered by id, carry
//! `calibrationDeal`'s fields (plus the rule's measure field when it is not a built-in measure),
//! and each rep has a quota of Q for each of the version's quota rules in the period holding that
//! date; `asOf` is that date + 366 days, so every period is closed and periodic bonuses count.
//! `payout` is the sum of the rep's own rounded lines (cascade rules pay managers, so they add
//! nothing); `effectiveRate` = payout / revenue rounded half away from zero to 4 decimals.

use crate::api::simulate_doc;
use crate::condition::{eval_all, Condition};
use crate::decimal::{fmt_money, fmt_plain, round_money, Rounding};
use crate::error::{Error, Issue, Result};
use crate::model::{CalcDoc, PayoutBase, Phase, Plan, Rule, RuleRef, TierBy, TierMode};
use crate::period::Period;
use crate::validate::{read_document, suggest};
use rust_decimal::Decimal;
use serde_json::{json, Map, Value};
use std::collections::BTreeSet;

const CONTEXT_KEYS: &[&str] = &[
    "asOf",
    "settings",
    "reps",
    "assignments",
    "quotas",
    "deals",
    "fieldMapping",
    "referenceQuota",
    "referenceVariableTarget",
    "calibrationDeal",
];

/// Built-in measures (SPEC §4).
pub const BUILTIN_MEASURES: [&str; 3] = ["closed_won_revenue", "amount", "deal_count"];
/// Deal attributes a condition may read (SPEC §18.1).
pub const DEAL_ATTRIBUTES: [&str; 7] = ["stage", "status", "deleted", "amount", "closeDate", "name", "currency"];
/// The calibration's attainment points, in quarters of quota (0.5 = 2 deals of Q/4).
const CALIBRATION_QUARTERS: [i64; 6] = [2, 3, 4, 5, 6, 8];

fn finding(code: &str, severity: &str, path: String, message: String) -> Value {
    json!({"code": code, "severity": severity, "path": path, "message": message})
}

fn invalid(path: &str, code: &'static str, message: &str) -> Error {
    Error::validation(vec![Issue { path: path.into(), code, message: message.into(), suggestion: None }])
}

/// `analyze_plan` as an operation: `{plan, context?}` → `{planId, findings, calibration,
/// summary}` (see the module docs for every rule).
///
/// ```
/// use serde_json::json;
/// let plan = json!({"planId": "ae", "name": "AE", "effectiveStart": "2026-01-01", "config": {"rules": [{
///     "name": "Revenue", "measure": "closed_won_revenue",
///     "tiers": [{"tierIndex": 0, "name": "Base", "minThreshold": 0, "rate": "0.08"},
///               {"tierIndex": 1, "name": "Accelerator", "minThreshold": 1, "rate": "0.12"}]}]}});
/// let out = compcode_core::api::run("analyze_plan", &json!({"plan": plan})).unwrap();
/// assert_eq!(out["findings"][0]["code"], "uncapped_accelerator");
/// assert_eq!(out["findings"][0]["path"], "plan.config.rules[0].tiers[1].rate");
/// // 1.0 of 1,000,000 in four deals of 250,000: three at 8%, the fourth reaches 1.0 → 12%
/// assert_eq!(out["calibration"]["rows"][2]["payout"], "90000.00");
/// ```
pub fn analyze_plan_op(input: &Value) -> Result<Value> {
    let plan = match input.get("plan") {
        Some(p @ Value::Object(_)) => p,
        Some(_) => return Err(invalid("plan", "invalid_type", "`plan` must be an object (a plan)")),
        None => return Err(invalid("plan", "required", "`plan` (a plan with `config` or `versions`) is required")),
    };
    let empty = Map::new();
    let ctx = match input.get("context") {
        None | Some(Value::Null) => &empty,
        Some(Value::Object(m)) => m,
        Some(_) => return Err(invalid("context", "invalid_type", "`context` must be an object")),
    };
    analyze_plan(plan, ctx)
}

/// Analyzes one plan in a context (a calculation document without plans); see the module docs.
///
/// ```
/// use serde_json::json;
/// let plan = json!({"planId": "p", "name": "P", "effectiveStart": "2026-01-01", "config": {"rules": [{
///     "name": "R", "measure": "arr", "tierBy": "value",
///     "tiers": [{"tierIndex": 0, "name": "T", "minThreshold": 0, "rate": "0.1"}]}]}});
/// let ctx = json!({"fieldMapping": {"closed_won_revenue": "amount"}});
/// let out = compcode_core::analysis::analyze_plan(&plan, ctx.as_object().unwrap()).unwrap();
/// assert_eq!(out["findings"][0]["code"], "unknown_field");
/// assert_eq!(out["findings"][0]["path"], "plan.config.rules[0].measure");
/// ```
pub fn analyze_plan(plan: &Value, ctx: &Map<String, Value>) -> Result<Value> {
    let mut issues = Vec::new();
    for k in ctx.keys() {
        if !CONTEXT_KEYS.contains(&k.as_str()) {
            issues.push(Issue {
                path: format!("context.{k}"),
                code: "unknown_field",
                message: format!("unknown context key `{k}`"),
                suggestion: suggest(k, CONTEXT_KEYS),
            });
        }
    }
    let plan_id = plan.get("planId").or_else(|| plan.get("id")).and_then(Value::as_str).map(str::to_string);
    let is_flat = plan.get("config").is_some() && plan.get("versions").is_none();
    // context lists, keeping their original positions for paths
    let of_plan = |v: &Value| match v.get("planId").and_then(Value::as_str) {
        Some(p) => plan_id.as_deref() == Some(p),
        None => true,
    };
    let pick = |key: &str, keep: &dyn Fn(&Value) -> bool| -> (Vec<Value>, Vec<usize>) {
        let mut items = Vec::new();
        let mut at = Vec::new();
        if let Some(a) = ctx.get(key).and_then(Value::as_array) {
            for (i, v) in a.iter().enumerate() {
                if keep(v) {
                    items.push(v.clone());
                    at.push(i);
                }
            }
        }
        (items, at)
    };
    let (assignments, assignment_at) = pick("assignments", &of_plan);
    let (quotas, quota_at) = pick("quotas", &of_plan);
    for key in ["assignments", "quotas"] {
        if ctx.get(key).is_some_and(|v| !v.is_array() && !v.is_null()) {
            issues.push(Issue {
                path: format!("context.{key}"),
                code: "invalid_type",
                message: format!("`{key}` must be a list"),
                suggestion: None,
            });
        }
    }
    let field_mapping: Option<BTreeSet<String>> = match ctx.get("fieldMapping") {
        None | Some(Value::Null) => None,
        Some(Value::Object(m)) => Some(m.keys().cloned().collect()),
        Some(_) => {
            issues.push(Issue {
                path: "context.fieldMapping".into(),
                code: "invalid_type",
                message: "`fieldMapping` must be an object `{slug: crmProperty}`".into(),
                suggestion: None,
            });
            None
        }
    };
    let ref_quota = context_decimal(ctx, "referenceQuota", &mut issues);
    let ref_vt = context_decimal(ctx, "referenceVariableTarget", &mut issues);
    if ref_quota.is_some_and(|q| q <= Decimal::ZERO) {
        issues.push(Issue {
            path: "context.referenceQuota".into(),
            code: "invalid_value",
            message: "`referenceQuota` must be above 0".into(),
            suggestion: None,
        });
    }
    let cal_deal = match ctx.get("calibrationDeal") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(m)) => m.clone(),
        Some(_) => {
            issues.push(Issue {
                path: "context.calibrationDeal".into(),
                code: "invalid_type",
                message: "`calibrationDeal` must be an object `{stage?, status?, currency?, fields?}`".into(),
                suggestion: None,
            });
            Map::new()
        }
    };
    let deals = ctx.get("deals").cloned().unwrap_or_else(|| json!([]));
    let as_of = match ctx.get("asOf") {
        Some(a) if !a.is_null() => a.clone(),
        _ => default_as_of(plan, &deals),
    };
    let mut doc_json = json!({
        "asOf": as_of,
        "reps": ctx.get("reps").cloned().unwrap_or_else(|| json!([])),
        "plans": [plan],
        "assignments": assignments,
        "quotas": quotas,
        "deals": deals,
        "options": {"trace": false, "includeOpenPeriods": true},
    });
    if let Some(s) = ctx.get("settings") {
        doc_json["settings"] = s.clone();
    }
    let doc = match read_document(&doc_json) {
        Ok(d) if issues.is_empty() => d,
        Ok(_) => return Err(Error::validation(issues)),
        Err(e) => {
            // every problem at once: the context's own, then the document's
            let e = relocate(e, &assignment_at, &quota_at);
            let more: Vec<Issue> = e
                .details()
                .get("errors")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .cloned()
                .filter_map(|v| serde_json::from_value::<crate::api::IssueIn>(v).ok())
                .map(crate::api::IssueIn::into_issue)
                .collect();
            if more.is_empty() && issues.is_empty() {
                return Err(e);
            }
            issues.extend(more);
            return Err(Error::validation(issues));
        }
    };
    let Some(p) = doc.plans.first() else { return Err(invalid("plan", "invalid_value", "the plan could not be read")) };

    let mut findings = Vec::new();
    let cfg_path = |vi: usize| if is_flat { "plan.config".to_string() } else { format!("plan.versions[{vi}].config") };
    let cfg_json = |vi: usize| {
        if is_flat {
            plan.get("config")
        } else {
            plan.get("versions").and_then(|v| v.get(vi)).and_then(|v| v.get("config"))
        }
    };

    // 1. the rules themselves
    for (vi, v) in p.versions.iter().enumerate() {
        let cfg = cfg_path(vi);
        let rules_json = cfg_json(vi).and_then(|c| c.get("rules")).and_then(Value::as_array);
        for (ri, rule) in v.config.rules.iter().enumerate() {
            let rp = format!("{cfg}.rules[{ri}]");
            let rj = rules_json.and_then(|r| r.get(ri));
            tier_findings(rule, &rp, rj, &mut findings);
            if let Some(known) = &field_mapping {
                field_findings(rule, &rp, rj, known, &mut findings);
            }
        }
        if let Some(known) = &field_mapping {
            if let Some(conds) = cfg_json(vi).and_then(|c| c.get("conditions")).and_then(Value::as_array) {
                for (k, c) in conds.iter().enumerate() {
                    leaf_fields(c, &format!("{cfg}.conditions[{k}]"), known, &mut findings);
                }
            }
        }
    }

    // 2. the context: quotas, managers, sample deals
    missing_quota(&doc, p, &assignment_at, &mut findings);
    cascade_without_manager(&doc, p, &cfg_path, &assignment_at, &mut findings);
    if !doc.deals.is_empty() {
        sample_deal_findings(&doc, p, &cfg_path, &mut findings)?;
    }

    let calibration = calibrate(&doc, p, plan, ctx, ref_quota, ref_vt, &cal_deal)?;
    let count = |s: &str| findings.iter().filter(|f| f["severity"] == s).count();
    let summary = json!({"errors": count("error"), "warnings": count("warning"), "infos": count("info")});
    Ok(json!({"planId": p.plan_id, "findings": findings, "calibration": calibration, "summary": summary}))
}

fn context_decimal(ctx: &Map<String, Value>, key: &str, issues: &mut Vec<Issue>) -> Option<Decimal> {
    let v = ctx.get(key).filter(|v| !v.is_null())?;
    match crate::condition::number_of(v) {
        Some(d) => Some(d),
        None => {
            issues.push(Issue {
                path: format!("context.{key}"),
                code: "invalid_decimal",
                message: format!("`{key}` must be a decimal"),
                suggestion: None,
            });
            None
        }
    }
}

/// The latest deal close date, else the plan's latest version start (as written).
fn default_as_of(plan: &Value, deals: &Value) -> Value {
    let latest_deal = deals
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|d| d.get("closeDate").and_then(Value::as_str))
        .filter(|d| crate::period::parse_date(d, true).is_some())
        .max();
    if let Some(d) = latest_deal {
        return json!(d);
    }
    let starts = std::iter::once(plan.get("effectiveStart"))
        .chain(plan.get("versions").and_then(Value::as_array).into_iter().flatten().map(|v| v.get("effectiveStart")))
        .flatten()
        .filter_map(Value::as_str)
        .filter(|d| crate::period::parse_date(d, true).is_some())
        .max();
    starts.map_or(Value::Null, |s| json!(s))
}

/// Moves validation paths of the synthesized document onto the caller's input.
fn relocate(e: Error, assignment_at: &[usize], quota_at: &[usize]) -> Error {
    let Some(items) = e.details().get("errors").and_then(Value::as_array) else { return e };
    let issues: Vec<Issue> = items
        .iter()
        .cloned()
        .filter_map(|v| serde_json::from_value::<crate::api::IssueIn>(v).ok())
        .map(|i| {
            let mut i = i.into_issue();
            i.path = relocate_path(&i.path, assignment_at, quota_at);
            i
        })
        .collect();
    if issues.is_empty() {
        e
    } else {
        Error::validation(issues)
    }
}

fn relocate_path(path: &str, assignment_at: &[usize], quota_at: &[usize]) -> String {
    if let Some(rest) = path.strip_prefix("plans[0]") {
        return format!("plan{rest}");
    }
    for (key, at) in [("assignments", assignment_at), ("quotas", quota_at)] {
        if let Some(rest) = path.strip_prefix(&format!("{key}[")) {
            if let Some((n, tail)) = rest.split_once(']') {
                if let Some(orig) = n.parse::<usize>().ok().and_then(|n| at.get(n)) {
                    return format!("context.{key}[{orig}]{tail}");
                }
            }
        }
    }
    if path.is_empty() {
        "context".into()
    } else {
        format!("context.{path}")
    }
}

/// The JSON position of each sorted tier (tiers are sorted by `tierIndex`, default: position).
fn tier_positions(rule: &Rule, rj: Option<&Value>) -> Vec<usize> {
    let items = rj.and_then(|r| r.get("tiers")).and_then(Value::as_array);
    rule.tiers
        .iter()
        .enumerate()
        .map(|(sorted, t)| {
            items
                .and_then(|a| {
                    a.iter().enumerate().position(|(j, x)| {
                        x.get("tierIndex").and_then(Value::as_i64).unwrap_or(j as i64) == t.tier_index
                    })
                })
                .unwrap_or(sorted)
        })
        .collect()
}

fn tier_findings(rule: &Rule, rp: &str, rj: Option<&Value>, out: &mut Vec<Value>) {
    let tiers = &rule.tiers;
    if tiers.is_empty() {
        return;
    }
    let at = tier_positions(rule, rj);
    let tp = |i: usize, key: &str| format!("{rp}.tiers[{}].{key}", at[i]);
    let first = &tiers[0];
    let last = tiers.len() - 1;
    // uncapped accelerator
    if let (Some(base), Some(top)) = (first.rate, tiers[last].rate) {
        let capped = rule.max_amount.is_some()
            || rule.cap_multiplier.is_some()
            || rule.period_cap.is_some()
            || (rule.tier_mode != TierMode::FullRate && tiers[last].max_threshold.is_some());
        if last > 0 && top > base && !capped {
            out.push(finding(
                "uncapped_accelerator",
                "warning",
                tp(last, "rate"),
                format!(
                    "rule `{}`: the top tier `{}` pays {} (above the base rate {}) with no cap (maxAmount, capMultiplier or periodCap): payouts grow without limit",
                    rule.name, tiers[last].name, fmt_plain(top), fmt_plain(base)
                ),
            ));
        }
    }
    // a band from zero that pays nothing
    if rule.phase != Phase::Periodic && first.min_threshold > Decimal::ZERO {
        out.push(finding(
            "tier_gap",
            "warning",
            tp(0, "minThreshold"),
            format!(
                "rule `{}`: the first tier starts at {}; {} below it earns nothing",
                rule.name,
                fmt_plain(first.min_threshold),
                if rule.tier_by == TierBy::Attainment { "attainment" } else { "credited value" }
            ),
        ));
    }
    // unreachable tiers
    if rule.tier_by == TierBy::Attainment && rule.phase != Phase::Cascade {
        for (i, t) in tiers.iter().enumerate() {
            if t.min_threshold > Decimal::from(3) {
                out.push(finding(
                    "unreachable_tier",
                    "warning",
                    tp(i, "minThreshold"),
                    format!(
                        "rule `{}`: tier `{}` needs {}× quota (above 3.0): practically unreachable",
                        rule.name,
                        t.name,
                        fmt_plain(t.min_threshold)
                    ),
                ));
            }
        }
    }
    // decelerators
    for i in 1..tiers.len() {
        let (a, b) = (&tiers[i - 1], &tiers[i]);
        let fell = match (a.rate, b.rate, a.flat_amount, b.flat_amount) {
            (Some(x), Some(y), _, _) => Some(("rate", x, y)),
            (_, _, Some(x), Some(y)) if rule.tier_mode != TierMode::Interpolated => Some(("flatAmount", x, y)),
            _ => None,
        };
        if let Some((key, x, y)) = fell.filter(|(_, x, y)| y < x) {
            out.push(finding(
                "decelerator",
                "warning",
                tp(i, key),
                format!(
                    "rule `{}`: tier `{}` pays {} where the tier below (`{}`) pays {}: the payout falls as performance rises",
                    rule.name,
                    b.name,
                    fmt_plain(y),
                    a.name,
                    fmt_plain(x)
                ),
            ));
        }
    }
}

fn unknown(out: &mut Vec<Value>, path: String, what: &str, field: &str) {
    out.push(finding(
        "unknown_field",
        "warning",
        path,
        format!("{what} `{field}` is neither built in nor a slug of the saved field mapping"),
    ));
}

fn field_findings(rule: &Rule, rp: &str, rj: Option<&Value>, known: &BTreeSet<String>, out: &mut Vec<Value>) {
    let ok = |f: &str| known.contains(f);
    if !BUILTIN_MEASURES.contains(&rule.measure.as_str()) && !ok(&rule.measure) {
        unknown(out, format!("{rp}.measure"), "measure", &rule.measure);
    }
    if let Some(f) = &rule.credit_date_field {
        if !DEAL_ATTRIBUTES.contains(&f.as_str()) && !ok(f) {
            unknown(out, format!("{rp}.creditDateField"), "credit date field", f);
        }
    }
    if let PayoutBase::Field(f) = &rule.payout_base {
        if !ok(f) {
            unknown(out, format!("{rp}.payoutBase"), "payout base field", f);
        }
    }
    let Some(rj) = rj else { return };
    for (k, c) in rj.get("conditions").and_then(Value::as_array).into_iter().flatten().enumerate() {
        leaf_fields(c, &format!("{rp}.conditions[{k}]"), known, out);
    }
    for (k, m) in rj.get("milestones").and_then(Value::as_array).into_iter().flatten().enumerate() {
        let mp = format!("{rp}.milestones[{k}]");
        for (j, c) in m.get("when").and_then(Value::as_array).into_iter().flatten().enumerate() {
            leaf_fields(c, &format!("{mp}.when[{j}]"), known, out);
        }
        if let Some(f) = m.get("dateField").and_then(Value::as_str) {
            if !DEAL_ATTRIBUTES.contains(&f) && !ok(f) {
                unknown(out, format!("{mp}.dateField"), "milestone date field", f);
            }
        }
    }
}

fn leaf_fields(c: &Value, path: &str, known: &BTreeSet<String>, out: &mut Vec<Value>) {
    if let Some(rules) = c.get("rules").and_then(Value::as_array) {
        for (m, r) in rules.iter().enumerate() {
            leaf_fields(r, &format!("{path}.rules[{m}]"), known, out);
        }
    } else if let Some(f) = c.get("field").and_then(Value::as_str) {
        if !DEAL_ATTRIBUTES.contains(&f) && !known.contains(f) {
            unknown(out, format!("{path}.field"), "condition field", f);
        }
    }
}

fn needs_quota(r: &Rule) -> bool {
    r.phase != Phase::Cascade
        && r.rate_table.is_none()
        && (r.tier_by == TierBy::Attainment
            || r.floor_attainment.is_some()
            || r.payout_base == PayoutBase::VariableTarget)
}

fn quota_names(q: &RuleRef, plan: &Plan, rule: &Rule) -> bool {
    match q {
        RuleRef::RuleId(id) => rule.id.as_deref() == Some(id.as_str()),
        RuleRef::Named(p, n) => p == &plan.plan_id && n == &rule.name,
        RuleRef::Shortcut(p, n) => n == &rule.name && p.as_ref().map_or(true, |p| p == &plan.plan_id),
    }
}

fn missing_quota(doc: &CalcDoc, p: &Plan, assignment_at: &[usize], out: &mut Vec<Value>) {
    let mut seen = BTreeSet::new();
    for (ai, a) in doc.assignments.iter().enumerate() {
        for v in &p.versions {
            for rule in v.config.rules.iter().filter(|r| needs_quota(r)) {
                if !seen.insert((a.rep_id.clone(), rule.name.clone())) {
                    continue;
                }
                if !doc.quotas.iter().any(|q| q.rep_id == a.rep_id && quota_names(&q.rule, p, rule)) {
                    out.push(finding(
                        "missing_quota",
                        "error",
                        format!("context.assignments[{}]", assignment_at.get(ai).copied().unwrap_or(ai)),
                        format!(
                            "rep `{}` is assigned to plan `{}` but has no quota for rule `{}`: every deal is skipped (quota_missing)",
                            a.rep_id, p.plan_id, rule.name
                        ),
                    ));
                }
            }
        }
    }
}

/// The rep `level` steps up the chain from `rep`, if any.
fn manager_at(doc: &CalcDoc, rep: &str, level: u32) -> Option<String> {
    let mut cur = rep.to_string();
    for _ in 0..level {
        let next = doc.reps.iter().find(|r| r.id == cur)?.manager_id.clone()?;
        cur = next;
    }
    Some(cur)
}

fn cascade_without_manager(
    doc: &CalcDoc,
    p: &Plan,
    cfg_path: &dyn Fn(usize) -> String,
    assignment_at: &[usize],
    out: &mut Vec<Value>,
) {
    if doc.reps.is_empty() {
        return;
    }
    let assigned: BTreeSet<&str> = doc.assignments.iter().map(|a| a.rep_id.as_str()).collect();
    let mut seen = BTreeSet::new();
    for (vi, v) in p.versions.iter().enumerate() {
        let pays_reps = v.config.rules.iter().any(|r| r.phase != Phase::Cascade);
        for (ri, rule) in v.config.rules.iter().enumerate().filter(|(_, r)| r.phase == Phase::Cascade) {
            if !seen.insert((rule.name.clone(), rule.level)) {
                continue;
            }
            let receivers: BTreeSet<String> = doc
                .reps
                .iter()
                .filter_map(|r| manager_at(doc, &r.id, rule.level))
                .filter(|m| assigned.contains(m.as_str()))
                .collect();
            if receivers.is_empty() {
                out.push(finding(
                    "cascade_without_manager",
                    "warning",
                    format!("{}.rules[{ri}]", cfg_path(vi)),
                    format!(
                        "cascade rule `{}` (level {}) pays no one: no rep's level-{} manager is assigned to plan `{}`",
                        rule.name, rule.level, rule.level, p.plan_id
                    ),
                ));
                continue;
            }
            if !pays_reps {
                continue;
            }
            let mut flagged = BTreeSet::new();
            for (ai, a) in doc.assignments.iter().enumerate() {
                if receivers.contains(&a.rep_id) || !flagged.insert(a.rep_id.clone()) {
                    continue;
                }
                let m = manager_at(doc, &a.rep_id, rule.level);
                if m.as_deref().map_or(true, |m| !assigned.contains(m)) {
                    out.push(finding(
                        "cascade_without_manager",
                        "warning",
                        format!("context.assignments[{}]", assignment_at.get(ai).copied().unwrap_or(ai)),
                        format!(
                            "rep `{}` earns on plan `{}` but {}: cascade rule `{}` pays no one for them",
                            a.rep_id,
                            p.plan_id,
                            match m {
                                Some(m) =>
                                    format!("their level-{} manager `{m}` is not assigned to the plan", rule.level),
                                None => format!("has no level-{} manager", rule.level),
                            },
                            rule.name
                        ),
                    ));
                }
            }
        }
    }
}

fn sample_deal_findings(
    doc: &CalcDoc,
    p: &Plan,
    cfg_path: &dyn Fn(usize) -> String,
    out: &mut Vec<Value>,
) -> Result<()> {
    let never = |c: &Condition| !doc.deals.iter().any(|d| eval_all(&[std::slice::from_ref(c)], d, doc.as_of).pass);
    let n = doc.deals.len();
    let msg = |what: String| format!("{what} holds for none of the {n} sample deal(s)");
    for (vi, v) in p.versions.iter().enumerate() {
        let cfg = cfg_path(vi);
        for (k, c) in v.config.conditions.iter().enumerate() {
            if never(c) {
                out.push(finding(
                    "condition_never_matches",
                    "warning",
                    format!("{cfg}.conditions[{k}]"),
                    msg("this plan condition".into()),
                ));
            }
        }
        for (ri, rule) in v.config.rules.iter().enumerate() {
            for (k, c) in rule.conditions.iter().enumerate() {
                if never(c) {
                    out.push(finding(
                        "condition_never_matches",
                        "warning",
                        format!("{cfg}.rules[{ri}].conditions[{k}]"),
                        msg(format!("this condition of rule `{}`", rule.name)),
                    ));
                }
            }
        }
    }
    let sim = simulate_doc(doc)?;
    for (vi, v) in p.versions.iter().enumerate() {
        for (ri, rule) in v.config.rules.iter().enumerate() {
            let fired = sim.events.iter().any(|e| e.plan_id == p.plan_id && e.rule_name == rule.name);
            if !fired {
                out.push(finding(
                    "rule_never_fires",
                    "warning",
                    format!("{}.rules[{ri}]", cfg_path(vi)),
                    format!("rule `{}` writes no line on the {n} sample deal(s)", rule.name),
                ));
            }
        }
    }
    Ok(())
}

fn calibrate(
    doc: &CalcDoc,
    p: &Plan,
    plan_json: &Value,
    ctx: &Map<String, Value>,
    ref_quota: Option<Decimal>,
    ref_vt: Option<Decimal>,
    cal_deal: &Map<String, Value>,
) -> Result<Value> {
    let Some(v) = p.versions.iter().filter(|v| v.active).max_by(|a, b| {
        (a.effective_start, a.version, &a.plan_version_id).cmp(&(b.effective_start, b.version, &b.plan_version_id))
    }) else {
        return Ok(Value::Null);
    };
    let first_quota = doc.quotas.first();
    let q = ref_quota.or_else(|| first_quota.map(|q| q.target)).unwrap_or_else(|| Decimal::from(1_000_000));
    let vt = ref_vt.or_else(|| if ref_quota.is_none() { first_quota.and_then(|q| q.variable_target) } else { None });
    let size = q.checked_div(Decimal::from(4)).ok_or_else(|| Error::overflow("the calibration deal size"))?;
    let date = v.effective_start;
    let fy = doc.settings.fiscal_year_start_month;
    let stage = doc.settings.won_stages.first().cloned().unwrap_or_else(|| "closed_won".into());
    let mut fields = cal_deal.get("fields").and_then(Value::as_object).cloned().unwrap_or_default();
    for r in &v.config.rules {
        if !BUILTIN_MEASURES.contains(&r.measure.as_str()) {
            fields.insert(r.measure.clone(), json!(fmt_plain(size)));
        }
    }
    let mut reps = Vec::new();
    let mut assignments = Vec::new();
    let mut quotas = Vec::new();
    let mut deals = Vec::new();
    for (k, quarters) in CALIBRATION_QUARTERS.iter().enumerate() {
        let rep = format!("calibration-{}", k + 1);
        reps.push(json!({"id": rep, "name": rep}));
        assignments.push(json!({"repId": rep, "planId": p.plan_id, "effectiveStart": date.to_string()}));
        for r in v.config.rules.iter().filter(|r| r.phase != Phase::Cascade && r.rate_table.is_none()) {
            let mut qj = json!({"repId": rep, "planId": p.plan_id, "ruleName": r.name,
                "period": Period::containing(date, r.period_kind, fy).to_string(), "target": fmt_plain(q)});
            if let Some(vt) = vt {
                qj["variableTarget"] = json!(fmt_plain(vt));
            }
            quotas.push(qj);
        }
        for i in 1..=*quarters {
            let mut d = json!({"id": format!("cal-{}-{i:02}", k + 1), "name": format!("calibration deal {i}"),
                "stage": cal_deal.get("stage").cloned().unwrap_or_else(|| json!(stage)),
                "amount": fmt_plain(size), "closeDate": date.to_string(), "ownerRepId": rep, "fields": fields});
            for key in ["status", "currency"] {
                if let Some(x) = cal_deal.get(key) {
                    d[key] = x.clone();
                }
            }
            deals.push(d);
        }
    }
    let as_of = date.checked_add_days(chrono::Days::new(366)).unwrap_or(date);
    let mut cal = json!({"asOf": as_of.to_string(), "reps": reps, "plans": [plan_json], "assignments": assignments,
        "quotas": quotas, "deals": deals, "options": {"trace": false}});
    if let Some(s) = ctx.get("settings") {
        cal["settings"] = s.clone();
    }
    let cal_doc = read_document(&cal)?;
    let sim = simulate_doc(&cal_doc)?;
    let dp = doc.settings.currency_precision;
    let mut rows = Vec::new();
    for (k, quarters) in CALIBRATION_QUARTERS.iter().enumerate() {
        let rep = format!("calibration-{}", k + 1);
        let mut payout = Decimal::ZERO;
        for e in sim.events.iter().filter(|e| e.rep_id == rep) {
            let a: Decimal = e.amount.parse().map_err(|_| Error::overflow("a calibration line"))?;
            payout = payout.checked_add(a).ok_or_else(|| Error::overflow("a calibration payout"))?;
        }
        let attainment = Decimal::new(*quarters, 0) / Decimal::from(4);
        let revenue =
            size.checked_mul(Decimal::from(*quarters)).ok_or_else(|| Error::overflow("calibration revenue"))?;
        let rate = payout.checked_div(revenue).map(|r| round_money(r, 4, Rounding::HalfAwayFromZero));
        rows.push(json!({
            "attainment": fmt_plain(attainment),
            "deals": quarters,
            "revenue": fmt_plain(revenue),
            "payout": fmt_money(payout, dp),
            "effectiveRate": rate.map(fmt_plain),
        }));
    }
    Ok(json!({
        "planVersionId": v.plan_version_id,
        "referenceQuota": fmt_plain(q),
        "variableTarget": vt.map(fmt_plain),
        "dealSize": fmt_plain(size),
        "creditDate": date.to_string(),
        "rows": rows,
    }))
}
