//! Spark workflows (SPEC §9, §14, §18.10, §18.13, §18.23–§18.26, §18.38): cancelling and
//! recalculating a sale, the sale view, payroll batches and their status machine, clawback
//! processing, allocation summaries and goals — over any [`Repository`], each call one atomic
//! commit.
//!
//! Choices where SPEC is silent:
//! - **Cancel** (`POST /sales/{id}/cancel`) sets the stored snapshot's `status` to `CANCELLED`
//!   (and `fields.cancelledAt` when the call gives one) and runs the deal-changed workflow with
//!   outcome `processed` (SPEC §18.38); the reason goes to the audit entry `sale.cancelled`.
//!   Without `cancelledAt` the cancellation date is the `at` of the first run that finds a key
//!   gone (kept on the event as `goneSince`), which for a cancel call is the call itself.
//!   A line that is locked but not yet paid when its sale is cancelled (approved, or in a batch
//!   past DRAFT) keeps its amount with a held result of 0; once it is paid, the next run over
//!   the sale writes its clawback.
//! - **Recalculate** (`POST /sales/{id}/recalculate`) is a deal run on the stored snapshot:
//!   unpaid lines are recomputed, paid and otherwise locked lines are kept (SPEC §18.12).
//! - **Batches** are admin only (SPEC §18.33). Ids are the host's `batchId` or `batch-<n>`
//!   (n = stored batches + 1). Creating a batch marks its lines with the batch id (events) or
//!   `batchId` (adjustments). While a batch is DRAFT its lines can still change: reading it shows
//!   the lines as they are now, and `submit` drops (and releases) lines that no longer qualify
//!   before it freezes the batch. A statement revert is `CONFLICT` while lines of that period
//!   are in a batch past DRAFT. `mark_batch_paid` sets every line `PAID` with `paidAt` = payDate,
//!   processes its clawbacks (status `PAID`, `paidAt` = payDate) and writes, per (user, currency)
//!   with a negative net, an unprocessed `carry_forward` clawback of net (a negative line) keyed
//!   `[userId, "carry_forward", batchId(, currency)]`, dated payDate, in the monthly period of
//!   payDate, with no deal or rule (`ruleName` "", `planId` "").
//! - **Clawbacks** are processed singly or in a list, all or nothing: an unknown key is
//!   `NOT_FOUND`; a processed clawback, or one held by a batch, is `CONFLICT`. Processing sets
//!   status `PAID` and `paidAt` = `at` (a processed clawback is a recovered one).
//! - **Reads**: `clawbacks`, `allocation_summary` and `goals` filtered to one user may be read by
//!   that user, a manager above them or an admin (SPEC §17); unfiltered, they are admin only.
//!   The sale view is admin only.

use super::runs::{event_write, internal, parse_event, HistoryRows};
use super::{indexed, s, version, Actor, Orchestrator};
use crate::error::{Error, ErrorCode, Issue, Result};
use crate::ledger::{key_of, Event, LineStatus, Outcome};
use crate::payroll::{line_type, transition, AllocationFilter, Batch, BatchLine, BatchTransition};
use crate::period::{parse_date, Period, PeriodKind};
use crate::repository::{Collection, Query, Record, Repository, Write};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde_json::{json, Map, Value};
use std::collections::{HashMap, HashSet};

use super::runs::RunReport;

fn issue(path: &str, code: &'static str, message: String) -> Issue {
    Issue { path: path.into(), code, message, suggestion: None }
}

fn id_of(v: Option<&Value>) -> Option<String> {
    match v {
        Some(Value::String(t)) if !t.is_empty() => Some(t.clone()),
        Some(Value::Number(n)) if n.is_i64() || n.is_u64() => Some(n.to_string()),
        _ => None,
    }
}

/// A batch request (the seed's `POST /payroll/batches` body), checked.
struct BatchRequest {
    batch_id: Option<String>,
    name: String,
    start: Option<NaiveDate>,
    end: NaiveDate,
    pay_date: NaiveDate,
    projects: Option<Vec<String>>,
    include_clawbacks: bool,
}

const BATCH_KEYS: [&str; 7] =
    ["batchId", "batchName", "payPeriodStart", "payPeriodEnd", "payDate", "projectTypeIds", "includeClawbacks"];

fn read_batch_request(body: &Value) -> Result<BatchRequest> {
    let mut issues = Vec::new();
    let Some(m) = body.as_object() else {
        return Err(Error::validation(vec![issue("", "invalid_type", "the batch must be an object".into())]));
    };
    for k in m.keys() {
        if !BATCH_KEYS.contains(&k.as_str()) {
            let suggestion = crate::validate::suggest(k, &BATCH_KEYS);
            issues.push(Issue {
                path: k.clone(),
                code: "unknown_field",
                message: format!("unknown field `{k}`"),
                suggestion,
            });
        }
    }
    let batch_id = id_of(m.get("batchId"));
    if m.get("batchId").is_some_and(|v| !v.is_null()) && batch_id.is_none() {
        issues.push(issue("batchId", "invalid_type", "`batchId` must be a string or integer id".into()));
    }
    let name = match m.get("batchName") {
        Some(Value::String(t)) if !t.trim().is_empty() => Some(t.clone()),
        _ => {
            issues.push(issue("batchName", "required", "`batchName` (a non-empty string) is required".into()));
            None
        }
    };
    let mut date = |k: &str, required: bool| match m.get(k) {
        None | Some(Value::Null) if !required => None,
        v => {
            let d = v.and_then(Value::as_str).and_then(|t| parse_date(t, false));
            if d.is_none() {
                issues.push(issue(k, "invalid_date", format!("`{k}` must be a date YYYY-MM-DD")));
            }
            d
        }
    };
    let start = date("payPeriodStart", false);
    let end = date("payPeriodEnd", true);
    let pay_date = date("payDate", true);
    if let (Some(a), Some(b)) = (start, end) {
        if b < a {
            issues.push(issue("payPeriodEnd", "invalid_value", "`payPeriodEnd` is before `payPeriodStart`".into()));
        }
    }
    let projects = match m.get("projectTypeIds") {
        None | Some(Value::Null) => None,
        Some(Value::Array(a)) => {
            let mut out = Vec::new();
            for (i, x) in a.iter().enumerate() {
                match id_of(Some(x)) {
                    Some(t) => out.push(t),
                    None => issues.push(issue(
                        &format!("projectTypeIds[{i}]"),
                        "invalid_type",
                        "a project type id is a string or an integer".into(),
                    )),
                }
            }
            Some(out)
        }
        Some(_) => {
            issues.push(issue("projectTypeIds", "invalid_type", "`projectTypeIds` must be a list".into()));
            None
        }
    };
    let include_clawbacks = match m.get("includeClawbacks") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => {
            issues.push(issue("includeClawbacks", "invalid_type", "`includeClawbacks` must be true or false".into()));
            false
        }
    };
    match (name, end, pay_date) {
        (Some(name), Some(end), Some(pay_date)) if issues.is_empty() => {
            Ok(BatchRequest { batch_id, name, start, end, pay_date, projects, include_clawbacks })
        }
        _ => Err(Error::validation(issues)),
    }
}

/// What the candidate lines of a batch are read from.
struct Ledger {
    events: Vec<(Event, u64)>,
    adjustments: Vec<Record>,
    deals: HashMap<String, Value>,
    approved_statements: HashSet<(String, String)>,
    approved_true_ups: HashSet<String>,
}

impl Ledger {
    fn currency(&self, e: &Event) -> Option<String> {
        // the plan's currency when FX conversion is on (SPEC §20), else the deal's
        e.currency.clone().or_else(|| {
            e.deal_id.as_ref().and_then(|d| self.deals.get(d)).and_then(|d| s(d, "currency")).map(str::to_string)
        })
    }

    fn project(&self, deal: Option<&String>) -> Option<String> {
        id_of(deal.and_then(|d| self.deals.get(d)).and_then(|d| d["fields"].get("projectTypeId")))
    }

    /// True when an event may be paid by a batch (SPEC §18.23), whatever its batch.
    fn event_qualifies(&self, e: &Event, include_clawbacks: bool) -> bool {
        // a held installment (SPEC §20) is not payable until a later run releases it
        if e.amount.is_zero() || e.reason.as_deref() == Some("held") {
            return false;
        }
        match e.execution_phase.as_str() {
            "clawback" => include_clawbacks && e.status != LineStatus::Paid,
            "true_up" => {
                e.status == LineStatus::Approved
                    && e.true_up_id.as_ref().is_some_and(|t| self.approved_true_ups.contains(t))
            }
            _ => e.status == LineStatus::Approved,
        }
    }

    fn adjustment_qualifies(&self, a: &Value) -> bool {
        let approved = match (s(a, "repId"), s(a, "period")) {
            (Some(r), Some(p)) => self.approved_statements.contains(&(r.to_string(), p.to_string())),
            _ => false,
        };
        approved && a.get("paidAt").map_or(true, Value::is_null)
    }

    fn event_line(&self, e: &Event) -> BatchLine {
        BatchLine {
            source: "event".into(),
            key: e.idempotency_key.clone(),
            user_id: e.rep_id.clone(),
            line_type: line_type(e).into(),
            amount: e.amount,
            currency: self.currency(e),
            deal_id: e.deal_id.clone(),
            milestone: e.milestone,
            date: e.credit_date.clone(),
        }
    }

    fn adjustment_line(a: &Record) -> BatchLine {
        BatchLine {
            source: "adjustment".into(),
            key: a.id.clone(),
            user_id: s(&a.doc, "repId").unwrap_or("").to_string(),
            line_type: "allocation".into(),
            amount: a
                .doc
                .get("amount")
                .and_then(Value::as_str)
                .and_then(crate::decimal::parse_decimal)
                .unwrap_or_default(),
            currency: None,
            deal_id: None,
            milestone: None,
            date: s(&a.doc, "at").unwrap_or("").to_string(),
        }
    }
}

fn dated_by(date: &str, end: NaiveDate) -> bool {
    parse_date(date, true).is_some_and(|d| d <= end)
}

impl<R: Repository> Orchestrator<R> {
    fn ledger(&self) -> Result<Ledger> {
        let events = self
            .repo
            .list(Collection::Events, &Query::all())?
            .into_iter()
            .map(|r| parse_event(&r.doc).map(|e| (e, r.version)))
            .collect::<Result<_>>()?;
        let adjustments = self.repo.list(Collection::Adjustments, &Query::all())?;
        let deals =
            self.docs(Collection::Deals)?.into_iter().filter_map(|d| id_of(d.get("id")).map(|i| (i, d))).collect();
        let approved_statements = self
            .repo
            .list(Collection::Statements, &Query::all())?
            .into_iter()
            .filter(|r| r.doc["status"] == "approved")
            .filter_map(|r| Some((s(&r.doc, "repId")?.to_string(), s(&r.doc, "period")?.to_string())))
            .collect();
        let approved_true_ups = self
            .repo
            .list(Collection::TrueUps, &Query::all())?
            .into_iter()
            .filter(|r| r.doc["status"] == "approved")
            .map(|r| r.id)
            .collect();
        Ok(Ledger { events, adjustments, deals, approved_statements, approved_true_ups })
    }

    fn rep_names(&self) -> Result<(HashMap<String, String>, HashMap<String, String>)> {
        let mut names = HashMap::new();
        let mut emails = HashMap::new();
        for r in self.docs(Collection::Reps)? {
            if let Some(id) = id_of(r.get("id")) {
                names.insert(id.clone(), s(&r, "name").unwrap_or(&id).to_string());
                if let Some(e) = s(&r, "email") {
                    emails.insert(id, e.to_string());
                }
            }
        }
        Ok((names, emails))
    }

    fn batch_record(&self, batch_id: &str) -> Result<(Batch, u64)> {
        let rec = self
            .repo
            .get(Collection::Batches, batch_id)?
            .ok_or_else(|| Error::new(ErrorCode::NotFound, format!("no payroll batch `{batch_id}`")))?;
        Ok((serde_json::from_value(rec.doc).map_err(internal)?, rec.version))
    }

    fn batch_write(b: &Batch, expected: u64) -> Result<Write> {
        let doc = serde_json::to_value(b).map_err(internal)?;
        Ok(Write::put(Collection::Batches, Record::new(&b.batch_id, doc), Some(expected)))
    }

    fn require_read_user(&self, actor: &Actor, user: Option<&str>) -> Result<()> {
        match user {
            Some(u) => self.require_read(actor, u),
            None => self.require_admin(actor),
        }
    }

    // ------------------------------------------------------------------ sales

    /// Cancels a sale (the seed's `POST /sales/{id}/cancel`, SPEC §9, §18.10, §18.13, §18.38):
    /// status `CANCELLED`, then the deal-changed workflow (outcome `processed`): unpaid lines are
    /// reversed, paid ones get clawbacks unless past the rule's `clawbackWindowDays`. Admin (or
    /// the host).
    pub fn cancel_sale(
        &mut self,
        actor: &Actor,
        deal_id: &str,
        reason: Option<&str>,
        cancelled_at: Option<&str>,
        at: NaiveDate,
    ) -> Result<RunReport> {
        self.require_admin(actor)?;
        if let Some(c) = cancelled_at {
            if parse_date(c, true).is_none() {
                return Err(Error::validation(vec![issue(
                    "cancelledAt",
                    "invalid_date",
                    "`cancelledAt` must be a date YYYY-MM-DD".into(),
                )]));
            }
        }
        let rec = self
            .repo
            .get(Collection::Deals, deal_id)?
            .ok_or_else(|| Error::new(ErrorCode::NotFound, format!("no sale `{deal_id}`")))?;
        let mut snap = rec.doc;
        snap["status"] = json!("CANCELLED");
        if let Some(c) = cancelled_at {
            if !snap.get("fields").is_some_and(Value::is_object) {
                snap["fields"] = json!({});
            }
            snap["fields"]["cancelledAt"] = json!(c);
        }
        let details = json!({"reason": reason, "cancelledAt": cancelled_at});
        self.deal_run_with(actor, deal_id, Some(snap), Outcome::Processed, at, Some(("sale.cancelled", details)))
    }

    /// Recalculates one sale (the seed's `POST /sales/{id}/recalculate`): a deal run on the stored
    /// snapshot — unpaid lines recomputed, paid (and otherwise locked) lines kept. Admin.
    pub fn recalculate_sale(&mut self, actor: &Actor, deal_id: &str, at: NaiveDate) -> Result<RunReport> {
        self.require_admin(actor)?;
        let rec = self
            .repo
            .get(Collection::Deals, deal_id)?
            .ok_or_else(|| Error::new(ErrorCode::NotFound, format!("no sale `{deal_id}`")))?;
        let details = json!({"dealId": deal_id});
        self.deal_run_with(actor, deal_id, Some(rec.doc), Outcome::Processed, at, Some(("sale.recalculated", details)))
    }

    /// The seed's `GET /sales/{id}`: the snapshot with its allocations (milestone lines and other
    /// per_deal lines), overrides and clawbacks. Reversed lines are left out. Admin.
    pub fn sale(&self, actor: &Actor, deal_id: &str, at: NaiveDate) -> Result<Value> {
        self.require_admin(actor)?;
        let rec = self
            .repo
            .get(Collection::Deals, deal_id)?
            .ok_or_else(|| Error::new(ErrorCode::NotFound, format!("no sale `{deal_id}`")))?;
        let (names, _) = self.rep_names()?;
        let dp = self.settings(at)?.currency_precision;
        let q = Query { deal_id: Some(deal_id.to_string()), ..Query::all() };
        let mut allocations = Vec::new();
        let mut overrides = Vec::new();
        let mut clawbacks = Vec::new();
        let mut total = Decimal::ZERO;
        for r in self.repo.list(Collection::Events, &q)? {
            let e = parse_event(&r.doc)?;
            if e.status == LineStatus::Reversed {
                continue;
            }
            let name = names.get(&e.rep_id).cloned();
            let approved = matches!(e.status, LineStatus::Approved | LineStatus::Paid);
            let paid = e.status == LineStatus::Paid;
            let amount = crate::decimal::fmt_money(e.amount, dp);
            match e.execution_phase.as_str() {
                "per_deal" => {
                    total = total.checked_add(e.amount).ok_or_else(|| Error::overflow("a sale's total"))?;
                    allocations.push(json!({"allocationId": e.idempotency_key, "userId": e.rep_id, "userName": name,
                        "allocationTypeName": e.role, "ruleName": e.rule_name, "milestoneNumber": e.milestone,
                        "allocatedAmount": amount, "isApproved": approved, "isPaid": paid, "status": e.status,
                        "payrollBatchId": e.batch_id, "period": e.period, "date": e.credit_date}));
                }
                "cascade" => overrides.push(json!({"allocationId": e.idempotency_key, "userId": e.rep_id,
                    "userName": name, "overrideLevel": e.level, "sourceUserId": e.source_rep_id, "ruleName": e.rule_name,
                    "allocatedAmount": amount, "isApproved": approved, "isPaid": paid, "status": e.status,
                    "payrollBatchId": e.batch_id, "period": e.period})),
                "clawback" => clawbacks.push(clawback_json(&e, dp)),
                _ => {}
            }
        }
        let snap = rec.doc;
        Ok(json!({"saleId": deal_id, "saleStatus": snap.get("status"), "sale": snap,
                  "allocationTotal": crate::decimal::fmt_money(total, dp),
                  "allocations": allocations, "overrides": overrides, "clawbacks": clawbacks}))
    }

    // ------------------------------------------------------------------ payroll batches

    /// Creates a DRAFT payroll batch (the seed's `POST /payroll/batches`, SPEC §14, §18.23):
    /// `{batchId?, batchName, payPeriodStart?, payPeriodEnd, payDate, projectTypeIds?,
    /// includeClawbacks?}`. Admin only.
    pub fn create_batch(&mut self, actor: &Actor, body: Value, at: NaiveDate) -> Result<Batch> {
        self.require_admin(actor)?;
        let req = read_batch_request(&body)?;
        let dp = self.settings(at)?.currency_precision;
        self.transact(|o| {
            let id = match &req.batch_id {
                Some(id) => {
                    if o.repo.get(Collection::Batches, id)?.is_some() {
                        return Err(Error::new(ErrorCode::Conflict, format!("payroll batch `{id}` exists already")));
                    }
                    id.clone()
                }
                None => {
                    // the first free `batch-<n>` from the number of stored batches + 1
                    let mut n = o.repo.list(Collection::Batches, &Query::all())?.len() + 1;
                    while o.repo.get(Collection::Batches, &format!("batch-{n}"))?.is_some() {
                        n += 1;
                    }
                    format!("batch-{n}")
                }
            };
            let ledger = o.ledger()?;
            let mut lines = Vec::new();
            let mut writes = Vec::new();
            let mut history = HistoryRows::new(&o.repo, "payroll_batch", at)?;
            for (e, v) in &ledger.events {
                if e.batch_id.is_some() || !ledger.event_qualifies(e, req.include_clawbacks) {
                    continue;
                }
                if !dated_by(&e.credit_date, req.end) {
                    continue;
                }
                if let (Some(ps), false) = (&req.projects, e.execution_phase == "clawback") {
                    if !ledger.project(e.deal_id.as_ref()).is_some_and(|p| ps.contains(&p)) {
                        continue;
                    }
                }
                lines.push(ledger.event_line(e));
                let mut next = e.clone();
                next.batch_id = Some(id.clone());
                writes.push(event_write(&next, Some(*v))?);
                writes.push(history.row("batched", Some(e), &next)?);
            }
            if req.projects.is_none() {
                for a in &ledger.adjustments {
                    if a.doc.get("batchId").is_some_and(|b| !b.is_null()) || !ledger.adjustment_qualifies(&a.doc) {
                        continue;
                    }
                    if !dated_by(s(&a.doc, "at").unwrap_or(""), req.end) {
                        continue;
                    }
                    lines.push(Ledger::adjustment_line(a));
                    let mut doc = a.doc.clone();
                    doc["batchId"] = json!(id);
                    let rec = indexed(Record::new(&a.id, doc), a.rep_id.as_deref(), a.period.as_deref(), None);
                    writes.push(Write::put(Collection::Adjustments, rec, Some(a.version)));
                }
            }
            lines.sort_by(|a, b| (&a.user_id, &a.date, &a.key).cmp(&(&b.user_id, &b.date, &b.key)));
            let mut batch = Batch {
                batch_id: id.clone(),
                batch_name: req.name.clone(),
                pay_period_start: req.start.map(|d| d.to_string()),
                pay_period_end: req.end.to_string(),
                pay_date: req.pay_date.to_string(),
                project_type_ids: req.projects.clone(),
                include_clawbacks: req.include_clawbacks,
                status: "DRAFT".into(),
                total_amount: None,
                totals: vec![],
                record_count: 0,
                created_by: actor.label(),
                created_at: at.to_string(),
                history: vec![BatchTransition { status: "DRAFT".into(), at: at.to_string(), by: actor.label() }],
                payouts: vec![],
                lines,
                carry_forwards: vec![],
            };
            batch.refresh(&o.rep_names()?.0, dp)?;
            writes.push(Self::batch_write(&batch, 0)?);
            writes.push(o.audit(
                actor,
                at,
                "batch.created",
                "batch",
                &id,
                json!({"records": batch.record_count, "totalAmount": batch.total_amount.map(|t| t.to_string())}),
            )?);
            Ok((writes, batch))
        })
    }

    /// A DRAFT batch as its lines stand now, with the writes that release lines no longer
    /// qualifying (status changed, amount now zero, clawback processed).
    fn draft_view(&self, mut batch: Batch, dp: u32) -> Result<(Batch, Vec<Write>)> {
        let ledger = self.ledger()?;
        let events: HashMap<&str, &(Event, u64)> =
            ledger.events.iter().map(|x| (x.0.idempotency_key.as_str(), x)).collect();
        let adjustments: HashMap<&str, &Record> = ledger.adjustments.iter().map(|r| (r.id.as_str(), r)).collect();
        let mut kept = Vec::new();
        let mut releases = Vec::new();
        for l in &batch.lines {
            match l.source.as_str() {
                "adjustment" => match adjustments.get(l.key.as_str()) {
                    Some(a) if ledger.adjustment_qualifies(&a.doc) => kept.push(Ledger::adjustment_line(a)),
                    Some(a) => {
                        let mut doc = a.doc.clone();
                        if let Some(m) = doc.as_object_mut() {
                            m.remove("batchId");
                        }
                        let rec = indexed(Record::new(&a.id, doc), a.rep_id.as_deref(), a.period.as_deref(), None);
                        releases.push(Write::put(Collection::Adjustments, rec, Some(a.version)));
                    }
                    None => {}
                },
                _ => match events.get(l.key.as_str()) {
                    Some((e, _))
                        if e.batch_id.as_deref() == Some(&batch.batch_id) && ledger.event_qualifies(e, true) =>
                    {
                        kept.push(ledger.event_line(e))
                    }
                    Some((e, v)) if e.batch_id.as_deref() == Some(&batch.batch_id) => {
                        let mut next = e.clone();
                        next.batch_id = None;
                        releases.push(event_write(&next, Some(*v))?);
                    }
                    _ => {}
                },
            }
        }
        batch.lines = kept;
        batch.refresh(&self.rep_names()?.0, dp)?;
        Ok((batch, releases))
    }

    /// A batch with its payouts (the seed's `GET /payroll/batches/{id}`); a DRAFT batch shows its
    /// lines as they stand now. Admin only.
    pub fn get_batch(&self, actor: &Actor, batch_id: &str, at: NaiveDate) -> Result<Batch> {
        self.require_admin(actor)?;
        let (batch, _) = self.batch_record(batch_id)?;
        if batch.status == "DRAFT" {
            let dp = self.settings(at)?.currency_precision;
            return Ok(self.draft_view(batch, dp)?.0);
        }
        Ok(batch)
    }

    /// The payroll CSV of a batch (see [`crate::payroll`]). Admin only.
    pub fn batch_csv(&self, actor: &Actor, batch_id: &str, at: NaiveDate) -> Result<String> {
        let batch = self.get_batch(actor, batch_id, at)?;
        let dp = self.settings(at)?.currency_precision;
        batch.csv(&self.rep_names()?.1, dp)
    }

    /// Batches without their lines (the seed's `GET /payroll/batches`), optionally by status and
    /// by pay-period end in [startDate, endDate]; ordered by id. Admin only.
    pub fn list_batches(&self, actor: &Actor, filter: &Value) -> Result<Vec<Value>> {
        self.require_admin(actor)?;
        let status = s(filter, "status");
        if let Some(st) = status {
            if !crate::payroll::BATCH_STATUSES.contains(&st) {
                return Err(Error::validation(vec![issue(
                    "status",
                    "invalid_value",
                    format!("`status` must be one of {}", crate::payroll::BATCH_STATUSES.join(", ")),
                )]));
            }
        }
        let bound = |k: &str| s(filter, k).and_then(|t| parse_date(t, false));
        let (from, to) = (bound("startDate"), bound("endDate"));
        let mut out = Vec::new();
        for r in self.repo.list(Collection::Batches, &Query::all())? {
            let b: Batch = serde_json::from_value(r.doc).map_err(internal)?;
            let end = parse_date(&b.pay_period_end, false);
            if status.is_some_and(|st| st != b.status)
                || from.is_some_and(|f| end.map_or(true, |e| e < f))
                || to.is_some_and(|t| end.map_or(true, |e| e > t))
            {
                continue;
            }
            let mut v = serde_json::to_value(&b).map_err(internal)?;
            if let Some(m) = v.as_object_mut() {
                m.remove("lines");
                m.remove("payouts");
            }
            out.push(v);
        }
        Ok(out)
    }

    /// Moves a batch along DRAFT → SUBMITTED → APPROVED → EXPORTED → PAID (`submit`, `approve`,
    /// `export`, `mark_paid`); anything else is `CONFLICT` (SPEC §14). `submit` freezes the lines
    /// (SPEC §18.12); `export` also returns the CSV; `mark_paid` pays the lines and writes the
    /// carry-forward clawbacks (SPEC §18.24). Returns `{batch, csv?, carryForwards?}`. Admin only.
    pub fn batch_action(&mut self, actor: &Actor, batch_id: &str, action: &str, at: NaiveDate) -> Result<Value> {
        self.require_admin(actor)?;
        let settings = self.settings(at)?;
        let dp = settings.currency_precision;
        self.transact(|o| {
            let (batch, v) = o.batch_record(batch_id)?;
            let next = transition(&batch.status, action)?;
            let (mut batch, mut writes) =
                if batch.status == "DRAFT" { o.draft_view(batch, dp)? } else { (batch, Vec::new()) };
            // a history row for each line the draft view releases (SPEC §12)
            let mut history = HistoryRows::new(&o.repo, "payroll_batch", at)?;
            let mut released = Vec::new();
            for w in &writes {
                if let Write::Put { collection: Collection::Events, record, .. } = w {
                    let e = parse_event(&record.doc)?;
                    released.push(history.row("released", Some(&e), &e)?);
                }
            }
            writes.extend(released);
            batch.status = next.into();
            batch.history.push(BatchTransition { status: next.into(), at: at.to_string(), by: actor.label() });
            let mut out = Map::new();
            if action == "mark_paid" {
                let paid_at = batch.pay_date.clone();
                let mut paid_lines = 0usize;
                let keys: HashSet<&str> = batch.lines.iter().filter(|l| l.source == "event").map(|l| l.key.as_str()).collect();
                for r in o.repo.list(Collection::Events, &Query::all())? {
                    if !keys.contains(r.id.as_str()) {
                        continue;
                    }
                    let mut e = parse_event(&r.doc)?;
                    let before = e.clone();
                    e.status = LineStatus::Paid;
                    e.paid_at = Some(paid_at.clone());
                    writes.push(event_write(&e, Some(r.version))?);
                    writes.push(history.row("status", Some(&before), &e)?);
                    paid_lines += 1;
                }
                for l in batch.lines.iter().filter(|l| l.source == "adjustment") {
                    if let Some(a) = o.repo.get(Collection::Adjustments, &l.key)? {
                        let mut doc = a.doc.clone();
                        doc["paidAt"] = json!(paid_at);
                        let rec = indexed(Record::new(&a.id, doc), a.rep_id.as_deref(), a.period.as_deref(), None);
                        writes.push(Write::put(Collection::Adjustments, rec, Some(a.version)));
                        paid_lines += 1;
                    }
                }
                let pay_date = parse_date(&batch.pay_date, false).ok_or_else(|| internal("payDate"))?;
                let period = Period::containing(pay_date, PeriodKind::Monthly, settings.fiscal_year_start_month);
                let mut carried = Vec::new();
                for p in batch.payouts.iter().filter(|p| p.carry_forward > Decimal::ZERO) {
                    let mut parts = vec![p.user_id.as_str(), "carry_forward", batch.batch_id.as_str()];
                    if let Some(c) = &p.currency {
                        parts.push(c);
                    }
                    let key = key_of(&parts);
                    let cb = Event {
                        idempotency_key: key.clone(),
                        deal_id: None,
                        rep_id: p.user_id.clone(),
                        plan_id: String::new(),
                        plan_version_id: String::new(),
                        rule_name: String::new(),
                        execution_phase: "clawback".into(),
                        period: period.to_string(),
                        amount: p.net_amount,
                        tier_name: None,
                        rate_applied: None,
                        attainment: None,
                        base: None,
                        milestone: None,
                        source_rep_id: None,
                        role: None,
                        credit_date: batch.pay_date.clone(),
                        status: LineStatus::Pending,
                        batch_id: None,
                        paid_at: None,
                        held: None,
                        references_period: None,
                        true_up_id: None,
                        level: None,
                        reason: Some("carry_forward".into()),
                        currency: p.currency.clone(),
                        gone_since: None,
                        trace: vec![json!({"step": "carry_forward", "batchId": batch.batch_id, "grossAmount": p.gross_amount.to_string(),
                                           "clawbackAmount": p.clawback_amount.to_string(), "netAmount": p.net_amount.to_string()})],
                    };
                    writes.push(event_write(&cb, Some(0))?);
                    writes.push(history.row("clawback", None, &cb)?);
                    writes.push(o.audit(actor, at, "clawback.created", "clawback", &key,
                        json!({"reason": "carry_forward", "amount": p.net_amount.to_string(), "batchId": batch.batch_id}))?);
                    carried.push(key);
                }
                batch.carry_forwards = carried.clone();
                writes.push(o.audit(actor, at, "line.status_changed", "batch", batch_id,
                    json!({"status": "PAID", "count": paid_lines, "paidAt": paid_at}))?);
                out.insert("carryForwards".into(), json!(carried));
            }
            if action == "export" {
                out.insert("format".into(), json!("csv"));
                out.insert("csv".into(), json!(batch.csv(&o.rep_names()?.1, dp)?));
            }
            writes.push(Self::batch_write(&batch, v)?);
            writes.push(o.audit(actor, at, &format!("batch.{}", next.to_ascii_lowercase()), "batch", batch_id,
                json!({"from": batch.history.iter().rev().nth(1).map(|h| h.status.clone()), "to": next,
                       "records": batch.record_count, "totalAmount": batch.total_amount.map(|t| t.to_string())}))?);
            out.insert("batch".into(), serde_json::to_value(&batch).map_err(internal)?);
            Ok((writes, Value::Object(out)))
        })
    }

    // ------------------------------------------------------------------ clawbacks

    /// Clawback lines (the seed's `GET /clawbacks`): filters `userId`, `dealId`, `isProcessed`,
    /// `startDate` / `endDate` (the clawback's date), ordered by date then key.
    pub fn clawbacks(&self, actor: &Actor, filter: &Value, at: NaiveDate) -> Result<Vec<Value>> {
        let user = id_of(filter.get("userId"));
        self.require_read_user(actor, user.as_deref())?;
        let deal = id_of(filter.get("dealId")).or_else(|| id_of(filter.get("saleId")));
        let processed = filter.get("isProcessed").and_then(Value::as_bool);
        let bound = |k: &str| s(filter, k).and_then(|t| parse_date(t, false));
        let (from, to) = (bound("startDate"), bound("endDate"));
        let dp = self.settings(at)?.currency_precision;
        let q = Query { rep_id: user.clone(), deal_id: deal.clone(), period: None };
        let mut out: Vec<(String, String, Value)> = Vec::new();
        for r in self.repo.list(Collection::Events, &q)? {
            let e = parse_event(&r.doc)?;
            if e.execution_phase != "clawback" {
                continue;
            }
            let date = parse_date(&e.credit_date, true);
            if processed.is_some_and(|p| p != (e.status == LineStatus::Paid))
                || from.is_some_and(|f| date.map_or(true, |d| d < f))
                || to.is_some_and(|t| date.map_or(true, |d| d > t))
            {
                continue;
            }
            out.push((e.credit_date.clone(), e.idempotency_key.clone(), clawback_json(&e, dp)));
        }
        out.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
        Ok(out.into_iter().map(|(_, _, v)| v).collect())
    }

    /// Processes clawbacks by key (the seed's `POST /clawbacks/{id}/process` and
    /// `/clawbacks/batch-process`): all or nothing; status `PAID`, `paidAt` = `at`. Admin only.
    pub fn process_clawbacks(&mut self, actor: &Actor, ids: &[String], at: NaiveDate) -> Result<Vec<Value>> {
        self.require_admin(actor)?;
        if ids.is_empty() {
            return Err(Error::validation(vec![issue(
                "ids",
                "required",
                "`ids` lists the clawbacks to process".into(),
            )]));
        }
        let dp = self.settings(at)?.currency_precision;
        self.transact(|o| {
            let mut writes = Vec::new();
            let mut history = HistoryRows::new(&o.repo, "clawback_processed", at)?;
            let mut done = Vec::new();
            let mut seen = HashSet::new();
            for id in ids {
                if !seen.insert(id) {
                    continue;
                }
                let rec = o.repo.get(Collection::Events, id)?.filter(|r| r.doc["executionPhase"] == "clawback");
                let rec = rec.ok_or_else(|| Error::new(ErrorCode::NotFound, format!("no clawback `{id}`")))?;
                let mut e = parse_event(&rec.doc)?;
                if e.status == LineStatus::Paid {
                    return Err(Error::new(ErrorCode::Conflict, format!("clawback `{id}` is processed already")));
                }
                if let Some(b) = &e.batch_id {
                    return Err(Error::new(ErrorCode::Conflict, format!("clawback `{id}` is in payroll batch `{b}`")));
                }
                let before = e.clone();
                e.status = LineStatus::Paid;
                e.paid_at = Some(at.to_string());
                writes.push(event_write(&e, Some(rec.version))?);
                writes.push(history.row("status", Some(&before), &e)?);
                writes.push(o.audit(
                    actor,
                    at,
                    "clawback.processed",
                    "clawback",
                    id,
                    json!({"amount": e.amount.to_string()}),
                )?);
                done.push(clawback_json(&e, dp));
            }
            Ok((writes, done.clone()))
        })
    }

    // ------------------------------------------------------------------ summaries and goals

    /// The allocation summary on the stored lines (the seed's `GET /allocations/summary`,
    /// SPEC §18.25); filters as [`crate::payroll::AllocationFilter`].
    pub fn allocation_summary(&self, actor: &Actor, filter: &Value, at: NaiveDate) -> Result<Value> {
        let f = AllocationFilter::read(filter)?;
        self.require_read_user(actor, f.user_id.as_deref())?;
        let ledger = self.ledger()?;
        let projects: HashMap<String, String> = ledger
            .deals
            .iter()
            .filter_map(|(id, d)| id_of(d["fields"].get("projectTypeId")).map(|p| (id.clone(), p)))
            .collect();
        let events: Vec<Event> = ledger.events.into_iter().map(|(e, _)| e).collect();
        crate::payroll::summary(&events, &projects, &f, self.settings(at)?.currency_precision)
    }

    /// Stores a goal (SPEC §18.26 input shape); its user must be a rep. Admin only.
    pub fn set_goal(&mut self, actor: &Actor, goal: Value, at: NaiveDate) -> Result<Value> {
        self.require_admin(actor)?;
        let parsed = crate::goals::read_goals(&json!([goal.clone()]), "goals")?;
        let g = parsed.first().ok_or_else(|| internal("goal"))?;
        if self.repo.get(Collection::Reps, &g.user_id)?.is_none() {
            return Err(Error::new(ErrorCode::RepNotFound, format!("no rep `{}`", g.user_id)));
        }
        let (id, user) = (g.goal_id.clone(), g.user_id.clone());
        self.transact(|o| {
            let cur = o.repo.get(Collection::Goals, &id)?;
            let rec = indexed(Record::new(&id, goal.clone()), Some(&user), None, None);
            let writes = vec![
                Write::put(Collection::Goals, rec, Some(version(&cur))),
                o.audit(actor, at, "goal.set", "goal", &id, json!({"userId": user}))?,
            ];
            Ok((writes, goal.clone()))
        })
    }

    /// Deletes a goal. Admin only.
    pub fn delete_goal(&mut self, actor: &Actor, goal_id: &str, at: NaiveDate) -> Result<()> {
        self.require_admin(actor)?;
        self.transact(|o| {
            if o.repo.get(Collection::Goals, goal_id)?.is_none() {
                return Err(Error::new(ErrorCode::NotFound, format!("no goal `{goal_id}`")));
            }
            let writes = vec![
                Write::Delete { collection: Collection::Goals, id: goal_id.to_string() },
                o.audit(actor, at, "goal.deleted", "goal", goal_id, json!({}))?,
            ];
            Ok((writes, ()))
        })
    }

    /// Stored goals with their progress as of `at` (the seed's `GET /goals` and
    /// `GET /goals/{id}`), optionally one user's or one goal.
    pub fn goals(&self, actor: &Actor, user: Option<&str>, goal_id: Option<&str>, at: NaiveDate) -> Result<Vec<Value>> {
        let mut docs = Vec::new();
        match goal_id {
            Some(id) => {
                let g = self
                    .repo
                    .get(Collection::Goals, id)?
                    .ok_or_else(|| Error::new(ErrorCode::NotFound, format!("no goal `{id}`")))?;
                let owner = id_of(g.doc.get("userId")).unwrap_or_default();
                self.require_read(actor, &owner)?;
                docs.push(g.doc);
            }
            None => {
                self.require_read_user(actor, user)?;
                let q = Query { rep_id: user.map(str::to_string), ..Query::all() };
                docs.extend(self.repo.list(Collection::Goals, &q)?.into_iter().map(|r| r.doc));
            }
        }
        let goals = crate::goals::read_goals(&Value::Array(docs), "goals")?;
        let doc = crate::validate::read_document(&self.state_document(at)?)?;
        crate::goals::progress(&doc, &goals)
    }
}

/// A clawback in the seed's `GET /clawbacks` shape.
fn clawback_json(e: &Event, dp: u32) -> Value {
    let of = super::runs::original_key(&e.idempotency_key);
    json!({
        "clawbackId": e.idempotency_key,
        "userId": e.rep_id,
        "dealId": e.deal_id,
        "ruleName": (!e.rule_name.is_empty()).then(|| e.rule_name.clone()),
        "milestoneNumber": e.milestone,
        "amount": crate::decimal::fmt_money(e.amount, dp),
        "reason": e.reason.clone().unwrap_or_else(|| "cancellation".into()),
        "clawbackDate": e.credit_date,
        "period": e.period,
        "referencesPeriod": e.references_period,
        "of": if e.reason.as_deref() == Some("carry_forward") { Value::Null } else { json!(of) },
        "currency": e.currency,
        "isProcessed": e.status == LineStatus::Paid,
        "processedAt": e.paid_at,
        "payrollBatchId": e.batch_id,
    })
}
