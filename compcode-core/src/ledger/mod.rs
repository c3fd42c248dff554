//! The event ledger (SPEC §12, §18.11–§18.22, §18.38): current-state events keyed by a stable
//! idempotency key, a history row per mutation, and the pure [`reconcile`] that turns stored and
//! freshly computed events into a change set.
//!
//! Spark (SPEC §9, §18.9, §18.10, §18.20): a milestone payment's key adds its milestone as a
//! string (`[deal, rep, plan, rule, "1"]`), a Spark override's key adds the deal id to the cascade
//! key; every other key is unchanged. A paid line past its rule's `clawbackWindowDays` is
//! settled ([`Locks::settled`]). Clawbacks carry `reason` (`cancellation`, or `carry_forward`
//! for a batch's negative net) and are dated by the run that writes them when it is known.

mod reconcile;

pub use reconcile::{reconcile, Change, ChangeSet, Locks};

use crate::calc::{Calculation, Line};
use crate::model::{CalcDoc, Phase};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A payout line's status (SPEC §18.11).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum LineStatus {
    /// Calculated, not approved.
    #[default]
    Pending,
    /// On an approved statement.
    Approved,
    /// Paid (a batch marked paid, or an explicit mark-paid call).
    Paid,
    /// No longer calculated (amount 0).
    Reversed,
}

/// The newly computed result stored beside a locked key (SPEC §18.12).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Held {
    /// The amount the key would have now (0 when no longer computed).
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    /// The computed event, when the key is still computed.
    pub event: Option<Box<Event>>,
}

/// A stored event: the current state of one payout line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    /// The compact JSON array of the key parts (SPEC §12, §18.20).
    pub idempotency_key: String,
    /// Deal (per_deal lines).
    pub deal_id: Option<String>,
    /// Receiving rep.
    pub rep_id: String,
    /// Plan.
    pub plan_id: String,
    /// Version whose rule paid.
    pub plan_version_id: String,
    /// Rule name.
    pub rule_name: String,
    /// `per_deal`, `periodic`, `cascade`, `true_up`, `clawback`.
    pub execution_phase: String,
    /// Period string.
    pub period: String,
    /// Amount (rounded).
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    /// Tier.
    pub tier_name: Option<String>,
    /// Rate.
    #[serde(with = "rust_decimal::serde::str_option", default)]
    pub rate_applied: Option<Decimal>,
    /// Attainment.
    #[serde(with = "rust_decimal::serde::str_option", default)]
    pub attainment: Option<Decimal>,
    /// Base.
    #[serde(with = "rust_decimal::serde::str_option", default)]
    pub base: Option<Decimal>,
    /// Milestone (rate tables).
    pub milestone: Option<u32>,
    /// Cascade source rep.
    pub source_rep_id: Option<String>,
    /// Participant role.
    pub role: Option<String>,
    /// The line's date (credit date; a periodic or cascade line's last day).
    pub credit_date: String,
    /// Status.
    #[serde(default)]
    pub status: LineStatus,
    /// Payroll batch holding the line.
    #[serde(default)]
    pub batch_id: Option<String>,
    /// When it was paid.
    #[serde(default)]
    pub paid_at: Option<String>,
    /// Result held beside a locked key.
    #[serde(default)]
    pub held: Option<Held>,
    /// For true-ups and clawbacks: the period corrected.
    #[serde(default)]
    pub references_period: Option<String>,
    /// For true-up lines: the true-up call they belong to.
    #[serde(default)]
    pub true_up_id: Option<String>,
    /// Spark override level of a per-deal override line (SPEC §18.9).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<u32>,
    /// Why a clawback exists: `cancellation` (reconcile, SPEC §18.13) or `carry_forward` (a
    /// batch's negative net, SPEC §18.24).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Currency of a line without a deal (a carry-forward clawback); other lines take their
    /// deal's currency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// The date of the first run that found the key no longer computed (cancelled, lost,
    /// deleted, a milestone whose condition stopped holding); cleared when it is computed again.
    /// It is the cancellation date of SPEC §18.10 when the deal has no `cancelledAt` field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gone_since: Option<String>,
    /// Explanation (never causes an update).
    #[serde(default)]
    pub trace: Vec<Value>,
}

impl Event {
    /// True when the attributes of SPEC §18.19 differ (traces never count).
    pub fn differs(&self, other: &Event) -> bool {
        self.amount != other.amount
            || self.period != other.period
            || self.plan_version_id != other.plan_version_id
            || self.tier_name != other.tier_name
            || self.rate_applied != other.rate_applied
            || self.attainment != other.attainment
            || self.base != other.base
            || self.milestone != other.milestone
            || self.source_rep_id != other.source_rep_id
            || (self.reason.as_deref() == Some("held")) != (other.reason.as_deref() == Some("held"))
            || (other.currency.is_some() && self.currency != other.currency)
    }
}

/// The key parts of a line in SPEC §12's order, as a compact JSON array.
///
/// ```
/// use compcode_core::ledger::key_of;
/// assert_eq!(key_of(&["D1", "alice", "ae", "Revenue Commission"]), r#"["D1","alice","ae","Revenue Commission"]"#);
/// // exactly serde_json's text, escapes included
/// for parts in [vec!["a\"b", "c\\d", "e\nf\u{1}", "é\u{7f}"], vec![], vec![""]] {
///     assert_eq!(key_of(&parts), serde_json::to_string(&parts).unwrap());
/// }
/// ```
pub fn key_of(parts: &[&str]) -> String {
    // Hot path of every rendered line (issue #9): a part with nothing to escape is copied as
    // is; any other part goes through serde_json, so the text is exactly serde_json's.
    let mut out = String::with_capacity(parts.iter().map(|p| p.len() + 3).sum::<usize>() + 2);
    out.push('[');
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        if p.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20) {
            out.push_str(&serde_json::to_string(p).unwrap_or_default());
        } else {
            out.push('"');
            out.push_str(p);
            out.push('"');
        }
    }
    out.push(']');
    out
}

/// The idempotency key of a calculated line (an installment of a payout schedule appends
/// `"installment:<i>"`, SPEC §20).
pub fn line_key(doc: &CalcDoc, l: &Line) -> String {
    let base = base_line_key(doc, l);
    match &l.installment {
        Some(i) => crate::schedule::installment_key(&base, i.index),
        None => base,
    }
}

fn base_line_key(doc: &CalcDoc, l: &Line) -> String {
    let plan = doc.plans[l.plan].plan_id.as_str();
    let rep = doc.reps[l.rep].id.as_str();
    let deal = l.deal.map_or("", |d| doc.deals[d].id.as_str());
    let period = match l.phase {
        Phase::PerDeal => String::new(),
        _ => l.period.to_string(),
    };
    match l.phase {
        // a milestone payment adds its milestone; a missing one is left out (SPEC §18.20)
        Phase::PerDeal => match l.milestone {
            Some(m) => key_of(&[deal, rep, plan, &l.rule_name, &m.to_string()]),
            None => key_of(&[deal, rep, plan, &l.rule_name]),
        },
        Phase::Periodic => key_of(&[rep, plan, &l.rule_name, &period]),
        Phase::Cascade => {
            let source = l.source_rep.map_or("", |s| doc.reps[s].id.as_str());
            match l.deal {
                // a Spark override line is per deal: its key adds the deal id (SPEC §18.9)
                Some(_) => key_of(&[rep, plan, &l.rule_name, &period, source, deal]),
                None => key_of(&[rep, plan, &l.rule_name, &period, source]),
            }
        }
    }
}

/// The events of a calculation, ready to reconcile (provisional lines are never stored,
/// SPEC §18.19).
pub fn computed_events(doc: &CalcDoc, calc: &Calculation) -> Vec<Event> {
    computed_events_where(doc, calc, &|_| true)
}

/// The events of a calculation that `keep` accepts, ready to reconcile: [`computed_events`]
/// without building the others' traces (a deal run keeps only its groups' lines, issue #9).
/// `keep` sees each event before its trace is attached (an empty `trace`).
///
/// ```
/// use compcode_core::{validate::read_document, calc::calculate, ledger::{computed_events, computed_events_where}};
/// use serde_json::json;
/// let doc = read_document(&json!({
///   "asOf": "2026-04-01",
///   "reps": [{"id": "a", "name": "A"}, {"id": "b", "name": "B"}],
///   "plans": [{"planId": "p", "name": "P", "effectiveStart": "2026-01-01", "config": {"rules": [
///     {"name": "R", "measure": "amount", "tierBy": "value",
///      "tiers": [{"tierIndex": 0, "name": "T", "minThreshold": 0, "rate": "0.1"}]}]}}],
///   "assignments": [{"repId": "a", "planId": "p", "effectiveStart": "2026-01-01"},
///                   {"repId": "b", "planId": "p", "effectiveStart": "2026-01-01"}],
///   "deals": [{"id": "D1", "stage": "Won", "amount": 1000, "closeDate": "2026-02-01", "ownerRepId": "a"},
///             {"id": "D2", "stage": "Won", "amount": 500, "closeDate": "2026-02-01", "ownerRepId": "b"}]
/// })).unwrap();
/// let calc = calculate(&doc).unwrap();
/// let all = computed_events(&doc, &calc);
/// let b_only = computed_events_where(&doc, &calc, &|e| e.rep_id == "b");
/// assert_eq!(b_only, all.into_iter().filter(|e| e.rep_id == "b").collect::<Vec<_>>());
/// ```
pub fn computed_events_where(doc: &CalcDoc, calc: &Calculation, keep: &dyn Fn(&Event) -> bool) -> Vec<Event> {
    untraced_events(doc, calc)
        .into_iter()
        .filter(|(_, e)| keep(e))
        .map(|(i, mut e)| {
            attach_trace(calc, i, &mut e);
            e
        })
        .collect()
}

/// The events of a calculation (as [`computed_events`]) without their traces, each with the
/// index of its line in `calc.lines`: a caller that keeps only some attaches their traces with
/// [`attach_trace`].
pub fn untraced_events(doc: &CalcDoc, calc: &Calculation) -> Vec<(usize, Event)> {
    calc.lines.iter().enumerate().filter(|(_, l)| !l.provisional).map(|(i, l)| (i, event_of(doc, l))).collect()
}

/// Sets the trace of an event of [`untraced_events`] from its line `i` (nothing when there is
/// no such line).
pub fn attach_trace(calc: &Calculation, i: usize, e: &mut Event) {
    if let Some(l) = calc.lines.get(i) {
        e.trace = l.trace.iter().map(crate::trace::Step::to_value).collect();
    }
}

/// A line's event, without its trace.
fn event_of(doc: &CalcDoc, l: &Line) -> Event {
    Event {
        idempotency_key: line_key(doc, l),
        deal_id: l.deal.map(|d| doc.deals[d].id.clone()),
        rep_id: doc.reps[l.rep].id.clone(),
        plan_id: doc.plans[l.plan].plan_id.clone(),
        plan_version_id: doc.plans[l.plan].versions[l.version].plan_version_id.clone(),
        rule_name: l.rule_name.to_string(),
        execution_phase: l.phase.as_str().to_string(),
        period: l.period.to_string(),
        amount: l.amount,
        tier_name: l.tier_name.as_deref().map(str::to_string),
        rate_applied: l.rate,
        attainment: l.attainment,
        base: l.base,
        milestone: l.milestone,
        source_rep_id: l.source_rep.map(|s| doc.reps[s].id.clone()),
        role: l.role.as_deref().map(str::to_string),
        credit_date: l.date.to_string(),
        status: LineStatus::Pending,
        batch_id: None,
        paid_at: None,
        held: None,
        references_period: None,
        true_up_id: None,
        level: l.level,
        reason: crate::schedule::is_held(l).then(|| "held".to_string()),
        currency: crate::fx::line_currency(doc, l.plan, l.version),
        gone_since: None,
        trace: Vec::new(),
    }
}

/// One history row: a mutation of an event (SPEC §12).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryRow {
    /// Event key.
    pub idempotency_key: String,
    /// A run's `written`, `updated`, `reversed`, `locked`, `clawback`; a workflow's `status`
    /// (approve, revert, mark paid, clawback processing), `true_up` (a new true-up line),
    /// `batched` / `released` (payroll-batch membership), `clawback` (a carry-forward).
    pub change: String,
    /// The run's outcome (`processed`, `owner_changed`, `deleted`, `manual_reverse`), or the
    /// workflow that changed the event (`statement_approved`, `statement_reverted`,
    /// `mark_paid`, `true_up`, `payroll_batch`, `clawback_processed`).
    pub outcome: String,
    /// Amount before.
    #[serde(with = "rust_decimal::serde::str_option", default)]
    pub old_amount: Option<Decimal>,
    /// Amount after.
    #[serde(with = "rust_decimal::serde::str_option", default)]
    pub new_amount: Option<Decimal>,
    /// When.
    pub at: String,
}

/// What a run did to one deal (SPEC §12).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Insert or update.
    Processed,
    /// Old owner's events reversed, new owner's written.
    OwnerChanged,
    /// All the deal's events reversed, snapshot soft-deleted.
    Deleted,
    /// The host asked to reverse the deal.
    ManualReverse,
}

impl Outcome {
    /// The SPEC spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Processed => "processed",
            Outcome::OwnerChanged => "owner_changed",
            Outcome::Deleted => "deleted",
            Outcome::ManualReverse => "manual_reverse",
        }
    }
}
