//! periodic rules (SPEC §8.2, §8.5): one payout per (rep, rule, period), on closed periods
//! (or provisional ones on request), tiered by the period's final attainment or value.

use super::pricing::{payout_base, price, settle, Pricing};
use super::tiers::Checked;
use super::{At, Code, Ctx, Detail, Entry, GroupKey, Line};
use crate::error::Result;
use crate::model::*;
use crate::trace::Step;
use rust_decimal::Decimal;

pub(crate) fn run_group<'a>(
    ctx: &mut Ctx<'a>,
    key: GroupKey<'a>,
    entries: &[Entry<'a>],
    out: &mut Vec<Line>,
) -> Result<()> {
    let doc = ctx.doc;
    let (rep, plan, rule_name, period) = key;
    if entries.is_empty() {
        return Ok(());
    }
    // (credit date, deal id) order through 12-byte keys, not by moving the entries (issue #9);
    // deal ranks order like the deal ids (they are unique)
    let rank = &ctx.deal_rank;
    let mut order: Vec<(chrono::NaiveDate, u32, u32)> =
        entries.iter().enumerate().map(|(i, e)| (e.date, rank[e.deal()], i as u32)).collect();
    order.sort_unstable();
    let in_order = || order.iter().map(|o| &entries[o.2 as usize]);
    let closed = doc.as_of >= period.end(ctx.fy());
    if !closed && !doc.options.include_open_periods {
        return Ok(());
    }
    // the rule of the version in force for the period's latest deal
    let last = &entries[order[order.len() - 1].2 as usize];
    let (rule, version) = (last.rule, last.version());
    let at = At {
        deal: None,
        rep: Some(rep),
        plan: Some(plan),
        rule: Some((version, last.rule_ix())),
        period: Some(period),
    };
    let quota = ctx.quotas.get(&(rep, plan, rule_name, period)).cloned();
    let needs_quota = rule.tier_by == TierBy::Attainment
        || rule.floor_attainment.is_some()
        || rule.payout_base == PayoutBase::VariableTarget;
    if needs_quota && quota.is_none() {
        ctx.diag(Code::QuotaMissing, at, Detail::QuotaMissing);
        return Ok(());
    }
    let mut total = Decimal::ZERO;
    let mut field_total = Decimal::ZERO;
    for e in in_order() {
        total = total.add_c(e.credited)?;
        field_total = field_total.add_c(e.field_base().unwrap_or_default())?;
    }
    let target = quota.as_ref().map(|q| q.target);
    let attainment = match target {
        Some(t) => total.div_c(t)?,
        None => None,
    };
    // under tierBy value a negative total mirrors a positive one (SPEC §18.37)
    let mirror = rule.tier_by == TierBy::Value && total.is_sign_negative() && !total.is_zero();
    let sized = if mirror { total.abs() } else { total };
    let (x, scale) = match rule.tier_by {
        TierBy::Attainment => (attainment.unwrap_or_default(), target.unwrap_or(Decimal::ONE)),
        TierBy::Value | TierBy::CumulativeValue => (sized, Decimal::ONE),
    };
    let positive = total > Decimal::ZERO;
    let field = if mirror { field_total.abs() } else { field_total };
    let base = payout_base(rule, sized, positive, Decimal::ONE, quota.as_ref(), Some(field));
    let tiers = ctx.tiers_for(rep, plan, version, rule);
    let mut trace = ctx.new_trace();
    ctx.step(&mut trace, || Step::Period { period, deals: entries.len(), credited: total, attainment, closed });
    let priced = price(
        ctx,
        &Pricing {
            tiers,
            mode: rule.tier_mode,
            pick: x,
            shown_at: x,
            scale,
            from: Decimal::ZERO,
            to: sized,
            base,
            ratio_of: (rule.payout_base != PayoutBase::Measure).then_some(sized),
            flat_share: positive.then_some(Decimal::ONE),
        },
        &mut trace,
    )?;
    let mut amount = priced.amount;
    if let (Some(floor), Some(a)) = (rule.floor_attainment, attainment) {
        if a < floor {
            ctx.step(&mut trace, || Step::Floor { floor_attainment: floor, period_attainment: a, before: None });
            if !amount.is_zero() {
                ctx.diag(Code::BelowFloor, at, Detail::BelowFloorPeriod(Box::new(a)));
            }
            amount = Decimal::ZERO;
        }
    }
    let mut paid = Decimal::ZERO;
    let (_, amount) = settle(ctx, rule, amount, quota.as_ref(), mirror, &mut paid, &mut trace)?;
    if amount.is_zero() {
        return Ok(()); // periodic rules write a line only when they pay (SPEC §8.5)
    }
    out.push(Line {
        phase: Phase::Periodic,
        deal: None,
        rep,
        plan,
        version,
        rule_name: rule.name.clone(),
        period,
        date: period.last_day(ctx.fy()),
        amount,
        source_rep: None,
        tier_name: priced.tier_name,
        rate: priced.rate,
        attainment,
        base: priced.base,
        credited: Some(total),
        reason: None,
        provisional: !closed,
        role: None,
        milestone: None,
        level: None,
        trace: super::fit(trace),
        installment: None,
    });
    Ok(())
}
