//! The simulate answer as a lazy view: the calculation and the document, written out field by
//! field when serialized — the same JSON as [`SimulateResult`](crate::api::SimulateResult), but
//! no `String` is built for an id, a period or a decimal, and nothing is copied.
//!
//! Performance (issue #9): building the owned answer (every id, amount and rate of every event,
//! the per-deal view, the diagnostics as `String`s) and then dropping it cost about as much as
//! the calculation itself, and doubled the peak memory. A host that only serializes the answer
//! (the Node module writes JSON text, the Python wheel builds Python objects with its own
//! serializer, the CLI prints JSON) serializes a [`SimulateView`] instead. Rust hosts that want
//! the owned structs keep [`crate::api::simulate`]. The two are checked equal (JSON text, so key
//! order too) on every simulate fixture with traces on and off (`tests/view.rs`) and by a
//! property test on generated documents (`tests/properties.rs`).
//!
//! ```
//! use serde_json::json;
//! let doc = compcode_core::validate::read_document(&json!({
//!   "asOf": "2026-04-01",
//!   "reps": [{"id": "alice", "name": "Alice"}],
//!   "plans": [{"planId": "ae", "name": "AE", "effectiveStart": "2026-01-01", "config": {"rules": [{
//!     "name": "R", "measure": "amount", "tierBy": "value",
//!     "tiers": [{"tierIndex": 0, "name": "Base", "minThreshold": 0, "rate": "0.1"}]}]}}],
//!   "assignments": [{"repId": "alice", "planId": "ae", "effectiveStart": "2026-01-01"}],
//!   "deals": [{"id": "D1", "stage": "closed_won", "amount": "1000", "closeDate": "2026-02-01", "ownerRepId": "alice"}]
//! })).unwrap();
//! let view = compcode_core::view::simulate_view(&doc).unwrap();
//! let text = serde_json::to_value(&view).unwrap();
//! assert_eq!(text["events"][0]["amount"], "100.00");
//! assert_eq!(text, serde_json::to_value(compcode_core::api::simulate_doc(&doc).unwrap()).unwrap());
//! ```

use crate::calc::{calculate_with, permute, Calculation, Code, Diagnostic, IdRanks, Line, QuotaProgress};
use crate::decimal::DecText;
use crate::error::{Error, Result};
use crate::model::{CalcDoc, Phase};
use crate::period::Period;
use crate::trace::Step;
use rust_decimal::Decimal;
use serde::ser::{SerializeSeq, SerializeStruct};
use serde::{Serialize, Serializer};
use std::borrow::Cow;

/// One (deal, rep) entry of the per-deal view: its lines and its skip diagnostics, as a range of
/// [`Slots::ids`].
///
/// 36 bytes (issue #9: 80 before, as two small vectors of indices; at a million deals the slots
/// and their reordered copy were ~150 MiB of the 907 MiB peak without traces).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DealSlot {
    deal: u32,
    rep: u32,
    /// Where the slot's line indices start in [`Slots::ids`]; its skip indices follow them.
    start: u32,
    n_lines: u32,
    n_skips: u32,
    /// Σ of the lines.
    pub total: Decimal,
}

impl DealSlot {
    pub fn deal(&self) -> usize {
        self.deal as usize
    }

    pub fn rep(&self) -> usize {
        self.rep as usize
    }
}

/// The per-deal view's slots, in (deal id, rep id) order, and the indices they point into.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Slots {
    pub list: Vec<DealSlot>,
    /// Each slot's line indices (into the calculation's lines, its per_deal lines for the deal
    /// and rep, ascending) then its skip indices (into the diagnostics: the rules that skipped
    /// the deal for the rep, ascending).
    ids: Vec<u32>,
}

impl Slots {
    /// The slot's line indices.
    pub fn lines(&self, s: &DealSlot) -> &[u32] {
        &self.ids[s.start as usize..][..s.n_lines as usize]
    }

    /// The slot's skip diagnostics' indices.
    pub fn skips(&self, s: &DealSlot) -> &[u32] {
        &self.ids[(s.start + s.n_lines) as usize..][..s.n_skips as usize]
    }
}

/// A view taken apart, for [`crate::api::simulate_doc`]'s owned answer.
pub(crate) struct Parts {
    pub calc: Calculation,
    pub slots: Slots,
    pub eligible_deals: usize,
    pub total: Decimal,
    pub draws: Vec<crate::draws::DrawPeriod>,
}

/// The simulate answer, written out only when serialized (see the module docs).
#[derive(Debug, Clone, PartialEq)]
pub struct SimulateView<'d> {
    doc: Cow<'d, CalcDoc>,
    calc: Calculation,
    slots: Slots,
    eligible_deals: usize,
    total: Decimal,
    draws: Vec<crate::draws::DrawPeriod>,
}

/// Calculates `doc` and returns the answer as a view borrowing it.
///
/// Errors: those of [`crate::api::simulate_doc`].
pub fn simulate_view(doc: &CalcDoc) -> Result<SimulateView<'_>> {
    SimulateView::new(Cow::Borrowed(doc))
}

/// [`simulate_view`] owning its document (for a host that parsed the document only for this).
///
/// ```
/// let doc = compcode_core::validate::read_document(&serde_json::json!({
///   "asOf": "2026-04-01", "reps": [], "plans": [], "deals": []})).unwrap();
/// let view = compcode_core::view::simulate_view_owned(doc).unwrap();
/// assert_eq!(serde_json::to_value(&view).unwrap()["totalCommission"], "0.00");
/// ```
pub fn simulate_view_owned(doc: CalcDoc) -> Result<SimulateView<'static>> {
    SimulateView::new(Cow::Owned(doc))
}

/// [`crate::api::simulate`] as a view: validates the document, calculates, and returns the
/// answer to serialize (the same JSON).
///
/// ```
/// let view = compcode_core::view::simulate(&serde_json::json!({
///   "asOf": "2026-04-01", "reps": [], "plans": [], "deals": []})).unwrap();
/// assert_eq!(serde_json::to_string(&view).unwrap(),
///            serde_json::to_string(&compcode_core::api::simulate(&serde_json::json!({
///              "asOf": "2026-04-01", "reps": [], "plans": [], "deals": []})).unwrap()).unwrap());
/// ```
pub fn simulate(input: &serde_json::Value) -> Result<SimulateView<'static>> {
    simulate_view_owned(crate::validate::read_document(input)?)
}

impl<'d> SimulateView<'d> {
    fn new(doc: Cow<'d, CalcDoc>) -> Result<SimulateView<'d>> {
        // credit steps without their deal ids: written from the line's deal (`Steps`)
        let calc = calculate_with(&doc, cfg!(feature = "parallel"), false)?;
        let draws = crate::draws::draws_section(&doc, &calc)?;
        let mut total = Decimal::ZERO;
        let mut eligible = vec![false; doc.deals.len()];
        // the slots of a deal as a linked list from `first[deal]` through `next[slot]` (a deal has
        // one slot per credited rep, usually one): no hashing, no allocation per deal
        const NONE: u32 = u32::MAX;
        let mut first = vec![NONE; doc.deals.len()];
        let mut next: Vec<u32> = Vec::with_capacity(calc.credited_pairs.len());
        let mut list: Vec<DealSlot> = Vec::with_capacity(calc.credited_pairs.len());
        let find = |first: &[u32], next: &[u32], list: &[DealSlot], deal: usize, rep: usize| {
            let mut at = first[deal];
            while at != NONE && list[at as usize].rep() != rep {
                at = next[at as usize];
            }
            at
        };
        for &(deal, rep) in &calc.credited_pairs {
            if find(&first, &next, &list, deal, rep) == NONE {
                list.push(DealSlot {
                    deal: deal as u32,
                    rep: rep as u32,
                    start: 0,
                    n_lines: 0,
                    n_skips: 0,
                    total: Decimal::ZERO,
                });
                next.push(first[deal]);
                first[deal] = (list.len() - 1) as u32;
            }
        }
        // each line's and skip's slot (NONE: none), counted per slot; then every slot's range of
        // `ids` is filled in line order, then in diagnostic order
        let mut line_slot: Vec<u32> = Vec::with_capacity(calc.lines.len());
        for l in &calc.lines {
            total = total.checked_add(l.amount).ok_or_else(|| Error::overflow("the total commission"))?;
            let mut at = NONE;
            if let (Phase::PerDeal, Some(d)) = (l.phase, l.deal) {
                eligible[d] = true;
                at = find(&first, &next, &list, d, l.rep);
                if let Some(slot) = list.get_mut(at as usize) {
                    slot.total =
                        slot.total.checked_add(l.amount).ok_or_else(|| Error::overflow("a deal's commission total"))?;
                    slot.n_lines += 1;
                }
            }
            line_slot.push(at);
        }
        let mut skip_slot: Vec<u32> = Vec::with_capacity(calc.diagnostics.len());
        for dg in &calc.diagnostics {
            let mut at = NONE;
            // a below_floor diagnostic is left out: the zero line itself carries the reason
            if let (Some(deal), Some(rep), Some(_), false) =
                (dg.deal(), dg.rep(), dg.rule_name(&doc), dg.code_kind() == Code::BelowFloor)
            {
                at = find(&first, &next, &list, deal, rep);
                if let Some(slot) = list.get_mut(at as usize) {
                    slot.n_skips += 1;
                }
            }
            skip_slot.push(at);
        }
        let mut end = 0u32;
        let mut cursor: Vec<u32> = Vec::with_capacity(list.len());
        for s in &mut list {
            s.start = end;
            cursor.push(end);
            end += s.n_lines + s.n_skips;
        }
        let mut ids = vec![0u32; end as usize];
        for of_item in [&line_slot, &skip_slot] {
            for (i, &s) in of_item.iter().enumerate() {
                if s != NONE {
                    let c = &mut cursor[s as usize];
                    ids[*c as usize] = i as u32;
                    *c += 1;
                }
            }
        }
        drop((line_slot, skip_slot));
        let keep = |s: &DealSlot| (s.n_lines > 0 || s.n_skips > 0) && crate::api::in_rep_scope(&doc, s.rep());
        let r = &calc.id_ranks;
        if let Some(by_rank) = deals_by_rank(r, doc.deals.len(), doc.reps.len()) {
            // (deal id, rep id) order without sorting: the deals in id order (their ranks are a
            // permutation), each deal's few slots by rep rank (issue #9). `dest[slot]` is the
            // slot's place (the dropped slots' last), applied in place (`permute`): no second
            // list of slots.
            let mut dest = cursor;
            dest.fill(NONE);
            let mut placed = 0u32;
            let mut of_deal: Vec<u32> = Vec::new();
            for deal in by_rank {
                of_deal.clear();
                let mut at = first[deal as usize];
                while at != NONE {
                    of_deal.push(at);
                    at = next[at as usize];
                }
                if of_deal.len() > 1 {
                    of_deal.sort_unstable_by_key(|&s| r.reps[list[s as usize].rep()]);
                }
                for &s in &of_deal {
                    if keep(&list[s as usize]) {
                        dest[s as usize] = placed;
                        placed += 1;
                    }
                }
            }
            let kept = placed as usize;
            for d in &mut dest {
                if *d == NONE {
                    *d = placed;
                    placed += 1;
                }
            }
            permute(&mut list, &mut dest);
            list.truncate(kept);
        } else {
            list.retain(|s| keep(s));
            list.sort_unstable_by(|a, b| {
                (doc.deals[a.deal()].id.as_str(), doc.reps[a.rep()].id.as_str())
                    .cmp(&(doc.deals[b.deal()].id.as_str(), doc.reps[b.rep()].id.as_str()))
            });
        }
        let slots = Slots { list, ids };
        let eligible_deals = eligible.iter().filter(|e| **e).count();
        Ok(SimulateView { doc, calc, slots, eligible_deals, total, draws })
    }

    /// The view's pieces, the calculation by value.
    pub(crate) fn into_parts(self) -> Parts {
        let SimulateView { calc, slots, eligible_deals, total, draws, .. } = self;
        Parts { calc, slots, eligible_deals, total, draws }
    }

    /// The calculation behind the view, by value (its traces complete: the deal ids the view
    /// writes late are filled in).
    pub fn into_calculation(self) -> Calculation {
        let mut calc = self.calc;
        fill_credit_ids(&self.doc, &mut calc);
        calc
    }

    /// The number of events (the calculation's lines).
    pub fn event_count(&self) -> usize {
        self.calc.lines.len()
    }

    /// Σ of every line (money, unrounded sum of rounded lines).
    pub fn total_commission(&self) -> Decimal {
        self.total
    }
}

/// Writes the deal id into every credit step left without one (see `calc::calculate_with`).
fn fill_credit_ids(doc: &CalcDoc, calc: &mut Calculation) {
    for l in &mut calc.lines {
        fill_credit_id(doc, l);
    }
}

/// [`fill_credit_ids`] for one line: its deal's id into its trace's credit step.
pub(crate) fn fill_credit_id(doc: &CalcDoc, l: &mut Line) {
    if let Some(d) = l.deal {
        crate::trace::fill_deal_id(&mut l.trace, &doc.deals[d].id);
    }
}

/// The deal indices in deal-id order, when `ranks` holds a rank for every deal and rep and the
/// deal ranks are a permutation (a hand-made [`IdRanks`] may not be: the caller then sorts).
fn deals_by_rank(ranks: &IdRanks, deals: usize, reps: usize) -> Option<Vec<u32>> {
    if ranks.deals.len() != deals || ranks.reps.len() != reps {
        return None;
    }
    let mut by_rank = vec![u32::MAX; deals];
    for (i, &rank) in ranks.deals.iter().enumerate() {
        let slot = by_rank.get_mut(rank as usize)?;
        if *slot != u32::MAX {
            return None;
        }
        *slot = i as u32;
    }
    Some(by_rank)
}

/// A decimal as `fmt_plain` writes it (normalized, no negative zero), without a `String`.
struct Plain(Decimal);

impl Serialize for Plain {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let mut n = self.0.normalize();
        if n.is_zero() {
            n.set_sign_positive(true);
        }
        s.serialize_str(DecText::new(n).as_str())
    }
}

/// Money as `fmt_money` writes it (exactly `dp` decimals, no negative zero), without a `String`.
struct Money(Decimal, u32);

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let mut r = self.0;
        r.rescale(self.1);
        if r.is_zero() {
            r.set_sign_positive(true);
        }
        s.serialize_str(DecText::new(r).as_str())
    }
}

/// A period's text, without a `String`.
struct PeriodText(Period);

impl Serialize for PeriodText {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_str(&self.0)
    }
}

/// A line's trace, its credit step written with the line's deal id (the view's calculation
/// leaves it out, see `calc::calculate_with`).
struct Steps<'a>(&'a [Step], Option<&'a str>);

impl Serialize for Steps<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for step in self.0 {
            seq.serialize_element(&crate::trace::StepOf { step, deal_id: self.1 })?;
        }
        seq.end()
    }
}

/// A list written item by item from a closure over indices.
struct Each<F> {
    n: usize,
    item: F,
}

impl<F> Each<F> {
    fn new(n: usize, item: F) -> Self {
        Each { n, item }
    }
}

impl<F: Fn(usize) -> T, T: Serialize> Serialize for Each<F> {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.n))?;
        for i in 0..self.n {
            seq.serialize_element(&(self.item)(i))?;
        }
        seq.end()
    }
}

struct EventOut<'a> {
    doc: &'a CalcDoc,
    l: &'a Line,
}

impl Serialize for EventOut<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let (doc, l) = (self.doc, self.l);
        let dp = doc.settings.currency_precision;
        let currency = crate::fx::line_currency(doc, l.plan, l.version);
        let n = 20 + usize::from(currency.is_some()) + 2 * usize::from(l.installment.is_some());
        let mut m = s.serialize_struct("Event", n)?;
        m.serialize_field("dealId", &l.deal.map(|d| doc.deals[d].id.as_str()))?;
        m.serialize_field("repId", &doc.reps[l.rep].id)?;
        m.serialize_field("planId", &doc.plans[l.plan].plan_id)?;
        m.serialize_field("planVersionId", &doc.plans[l.plan].versions[l.version].plan_version_id)?;
        m.serialize_field("ruleName", &l.rule_name)?;
        m.serialize_field("executionPhase", l.phase.as_str())?;
        m.serialize_field("period", &PeriodText(l.period))?;
        m.serialize_field("amount", &Money(l.amount, dp))?;
        m.serialize_field("sourceRepId", &l.source_rep.map(|r| doc.reps[r].id.as_str()))?;
        m.serialize_field("tierName", &l.tier_name)?;
        m.serialize_field("rateApplied", &l.rate.map(Plain))?;
        m.serialize_field("attainment", &l.attainment.map(Plain))?;
        m.serialize_field("base", &l.base.map(Plain))?;
        m.serialize_field("creditedValue", &l.credited.map(Plain))?;
        m.serialize_field("reason", &l.reason)?;
        m.serialize_field("provisional", &l.provisional)?;
        m.serialize_field("milestone", &l.milestone)?;
        m.serialize_field("role", &l.role)?;
        m.serialize_field("idempotencyKey", &crate::ledger::line_key(doc, l))?;
        m.serialize_field("trace", &Steps(&l.trace, l.deal.map(|d| doc.deals[d].id.as_str())))?;
        if let Some(c) = &currency {
            m.serialize_field("currency", c)?;
        }
        if let Some(i) = &l.installment {
            m.serialize_field(
                "installment",
                &serde_json::json!({"index": i.index, "of": i.count, "percent": crate::decimal::fmt_plain(i.percent),
                    "releaseDate": i.release_date.map(|d| d.to_string())}),
            )?;
            m.serialize_field("held", &i.held)?;
        }
        m.end()
    }
}

struct BreakdownOut<'a> {
    doc: &'a CalcDoc,
    line: Option<&'a Line>,
    skip: Option<&'a Diagnostic>,
}

impl Serialize for BreakdownOut<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let doc = self.doc;
        let mut m = s.serialize_struct("RuleBreakdown", 10)?;
        match (self.line, self.skip) {
            (Some(l), _) => {
                m.serialize_field("ruleName", &l.rule_name)?;
                m.serialize_field("planId", &Some(&doc.plans[l.plan].plan_id))?;
                m.serialize_field("amount", &Some(Money(l.amount, doc.settings.currency_precision)))?;
                m.serialize_field("tierName", &l.tier_name)?;
                m.serialize_field("rateApplied", &l.rate.map(Plain))?;
                m.serialize_field("attainment", &l.attainment.map(Plain))?;
                m.serialize_field("rulePeriod", &Some(PeriodText(l.period)))?;
                m.serialize_field("skipped", &false)?;
                m.serialize_field("reason", &l.reason)?;
                m.serialize_field("trace", &Steps(&l.trace, l.deal.map(|d| doc.deals[d].id.as_str())))?;
            }
            (None, Some(dg)) => {
                m.serialize_field("ruleName", dg.rule_name(doc).unwrap_or_default())?;
                m.serialize_field("planId", &dg.plan_id(doc))?;
                m.serialize_field("amount", &None::<&str>)?;
                m.serialize_field("tierName", &None::<&str>)?;
                m.serialize_field("rateApplied", &None::<&str>)?;
                m.serialize_field("attainment", &None::<&str>)?;
                m.serialize_field("rulePeriod", &dg.period().map(PeriodText))?;
                m.serialize_field("skipped", &true)?;
                m.serialize_field("reason", &Some(dg.code()))?;
                m.serialize_field("trace", &Steps(&[], None))?;
            }
            (None, None) => return Err(serde::ser::Error::custom("a breakdown without a line or a skip")),
        }
        m.end()
    }
}

struct DealOut<'a> {
    view: &'a SimulateView<'a>,
    slot: &'a DealSlot,
}

impl Serialize for DealOut<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let (doc, calc, slot) = (&*self.view.doc, &self.view.calc, self.slot);
        let (lines, skips) = (self.view.slots.lines(slot), self.view.slots.skips(slot));
        let deal = &doc.deals[slot.deal()];
        let rep = &doc.reps[slot.rep()];
        let period: Option<PeriodText> = match lines.first() {
            Some(&i) => Some(PeriodText(calc.lines[i as usize].period)),
            None => skips.first().and_then(|&i| calc.diagnostics[i as usize].period()).map(PeriodText),
        };
        let mut m = s.serialize_struct("DealResult", 10)?;
        m.serialize_field("dealId", &deal.id)?;
        m.serialize_field("dealName", &deal.name)?;
        m.serialize_field("dealAmount", &deal.amount.map(Plain))?;
        m.serialize_field("dealStage", &deal.stage)?;
        m.serialize_field("repId", &rep.id)?;
        m.serialize_field("repName", &rep.name)?;
        m.serialize_field("period", &period)?;
        m.serialize_field("eligible", &!lines.is_empty())?;
        m.serialize_field("commissionTotal", &Money(slot.total, doc.settings.currency_precision))?;
        let n_lines = lines.len();
        m.serialize_field(
            "ruleBreakdown",
            &Each::new(n_lines + skips.len(), |i| {
                if i < n_lines {
                    BreakdownOut { doc, line: Some(&calc.lines[lines[i] as usize]), skip: None }
                } else {
                    BreakdownOut { doc, line: None, skip: Some(&calc.diagnostics[skips[i - n_lines] as usize]) }
                }
            }),
        )?;
        m.end()
    }
}

struct QuotaOut<'a> {
    doc: &'a CalcDoc,
    q: &'a QuotaProgress,
}

impl Serialize for QuotaOut<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let (doc, q) = (self.doc, self.q);
        let mut m = s.serialize_struct("QuotaStatus", 8)?;
        m.serialize_field("repId", &doc.reps[q.rep].id)?;
        m.serialize_field("planId", &doc.plans[q.plan].plan_id)?;
        m.serialize_field("ruleName", &q.rule_name)?;
        m.serialize_field("period", &PeriodText(q.period))?;
        m.serialize_field("target", &Plain(q.target))?;
        m.serialize_field("variableTarget", &q.variable_target.map(Plain))?;
        m.serialize_field("currentValue", &Plain(q.current_value))?;
        m.serialize_field("attainment", &Plain(q.current_value.checked_div(q.target).unwrap_or_default()))?;
        m.end()
    }
}

struct DiagnosticView<'a>(&'a CalcDoc, &'a Diagnostic);

impl Serialize for DiagnosticView<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let (doc, d) = (self.0, self.1);
        let mut m = s.serialize_struct("DiagnosticOut", 7)?;
        m.serialize_field("code", d.code())?;
        m.serialize_field("dealId", &d.deal_id(doc))?;
        m.serialize_field("repId", &d.rep_id(doc))?;
        m.serialize_field("planId", &d.plan_id(doc))?;
        m.serialize_field("ruleName", &d.rule_name(doc))?;
        m.serialize_field("period", &d.period().map(PeriodText))?;
        m.serialize_field("message", &d.message(doc))?;
        m.end()
    }
}

/// The JSON of [`crate::api::SimulateResult`], field for field.
impl Serialize for SimulateView<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let doc: &CalcDoc = &self.doc;
        let calc = &self.calc;
        let mut m = s.serialize_struct("SimulateResult", 11 + usize::from(!self.draws.is_empty()))?;
        m.serialize_field("mode", "simulate")?;
        m.serialize_field("asOf", &doc.as_of.to_string())?;
        m.serialize_field("period", &doc.scope.period.map_or_else(|| "all".to_string(), |p| p.to_string()))?;
        m.serialize_field("totalDeals", &calc.total_deals)?;
        m.serialize_field("eligibleDeals", &self.eligible_deals)?;
        m.serialize_field("totalCommission", &Money(self.total, doc.settings.currency_precision))?;
        m.serialize_field("assignedReps", &crate::api::assigned_reps(doc))?;
        m.serialize_field("events", &Each::new(calc.lines.len(), |i| EventOut { doc, l: &calc.lines[i] }))?;
        let slots = &self.slots.list;
        m.serialize_field("results", &Each::new(slots.len(), |i| DealOut { view: self, slot: &slots[i] }))?;
        m.serialize_field("quotas", &Each::new(calc.quotas.len(), |i| QuotaOut { doc, q: &calc.quotas[i] }))?;
        m.serialize_field(
            "diagnostics",
            &Each::new(calc.diagnostics.len(), |i| DiagnosticView(doc, &calc.diagnostics[i])),
        )?;
        if !self.draws.is_empty() {
            m.serialize_field("draws", &self.draws)?;
        }
        m.end()
    }
}

#[cfg(test)]
mod tests {
    use super::DealSlot;

    #[test]
    fn a_deal_slot_is_36_bytes() {
        // a slot per credited (deal, rep): ~1M at a million deals (issue #9)
        assert_eq!(std::mem::size_of::<DealSlot>(), 36);
    }
}
