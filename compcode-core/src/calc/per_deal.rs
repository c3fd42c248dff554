//! per_deal rules (SPEC §8.1, §8.5): each eligible deal of a (rep, plan, rule, period) group
//! gets one line, in credit order.

use super::pricing::{payout_base, price, settle, Pricing};
use super::tiers::Checked;
use super::{At, Code, Ctx, Detail, Entry, GroupKey, Line};
use crate::error::Result;
use crate::model::*;
use crate::trace::Step;
use rust_decimal::Decimal;
use serde_json::json;

pub(crate) fn run_group<'a>(
    ctx: &mut Ctx<'a>,
    key: GroupKey<'a>,
    entries: &[Entry<'a>],
    out: &mut Vec<Line>,
) -> Result<()> {
    let doc = ctx.doc;
    let (rep, plan, rule_name, period) = key;
    // credit order; a rate-table group orders by (credit date, deal id, milestone), SPEC §18.5
    let ms = |e: &Entry<'_>| e.milestone().map_or(0, |m| m.0);
    // deal ids compare by rank (ids are unique): the same order without reading the id strings.
    // The 16-byte keys are sorted, not the entries (~140 bytes each: moving them was a sixth of
    // this function, issue #9); the entry's position breaks ties, as the stable sort did
    let rank = &ctx.deal_rank;
    let mut order: Vec<(chrono::NaiveDate, u32, u32, u32)> =
        entries.iter().enumerate().map(|(i, e)| (e.date, rank[e.deal()], ms(e), i as u32)).collect();
    order.sort_unstable();
    let quota = ctx.quotas.get(&(rep, plan, rule_name, period)).cloned();
    let mut final_c = Decimal::ZERO;
    for e in entries.iter() {
        final_c = final_c.add_c(e.credited)?;
    }
    let mut c = Decimal::ZERO;
    let mut paid = Decimal::ZERO;
    // final_c / target (the group's quota: one target for every entry), at the first entry
    // tiered by attainment
    let mut final_ratio: Option<Decimal> = None;
    let at = |e: &Entry<'_>| At {
        deal: Some(e.deal()),
        rep: Some(rep),
        plan: Some(plan),
        rule: Some((e.version(), e.rule_ix())),
        period: Some(period),
    };
    for e in order.iter().map(|o| &entries[o.3 as usize]) {
        let rule = e.rule;
        if let Some(&(n, row, contract)) = e.milestone() {
            out.push(rate_table_line(ctx, key, e, n, row, contract, &mut paid)?);
            continue;
        }
        let (c_before, c_after) = (c, c.add_c(e.credited)?);
        c = c_after;
        let needs_quota = rule.tier_by == TierBy::Attainment
            || rule.floor_attainment.is_some()
            || rule.payout_base == PayoutBase::VariableTarget;
        if needs_quota && quota.is_none() {
            ctx.diag(Code::QuotaMissing, at(e), Detail::QuotaMissing);
            continue;
        }
        if rule.payout_base == PayoutBase::VariableTarget && quota.as_ref().and_then(|q| q.variable_target).is_none() {
            ctx.diag(
                Code::VariableTargetMissing,
                at(e),
                Detail::Static(&"payoutBase is variable_target but the quota has no variableTarget"),
            );
            continue;
        }
        let tiers = ctx.tiers_for(rep, plan, e.version(), rule);
        let mut trace = ctx.new_trace();
        ctx.step(&mut trace, || Step::Credit {
            // empty for a view, which writes the line's deal id (see `calculate_with`)
            deal_id: if ctx.credit_ids { doc.deals[e.deal()].id.clone() } else { String::new() },
            credit_date: e.date,
            split_percent: (e.share * Decimal::ONE_HUNDRED).normalize(),
            credited: e.credited,
            before: c_before,
            after: c_after,
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
                // c_after / t is the attainment just computed, and final_c / t is the same for
                // the whole group: divide once (issue #9)
                let x_after = match target {
                    Some(_) => attainment.unwrap_or_default(),
                    None => c_after.div_c(t)?.unwrap_or_default(),
                };
                let x_final = match final_ratio {
                    Some(r) => r,
                    None => *final_ratio.insert(final_c.div_c(t)?.unwrap_or_default()),
                };
                (x_after, x_final, t, c_before, c_after)
            }
            TierBy::CumulativeValue => (c_after, final_c, Decimal::ONE, c_before, c_after),
            // a refund mirrors the sale it undoes (SPEC §18.37): read on its size, negated at the end
            TierBy::Value => (e.credited.abs(), e.credited.abs(), Decimal::ONE, Decimal::ZERO, e.credited.abs()),
        };
        let mirror = rule.tier_by == TierBy::Value && e.credited.is_sign_negative();
        let positive = e.credited > Decimal::ZERO;
        let sized = if mirror { e.credited.abs() } else { e.credited };
        let field = e.field_base().map(|f| if mirror { f.abs() } else { f });
        let base = payout_base(rule, sized, positive, e.share, quota.as_ref(), field);
        let pick = if rule.retroactive && rule.tier_by != TierBy::Value { x_final } else { x_after };
        let priced = price(
            ctx,
            &Pricing {
                tiers,
                mode: rule.tier_mode,
                pick,
                shown_at: x_after,
                scale,
                from,
                to,
                base,
                ratio_of: (rule.payout_base != PayoutBase::Measure).then_some(sized),
                flat_share: positive.then_some(e.share),
            },
            &mut trace,
        )?;
        let mut reason = priced.below_first_tier.then_some("below_first_tier");
        let mut amount = priced.amount;
        if let (Some(floor), Some(t)) = (rule.floor_attainment, target) {
            let att = final_c.div_c(t)?.unwrap_or_default();
            if att < floor {
                ctx.step(&mut trace, || Step::Floor {
                    floor_attainment: floor,
                    period_attainment: att,
                    before: Some(amount),
                });
                amount = Decimal::ZERO;
                reason = Some("below_floor");
                ctx.diag(Code::BelowFloor, at(e), Detail::BelowFloorToDate(Box::new(att)));
            }
        }
        let (rounded, amount) = settle(ctx, rule, amount, quota.as_ref(), mirror, &mut paid, &mut trace)?;
        if amount.is_zero() && reason.is_none() && rule.period_cap.is_some() && !rounded.is_zero() {
            reason = Some("period_cap");
        }
        out.push(Line {
            phase: Phase::PerDeal,
            deal: Some(e.deal()),
            rep,
            plan,
            version: e.version(),
            rule_name: rule.name.clone(),
            period,
            date: e.date,
            amount,
            source_rep: None,
            tier_name: priced.tier_name,
            rate: priced.rate,
            attainment,
            base: priced.base,
            credited: Some(e.credited),
            reason,
            provisional: false,
            role: e.role().cloned(),
            milestone: None,
            level: None,
            trace: super::fit(trace),
            installment: None,
        });
    }
    Ok(())
}

/// One rate-table payment (SPEC §9, §18.5–§18.8): contract × percentMpN / 100 + flatMpN for the
/// participant (the contract is never scaled by a split; the flat is per participant), then
/// minAmount / maxAmount, rounding, and the period cap in (credit date, deal id, milestone)
/// order.
///
/// Choices where SPEC is silent: a negative contract (a refund) mirrors a sale of its size like
/// value tiers do (SPEC §18.37), and flats, like every flat-like payout, earn nothing on a zero or
/// negative contract; the line's `tierName` is the milestone's name (default `MP<n>`), its
/// `rateApplied` is percentMpN / 100 (a fraction, SPEC §1) and its `base` the contract.
fn rate_table_line<'a>(
    ctx: &mut Ctx<'a>,
    key: GroupKey<'a>,
    e: &Entry<'a>,
    n: u32,
    row_index: usize,
    contract: Decimal,
    paid: &mut Decimal,
) -> Result<Line> {
    let doc = ctx.doc;
    let (rep, plan, _, period) = key;
    let rule = e.rule;
    let row = rule.rate_table.as_deref().and_then(|rows| rows.get(row_index)).ok_or_else(|| {
        crate::error::Error::new(crate::error::ErrorCode::InternalError, "a milestone entry lost its rate row")
    })?;
    let (percent, flat) = row.rates(n);
    let mirror = contract.is_sign_negative() && !contract.is_zero();
    let size = contract.abs();
    let from_percent = size.mul_c(percent)?.div_c(Decimal::ONE_HUNDRED)?.unwrap_or_default();
    let flat_part = if contract > Decimal::ZERO { flat } else { Decimal::ZERO };
    let amount = from_percent.add_c(flat_part)?;
    let name = rule.milestones.iter().find(|m| m.number == n).and_then(|m| m.name.clone());
    let mut trace = ctx.new_trace();
    ctx.step(&mut trace, || {
        let matched: Vec<&str> = crate::model::RATE_KEYS
            .iter()
            .zip(row.keys.iter())
            .filter(|(_, k)| k.is_some())
            .map(|(n, _)| *n)
            .collect();
        Step::Json(json!({"step": "rate_table", "dealId": doc.deals[e.deal()].id, "milestone": n, "milestoneName": name,
               "paymentDate": e.date.to_string(), "rowIndex": row_index, "rateId": row.rate_id, "matchedOn": matched,
               "contract": contract.to_string(), "percent": percent.to_string(), "flat": flat.to_string(),
               "fromPercent": from_percent.to_string(), "fromFlat": flat_part.to_string(), "amount": amount.to_string()}))
    });
    let (rounded, fin) = settle(ctx, rule, amount, None, mirror, paid, &mut trace)?;
    let reason = (fin.is_zero() && !rounded.is_zero() && rule.period_cap.is_some()).then_some("period_cap");
    Ok(Line {
        phase: Phase::PerDeal,
        deal: Some(e.deal()),
        rep,
        plan,
        version: e.version(),
        rule_name: rule.name.clone(),
        period,
        date: e.date,
        amount: fin,
        source_rep: None,
        tier_name: Some(name.map_or_else(|| Name::from(format!("MP{n}")), Name::from)),
        rate: percent.div_c(Decimal::ONE_HUNDRED)?,
        attainment: None,
        base: Some(contract),
        credited: Some(e.credited),
        reason,
        provisional: false,
        role: e.role().cloned(),
        milestone: Some(n),
        level: None,
        trace: super::fit(trace),
        installment: None,
    })
}
