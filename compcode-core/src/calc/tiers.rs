//! Tier math (SPEC §6, §8.1): picking a tier, marginal bands and interpolated bands.

use crate::error::{Error, Result};
use crate::model::{Name, Tier};
use rust_decimal::Decimal;

/// Checked decimal arithmetic: overflow is `arithmetic_overflow`, never a panic.
pub(crate) trait Checked: Sized {
    fn mul_c(self, o: Decimal) -> Result<Decimal>;
    fn add_c(self, o: Decimal) -> Result<Decimal>;
    fn sub_c(self, o: Decimal) -> Result<Decimal>;
    /// Division; `None` when dividing by zero.
    fn div_c(self, o: Decimal) -> Result<Option<Decimal>>;
}

impl Checked for Decimal {
    fn mul_c(self, o: Decimal) -> Result<Decimal> {
        self.checked_mul(o).ok_or_else(|| Error::overflow("a product"))
    }
    fn add_c(self, o: Decimal) -> Result<Decimal> {
        self.checked_add(o).ok_or_else(|| Error::overflow("a sum"))
    }
    fn sub_c(self, o: Decimal) -> Result<Decimal> {
        self.checked_sub(o).ok_or_else(|| Error::overflow("a difference"))
    }
    fn div_c(self, o: Decimal) -> Result<Option<Decimal>> {
        if o.is_zero() {
            return Ok(None);
        }
        self.checked_div(o).map(Some).ok_or_else(|| Error::overflow("a quotient"))
    }
}

/// The highest tier whose `minThreshold ≤ x` (tiers sorted by index, thresholds increasing).
pub fn highest_tier(tiers: &[Tier], x: Decimal) -> Option<&Tier> {
    tiers.iter().rev().find(|t| t.min_threshold <= x)
}

/// One band's share of a marginal / interpolated payout (for traces).
#[derive(Debug, Clone, PartialEq)]
pub struct BandPiece {
    /// Tier name.
    pub tier: Name,
    /// Band start (in credited-value units).
    pub from: Decimal,
    /// Band end (`None` = open).
    pub to: Option<Decimal>,
    /// Overlap with the deal's interval (signed).
    pub overlap: Decimal,
    /// Amount from this band.
    pub amount: Decimal,
}

/// Band `i` in value units: `[min_i × scale, min_{i+1} × scale)`, the last one ending at its
/// `maxThreshold × scale` or open.
fn band(tiers: &[Tier], i: usize, scale: Decimal) -> Result<(Decimal, Option<Decimal>)> {
    let lo = tiers[i].min_threshold.mul_c(scale)?;
    let hi = match tiers.get(i + 1) {
        Some(n) => Some(n.min_threshold.mul_c(scale)?),
        None => match tiers[i].max_threshold {
            Some(m) => Some(m.mul_c(scale)?),
            None => None,
        },
    };
    Ok((lo, hi))
}

fn overlap(a: Decimal, b: Decimal, lo: Decimal, hi: Option<Decimal>) -> Result<Decimal> {
    let top = match hi {
        Some(h) => b.min(h),
        None => b,
    };
    let o = top.sub_c(a.max(lo))?;
    Ok(if o > Decimal::ZERO { o } else { Decimal::ZERO })
}

/// Marginal payout of the interval `[from, to]` (backwards and negative when `to < from`):
/// Σ overlap_i × rate_i. Flat tiers never occur here (validation refuses them).
pub fn marginal(tiers: &[Tier], scale: Decimal, from: Decimal, to: Decimal) -> Result<(Decimal, Vec<BandPiece>)> {
    banded(tiers, scale, from, to, true, marginal_pay)
}

/// What a marginal band pays: its overlap × its rate.
pub(crate) fn marginal_pay(t: &Tier, overlap: Decimal, _width: Option<Decimal>) -> Result<Option<Decimal>> {
    match t.rate {
        Some(r) => overlap.mul_c(r).map(Some),
        None => Ok(Some(Decimal::ZERO)),
    }
}

/// Interpolated payout: band i pays `flatAmount_i × overlap_i / bandWidth_i`.
///
/// SPEC §8.1's example: bands 0–1000 → 10, 1000–3000 → 40, a 1500 deal pays
/// 10 + 40 × 500 / 2000 = 20.
pub fn interpolated(tiers: &[Tier], scale: Decimal, from: Decimal, to: Decimal) -> Result<(Decimal, Vec<BandPiece>)> {
    banded(tiers, scale, from, to, true, interpolated_pay)
}

/// What an interpolated band pays: its flat amount × overlap / width (an open band nothing).
pub(crate) fn interpolated_pay(t: &Tier, overlap: Decimal, width: Option<Decimal>) -> Result<Option<Decimal>> {
    let flat = t.flat_amount.unwrap_or(Decimal::ZERO);
    match width {
        Some(w) => Ok(flat.mul_c(overlap)?.div_c(w)?),
        None => Ok(Some(Decimal::ZERO)),
    }
}

/// The band walk of [`marginal`] and [`interpolated`]: Σ `pay` over the bands the interval
/// overlaps, with the pieces only when `keep_pieces` (a run without traces needs only the sum).
pub(crate) fn banded(
    tiers: &[Tier],
    scale: Decimal,
    from: Decimal,
    to: Decimal,
    keep_pieces: bool,
    pay: impl Fn(&Tier, Decimal, Option<Decimal>) -> Result<Option<Decimal>>,
) -> Result<(Decimal, Vec<BandPiece>)> {
    let (a, b, sign) = if to < from { (to, from, -Decimal::ONE) } else { (from, to, Decimal::ONE) };
    let mut total = Decimal::ZERO;
    let mut pieces = Vec::new();
    for i in 0..tiers.len() {
        let (lo, hi) = band(tiers, i, scale)?;
        let ov = overlap(a, b, lo, hi)?;
        if ov.is_zero() {
            continue;
        }
        let width = match hi {
            Some(h) => Some(h.sub_c(lo)?),
            None => None,
        };
        let amount = pay(&tiers[i], ov, width)?.unwrap_or(Decimal::ZERO).mul_c(sign)?;
        total = total.add_c(amount)?;
        if keep_pieces {
            pieces.push(BandPiece { tier: tiers[i].name.clone(), from: lo, to: hi, overlap: ov.mul_c(sign)?, amount });
        }
    }
    Ok((total, pieces))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(i: i64, min: &str, rate: Option<&str>, flat: Option<&str>, max: Option<&str>) -> Tier {
        Tier {
            tier_index: i,
            name: format!("T{i}").into(),
            min_threshold: min.parse().unwrap(),
            max_threshold: max.map(|m| m.parse().unwrap()),
            rate: rate.map(|r| r.parse().unwrap()),
            flat_amount: flat.map(|f| f.parse().unwrap()),
        }
    }

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn spec_interpolated_example() {
        let tiers = [t(0, "0", None, Some("10"), None), t(1, "1000", None, Some("40"), Some("3000"))];
        let (amt, _) = interpolated(&tiers, Decimal::ONE, d("0"), d("1500")).unwrap();
        assert_eq!(amt, d("20"));
    }

    #[test]
    fn spec_marginal_d3_d4() {
        let tiers = [
            t(0, "0", Some("0.08"), None, None),
            t(1, "1.0", Some("0.10"), None, None),
            t(2, "1.25", Some("0.14"), None, None),
        ];
        let scale = d("500000");
        assert_eq!(marginal(&tiers, scale, d("450000"), d("550000")).unwrap().0, d("9000"));
        assert_eq!(marginal(&tiers, scale, d("550000"), d("650000")).unwrap().0, d("11000"));
        // backwards: a negative deal pays negatively
        assert_eq!(marginal(&tiers, scale, d("650000"), d("550000")).unwrap().0, d("-11000"));
    }

    #[test]
    fn max_threshold_ends_the_top_band() {
        let tiers = [t(0, "0", Some("0.1"), None, Some("1000"))];
        assert_eq!(marginal(&tiers, Decimal::ONE, d("0"), d("5000")).unwrap().0, d("100"));
    }
}
