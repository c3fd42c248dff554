//! cascade rules — manager overrides (SPEC §8.3, §8.5). They run after per_deal and periodic,
//! on the source rep's rounded lines from all of that rep's plans (or on the source rep's
//! credited measure), bucketed by the cascade's own attainment period, tiered by value.

use super::pricing::{price, settle, Pricing};
use super::tiers::Checked;
use super::{credit_date, is_won, measure_value, Ctx, Line};
use crate::condition::eval_all;
use crate::error::Result;
use crate::model::*;
use crate::period::{Period, PeriodKind};
use crate::trace::Step;
use rust_decimal::Decimal;
use std::collections::{BTreeMap, BTreeSet};

pub(crate) fn run(ctx: &mut Ctx<'_>, lines: &[Line]) -> Result<Vec<Line>> {
    let doc = ctx.doc;
    let fy = ctx.fy();
    let mut out = Vec::new();
    let mut rep_order: Vec<usize> = (0..doc.reps.len()).collect();
    rep_order.sort_by(|a, b| doc.reps[*a].id.cmp(&doc.reps[*b].id));
    // rep → its credited deals (deal, share), built only if a measure-based cascade exists
    let mut credited: Option<Vec<Vec<(usize, Decimal)>>> = None;
    // rep → its non-cascade lines, so a base is a walk over one rep's lines
    let mut by_rep: Vec<Vec<&Line>> = vec![Vec::new(); doc.reps.len()];
    for l in lines.iter().filter(|l| l.phase != Phase::Cascade) {
        by_rep[l.rep].push(l);
    }
    // rules with a rate table, by name: a measure cascade depending on one is a Spark override
    let rate_rules: BTreeSet<&str> = doc
        .plans
        .iter()
        .flat_map(|p| p.versions.iter())
        .flat_map(|v| v.config.rules.iter())
        .filter(|r| r.rate_table.is_some())
        .map(|r| r.name.as_str())
        .collect();
    // (deal, participant, rule) with at least one rate-table payment: what overrides follow
    let allocated: Allocated<'_> = lines
        .iter()
        .filter(|l| l.milestone.is_some() && !l.provisional)
        .filter_map(|l| l.deal.map(|d| (d, l.rep, l.rule_name.as_str())))
        .collect();

    for (pi, plan) in doc.plans.iter().enumerate() {
        let names: BTreeSet<&str> = plan
            .versions
            .iter()
            .flat_map(|v| v.config.rules.iter())
            .filter(|r| r.phase == Phase::Cascade)
            .map(|r| r.name.as_str())
            .collect();
        for name in names {
            // every period kind a version of this rule uses
            let kinds: BTreeSet<PeriodKind> = plan
                .versions
                .iter()
                .flat_map(|v| v.config.rules.iter())
                .filter(|r| r.name == name && r.phase == Phase::Cascade)
                .map(|r| r.period_kind)
                .collect();
            for kind in kinds {
                // the newest rule of this kind decides the base's shape and its filters
                let Some(shape) = newest_rule(plan, name, kind) else { continue };
                if shape.cascade_base == CascadeBase::Measure
                    && shape.depends_on.as_deref().is_some_and(|d| rate_rules.contains(d))
                {
                    spark_overrides(ctx, pi, name, kind, shape, &allocated, &mut out)?;
                    continue;
                }
                for &src in &rep_order {
                    let Some(manager) = manager_at(ctx, src, shape.level) else { continue };
                    let bases = match shape.cascade_base {
                        CascadeBase::Commission => commission_base(&by_rep[src], shape, kind, fy)?,
                        CascadeBase::Measure => {
                            let cr = credited.get_or_insert_with(|| credited_deals(ctx));
                            measure_base(ctx, &cr[src], src, plan, shape, kind)?
                        }
                    };
                    for (period, base) in bases {
                        let Some((vi, rule)) = rule_for_period(plan, name, period, fy) else { continue };
                        if rule.period_kind != kind {
                            continue;
                        }
                        if !ctx.ix.assigned_between(manager, pi, period.start(fy), period.last_day(fy)) {
                            continue;
                        }
                        if let Some(line) = pay(ctx, pi, vi, rule, manager, src, period, base)? {
                            out.push(line);
                        }
                    }
                }
            }
        }
    }
    Ok(out)
}

fn newest_rule<'a>(plan: &'a Plan, name: &str, kind: PeriodKind) -> Option<&'a Rule> {
    plan.versions
        .iter()
        .filter_map(|v| {
            v.config
                .rules
                .iter()
                .find(|r| r.name == name && r.phase == Phase::Cascade && r.period_kind == kind)
                .map(|r| (v, r))
        })
        .max_by(|(a, _), (b, _)| {
            (a.effective_start, a.version, &a.plan_version_id).cmp(&(b.effective_start, b.version, &b.plan_version_id))
        })
        .map(|(_, r)| r)
}

/// The version whose cascade rule applies to a period: the version in force on the period's
/// last day, else the newest active version overlapping the period.
fn rule_for_period<'a>(plan: &'a Plan, name: &str, period: Period, fy: u32) -> Option<(usize, &'a Rule)> {
    let has = |vi: usize| plan.versions[vi].config.rules.iter().find(|r| r.name == name && r.phase == Phase::Cascade);
    if let Some(vi) = plan.version_on(period.last_day(fy)) {
        if let Some(r) = has(vi) {
            return Some((vi, r));
        }
    }
    let (start, last) = (period.start(fy), period.last_day(fy));
    plan.versions
        .iter()
        .enumerate()
        .filter(|(_, v)| v.active && v.effective_start <= last && v.effective_end.map_or(true, |e| start <= e))
        .filter_map(|(vi, v)| has(vi).map(|r| (vi, v, r)))
        .max_by(|(_, a, _), (_, b, _)| {
            (a.effective_start, a.version, &a.plan_version_id).cmp(&(b.effective_start, b.version, &b.plan_version_id))
        })
        .map(|(vi, _, r)| (vi, r))
}

/// The manager `level` steps up the chain (1 = direct manager).
fn manager_at(ctx: &Ctx<'_>, rep: usize, level: u32) -> Option<usize> {
    let mut cur = rep;
    for _ in 0..level {
        let m = ctx.doc.reps[cur].manager_id.as_deref()?;
        cur = ctx.ix.rep(m)?;
    }
    (cur != rep).then_some(cur)
}

/// The source rep's rounded non-cascade lines of `dependsOn` (or all of them for `_total`),
/// bucketed by the cascade's period.
fn commission_base(lines: &[&Line], rule: &Rule, kind: PeriodKind, fy: u32) -> Result<BTreeMap<Period, Decimal>> {
    let mut out: BTreeMap<Period, Decimal> = BTreeMap::new();
    let dep = rule.depends_on.as_deref().unwrap_or("_total");
    for l in lines {
        if dep != "_total" && l.rule_name != dep {
            continue;
        }
        let p = Period::containing(l.date, kind, fy);
        let slot = out.entry(p).or_default();
        *slot = slot.add_c(l.amount)?;
    }
    Ok(out)
}

fn credited_deals(ctx: &Ctx<'_>) -> Vec<Vec<(usize, Decimal)>> {
    let mut out = vec![Vec::new(); ctx.doc.reps.len()];
    let (mut scratch, mut credits) = (Vec::new(), Vec::new());
    for (di, d) in ctx.doc.deals.iter().enumerate() {
        if d.deleted {
            continue;
        }
        ctx.ix.credits(di, &mut scratch, &mut credits);
        for &(rep, share, _) in &credits {
            out[rep].push((di, share));
        }
    }
    out
}

fn measure_base(
    ctx: &Ctx<'_>,
    deals: &[(usize, Decimal)],
    src: usize,
    plan: &Plan,
    rule: &Rule,
    kind: PeriodKind,
) -> Result<BTreeMap<Period, Decimal>> {
    let doc = ctx.doc;
    let mut out: BTreeMap<Period, Decimal> = BTreeMap::new();
    for &(di, share) in deals {
        let deal = &doc.deals[di];
        let Some(date) = credit_date(deal, rule) else { continue };
        if date > doc.as_of || !ctx.ix.assigned_any_on(src, date) || (rule.require_won && !is_won(deal, &doc.settings))
        {
            continue;
        }
        let plan_conds: &[crate::condition::Condition] =
            plan.version_on(date).map_or(&[], |vi| plan.versions[vi].config.conditions.as_slice());
        if !eval_all(&[plan_conds, &rule.conditions], deal, doc.as_of).pass {
            continue;
        }
        let Some(m) = measure_value(deal, &rule.measure) else { continue };
        let p = Period::containing(date, kind, ctx.fy());
        let slot = out.entry(p).or_default();
        *slot = slot.add_c(m.mul_c(share)?)?;
    }
    Ok(out)
}

#[allow(clippy::too_many_arguments)]
fn pay(
    ctx: &Ctx<'_>,
    plan: usize,
    version: usize,
    rule: &Rule,
    manager: usize,
    src: usize,
    period: Period,
    base: Decimal,
) -> Result<Option<Line>> {
    let tiers = ctx.tiers_for(manager, plan, version, rule);
    let mut trace = ctx.new_trace();
    ctx.step(&mut trace, || Step::Cascade {
        source_rep_id: ctx.doc.reps[src].id.clone(),
        level: rule.level,
        cascade_base: match rule.cascade_base {
            CascadeBase::Commission => "commission",
            CascadeBase::Measure => "measure",
        },
        depends_on: rule.depends_on.clone(),
        base,
    });
    // cascades tier by value: a negative base mirrors a positive one (SPEC §18.37)
    let mirror = base.is_sign_negative() && !base.is_zero();
    let sized = base.abs();
    let priced = price(
        ctx,
        &Pricing {
            tiers,
            mode: rule.tier_mode,
            pick: sized,
            shown_at: sized,
            scale: Decimal::ONE,
            from: Decimal::ZERO,
            to: sized,
            base: sized,
            ratio_of: None,
            flat_share: (!mirror && !base.is_zero()).then_some(Decimal::ONE),
        },
        &mut trace,
    )?;
    let quota = ctx.quotas.get(&(manager, plan, rule.name.as_str(), period)).cloned();
    let mut paid = Decimal::ZERO;
    let (_, amount) = settle(ctx, rule, priced.amount, quota.as_ref(), mirror, &mut paid, &mut trace)?;
    if amount.is_zero() {
        return Ok(None);
    }
    Ok(Some(Line {
        phase: Phase::Cascade,
        deal: None,
        rep: manager,
        plan,
        version,
        rule_name: rule.name.clone(),
        period,
        date: period.last_day(ctx.fy()),
        amount,
        source_rep: Some(src),
        tier_name: priced.tier_name,
        rate: priced.rate,
        attainment: None,
        base: Some(base),
        credited: None,
        reason: None,
        provisional: false,
        role: None,
        milestone: None,
        level: None,
        trace: super::fit(trace),
        installment: None,
    }))
}

/// (deal, participant, rate-table rule name) triples that have a payment line.
type Allocated<'l> = BTreeSet<(usize, usize, &'l str)>;

/// Spark overrides (SPEC §9, §18.9, §18.38): a `measure` cascade depending on a rate-table rule
/// writes one line per (sale, source participant) to the manager `level` steps up the source's
/// chain, on the sale's credited measure, rounded per line, dated by the sale's credit date and
/// placed in the period of that date; no milestone. Its key adds the deal id.
///
/// Choices where SPEC is silent: an override follows its sale's allocations — a source
/// participant feeds the chain only while it has at least one milestone payment of the
/// `dependsOn` rule for the sale (so a sale not yet at MP1, without a rate, or cancelled has no
/// override). The participants feeding the chain are those whose credit role is in `sourceRoles`; without `sourceRoles`, the deal's owner (its owner reference, else its
/// first credit) when the owner is credited. The version is the one in force on the sale's
/// credit date (read with the newest version's `creditDateField`); the sale must be won (unless
/// `requireWon: false`), pass the plan's and the rule's conditions, have the measure, be dated on
/// or before `asOf` and inside one of the source's assignments; the receiving manager must be
/// assigned to the cascade's plan on the sale's credit date. A zero payout writes no line.
fn spark_overrides(
    ctx: &mut Ctx<'_>,
    pi: usize,
    name: &str,
    kind: PeriodKind,
    shape: &Rule,
    allocated: &Allocated<'_>,
    out: &mut Vec<Line>,
) -> Result<()> {
    let doc = ctx.doc;
    let plan = &doc.plans[pi];
    let mut order: Vec<usize> = (0..doc.deals.len()).filter(|d| !doc.deals[*d].deleted).collect();
    order.sort_by(|a, b| doc.deals[*a].id.cmp(&doc.deals[*b].id));
    let (mut scratch, mut credits) = (Vec::new(), Vec::new());
    for di in order {
        let deal = &doc.deals[di];
        let Some(date) = credit_date(deal, shape) else { continue };
        let Some(vi) = plan.version_on(date) else { continue };
        let Some(rule) = plan.versions[vi].config.rules.iter().find(|r| r.name == name && r.phase == Phase::Cascade)
        else {
            continue;
        };
        if rule.period_kind != kind || date > doc.as_of || (rule.require_won && !is_won(deal, &doc.settings)) {
            continue;
        }
        if !eval_all(&[&plan.versions[vi].config.conditions, &rule.conditions], deal, doc.as_of).pass {
            continue;
        }
        let Some(measure) = measure_value(deal, &rule.measure) else { continue };
        scratch.clear();
        ctx.ix.credits(di, &mut scratch, &mut credits);
        let sources: Vec<(usize, Decimal)> = match &rule.source_roles {
            Some(roles) => credits
                .iter()
                .filter(|(_, _, role)| role.as_ref().is_some_and(|r| roles.iter().any(|x| x == r)))
                .map(|(r, s, _)| (*r, *s))
                .collect(),
            None => {
                let owner = ctx.ix.owner(deal).or_else(|| credits.first().map(|c| c.0));
                credits.iter().filter(|(r, _, _)| Some(*r) == owner).map(|(r, s, _)| (*r, *s)).take(1).collect()
            }
        };
        let period = Period::containing(date, kind, ctx.fy());
        let dep = rule.depends_on.as_deref().unwrap_or("");
        for (src, share) in sources {
            if !allocated.contains(&(di, src, dep)) || !ctx.ix.assigned_any_on(src, date) {
                continue;
            }
            let Some(manager) = manager_at(ctx, src, rule.level) else { continue };
            if !ctx.ix.assigned_on(manager, pi, date) {
                continue;
            }
            let base = measure.mul_c(share)?;
            if let Some(mut line) = pay(ctx, pi, vi, rule, manager, src, period, base)? {
                line.deal = Some(di);
                line.date = date;
                line.level = Some(rule.level);
                let id = &doc.deals[di].id;
                ctx.step(&mut line.trace, || Step::Override {
                    deal_id: id.clone(),
                    credit_date: date,
                    level: rule.level,
                });
                out.push(line);
            }
        }
    }
    Ok(())
}
