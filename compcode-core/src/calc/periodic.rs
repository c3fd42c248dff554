//! periodic rules (SPEC §8.2, §8.5): one payout per (rep, rule, period), on closed periods
//! (or provisional ones on request), tiered by the period's final attainment or value.

use super::per_deal::{pieces_json, tier_by_str};
use super::tiers::{highest_tier, interpolated, marginal, Checked};
use super::{Ctx, Entry, GroupKey, Line};
use crate::error::Result;
use crate::model::*;
use rust_decimal::Decimal;
use serde_json::json;

pub(crate) fn run_group<'a>(
    ctx: &mut Ctx<'a>,
    key: GroupKey<'a>,
    entries: &mut [Entry<'a>],
    out: &mut Vec<Line>,
) -> Result<()> {
    let doc = ctx.doc;
    let (rep, plan, rule_name, period) = key;
    if entries.is_empty() {
        return Ok(());
    }
    entries.sort_by(|a, b| (a.date, doc.deals[a.deal].id.as_bytes()).cmp(&(b.date, doc.deals[b.deal].id.as_bytes())));
    let closed = doc.as_of >= period.end(ctx.fy());
    if !closed && !doc.options.include_open_periods {
        return Ok(());
    }
    // the rule of the version in force for the period's latest deal
    let last = &entries[entries.len() - 1];
    let (rule, version) = (last.rule, last.version);
    let quota = ctx.quotas.get(&(rep, plan, rule_name, period)).cloned();
    let needs_quota = rule.tier_by == TierBy::Attainment
        || rule.floor_attainment.is_some()
        || rule.payout_base == PayoutBase::VariableTarget;
    if needs_quota && quota.is_none() {
        ctx.diag(
            "quota_missing",
            None,
            Some(rep),
            Some(plan),
            Some(rule_name),
            Some(period),
            format!("no quota for rep `{}`, rule `{rule_name}`, period {period}", doc.reps[rep].id),
        );
        return Ok(());
    }
    let mut total = Decimal::ZERO;
    let mut field_total = Decimal::ZERO;
    for e in entries.iter() {
        total = total.add_c(e.credited)?;
        field_total = field_total.add_c(e.field_base.unwrap_or_default())?;
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
    let base = match &rule.payout_base {
        PayoutBase::Measure => sized,
        PayoutBase::One => {
            if positive {
                Decimal::ONE
            } else {
                Decimal::ZERO
            }
        }
        PayoutBase::VariableTarget => {
            if positive {
                quota.as_ref().and_then(|q| q.variable_target).unwrap_or_default()
            } else {
                Decimal::ZERO
            }
        }
        PayoutBase::Field(_) if mirror => field_total.abs(),
        PayoutBase::Field(_) => field_total,
        PayoutBase::Formula(_) => Decimal::ZERO,
    };
    let tiers = ctx.tiers_for(rep, plan, version, rule);
    let mut trace = Vec::new();
    ctx.step(&mut trace, || json!({"step": "period", "period": period.to_string(), "deals": entries.len(), "creditedValue": total.to_string(), "attainment": attainment.map(|a| a.to_string()), "closed": closed}));
    let (mut tier_name, mut rate, mut shown_base) = (None, None, None);
    let mut amount = match rule.tier_mode {
        TierMode::FullRate => match highest_tier(tiers, x) {
            None => Decimal::ZERO,
            Some(t) => {
                tier_name = Some(t.name.clone());
                let a = match (t.flat_amount, t.rate) {
                    (Some(flat), _) => {
                        if positive {
                            flat
                        } else {
                            Decimal::ZERO
                        }
                    }
                    (None, Some(r)) => {
                        rate = Some(r);
                        shown_base = Some(base);
                        base.mul_c(r)?
                    }
                    (None, None) => Decimal::ZERO,
                };
                ctx.step(&mut trace, || json!({"step": "tier", "mode": "full_rate", "tierBy": tier_by_str(rule.tier_by), "readAt": x.to_string(), "tier": t.name, "base": base.to_string(), "amount": a.to_string()}));
                a
            }
        },
        TierMode::Marginal => {
            let (sum, pieces) = marginal(tiers, scale, Decimal::ZERO, sized)?;
            let a = if rule.payout_base == PayoutBase::Measure {
                sum
            } else {
                sum.mul_c(base)?.div_c(sized)?.unwrap_or_default()
            };
            if let Some(t) = highest_tier(tiers, x) {
                tier_name = Some(t.name.clone());
                rate = t.rate;
            }
            shown_base = Some(base);
            ctx.step(
                &mut trace,
                || json!({"step": "bands", "mode": "marginal", "bands": pieces_json(&pieces), "amount": a.to_string()}),
            );
            a
        }
        TierMode::Interpolated => {
            let (sum, pieces) = interpolated(tiers, scale, Decimal::ZERO, sized)?;
            tier_name = highest_tier(tiers, x).map(|t| t.name.clone());
            ctx.step(&mut trace, || json!({"step": "bands", "mode": "interpolated", "bands": pieces_json(&pieces), "amount": sum.to_string()}));
            sum
        }
    };
    if let (Some(floor), Some(a)) = (rule.floor_attainment, attainment) {
        if a < floor {
            ctx.step(&mut trace, || json!({"step": "floor", "floorAttainment": floor.to_string(), "periodAttainment": a.to_string(), "after": "0"}));
            if !amount.is_zero() {
                ctx.diag(
                    "below_floor",
                    None,
                    Some(rep),
                    Some(plan),
                    Some(rule_name),
                    Some(period),
                    format!("period attainment {} is below the floor {floor}", a.normalize()),
                );
            }
            amount = Decimal::ZERO;
        }
    }
    amount = ctx.clamp(rule, amount, quota.as_ref(), &mut trace)?;
    if mirror {
        amount = -amount;
    }
    let rounded = ctx.round(amount);
    let mut paid = Decimal::ZERO;
    let amount = ctx.period_cap(rule, rounded, &mut paid, &mut trace)?;
    if amount.is_zero() {
        return Ok(()); // periodic rules write a line only when they pay (SPEC §8.5)
    }
    out.push(Line {
        phase: Phase::Periodic,
        deal: None,
        rep,
        plan,
        version,
        rule_name: rule_name.to_string(),
        period,
        date: period.last_day(ctx.fy()),
        amount,
        source_rep: None,
        tier_name,
        rate,
        attainment,
        base: shown_base,
        credited: Some(total),
        reason: None,
        provisional: !closed,
        role: None,
        trace,
    });
    Ok(())
}
