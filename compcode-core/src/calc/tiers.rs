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

/// Where band `i` ends in value units: the next tier's `minThreshold × scale`, the last one's
/// `maxThreshold × scale`, or open.
fn band_end(tiers: &[Tier], i: usize, scale: Decimal) -> Result<Option<Decimal>> {
    match tiers.get(i + 1) {
        Some(n) => n.min_threshold.mul_c(scale).map(Some),
        None => tiers[i].max_threshold.map(|m| m.mul_c(scale)).transpose(),
    }
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
    // band i's start is band i-1's end: each threshold is scaled once (issue #9)
    let mut next_lo = None;
    for i in 0..tiers.len() {
        let lo = match next_lo {
            Some(lo) => lo,
            None => tiers[i].min_threshold.mul_c(scale)?,
        };
        // a band starting at or after the interval's end pays nothing, and neither do the later
        // ones when their starts increase (validated tiers do; a positive scale keeps the order)
        if lo >= b && scale > Decimal::ZERO && tiers[i..].windows(2).all(|w| w[0].min_threshold < w[1].min_threshold) {
            break;
        }
        let hi = band_end(tiers, i, scale)?;
        next_lo = hi.filter(|_| i + 1 < tiers.len());
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

    /// The band walk as it was before issue #9 shortened it: every band, each threshold scaled
    /// where it is used.
    fn banded_every_band(
        tiers: &[Tier],
        scale: Decimal,
        from: Decimal,
        to: Decimal,
        pay: impl Fn(&Tier, Decimal, Option<Decimal>) -> Result<Option<Decimal>>,
    ) -> Result<(Decimal, Vec<BandPiece>)> {
        let (a, b, sign) = if to < from { (to, from, -Decimal::ONE) } else { (from, to, Decimal::ONE) };
        let (mut total, mut pieces) = (Decimal::ZERO, Vec::new());
        for i in 0..tiers.len() {
            let (lo, hi) = (tiers[i].min_threshold.mul_c(scale)?, band_end(tiers, i, scale)?);
            let ov = overlap(a, b, lo, hi)?;
            if ov.is_zero() {
                continue;
            }
            let width = hi.map(|h| h.sub_c(lo)).transpose()?;
            let amount = pay(&tiers[i], ov, width)?.unwrap_or(Decimal::ZERO).mul_c(sign)?;
            total = total.add_c(amount)?;
            pieces.push(BandPiece { tier: tiers[i].name.clone(), from: lo, to: hi, overlap: ov.mul_c(sign)?, amount });
        }
        Ok((total, pieces))
    }

    use proptest::prelude::*;

    fn tiers() -> impl Strategy<Value = Vec<Tier>> {
        // thresholds as hundredths; sorted or not (a host may build a document by hand)
        (prop::collection::vec((0i64..400, 0i64..30, 1i64..50), 1..5), any::<bool>(), prop::option::of(1i64..600))
            .prop_map(|(raw, sort, max)| {
                let mut mins: Vec<i64> = raw.iter().map(|r| r.0).collect();
                if sort {
                    mins.sort_unstable();
                    mins.dedup();
                }
                let n = mins.len();
                mins.iter()
                    .zip(&raw)
                    .enumerate()
                    .map(|(i, (&m, r))| Tier {
                        tier_index: i as i64,
                        name: format!("T{i}").into(),
                        min_threshold: Decimal::new(m, 2),
                        max_threshold: max.filter(|_| i + 1 == n).map(|x| Decimal::new(m + x, 2)),
                        rate: Some(Decimal::new(r.1, 2)),
                        flat_amount: Some(Decimal::new(r.2, 0)),
                    })
                    .collect()
            })
    }

    proptest! {
        // issue #9: scaling each threshold once and stopping at the first band past the interval
        // give the same sums and pieces as walking every band
        #[test]
        fn band_walk_equals_walking_every_band(
            tiers in tiers(),
            scale in -5i64..2000,
            from in -3000i64..30000,
            to in -3000i64..30000,
        ) {
            let (scale, from, to) = (Decimal::new(scale, 0), Decimal::new(from, 0), Decimal::new(to, 0));
            for marginal_mode in [true, false] {
                let pay = if marginal_mode { marginal_pay } else { interpolated_pay };
                let got = banded(&tiers, scale, from, to, true, pay).unwrap();
                prop_assert_eq!(&got, &banded_every_band(&tiers, scale, from, to, pay).unwrap());
                prop_assert_eq!(banded(&tiers, scale, from, to, false, pay).unwrap().0, got.0);
            }
        }
    }
}
