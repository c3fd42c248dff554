//! Pricing shared by every phase: a tier amount from a tier mode (SPEC §8.1), then the
//! adjustments every line goes through — clamps, the refund mirror, rounding, the period cap.

use super::tiers::{banded, highest_tier, interpolated_pay, marginal_pay, BandPiece, Checked};
use super::{Ctx, QuotaUse};
use crate::error::Result;
use crate::model::{Name, PayoutBase, Rule, Tier, TierMode};
use crate::trace::{Band, Step};
use rust_decimal::Decimal;

/// What a rule's rates multiply (SPEC §6 `payoutBase`, §8.5): the (sized) credited value, a flat
/// `one` (the credit share per deal, 1 per period), the variable target, or a field or formula
/// total.
/// Flat-like bases earn nothing on a zero or negative value.
pub(crate) fn payout_base(
    rule: &Rule,
    value: Decimal,
    positive: bool,
    one: Decimal,
    quota: Option<&QuotaUse>,
    field: Option<Decimal>,
) -> Decimal {
    match &rule.payout_base {
        PayoutBase::Measure => value,
        PayoutBase::One if positive => one,
        PayoutBase::VariableTarget if positive => quota.and_then(|q| q.variable_target).unwrap_or_default(),
        PayoutBase::One | PayoutBase::VariableTarget => Decimal::ZERO,
        // a field or a formula, read per deal in `collect` and already scaled by the share
        PayoutBase::Field(_) | PayoutBase::Formula(_) => field.unwrap_or_default(),
    }
}

/// What a tier computation reads.
pub(crate) struct Pricing<'t> {
    pub tiers: &'t [Tier],
    pub mode: TierMode,
    /// Where full_rate picks its tier (A_after, the final attainment when retroactive, a value).
    pub pick: Decimal,
    /// Where banded modes name the tier shown on the line.
    pub shown_at: Decimal,
    /// Bands are `[min × scale, next min × scale)`; the interval covered is `[from, to]`.
    pub scale: Decimal,
    pub from: Decimal,
    pub to: Decimal,
    /// What a rate multiplies.
    pub base: Decimal,
    /// Marginal with a payoutBase other than the measure: the band sum × base / this.
    pub ratio_of: Option<Decimal>,
    /// Multiplier of a flat amount (the credit share); `None` when flats earn nothing (zero or
    /// negative value, SPEC §8.5).
    pub flat_share: Option<Decimal>,
}

/// A tier computation's result.
pub(crate) struct Priced {
    pub amount: Decimal,
    pub tier_name: Option<Name>,
    pub rate: Option<Decimal>,
    pub base: Option<Decimal>,
    pub below_first_tier: bool,
}

pub(crate) fn price(ctx: &Ctx<'_>, p: &Pricing<'_>, trace: &mut Vec<Step>) -> Result<Priced> {
    let mut out = Priced { amount: Decimal::ZERO, tier_name: None, rate: None, base: None, below_first_tier: false };
    match p.mode {
        TierMode::FullRate => match highest_tier(p.tiers, p.pick) {
            None => out.below_first_tier = true,
            Some(t) => {
                out.tier_name = Some(t.name.clone());
                out.amount = match (t.flat_amount, t.rate) {
                    (Some(flat), _) => match p.flat_share {
                        Some(s) => flat.mul_c(s)?,
                        None => Decimal::ZERO,
                    },
                    (None, Some(r)) => {
                        out.rate = Some(r);
                        out.base = Some(p.base);
                        p.base.mul_c(r)?
                    }
                    (None, None) => Decimal::ZERO,
                };
                ctx.step(trace, || Step::Tier {
                    read_at: p.pick,
                    tier: t.name.clone(),
                    rate: t.rate,
                    flat_amount: t.flat_amount,
                    base: p.base,
                    amount: out.amount,
                });
            }
        },
        TierMode::Marginal | TierMode::Interpolated => {
            let marginal_mode = p.mode == TierMode::Marginal;
            let pay = if marginal_mode { marginal_pay } else { interpolated_pay };
            let (sum, pieces) = banded(p.tiers, p.scale, p.from, p.to, ctx.trace, pay)?;
            out.amount = match (marginal_mode, p.ratio_of) {
                (true, Some(d)) => sum.mul_c(p.base)?.div_c(d)?.unwrap_or_default(),
                _ => sum,
            };
            match highest_tier(p.tiers, p.shown_at) {
                Some(t) => {
                    out.tier_name = Some(t.name.clone());
                    out.rate = if marginal_mode { t.rate } else { None };
                }
                None => out.below_first_tier = true,
            }
            if marginal_mode {
                out.base = Some(p.base);
            }
            ctx.step(trace, || Step::Bands { marginal: marginal_mode, bands: bands(pieces), amount: out.amount });
        }
    }
    Ok(out)
}

/// After tiers (and floors): minAmount / maxAmount / capMultiplier, the refund mirror
/// (SPEC §18.37), rounding, then the period cap on the rounded line. Returns (rounded, final).
pub(crate) fn settle(
    ctx: &Ctx<'_>,
    rule: &Rule,
    amount: Decimal,
    quota: Option<&QuotaUse>,
    mirror: bool,
    paid: &mut Decimal,
    trace: &mut Vec<Step>,
) -> Result<(Decimal, Decimal)> {
    let mut amount = ctx.clamp(rule, amount, quota, trace)?;
    if mirror {
        amount = -amount;
        ctx.step(trace, || Step::Refund { after: amount });
    }
    let rounded = ctx.round(amount);
    ctx.step(trace, || Step::Round { before: amount, after: rounded });
    let fin = ctx.period_cap(rule, rounded, paid, trace)?;
    Ok((rounded, fin))
}

fn bands(pieces: Vec<BandPiece>) -> Vec<Band> {
    pieces
        .into_iter()
        .map(|p| Band { tier: p.tier, from: p.from, to: p.to, overlap: p.overlap, amount: p.amount })
        .collect()
}
