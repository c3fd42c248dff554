//! Statements (SPEC §13, §18.11–§18.17, §18.36, §18.38): generate, get, approve / revert,
//! adjust, true-up, comments, export.

use super::runs::{event_write, internal, landing_period, original_key, parse_event, HistoryRows};
use super::{indexed, s, Actor, Orchestrator};
use crate::decimal::{fmt_money, fmt_plain, parse_decimal};
use crate::error::{Error, ErrorCode, Issue, Result};
use crate::ledger::{key_of, Event, LineStatus};
use crate::model::{Role, Settings};
use crate::repository::{Collection, Query, Record, Repository, Write};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap, HashSet};

/// One line of a statement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatementLine {
    /// `event`, `adjustment`, `true_up` or `clawback`.
    pub kind: String,
    /// The event key (or adjustment id).
    pub key: String,
    /// Rule.
    pub rule_name: Option<String>,
    /// Deal.
    pub deal_id: Option<String>,
    /// Deal name.
    pub deal_name: Option<String>,
    /// Tier.
    pub tier_name: Option<String>,
    /// Rate (a fraction).
    #[serde(with = "rust_decimal::serde::str_option", default)]
    pub rate_applied: Option<Decimal>,
    /// Amount.
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    /// Date of the line.
    pub credit_date: Option<String>,
    /// For true-ups and clawbacks: the corrected period.
    pub references_period: Option<String>,
    /// Currency (deal currency; none = the workspace's).
    pub currency: Option<String>,
    /// Adjustment reason.
    pub reason: Option<String>,
}

/// One generated snapshot of a statement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatementVersion {
    /// 1, 2, …
    pub version: u32,
    /// When generated.
    pub generated_at: String,
    /// Who generated it.
    pub generated_by: String,
    /// Lines.
    pub lines: Vec<StatementLine>,
    /// Σ lines.
    #[serde(with = "rust_decimal::serde::str")]
    pub net_payout: Decimal,
}

/// A rep's statement for one period, with every version generated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Statement {
    /// Rep.
    pub rep_id: String,
    /// Period string (locks apply to exactly this string).
    pub period: String,
    /// `draft` or `approved`.
    pub status: String,
    /// Versions, oldest first.
    pub versions: Vec<StatementVersion>,
    /// Approver.
    pub approved_by: Option<String>,
    /// Approval date.
    pub approved_at: Option<String>,
}

impl Statement {
    /// The latest version.
    pub fn current(&self) -> Option<&StatementVersion> {
        self.versions.last()
    }
}

/// The result of a true-up call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TrueUpResult {
    /// Call id (empty when there was nothing to true up).
    pub id: String,
    /// Rep.
    pub rep_id: String,
    /// The locked period corrected.
    pub references_period: String,
    /// Where the lines land.
    pub period: String,
    /// `approved`, `requires_approval`, `rejected` (or `none` for an empty call).
    pub status: String,
    /// Σ of the lines.
    #[serde(with = "rust_decimal::serde::str")]
    pub total: Decimal,
    /// The true-up lines.
    pub lines: Vec<Event>,
}

const KINDS: [&str; 7] = ["event", "adjustment", "true_up", "clawback", "held", "draw", "draw_recovery"];

impl<R: Repository> Orchestrator<R> {
    pub(super) fn settings(&self, at: NaiveDate) -> Result<Settings> {
        let settings = self.repo.get(Collection::Settings, "settings")?.map(|r| r.doc).unwrap_or(json!({}));
        let (settings, _, _) = crate::draws::split_workspace_settings(&settings);
        Ok(super::check_part(
            json!({"asOf": at.to_string(), "settings": settings, "reps": [], "plans": [], "deals": []}),
        )?
        .settings)
    }

    fn statement_record(&self, rep: &str, period: &str) -> Result<Option<(Statement, u64)>> {
        match self.repo.get(Collection::Statements, &format!("{rep}|{period}"))? {
            None => Ok(None),
            Some(r) => Ok(Some((serde_json::from_value(r.doc).map_err(internal)?, r.version))),
        }
    }

    fn statement_write(st: &Statement, expected: u64) -> Result<Write> {
        let doc = serde_json::to_value(st).map_err(internal)?;
        let rec =
            indexed(Record::new(format!("{}|{}", st.rep_id, st.period), doc), Some(&st.rep_id), Some(&st.period), None);
        Ok(Write::put(Collection::Statements, rec, Some(expected)))
    }

    /// The lines a statement for (rep, period) would hold now (SPEC §18.16, §18.38): the live
    /// events of that exact period string (REVERSED 0.00 lines left out), approved true-ups,
    /// clawbacks and adjustments landing there, ordered by kind, rule, credit date, deal id.
    pub fn live_lines(&self, rep: &str, period: &str) -> Result<Vec<StatementLine>> {
        let mut lines = self.base_lines(rep, period)?;
        lines.extend(self.draw_lines(rep, period)?);
        Ok(lines)
    }

    /// The `draw` and `draw_recovery` lines of (rep, period) (SPEC §20): each workspace draw of
    /// the rep whose periods are of `period`'s kind runs from its `periodFrom` to `period` over
    /// E = the payable lines of each period's statement without draw lines (held installments
    /// left out); the step of `period` gives a `draw` line (when > 0) and a `draw_recovery` line
    /// (when < 0). Keys: `["<repId>","draw","<i>","<period>"]` and `…"draw_recovery"…`.
    fn draw_lines(&self, rep: &str, period: &str) -> Result<Vec<StatementLine>> {
        let Some(target) = crate::period::Period::parse(period) else { return Ok(vec![]) };
        let settings_doc = self.repo.get(Collection::Settings, "settings")?.map(|r| r.doc).unwrap_or(json!({}));
        let (_, draws, _) = crate::draws::split_workspace_settings(&settings_doc);
        let Some(draws) = draws else { return Ok(vec![]) };
        let at = target.start(1);
        let settings = self.settings(at)?;
        let doc = super::check_part(json!({"asOf": at.to_string(), "reps": [{"id": rep}], "plans": [], "deals": [],
            "draws": draws.as_array().map(|a| a.iter().filter(|d| s(d, "repId") == Some(rep)).cloned().collect::<Vec<_>>()).unwrap_or_default()}))?;
        let fy = settings.fiscal_year_start_month;
        let mut out = Vec::new();
        for (i, d) in doc.draws.iter().enumerate() {
            if d.period_from.kind != target.kind || target < d.period_from {
                continue;
            }
            let mut earnings = BTreeMap::new();
            let mut p = d.period_from;
            while p <= target {
                let e =
                    sum(self.base_lines(rep, &p.to_string())?.iter().filter(|l| l.kind != "held").map(|l| l.amount))?;
                earnings.insert(p, e);
                p = crate::period::Period::containing(p.end(fy), p.kind, fy);
            }
            let steps = crate::draws::run_draw(d, &earnings, fy, settings.currency_precision, settings.rounding)?;
            let Some(step) = steps.iter().find(|x| x.period == target) else { continue };
            let currency = settings.reporting_currency.clone();
            for (kind, amount) in [("draw", step.draw), ("draw_recovery", step.recovery)] {
                if amount.is_zero() {
                    continue;
                }
                out.push(StatementLine {
                    kind: kind.into(),
                    key: key_of(&[rep, kind, &i.to_string(), period]),
                    rule_name: None,
                    deal_id: None,
                    deal_name: None,
                    tier_name: None,
                    rate_applied: None,
                    amount,
                    credit_date: Some(target.last_day(fy).to_string()),
                    references_period: None,
                    currency: currency.clone(),
                    reason: Some(format!("balance {}", fmt_money(step.balance, settings.currency_precision))),
                });
            }
        }
        Ok(out)
    }

    fn base_lines(&self, rep: &str, period: &str) -> Result<Vec<StatementLine>> {
        let q = Query { rep_id: Some(rep.to_string()), period: Some(period.to_string()), deal_id: None };
        let approved_calls: HashSet<String> = self
            .repo
            .list(Collection::TrueUps, &Query { rep_id: Some(rep.to_string()), ..Query::all() })?
            .into_iter()
            .filter(|r| r.doc["status"] == "approved")
            .map(|r| r.id)
            .collect();
        let deals: HashMap<String, Value> = self
            .docs(Collection::Deals)?
            .into_iter()
            .filter_map(|d| s(&d, "id").map(|i| (i.to_string(), d.clone())))
            .collect();
        let mut lines = Vec::new();
        for r in self.repo.list(Collection::Events, &q)? {
            let e = parse_event(&r.doc)?;
            if e.status == LineStatus::Reversed && e.amount.is_zero() {
                continue;
            }
            let kind = match e.execution_phase.as_str() {
                "true_up" => {
                    if !e.true_up_id.as_ref().is_some_and(|t| approved_calls.contains(t)) {
                        continue;
                    }
                    "true_up"
                }
                "clawback" => "clawback",
                // an installment not released yet (SPEC §20): shown, not payable
                _ if e.reason.as_deref() == Some("held") => "held",
                _ => "event",
            };
            let deal = e.deal_id.as_ref().and_then(|d| deals.get(d));
            lines.push(StatementLine {
                kind: kind.into(),
                key: e.idempotency_key.clone(),
                rule_name: (!e.rule_name.is_empty()).then(|| e.rule_name.clone()),
                deal_id: e.deal_id.clone(),
                deal_name: deal.and_then(|d| s(d, "name")).map(str::to_string),
                tier_name: e.tier_name.clone(),
                rate_applied: e.rate_applied,
                amount: e.amount,
                credit_date: Some(e.credit_date.clone()),
                references_period: e.references_period.clone(),
                // the plan's currency when FX conversion is on (SPEC §20), else the deal's
                currency: e.currency.clone().or_else(|| deal.and_then(|d| s(d, "currency")).map(str::to_string)),
                reason: e.reason.clone().filter(|r| r == "carry_forward"),
            });
        }
        for r in self.repo.list(Collection::Adjustments, &q)? {
            let amount = r.doc.get("amount").and_then(Value::as_str).and_then(parse_decimal).unwrap_or_default();
            lines.push(StatementLine {
                kind: "adjustment".into(),
                key: r.id.clone(),
                rule_name: None,
                deal_id: None,
                deal_name: None,
                tier_name: None,
                rate_applied: None,
                amount,
                credit_date: s(&r.doc, "at").map(str::to_string),
                references_period: None,
                currency: s(&r.doc, "currency").map(str::to_string),
                reason: s(&r.doc, "reason").map(str::to_string),
            });
        }
        lines.sort_by(|a, b| {
            let k = |l: &StatementLine| {
                (
                    KINDS.iter().position(|k| *k == l.kind),
                    l.rule_name.clone(),
                    l.credit_date.clone(),
                    l.deal_id.clone(),
                    l.key.clone(),
                )
            };
            k(a).cmp(&k(b))
        });
        Ok(lines)
    }

    /// Generates a statement snapshot (version n+1, `draft`); with nothing changed it returns the
    /// current version. `statement_locked` on an approved period. Admin or a manager above the rep.
    pub fn generate_statement(&mut self, actor: &Actor, rep: &str, period: &str, at: NaiveDate) -> Result<Statement> {
        let by = self.require_manage(actor, rep)?;
        self.require_rep_exists(rep)?;
        self.transact(|o| {
            let cur = o.statement_record(rep, period)?;
            if let Some((st, _)) = &cur {
                if st.status == "approved" {
                    return Err(locked(rep, period));
                }
            }
            let lines = o.live_lines(rep, period)?;
            let mut st = cur.as_ref().map(|(s, _)| s.clone()).unwrap_or(Statement {
                rep_id: rep.into(),
                period: period.into(),
                status: "draft".into(),
                versions: vec![],
                approved_by: None,
                approved_at: None,
            });
            if st.current().is_some_and(|v| v.lines == lines) {
                return Ok((vec![], st));
            }
            let mut net = sum(lines.iter().filter(|l| l.kind != "held").map(|l| l.amount))?;
            // money is written with the workspace's currencyPrecision decimals: an empty statement
            // nets "0.00", not "0" (lines are already rounded to it; this only pads)
            let dp = o.settings(at)?.currency_precision;
            if net.scale() < dp {
                net.rescale(dp);
            }
            let n = st.versions.len() as u32 + 1;
            st.versions.push(StatementVersion {
                version: n,
                generated_at: at.to_string(),
                generated_by: by.clone(),
                lines,
                net_payout: net,
            });
            let writes = vec![
                Self::statement_write(&st, cur.as_ref().map_or(0, |(_, v)| *v))?,
                o.audit(
                    actor,
                    at,
                    "statement.generated",
                    "statement",
                    &format!("{rep}|{period}"),
                    json!({"version": n, "netPayout": net.to_string()}),
                )?,
            ];
            Ok((writes, st))
        })
    }

    /// A statement (NOT_FOUND when none was generated). The rep, a manager above, or an admin.
    pub fn get_statement(&self, actor: &Actor, rep: &str, period: &str) -> Result<Statement> {
        self.require_read(actor, rep)?;
        self.statement_record(rep, period)?
            .map(|(s, _)| s)
            .ok_or_else(|| Error::new(ErrorCode::NotFound, format!("no statement for `{rep}` {period}")))
    }

    /// `approved` locks the period (its lines become APPROVED); `draft` reverts (SPEC §13,
    /// §18.15–§18.16, §18.33). Approving is `CONFLICT` while a true-up awaiting its decision lands
    /// in the period (SPEC is silent; deciding it later would change an approved statement —
    /// fixture `ledger/workflow_pending_true_up_blocks_approval`).
    pub fn set_statement_status(
        &mut self,
        actor: &Actor,
        rep: &str,
        period: &str,
        status: &str,
        at: NaiveDate,
    ) -> Result<Statement> {
        let by = self.require_manage(actor, rep)?;
        if !matches!(status, "approved" | "draft") {
            return Err(Error::validation(vec![Issue {
                path: "status".into(),
                code: "invalid_value",
                message: "status must be `approved` or `draft`".into(),
                suggestion: None,
            }]));
        }
        self.transact(|o| {
            let (mut st, v) = o.statement_record(rep, period)?.ok_or_else(|| {
                Error::new(ErrorCode::NotFound, format!("no statement was generated for `{rep}` {period}"))
            })?;
            let q = Query { rep_id: Some(rep.to_string()), period: Some(period.to_string()), deal_id: None };
            let events: Vec<(Event, u64)> = o
                .repo
                .list(Collection::Events, &q)?
                .into_iter()
                .map(|r| parse_event(&r.doc).map(|e| (e, r.version)))
                .collect::<Result<_>>()?;
            let mut writes = Vec::new();
            let outcome = if status == "approved" { "statement_approved" } else { "statement_reverted" };
            let mut history = HistoryRows::new(&o.repo, outcome, at)?;
            if status == "approved" {
                if st.status == "approved" {
                    return Err(Error::new(
                        ErrorCode::Conflict,
                        format!("the statement of `{rep}` {period} is approved already"),
                    ));
                }
                if st.current().map(|c| &c.lines) != Some(&o.live_lines(rep, period)?) {
                    return Err(Error::new(
                        ErrorCode::Conflict,
                        "the lines changed since the statement was generated; generate it again",
                    ));
                }
                // a true-up awaiting its decision lands here: approving now would let that
                // decision change an approved statement (its lines would appear after the lock)
                if let Some(t) =
                    o.repo.list(Collection::TrueUps, &q)?.iter().find(|t| t.doc["status"] == "requires_approval")
                {
                    return Err(Error::new(
                        ErrorCode::Conflict,
                        format!(
                            "true-up `{}` lands in {period} and awaits a decision; approve or reject it first",
                            t.doc["id"].as_str().unwrap_or_default()
                        ),
                    ));
                }
                let keys: HashSet<&str> =
                    st.current().map(|c| c.lines.iter().map(|l| l.key.as_str()).collect()).unwrap_or_default();
                for (e, ver) in &events {
                    // a held installment (SPEC §20) is shown but not approved for payment
                    if keys.contains(e.idempotency_key.as_str())
                        && e.status == LineStatus::Pending
                        && e.reason.as_deref() != Some("held")
                    {
                        let mut next = e.clone();
                        next.status = LineStatus::Approved;
                        writes.push(event_write(&next, Some(*ver))?);
                        writes.push(history.row("status", Some(e), &next)?);
                    }
                }
                st.status = "approved".into();
                st.approved_by = Some(by.clone());
                st.approved_at = Some(at.to_string());
                writes.push(Self::statement_write(&st, v)?);
                writes.push(o.audit(
                    actor,
                    at,
                    "statement.approved",
                    "statement",
                    &format!("{rep}|{period}"),
                    json!({"version": st.versions.len()}),
                )?);
            } else {
                if st.status != "approved" {
                    return Err(Error::new(
                        ErrorCode::Conflict,
                        format!("the statement of `{rep}` {period} is not approved"),
                    ));
                }
                let is_admin = matches!(o.role_of(actor)?, None | Some((_, Role::Admin)));
                if !is_admin && st.approved_by.as_deref() != Some(by.as_str()) {
                    return Err(super::forbidden(&by, "only an admin or the approver may revert a statement"));
                }
                if events.iter().any(|(e, _)| e.status == LineStatus::Paid) {
                    return Err(Error::new(ErrorCode::Conflict, "paid lines refer to this period"));
                }
                // lines in a payroll batch past DRAFT are locked (SPEC §18.12): keep them APPROVED
                let locked_batches = o.locks(&[], at)?.locked_batches;
                if events.iter().any(|(e, _)| e.batch_id.as_ref().is_some_and(|b| locked_batches.contains(b))) {
                    return Err(Error::new(
                        ErrorCode::Conflict,
                        "lines of this period are in a payroll batch past DRAFT",
                    ));
                }
                let open_true_ups = o
                    .repo
                    .list(Collection::TrueUps, &Query { rep_id: Some(rep.to_string()), ..Query::all() })?
                    .into_iter()
                    .any(|r| s(&r.doc, "referencesPeriod") == Some(period) && r.doc["status"] != "rejected");
                if open_true_ups {
                    return Err(Error::new(ErrorCode::Conflict, "true-ups that are not rejected refer to this period"));
                }
                for (e, ver) in &events {
                    if e.status == LineStatus::Approved {
                        let mut next = e.clone();
                        next.status = LineStatus::Pending;
                        writes.push(event_write(&next, Some(*ver))?);
                        writes.push(history.row("status", Some(e), &next)?);
                    }
                }
                st.status = "draft".into();
                st.approved_by = None;
                st.approved_at = None;
                writes.push(Self::statement_write(&st, v)?);
                writes.push(o.audit(
                    actor,
                    at,
                    "statement.reverted",
                    "statement",
                    &format!("{rep}|{period}"),
                    json!({}),
                )?);
            }
            Ok((writes, st.clone()))
        })
    }

    /// A manual adjustment (negative = clawback-like deduction, exported as kind `adjustment`).
    /// Admin only; `statement_locked` once approved; non-zero, at most `currencyPrecision`
    /// decimals, reason required (SPEC §13, §18.17).
    pub fn adjust(
        &mut self,
        actor: &Actor,
        rep: &str,
        period: &str,
        amount: &Value,
        reason: &str,
        at: NaiveDate,
    ) -> Result<Value> {
        self.require_admin(actor)?;
        self.require_rep_exists(rep)?;
        let dp = self.settings(at)?.currency_precision;
        let mut issues = Vec::new();
        let amt = match amount {
            Value::String(t) => parse_decimal(t),
            Value::Number(n) => parse_decimal(&n.to_string()),
            _ => None,
        };
        match amt {
            None => issues.push(issue("amount", "invalid_decimal", "`amount` must be a decimal")),
            Some(a) if a.is_zero() => issues.push(issue("amount", "invalid_value", "`amount` must not be zero")),
            Some(a) if a.normalize().scale() > dp => {
                issues.push(issue("amount", "invalid_value", &format!("`amount` has more than {dp} decimals")))
            }
            _ => {}
        }
        if reason.trim().is_empty() {
            issues.push(issue("reason", "required", "`reason` is required"));
        }
        if crate::period::Period::parse(period).is_none() {
            issues.push(issue("period", "invalid_period", "`period` must be YYYY-MM, YYYY-QN or YYYY"));
        }
        if !issues.is_empty() {
            return Err(Error::validation(issues));
        }
        let amt = amt.unwrap_or_default();
        self.transact(|o| {
            if o.statement_record(rep, period)?.is_some_and(|(s, _)| s.status == "approved") {
                return Err(locked(rep, period));
            }
            let n = o.repo.list(Collection::Adjustments, &Query { rep_id: Some(rep.to_string()), period: Some(period.to_string()), deal_id: None })?.len() + 1;
            let id = format!("{rep}|{period}|adj{n}");
            let doc = json!({"id": id, "repId": rep, "period": period, "amount": fmt_money(amt, dp), "reason": reason, "actor": actor.label(), "at": at.to_string()});
            let writes = vec![
                Write::put(Collection::Adjustments, indexed(Record::new(&id, doc.clone()), Some(rep), Some(period), None), Some(0)),
                o.audit(actor, at, "statement.adjusted", "statement", &format!("{rep}|{period}"), json!({"amount": fmt_money(amt, dp), "reason": reason}))?,
            ];
            Ok((writes, doc.clone()))
        })
    }

    /// After approval, turns the delta between the locked lines and their held results into
    /// true-up lines landing in the next open period (SPEC §13, §18.13–§18.14, §18.38).
    pub fn true_up(&mut self, actor: &Actor, rep: &str, period: &str, at: NaiveDate) -> Result<TrueUpResult> {
        self.require_manage(actor, rep)?;
        let settings = self.settings(at)?;
        self.transact(|o| {
            let q = Query { rep_id: Some(rep.to_string()), period: Some(period.to_string()), deal_id: None };
            let events: Vec<Event> = o.repo.list(Collection::Events, &q)?.into_iter().map(|r| parse_event(&r.doc)).collect::<Result<_>>()?;
            let approved = o.statement_record(rep, period)?.is_some_and(|(s, _)| s.status == "approved");
            if !approved && !events.iter().any(|e| e.status == LineStatus::Paid) {
                return Err(Error::new(ErrorCode::Conflict, format!("{period} has no approved or paid line for `{rep}`: nothing to true up")));
            }
            let all: Vec<(Event, u64)> = o.repo.list(Collection::Events, &Query::all())?.into_iter().map(|r| parse_event(&r.doc).map(|e| (e, r.version))).collect::<Result<_>>()?;
            let locks = o.locks(&all, at)?;
            let n = o.repo.list(Collection::TrueUps, &Query { rep_id: Some(rep.to_string()), ..Query::all() })?.into_iter().filter(|r| s(&r.doc, "referencesPeriod") == Some(period)).count() + 1;
            let id = format!("{rep}|{period}|tu{n}");
            let mut lines = Vec::new();
            let mut landing = String::new();
            for e in events.iter().filter(|e| matches!(e.execution_phase.as_str(), "per_deal" | "periodic" | "cascade")) {
                let Some(held) = &e.held else { continue };
                if held.event.is_none() && locks.settled(e) {
                    continue; // past clawbackWindowDays: the paid amount is settled (SPEC §18.38)
                }
                let corrected = locks.corrections.get(&e.idempotency_key).copied().unwrap_or_default();
                let delta = held.amount - (e.amount + corrected);
                if delta.is_zero() {
                    continue;
                }
                landing = landing_period(e, at, settings.fiscal_year_start_month, &locks);
                let mut parts: Vec<String> = serde_json::from_str(&e.idempotency_key).unwrap_or_default();
                parts.push("true_up".into());
                parts.push(id.clone());
                let refs: Vec<&str> = parts.iter().map(String::as_str).collect();
                lines.push(Event {
                    idempotency_key: key_of(&refs),
                    execution_phase: "true_up".into(),
                    amount: delta,
                    period: landing.clone(),
                    references_period: Some(period.to_string()),
                    true_up_id: Some(id.clone()),
                    status: LineStatus::Pending,
                    credit_date: at.to_string(),
                    held: None,
                    batch_id: None,
                    paid_at: None,
                    trace: vec![json!({"step": "true_up", "of": e.idempotency_key, "locked": e.amount.to_string(), "held": held.amount.to_string(), "earlierCorrections": corrected.to_string()})],
                    ..e.clone()
                });
            }
            let total = sum(lines.iter().map(|l| l.amount))?;
            if lines.is_empty() {
                let empty = TrueUpResult { id: String::new(), rep_id: rep.into(), references_period: period.into(), period: String::new(), status: "none".into(), total: Decimal::new(0, settings.currency_precision), lines: vec![] };
                return Ok((vec![], empty));
            }
            let status = if total.abs() > settings.true_up_approval_threshold { "requires_approval" } else { "approved" };
            let result = TrueUpResult { id: id.clone(), rep_id: rep.into(), references_period: period.into(), period: landing.clone(), status: status.into(), total, lines: lines.clone() };
            let mut writes = Vec::new();
            let mut history = HistoryRows::new(&o.repo, "true_up", at)?;
            for l in &lines {
                writes.push(event_write(l, Some(0))?);
                writes.push(history.row("true_up", None, l)?);
            }
            let doc = json!({"id": id, "repId": rep, "referencesPeriod": period, "period": landing, "status": status, "total": fmt_money(total, settings.currency_precision), "keys": lines.iter().map(|l| original_key(&l.idempotency_key)).collect::<Vec<_>>(), "at": at.to_string()});
            writes.push(Write::put(Collection::TrueUps, indexed(Record::new(&id, doc), Some(rep), Some(&landing), None), Some(0)));
            writes.push(o.audit(actor, at, "statement.true_up", "statement", &format!("{rep}|{period}"), json!({"id": id, "total": total.to_string(), "status": status, "lines": lines.len()}))?);
            Ok((writes, result))
        })
    }

    /// Approves or rejects a true-up that `requires_approval` (a manager above the rep or an
    /// admin). Only approved true-ups count in a net payout.
    pub fn decide_true_up(&mut self, actor: &Actor, id: &str, approve: bool, at: NaiveDate) -> Result<Value> {
        let rec = self
            .repo
            .get(Collection::TrueUps, id)?
            .ok_or_else(|| Error::new(ErrorCode::NotFound, format!("no true-up `{id}`")))?;
        let rep = s(&rec.doc, "repId").unwrap_or("").to_string();
        self.require_manage(actor, &rep)?;
        self.transact(|o| {
            let rec = o
                .repo
                .get(Collection::TrueUps, id)?
                .ok_or_else(|| Error::new(ErrorCode::NotFound, format!("no true-up `{id}`")))?;
            if rec.doc["status"] != "requires_approval" {
                return Err(Error::new(ErrorCode::Conflict, format!("true-up `{id}` is {}", rec.doc["status"])));
            }
            let mut doc = rec.doc.clone();
            doc["status"] = json!(if approve { "approved" } else { "rejected" });
            let r = indexed(Record::new(id, doc.clone()), Some(&rep), s(&doc, "period"), None);
            let writes = vec![
                Write::put(Collection::TrueUps, r, Some(rec.version)),
                o.audit(
                    actor,
                    at,
                    if approve { "true_up.approved" } else { "true_up.rejected" },
                    "true_up",
                    id,
                    json!({}),
                )?,
            ];
            Ok((writes, doc.clone()))
        })
    }

    /// Adds a comment on a statement or one of its lines. The rep, a manager above, or an admin.
    pub fn add_comment(
        &mut self,
        actor: &Actor,
        rep: &str,
        period: &str,
        line_key: Option<&str>,
        text: &str,
        at: NaiveDate,
    ) -> Result<Value> {
        self.require_read(actor, rep)?;
        if text.trim().is_empty() {
            return Err(Error::validation(vec![issue("text", "required", "a comment needs text")]));
        }
        self.transact(|o| {
            let q = Query { rep_id: Some(rep.to_string()), period: Some(period.to_string()), deal_id: None };
            let n = o.repo.list(Collection::Comments, &q)?.iter().filter_map(|r| r.doc["n"].as_u64()).max().unwrap_or(0) + 1;
            let id = format!("{rep}|{period}|c{n}");
            let doc = json!({"id": id, "n": n, "repId": rep, "period": period, "lineKey": line_key, "author": actor.label(), "text": text, "at": at.to_string()});
            let writes = vec![
                Write::put(Collection::Comments, indexed(Record::new(&id, doc.clone()), Some(rep), Some(period), None), Some(0)),
                o.audit(actor, at, "comment.added", "statement", &format!("{rep}|{period}"), json!({"id": id}))?,
            ];
            Ok((writes, doc.clone()))
        })
    }

    /// Comments on a statement, oldest first.
    pub fn comments(&self, actor: &Actor, rep: &str, period: &str) -> Result<Vec<Value>> {
        self.require_read(actor, rep)?;
        let q = Query { rep_id: Some(rep.to_string()), period: Some(period.to_string()), deal_id: None };
        let mut v: Vec<Value> = self.repo.list(Collection::Comments, &q)?.into_iter().map(|r| r.doc).collect();
        v.sort_by_key(|d| d["n"].as_u64());
        Ok(v)
    }

    /// Deletes a comment (its author or an admin).
    pub fn delete_comment(&mut self, actor: &Actor, id: &str, at: NaiveDate) -> Result<()> {
        let rec = self
            .repo
            .get(Collection::Comments, id)?
            .ok_or_else(|| Error::new(ErrorCode::NotFound, format!("no comment `{id}`")))?;
        let is_admin = matches!(self.role_of(actor)?, None | Some((_, Role::Admin)));
        if !is_admin && rec.doc["author"] != actor.label().as_str() {
            return Err(super::forbidden(&actor.label(), "only the author or an admin may delete a comment"));
        }
        self.transact(|o| {
            let writes = vec![
                Write::Delete { collection: Collection::Comments, id: id.to_string() },
                o.audit(actor, at, "comment.deleted", "comment", id, json!({}))?,
            ];
            Ok((writes, ()))
        })
    }

    /// Exports a statement's lines for payroll: `csv` (default) or `json` (SPEC §13, §18.36):
    /// one row per line — repId, repName, email, period, kind, rule, dealId, dealName, tier, rate,
    /// amount — then a `net` row per currency. LF line endings.
    pub fn export_statement(
        &self,
        actor: &Actor,
        rep: &str,
        period: &str,
        format: &str,
        at: NaiveDate,
    ) -> Result<String> {
        self.require_read(actor, rep)?;
        let dp = self.settings(at)?.currency_precision;
        let rep_doc = self
            .repo
            .get(Collection::Reps, rep)?
            .map(|r| r.doc)
            .ok_or_else(|| Error::new(ErrorCode::RepNotFound, format!("no rep `{rep}`")))?;
        let lines = self.live_lines(rep, period)?;
        let mut nets: BTreeMap<String, Decimal> = BTreeMap::new();
        for l in lines.iter().filter(|l| l.kind != "held") {
            let slot = nets.entry(l.currency.clone().unwrap_or_default()).or_default();
            *slot = slot.checked_add(l.amount).ok_or_else(|| Error::overflow("a statement net"))?;
        }
        let name = s(&rep_doc, "name").unwrap_or(rep);
        let email = s(&rep_doc, "email").unwrap_or("");
        match format {
            "json" => {
                let rows: Vec<Value> = lines
                    .iter()
                    .map(|l| json!({"repId": rep, "repName": name, "email": email, "period": period, "kind": l.kind,
                        "rule": l.rule_name, "dealId": l.deal_id, "dealName": l.deal_name, "tier": l.tier_name,
                        "rate": l.rate_applied.map(fmt_plain), "amount": fmt_money(l.amount, dp), "currency": l.currency,
                        "referencesPeriod": l.references_period, "reason": l.reason}))
                    .collect();
                let net: Vec<Value> = nets.iter().map(|(c, a)| json!({"currency": if c.is_empty() { Value::Null } else { json!(c) }, "amount": fmt_money(*a, dp)})).collect();
                serde_json::to_string_pretty(&json!({"repId": rep, "repName": name, "email": email, "period": period, "lines": rows, "net": net})).map_err(internal)
            }
            "csv" => {
                let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::Any(b'\n')).from_writer(Vec::new());
                let csv_err = |e: csv::Error| Error::new(ErrorCode::InternalError, format!("CSV: {e}"));
                w.write_record([
                    "repId", "repName", "email", "period", "kind", "rule", "dealId", "dealName", "tier", "rate",
                    "amount", "currency",
                ])
                .map_err(csv_err)?;
                // text cells are neutralized against spreadsheet formulas; rate and amount are not
                use crate::csv_text::text_cell as t;
                let (rep_c, name_c, email_c, period_c) = (t(rep), t(name), t(email), t(period));
                for l in &lines {
                    let rate = l.rate_applied.map(fmt_plain).unwrap_or_default();
                    let amount = fmt_money(l.amount, dp);
                    w.write_record([
                        &*rep_c,
                        &name_c,
                        &email_c,
                        &period_c,
                        &t(&l.kind),
                        &t(l.rule_name.as_deref().unwrap_or("")),
                        &t(l.deal_id.as_deref().unwrap_or("")),
                        &t(l.deal_name.as_deref().unwrap_or("")),
                        &t(l.tier_name.as_deref().unwrap_or("")),
                        &rate,
                        &amount,
                        &t(l.currency.as_deref().unwrap_or("")),
                    ])
                    .map_err(csv_err)?;
                }
                for (c, a) in &nets {
                    let amount = fmt_money(*a, dp);
                    w.write_record([&*rep_c, &name_c, &email_c, &period_c, "net", "", "", "", "", "", &amount, &t(c)])
                        .map_err(csv_err)?;
                }
                let bytes = w.into_inner().map_err(|e| Error::new(ErrorCode::InternalError, format!("CSV: {e}")))?;
                String::from_utf8(bytes).map_err(internal)
            }
            other => Err(Error::validation(vec![issue(
                "format",
                "invalid_value",
                &format!("format must be `csv` or `json`, found `{other}`"),
            )])),
        }
    }

    fn require_rep_exists(&self, rep: &str) -> Result<()> {
        self.repo
            .get(Collection::Reps, rep)?
            .map(|_| ())
            .ok_or_else(|| Error::new(ErrorCode::RepNotFound, format!("no rep `{rep}`")))
    }
}

fn locked(rep: &str, period: &str) -> Error {
    Error::with_details(
        ErrorCode::StatementLocked,
        format!("the statement of `{rep}` for {period} is approved; revert it to draft or file a true-up"),
        json!({"repId": rep, "period": period}),
    )
}

fn issue(path: &str, code: &'static str, message: &str) -> Issue {
    Issue { path: path.into(), code, message: message.into(), suggestion: None }
}

fn sum(it: impl Iterator<Item = Decimal>) -> Result<Decimal> {
    let mut t = Decimal::ZERO;
    for x in it {
        t = t.checked_add(x).ok_or_else(|| Error::overflow("a statement total"))?;
    }
    Ok(t)
}
