//! Diagnostics, kept compact and rendered late (issue #9).
//!
//! A calculation of a million deals notes about 1.4 million skips (lost deals, failed
//! conditions, …). Each [`Diagnostic`] is therefore a 48-byte record of document indices and a
//! small [`Detail`]; its ids and its message are written only when the diagnostic is read, from
//! the document it was calculated on. The texts are exactly those the calculation used to build
//! eagerly: a message that needs the deal's failed conditions evaluates them again (conditions
//! are pure), and the few rare messages that carry text nothing else can rebuild keep it.

use crate::condition::eval_all;
use crate::model::*;
use crate::period::Period;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::borrow::Cow;
use std::cmp::Ordering;

const NONE: u32 = u32::MAX;

fn ix(i: Option<usize>) -> u32 {
    // documents are far below 4 billion entries; an index that does not fit reads as unknown
    i.and_then(|i| u32::try_from(i).ok()).filter(|&i| i != NONE).unwrap_or(NONE)
}

fn opt(i: u32) -> Option<usize> {
    (i != NONE).then_some(i as usize)
}

/// A diagnostic's code: a skip reason of the calculation, or the error code of a formula that
/// failed at run time. Two bytes, where a `&'static str` was sixteen (issue #9).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Code {
    /// `below_floor`
    BelowFloor,
    /// `condition_failed`
    ConditionFailed,
    /// `condition_value_unreadable`
    ConditionValueUnreadable,
    /// `credit_date_missing`
    CreditDateMissing,
    /// `deleted`
    Deleted,
    /// `future_credit_date`
    FutureCreditDate,
    /// `fx_rate_missing`
    FxRateMissing,
    /// `ghost_owner`
    GhostOwner,
    /// `measure_missing`
    MeasureMissing,
    /// `no_matching_plan`
    NoMatchingPlan,
    /// `no_rate`
    NoRate,
    /// `not_won`
    NotWon,
    /// `payout_base_missing`
    PayoutBaseMissing,
    /// `quota_missing`
    QuotaMissing,
    /// `rep_not_assigned`
    RepNotAssigned,
    /// `variable_target_missing`
    VariableTargetMissing,
    /// A formula's runtime error (SPEC §18.29).
    Error(crate::error::ErrorCode),
}

impl Code {
    /// The code as written in answers.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::BelowFloor => "below_floor",
            Code::ConditionFailed => "condition_failed",
            Code::ConditionValueUnreadable => "condition_value_unreadable",
            Code::CreditDateMissing => "credit_date_missing",
            Code::Deleted => "deleted",
            Code::FutureCreditDate => "future_credit_date",
            Code::FxRateMissing => "fx_rate_missing",
            Code::GhostOwner => "ghost_owner",
            Code::MeasureMissing => "measure_missing",
            Code::NoMatchingPlan => "no_matching_plan",
            Code::NoRate => "no_rate",
            Code::NotWon => "not_won",
            Code::PayoutBaseMissing => "payout_base_missing",
            Code::QuotaMissing => "quota_missing",
            Code::RepNotAssigned => "rep_not_assigned",
            Code::VariableTargetMissing => "variable_target_missing",
            Code::Error(e) => e.as_str(),
        }
    }
}

/// Something the calculation noticed and the host may want to show (skips and their reasons).
///
/// The ids and the message are read through the document the calculation ran on:
///
/// ```
/// use compcode_core::{validate::read_document, calc::calculate};
/// use serde_json::json;
/// let doc = read_document(&json!({
///   "asOf": "2026-04-01",
///   "reps": [{"id": "a", "name": "A"}],
///   "plans": [{"planId": "p", "name": "P", "effectiveStart": "2026-01-01", "config": {"rules": [
///     {"name": "R", "measure": "amount", "tierBy": "value",
///      "tiers": [{"tierIndex": 0, "name": "T", "minThreshold": 0, "rate": "0.1"}]}]}}],
///   "assignments": [{"repId": "a", "planId": "p", "effectiveStart": "2026-01-01"}],
///   "deals": [{"id": "D1", "stage": "Lost", "amount": 1000, "closeDate": "2026-02-01", "ownerRepId": "a"}]
/// })).unwrap();
/// let calc = calculate(&doc).unwrap();
/// let d = &calc.diagnostics[0];
/// assert_eq!(d.code(), "not_won");
/// assert_eq!(d.deal_id(&doc), Some("D1"));
/// assert_eq!(d.rule_name(&doc), Some("R"));
/// assert_eq!(d.period_text().as_deref(), Some("2026-Q1"));
/// assert_eq!(d.message(&doc), "stage \"Lost\" is not a won stage");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    code: Code,
    deal: u32,
    rep: u32,
    plan: u32,
    version: u32,
    rule: u32,
    /// The period, in parts (`kind` `None`: no period), so that the record packs into 48 bytes.
    year: i32,
    n: u32,
    kind: Option<crate::period::PeriodKind>,
    detail: Detail,
}

/// What a diagnostic's message is made from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Detail {
    /// A fixed text.
    Static(&'static &'static str),
    /// A text made when the diagnostic was noted (rare skips only; boxed twice, so that every
    /// variant fits in eight bytes).
    Text(Box<Box<str>>),
    /// A credit naming `rep_id`, which is no known rep.
    GhostCredit(Box<Box<str>>),
    /// The rep is assigned to no plan.
    RepNoPlan,
    /// The credit date (after asOf).
    Future(NaiveDate),
    /// The deal's stage is not won.
    NotWon,
    /// Conditions read a value that is not of the condition's type.
    ConditionUnreadable,
    /// Conditions failed.
    ConditionFailed,
    /// No numeric value for the rule's measure.
    MeasureMissing,
    /// No numeric field for the rule's `payoutBase`.
    PayoutBaseMissing,
    /// The credit date is outside the rep's assignments to the plan.
    OutsideAssignment,
    /// No quota for the (rep, rule, period).
    QuotaMissing,
    /// Period-to-date attainment below the rule's floor (a per-deal line).
    BelowFloorToDate(Box<Decimal>),
    /// Period attainment below the rule's floor (a periodic payout).
    BelowFloorPeriod(Box<Decimal>),
}

/// Where a diagnostic points: document indices, each optional.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct At {
    pub deal: Option<usize>,
    pub rep: Option<usize>,
    pub plan: Option<usize>,
    /// (plan version, rule) indices within `plan`.
    pub rule: Option<(usize, usize)>,
    pub period: Option<Period>,
}

impl Diagnostic {
    pub(crate) fn new(code: Code, at: At, detail: Detail) -> Diagnostic {
        let (version, rule) = at.rule.map_or((None, None), |(v, r)| (Some(v), Some(r)));
        let (year, n, kind) = at.period.map_or((0, 0, None), |p| (p.year, p.n, Some(p.kind)));
        Diagnostic {
            code,
            deal: ix(at.deal),
            rep: ix(at.rep),
            plan: ix(at.plan),
            version: ix(version),
            rule: ix(rule),
            year,
            n,
            kind,
            detail,
        }
    }

    /// The code, as the enum (comparing it does not compare text).
    pub(crate) fn code_kind(&self) -> Code {
        self.code
    }

    /// Diagnostic code (`rep_not_assigned`, `ghost_owner`, `quota_missing`, …).
    pub fn code(&self) -> &'static str {
        self.code.as_str()
    }

    /// The deal's index in the document, when the diagnostic is about a deal.
    pub fn deal(&self) -> Option<usize> {
        opt(self.deal)
    }

    /// The rep's index in the document, when the rep is a known rep.
    pub fn rep(&self) -> Option<usize> {
        opt(self.rep)
    }

    /// The plan's index in the document.
    pub fn plan(&self) -> Option<usize> {
        opt(self.plan)
    }

    /// The period.
    pub fn period(&self) -> Option<Period> {
        self.kind.map(|kind| Period { year: self.year, kind, n: self.n })
    }

    /// The period as written in answers (`2026-Q1`, …).
    pub fn period_text(&self) -> Option<String> {
        self.period().map(|p| p.to_string())
    }

    /// The deal's id.
    pub fn deal_id<'d>(&self, doc: &'d CalcDoc) -> Option<&'d str> {
        self.deal().and_then(|d| doc.deals.get(d)).map(|d| d.id.as_str())
    }

    /// The rep's id: a known rep's, or the id a credit named that is no known rep
    /// (`ghost_owner`).
    pub fn rep_id<'d>(&'d self, doc: &'d CalcDoc) -> Option<&'d str> {
        match &self.detail {
            Detail::GhostCredit(id) => Some(&***id),
            _ => self.rep().and_then(|r| doc.reps.get(r)).map(|r| r.id.as_str()),
        }
    }

    /// The plan's id.
    pub fn plan_id<'d>(&self, doc: &'d CalcDoc) -> Option<&'d str> {
        self.plan().and_then(|p| doc.plans.get(p)).map(|p| p.plan_id.as_str())
    }

    /// The rule's name.
    pub fn rule_name<'d>(&self, doc: &'d CalcDoc) -> Option<&'d str> {
        self.rule_of(doc).map(|(_, r)| r.name.as_str())
    }

    fn rule_of<'d>(&self, doc: &'d CalcDoc) -> Option<(&'d PlanVersion, &'d Rule)> {
        rule_at(doc, self.plan, self.version, self.rule)
    }

    /// The explanation, written from the document the calculation ran on.
    pub fn message(&self, doc: &CalcDoc) -> String {
        let deal = self.deal().and_then(|d| doc.deals.get(d));
        let rep = self.rep_id(doc).unwrap_or_default();
        let rule = self.rule_of(doc);
        let rule_name = rule.map_or("", |(_, r)| r.name.as_str());
        let conditions = || match (rule, deal) {
            (Some((v, r)), Some(d)) => eval_all(&[&v.config.conditions, &r.conditions], d, doc.as_of),
            _ => Default::default(),
        };
        let floor = || rule.and_then(|(_, r)| r.floor_attainment).unwrap_or_default();
        match &self.detail {
            Detail::Static(s) => (**s).to_string(),
            Detail::Text(t) => t.to_string(),
            Detail::GhostCredit(id) => format!("credit names `{id}`, which is no known rep; that credit is skipped"),
            Detail::RepNoPlan => format!("rep `{rep}` is assigned to no plan"),
            Detail::Future(date) => format!("credit date {date} is after asOf {}", doc.as_of),
            Detail::NotWon => {
                format!("stage {:?} is not a won stage", deal.and_then(|d| d.stage.as_deref()).unwrap_or(""))
            }
            Detail::ConditionUnreadable => {
                format!("could not read {} as the condition's type", conditions().unreadable.join(", "))
            }
            Detail::ConditionFailed => format!("conditions failed: {}", conditions().failed.join("; ")),
            Detail::MeasureMissing => {
                format!("the deal has no numeric value for measure `{}`", rule.map_or("", |(_, r)| r.measure.as_str()))
            }
            Detail::PayoutBaseMissing => {
                let f = match rule.map(|(_, r)| &r.payout_base) {
                    Some(PayoutBase::Field(f)) => f.as_str(),
                    _ => "",
                };
                format!("the deal has no numeric field `{f}` for payoutBase")
            }
            Detail::OutsideAssignment => format!(
                "the deal's credit date is outside rep `{rep}`'s assignments to plan `{}`",
                self.plan_id(doc).unwrap_or_default()
            ),
            Detail::QuotaMissing => format!(
                "no quota for rep `{rep}`, rule `{rule_name}`, period {}",
                self.period_text().unwrap_or_default()
            ),
            Detail::BelowFloorToDate(att) => {
                format!("period-to-date attainment {} is below the floor {}", att.normalize(), floor())
            }
            Detail::BelowFloorPeriod(att) => {
                format!("period attainment {} is below the floor {}", att.normalize(), floor())
            }
        }
    }

    /// The answer's form of the diagnostic (ids and message written out).
    pub fn to_out(&self, doc: &CalcDoc) -> crate::api::DiagnosticOut {
        crate::api::DiagnosticOut {
            code: self.code(),
            deal_id: self.deal_id(doc).map(str::to_string),
            rep_id: self.rep_id(doc).map(str::to_string),
            plan_id: self.plan_id(doc).map(str::to_string),
            rule_name: self.rule_name(doc).map(str::to_string),
            period: self.period_text(),
            message: self.message(doc),
        }
    }
}

/// The (plan version, rule) at document indices (`NONE` for none).
fn rule_at(doc: &CalcDoc, plan: u32, version: u32, rule: u32) -> Option<(&PlanVersion, &Rule)> {
    let v = doc.plans.get(opt(plan)?)?.versions.get(opt(version)?)?;
    Some((v, v.config.rules.get(opt(rule)?)?))
}

/// The diagnostics of a calculation.
#[derive(Default)]
pub(crate) struct Diags {
    pub list: Vec<Diagnostic>,
}

impl Diags {
    pub fn add(&mut self, code: Code, at: At, detail: Detail) {
        self.list.push(Diagnostic::new(code, at, detail));
    }
}

/// Orders diagnostics like their written form: (code, deal id, rep id, plan id, rule name,
/// period text, message), then the deal and rep indices. Deals, reps and plans known by index
/// compare by the rank of their ids; a message is written only to break a tie of everything
/// before it.
pub(crate) fn cmp(
    doc: &CalcDoc,
    deals: &[u32],
    reps: &[u32],
    plans: &[u32],
    a: &Diagnostic,
    b: &Diagnostic,
) -> Ordering {
    fn by<'x>(a: u32, b: u32, ranks: &[u32], ids: impl Fn(u32) -> Option<&'x str>) -> Ordering {
        match (a == NONE, b == NONE) {
            (false, false) => ranks[a as usize].cmp(&ranks[b as usize]),
            _ => ids(a).cmp(&ids(b)),
        }
    }
    let text = |i: u32, f: fn(&CalcDoc, usize) -> &str| opt(i).map(|i| f(doc, i));
    let code = match a.code == b.code {
        true => Ordering::Equal,
        false => a.code().cmp(b.code()),
    };
    code.then_with(|| by(a.deal, b.deal, deals, |i| text(i, |d, i| &d.deals[i].id)))
        .then_with(|| match (&a.detail, &b.detail) {
            (Detail::GhostCredit(_), _) | (_, Detail::GhostCredit(_)) => a.rep_id(doc).cmp(&b.rep_id(doc)),
            _ => by(a.rep, b.rep, reps, |i| text(i, |d, i| &d.reps[i].id)),
        })
        .then_with(|| by(a.plan, b.plan, plans, |i| text(i, |d, i| &d.plans[i].plan_id)))
        .then_with(|| match (a.plan, a.version, a.rule) == (b.plan, b.version, b.rule) {
            true => Ordering::Equal,
            false => a.rule_name(doc).cmp(&b.rule_name(doc)),
        })
        .then_with(|| match a.period() == b.period() {
            true => Ordering::Equal,
            false => a.period_text().cmp(&b.period_text()),
        })
        .then_with(|| match a.detail == b.detail && (a.version, a.rule) == (b.version, b.rule) {
            true => Ordering::Equal,
            false => a.message(doc).cmp(&b.message(doc)),
        })
        .then_with(|| (opt(a.deal), opt(a.rep)).cmp(&(opt(b.deal), opt(b.rep))))
}

/// Sorts diagnostics in [`cmp`] order and drops duplicates. Each diagnostic gets an integer key
/// once — the rank of its code, deal, rep, plan, rule name and period text among those present
/// (smaller for "none", as `None` sorts first) — so the sort compares integers; [`cmp`] decides
/// only between equal keys (and sorts everything when a ghost credit's rep id has to be
/// compared as text).
pub(crate) fn sort(doc: &CalcDoc, deals: &[u32], reps: &[u32], plans: &[u32], list: &mut Vec<Diagnostic>) {
    let order = |a: &Diagnostic, b: &Diagnostic| cmp(doc, deals, reps, plans, a, b);
    if list.iter().any(|d| matches!(d.detail, Detail::GhostCredit(_))) {
        list.sort_unstable_by(order);
        list.dedup_by(|a, b| order(a, b) == Ordering::Equal);
        return;
    }
    /// The distinct keys. A key equal to one of the last four inserted is not looked up again:
    /// diagnostics come in runs, and a deal's skips alternate between a few rules (issue #9:
    /// collecting every key would sort them all; remembering only the last key still looked
    /// up about every diagnostic).
    fn distinct<K: Ord + Copy>(keys: impl Iterator<Item = K>) -> std::collections::BTreeSet<K> {
        let mut set = std::collections::BTreeSet::new();
        let mut recent: [Option<K>; 4] = [None; 4];
        let mut next = 0;
        for k in keys {
            if !recent.contains(&Some(k)) {
                set.insert(k);
                recent[next] = Some(k);
                next = (next + 1) % recent.len();
            }
        }
        set
    }
    fn ranks<K: Ord + Copy>(keys: impl Iterator<Item = K>) -> std::collections::BTreeMap<K, u32> {
        distinct(keys).into_iter().enumerate().map(|(i, k)| (k, i as u32)).collect()
    }
    // few distinct codes, rules and periods: rank them once (runs of equal values are common).
    // Codes rank by their text, found by the `Code` value (issue #9: looking codes and rule
    // names up by their text compared strings at most diagnostics)
    let mut codes: Vec<Code> = Vec::new();
    let mut last_code = None;
    for d in list.iter() {
        // kept in text order as they come (a sort more would grow the WASM module past its budget)
        if last_code != Some(d.code) && !codes.contains(&d.code) {
            codes.insert(codes.partition_point(|c| c.as_str() < d.code.as_str()), d.code);
        }
        last_code = Some(d.code);
    }
    let rule_refs = distinct(list.iter().map(|d| (d.plan, d.version, d.rule)));
    let name_of = |&(p, v, r): &(u32, u32, u32)| rule_at(doc, p, v, r).map(|(_, r)| r.name.as_str());
    let names = ranks(rule_refs.iter().map(name_of));
    // in (plan, version, rule) order, as the set iterates: found by binary search (a map type
    // more would grow the WASM module past its budget)
    let rules: Vec<((u32, u32, u32), u32)> = rule_refs
        .iter()
        .map(|t| (*t, name_of(t).map_or(0, |n| names.get(&Some(n)).copied().unwrap_or_default() + 1)))
        .collect();
    let periods: Vec<(Option<Period>, Option<String>)> = {
        let set = distinct(list.iter().map(Diagnostic::period));
        let mut v: Vec<(Option<Period>, Option<String>)> =
            set.into_iter().map(|p| (p, p.map(|p| p.to_string()))).collect();
        v.sort_by(|a, b| a.1.cmp(&b.1));
        v
    };
    let period_rank: std::collections::BTreeMap<Option<Period>, u32> =
        periods.iter().enumerate().map(|(i, (p, _))| (*p, i as u32)).collect();
    let rank_of = |i: u32, ranks: &[u32]| if i == NONE { 0 } else { ranks[i as usize] + 1 };
    // [code, deal], [rep, plan], [rule, period] ranks as three u64s: cheaper to compare than
    // six u32s (ranks are u32: there are fewer than 2^32 of each)
    let mut keyed: Vec<([u64; 3], u32)> = Vec::with_capacity(list.len());
    let two = |hi: u32, lo: u32| u64::from(hi) << 32 | u64::from(lo);
    // the code, rule and period of the previous diagnostic, and their ranks: each repeats in runs
    // (a deal's skips share its period, a rule's skips its rule), so each is looked up only when
    // it changes
    let mut last_c: Option<(Code, u32)> = None;
    let mut last_r: Option<((u32, u32, u32), u32)> = None;
    let mut last_p: Option<(Option<Period>, u32)> = None;
    for (i, d) in list.iter().enumerate() {
        let c = match last_c {
            Some((code, k)) if code == d.code => k,
            _ => {
                let k = codes.iter().position(|&c| c == d.code).unwrap_or_default() as u32;
                last_c = Some((d.code, k));
                k
            }
        };
        let rule = (d.plan, d.version, d.rule);
        let r = match last_r {
            Some((t, k)) if t == rule => k,
            _ => {
                let k = rules.binary_search_by_key(&rule, |r| r.0).map_or(0, |at| rules[at].1);
                last_r = Some((rule, k));
                k
            }
        };
        let period = d.period();
        let p = match last_p {
            Some((q, k)) if q == period => k,
            _ => {
                let k = period_rank.get(&period).copied().unwrap_or_default();
                last_p = Some((period, k));
                k
            }
        };
        keyed.push((
            [two(c, rank_of(d.deal, deals)), two(rank_of(d.rep, reps), rank_of(d.plan, plans)), two(r, p)],
            i as u32,
        ));
    }
    sort_keyed(&mut keyed, |a, b| a.0.cmp(&b.0).then_with(|| order(&list[a.1 as usize], &list[b.1 as usize])));
    // each diagnostic's place in the sorted list, a duplicate's at the end, cut off below (the
    // keys are freed before anything moves). A diagnostic equal to the last one kept is a
    // duplicate; different keys mean different diagnostics, so the full comparison runs only
    // between equal keys (issue #9: comparing every neighbour was a fifth of this sort)
    let mut target = vec![0u32; list.len()];
    let (mut kept, mut end) = (0u32, list.len() as u32);
    let mut last: Option<Keyed> = None;
    for (key, i) in keyed {
        let duplicate =
            last.is_some_and(|(k, j)| k == key && order(&list[j as usize], &list[i as usize]) == Ordering::Equal);
        if duplicate {
            end -= 1;
            target[i as usize] = end;
        } else {
            target[i as usize] = kept;
            kept += 1;
            last = Some((key, i));
        }
    }
    permute(list, &mut target);
    list.truncate(kept as usize);
}

/// A diagnostic's sort keys and its index.
type Keyed = ([u64; 3], u32);

/// Sorts like `keyed.sort_unstable_by(full)`, for a `full` that orders by the first key before
/// anything else: two counting passes over the first key's halves (the deal's rank, then the
/// code's), then each run of equal first keys by `full` (issue #9: comparing 1.44 million keys
/// was a tenth of a calculation at a million deals; most runs hold one diagnostic). Falls back to
/// comparing when the buckets would outnumber the items.
fn sort_keyed(keyed: &mut [Keyed], full: impl Fn(&Keyed, &Keyed) -> Ordering) {
    let n = keyed.len();
    let low = |k: &Keyed| (k.0[0] & u64::from(u32::MAX)) as usize;
    let high = |k: &Keyed| (k.0[0] >> 32) as usize;
    let (low_max, high_max) = keyed.iter().fold((0, 0), |(l, h), k| (l.max(low(k)), h.max(high(k))));
    let bounded = |max: usize| max <= n.saturating_mul(4).saturating_add(1024);
    // wasm32 compares: the counting passes cost the WASM module ~2 KB gzipped, over its budget
    // (scripts/test-wasm.sh); the order is the same (see the proptest below)
    if cfg!(target_arch = "wasm32") || n < 64 || !bounded(low_max) || !bounded(high_max) {
        keyed.sort_unstable_by(full);
        return;
    }
    let mut scratch = vec![([0u64; 3], 0u32); n];
    counting_pass(keyed, &mut scratch, low_max, low);
    counting_pass(&scratch, keyed, high_max, high);
    drop(scratch);
    let mut i = 0;
    while i < n {
        let mut j = i + 1;
        while j < n && keyed[j].0[0] == keyed[i].0[0] {
            j += 1;
        }
        if j - i > 1 {
            keyed[i..j].sort_unstable_by(&full);
        }
        i = j;
    }
}

/// One stable counting-sort pass: `src` into `dst` (same length) by `digit` (at most `max`).
fn counting_pass(src: &[Keyed], dst: &mut [Keyed], max: usize, digit: impl Fn(&Keyed) -> usize) {
    let mut next = vec![0usize; max + 2];
    for k in src {
        next[digit(k) + 1] += 1;
    }
    for b in 1..next.len() {
        next[b] += next[b - 1];
    }
    for k in src {
        let d = digit(k);
        dst[next[d]] = *k;
        next[d] += 1;
    }
}

/// Moves `items[i]` to `target[i]` in place, cycle by cycle (`target` is a permutation: every
/// swap settles one item). In place, so a million diagnostics are not held twice (issue #9).
pub(crate) fn permute<T>(items: &mut [T], target: &mut [u32]) {
    let mut swaps = 0;
    for i in 0..items.len() {
        // the bound only guards the loop should `target` not be a permutation
        while target[i] as usize != i && swaps < items.len() {
            let j = target[i] as usize;
            items.swap(i, j);
            target.swap(i, j);
            swaps += 1;
        }
    }
}

/// A rendered text for diagnostics whose message cannot be rebuilt from the document.
pub(crate) fn text(s: impl Into<Cow<'static, str>>) -> Detail {
    Detail::Text(Box::new(s.into().into()))
}

#[cfg(test)]
mod tests {
    use super::{permute, sort_keyed, Keyed};
    use proptest::prelude::*;

    #[cfg(target_pointer_width = "64")]
    #[test]
    fn a_diagnostic_is_48_bytes() {
        // ~1.4 million at a million deals (issue #9: 72 bytes before)
        assert_eq!(std::mem::size_of::<super::Diagnostic>(), 48);
        assert_eq!(std::mem::size_of::<super::Detail>(), 16);
    }

    proptest! {
        // issue #9: the counting passes give the comparison sort's order (small first-key
        // ranges take the counting path; wide ones fall back to comparing)
        #[test]
        fn sort_keyed_equals_the_comparison_sort(
            raw in prop::collection::vec((0u64..6, 0u64..300, 0u64..4, 0u64..3), 0..400),
            wide in any::<bool>(),
        ) {
            let mut keyed: Vec<Keyed> = raw
                .iter()
                .enumerate()
                .map(|(i, &(code, deal, a, b))| {
                    let deal = if wide { deal * 1_000_003 } else { deal };
                    ([code << 32 | deal, a, b], i as u32)
                })
                .collect();
            // ties of all three keys are broken by the index, as the diagnostics' own order does
            let full = |x: &Keyed, y: &Keyed| x.0.cmp(&y.0).then(x.1.cmp(&y.1));
            let mut expected = keyed.clone();
            expected.sort_unstable_by(full);
            sort_keyed(&mut keyed, full);
            prop_assert_eq!(keyed, expected);
        }

        // issue #9: `sort` (integer keys, counting passes, duplicates dropped by key) gives the
        // comparison sort's order and drops the same duplicates as `dedup_by`; 64 or more
        // diagnostics take the counting path
        #[test]
        fn sort_equals_the_comparison_sort_and_dedup(
            raw in prop::collection::vec((0usize..4, 0usize..6, 0usize..4, 0usize..3, 0usize..4, 0usize..4), 0..160),
        ) {
            use super::{At, Code, Detail, Diagnostic};
            use crate::period::Period;
            let doc = crate::validate::read_document(&serde_json::json!({
                "asOf": "2026-12-31",
                "reps": [{"id": "r2", "name": "B"}, {"id": "r10", "name": "A"}, {"id": "r1", "name": "C"}],
                "plans": [{"planId": "p", "name": "P", "effectiveStart": "2026-01-01", "config": {"rules": [
                    {"name": "Zeta", "measure": "amount", "tiers": [{"tierIndex": 0, "name": "T", "minThreshold": 0, "rate": "0.1"}]},
                    {"name": "Alpha", "measure": "amount", "tiers": [{"tierIndex": 0, "name": "T", "minThreshold": 0, "rate": "0.1"}]}]}}],
                "deals": [{"id": "D10"}, {"id": "D2"}, {"id": "D1"}, {"id": "A"}, {"id": "D100"}]
            }))
            .unwrap();
            let codes = [Code::NotWon, Code::ConditionFailed, Code::Deleted, Code::NoRate];
            let periods = [None, Period::parse("2026-Q1"), Period::parse("2026-Q4"), Period::parse("2026-03")];
            let mut list: Vec<Diagnostic> = raw
                .iter()
                .map(|&(c, deal, rep, rule, period, detail)| {
                    let at = At {
                        deal: (deal < 5).then_some(deal),
                        rep: (rep < 3).then_some(rep),
                        plan: (rule < 2).then_some(0),
                        rule: (rule < 2).then_some((0, rule)),
                        period: periods[period],
                    };
                    let detail = match detail {
                        0 => Detail::NotWon,
                        1 => Detail::ConditionFailed,
                        2 => super::text("b"),
                        _ => super::text("a"),
                    };
                    Diagnostic::new(codes[c], at, detail)
                })
                .collect();
            let (deals, reps, plans) = (
                crate::calc::rank(&doc.deals, |d| d.id.as_str()),
                crate::calc::rank(&doc.reps, |r| r.id.as_str()),
                crate::calc::rank(&doc.plans, |p| p.plan_id.as_str()),
            );
            let order = |a: &Diagnostic, b: &Diagnostic| super::cmp(&doc, &deals, &reps, &plans, a, b);
            let mut expected = list.clone();
            expected.sort_by(order);
            expected.dedup_by(|a, b| order(a, b) == std::cmp::Ordering::Equal);
            super::sort(&doc, &deals, &reps, &plans, &mut list);
            prop_assert_eq!(list, expected);
        }

        // issue #9: diagnostics are moved to their sorted places in place
        #[test]
        fn permute_moves_each_item_to_its_target(places in (0usize..200).prop_flat_map(|n| Just((0..n as u32).collect::<Vec<u32>>()).prop_shuffle())) {
            let items: Vec<usize> = (0..places.len()).map(|i| i * 10).collect();
            let mut moved = items.clone();
            let mut target = places.clone();
            permute(&mut moved, &mut target);
            for (i, &place) in places.iter().enumerate() {
                prop_assert_eq!(moved[place as usize], items[i]);
            }
        }
    }
}
