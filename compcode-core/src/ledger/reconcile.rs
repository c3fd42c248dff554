//! `reconcile` (SPEC §12, §18.12–§18.19, §18.38): stored events of a run's scope + freshly
//! computed events → a change set. Pure: no storage, no clock.

use super::{key_of, Event, Held, LineStatus};
use crate::hash::{HashMap, HashSet};
use crate::period::parse_date;
use chrono::{Days, NaiveDate};
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// What locks keys and what corrections exist already.
#[derive(Debug, Clone, Default)]
pub struct Locks {
    /// (rep, period) pairs with an approved statement.
    pub approved: HashSet<(String, String)>,
    /// Payroll batches past `DRAFT` (their lines are locked).
    pub locked_batches: HashSet<String>,
    /// Σ of approved true-ups and clawbacks already written, per original key.
    pub corrections: HashMap<String, Decimal>,
    /// `clawbackWindowDays` by (planVersionId, ruleName) (SPEC §18.10); a rule not listed always
    /// claws back.
    pub clawback_windows: HashMap<(String, String), u32>,
    /// Deals' `cancelledAt` field (SPEC §18.10, §18.38).
    pub cancelled_at: HashMap<String, NaiveDate>,
    /// The run's date: the cancellation date of a key first found gone by this run.
    pub today: Option<NaiveDate>,
}

impl Locks {
    /// True when the event's key may not be mutated (SPEC §18.12).
    pub fn locks(&self, e: &Event) -> bool {
        e.status == LineStatus::Paid
            // a held installment (SPEC §20) was never payable: approval does not lock it
            || (self.approved.contains(&(e.rep_id.clone(), e.period.clone())) && e.reason.as_deref() != Some("held"))
            || e.batch_id.as_ref().is_some_and(|b| self.locked_batches.contains(b))
    }

    /// True when a paid line is past its rule's `clawbackWindowDays` (SPEC §18.10, §18.38): the
    /// cancellation date — the deal's `cancelledAt`, else the first run that found the key gone
    /// ([`Event::gone_since`]), else this run — is after `paidAt + window`. A settled amount is
    /// neither clawed back nor recovered by a true-up.
    pub fn settled(&self, e: &Event) -> bool {
        let gone = e.gone_since.as_deref().and_then(|d| parse_date(d, false)).or(self.today);
        self.settled_on(e, gone)
    }

    fn settled_on(&self, e: &Event, gone: Option<NaiveDate>) -> bool {
        if e.status != LineStatus::Paid {
            return false;
        }
        let Some(window) = self.clawback_windows.get(&(e.plan_version_id.clone(), e.rule_name.clone())) else {
            return false;
        };
        let Some(paid) = e.paid_at.as_deref().and_then(|d| parse_date(d, true)) else { return false };
        let cancelled = e.deal_id.as_ref().and_then(|d| self.cancelled_at.get(d).copied()).or(gone);
        cancelled.is_some_and(|c| paid.checked_add_days(Days::new(u64::from(*window))).is_some_and(|end| c > end))
    }
}

/// One key's change.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Change {
    /// The key.
    pub key: String,
    /// Stored state before (None for a new key).
    pub old: Option<Event>,
    /// State to store.
    pub new: Event,
}

/// The result of a reconcile (SPEC §18.18).
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ChangeSet {
    /// New keys.
    pub written: Vec<Change>,
    /// Same key, different attributes (or a reversed key computed again).
    pub updated: Vec<Change>,
    /// Keys no longer computed: amount 0, status REVERSED.
    pub reversed: Vec<Change>,
    /// Unchanged keys.
    pub noop: Vec<String>,
    /// Locked keys with their held results.
    pub locked: Vec<Change>,
    /// Clawback lines for paid lines whose deal went away.
    pub clawbacks: Vec<Event>,
}

impl ChangeSet {
    /// `statementLocked`: any key was locked.
    pub fn statement_locked(&self) -> bool {
        !self.locked.is_empty()
    }

    /// The audit counters of SPEC §12.
    pub fn counters(&self) -> serde_json::Value {
        serde_json::json!({
            "eventsWritten": self.written.len(),
            "eventsUpdated": self.updated.len(),
            "eventsReversed": self.reversed.len(),
            "eventsNoop": self.noop.len(),
            "eventsLocked": self.locked.len(),
            "clawbacks": self.clawbacks.len(),
            "statementLocked": self.statement_locked(),
        })
    }

    /// Every event the change set stores, in key order.
    pub fn writes(&self) -> impl Iterator<Item = &Change> {
        self.written.iter().chain(self.updated.iter()).chain(self.reversed.iter()).chain(self.locked.iter())
    }
}

/// Reconciles the stored events of a scope with the freshly computed events of the same scope.
/// `landing` gives the period a clawback lands in (SPEC §18.14).
///
/// ```
/// use compcode_core::ledger::{reconcile, Locks, Event, LineStatus};
/// let ev = |amount: &str| Event {
///     idempotency_key: r#"["D1","alice","ae","R"]"#.into(), deal_id: Some("D1".into()), rep_id: "alice".into(),
///     plan_id: "ae".into(), plan_version_id: "ae:v1".into(), rule_name: "R".into(),
///     execution_phase: "per_deal".into(), period: "2026-Q1".into(), amount: amount.parse().unwrap(),
///     tier_name: None, rate_applied: None, attainment: None, base: None, milestone: None,
///     source_rep_id: None, role: None, credit_date: "2026-01-10".into(), status: LineStatus::Pending,
///     batch_id: None, paid_at: None, held: None, references_period: None, true_up_id: None,
///     level: None, reason: None, currency: None, gone_since: None, trace: vec![] };
/// let same = reconcile(&[ev("10.00")], &[ev("10.00")], &Locks::default(), &|e: &Event| e.period.clone());
/// assert_eq!((same.noop.len(), same.updated.len()), (1, 0));
/// let gone = reconcile(&[ev("10.00")], &[], &Locks::default(), &|e: &Event| e.period.clone());
/// assert_eq!(gone.reversed[0].new.status, LineStatus::Reversed);
/// ```
pub fn reconcile(
    existing: &[Event],
    computed: &[Event],
    locks: &Locks,
    landing: &dyn Fn(&Event) -> String,
) -> ChangeSet {
    let old: BTreeMap<&str, &Event> = existing.iter().map(|e| (e.idempotency_key.as_str(), e)).collect();
    let new: BTreeMap<&str, &Event> = computed.iter().map(|e| (e.idempotency_key.as_str(), e)).collect();
    let keys: BTreeSet<&str> = old.keys().chain(new.keys()).copied().collect();
    let mut cs = ChangeSet::default();
    for key in keys {
        match (old.get(key).copied(), new.get(key).copied()) {
            (None, Some(c)) => {
                if locks.locks(c) {
                    // a new key in a locked period: a zero placeholder holding the result
                    let mut placeholder = c.clone();
                    placeholder.amount = zero_like(c.amount);
                    placeholder.status = LineStatus::Reversed;
                    placeholder.held = Some(Held { amount: c.amount, event: Some(Box::new(c.clone())) });
                    cs.locked.push(Change { key: key.into(), old: None, new: placeholder });
                } else {
                    cs.written.push(Change { key: key.into(), old: None, new: c.clone() });
                }
            }
            (Some(e), Some(c)) => {
                if locks.locks(e) || locks.locks(c) {
                    let mut held = e.clone();
                    held.held = Some(Held { amount: c.amount, event: Some(Box::new(c.clone())) });
                    held.gone_since = None;
                    cs.locked.push(Change { key: key.into(), old: Some(e.clone()), new: held });
                } else if e.status == LineStatus::Reversed || e.differs(c) {
                    let mut next = c.clone();
                    next.batch_id = e.batch_id.clone();
                    next.status = LineStatus::Pending;
                    cs.updated.push(Change { key: key.into(), old: Some(e.clone()), new: next });
                } else {
                    cs.noop.push(key.into());
                }
            }
            (Some(e), None) => {
                let gone_since = e.gone_since.clone().or_else(|| locks.today.map(|d| d.to_string()));
                if locks.locks(e) {
                    let mut held = e.clone();
                    held.held = Some(Held { amount: zero_like(e.amount), event: None });
                    held.gone_since = gone_since.clone();
                    let settled = locks.settled_on(e, gone_since.as_deref().and_then(|d| parse_date(d, false)));
                    if e.status == LineStatus::Paid && !settled {
                        let corrected = locks.corrections.get(key).copied().unwrap_or_default();
                        let delta = Decimal::ZERO - (e.amount + corrected);
                        if !delta.is_zero() {
                            cs.clawbacks.push(clawback(e, delta, landing(e), locks.today));
                        }
                    }
                    cs.locked.push(Change { key: key.into(), old: Some(e.clone()), new: held });
                } else if e.status == LineStatus::Reversed {
                    cs.noop.push(key.into());
                } else {
                    let mut gone = e.clone();
                    gone.amount = zero_like(e.amount);
                    gone.status = LineStatus::Reversed;
                    gone.held = None;
                    gone.gone_since = gone_since;
                    cs.reversed.push(Change { key: key.into(), old: Some(e.clone()), new: gone });
                }
            }
            (None, None) => {}
        }
    }
    cs
}

/// Zero written with the same decimals as `like` (`"0.00"` for money at 2 decimals).
fn zero_like(like: Decimal) -> Decimal {
    Decimal::new(0, like.scale())
}

/// A clawback line for a paid line (SPEC §18.13): the event key plus `"clawback"`, dated by the
/// run that writes it (its creation date, SPEC §18.23) when the run's date is known.
fn clawback(e: &Event, delta: Decimal, period: String, today: Option<NaiveDate>) -> Event {
    let mut parts: Vec<String> = serde_json::from_str(&e.idempotency_key).unwrap_or_default();
    parts.push("clawback".into());
    let refs: Vec<&str> = parts.iter().map(String::as_str).collect();
    Event {
        idempotency_key: key_of(&refs),
        execution_phase: "clawback".into(),
        amount: delta,
        references_period: Some(e.period.clone()),
        period,
        status: LineStatus::Pending,
        batch_id: None,
        paid_at: None,
        held: None,
        credit_date: today.map_or_else(|| e.credit_date.clone(), |d| d.to_string()),
        reason: Some("cancellation".into()),
        gone_since: None,
        trace: vec![serde_json::json!({"step": "clawback", "of": e.idempotency_key, "paid": e.amount.to_string()})],
        ..e.clone()
    }
}
