//! Plan-change impact (SPEC §19): [`diff_plans`] simulates two versions of one plan on the same
//! deals, quotas and assignments and reports, per rep and in total, the old and new payouts and
//! their delta, and the deals whose payout changed most.
//!
//! SPEC readings:
//! - `versionA` and `versionB` are `planVersionId`s of the same plan in the document (a flat plan's
//!   only version is `"<planId>:v1"`, SPEC §18.20), or dates `YYYY-MM-DD` naming the version in
//!   force on that day (SPEC §5, §8.5: the active version whose range holds it, latest start
//!   first) of the plan `planId` (optional when the document has one plan). An id is looked up
//!   first, so a version id that looks like a date still names that version. The answer names
//!   the versions by id. Each run replaces that plan's versions by the
//!   one version, made active and in force over the whole span the plan's versions cover (the
//!   earliest `effectiveStart` to the latest `effectiveEnd`, open-ended if any version is), so
//!   every deal the plan could pay is computed under A, then under B. Everything else in the
//!   document (other plans, reps, quotas, assignments, overrides, scope, `asOf`) is the same in
//!   both runs; traces are off. Two things belong to a version and follow it: per-rep tier
//!   overrides of the plan's other versions are left out of a run, and a quota naming a rule id
//!   of another version names that rule by plan and name instead (the same quota, SPEC §5).
//! - Totals cover every line of the run (all plans): a cascade on another plan that reads this
//!   plan's payouts moves with it; unaffected lines cancel out in the delta.
//! - Per rep: every rep with a line in either run, in document order. Per deal: the sum of the
//!   lines carrying the deal id (every rep, every rule); only deals whose payout changed are
//!   listed, by |delta| descending, ties by deal id (byte order), at most `top` (default 10;
//!   0 lists none), each with its `rank` (1 = most changed). Amounts are money strings.

use crate::api::{simulate, SimulateResult};
use crate::decimal::fmt_money;
use crate::error::{Error, Issue, Result};
use crate::validate::read_document;
use rust_decimal::Decimal;
use serde_json::{json, Value};
use std::collections::BTreeMap;

fn bad(path: &str, code: &'static str, message: String) -> Error {
    Error::validation(vec![Issue { path: path.into(), code, message, suggestion: None }])
}

/// `diff_plans` as an operation: `{document, versionA, versionB, planId?, top?}` →
/// `{planId, versionA, versionB, total: {old, new, delta}, reps: [{repId, repName, old, new,
/// delta}], deals: [{rank, dealId, dealName, old, new, delta}], changedDeals}`.
///
/// ```
/// use serde_json::json;
/// let version = |id: &str, rate: &str| json!({"planVersionId": id, "effectiveStart": "2026-01-01",
///     "config": {"rules": [{"name": "R", "measure": "amount", "tierBy": "value",
///     "tiers": [{"tierIndex": 0, "name": "T", "minThreshold": 0, "rate": rate}]}]}});
/// let doc = json!({"asOf": "2026-04-01", "reps": [{"id": "alice", "name": "Alice"}],
///   "plans": [{"planId": "p", "name": "P", "versions": [version("v1", "0.05"), version("v2", "0.06")]}],
///   "assignments": [{"repId": "alice", "planId": "p", "effectiveStart": "2026-01-01"}],
///   "deals": [{"id": "D1", "stage": "closed_won", "amount": "1000", "closeDate": "2026-02-01", "ownerRepId": "alice"}]});
/// let out = compcode_core::api::run("diff_plans", &json!({"document": doc, "versionA": "v1", "versionB": "v2"})).unwrap();
/// assert_eq!(out["total"], json!({"old": "50.00", "new": "60.00", "delta": "10.00"}));
/// assert_eq!(out["deals"][0]["dealId"], "D1");
/// ```
pub fn diff_plans_op(input: &Value) -> Result<Value> {
    let Some(document) = input.get("document").filter(|d| d.is_object()) else {
        return Err(bad("document", "required", "`document` (a calculation document) is required".into()));
    };
    let version = |key: &str| -> Result<String> {
        match input.get(key) {
            Some(Value::String(s)) => Ok(s.clone()),
            Some(_) => Err(bad(key, "invalid_type", format!("`{key}` must be a planVersionId (a string)"))),
            None => Err(bad(key, "required", format!("`{key}` (a planVersionId) is required"))),
        }
    };
    let (a, b) = (version("versionA")?, version("versionB")?);
    let top = match input.get("top") {
        None | Some(Value::Null) => 10,
        Some(v) => v
            .as_u64()
            .and_then(|n| usize::try_from(n).ok())
            .ok_or_else(|| bad("top", "invalid_value", "`top` must be a whole number ≥ 0".into()))?,
    };
    let plan_id = match input.get("planId") {
        None | Some(Value::Null) => None,
        Some(Value::String(p)) => Some(p.clone()),
        Some(_) => return Err(bad("planId", "invalid_type", "`planId` must be a string".into())),
    };
    diff_plans_in(document, plan_id.as_deref(), &a, &b, top)
}

/// Runs the document under version `a`, then `b`, of the plan holding them, and compares.
///
/// ```
/// use serde_json::json;
/// let doc = json!({"asOf": "2026-04-01", "reps": [], "plans": [], "deals": []});
/// let err = compcode_core::diff::diff_plans(&doc, "v1", "v2", 10).unwrap_err();
/// assert_eq!(err.details()["errors"][0]["path"], "versionA");
/// ```
pub fn diff_plans(document: &Value, a: &str, b: &str, top: usize) -> Result<Value> {
    diff_plans_in(document, None, a, b, top)
}

/// [`diff_plans`] with the plan named, for versions given as dates (see the module docs).
///
/// ```
/// use serde_json::json;
/// let version = |id: &str, start: &str, rate: &str| json!({"planVersionId": id, "effectiveStart": start,
///     "config": {"rules": [{"name": "R", "measure": "amount", "tierBy": "value",
///     "tiers": [{"tierIndex": 0, "name": "T", "minThreshold": 0, "rate": rate}]}]}});
/// let doc = json!({"asOf": "2026-04-01", "reps": [{"id": "alice", "name": "Alice"}],
///   "plans": [{"planId": "p", "name": "P", "versions": [version("v1", "2026-01-01", "0.05"), version("v2", "2026-03-01", "0.06")]}],
///   "assignments": [{"repId": "alice", "planId": "p", "effectiveStart": "2026-01-01"}],
///   "deals": [{"id": "D1", "stage": "closed_won", "amount": "1000", "closeDate": "2026-02-01", "ownerRepId": "alice"}]});
/// let out = compcode_core::diff::diff_plans_in(&doc, Some("p"), "2026-02-15", "2026-03-01", 10).unwrap();
/// assert_eq!(out["versionA"], "v1");
/// assert_eq!(out["versionB"], "v2");
/// assert_eq!(out["total"]["delta"], "10.00");
/// ```
pub fn diff_plans_in(document: &Value, plan_id: Option<&str>, a: &str, b: &str, top: usize) -> Result<Value> {
    let doc = read_document(document).map_err(|e| prefix(e, "document"))?;
    if let Some(p) = plan_id {
        if !doc.plans.iter().any(|x| x.plan_id == p) {
            return Err(bad("planId", "unknown_reference", format!("no plan `{p}` in the document")));
        }
    }
    let by_date = |id: &str| -> Option<(usize, usize)> {
        let date = crate::period::parse_date(id, false)?;
        let pi = match plan_id {
            Some(p) => doc.plans.iter().position(|x| x.plan_id == p)?,
            None if doc.plans.len() == 1 => 0,
            None => return None,
        };
        doc.plans[pi].version_on(date).map(|vi| (pi, vi))
    };
    let locate = |id: &str| {
        doc.plans
            .iter()
            .enumerate()
            .filter(|(_, p)| plan_id.map_or(true, |x| x == p.plan_id))
            .find_map(|(pi, p)| p.versions.iter().position(|v| v.plan_version_id == id).map(|vi| (pi, vi)))
            .or_else(|| by_date(id))
    };
    let (pa, va) = locate(a).ok_or_else(|| {
        bad(
            "versionA",
            "unknown_reference",
            format!("no plan version `{a}` (an id, or a date with a version in force)"),
        )
    })?;
    let (pb, vb) = locate(b).ok_or_else(|| {
        bad(
            "versionB",
            "unknown_reference",
            format!("no plan version `{b}` (an id, or a date with a version in force)"),
        )
    })?;
    if pa != pb {
        return Err(bad(
            "versionB",
            "invalid_value",
            format!(
                "`{a}` and `{b}` belong to different plans (`{}`, `{}`)",
                doc.plans[pa].plan_id, doc.plans[pb].plan_id
            ),
        ));
    }
    let plan = &doc.plans[pa];
    let start = plan.versions.iter().map(|v| v.effective_start).min();
    let end = if plan.versions.iter().any(|v| v.effective_end.is_none()) {
        None
    } else {
        plan.versions.iter().filter_map(|v| v.effective_end).max()
    };
    let run = |vi: usize| -> Result<SimulateResult> {
        let mut d = document.clone();
        let plans = d
            .get_mut("plans")
            .and_then(Value::as_array_mut)
            .ok_or_else(|| bad("document.plans", "required", "plans".into()))?;
        let pj = &mut plans[pa];
        let mut vj = if pj.get("config").is_some() && pj.get("versions").is_none() {
            // a flat plan: its one version
            json!({"planVersionId": plan.versions[vi].plan_version_id, "config": pj["config"].clone()})
        } else {
            pj["versions"][vi].clone()
        };
        vj["status"] = json!("active");
        vj["effectiveStart"] = json!(start.map(|s| s.to_string()));
        match end {
            Some(e) => vj["effectiveEnd"] = json!(e.to_string()),
            None => {
                if let Some(o) = vj.as_object_mut() {
                    o.remove("effectiveEnd");
                }
            }
        }
        *pj = json!({"planId": plan.plan_id, "name": plan.name, "versions": [vj]});
        // what belongs to the plan's other versions: their per-rep tier overrides are left out,
        // and a quota naming one of their rule ids names the rule by plan and name instead
        let this = &plan.versions[vi];
        let other_ids: Vec<&str> = plan
            .versions
            .iter()
            .filter(|v| v.plan_version_id != this.plan_version_id)
            .map(|v| v.plan_version_id.as_str())
            .collect();
        if let Some(list) = d.get_mut("repOverrides").and_then(Value::as_array_mut) {
            list.retain(|o| !o.get("planVersionId").and_then(Value::as_str).is_some_and(|id| other_ids.contains(&id)));
        }
        let on_this = |id: &str| this.config.rules.iter().any(|r| r.id.as_deref() == Some(id));
        let elsewhere = |id: &str| {
            plan.versions
                .iter()
                .flat_map(|v| v.config.rules.iter())
                .find(|r| r.id.as_deref() == Some(id))
                .map(|r| r.name.clone())
        };
        for q in d.get_mut("quotas").and_then(Value::as_array_mut).into_iter().flatten() {
            let rule_id = q.get("planRuleId").map(|v| match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            });
            if let Some(name) = rule_id.filter(|id| !on_this(id)).and_then(|id| elsewhere(&id)) {
                if let Some(o) = q.as_object_mut() {
                    o.remove("planRuleId");
                    o.insert("planId".into(), json!(plan.plan_id));
                    o.insert("ruleName".into(), json!(name));
                }
            }
        }
        let opts = d.as_object_mut().map(|o| o.entry("options").or_insert_with(|| json!({})));
        if let Some(o) = opts.and_then(Value::as_object_mut) {
            o.insert("trace".into(), json!(false));
        }
        simulate(&d)
    };
    let (old, new) = (run(va)?, run(vb)?);
    let dp = doc.settings.currency_precision;
    let money = |d: Decimal| fmt_money(d, dp);
    let parse = |s: &str| s.parse::<Decimal>().map_err(|_| Error::overflow("a line amount"));
    let add = |m: &mut BTreeMap<String, (Decimal, Decimal)>, k: &str, i: usize, amt: Decimal| -> Result<()> {
        let slot = m.entry(k.to_string()).or_default();
        let cell = if i == 0 { &mut slot.0 } else { &mut slot.1 };
        *cell = cell.checked_add(amt).ok_or_else(|| Error::overflow("a diff total"))?;
        Ok(())
    };
    let mut by_rep: BTreeMap<String, (Decimal, Decimal)> = BTreeMap::new();
    let mut by_deal: BTreeMap<String, (Decimal, Decimal)> = BTreeMap::new();
    let mut total = (Decimal::ZERO, Decimal::ZERO);
    for (i, r) in [&old, &new].iter().enumerate() {
        for e in &r.events {
            let amt = parse(&e.amount)?;
            add(&mut by_rep, &e.rep_id, i, amt)?;
            if let Some(d) = &e.deal_id {
                add(&mut by_deal, d, i, amt)?;
            }
            let t = if i == 0 { &mut total.0 } else { &mut total.1 };
            *t = t.checked_add(amt).ok_or_else(|| Error::overflow("a diff total"))?;
        }
    }
    let delta = |o: Decimal, n: Decimal| n.checked_sub(o).ok_or_else(|| Error::overflow("a delta"));
    let mut reps = Vec::new();
    for rep in &doc.reps {
        if let Some((o, n)) = by_rep.get(&rep.id) {
            reps.push(json!({"repId": rep.id, "repName": rep.name, "old": money(*o), "new": money(*n),
                "delta": money(delta(*o, *n)?)}));
        }
    }
    let mut changed = Vec::new();
    for (id, (o, n)) in &by_deal {
        let d = delta(*o, *n)?;
        if !d.is_zero() {
            changed.push((id.clone(), *o, *n, d));
        }
    }
    changed.sort_by(|x, y| y.3.abs().cmp(&x.3.abs()).then_with(|| x.0.as_bytes().cmp(y.0.as_bytes())));
    let changed_count = changed.len();
    let deals: Vec<Value> = changed
        .into_iter()
        .take(top)
        .enumerate()
        .map(|(i, (id, o, n, d))| {
            let name = doc.deals.iter().find(|x| x.id == id).and_then(|x| x.name.clone());
            json!({"rank": i + 1, "dealId": id, "dealName": name, "old": money(o), "new": money(n), "delta": money(d)})
        })
        .collect();
    Ok(json!({
        "planId": plan.plan_id,
        "versionA": plan.versions[va].plan_version_id,
        "versionB": plan.versions[vb].plan_version_id,
        "total": {"old": money(total.0), "new": money(total.1), "delta": money(delta(total.0, total.1)?)},
        "reps": reps,
        "deals": deals,
        "changedDeals": changed_count,
    }))
}

/// Prefixes every issue path of a validation error with `document.`.
fn prefix(e: Error, root: &str) -> Error {
    let Some(items) = e.details().get("errors").and_then(Value::as_array) else { return e };
    let issues: Vec<Issue> = items
        .iter()
        .cloned()
        .filter_map(|v| serde_json::from_value::<crate::api::IssueIn>(v).ok())
        .map(|i| {
            let mut i = i.into_issue();
            i.path = if i.path.is_empty() { root.to_string() } else { format!("{root}.{}", i.path) };
            i
        })
        .collect();
    if issues.is_empty() {
        e
    } else {
        Error::validation(issues)
    }
}
