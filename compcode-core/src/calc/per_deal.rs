//! per_deal rules (SPEC §8.1, §8.5): each eligible deal of a (rep, plan, rule, period) group
//! gets one line, in credit order.

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
    entries.sort_by(|a, b| (a.date, doc.deals[a.deal].id.as_bytes()).cmp(&(b.date, doc.deals[b.deal].id.as_bytes())));
    let quota = ctx.quotas.get(&(rep, plan, rule_name, period)).cloned();
    let mut final_c = Decimal::ZERO;
    for e in entries.iter() {
        final_c = final_c.add_c(e.credited)?;
    }
    let mut c = Decimal::ZERO;
    let mut paid = Decimal::ZERO;
    for e in entries.iter() {
        let rule = e.rule;
        let (c_before, c_after) = (c, c.add_c(e.credited)?);
        c = c_after;
        let needs_quota = rule.tier_by == TierBy::Attainment
            || rule.floor_attainment.is_some()
            || rule.payout_base == PayoutBase::VariableTarget;
        if needs_quota && quota.is_none() {
            ctx.diag(
                "quota_missing",
                Some(e.deal),
                Some(rep),
                Some(plan),
                Some(rule_name),
                Some(period),
                format!("no quota for rep `{}`, rule `{rule_name}`, period {period}", doc.reps[rep].id),
            );
            continue;
        }
        if rule.payout_base == PayoutBase::VariableTarget && quota.as_ref().and_then(|q| q.variable_target).is_none() {
            ctx.diag(
                "variable_target_missing",
                Some(e.deal),
                Some(rep),
                Some(plan),
                Some(rule_name),
                Some(period),
                "payoutBase is variable_target but the quota has no variableTarget".into(),
            );
            continue;
        }
        let tiers = ctx.tiers_for(rep, plan, e.version, rule);
        let mut trace = Vec::new();
        ctx.step(&mut trace, || {
            json!({"step": "credit", "dealId": doc.deals[e.deal].id, "creditDate": e.date.to_string(), "splitPercent": (e.share * Decimal::ONE_HUNDRED).normalize().to_string(),
                   "creditedValue": e.credited.to_string(), "cumulativeBefore": c_before.to_string(), "cumulativeAfter": c_after.to_string()})
        });
        let target = quota.as_ref().map(|q| q.target);
        let attainment = match target {
            Some(t) => c_after.div_c(t)?,
            None => None,
        };
        // the coordinate tiers are read on, and the interval the deal covers
        let (x_after, x_final, scale, from, to) = match rule.tier_by {
            TierBy::Attainment => {
                let t = target.unwrap_or(Decimal::ONE);
                (c_after.div_c(t)?.unwrap_or_default(), final_c.div_c(t)?.unwrap_or_default(), t, c_before, c_after)
            }
            TierBy::CumulativeValue => (c_after, final_c, Decimal::ONE, c_before, c_after),
            // a refund mirrors the sale it undoes (SPEC §18.37): read on its size, negated at the end
            TierBy::Value => (e.credited.abs(), e.credited.abs(), Decimal::ONE, Decimal::ZERO, e.credited.abs()),
        };
        let mirror = rule.tier_by == TierBy::Value && e.credited.is_sign_negative();
        let positive = e.credited > Decimal::ZERO;
        let base = match &rule.payout_base {
            PayoutBase::Measure if mirror => e.credited.abs(),
            PayoutBase::Measure => e.credited,
            PayoutBase::One => {
                if positive {
                    e.share
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
            PayoutBase::Field(_) if mirror => e.field_base.unwrap_or_default().abs(),
            PayoutBase::Field(_) => e.field_base.unwrap_or_default(),
            PayoutBase::Formula(_) => Decimal::ZERO,
        };
        let mut tier_name = None;
        let mut rate = None;
        let mut shown_base = None;
        let mut reason = None;
        let mut amount = match rule.tier_mode {
            TierMode::FullRate => {
                let pick = if rule.retroactive && rule.tier_by != TierBy::Value { x_final } else { x_after };
                match highest_tier(tiers, pick) {
                    None => {
                        reason = Some("below_first_tier");
                        Decimal::ZERO
                    }
                    Some(t) => {
                        tier_name = Some(t.name.clone());
                        let a = match (t.flat_amount, t.rate) {
                            (Some(flat), _) => {
                                if positive {
                                    flat.mul_c(e.share)?
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
                        ctx.step(&mut trace, || json!({"step": "tier", "mode": "full_rate", "retroactive": rule.retroactive, "tierBy": tier_by_str(rule.tier_by), "readAt": pick.to_string(), "tier": t.name, "rate": t.rate.map(|r| r.to_string()), "flatAmount": t.flat_amount.map(|f| f.to_string()), "base": base.to_string(), "amount": a.to_string()}));
                        a
                    }
                }
            }
            TierMode::Marginal => {
                let (sum, pieces) = marginal(tiers, scale, from, to)?;
                let a = if rule.payout_base == PayoutBase::Measure {
                    sum
                } else {
                    sum.mul_c(base)?.div_c(if mirror { e.credited.abs() } else { e.credited })?.unwrap_or(Decimal::ZERO)
                };
                if let Some(t) = highest_tier(tiers, x_after) {
                    tier_name = Some(t.name.clone());
                    rate = t.rate;
                } else {
                    reason = Some("below_first_tier");
                }
                shown_base = Some(base);
                ctx.step(&mut trace, || json!({"step": "bands", "mode": "marginal", "bands": pieces_json(&pieces), "amount": a.to_string()}));
                a
            }
            TierMode::Interpolated => {
                let (sum, pieces) = interpolated(tiers, scale, from, to)?;
                if let Some(t) = highest_tier(tiers, x_after) {
                    tier_name = Some(t.name.clone());
                } else {
                    reason = Some("below_first_tier");
                }
                ctx.step(&mut trace, || json!({"step": "bands", "mode": "interpolated", "bands": pieces_json(&pieces), "amount": sum.to_string()}));
                sum
            }
        };
        if let (Some(floor), Some(t)) = (rule.floor_attainment, target) {
            let att = final_c.div_c(t)?.unwrap_or_default();
            if att < floor {
                ctx.step(&mut trace, || json!({"step": "floor", "floorAttainment": floor.to_string(), "periodAttainment": att.to_string(), "before": amount.to_string(), "after": "0"}));
                amount = Decimal::ZERO;
                reason = Some("below_floor");
                ctx.diag(
                    "below_floor",
                    Some(e.deal),
                    Some(rep),
                    Some(plan),
                    Some(rule_name),
                    Some(period),
                    format!("period-to-date attainment {} is below the floor {floor}", att.normalize()),
                );
            }
        }
        amount = ctx.clamp(rule, amount, quota.as_ref(), &mut trace)?;
        if mirror {
            amount = -amount;
            ctx.step(&mut trace, || json!({"step": "refund", "note": "a negative value is paid as the sale of its size, negated", "after": amount.to_string()}));
        }
        let rounded = ctx.round(amount);
        ctx.step(&mut trace, || json!({"step": "round", "before": amount.to_string(), "after": rounded.to_string()}));
        let amount = ctx.period_cap(rule, rounded, &mut paid, &mut trace)?;
        if amount.is_zero() && reason.is_none() && rule.period_cap.is_some() && !rounded.is_zero() {
            reason = Some("period_cap");
        }
        out.push(Line {
            phase: Phase::PerDeal,
            deal: Some(e.deal),
            rep,
            plan,
            version: e.version,
            rule_name: rule_name.to_string(),
            period,
            date: e.date,
            amount,
            source_rep: None,
            tier_name,
            rate,
            attainment,
            base: shown_base,
            credited: Some(e.credited),
            reason,
            provisional: false,
            role: e.role.clone(),
            trace,
        });
    }
    Ok(())
}

pub(crate) fn tier_by_str(t: TierBy) -> &'static str {
    match t {
        TierBy::Attainment => "attainment",
        TierBy::Value => "value",
        TierBy::CumulativeValue => "cumulative_value",
    }
}

pub(crate) fn pieces_json(pieces: &[super::tiers::BandPiece]) -> serde_json::Value {
    serde_json::Value::Array(
        pieces
            .iter()
            .map(|p| json!({"tier": p.tier, "from": p.from.to_string(), "to": p.to.map(|t| t.to_string()), "overlap": p.overlap.to_string(), "amount": p.amount.to_string()}))
            .collect(),
    )
}
