//! The calculation (SPEC §8): deals → eligible credited entries → per_deal groups, periodic
//! payouts and cascades → rounded payout lines, quota progress and diagnostics.
//!
//! Everything is keyed by ids, never by input position, so the output does not depend on the
//! order of the input lists.
//!
//! Spark rate tables (SPEC §9, §18.5–§18.9): a per_deal rule with a `rateTable` needs no quota
//! and no tiers. Each eligible (sale, participant) looks its row up once on the sale's credit
//! date ([`crate::rate_table::lookup`]; none → `no_rate`), then yields one entry per milestone
//! whose `when` holds, dated by the milestone's `dateField` (default: the credit date). That date
//! is the payment's credit date for everything downstream — its period (the rule's
//! `attainmentPeriod` around it), the (credit date, deal id, milestone) order of `periodCap`,
//! `future_credit_date`, batching. The plan version, the assignment check, won-ness and
//! conditions are read on the sale's credit date. Quota progress counts a rate-table sale once.
//! A `measure` cascade whose `dependsOn` names a rate-table rule writes Spark overrides (see
//! `cascade`).

mod cascade;
mod diag;
mod index;
#[cfg(feature = "parallel")]
mod parallel;
mod per_deal;
mod periodic;
mod pricing;
pub mod tiers;

use crate::condition::{deal_field, FieldValue};
use crate::decimal::round_money;
use crate::error::{Error, ErrorCode, Result};
use crate::model::*;
use crate::period::{parse_date, Period};
use crate::rules_v0::formula::{Formula, FormulaError, Ref};
use crate::trace::Step;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::Arc;
use tiers::Checked;

pub use diag::Diagnostic;
pub(crate) use diag::{permute, At, Code, Detail, Diags};
pub use index::Index;

/// One payout line (an event before it is stored).
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    /// Phase of the rule that wrote it.
    pub phase: Phase,
    /// Deal (per_deal lines).
    pub deal: Option<usize>,
    /// Receiving rep.
    pub rep: usize,
    /// Plan.
    pub plan: usize,
    /// Plan version.
    pub version: usize,
    /// Rule name.
    pub rule_name: Name,
    /// Period.
    pub period: Period,
    /// The date that places the line in time (credit date; a periodic line's last day).
    pub date: NaiveDate,
    /// Rounded amount.
    pub amount: Decimal,
    /// Cascade: the source rep.
    pub source_rep: Option<usize>,
    /// Tier name.
    pub tier_name: Option<Name>,
    /// Rate applied.
    pub rate: Option<Decimal>,
    /// Attainment (A_after, or the period's final attainment).
    pub attainment: Option<Decimal>,
    /// What the rate multiplied.
    pub base: Option<Decimal>,
    /// The rep's credited value of the deal.
    pub credited: Option<Decimal>,
    /// Why a line pays zero.
    pub reason: Option<&'static str>,
    /// An open period's periodic line.
    pub provisional: bool,
    /// Participant role.
    pub role: Option<Name>,
    /// Spark milestone of a rate-table payment (SPEC §9, §18.20).
    pub milestone: Option<u32>,
    /// Spark override level (a cascade over a rate-table rule, SPEC §18.9).
    pub level: Option<u32>,
    /// Explanation steps.
    pub trace: Vec<Step>,
    /// The installment of a payout schedule this line is (SPEC §20), else `None` (boxed: few
    /// lines are installments, and a line is 32 bytes smaller for it).
    pub installment: Option<Box<crate::schedule::InstallmentInfo>>,
}

/// A resolved quota for one (rep, plan, rule, period).
#[derive(Debug, Clone, PartialEq)]
pub struct QuotaUse {
    /// Target after proration.
    pub target: Decimal,
    /// Variable target after proration.
    pub variable_target: Option<Decimal>,
}

/// Quota progress (SPEC §5 "quota current value").
#[derive(Debug, Clone, PartialEq)]
pub struct QuotaProgress {
    /// Rep.
    pub rep: usize,
    /// Plan.
    pub plan: usize,
    /// Rule name.
    pub rule_name: Name,
    /// Period.
    pub period: Period,
    /// Target (after proration).
    pub target: Decimal,
    /// Variable target.
    pub variable_target: Option<Decimal>,
    /// Credited measure to date.
    pub current_value: Decimal,
}

/// Everything a calculation produces.
#[derive(Debug, Clone, PartialEq)]
pub struct Calculation {
    /// Payout lines, in a deterministic order.
    pub lines: Vec<Line>,
    /// Diagnostics, sorted.
    pub diagnostics: Vec<Diagnostic>,
    /// Quota progress, sorted.
    pub quotas: Vec<QuotaProgress>,
    /// Deals that were considered (not deleted).
    pub total_deals: usize,
    /// (deal, rep) pairs that were credited, for the per-deal view.
    pub credited_pairs: Vec<(usize, usize)>,
    /// The position of each deal (by index) and rep in id order, so a renderer can order by id
    /// without comparing strings (empty in a hand-made `Calculation`: renderers then compare ids).
    pub id_ranks: IdRanks,
}

/// The position of every deal and rep in id order (see [`Calculation::id_ranks`]).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct IdRanks {
    /// `deals[i]` = the rank of `doc.deals[i].id` among all deal ids.
    pub deals: Vec<u32>,
    /// `reps[i]` = the rank of `doc.reps[i].id` among all rep ids.
    pub reps: Vec<u32>,
}

/// One eligible (deal, rep, rule) entry of a group.
///
/// 64 bytes, one cache line: a million-deal walk appends ~1.5 million entries to ~12,000 group
/// vectors, and the appends were a third of the walk (issue #9: 144 → 112 → 64 bytes). Indices
/// are `u32`s (like the id ranks) and the rare parts are boxed.
#[derive(Debug, Clone)]
pub(crate) struct Entry<'a> {
    deal: u32,
    pub date: NaiveDate,
    version: u32,
    rule_ix: u32,
    pub share: Decimal,
    pub credited: Decimal,
    pub rule: &'a Rule,
    rare: Option<Box<Rare>>,
}

/// The parts of an [`Entry`] most entries lack.
#[derive(Debug, Clone, Default)]
struct Rare {
    field_base: Option<Decimal>,
    role: Option<Name>,
    milestone: Option<(u32, usize, Decimal)>,
}

impl<'a> Entry<'a> {
    /// An entry of deal `deal` for the rule `rule_ix` of plan version `version`;
    /// `field_base` is a `payoutBase` read from a field (already scaled by the share), `role`
    /// the participant's.
    fn new(
        deal: usize,
        (share, credited): (Decimal, Decimal),
        date: NaiveDate,
        (version, rule_ix, rule): (usize, usize, &'a Rule),
        field_base: Option<Decimal>,
        role: Option<Name>,
    ) -> Self {
        let rare =
            (field_base.is_some() || role.is_some()).then(|| Box::new(Rare { field_base, role, milestone: None }));
        Entry { deal: deal as u32, date, version: version as u32, rule_ix: rule_ix as u32, share, credited, rule, rare }
    }

    /// The deal (an index into the document's deals).
    pub fn deal(&self) -> usize {
        self.deal as usize
    }

    /// The plan version.
    pub fn version(&self) -> usize {
        self.version as usize
    }

    /// The rule's index in its plan version.
    pub fn rule_ix(&self) -> usize {
        self.rule_ix as usize
    }

    /// `payoutBase` read from a field, already scaled by the share.
    pub fn field_base(&self) -> Option<Decimal> {
        self.rare.as_ref().and_then(|r| r.field_base)
    }

    /// The participant's role.
    pub fn role(&self) -> Option<&Name> {
        self.rare.as_ref().and_then(|r| r.role.as_ref())
    }

    /// A rate-table payment: its milestone, the matched row (index into the rule's table) and
    /// the contract amount (the deal's full measure, never scaled by a split, SPEC §18.6).
    pub fn milestone(&self) -> Option<&(u32, usize, Decimal)> {
        self.rare.as_ref().and_then(|r| r.milestone.as_ref())
    }

    /// This entry as the payment of a milestone.
    fn with_milestone(&self, date: NaiveDate, milestone: (u32, usize, Decimal)) -> Self {
        let mut rare = self.rare.as_deref().cloned().unwrap_or_default();
        rare.milestone = Some(milestone);
        // field by field: `..self.clone()` would copy the boxed parts only to drop them
        let Entry { deal, version, rule_ix, share, credited, rule, .. } = *self;
        Entry { deal, date, version, rule_ix, share, credited, rule, rare: Some(Box::new(rare)) }
    }
}

/// (rep, plan, rule name, period) → entries.
pub(crate) type GroupKey<'a> = (usize, usize, &'a str, Period);

/// Formula `payoutBase`s, compiled once per plan version: (plan, version, rule) → formula.
pub(crate) type Formulas = BTreeMap<(usize, usize, usize), std::result::Result<Formula, FormulaError>>;

/// Shared state of one calculation. The read-only parts are shared (`Arc`), so a thread of the
/// `parallel` feature gets its own context ([`Ctx::fork`]) without copying them.
pub(crate) struct Ctx<'a> {
    pub doc: &'a CalcDoc,
    pub ix: Arc<Index<'a>>,
    pub quotas: Arc<index::QuotaMap<'a>>,
    pub diags: Diags,
    pub trace: bool,
    /// Write the deal id into a trace's credit step (see [`calculate_with`]).
    pub credit_ids: bool,
    pub formulas: Arc<Formulas>,
    /// `deal_rank[i]` = the rank of `doc.deals[i].id` among all deal ids (see [`rank`]).
    pub deal_rank: Arc<Vec<u32>>,
}

impl<'a> Ctx<'a> {
    /// The same context with no diagnostics of its own (a thread's: its diagnostics are joined
    /// back in order).
    #[cfg(feature = "parallel")]
    pub fn fork(&self) -> Ctx<'a> {
        Ctx {
            doc: self.doc,
            ix: Arc::clone(&self.ix),
            quotas: Arc::clone(&self.quotas),
            diags: Diags::default(),
            trace: self.trace,
            credit_ids: self.credit_ids,
            formulas: Arc::clone(&self.formulas),
            deal_rank: Arc::clone(&self.deal_rank),
        }
    }

    pub fn diag(&mut self, code: Code, at: At, detail: Detail) {
        self.diags.add(code, at, detail);
    }

    pub fn round(&self, d: Decimal) -> Decimal {
        round_money(d, self.doc.settings.currency_precision, self.doc.settings.rounding)
    }

    pub fn fy(&self) -> u32 {
        self.doc.settings.fiscal_year_start_month
    }

    /// The tiers for `rule` for this rep: a per-rep override of the version, else the rule's.
    pub fn tiers_for(&self, rep: usize, plan: usize, version: usize, rule: &'a Rule) -> &'a [Tier] {
        let vid = &self.doc.plans[plan].versions[version].plan_version_id;
        let rid = &self.doc.reps[rep].id;
        self.doc
            .rep_overrides
            .iter()
            .rev()
            .find(|o| &o.plan_version_id == vid && &o.rep_id == rid && o.rule_name == rule.name)
            .map(|o| o.tiers.as_slice())
            .unwrap_or(rule.tiers.as_slice())
    }

    /// Min/max clamps, the capMultiplier cap (SPEC §8.1 order, after floors), with trace steps.
    pub fn clamp(
        &self,
        rule: &Rule,
        mut amount: Decimal,
        quota: Option<&QuotaUse>,
        trace: &mut Vec<Step>,
    ) -> Result<Decimal> {
        if let Some(min) = rule.min_amount {
            if amount > Decimal::ZERO && amount < min {
                self.step(trace, || Step::Clamp { kind: "minAmount", before: amount, after: min });
                amount = min;
            }
        }
        if let Some(max) = rule.max_amount {
            if amount > max {
                self.step(trace, || Step::Clamp { kind: "maxAmount", before: amount, after: max });
                amount = max;
            }
        }
        if let (Some(m), Some(vt)) = (rule.cap_multiplier, quota.and_then(|q| q.variable_target)) {
            let cap = m.mul_c(vt)?;
            if amount > cap {
                self.step(trace, || Step::CapMultiplier {
                    before: amount,
                    after: cap,
                    cap_multiplier: m,
                    variable_target: vt,
                });
                amount = cap;
            }
        }
        Ok(amount)
    }

    /// Applies a period cap to a rounded line given what the group has paid so far.
    pub fn period_cap(
        &self,
        rule: &Rule,
        amount: Decimal,
        paid: &mut Decimal,
        trace: &mut Vec<Step>,
    ) -> Result<Decimal> {
        let mut out = amount;
        if let Some(cap) = rule.period_cap {
            let allowed = cap.sub_c(*paid)?.max(Decimal::ZERO);
            if out > allowed {
                self.step(trace, || Step::PeriodCap {
                    before: amount,
                    after: allowed,
                    period_cap: cap,
                    paid_before: *paid,
                });
                out = allowed;
            }
        }
        *paid = paid.add_c(out)?;
        Ok(out)
    }

    /// An empty trace with room for a line's usual 3 steps (none when traces are off).
    pub fn new_trace(&self) -> Vec<Step> {
        Vec::with_capacity(if self.trace { 3 } else { 0 })
    }

    pub fn step(&self, trace: &mut Vec<Step>, f: impl FnOnce() -> Step) {
        if self.trace {
            trace.push(f());
        }
    }
}

/// A line's trace without spare capacity (traces start with room for 3 steps, most lines' count;
/// a spare 112-byte step per line is ≈ 100 MB at a million lines, issue #9).
pub(crate) fn fit(mut trace: Vec<Step>) -> Vec<Step> {
    if trace.capacity() > trace.len() {
        trace.shrink_to_fit();
    }
    trace
}

/// A deal's credit date under `rule`: its `creditDateField`, else `closeDate`.
pub(crate) fn credit_date(deal: &Deal, rule: &Rule) -> Option<NaiveDate> {
    credit_date_of(deal, rule.credit_date_field.as_deref())
}

/// A deal's credit date: the date in `fields[field]` when a field is named, else `closeDate`
/// (SPEC §4).
pub fn credit_date_of(deal: &Deal, field: Option<&str>) -> Option<NaiveDate> {
    match field {
        Some(f) => deal.fields.get(f).and_then(Value::as_str).and_then(|s| parse_date(s, true)),
        None => deal.close_date,
    }
}

/// A deal is won (SPEC §4, §18.2).
pub(crate) fn is_won(deal: &Deal, settings: &Settings) -> bool {
    if deal.deleted || deal.status.as_deref() == Some("CANCELLED") {
        return false;
    }
    match &deal.stage {
        Some(s) => settings.won_stages.iter().any(|w| w == s),
        None => deal.status.is_some(),
    }
}

/// The measure's value on a deal (SPEC §4).
pub(crate) fn measure_value(deal: &Deal, measure: &str) -> Option<Decimal> {
    match measure {
        "closed_won_revenue" | "amount" => deal.amount,
        "deal_count" => Some(Decimal::ONE),
        f => deal.fields.get(f).and_then(crate::validate::field_decimal),
    }
}

/// Runs the calculation on a validated document.
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
///   "deals": [{"id": "D1", "stage": "Won", "amount": 1000, "closeDate": "2026-02-01", "ownerRepId": "a"}]
/// })).unwrap();
/// let calc = calculate(&doc).unwrap();
/// assert_eq!(calc.lines[0].amount.to_string(), "100.00");
/// ```
pub fn calculate(doc: &CalcDoc) -> Result<Calculation> {
    calculate_with(doc, cfg!(feature = "parallel"), true)
}

/// [`calculate`], on every core when `parallel` (feature `parallel` only). Without
/// `credit_ids`, a trace's credit step leaves its deal id empty: the caller writes it from the
/// line's deal when it renders the trace (issue #9: copying a million deal ids, each a cache
/// miss, was about a seventh of a calculation with traces). Only [`crate::view`] does this, and
/// it fills the ids back before a calculation leaves it ([`crate::trace::fill_deal_id`]).
pub(crate) fn calculate_with(doc: &CalcDoc, parallel: bool, credit_ids: bool) -> Result<Calculation> {
    let ix = Index::new(doc);
    if let Some(p) = &doc.scope.plan_id {
        if ix.plan(p).is_none() {
            return Err(Error::new(ErrorCode::NotFound, format!("scope.planId `{p}` is not a plan in this document")));
        }
    }
    let mut ctx = Ctx {
        doc,
        ix: Arc::new(ix),
        quotas: Arc::default(),
        diags: Diags::default(),
        trace: doc.options.trace,
        credit_ids,
        formulas: Arc::new(compile_formulas(doc)),
        deal_rank: Arc::new(rank(&doc.deals, |d| d.id.as_str())),
    };
    check_scope_period(&ctx)?;
    ctx.quotas = Arc::new(index::resolve_quotas(doc, &ctx.ix)?);

    #[cfg(feature = "parallel")]
    let (groups, credited_pairs, total_deals) = match parallel {
        true => parallel::collect(&mut ctx)?,
        false => collect(&mut ctx, 0..doc.deals.len())?,
    };
    #[cfg(not(feature = "parallel"))]
    let (groups, credited_pairs, total_deals) = {
        let _ = parallel; // threads need the feature
        collect(&mut ctx, 0..doc.deals.len())?
    };
    // most diagnostics are written while collecting: give back the doubling's spare room, with an
    // eighth kept for the few that pricing adds (issue #9: ~45 MB at a million deals)
    let diags = &mut ctx.diags.list;
    diags.shrink_to(diags.len() + diags.len() / 8);
    let mut per_deal_groups: BTreeMap<GroupKey<'_>, Vec<Entry<'_>>> = BTreeMap::new();
    let mut periodic_groups: BTreeMap<GroupKey<'_>, Vec<Entry<'_>>> = BTreeMap::new();
    for (k, mut v) in groups {
        // a group's entries grew by doubling: give back the spare room before the lines are
        // made (it was up to half of the entries' memory at the heap peak, issue #9)
        v.shrink_to_fit();
        match v.first().map(|e| e.rule.phase) {
            Some(Phase::Periodic) => periodic_groups.insert(k, v),
            _ => per_deal_groups.insert(k, v),
        };
    }
    check_currencies(&ctx, per_deal_groups.iter().chain(periodic_groups.iter()))?;

    // quota progress from the groups, read before pricing frees each group's entries
    let mut quotas = Vec::new();
    for ((rep, plan, rule, period), q) in ctx.quotas.iter() {
        let key = (*rep, *plan, *rule, *period);
        let entries = per_deal_groups.get(&key).or_else(|| periodic_groups.get(&key));
        let mut current = Decimal::ZERO;
        let mut counted = std::collections::BTreeSet::new();
        for e in entries.into_iter().flatten() {
            // a rate-table sale has one entry per milestone but is credited once
            if e.milestone().is_none() || counted.insert(e.deal()) {
                current = current.add_c(e.credited)?;
            }
        }
        quotas.push(QuotaProgress {
            rep: *rep,
            plan: *plan,
            rule_name: Name::from(*rule),
            period: *period,
            target: q.target,
            variable_target: q.variable_target,
            current_value: current,
        });
    }
    // room for every line at once, not a doubling vector's up to 2× (issue #9): at most one per
    // per_deal entry and per periodic group, and a cascade pays at most once per (source rep,
    // period) of those groups (Spark overrides, per deal, may need more room later)
    let mut cascades: Vec<(usize, &str)> = Vec::new();
    for (pi, p) in doc.plans.iter().enumerate() {
        for r in p.versions.iter().flat_map(|v| v.config.rules.iter()) {
            if r.phase == Phase::Cascade && !cascades.contains(&(pi, r.name.as_str())) {
                cascades.push((pi, r.name.as_str()));
            }
        }
    }
    let groups = per_deal_groups.len() + periodic_groups.len();
    let mut lines = Vec::with_capacity(
        per_deal_groups.values().map(Vec::len).sum::<usize>() + periodic_groups.len() + groups * cascades.len(),
    );
    // groups run in (rep id, plan id, rule name, period) order, so their lines come out in the
    // final order and the sort below only checks it (issue #9)
    let (rep_rank, plan_rank) = (rank(&doc.reps, |r| r.id.as_str()), rank(&doc.plans, |p| p.plan_id.as_str()));
    fn in_id_order<'a>(
        groups: &BTreeMap<GroupKey<'a>, Vec<Entry<'a>>>,
        reps: &[u32],
        plans: &[u32],
    ) -> Vec<GroupKey<'a>> {
        let mut keys: Vec<GroupKey<'a>> = groups.keys().copied().collect();
        // group keys are unique: an unstable sort gives the one order
        keys.sort_unstable_by_key(|&(rep, plan, rule, period)| (reps[rep], plans[plan], rule, period));
        keys
    }
    // each group's entries are freed once its lines are made: the lines grow as the entries
    // shrink, instead of both being whole at the heap peak (issue #9)
    let per_deal_order: Vec<(GroupKey<'_>, Vec<Entry<'_>>)> = in_id_order(&per_deal_groups, &rep_rank, &plan_rank)
        .into_iter()
        .filter_map(|k| per_deal_groups.remove(&k).map(|v| (k, v)))
        .collect();
    drop(per_deal_groups);
    #[cfg(feature = "parallel")]
    let per_deal_order = match parallel {
        true => {
            parallel::per_deal_groups(&mut ctx, per_deal_order, &mut lines)?;
            Vec::new()
        }
        false => per_deal_order,
    };
    for (key, entries) in per_deal_order {
        per_deal::run_group(&mut ctx, key, &entries, &mut lines)?;
    }
    for key in in_id_order(&periodic_groups, &rep_rank, &plan_rank) {
        if let Some(entries) = periodic_groups.remove(&key) {
            periodic::run_group(&mut ctx, key, &entries, &mut lines)?;
        }
    }
    drop(periodic_groups);
    let cascade_lines = cascade::run(&mut ctx, &lines)?;
    lines.reserve_exact(cascade_lines.len());
    lines.extend(cascade_lines);

    // scope filters
    let scope = &doc.scope;
    let in_scope = |rep: usize, plan: usize, period: &Period| {
        scope.plan_id.as_ref().map_or(true, |p| &doc.plans[plan].plan_id == p)
            && scope.period.as_ref().map_or(true, |s| s == period)
            && scope.rep_ids.as_ref().map_or(true, |ids| ids.iter().any(|i| i == &doc.reps[rep].id))
    };
    lines.retain(|l| in_scope(l.rep, l.plan, &l.period));
    quotas.retain(|q| in_scope(q.rep, q.plan, &q.period));
    // ids ranked once, so the sort compares integers, not strings (issue #9); ids are unique
    // and non-empty, so a rank orders like its id and `None` like the empty id
    let deal_rank = Arc::try_unwrap(std::mem::take(&mut ctx.deal_rank)).unwrap_or_else(|shared| (*shared).clone());
    let ranks = Ranks::new(rep_rank, plan_rank, &lines, deal_rank);
    let lines = ranks.sort(lines);
    let mut diagnostics = std::mem::take(&mut ctx.diags.list);
    let mut calc = Calculation {
        lines,
        diagnostics: Vec::new(),
        quotas: Vec::new(),
        total_deals,
        credited_pairs,
        id_ranks: IdRanks::default(),
    };
    crate::fx::annotate(doc, &mut calc); // SPEC §20: explain FX conversions
    crate::schedule::apply(doc, &mut calc)?; // SPEC §20 payout schedules: a post-step on the lines
    let Calculation { lines, total_deals, credited_pairs, .. } = calc;
    // equal diagnostics are identical (Ord over every field), so an unstable sort gives the same list
    diag::sort(doc, &ranks.deals, &ranks.reps, &ranks.plans, &mut diagnostics);
    quotas.sort_by(|a, b| {
        (&doc.reps[a.rep].id, &doc.plans[a.plan].plan_id, &a.rule_name, a.period).cmp(&(
            &doc.reps[b.rep].id,
            &doc.plans[b.plan].plan_id,
            &b.rule_name,
            b.period,
        ))
    });
    let id_ranks = IdRanks { deals: ranks.deals, reps: ranks.reps };
    Ok(Calculation { lines, diagnostics, quotas, total_deals, credited_pairs, id_ranks })
}

/// The position of each item's id among all the items' ids (ids are unique): comparing ranks
/// orders like comparing the ids.
///
/// The sort compares each id's first eight bytes as one big-endian integer and reads the whole
/// ids only when those are equal (issue #9: comparing a million ids as strings was about a tenth
/// of a calculation). Zero padding keeps the order: a shorter id that is a prefix of a longer one
/// has an equal or smaller key, and the full comparison decides ties.
fn rank<T>(items: &[T], id: impl Fn(&T) -> &str) -> Vec<u32> {
    let mut order: Vec<(u64, u32)> = items.iter().enumerate().map(|(i, it)| (id_prefix(id(it)), i as u32)).collect();
    // ids are unique, so no two elements are equal and an unstable sort gives the one order
    order.sort_unstable_by(|a, b| a.0.cmp(&b.0).then_with(|| id(&items[a.1 as usize]).cmp(id(&items[b.1 as usize]))));
    let mut out = vec![0; items.len()];
    for (pos, (_, i)) in order.into_iter().enumerate() {
        out[i as usize] = pos as u32;
    }
    out
}

/// An id's first eight bytes as a big-endian integer, zero-padded: comparing two prefixes orders
/// like comparing the ids' first eight bytes (see [`rank`]).
fn id_prefix(id: &str) -> u64 {
    let mut buf = [0u8; 8];
    let n = id.len().min(8);
    buf[..n].copy_from_slice(&id.as_bytes()[..n]);
    u64::from_be_bytes(buf)
}

type RankedKey = (Phase, u32, u32, u32, Period, NaiveDate, Option<u32>, Option<u32>, Option<u32>);

/// The position of every rep, plan and deal id in id order, and of every rule name the lines
/// use in name order: a line's sort key is all integers (computed once per line), so sorting a
/// million lines compares no strings.
struct Ranks {
    reps: Vec<u32>,
    plans: Vec<u32>,
    deals: Vec<u32>,
    rules: BTreeMap<String, u32>,
}

impl Ranks {
    fn new(reps: Vec<u32>, plans: Vec<u32>, lines: &[Line], deals: Vec<u32>) -> Ranks {
        Ranks {
            reps,
            plans,
            deals,
            rules: {
                let mut names: BTreeMap<String, u32> = BTreeMap::new();
                let mut last: Option<&str> = None;
                for l in lines {
                    // lines come in runs of one rule: look a name up once per run
                    if last != Some(l.rule_name.as_str()) {
                        names.entry(l.rule_name.to_string()).or_insert(0);
                        last = Some(l.rule_name.as_str());
                    }
                }
                for (pos, v) in names.values_mut().enumerate() {
                    *v = pos as u32;
                }
                names
            },
        }
    }

    /// `lines` in [`Ranks::line_key`] order (keys are unique with the index, so any sort gives
    /// the one order). per_deal and periodic lines arrive in that order (groups run in id
    /// order): only the lines after the sorted prefix are sorted, and only those that move move.
    fn sort(&self, mut lines: Vec<Line>) -> Vec<Line> {
        let mut keyed: Vec<(RankedKey, u32)> =
            lines.iter().enumerate().map(|(i, l)| (self.line_key(l), i as u32)).collect();
        // the sorted prefix: usually every per_deal and periodic line (cascades come last)
        let sorted = keyed.windows(2).position(|w| w[0] > w[1]).map_or(keyed.len(), |p| p + 1);
        if sorted == keyed.len() {
            return lines;
        }
        // everything from where the tail's smallest key belongs in the prefix is sorted, once
        let Some(&min) = keyed[sorted..].iter().min() else { return lines };
        let start = keyed[..sorted].partition_point(|k| *k <= min);
        keyed[start..].sort_unstable();
        // lines before the first one that moves stay in place; the rest are permuted
        let fixed = keyed.iter().enumerate().position(|(at, &(_, i))| at != i as usize).unwrap_or(keyed.len());
        let mut slots: Vec<Option<Line>> = lines.split_off(fixed).into_iter().map(Some).collect();
        // `keyed[fixed..]` holds exactly the indices `fixed..`: every slot is taken once
        lines.extend(keyed[fixed..].iter().filter_map(|&(_, i)| {
            (i as usize).checked_sub(fixed).and_then(|j| slots.get_mut(j)).and_then(Option::take)
        }));
        lines
    }

    /// Orders like (phase, rep id, plan id, rule, period, date, deal id or "", source rep id or "",
    /// milestone).
    fn line_key(&self, l: &Line) -> RankedKey {
        (
            l.phase,
            self.reps[l.rep],
            self.plans[l.plan],
            self.rules.get(l.rule_name.as_str()).copied().unwrap_or(u32::MAX),
            l.period,
            l.date,
            l.deal.map(|d| self.deals[d]),
            l.source_rep.map(|s| self.reps[s]),
            l.milestone,
        )
    }
}

/// A scope period must match the format of at least one rule in scope (`period_mismatch`).
fn check_scope_period(ctx: &Ctx<'_>) -> Result<()> {
    let Some(p) = ctx.doc.scope.period else { return Ok(()) };
    let mut kinds = Vec::new();
    for plan in &ctx.doc.plans {
        if ctx.doc.scope.plan_id.as_ref().is_some_and(|s| s != &plan.plan_id) {
            continue;
        }
        for v in &plan.versions {
            kinds.extend(v.config.rules.iter().map(|r| r.period_kind));
        }
    }
    if kinds.is_empty() || kinds.contains(&p.kind) {
        Ok(())
    } else {
        Err(Error::with_details(
            ErrorCode::PeriodMismatch,
            format!(
                "scope period `{p}` is {} but the rules in scope use {} periods",
                p.kind.as_str(),
                kinds[0].as_str()
            ),
            json!({"period": p.to_string(), "expected": kinds[0].as_str()}),
        ))
    }
}

/// A (rep, rule, period) group mixing currencies is refused (SPEC §18.4).
fn check_currencies<'x, 'a: 'x>(
    ctx: &Ctx<'a>,
    groups: impl Iterator<Item = (&'x GroupKey<'a>, &'x Vec<Entry<'a>>)>,
) -> Result<()> {
    let fx = crate::fx::active(ctx.doc);
    // one currency on every deal (the usual document, read once in order) cannot mix in a group;
    // walking each entry's deal in group order is a cache miss apiece (issue #9: about a tenth of
    // a calculation at a million deals)
    if !fx && one_currency(&ctx.doc.deals) {
        return Ok(());
    }
    for ((rep, plan, rule, period), entries) in groups {
        let mut cur: Option<&str> = None;
        for e in entries {
            let c = match fx {
                // converted entries are in their plan version's currency (SPEC §20)
                true => crate::fx::version_currency(ctx.doc, &ctx.doc.plans[*plan].versions[e.version()]),
                false => ctx.doc.deals[e.deal()].currency.as_deref().unwrap_or(""),
            };
            match cur {
                None => cur = Some(c),
                Some(prev) if prev != c => {
                    return Err(Error::validation(vec![crate::error::Issue {
                        path: format!("deals[{}].currency", e.deal()),
                        code: "invalid_value",
                        message: format!(
                            "deals of different currencies ({prev:?} and {c:?}) fall in one group (rep `{}`, plan `{}`, rule `{rule}`, period {period}); FX conversion is not supported",
                            ctx.doc.reps[*rep].id, ctx.doc.plans[*plan].plan_id
                        ),
                        suggestion: None,
                    }]));
                }
                _ => {}
            }
        }
    }
    Ok(())
}

/// Whether every deal has the same currency (or none). The reader shares one `Name` per
/// distinct text, and `Arc<str>`'s `==` compares addresses before texts.
fn one_currency(deals: &[Deal]) -> bool {
    deals.first().map_or(true, |first| deals.iter().all(|d| d.currency == first.currency))
}

/// Compiles every formula `payoutBase` once (SPEC §10): per plan version, never per deal.
fn compile_formulas(doc: &CalcDoc) -> Formulas {
    let mut out = BTreeMap::new();
    for (pi, p) in doc.plans.iter().enumerate() {
        for (vi, v) in p.versions.iter().enumerate() {
            for (ri, r) in v.config.rules.iter().enumerate() {
                if let PayoutBase::Formula(f) = &r.payout_base {
                    out.insert((pi, vi, ri), Formula::parse(f));
                }
            }
        }
    }
    out
}

/// A deal value as a formula reference (SPEC §18.29: references resolve like condition fields,
/// attributes first).
fn deal_ref(deal: &Deal, name: &str) -> Ref {
    match deal_field(deal, name) {
        None => Ref::Missing,
        Some(FieldValue::Number(d)) => Ref::Number(d),
        Some(FieldValue::Json(v)) => match crate::validate::field_decimal(v) {
            Some(d) => Ref::Number(d),
            None => Ref::NotNumeric(format!("the value {v}")),
        },
        Some(FieldValue::Text(t)) => match crate::decimal::parse_decimal(t.trim()) {
            Some(d) => Ref::Number(d),
            None => Ref::NotNumeric(format!("the text {t:?}")),
        },
        Some(FieldValue::Date(d)) => Ref::NotNumeric(format!("the date {d}")),
        Some(FieldValue::Bool(b)) => Ref::NotNumeric(format!("the boolean {b}")),
    }
}

type Collected<'a> = (BTreeMap<GroupKey<'a>, Vec<Entry<'a>>>, Vec<(usize, usize)>, usize);

/// The groups of one walk over the deals. Each (rep, assigned plan, rule family) is a cell of a
/// dense table, numbered when the walk starts; a cell lists its few periods and their groups. The
/// group keys are sorted once at the end (issue #9: a `BTreeMap` keyed by rule name compared
/// names at every level of every entry's lookup, ~12 % of the walk; a dense table needs neither
/// hashing nor comparisons, and no generic map code in the WASM module).
///
/// The walk appends every entry to one list, with its group's number beside it, and the entries
/// are dealt into their groups once, at the end, each group's vector allocated at its final size
/// (issue #9: appending to ~12,000 growing vectors reallocated each of them a dozen times, and
/// glibc's `realloc` of a block of a kilobyte or more first consolidates every small freed
/// chunk: the appends were about a quarter of a calculation's instructions at 100,000 deals with
/// traces).
struct Groups<'a> {
    /// `plan_base[rep_start[rep] + i]` = the first cell of the rep's `i`-th plan (in
    /// [`Index::plans_of`] order); its families follow in [`Index::families`] order.
    rep_start: Vec<usize>,
    plan_base: Vec<usize>,
    /// Per cell: (period, group) for each period seen.
    cells: Vec<Vec<(Period, u32)>>,
    keys: Vec<GroupKey<'a>>,
    /// Every entry in the order of the walk, and (`group_of`) the number of its group.
    entries: Vec<Entry<'a>>,
    group_of: Vec<u32>,
}

impl<'a> Groups<'a> {
    fn new(ix: &Index<'a>, reps: usize) -> Self {
        let (mut rep_start, mut plan_base, mut cells) = (Vec::with_capacity(reps), Vec::new(), 0);
        for rep in 0..reps {
            rep_start.push(plan_base.len());
            for &plan in ix.plans_of(rep) {
                plan_base.push(cells);
                cells += ix.families(plan).len();
            }
        }
        let cells = std::iter::repeat_with(Vec::new).take(cells).collect();
        Groups { rep_start, plan_base, cells, keys: Vec::new(), entries: Vec::new(), group_of: Vec::new() }
    }

    /// The cell of family `family` of the rep's `nth` plan.
    fn cell(&self, rep: usize, nth: usize, family: usize) -> usize {
        self.plan_base[self.rep_start[rep] + nth] + family
    }

    /// Adds `entry` to group `key`, whose (rep, plan, rule family) is cell `cell`.
    fn push(&mut self, cell: usize, key: GroupKey<'a>, entry: Entry<'a>) {
        let period = key.3;
        let group = match self.cells[cell].iter().find(|(p, _)| *p == period) {
            Some(&(_, group)) => group,
            None => {
                // fewer groups than entries, and entries are indexed by u32 (like the id ranks)
                let group = self.keys.len() as u32;
                self.keys.push(key);
                self.cells[cell].push((period, group));
                group
            }
        };
        self.entries.push(entry);
        self.group_of.push(group);
    }

    /// The groups, each with its entries in the order of the walk.
    fn into_map(self) -> BTreeMap<GroupKey<'a>, Vec<Entry<'a>>> {
        let mut sizes = vec![0usize; self.keys.len()];
        for &g in &self.group_of {
            sizes[g as usize] += 1;
        }
        let mut groups: Vec<Vec<Entry<'a>>> = sizes.into_iter().map(Vec::with_capacity).collect();
        for (entry, g) in self.entries.into_iter().zip(self.group_of) {
            groups[g as usize].push(entry);
        }
        // inserted one by one: `collect` would add a sort and a bulk build of this map type to
        // the WASM module (~5 KB gzipped, over its budget); the keys are unique
        let mut map = BTreeMap::new();
        for (key, entries) in self.keys.into_iter().zip(groups) {
            map.insert(key, entries);
        }
        map
    }
}

/// Walks the deals of `deals` (indices into the document's deals) and their credits and places
/// eligible entries in their groups, recording why the others were skipped.
fn collect<'a>(ctx: &mut Ctx<'a>, deals: std::ops::Range<usize>) -> Result<Collected<'a>> {
    let doc = ctx.doc;
    let mut groups = Groups::new(&ctx.ix, doc.reps.len());
    let mut pairs = Vec::new();
    let mut total = 0usize;
    let mut credits = Vec::new();
    for (di, deal) in doc.deals.iter().enumerate().take(deals.end).skip(deals.start) {
        if deal.deleted {
            ctx.diags.add(
                Code::Deleted,
                At { deal: Some(di), rep: None, plan: None, rule: None, period: None },
                diag::text("the deal is deleted and is not calculated"),
            );
            continue;
        }
        total += 1;
        ctx.ix.credits(di, &mut ctx.diags.list, &mut credits);
        for (rep, share, role) in credits.drain(..) {
            pairs.push((di, rep));
            let plans = ctx.ix.plans_of(rep);
            if plans.is_empty() {
                ctx.diags.add(
                    Code::RepNotAssigned,
                    At { deal: Some(di), rep: Some(rep), plan: None, rule: None, period: None },
                    Detail::RepNoPlan,
                );
                continue;
            }
            for (nth, &plan) in plans.iter().enumerate() {
                let mut outside_assignment = false;
                let mut inside = false;
                for (fam, (rule_name, family)) in ctx.ix.families(plan).iter().enumerate() {
                    // the version in force on the deal's credit date (each version's rule may date it differently)
                    let mut chosen = None;
                    let mut missing_date = false;
                    for &(vi, ri) in family {
                        let rule = &doc.plans[plan].versions[vi].config.rules[ri];
                        match credit_date(deal, rule) {
                            None => missing_date = true,
                            Some(d) if doc.plans[plan].version_on(d) == Some(vi) => {
                                chosen = Some((vi, ri, rule, d));
                                break;
                            }
                            Some(_) => {}
                        }
                    }
                    let Some((vi, ri, rule, date)) = chosen else {
                        let unplaced = At {
                            deal: Some(di),
                            rep: Some(rep),
                            plan: Some(plan),
                            rule: family.first().copied(),
                            period: None,
                        };
                        if missing_date {
                            ctx.diags.add(
                                Code::CreditDateMissing,
                                unplaced,
                                diag::text("the deal has no readable credit date for this rule"),
                            );
                        } else {
                            ctx.diags.add(
                                Code::NoMatchingPlan,
                                unplaced,
                                diag::text("no active version of the plan is in force on the deal's credit date"),
                            );
                        }
                        continue;
                    };
                    if rule.phase == Phase::Cascade {
                        continue;
                    }
                    let period = Period::containing(date, rule.period_kind, doc.settings.fiscal_year_start_month);
                    let at = At {
                        deal: Some(di),
                        rep: Some(rep),
                        plan: Some(plan),
                        rule: Some((vi, ri)),
                        period: Some(period),
                    };
                    if date > doc.as_of {
                        ctx.diags.add(Code::FutureCreditDate, at, Detail::Future(date));
                        continue;
                    }
                    if !ctx.ix.assigned_on(rep, plan, date) {
                        outside_assignment = true;
                        continue;
                    }
                    inside = true;
                    if rule.require_won && !is_won(deal, &doc.settings) {
                        ctx.diags.add(Code::NotWon, at, Detail::NotWon);
                        continue;
                    }
                    let version = &doc.plans[plan].versions[vi];
                    // checked without writing why they failed: the message is written if it is read (calc::diag)
                    let (pass, unreadable) =
                        crate::condition::passes(&[&version.config.conditions, &rule.conditions], deal, doc.as_of);
                    if !pass {
                        if unreadable {
                            ctx.diags.add(Code::ConditionValueUnreadable, at, Detail::ConditionUnreadable);
                        }
                        ctx.diags.add(Code::ConditionFailed, at, Detail::ConditionFailed);
                        continue;
                    }
                    let Some(mut measure) = measure_value(deal, &rule.measure) else {
                        ctx.diags.add(Code::MeasureMissing, at, Detail::MeasureMissing);
                        continue;
                    };
                    // SPEC §20: a deal in another currency is converted into the plan's (see crate::fx)
                    let fx = match crate::fx::for_deal(doc, deal, &doc.plans[plan].versions[vi], date) {
                        crate::fx::DealFx::Same => None,
                        crate::fx::DealFx::Convert(c) => Some(c),
                        crate::fx::DealFx::Missing(msg) => {
                            ctx.diags.add(Code::FxRateMissing, at, diag::text(msg));
                            continue;
                        }
                    };
                    if let Some(c) = &fx {
                        if rule.measure != "deal_count" {
                            measure = c.apply(measure).ok_or_else(|| Error::overflow("an FX conversion"))?;
                        }
                    }
                    let field_base = match &rule.payout_base {
                        PayoutBase::Field(f) => match deal.fields.get(f).and_then(crate::validate::field_decimal) {
                            Some(v) => Some(v.mul_c(share)?),
                            None => {
                                ctx.diags.add(Code::PayoutBaseMissing, at, Detail::PayoutBaseMissing);
                                continue;
                            }
                        },
                        PayoutBase::Formula(text) => {
                            let value = match ctx.formulas.get(&(plan, vi, ri)) {
                                Some(Ok(f)) => f.eval(|name| deal_ref(deal, name)),
                                Some(Err(e)) => Err(e.clone()),
                                None => Formula::parse(text).and_then(|f| f.eval(|name| deal_ref(deal, name))),
                            };
                            match value {
                                Ok(v) => Some(v.mul_c(share)?),
                                Err(e) => {
                                    // a runtime error makes the deal ineligible for the rule (SPEC §18.29)
                                    let place = e.position.map(|p| format!(" at character {p}")).unwrap_or_default();
                                    ctx.diags.add(
                                        Code::Error(e.code),
                                        at,
                                        diag::text(format!("payoutBase formula `{text}`{place}: {}", e.message)),
                                    );
                                    continue;
                                }
                            }
                        }
                        _ => None,
                    };
                    let field_base = match (&fx, field_base) {
                        (Some(c), Some(b)) => Some(c.apply(b).ok_or_else(|| Error::overflow("an FX conversion"))?),
                        (_, b) => b,
                    };
                    let credited = measure.mul_c(share)?;
                    if let Some(rows) = &rule.rate_table {
                        let entry = Entry::new(di, (share, credited), date, (vi, ri, rule), None, role.clone());
                        let key = (rep, plan, *rule_name, period);
                        let cell = groups.cell(rep, nth, fam);
                        milestone_entries(doc, &mut ctx.diags, &mut groups, entry, rows, measure, (cell, key));
                        continue;
                    }
                    groups.push(
                        groups.cell(rep, nth, fam),
                        (rep, plan, rule_name, period),
                        Entry::new(di, (share, credited), date, (vi, ri, rule), field_base, role.clone()),
                    );
                }
                if outside_assignment && !inside {
                    ctx.diags.add(
                        Code::RepNotAssigned,
                        At { deal: Some(di), rep: Some(rep), plan: Some(plan), rule: None, period: None },
                        Detail::OutsideAssignment,
                    );
                }
            }
        }
    }
    Ok((groups.into_map(), pairs, total))
}

/// A rate-table rule's entries for one eligible (sale, participant) (SPEC §9, §18.5–§18.8): the
/// matching rate row (none → `no_rate`, no line), then one entry per milestone whose `when`
/// holds, dated by the milestone's `dateField` (default: the credit date) and placed in the
/// period of that date. A milestone whose date is missing is `credit_date_missing`; one dated
/// after `asOf` is `future_credit_date`; one not reached yet is silent (no line, no diagnostic).
fn milestone_entries<'a>(
    doc: &'a CalcDoc,
    diags: &mut Diags,
    groups: &mut Groups<'a>,
    entry: Entry<'a>,
    rows: &'a [RateRow],
    contract: Decimal,
    (cell, key): (usize, GroupKey<'a>),
) {
    let (rep, plan, rule_name, period) = key;
    let deal = &doc.deals[entry.deal()];
    let at = At {
        deal: Some(entry.deal()),
        rep: Some(rep),
        plan: Some(plan),
        rule: Some((entry.version(), entry.rule_ix())),
        period: Some(period),
    };
    let Some(found) =
        crate::rate_table::lookup(rows, &doc.reps[rep].id, entry.role().map(Name::as_str), deal, entry.date)
    else {
        diags.add(
            Code::NoRate,
            at,
            diag::text(format!(
                "no rate row matches rep `{}` (role {}) on this sale at {}",
                doc.reps[rep].id,
                entry.role().map_or("none".to_string(), |r| format!("`{r}`")),
                entry.date
            )),
        );
        return;
    };
    for ms in entry.rule.milestone_list() {
        if !crate::condition::passes(&[&ms.when], deal, doc.as_of).0 {
            continue;
        }
        let date = match &ms.date_field {
            None => Some(entry.date),
            Some(f) => deal.fields.get(f).and_then(Value::as_str).and_then(|s| parse_date(s, true)),
        };
        let Some(date) = date else {
            diags.add(
                Code::CreditDateMissing,
                at,
                diag::text(format!("milestone {} is reached but its date field is missing or not a date", ms.number)),
            );
            continue;
        };
        let mperiod = Period::containing(date, entry.rule.period_kind, doc.settings.fiscal_year_start_month);
        if date > doc.as_of {
            diags.add(
                Code::FutureCreditDate,
                At { period: Some(mperiod), ..at },
                diag::text(format!("milestone {} is dated {date}, after asOf {}", ms.number, doc.as_of)),
            );
            continue;
        }
        groups.push(
            cell,
            (rep, plan, rule_name, mperiod),
            entry.with_milestone(date, (ms.number, found.index, contract)),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::period::PeriodKind;
    use proptest::prelude::*;

    type Parts = (u8, usize, usize, u8, u32, i64, Option<usize>, Option<usize>, Option<u32>);

    fn line(p: &Parts) -> Line {
        let &(phase, rep, plan, rule, quarter, day, deal, source, milestone) = p;
        let phase = [Phase::PerDeal, Phase::Periodic, Phase::Cascade][phase as usize % 3];
        let start = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or(NaiveDate::MIN);
        Line {
            phase,
            deal,
            rep,
            plan,
            version: 0,
            rule_name: ["Bonus", "Commission", "Override"][rule as usize % 3].into(),
            period: Period { year: 2026, kind: PeriodKind::Quarterly, n: quarter },
            date: start + chrono::Duration::days(day),
            amount: Decimal::from(day),
            source_rep: source,
            tier_name: None,
            rate: None,
            attainment: None,
            base: None,
            credited: None,
            reason: None,
            provisional: false,
            role: None,
            milestone,
            level: None,
            trace: Vec::new(),
            installment: None,
        }
    }

    fn parts() -> impl Strategy<Value = Parts> {
        (
            0u8..3,
            0usize..4,
            0usize..2,
            0u8..3,
            1u32..5,
            0i64..40,
            proptest::option::of(0usize..6),
            proptest::option::of(0usize..4),
            proptest::option::of(1u32..3),
        )
    }

    proptest! {
        // issue #9: `Ranks::sort` keeps the sorted prefix in place and sorts only what follows;
        // its answer is the plain stable sort by key, whatever the input order
        #[test]
        fn line_sort_equals_a_stable_sort_by_key(
            all in prop::collection::vec(parts(), 0..60),
            prefix in 0usize..60,
            rep_ranks in Just(vec![2u32, 0, 3, 1]).prop_shuffle(),
            deal_ranks in Just(vec![5u32, 1, 4, 0, 2, 3]).prop_shuffle(),
        ) {
            let mut lines: Vec<Line> = all.iter().map(line).collect();
            let ranks = Ranks::new(rep_ranks, vec![1, 0], &lines, deal_ranks);
            // a prefix that is already in order, as per_deal and periodic lines arrive
            let prefix = prefix.min(lines.len());
            lines[..prefix].sort_by_cached_key(|l| ranks.line_key(l));
            let mut expected = lines.clone();
            expected.sort_by_cached_key(|l| ranks.line_key(l));
            let lines = ranks.sort(lines);
            prop_assert_eq!(lines, expected);
        }

        // issue #9: `rank` compares eight-byte prefixes first; its ranks order like the ids
        // themselves, ties of the prefix (shared beginnings, NUL bytes, short ids) included
        #[test]
        fn rank_orders_like_the_ids(
            ids in prop::collection::hash_set("(abcdefgh|D1|\\x00|é|z){0,4}[a-c\\x00]{0,3}", 0..40),
        ) {
            let ids: Vec<String> = ids.into_iter().collect();
            let ranks = rank(&ids, String::as_str);
            for (i, a) in ids.iter().enumerate() {
                for (j, b) in ids.iter().enumerate() {
                    prop_assert_eq!(ranks[i].cmp(&ranks[j]), a.cmp(b), "{:?} vs {:?}", a, b);
                }
            }
        }
    }

    #[test]
    #[cfg(target_pointer_width = "64")]
    fn an_entry_is_one_cache_line() {
        assert_eq!(std::mem::size_of::<Entry<'_>>(), 64);
    }

    #[test]
    fn rank_breaks_prefix_ties_by_the_whole_id() {
        let ids = ["abcdefgh1", "abcdefgh", "D1\0", "D1", "abcdefgh0", "", "D10", "D9"];
        let ranks = rank(&ids, |s| s);
        let mut sorted = ids;
        sorted.sort();
        let by_rank: Vec<&str> = {
            let mut v: Vec<(u32, &str)> = ranks.iter().copied().zip(ids).collect();
            v.sort();
            v.into_iter().map(|(_, s)| s).collect()
        };
        assert_eq!(by_rank, sorted);
        assert_eq!(sorted, ["", "D1", "D1\0", "D10", "D9", "abcdefgh", "abcdefgh0", "abcdefgh1"]);
    }
}
