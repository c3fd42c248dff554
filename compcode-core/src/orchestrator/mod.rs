//! The `Orchestrator`: CompCode's stateful workflows over any [`Repository`] (SPEC §12–§17).
//!
//! Every workflow takes the acting user and an `at` date (SPEC §18.35); nothing reads the clock.
//! A workflow reads what it needs, computes with the pure engine, reconciles, and commits all of
//! its writes — events, history rows, snapshots, statements, the audit entry — in one atomic
//! [`Repository::commit`]. A lost race (`CONFLICT` from a version check) is retried.

mod dispatch;
mod incremental;
mod plans;
mod readmodels;
mod runs;
mod spark;
mod statements;

pub use dispatch::WORKFLOWS;
pub use runs::RunReport;
pub use statements::{Statement, StatementLine, TrueUpResult};

use crate::error::{Error, ErrorCode, Result};
use crate::model::Role;
use crate::repository::{Collection, Query, Record, Repository, Write};
use chrono::NaiveDate;
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};

/// Who is acting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// The host application itself (bootstrap, CRM webhooks): trusted like an admin.
    System,
    /// A rep (by id) whose role is read from the store.
    User(String),
}

impl Actor {
    /// A user actor.
    pub fn user(id: impl Into<String>) -> Self {
        Actor::User(id.into())
    }

    fn label(&self) -> String {
        match self {
            Actor::System => "system".into(),
            Actor::User(u) => u.clone(),
        }
    }
}

/// The workflows, over a repository the host provides.
///
/// ```
/// use compcode_core::orchestrator::{Actor, Orchestrator};
/// use compcode_core::memory::MemoryRepository;
/// use serde_json::json;
/// let at = chrono::NaiveDate::from_ymd_opt(2026, 1, 2).unwrap();
/// let mut o = Orchestrator::new(MemoryRepository::new());
/// o.upsert_rep(&Actor::System, json!({"id": "admin", "name": "Ada", "role": "admin"}), at).unwrap();
/// o.upsert_rep(&Actor::System, json!({"id": "alice", "name": "Alice"}), at).unwrap();
/// let admin = Actor::user("admin");
/// o.create_plan(&admin, json!({"planId": "ae", "name": "AE", "effectiveStart": "2026-01-01", "config": {"rules": [
///     {"name": "R", "measure": "amount", "tierBy": "value",
///      "tiers": [{"tierIndex": 0, "name": "T", "minThreshold": 0, "rate": "0.1"}]}]}}), at).unwrap();
/// o.assign(&admin, json!({"repIds": ["alice"], "planId": "ae", "effectiveStart": "2026-01-01"}), at).unwrap();
/// let run = o.upsert_deal(&Actor::System, json!({"id": "D1", "stage": "Won", "amount": "1000",
///     "closeDate": "2026-01-02", "ownerRepId": "alice"}), at).unwrap();
/// assert_eq!((run.outcome.as_str(), run.events_written), ("processed", 1));
/// ```
pub struct Orchestrator<R: Repository> {
    repo: R,
    /// Deal runs calculate the whole store (the reference the incremental deal runs are tested
    /// against, issue #9); false outside tests.
    exhaustive: bool,
    /// The typed deals of the last deal run (issue #9, `incremental::cache`).
    deal_cache: incremental::cache::DealCache,
}

/// How many times a workflow is retried after a lost race.
const RETRIES: usize = 4;

impl<R: Repository> Orchestrator<R> {
    /// An orchestrator over `repo`.
    pub fn new(repo: R) -> Self {
        Orchestrator { repo, exhaustive: false, deal_cache: Default::default() }
    }

    /// The repository.
    pub fn repo(&self) -> &R {
        &self.repo
    }

    /// The repository, mutably (for hosts that write their own records).
    pub fn repo_mut(&mut self) -> &mut R {
        &mut self.repo
    }

    /// Gives the repository back.
    pub fn into_repo(self) -> R {
        self.repo
    }

    /// Runs `build` (which reads and prepares writes) and commits, retrying on `CONFLICT`.
    fn transact<T>(&mut self, mut build: impl FnMut(&Self) -> Result<(Vec<Write>, T)>) -> Result<T> {
        let mut last = None;
        for _ in 0..RETRIES {
            let (mut writes, out) = build(self)?;
            if writes.is_empty() {
                return Ok(out);
            }
            self.number_audit_entries(&mut writes)?;
            match self.repo.commit(writes) {
                Ok(()) => return Ok(out),
                Err(e) if e.code() == ErrorCode::Conflict => last = Some(e),
                Err(e) => return Err(e),
            }
        }
        Err(last.unwrap_or_else(|| Error::new(ErrorCode::Conflict, "the store kept changing; try again")))
    }

    // ---------------------------------------------------------------- settings and reps

    /// Stores the workspace settings (SPEC §1, §2, §4, §13). Admin only.
    pub fn put_settings(&mut self, actor: &Actor, settings: Value, at: NaiveDate) -> Result<()> {
        self.require_admin(actor)?;
        // SPEC §20: the workspace settings may carry `draws` and `fxRates` (document fields)
        let (plain, draws, fx) = crate::draws::split_workspace_settings(&settings);
        let mut part = json!({"asOf": at.to_string(), "settings": plain, "reps": [], "plans": [], "deals": []});
        if draws.is_some() || fx.is_some() {
            part["reps"] = json!(self.docs(Collection::Reps)?);
            part["draws"] = draws.unwrap_or(json!([]));
            part["fxRates"] = fx.unwrap_or(json!([]));
        }
        check_part(part)?;
        self.transact(|o| {
            let cur = o.repo.get(Collection::Settings, "settings")?;
            let writes = vec![
                Write::put(Collection::Settings, Record::new("settings", settings.clone()), Some(version(&cur))),
                o.audit(actor, at, "settings.updated", "settings", "settings", json!({}))?,
            ];
            Ok((writes, ()))
        })
    }

    /// Creates or replaces a rep (SPEC §3). Admin only (or the host, to bootstrap). Records
    /// `role.changed` and `manager.assigned` when those change.
    pub fn upsert_rep(&mut self, actor: &Actor, rep: Value, at: NaiveDate) -> Result<()> {
        self.require_admin(actor)?;
        let id = rep.get("id").and_then(Value::as_str).unwrap_or("").to_string();
        self.transact(|o| {
            let mut reps: Vec<Value> =
                o.docs(Collection::Reps)?.into_iter().filter(|r| r["id"] != id.as_str()).collect();
            reps.push(rep.clone());
            check_part(json!({"asOf": at.to_string(), "reps": reps, "plans": [], "deals": []}))?;
            let cur = o.repo.get(Collection::Reps, &id)?;
            let mut writes = vec![Write::put(Collection::Reps, Record::new(&id, rep.clone()), Some(version(&cur)))];
            let old = cur.as_ref().map(|r| r.doc.clone()).unwrap_or(Value::Null);
            let action = if cur.is_some() { "rep.updated" } else { "rep.created" };
            writes.push(o.audit(actor, at, action, "rep", &id, json!({}))?);
            if old.get("role") != rep.get("role") && cur.is_some() {
                writes.push(o.audit(
                    actor,
                    at,
                    "role.changed",
                    "rep",
                    &id,
                    json!({"from": old.get("role"), "to": rep.get("role")}),
                )?);
            }
            if old.get("managerId") != rep.get("managerId") && rep.get("managerId").is_some_and(|m| !m.is_null()) {
                writes.push(o.audit(
                    actor,
                    at,
                    "manager.assigned",
                    "rep",
                    &id,
                    json!({"managerId": rep.get("managerId")}),
                )?);
            }
            Ok((writes, ()))
        })
    }

    // ---------------------------------------------------------------- reading state

    fn docs(&self, c: Collection) -> Result<Vec<Value>> {
        Ok(self.repo.list(c, &Query::all())?.into_iter().map(|r| r.doc).collect())
    }

    /// The calculation document of the stored state as of `at` (SPEC §0.1).
    pub fn state_document(&self, at: NaiveDate) -> Result<Value> {
        let settings = self.repo.get(Collection::Settings, "settings")?.map(|r| r.doc).unwrap_or(json!({}));
        let (settings, draws, fx) = crate::draws::split_workspace_settings(&settings);
        let plans: Vec<Value> = self.docs(Collection::Plans)?.into_iter().map(plan_for_calc).collect();
        // moved in, not through `json!` (which would copy every record once more, issue #9)
        let mut doc = json!({"asOf": at.to_string()});
        doc["settings"] = settings;
        doc["reps"] = Value::Array(self.docs(Collection::Reps)?);
        doc["plans"] = Value::Array(plans);
        doc["assignments"] = Value::Array(self.docs(Collection::Assignments)?);
        doc["quotas"] = Value::Array(self.docs(Collection::Quotas)?);
        doc["repOverrides"] = Value::Array(self.docs(Collection::Overrides)?);
        doc["deals"] = Value::Array(self.docs(Collection::Deals)?);
        if let Some(d) = draws {
            doc["draws"] = d;
        }
        if let Some(f) = fx {
            doc["fxRates"] = f;
        }
        Ok(doc)
    }

    // ---------------------------------------------------------------- roles (SPEC §17)

    fn role_of(&self, actor: &Actor) -> Result<Option<(String, Role)>> {
        match actor {
            Actor::System => Ok(None),
            Actor::User(id) => {
                let rec = self.repo.get(Collection::Reps, id)?;
                let doc = rec
                    .map(|r| r.doc)
                    .ok_or_else(|| Error::new(ErrorCode::Unauthorized, format!("unknown user `{id}`")))?;
                if doc.get("active").and_then(Value::as_bool) == Some(false) {
                    return Err(Error::new(ErrorCode::Unauthorized, format!("user `{id}` is inactive")));
                }
                let role = match doc.get("role").and_then(Value::as_str) {
                    Some("admin") => Role::Admin,
                    Some("manager") => Role::Manager,
                    _ => Role::Rep,
                };
                Ok(Some((id.clone(), role)))
            }
        }
    }

    fn require_admin(&self, actor: &Actor) -> Result<()> {
        match self.role_of(actor)? {
            None | Some((_, Role::Admin)) => Ok(()),
            Some((id, _)) => Err(forbidden(&id, "this needs the admin role")),
        }
    }

    /// Everyone below `manager` on the reporting chain (not themselves), SPEC §18.33.
    pub fn team_of(&self, manager: &str) -> Result<HashSet<String>> {
        let reps = self.docs(Collection::Reps)?;
        let mut children: HashMap<String, Vec<String>> = HashMap::new();
        for r in &reps {
            if let (Some(id), Some(m)) = (r["id"].as_str(), r.get("managerId").and_then(Value::as_str)) {
                children.entry(m.to_string()).or_default().push(id.to_string());
            }
        }
        let mut team = HashSet::new();
        let mut stack = vec![manager.to_string()];
        while let Some(cur) = stack.pop() {
            for c in children.get(&cur).into_iter().flatten() {
                if c != manager && team.insert(c.clone()) {
                    stack.push(c.clone());
                }
            }
        }
        Ok(team)
    }

    /// Reading a rep's statements and commissions: admin, a manager above them, or themselves.
    fn require_read(&self, actor: &Actor, rep: &str) -> Result<()> {
        match self.role_of(actor)? {
            None | Some((_, Role::Admin)) => Ok(()),
            Some((id, _)) if id == rep => Ok(()),
            Some((id, Role::Manager)) if self.team_of(&id)?.contains(rep) => Ok(()),
            Some((id, _)) => Err(forbidden(&id, &format!("cannot read `{rep}`'s statements"))),
        }
    }

    /// Managing a rep's statements (generate, approve, true-up): admin or a manager above them.
    fn require_manage(&self, actor: &Actor, rep: &str) -> Result<String> {
        match self.role_of(actor)? {
            None => Ok("system".into()),
            Some((id, Role::Admin)) => Ok(id),
            Some((id, Role::Manager)) if self.team_of(&id)?.contains(rep) => Ok(id),
            Some((id, _)) => Err(forbidden(&id, &format!("cannot manage `{rep}`'s statements"))),
        }
    }

    // ---------------------------------------------------------------- audit (SPEC §15)

    /// An audit entry write. Its id and `seq` are given in [`Self::number_audit_entries`] when
    /// the transaction commits, so entries stay append-only (`expected_version 0`) and a
    /// concurrent writer makes the commit fail and retry rather than overwrite.
    fn audit(
        &self,
        actor: &Actor,
        at: NaiveDate,
        action: &str,
        target_type: &str,
        target_id: &str,
        details: Value,
    ) -> Result<Write> {
        let doc = json!({"at": at.to_string(), "actor": actor.label(), "action": action,
                         "targetType": target_type, "targetId": target_id, "details": details});
        Ok(Write::put(Collection::Audit, Record::new("", doc), Some(0)))
    }

    /// Numbers the audit entries of a transaction after the last stored one.
    fn number_audit_entries(&self, writes: &mut [Write]) -> Result<()> {
        if !writes.iter().any(|w| matches!(w, Write::Put { collection: Collection::Audit, .. })) {
            return Ok(());
        }
        let mut seq = self.repo.count(Collection::Audit, &Query::all())?;
        for w in writes.iter_mut() {
            if let Write::Put { collection: Collection::Audit, record, .. } = w {
                seq += 1;
                record.id = format!("{seq:012}");
                record.doc["seq"] = json!(seq);
            }
        }
        Ok(())
    }

    /// The audit log, oldest first, optionally only one action. Admin only.
    pub fn audit_log(&self, actor: &Actor, action: Option<&str>) -> Result<Vec<Value>> {
        self.require_admin(actor)?;
        Ok(self.docs(Collection::Audit)?.into_iter().filter(|d| action.map_or(true, |a| d["action"] == a)).collect())
    }
}

fn forbidden(actor: &str, why: &str) -> Error {
    Error::with_details(ErrorCode::Forbidden, format!("`{actor}` is not allowed: {why}"), json!({"actor": actor}))
}

fn version(r: &Option<Record>) -> u64 {
    r.as_ref().map_or(0, |r| r.version)
}

/// Validates a partial calculation document (the reader reports every problem).
fn check_part(doc: Value) -> Result<crate::model::CalcDoc> {
    crate::validate::read_document(&doc)
}

/// A stored plan as the calculation reads it: an archived plan's versions are archived.
fn plan_for_calc(mut plan: Value) -> Value {
    let archived = plan.get("archived").and_then(Value::as_bool).unwrap_or(false);
    if let Some(o) = plan.as_object_mut() {
        o.remove("archived");
        if archived {
            if let Some(vs) = o.get_mut("versions").and_then(Value::as_array_mut) {
                for v in vs {
                    v["status"] = json!("archived");
                }
            }
        }
    }
    plan
}

/// Adds an index to a record.
fn indexed(mut r: Record, rep: Option<&str>, period: Option<&str>, deal: Option<&str>) -> Record {
    r.rep_id = rep.map(str::to_string);
    r.period = period.map(str::to_string);
    r.deal_id = deal.map(str::to_string);
    r
}

/// `obj[key]` as a string.
fn s<'v>(v: &'v Value, key: &str) -> Option<&'v str> {
    v.get(key).and_then(Value::as_str)
}

impl<R: Repository> Orchestrator<R> {
    /// Imports a whole calculation document (SPEC §0.1) into the store — settings, reps, plans
    /// with their versions, assignments, quotas, overrides and deal snapshots — then
    /// recalculates everything as of `at`. The document is validated first; nothing is written
    /// when it has a problem. Admin only. Records that exist are replaced.
    pub fn import_document(&mut self, actor: &Actor, doc: &Value, at: NaiveDate) -> Result<runs::RunReport> {
        self.require_admin(actor)?;
        let parsed = crate::validate::read_document(doc)?;
        let list = |k: &str| doc.get(k).and_then(Value::as_array).cloned().unwrap_or_default();
        let mut recs: Vec<(Collection, Record)> = Vec::new();
        if let Some(st) = doc.get("settings").filter(|v| !v.is_null()) {
            recs.push((Collection::Settings, Record::new("settings", st.clone())));
        }
        for r in list("reps") {
            recs.push((Collection::Reps, Record::new(s(&r, "id").unwrap_or(""), r.clone())));
        }
        for (i, p) in list("plans").into_iter().enumerate() {
            let plan = &parsed.plans[i];
            let stored = if p.get("versions").is_some() {
                let mut p = p.clone();
                p["planId"] = json!(plan.plan_id);
                p
            } else {
                let mut v = p.clone();
                if let Some(o) = v.as_object_mut() {
                    for k in ["planId", "id", "name", "description"] {
                        o.remove(k);
                    }
                    o.insert("planVersionId".into(), json!(plan.versions[0].plan_version_id));
                }
                json!({"planId": plan.plan_id, "name": plan.name, "versions": [v]})
            };
            recs.push((Collection::Plans, Record::new(&plan.plan_id, stored)));
        }
        for a in list("assignments") {
            let id = format!(
                "{}|{}|{}",
                s(&a, "repId").unwrap_or(""),
                s(&a, "planId").unwrap_or(""),
                s(&a, "effectiveStart").unwrap_or("")
            );
            recs.push((Collection::Assignments, indexed(Record::new(id, a.clone()), s(&a, "repId"), None, None)));
        }
        for q in list("quotas") {
            let rule = ["planRuleId", "ruleName", "measure"].iter().find_map(|k| s(&q, k)).unwrap_or("");
            let id = format!(
                "{}|{}|{rule}|{}",
                s(&q, "repId").unwrap_or(""),
                s(&q, "planId").unwrap_or(""),
                s(&q, "period").unwrap_or("")
            );
            recs.push((Collection::Quotas, indexed(Record::new(id, q.clone()), s(&q, "repId"), s(&q, "period"), None)));
        }
        for ov in list("repOverrides") {
            let id = format!(
                "{}|{}|{}",
                s(&ov, "planVersionId").unwrap_or(""),
                s(&ov, "repId").unwrap_or(""),
                s(&ov, "ruleName").unwrap_or("")
            );
            recs.push((Collection::Overrides, indexed(Record::new(id, ov.clone()), s(&ov, "repId"), None, None)));
        }
        for dl in list("deals") {
            let id =
                s(&dl, "id").map(str::to_string).or_else(|| dl.get("id").map(|v| v.to_string())).unwrap_or_default();
            recs.push((Collection::Deals, indexed(Record::new(&id, dl.clone()), None, None, Some(&id))));
        }
        let n = recs.len();
        self.transact(|o| {
            let mut writes = Vec::with_capacity(n + 1);
            for (c, r) in &recs {
                let cur = o.repo.get(*c, &r.id)?;
                writes.push(Write::put(*c, r.clone(), Some(version(&cur))));
            }
            writes.push(o.audit(actor, at, "import.loaded", "workspace", "*", json!({"records": n}))?);
            Ok((writes, ()))
        })?;
        self.recalculate(actor, None, at)
    }
}
