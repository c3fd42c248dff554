//! Workflows by name with JSON arguments: the one entry point bindings and the `workflow`
//! operation of [`crate::api::run`] use, so every binding exposes every workflow without
//! re-implementing any.

use super::{s, Actor, Orchestrator};
use crate::api::Answer;
use crate::error::{Error, ErrorCode, Issue, Result};
use crate::repository::Repository;
use chrono::NaiveDate;
use serde::Serialize;
use serde_json::{json, Value};

/// Every workflow name [`Orchestrator::call`] accepts.
pub const WORKFLOWS: &[&str] = &[
    "put_settings",
    "upsert_rep",
    "create_plan",
    "update_plan",
    "plan_history",
    "archive_plan",
    "reactivate_plan",
    "delete_plan",
    "assign",
    "unassign",
    "set_quota",
    "delete_quota",
    "set_override",
    "delete_override",
    "import",
    "upsert_deal",
    "delete_deal",
    "reverse_deal",
    "recalculate",
    "simulate",
    "events",
    "event_history",
    "mark_paid",
    "generate_statement",
    "get_statement",
    "approve_statement",
    "revert_statement",
    "adjust",
    "true_up",
    "decide_true_up",
    "add_comment",
    "comments",
    "delete_comment",
    "export_statement",
    "audit_log",
    "state_document",
    "cancel_sale",
    "recalculate_sale",
    "sale",
    "create_batch",
    "get_batch",
    "list_batches",
    "submit_batch",
    "approve_batch",
    "export_batch",
    "mark_batch_paid",
    "batch_csv",
    "clawbacks",
    "process_clawback",
    "process_clawbacks",
    "allocation_summary",
    "set_goal",
    "delete_goal",
    "goals",
    "crm_webhook",
    "rep_dashboard",
    "team_summary",
    "commission_periods",
    "deal_list",
    "cleanup",
    "reset",
];

fn to_json(v: impl Serialize) -> Result<Value> {
    serde_json::to_value(v).map_err(|e| Error::new(ErrorCode::InternalError, format!("could not serialize: {e}")))
}

fn arg<'a>(args: &'a Value, key: &str) -> Result<&'a str> {
    s(args, key).ok_or_else(|| {
        Error::validation(vec![Issue {
            path: format!("args.{key}"),
            code: "required",
            message: format!("`{key}` (a string) is required"),
            suggestion: None,
        }])
    })
}

fn opt<'a>(args: &'a Value, key: &str) -> Option<&'a str> {
    s(args, key)
}

fn body(args: &Value, key: &str) -> Value {
    args.get(key).cloned().unwrap_or_else(|| args.clone())
}

impl<R: Repository> Orchestrator<R> {
    /// Runs the workflow `name` with JSON `args` as `actor` at `at`; returns its result as JSON.
    ///
    /// ```
    /// use compcode_core::{memory::MemoryRepository, orchestrator::{Actor, Orchestrator}};
    /// use serde_json::json;
    /// let at = chrono::NaiveDate::from_ymd_opt(2026, 1, 2).unwrap();
    /// let mut o = Orchestrator::new(MemoryRepository::new());
    /// o.call("upsert_rep", &Actor::System, at, &json!({"rep": {"id": "ada", "name": "Ada", "role": "admin"}})).unwrap();
    /// let log = o.call("audit_log", &Actor::user("ada"), at, &json!({})).unwrap();
    /// assert_eq!(log[0]["action"], "rep.created");
    /// ```
    pub fn call(&mut self, name: &str, actor: &Actor, at: NaiveDate, args: &Value) -> Result<Value> {
        match name {
            "put_settings" => to_json(self.put_settings(actor, body(args, "settings"), at)?),
            "upsert_rep" => to_json(self.upsert_rep(actor, body(args, "rep"), at)?),
            "create_plan" => self.create_plan(actor, body(args, "plan"), at),
            "update_plan" => self.update_plan(actor, arg(args, "planId")?, body(args, "body"), at),
            "plan_history" => to_json(self.plan_history(actor, arg(args, "planId")?)?),
            "archive_plan" => to_json(self.set_plan_archived(actor, arg(args, "planId")?, true, at)?),
            "reactivate_plan" => to_json(self.set_plan_archived(actor, arg(args, "planId")?, false, at)?),
            "delete_plan" => to_json(self.delete_plan(actor, arg(args, "planId")?, at)?),
            "assign" => to_json(self.assign(actor, body(args, "body"), at)?),
            "unassign" => to_json(self.unassign(actor, arg(args, "repId")?, arg(args, "planId")?, at)?),
            "set_quota" => to_json(self.set_quota(actor, body(args, "body"), at)?),
            "delete_quota" => {
                to_json(self.delete_quota(actor, arg(args, "repId")?, arg(args, "rule")?, arg(args, "period")?, at)?)
            }
            "set_override" => to_json(self.set_override(actor, body(args, "body"), at)?),
            "delete_override" => to_json(self.delete_override(
                actor,
                arg(args, "planVersionId")?,
                arg(args, "repId")?,
                arg(args, "ruleName")?,
                at,
            )?),
            "import" => to_json(self.import_document(actor, &body(args, "document"), at)?),
            "upsert_deal" => to_json(self.upsert_deal(actor, body(args, "deal"), at)?),
            "delete_deal" => to_json(self.delete_deal(actor, arg(args, "dealId")?, at)?),
            "reverse_deal" => to_json(self.reverse_deal(actor, arg(args, "dealId")?, at)?),
            "recalculate" => to_json(self.recalculate(actor, opt(args, "planId"), at)?),
            "simulate" => match self.call_answer(name, actor, at, args)? {
                Answer::Value(v) => Ok(v),
                typed => to_json(typed),
            },
            "events" => to_json(self.events(actor, opt(args, "repId"), opt(args, "period"))?),
            "event_history" => to_json(self.event_history(actor, arg(args, "key")?)?),
            "mark_paid" => {
                let keys: Vec<String> = args
                    .get("keys")
                    .and_then(Value::as_array)
                    .map(|a| a.iter().filter_map(|k| k.as_str().map(str::to_string)).collect())
                    .unwrap_or_default();
                to_json(self.mark_paid(actor, &keys, at)?)
            }
            "generate_statement" => {
                to_json(self.generate_statement(actor, arg(args, "repId")?, arg(args, "period")?, at)?)
            }
            "get_statement" => to_json(self.get_statement(actor, arg(args, "repId")?, arg(args, "period")?)?),
            "approve_statement" => {
                to_json(self.set_statement_status(actor, arg(args, "repId")?, arg(args, "period")?, "approved", at)?)
            }
            "revert_statement" => {
                to_json(self.set_statement_status(actor, arg(args, "repId")?, arg(args, "period")?, "draft", at)?)
            }
            "adjust" => self.adjust(
                actor,
                arg(args, "repId")?,
                arg(args, "period")?,
                args.get("amount").unwrap_or(&Value::Null),
                opt(args, "reason").unwrap_or(""),
                at,
            ),
            "true_up" => to_json(self.true_up(actor, arg(args, "repId")?, arg(args, "period")?, at)?),
            "decide_true_up" => {
                let approve = args.get("approve").and_then(Value::as_bool).unwrap_or(false);
                self.decide_true_up(actor, arg(args, "id")?, approve, at)
            }
            "add_comment" => self.add_comment(
                actor,
                arg(args, "repId")?,
                arg(args, "period")?,
                opt(args, "lineKey"),
                opt(args, "text").unwrap_or(""),
                at,
            ),
            "comments" => to_json(self.comments(actor, arg(args, "repId")?, arg(args, "period")?)?),
            "delete_comment" => to_json(self.delete_comment(actor, arg(args, "id")?, at)?),
            "export_statement" => to_json(self.export_statement(
                actor,
                arg(args, "repId")?,
                arg(args, "period")?,
                opt(args, "format").unwrap_or("csv"),
                at,
            )?),
            "audit_log" => to_json(self.audit_log(actor, opt(args, "action"))?),
            "state_document" => {
                self.require_admin(actor)?;
                self.state_document(at)
            }
            "cancel_sale" => to_json(self.cancel_sale(
                actor,
                arg(args, "dealId")?,
                opt(args, "reason"),
                opt(args, "cancelledAt"),
                at,
            )?),
            "recalculate_sale" => to_json(self.recalculate_sale(actor, arg(args, "dealId")?, at)?),
            "sale" => self.sale(actor, arg(args, "dealId")?, at),
            "create_batch" => to_json(self.create_batch(actor, body(args, "batch"), at)?),
            "get_batch" => to_json(self.get_batch(actor, arg(args, "batchId")?, at)?),
            "list_batches" => to_json(self.list_batches(actor, args)?),
            "submit_batch" => self.batch_action(actor, arg(args, "batchId")?, "submit", at),
            "approve_batch" => self.batch_action(actor, arg(args, "batchId")?, "approve", at),
            "export_batch" => self.batch_action(actor, arg(args, "batchId")?, "export", at),
            "mark_batch_paid" => self.batch_action(actor, arg(args, "batchId")?, "mark_paid", at),
            "batch_csv" => to_json(self.batch_csv(actor, arg(args, "batchId")?, at)?),
            "clawbacks" => to_json(self.clawbacks(actor, args, at)?),
            "process_clawback" => to_json(self.process_clawbacks(actor, &[arg(args, "id")?.to_string()], at)?),
            "process_clawbacks" => {
                let ids: Vec<String> = args
                    .get("ids")
                    .and_then(Value::as_array)
                    .map(|a| a.iter().filter_map(|k| k.as_str().map(str::to_string)).collect())
                    .unwrap_or_default();
                to_json(self.process_clawbacks(actor, &ids, at)?)
            }
            "allocation_summary" => self.allocation_summary(actor, args, at),
            "set_goal" => self.set_goal(actor, body(args, "goal"), at),
            "delete_goal" => to_json(self.delete_goal(actor, arg(args, "goalId")?, at)?),
            "goals" => to_json(self.goals(actor, opt(args, "userId"), opt(args, "goalId"), at)?),
            "crm_webhook" => self.crm_webhook(actor, args, at),
            "rep_dashboard" => self.rep_dashboard(actor, arg(args, "repId")?, opt(args, "period"), at),
            "team_summary" => self.team_summary(actor, opt(args, "period"), at),
            "commission_periods" => self.commission_periods(actor, opt(args, "repId")),
            "deal_list" => self.deal_list(actor, args),
            "cleanup" => self.cleanup(actor, at),
            "reset" => self.reset(actor, at),
            other => Err(Error::with_details(
                ErrorCode::NotFound,
                format!("unknown workflow `{other}`"),
                json!({"workflows": WORKFLOWS}),
            )),
        }
    }
}

impl<R: Repository> Orchestrator<R> {
    /// [`Orchestrator::call`] before its answer becomes a `serde_json::Value`: `simulate`
    /// answers its typed result ([`Answer::Simulate`]), every other workflow its value
    /// ([`Answer::Value`]). Same workflows, arguments and errors; `call` is this answer
    /// serialized. For bindings that build host objects from the typed answer (the Python
    /// wheel, issue #9).
    ///
    /// ```
    /// use compcode_core::api::Answer;
    /// use compcode_core::orchestrator::{Actor, Orchestrator};
    /// use compcode_core::memory::MemoryRepository;
    /// use serde_json::json;
    /// let at = chrono::NaiveDate::from_ymd_opt(2026, 1, 2).unwrap();
    /// let mut o = Orchestrator::new(MemoryRepository::new());
    /// let sim = o.call_answer("simulate", &Actor::System, at, &json!({})).unwrap();
    /// assert!(matches!(&sim, Answer::Simulate(r) if r.events.is_empty()));
    /// assert_eq!(serde_json::to_value(&sim).unwrap(), o.call("simulate", &Actor::System, at, &json!({})).unwrap());
    /// let log = o.call_answer("audit_log", &Actor::System, at, &json!({})).unwrap();
    /// assert!(matches!(log, Answer::Value(_)));
    /// ```
    pub fn call_answer(&mut self, name: &str, actor: &Actor, at: NaiveDate, args: &Value) -> Result<Answer> {
        match name {
            "simulate" => self
                .simulate(actor, args.get("scope").cloned(), args.get("options").cloned(), at)
                .map(|r| Answer::Simulate(Box::new(r))),
            _ => self.call(name, actor, at, args).map(Answer::Value),
        }
    }
}
