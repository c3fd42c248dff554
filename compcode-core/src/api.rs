//! The public operations and their serde request/response types — the one facade every
//! binding (Python, Node, WASM, the CLI) calls. A binding only converts host values to and
//! from these types and maps [`Error`]s.

use crate::calc::Line;
use crate::decimal::{fmt_money, fmt_plain};
use crate::error::{Error, Issue, Result};
use crate::model::CalcDoc;
use crate::trace::Trace;
use crate::validate::{parse_json, read_document};
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeSet;

/// Output keys whose string values are decimals (money, rates, ratios). Bindings whose host
/// language has a decimal type (Python's `decimal.Decimal`) convert exactly these; the others
/// keep them as strings.
pub const DECIMAL_FIELDS: &[&str] = &[
    "amount",
    "totalCommission",
    "commissionTotal",
    "rateApplied",
    "attainment",
    "base",
    "creditedValue",
    "dealAmount",
    "target",
    "variableTarget",
    "currentValue",
];

/// One payout line of a simulate result (SPEC §0.1, §12's event shape).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    /// Deal (null for periodic and cascade lines).
    pub deal_id: Option<String>,
    /// Receiving rep.
    pub rep_id: String,
    /// Plan identity.
    pub plan_id: String,
    /// Plan version whose rule paid.
    pub plan_version_id: String,
    /// Rule name.
    pub rule_name: String,
    /// `per_deal`, `periodic` or `cascade`.
    pub execution_phase: &'static str,
    /// Period string.
    pub period: String,
    /// Rounded amount, with exactly `currencyPrecision` decimals.
    pub amount: String,
    /// Cascade: the rep whose results fed it.
    pub source_rep_id: Option<String>,
    /// Tier name.
    pub tier_name: Option<String>,
    /// Rate applied.
    pub rate_applied: Option<String>,
    /// Attainment.
    pub attainment: Option<String>,
    /// What the rate multiplied.
    pub base: Option<String>,
    /// The rep's credited value of the deal (per_deal) or period (periodic).
    pub credited_value: Option<String>,
    /// Why a line pays zero (`below_first_tier`, `below_floor`, `period_cap`).
    pub reason: Option<&'static str>,
    /// A periodic line of an open period.
    pub provisional: bool,
    /// Milestone of a rate-table payment (SPEC §9), else null.
    pub milestone: Option<u32>,
    /// Participant role.
    pub role: Option<String>,
    /// The event's stable key: the compact JSON array of its key parts (SPEC §12, §18.20).
    pub idempotency_key: String,
    /// Explanation steps (empty when `options.trace` is false), shared with the per-deal view.
    pub trace: Trace,
    /// The line's currency (the plan version's) when the document uses FX (SPEC §20).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// An installment of a payout schedule (SPEC §20): `{index, of, percent, releaseDate}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub installment: Option<Value>,
    /// An installment not released yet (not payable); present only on installments.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub held: Option<bool>,
}

/// One rule's contribution to a deal in CompCode's per-deal view.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RuleBreakdown {
    /// Rule.
    pub rule_name: String,
    /// Plan.
    pub plan_id: Option<String>,
    /// Amount (money) or null when skipped.
    pub amount: Option<String>,
    /// Tier.
    pub tier_name: Option<String>,
    /// Rate.
    pub rate_applied: Option<String>,
    /// Attainment after the deal.
    pub attainment: Option<String>,
    /// The rule's period for this deal.
    pub rule_period: Option<String>,
    /// The rule skipped this deal.
    pub skipped: bool,
    /// Why (skip reason or zero-pay reason).
    pub reason: Option<&'static str>,
    /// Explanation steps (the same steps as the event's).
    pub trace: Trace,
}

/// CompCode's per-deal simulate entry: one per (deal, credited rep).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DealResult {
    /// Deal.
    pub deal_id: String,
    /// Deal name.
    pub deal_name: Option<String>,
    /// Deal amount.
    pub deal_amount: Option<String>,
    /// Stage.
    pub deal_stage: Option<String>,
    /// Credited rep.
    pub rep_id: String,
    /// Rep name.
    pub rep_name: String,
    /// Period of the first line.
    pub period: Option<String>,
    /// At least one rule paid a line.
    pub eligible: bool,
    /// Σ of the deal's lines for this rep.
    pub commission_total: String,
    /// Per rule.
    pub rule_breakdown: Vec<RuleBreakdown>,
}

/// Quota progress (SPEC §5).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QuotaStatus {
    /// Rep.
    pub rep_id: String,
    /// Plan.
    pub plan_id: String,
    /// Rule.
    pub rule_name: String,
    /// Period.
    pub period: String,
    /// Target (after proration).
    pub target: String,
    /// Variable target.
    pub variable_target: Option<String>,
    /// Credited measure to date.
    pub current_value: String,
    /// currentValue / target.
    pub attainment: String,
}

/// A diagnostic (skips and their reasons).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DiagnosticOut {
    /// Code.
    pub code: &'static str,
    /// Deal.
    pub deal_id: Option<String>,
    /// Rep.
    pub rep_id: Option<String>,
    /// Plan.
    pub plan_id: Option<String>,
    /// Rule.
    pub rule_name: Option<String>,
    /// Period.
    pub period: Option<String>,
    /// Explanation.
    pub message: String,
}

/// The simulate answer: CompCode's fields plus the events, quota progress and diagnostics.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SimulateResult {
    /// Always `simulate`.
    pub mode: &'static str,
    /// The evaluation date.
    pub as_of: String,
    /// `all` or the scope period.
    pub period: String,
    /// Deal snapshots considered (deleted ones excluded).
    pub total_deals: usize,
    /// Deals with at least one per_deal line.
    pub eligible_deals: usize,
    /// Σ of every line (money).
    pub total_commission: String,
    /// Reps with an assignment to a plan in scope.
    pub assigned_reps: usize,
    /// The payout lines.
    pub events: Vec<Event>,
    /// CompCode's per-deal view.
    pub results: Vec<DealResult>,
    /// Quota progress.
    pub quotas: Vec<QuotaStatus>,
    /// Skips and their reasons.
    pub diagnostics: Vec<DiagnosticOut>,
    /// Draws and guarantees per rep and period (SPEC §20; absent without `draws`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub draws: Vec<crate::draws::DrawPeriod>,
}

/// The answer of [`validate`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ValidateResult {
    /// No problems.
    pub valid: bool,
    /// Every problem found.
    pub errors: Vec<Issue>,
    /// Advice that does not make the document invalid: `unknown_field` for a rule measure or
    /// condition field outside the saved `fieldMapping` (SPEC §19). Left out when empty.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<Issue>,
}

/// Simulates a calculation document (SPEC §0.1): validates it, calculates, and returns the
/// lines in CompCode's simulate shape. Writes nothing.
///
/// ```
/// use serde_json::json;
/// let doc = json!({
///   "asOf": "2026-04-01",
///   "reps": [{"id": "alice", "name": "Alice"}],
///   "plans": [{"planId": "ae", "name": "AE", "effectiveStart": "2026-01-01", "config": {"rules": [{
///     "name": "Revenue Commission", "measure": "closed_won_revenue",
///     "tiers": [{"tierIndex": 0, "name": "Base", "minThreshold": 0, "rate": "0.08"},
///               {"tierIndex": 1, "name": "On Target", "minThreshold": 1, "rate": "0.10"}]}]}}],
///   "assignments": [{"repId": "alice", "planId": "ae", "effectiveStart": "2026-01-01"}],
///   "quotas": [{"repId": "alice", "planId": "ae", "ruleName": "Revenue Commission",
///               "period": "2026-Q1", "target": "500000"}],
///   "deals": [{"id": "D1", "stage": "closed_won", "amount": "600000", "closeDate": "2026-02-01",
///              "ownerRepId": "alice"}]
/// });
/// let out = compcode_core::api::simulate(&doc).unwrap();
/// assert_eq!(out.events[0].tier_name.as_deref(), Some("On Target"));
/// assert_eq!(out.total_commission, "60000.00");
/// assert_eq!(out.quotas[0].attainment, "1.2");
/// ```
pub fn simulate(input: &Value) -> Result<SimulateResult> {
    let doc = read_document(input)?;
    simulate_doc(&doc)
}

/// [`simulate`] on JSON text; numbers are read from their text, never through binary floating point.
///
/// ```
/// let err = compcode_core::api::simulate_json("{not json").unwrap_err();
/// assert_eq!(err.code().as_str(), "VALIDATION_FAILED");
/// ```
pub fn simulate_json(text: &str) -> Result<SimulateResult> {
    simulate(&parse_json(text)?)
}

/// Checks a calculation document without calculating: every problem at once, with paths.
///
/// ```
/// use serde_json::json;
/// let r = compcode_core::api::validate(&json!({"asOf": "2026-13-01", "reps": [], "plans": [], "deals": []}));
/// assert!(!r.valid);
/// assert_eq!(r.errors[0].path, "asOf");
/// assert_eq!(r.errors[0].code, "invalid_date");
/// ```
pub fn validate(input: &Value) -> ValidateResult {
    match read_document(input) {
        Ok(_) => ValidateResult {
            valid: true,
            errors: Vec::new(),
            warnings: crate::crm::catalog::unknown_field_warnings(input),
        },
        Err(e) => {
            let errors = e
                .details()
                .get("errors")
                .and_then(|v| serde_json::from_value::<Vec<IssueIn>>(v.clone()).ok())
                .map(|v| v.into_iter().map(IssueIn::into_issue).collect())
                .unwrap_or_default();
            ValidateResult { valid: false, errors, warnings: crate::crm::catalog::unknown_field_warnings(input) }
        }
    }
}

/// An issue read back from an error's `details.errors`.
#[derive(serde::Deserialize)]
pub(crate) struct IssueIn {
    path: String,
    code: String,
    message: String,
    suggestion: Option<String>,
}

impl IssueIn {
    pub(crate) fn into_issue(self) -> Issue {
        Issue { path: self.path, code: intern_code(&self.code), message: self.message, suggestion: self.suggestion }
    }
}

fn intern_code(c: &str) -> &'static str {
    // every issue code of spec-fixtures/README.md, so `validate` keeps the reader's code
    const CODES: [&str; 23] = [
        "invalid_json",
        "required",
        "unknown_field",
        "invalid_type",
        "invalid_value",
        "invalid_decimal",
        "invalid_date",
        "invalid_period",
        "duplicate",
        "tiers_not_increasing",
        "invalid_tier",
        "manager_cycle",
        "unknown_reference",
        "split_over_100",
        "invalid_operator",
        "invalid_condition_value",
        "formula_syntax",
        "formula_too_complex",
        "arithmetic_overflow",
        "too_large",
        "out_of_range",
        "formula_missing_field",
        "formula_division_by_zero",
    ];
    CODES.iter().copied().find(|x| *x == c).unwrap_or("invalid_value")
}

/// Simulates an already-validated document.
pub fn simulate_doc(doc: &CalcDoc) -> Result<SimulateResult> {
    render(doc, crate::view::simulate_view(doc)?)
}

fn opt_plain(d: Option<Decimal>) -> Option<String> {
    d.map(fmt_plain)
}

/// The idempotency key of a line: the compact JSON array of its key parts (SPEC §12).
pub fn idempotency_key(doc: &CalcDoc, l: &Line) -> String {
    crate::ledger::line_key(doc, l)
}

/// The owned answer: the view's bookkeeping (per-deal slots, totals, draws; see
/// [`crate::view`]) with every field written into a `String`. The calculation is consumed, so a
/// line's trace moves into its event and the per-deal view shares it.
fn render(doc: &CalcDoc, view: crate::view::SimulateView<'_>) -> Result<SimulateResult> {
    let parts = view.into_parts();
    let dp = doc.settings.currency_precision;
    let calc = parts.calc;
    let mut events = Vec::with_capacity(calc.lines.len());
    for mut l in calc.lines {
        events.push(Event {
            deal_id: l.deal.map(|d| doc.deals[d].id.clone()),
            rep_id: doc.reps[l.rep].id.clone(),
            plan_id: doc.plans[l.plan].plan_id.clone(),
            plan_version_id: doc.plans[l.plan].versions[l.version].plan_version_id.clone(),
            execution_phase: l.phase.as_str(),
            period: l.period.to_string(),
            amount: fmt_money(l.amount, dp),
            source_rep_id: l.source_rep.map(|s| doc.reps[s].id.clone()),
            tier_name: l.tier_name.take().map(String::from),
            rate_applied: opt_plain(l.rate),
            attainment: opt_plain(l.attainment),
            base: opt_plain(l.base),
            credited_value: opt_plain(l.credited),
            reason: l.reason,
            provisional: l.provisional,
            milestone: l.milestone,
            role: l.role.take().map(String::from),
            idempotency_key: idempotency_key(doc, &l),
            currency: crate::fx::line_currency(doc, l.plan, l.version),
            installment: l.installment.as_ref().map(|i| {
                serde_json::json!({"index": i.index, "of": i.count, "percent": fmt_plain(i.percent),
                    "releaseDate": i.release_date.map(|d| d.to_string())})
            }),
            held: l.installment.as_ref().map(|i| i.held),
            rule_name: l.rule_name.to_string(),
            trace: {
                // the view's calculation leaves the credit step's deal id to its renderer
                crate::view::fill_credit_id(doc, &mut l);
                Trace::from(std::mem::take(&mut l.trace))
            },
        });
    }
    // CompCode's per-deal view repeats its lines' event strings (cloned, not formatted again)
    // and shares their traces
    let slots = &parts.slots;
    let results = slots
        .list
        .iter()
        .map(|slot| {
            let deal = &doc.deals[slot.deal()];
            let mut rb: Vec<RuleBreakdown> = slots
                .lines(slot)
                .iter()
                .map(|&i| {
                    let e = &events[i as usize];
                    RuleBreakdown {
                        rule_name: e.rule_name.clone(),
                        plan_id: Some(e.plan_id.clone()),
                        amount: Some(e.amount.clone()),
                        tier_name: e.tier_name.clone(),
                        rate_applied: e.rate_applied.clone(),
                        attainment: e.attainment.clone(),
                        rule_period: Some(e.period.clone()),
                        skipped: false,
                        reason: e.reason,
                        trace: e.trace.clone(),
                    }
                })
                .collect();
            rb.extend(slots.skips(slot).iter().map(|&i| {
                let dg = &calc.diagnostics[i as usize];
                RuleBreakdown {
                    rule_name: dg.rule_name(doc).unwrap_or_default().to_string(),
                    plan_id: dg.plan_id(doc).map(str::to_string),
                    amount: None,
                    tier_name: None,
                    rate_applied: None,
                    attainment: None,
                    rule_period: dg.period_text(),
                    skipped: true,
                    reason: Some(dg.code()),
                    trace: Trace::default(),
                }
            }));
            DealResult {
                deal_id: deal.id.clone(),
                deal_name: deal.name.clone(),
                deal_amount: deal.amount.map(fmt_plain),
                deal_stage: deal.stage.as_deref().map(str::to_string),
                rep_id: doc.reps[slot.rep()].id.clone(),
                rep_name: doc.reps[slot.rep()].name.clone(),
                // the first paid line's period, else the first skip's (lines come first)
                period: rb.first().and_then(|b| b.rule_period.clone()),
                eligible: !slots.lines(slot).is_empty(),
                commission_total: fmt_money(slot.total, dp),
                rule_breakdown: rb,
            }
        })
        .collect();
    let quotas = calc
        .quotas
        .iter()
        .map(|q| QuotaStatus {
            rep_id: doc.reps[q.rep].id.clone(),
            plan_id: doc.plans[q.plan].plan_id.clone(),
            rule_name: q.rule_name.to_string(),
            period: q.period.to_string(),
            target: fmt_plain(q.target),
            variable_target: opt_plain(q.variable_target),
            current_value: fmt_plain(q.current_value),
            attainment: fmt_plain(q.current_value.checked_div(q.target).unwrap_or_default()),
        })
        .collect();
    let diagnostics = calc.diagnostics.iter().map(|d| d.to_out(doc)).collect();
    Ok(SimulateResult {
        mode: "simulate",
        as_of: doc.as_of.to_string(),
        period: doc.scope.period.map_or_else(|| "all".to_string(), |p| p.to_string()),
        total_deals: calc.total_deals,
        eligible_deals: parts.eligible_deals,
        total_commission: fmt_money(parts.total, dp),
        assigned_reps: assigned_reps(doc),
        events,
        results,
        quotas,
        diagnostics,
        draws: parts.draws,
    })
}

/// Reps with an assignment to a plan in scope (simulate's `assignedReps`).
pub(crate) fn assigned_reps(doc: &CalcDoc) -> usize {
    doc.assignments
        .iter()
        .filter(|a| doc.scope.plan_id.as_ref().map_or(true, |p| p == &a.plan_id))
        .map(|a| a.rep_id.as_str())
        .collect::<BTreeSet<_>>()
        .len()
}

pub(crate) fn in_rep_scope(doc: &CalcDoc, rep: usize) -> bool {
    doc.scope.rep_ids.as_ref().map_or(true, |ids| ids.iter().any(|i| i == &doc.reps[rep].id))
}

/// Every operation [`run`] accepts.
pub const OPERATIONS: &[&str] = &[
    "simulate",
    "validate",
    "reconcile",
    "workflow",
    "rules_v0.validate",
    "rules_v0.evaluate",
    "formula.evaluate",
    "commissionflow.import",
    "commissionflow.calculate",
    "commissionflow.transition",
    "commissionflow.list",
    "spark.rate_lookup",
    "spark.allocation_summary",
    "spark.goals",
    "templates",
    "analyze_plan",
    "diff_plans",
    "draws.compute",
    "amortization.schedule",
    "amortization.csv",
    "crm.hubspot.deal",
    "crm.hubspot.webhook",
    "crm.attio.record",
    "crm.attio.webhook",
    "crm.attributes",
    "crm.auto_match",
];

/// `v` unless it is absent or null (the same for `reconcile`'s optional inputs).
fn present(v: Option<&Value>) -> Option<&Value> {
    v.filter(|v| !v.is_null())
}

/// `reconcile` as an operation (SPEC §12): `{existing: [event], computed: [event], locks?:
/// {approved: [[repId, period]], corrections: {key: amount}, lockedBatches?: [batchId],
/// today?, cancelledAt?: {dealId: date}, clawbackWindows?: [{planVersionId, ruleName, days}]},
/// landingPeriod?}` → the change set. Clawbacks land in `landingPeriod` (default: the corrected
/// line's period); `today` is the run's date (SPEC §18.10).
///
/// ```
/// use serde_json::json;
/// let e = json!({"idempotencyKey": "[\"D1\",\"a\",\"p\",\"R\"]", "dealId": "D1", "repId": "a", "planId": "p",
///                "planVersionId": "p:v1", "ruleName": "R", "executionPhase": "per_deal", "period": "2026-Q1",
///                "amount": "10.00", "creditDate": "2026-01-10"});
/// let out = compcode_core::api::run("reconcile", &json!({"existing": [e], "computed": []})).unwrap();
/// assert_eq!(out["reversed"][0]["new"]["status"], "REVERSED");
/// ```
pub fn reconcile_op(input: &Value) -> Result<Value> {
    use crate::ledger::{reconcile, Event, Locks};
    let fail = |path: String, code: &'static str, message: String| {
        Error::validation(vec![Issue { path, code, message, suggestion: None }])
    };
    // a wrong JSON type is `invalid_type` (spec-fixtures/README); null is the same as absent
    let array_at = |path: &str, v: Option<&Value>| -> Result<Vec<Value>> {
        match present(v) {
            None => Ok(Vec::new()),
            Some(Value::Array(a)) => Ok(a.clone()),
            Some(other) => Err(fail(path.into(), "invalid_type", format!("`{path}` must be an array, found {other}"))),
        }
    };
    let object_at = |path: &str, v: Option<&Value>| -> Result<serde_json::Map<String, Value>> {
        match present(v) {
            None => Ok(serde_json::Map::new()),
            Some(Value::Object(m)) => Ok(m.clone()),
            Some(other) => Err(fail(path.into(), "invalid_type", format!("`{path}` must be an object, found {other}"))),
        }
    };
    let events = |key: &str| -> Result<Vec<Event>> {
        let mut out = Vec::new();
        for (i, v) in array_at(key, input.get(key))?.into_iter().enumerate() {
            let e = serde_json::from_value(v).map_err(|e| {
                let msg = e.to_string();
                let code = if msg.starts_with("invalid type") {
                    "invalid_type"
                } else if msg.starts_with("missing field") {
                    "required"
                } else if msg.starts_with("unknown field") {
                    "unknown_field"
                } else {
                    "invalid_value"
                };
                fail(format!("{key}[{i}]"), code, msg)
            })?;
            out.push(e);
        }
        Ok(out)
    };
    let (existing, computed) = (events("existing")?, events("computed")?);
    let mut locks = Locks::default();
    let l = object_at("locks", input.get("locks"))?;
    for (i, pair) in array_at("locks.approved", l.get("approved"))?.iter().enumerate() {
        match (pair.as_array().map(Vec::len), pair.get(0).and_then(Value::as_str), pair.get(1).and_then(Value::as_str))
        {
            (Some(2), Some(r), Some(p)) => {
                locks.approved.insert((r.to_string(), p.to_string()));
            }
            _ => {
                return Err(fail(
                    format!("locks.approved[{i}]"),
                    "invalid_type",
                    format!("an approved lock is `[repId, period]` (two strings), found {pair}"),
                ))
            }
        }
    }
    for (k, v) in object_at("locks.corrections", l.get("corrections"))? {
        let amount = crate::condition::number_of(&v)
            .ok_or_else(|| fail(format!("locks.corrections.{k}"), "invalid_decimal", "a decimal is required".into()))?;
        locks.corrections.insert(k.clone(), amount);
    }
    for (i, b) in array_at("locks.lockedBatches", l.get("lockedBatches"))?.iter().enumerate() {
        let b = b.as_str().ok_or_else(|| {
            fail(format!("locks.lockedBatches[{i}]"), "invalid_type", format!("a batch id is a string, found {b}"))
        })?;
        locks.locked_batches.insert(b.to_string());
    }
    let date_at = |path: String, v: &Value| match v {
        Value::String(t) => crate::period::parse_date(t, true)
            .ok_or_else(|| fail(path, "invalid_date", "a date YYYY-MM-DD is required".into())),
        other => Err(fail(path, "invalid_type", format!("a date YYYY-MM-DD string is required, found {other}"))),
    };
    if let Some(t) = present(l.get("today")) {
        locks.today = Some(date_at("locks.today".into(), t)?);
    }
    for (k, v) in object_at("locks.cancelledAt", l.get("cancelledAt"))? {
        locks.cancelled_at.insert(k.clone(), date_at(format!("locks.cancelledAt.{k}"), &v)?);
    }
    for (i, w) in array_at("locks.clawbackWindows", l.get("clawbackWindows"))?.iter().enumerate() {
        let path = format!("locks.clawbackWindows[{i}]");
        let Some(wm) = w.as_object() else {
            return Err(fail(path, "invalid_type", format!("a window is an object, found {w}")));
        };
        for key in ["planVersionId", "ruleName", "days"] {
            match wm.get(key) {
                None | Some(Value::Null) => {
                    return Err(fail(format!("{path}.{key}"), "required", format!("a window needs `{key}`")))
                }
                Some(Value::String(_)) if key != "days" => {}
                Some(Value::Number(_)) if key == "days" => {}
                Some(other) => {
                    return Err(fail(
                        format!("{path}.{key}"),
                        "invalid_type",
                        format!("wrong type for `{key}`: {other}"),
                    ))
                }
            }
        }
        let (Some(v), Some(r), Some(d)) = (
            w.get("planVersionId").and_then(Value::as_str),
            w.get("ruleName").and_then(Value::as_str),
            w.get("days").and_then(Value::as_u64).and_then(|d| u32::try_from(d).ok()),
        ) else {
            return Err(fail(
                path,
                "invalid_value",
                "a window is `{planVersionId, ruleName, days}`, days a whole number ≥ 0".into(),
            ));
        };
        locks.clawback_windows.insert((v.to_string(), r.to_string()), d);
    }
    let landing = match present(input.get("landingPeriod")) {
        None => None,
        Some(Value::String(p)) => Some(p.clone()),
        Some(other) => {
            return Err(fail(
                "landingPeriod".into(),
                "invalid_type",
                format!("`landingPeriod` must be a string, found {other}"),
            ))
        }
    };
    let cs = reconcile(&existing, &computed, &locks, &|e: &Event| landing.clone().unwrap_or_else(|| e.period.clone()));
    let mut out = serde_json::to_value(&cs).map_err(|e| Error::new(crate::ErrorCode::InternalError, e.to_string()))?;
    out["counters"] = cs.counters();
    Ok(out)
}

/// `workflow` as an operation: runs scripted steps against a fresh in-memory store and returns
/// each step's result — the whole orchestrator, for hosts and fixtures that bring no store.
/// Input: `{steps: [{call, as?, at, args?}]}` (`as` omitted = the host itself); output:
/// `{results: [{ok: …} | {error: {code, status, message, details}}]}`.
///
/// ```
/// use serde_json::json;
/// let out = compcode_core::api::run("workflow", &json!({"steps": [
///     {"call": "upsert_rep", "at": "2026-01-02", "args": {"rep": {"id": "ada", "name": "Ada", "role": "admin"}}},
///     {"call": "recalculate", "as": "bob", "at": "2026-01-02"}]})).unwrap();
/// assert_eq!(out["results"][1]["error"]["code"], "UNAUTHORIZED");
/// ```
pub fn workflow(input: &Value) -> Result<Value> {
    use crate::orchestrator::{Actor, Orchestrator};
    let mut o = Orchestrator::new(crate::memory::MemoryRepository::new());
    let steps = input.get("steps").and_then(Value::as_array).ok_or_else(|| {
        Error::validation(vec![Issue {
            path: "steps".into(),
            code: "required",
            message: "`steps` (a list) is required".into(),
            suggestion: None,
        }])
    })?;
    let mut results = Vec::with_capacity(steps.len());
    for (i, step) in steps.iter().enumerate() {
        let call = step.get("call").and_then(Value::as_str).unwrap_or("");
        let actor = step.get("as").and_then(Value::as_str).map_or(Actor::System, Actor::user);
        let at = step.get("at").and_then(Value::as_str).and_then(|d| crate::period::parse_date(d, true));
        let Some(at) = at else {
            return Err(Error::validation(vec![Issue {
                path: format!("steps[{i}].at"),
                code: "invalid_date",
                message: "`at` (YYYY-MM-DD) is required".into(),
                suggestion: None,
            }]));
        };
        let args = step.get("args").cloned().unwrap_or(Value::Object(Default::default()));
        results.push(match o.call(call, &actor, at, &args) {
            Ok(v) => serde_json::json!({"ok": v}),
            Err(e) => serde_json::json!({"error": e.to_json()}),
        });
    }
    Ok(serde_json::json!({"results": results}))
}

/// Runs a named operation on a JSON value — the single entry point bindings and fixture
/// runners use. Operations: [`OPERATIONS`]. Output is a JSON value; errors are
/// [`Error`]s.
///
/// | operation | function | input → output |
/// | --- | --- | --- |
/// | `simulate` | [`simulate`] | calculation document → simulate result |
/// | `validate` | [`validate`] | calculation document → `{valid, errors}` |
/// | `reconcile` | [`reconcile_op`] | `{existing, computed, locks?}` → change set |
/// | `workflow` | [`workflow`] | `{steps}` → `{results}` |
/// | `rules_v0.validate` | [`crate::rules_v0::validate_op`] | v0 rule or `{rules}` → `{valid, errors}` |
/// | `rules_v0.evaluate` | [`crate::rules_v0::evaluate_op`] | `{rules, context}` → `{context, trace, fired}` |
/// | `formula.evaluate` | [`crate::rules_v0::formula_op`] | `{formula, context?}` → `{result, references, inputs}` |
/// | `commissionflow.import` | [`crate::commissionflow::import_op`] | `{plan}` → CompCode plan |
/// | `commissionflow.calculate` | [`crate::commissionflow::calculate_op`] | `{calculatedAt, plans, sales, users?, settings?}` → `{commissions, diagnostics}` |
/// | `commissionflow.transition` | [`crate::commissionflow::transition_op`] | `{commission(s), ids?, status, at}` → moved record(s) |
/// | `commissionflow.list` | [`crate::commissionflow::list_op`] | `{commissions, page?, limit?, status?, userId?, startDate?, endDate?}` → `{commissions, pagination}` |
/// | `spark.rate_lookup` | [`crate::rate_table::lookup_op`] | `{rateTable, deal, userId, roleId?, creditDateField?}` → the matching row with `matchedOn` |
/// | `spark.allocation_summary` | [`crate::payroll::summary_op`] | `{events, deals?, currencyPrecision?, <filters>}` → `{byMilestone, byStatus, byAllocationType, grandTotal, overrides, …}` |
/// | `spark.goals` | [`crate::goals::goals_op`] | calculation document + `goals` → `{goals: [progress]}` |
/// | `templates` | [`crate::templates::templates_op`] | `{product?}` → `{templates: [{id, name, description, product, plan}]}` |
/// | `analyze_plan` | [`crate::analysis::analyze_plan_op`] | `{plan, context?}` → `{findings, calibration, summary}` |
/// | `diff_plans` | [`crate::diff::diff_plans_op`] | `{document, versionA, versionB, planId?, top?}` → `{total, reps, deals, changedDeals}` |
/// | `draws.compute` | [`crate::draws::compute_op`] | `{draws, earnings: [{repId, period, amount}], settings?}` → `{draws: [per period]}` |
/// | `amortization.schedule` | [`crate::amortization::schedule_op`] | `{lines, policy: {months, start?}, settings?}` → `{lines, byMonth, total}` |
/// | `amortization.csv` | [`crate::amortization::csv_op`] | the same → `{csv}` |
/// | `crm.*` | [`crate::crm::run_op`] | CRM payloads → deal snapshots and changes, the field catalogue, `autoMatch` (SPEC §19) |
///
/// ```
/// use serde_json::json;
/// let out = compcode_core::api::run("validate", &json!({})).unwrap();
/// assert_eq!(out["valid"], false);
/// assert_eq!(compcode_core::api::run("nope", &json!({})).unwrap_err().code().as_str(), "NOT_FOUND");
/// ```
pub fn run(operation: &str, input: &Value) -> Result<Value> {
    let out = match operation {
        "simulate" | "validate" => return run_answer(operation, input).and_then(Answer::into_value),
        "reconcile" => return reconcile_op(input),
        "workflow" => return workflow(input),
        "rules_v0.validate" => serde_json::to_value(crate::rules_v0::validate_op(input)),
        "rules_v0.evaluate" => return crate::rules_v0::evaluate_op(input),
        "formula.evaluate" => return crate::rules_v0::formula_op(input),
        "commissionflow.import" => return crate::commissionflow::import_op(input),
        "commissionflow.calculate" => return crate::commissionflow::calculate_op(input),
        "commissionflow.transition" => return crate::commissionflow::transition_op(input),
        "commissionflow.list" => return crate::commissionflow::list_op(input),
        "spark.rate_lookup" => return crate::rate_table::lookup_op(input),
        "spark.allocation_summary" => return crate::payroll::summary_op(input),
        "spark.goals" => return crate::goals::goals_op(input),
        "templates" => return crate::templates::templates_op(input),
        "analyze_plan" => return crate::analysis::analyze_plan_op(input),
        "diff_plans" => return crate::diff::diff_plans_op(input),
        "draws.compute" => return crate::draws::compute_op(input),
        "amortization.schedule" => return crate::amortization::schedule_op(input),
        "amortization.csv" => return crate::amortization::csv_op(input),
        op if op.starts_with("crm.") && OPERATIONS.contains(&op) => return crate::crm::run_op(op, input),
        other => {
            return Err(Error::new(
                crate::ErrorCode::NotFound,
                format!("unknown operation `{other}`; expected one of: {}", OPERATIONS.join(", ")),
            ));
        }
    };
    out.map_err(|e| Error::new(crate::ErrorCode::InternalError, format!("could not serialize the result: {e}")))
}

/// A typed answer of [`run_answer`]: the result structs of `simulate` and `validate` as they
/// are, every other operation's JSON value. It serializes as its content (untagged), so
/// `serde_json::to_value(&answer)` is exactly what [`run`] returns.
///
/// A binding that builds host objects with its own `serde::Serializer` (the Python wheel) skips
/// the intermediate `serde_json::Value` of a large simulate answer this way.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Answer {
    /// The answer of [`simulate`] (what [`crate::orchestrator::Orchestrator::call_answer`] gives).
    Simulate(Box<SimulateResult>),
    /// The answer of [`simulate`] as a lazy view (what [`run_answer`] gives): the same JSON,
    /// written straight from the calculation (see [`crate::view`]).
    SimulateView(Box<crate::view::SimulateView<'static>>),
    /// The answer of [`validate`].
    Validate(ValidateResult),
    /// The answer of any other operation.
    Value(Value),
}

impl Answer {
    /// The answer as the JSON value [`run`] returns (a serialization failure is
    /// `INTERNAL_ERROR`, as in [`run`]).
    ///
    /// ```
    /// use compcode_core::api::Answer;
    /// use serde_json::json;
    /// assert_eq!(Answer::Value(json!({"x": 1})).into_value().unwrap(), json!({"x": 1}));
    /// ```
    pub fn into_value(self) -> Result<Value> {
        let out = match self {
            Answer::Value(v) => return Ok(v),
            Answer::Simulate(r) => serde_json::to_value(r),
            Answer::SimulateView(r) => serde_json::to_value(r),
            Answer::Validate(r) => serde_json::to_value(r),
        };
        out.map_err(|e| Error::new(crate::ErrorCode::InternalError, format!("could not serialize the result: {e}")))
    }
}

/// [`run`] without the last step: the answer before it becomes a `serde_json::Value`
/// (`simulate` and `validate` typed, the other operations as their value). Same operations, same
/// errors; `run(op, input)` is `run_answer(op, input).and_then(Answer::into_value)`.
///
/// ```
/// use compcode_core::api::{run_answer, Answer};
/// use serde_json::json;
/// let a = run_answer("validate", &json!({})).unwrap();
/// assert!(matches!(&a, Answer::Validate(r) if !r.valid));
/// assert_eq!(serde_json::to_value(&a).unwrap(), compcode_core::api::run("validate", &json!({})).unwrap());
/// assert!(matches!(run_answer("templates", &json!({})).unwrap(), Answer::Value(_)));
/// assert_eq!(run_answer("nope", &json!({})).unwrap_err().code().as_str(), "NOT_FOUND");
/// ```
pub fn run_answer(operation: &str, input: &Value) -> Result<Answer> {
    match operation {
        "simulate" => Ok(Answer::SimulateView(Box::new(crate::view::simulate(input)?))),
        "validate" => Ok(Answer::Validate(validate(input))),
        _ => run(operation, input).map(Answer::Value),
    }
}
