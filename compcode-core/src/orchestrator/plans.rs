//! Plans and versions, assignments, quotas and per-rep overrides (SPEC §5; the seed's
//! `/api/plans`, `/api/assignments`, `/api/quotas`, `/api/plans/:planVersionId/overrides`).
//! All admin only (SPEC §17).

use super::{check_part, indexed, plan_for_calc, s, version, Actor, Orchestrator};
use crate::error::{Error, ErrorCode, Result};
use crate::repository::{Collection, Query, Record, Repository, Write};
use chrono::NaiveDate;
use serde_json::{json, Value};

impl<R: Repository> Orchestrator<R> {
    /// Creates a plan from CompCode's `POST /api/plans` body (`{planId?, name, effectiveStart,
    /// effectiveEnd?, changeMessage?, config}`). Without `planId` the id is derived from the
    /// name (`"AE Plan 2026"` → `ae-plan-2026`). The first version is `<planId>:v1`.
    /// Returns the stored plan.
    pub fn create_plan(&mut self, actor: &Actor, body: Value, at: NaiveDate) -> Result<Value> {
        self.require_admin(actor)?;
        let name = s(&body, "name").unwrap_or("").to_string();
        let plan_id = s(&body, "planId").map(str::to_string).unwrap_or_else(|| slug(&name));
        let version = version_doc(&body, &format!("{plan_id}:v1"), 1, at);
        let plan = json!({"planId": plan_id, "name": name, "archived": false, "versions": [version]});
        check_part(json!({"asOf": at.to_string(), "reps": [], "plans": [plan_for_calc(plan.clone())], "deals": []}))?;
        self.transact(|o| {
            if o.repo.get(Collection::Plans, &plan_id)?.is_some() {
                return Err(Error::new(ErrorCode::Conflict, format!("plan `{plan_id}` exists already")));
            }
            let writes = vec![
                Write::put(Collection::Plans, Record::new(&plan_id, plan.clone()), Some(0)),
                o.audit(actor, at, "plan.created", "plan", &plan_id, json!({"name": name}))?,
            ];
            Ok((writes, plan.clone()))
        })
    }

    /// Updates a plan: a new version `<planId>:v<n+1>` (old versions stay), with
    /// `effectiveStart` (default `at`) and a `changeMessage`. Body: `{config, effectiveStart?,
    /// effectiveEnd?, changeMessage?, name?, currency?}` (`currency`: SPEC §20).
    pub fn update_plan(&mut self, actor: &Actor, plan_id: &str, body: Value, at: NaiveDate) -> Result<Value> {
        self.require_admin(actor)?;
        self.transact(|o| {
            let rec = o.plan_record(plan_id)?;
            let mut plan = rec.doc.clone();
            let n = plan["versions"].as_array().map_or(0, Vec::len) + 1;
            let v = version_doc(&body, &format!("{plan_id}:v{n}"), n, at);
            if let Some(vs) = plan["versions"].as_array_mut() {
                vs.push(v);
            }
            if let Some(name) = s(&body, "name") {
                plan["name"] = json!(name);
            }
            check_part(
                json!({"asOf": at.to_string(), "reps": [], "plans": [plan_for_calc(plan.clone())], "deals": []}),
            )?;
            let writes = vec![
                Write::put(Collection::Plans, Record::new(plan_id, plan.clone()), Some(rec.version)),
                o.audit(
                    actor,
                    at,
                    "plan.updated",
                    "plan",
                    plan_id,
                    json!({"version": n, "changeMessage": body.get("changeMessage")}),
                )?,
            ];
            Ok((writes, plan.clone()))
        })
    }

    /// A plan's versions, oldest first.
    pub fn plan_history(&self, actor: &Actor, plan_id: &str) -> Result<Vec<Value>> {
        self.require_admin(actor)?;
        Ok(self.plan_record(plan_id)?.doc["versions"].as_array().cloned().unwrap_or_default())
    }

    /// Archives (`true`) or reactivates (`false`) a plan: an archived plan pays nothing.
    pub fn set_plan_archived(&mut self, actor: &Actor, plan_id: &str, archived: bool, at: NaiveDate) -> Result<()> {
        self.require_admin(actor)?;
        self.transact(|o| {
            let rec = o.plan_record(plan_id)?;
            let mut plan = rec.doc.clone();
            plan["archived"] = json!(archived);
            let writes = vec![
                Write::put(Collection::Plans, Record::new(plan_id, plan), Some(rec.version)),
                o.audit(
                    actor,
                    at,
                    "plan.updated",
                    "plan",
                    plan_id,
                    json!({"status": if archived { "archived" } else { "active" }}),
                )?,
            ];
            Ok((writes, ()))
        })
    }

    /// Deletes a plan; refused with `CONFLICT` while reps are assigned to it.
    pub fn delete_plan(&mut self, actor: &Actor, plan_id: &str, at: NaiveDate) -> Result<()> {
        self.require_admin(actor)?;
        self.transact(|o| {
            let rec = o.plan_record(plan_id)?;
            let assigned: Vec<String> = o
                .docs(Collection::Assignments)?
                .iter()
                .filter(|a| s(a, "planId") == Some(plan_id))
                .filter_map(|a| s(a, "repId").map(str::to_string))
                .collect();
            if !assigned.is_empty() {
                return Err(Error::with_details(
                    ErrorCode::Conflict,
                    format!("plan `{plan_id}` still has assigned reps: {}", assigned.join(", ")),
                    json!({"repIds": assigned}),
                ));
            }
            let _ = rec;
            let writes = vec![
                Write::Delete { collection: Collection::Plans, id: plan_id.to_string() },
                o.audit(actor, at, "plan.deleted", "plan", plan_id, json!({}))?,
            ];
            Ok((writes, ()))
        })
    }

    fn plan_record(&self, plan_id: &str) -> Result<Record> {
        self.repo
            .get(Collection::Plans, plan_id)?
            .ok_or_else(|| Error::new(ErrorCode::NotFound, format!("no plan `{plan_id}`")))
    }

    /// Assigns reps to a plan: `{repIds, planId, effectiveStart?, effectiveEnd?}` (start
    /// defaults to `at`). Recalculate afterwards to pay their existing deals.
    pub fn assign(&mut self, actor: &Actor, body: Value, at: NaiveDate) -> Result<()> {
        self.require_admin(actor)?;
        let plan_id = s(&body, "planId").unwrap_or("").to_string();
        let start = s(&body, "effectiveStart").map(str::to_string).unwrap_or_else(|| at.to_string());
        let reps = rep_ids(&body)?;
        self.transact(|o| {
            let plan_doc = plan_for_calc(o.plan_record(&plan_id)?.doc);
            let mut writes = Vec::new();
            for rep in reps.iter() {
                o.require_rep(rep)?;
                let mut a = json!({"repId": rep, "planId": plan_id, "effectiveStart": start});
                if let Some(e) = body.get("effectiveEnd").filter(|e| !e.is_null()) {
                    a["effectiveEnd"] = e.clone();
                }
                check_part(json!({"asOf": at.to_string(), "reps": [{"id": rep}], "plans": [plan_doc.clone()], "deals": [], "assignments": [a.clone()]}))?;
                let id = format!("{rep}|{plan_id}|{start}");
                let cur = o.repo.get(Collection::Assignments, &id)?;
                writes.push(Write::put(Collection::Assignments, indexed(Record::new(&id, a), Some(rep), None, None), Some(version(&cur))));
                writes.push(o.audit(actor, at, "assignment.set", "rep", rep, json!({"planId": plan_id, "effectiveStart": start, "effectiveEnd": body.get("effectiveEnd")}))?);
            }
            Ok((writes, ()))
        })
    }

    /// Removes a rep's assignments to a plan.
    pub fn unassign(&mut self, actor: &Actor, rep_id: &str, plan_id: &str, at: NaiveDate) -> Result<usize> {
        self.require_admin(actor)?;
        self.transact(|o| {
            let q = Query { rep_id: Some(rep_id.to_string()), ..Query::all() };
            let ids: Vec<String> = o
                .repo
                .list(Collection::Assignments, &q)?
                .into_iter()
                .filter(|r| s(&r.doc, "planId") == Some(plan_id))
                .map(|r| r.id)
                .collect();
            let n = ids.len();
            let mut writes: Vec<Write> =
                ids.into_iter().map(|id| Write::Delete { collection: Collection::Assignments, id }).collect();
            if n > 0 {
                writes.push(o.audit(actor, at, "assignment.deleted", "rep", rep_id, json!({"planId": plan_id}))?);
            }
            Ok((writes, n))
        })
    }

    /// Sets quotas: `{repIds, planRuleId | planId + ruleName | measure, period, target,
    /// variableTarget?, prorate?}` (SPEC §5). Audited as `quota.set` with target and period.
    pub fn set_quota(&mut self, actor: &Actor, body: Value, at: NaiveDate) -> Result<()> {
        self.require_admin(actor)?;
        let reps = rep_ids(&body)?;
        self.transact(|o| {
            let mut writes = Vec::new();
            for rep in reps.iter() {
                o.require_rep(rep)?;
                let mut q = body.clone();
                if let Some(m) = q.as_object_mut() {
                    m.remove("repIds");
                    m.insert("repId".into(), json!(rep));
                }
                // validate the quota (and that its rule reference resolves) on the stored state
                let mut doc = o.state_document(at)?;
                doc["quotas"] = json!([q.clone()]);
                doc["deals"] = json!([]);
                let parsed = crate::validate::read_document(&doc)?;
                crate::calc::calculate(&parsed)?;
                let rule = ["planRuleId", "ruleName", "measure"].iter().find_map(|k| s(&q, k)).unwrap_or("");
                let id = format!("{rep}|{}|{rule}|{}", s(&q, "planId").unwrap_or(""), s(&q, "period").unwrap_or(""));
                let cur = o.repo.get(Collection::Quotas, &id)?;
                writes.push(Write::put(
                    Collection::Quotas,
                    indexed(Record::new(&id, q.clone()), Some(rep), s(&q, "period"), None),
                    Some(version(&cur)),
                ));
                writes.push(o.audit(
                    actor,
                    at,
                    "quota.set",
                    "rep",
                    rep,
                    json!({"target": q.get("target"), "period": q.get("period"), "rule": rule}),
                )?);
            }
            Ok((writes, ()))
        })
    }

    /// Deletes a rep's quota for a rule reference and period.
    pub fn delete_quota(
        &mut self,
        actor: &Actor,
        rep_id: &str,
        rule: &str,
        period: &str,
        at: NaiveDate,
    ) -> Result<usize> {
        self.require_admin(actor)?;
        self.transact(|o| {
            let q = Query { rep_id: Some(rep_id.to_string()), period: Some(period.to_string()), deal_id: None };
            let ids: Vec<String> = o
                .repo
                .list(Collection::Quotas, &q)?
                .into_iter()
                .filter(|r| ["planRuleId", "ruleName", "measure"].iter().any(|k| s(&r.doc, k) == Some(rule)))
                .map(|r| r.id)
                .collect();
            let n = ids.len();
            let mut writes: Vec<Write> =
                ids.into_iter().map(|id| Write::Delete { collection: Collection::Quotas, id }).collect();
            if n > 0 {
                writes.push(o.audit(
                    actor,
                    at,
                    "quota.deleted",
                    "rep",
                    rep_id,
                    json!({"rule": rule, "period": period}),
                )?);
            }
            Ok((writes, n))
        })
    }

    /// Sets a per-rep tier override `{planVersionId, repId, ruleName, tiers}` (SPEC §5).
    pub fn set_override(&mut self, actor: &Actor, body: Value, at: NaiveDate) -> Result<()> {
        self.require_admin(actor)?;
        self.transact(|o| {
            let mut doc = o.state_document(at)?;
            doc["repOverrides"] = json!([body.clone()]);
            check_part(doc)?;
            let id = format!(
                "{}|{}|{}",
                s(&body, "planVersionId").unwrap_or(""),
                s(&body, "repId").unwrap_or(""),
                s(&body, "ruleName").unwrap_or("")
            );
            let cur = o.repo.get(Collection::Overrides, &id)?;
            let writes = vec![
                Write::put(
                    Collection::Overrides,
                    indexed(Record::new(&id, body.clone()), s(&body, "repId"), None, None),
                    Some(version(&cur)),
                ),
                o.audit(
                    actor,
                    at,
                    "plan.rep_override.set",
                    "plan_version",
                    s(&body, "planVersionId").unwrap_or(""),
                    json!({"repId": body.get("repId"), "ruleName": body.get("ruleName")}),
                )?,
            ];
            Ok((writes, ()))
        })
    }

    /// Deletes a per-rep tier override.
    pub fn delete_override(
        &mut self,
        actor: &Actor,
        plan_version_id: &str,
        rep_id: &str,
        rule_name: &str,
        at: NaiveDate,
    ) -> Result<()> {
        self.require_admin(actor)?;
        let id = format!("{plan_version_id}|{rep_id}|{rule_name}");
        self.transact(|o| {
            if o.repo.get(Collection::Overrides, &id)?.is_none() {
                return Err(Error::new(ErrorCode::NotFound, format!("no override `{id}`")));
            }
            let writes = vec![
                Write::Delete { collection: Collection::Overrides, id: id.clone() },
                o.audit(
                    actor,
                    at,
                    "plan.rep_override.deleted",
                    "plan_version",
                    plan_version_id,
                    json!({"repId": rep_id, "ruleName": rule_name}),
                )?,
            ];
            Ok((writes, ()))
        })
    }

    fn require_rep(&self, rep: &str) -> Result<()> {
        match self.repo.get(Collection::Reps, rep)? {
            Some(_) => Ok(()),
            None => Err(Error::new(ErrorCode::RepNotFound, format!("no rep `{rep}`"))),
        }
    }
}

fn rep_ids(body: &Value) -> Result<Vec<String>> {
    let ids: Vec<String> = match (body.get("repIds"), body.get("repId")) {
        (Some(Value::Array(a)), _) => a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect(),
        (_, Some(Value::String(r))) => vec![r.clone()],
        _ => Vec::new(),
    };
    if ids.is_empty() {
        return Err(Error::validation(vec![crate::error::Issue {
            path: "repIds".into(),
            code: "required",
            message: "`repIds` (a list of rep ids) is required".into(),
            suggestion: None,
        }]));
    }
    Ok(ids)
}

/// A stored version from a plan body.
fn version_doc(body: &Value, id: &str, n: usize, at: NaiveDate) -> Value {
    let mut v = json!({
        "planVersionId": id,
        "version": n,
        "effectiveStart": body.get("effectiveStart").cloned().unwrap_or_else(|| json!(at.to_string())),
        "status": "active",
        "config": body.get("config").cloned().unwrap_or(Value::Null),
    });
    // `currency`: the version's payout currency (SPEC §20)
    for k in ["effectiveEnd", "changeMessage", "currency"] {
        if let Some(x) = body.get(k).filter(|x| !x.is_null()) {
            v[k] = x.clone();
        }
    }
    // rule ids belong to a version (SPEC §5): `<planVersionId>:r<n>` unless the body gives one
    if let Some(rules) = v["config"].get_mut("rules").and_then(Value::as_array_mut) {
        for (i, r) in rules.iter_mut().enumerate() {
            if r.is_object() && r.get("id").map_or(true, Value::is_null) {
                r["id"] = json!(format!("{id}:r{}", i + 1));
            }
        }
    }
    v
}

/// `"AE Plan 2026"` → `ae-plan-2026`.
fn slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let t = out.trim_end_matches('-').to_string();
    if t.is_empty() {
        "plan".into()
    } else {
        t
    }
}
