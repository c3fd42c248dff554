//! Exact decimal helpers: parsing decimal text, rounding payout lines (SPEC §1) and writing
//! decimals as text.

use rust_decimal::{Decimal, RoundingStrategy};
use std::str::FromStr;

/// How a payout line is rounded to `currencyPrecision` (SPEC §1, §8.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Rounding {
    /// Halves go away from zero (the default): 0.125 → 0.13, -0.125 → -0.13.
    #[default]
    HalfAwayFromZero,
    /// Banker's rounding: halves go to the even neighbour: 0.125 → 0.12.
    HalfEven,
    /// Toward zero: 0.129 → 0.12, -0.129 → -0.12.
    Down,
    /// Away from zero: 0.121 → 0.13, -0.121 → -0.13.
    Up,
}

impl Rounding {
    /// Parses the settings spelling (`half_away_from_zero`, `half_even`, `down`, `up`).
    ///
    /// ```
    /// use compcode_core::decimal::Rounding;
    /// assert_eq!(Rounding::parse("half_even"), Some(Rounding::HalfEven));
    /// assert_eq!(Rounding::parse("bankers"), None);
    /// ```
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "half_away_from_zero" => Rounding::HalfAwayFromZero,
            "half_even" => Rounding::HalfEven,
            "down" => Rounding::Down,
            "up" => Rounding::Up,
            _ => return None,
        })
    }

    /// The settings spelling of this mode.
    pub fn as_str(self) -> &'static str {
        match self {
            Rounding::HalfAwayFromZero => "half_away_from_zero",
            Rounding::HalfEven => "half_even",
            Rounding::Down => "down",
            Rounding::Up => "up",
        }
    }

    fn strategy(self) -> RoundingStrategy {
        match self {
            Rounding::HalfAwayFromZero => RoundingStrategy::MidpointAwayFromZero,
            Rounding::HalfEven => RoundingStrategy::MidpointNearestEven,
            Rounding::Down => RoundingStrategy::ToZero,
            Rounding::Up => RoundingStrategy::AwayFromZero,
        }
    }
}

/// Rounds `value` to `dp` decimals with `mode`, and always writes exactly `dp` decimals.
///
/// ```
/// use compcode_core::decimal::{round_money, Rounding};
/// use rust_decimal::Decimal;
/// let d: Decimal = "2.345".parse().unwrap();
/// assert_eq!(round_money(d, 2, Rounding::HalfEven).to_string(), "2.34");
/// assert_eq!(round_money(d, 2, Rounding::HalfAwayFromZero).to_string(), "2.35");
/// assert_eq!(round_money(Decimal::from(7), 2, Rounding::Down).to_string(), "7.00");
/// ```
pub fn round_money(value: Decimal, dp: u32, mode: Rounding) -> Decimal {
    let mut r = value.round_dp_with_strategy(dp, mode.strategy());
    r.rescale(dp);
    if r.is_zero() {
        // never write "-0.00"
        r.set_sign_positive(true);
    }
    r
}

/// Parses decimal text as found in JSON: plain (`"0.08"`, `"-12"`, `"1_000"` is refused) or
/// scientific (`"1e5"`, `"2.5E-3"`). Leading/trailing spaces are refused.
///
/// ```
/// use compcode_core::decimal::parse_decimal;
/// assert_eq!(parse_decimal("0.08").unwrap().to_string(), "0.08");
/// assert_eq!(parse_decimal("1e3").unwrap().to_string(), "1000");
/// assert!(parse_decimal("abc").is_none());
/// assert!(parse_decimal("NaN").is_none());
/// ```
pub fn parse_decimal(text: &str) -> Option<Decimal> {
    let t = text;
    if t.is_empty() || t.len() > 64 {
        return None;
    }
    let ok_chars = t.bytes().all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+' | b'e' | b'E'));
    if !ok_chars || !t.bytes().any(|b| b.is_ascii_digit()) {
        return None;
    }
    if t.contains(['e', 'E']) {
        Decimal::from_scientific(t).ok()
    } else {
        let body = t.strip_prefix('+').unwrap_or(t);
        Decimal::from_str(body).ok()
    }
}

/// Writes a decimal normalized: no exponent, no trailing zeros, `"0"` for zero.
///
/// ```
/// use compcode_core::decimal::fmt_plain;
/// use rust_decimal::Decimal;
/// assert_eq!(fmt_plain("0.100".parse::<Decimal>().unwrap()), "0.1");
/// assert_eq!(fmt_plain("-0.00".parse::<Decimal>().unwrap()), "0");
/// assert_eq!(fmt_plain("200000".parse::<Decimal>().unwrap()), "200000");
/// ```
pub fn fmt_plain(d: Decimal) -> String {
    let mut n = d.normalize();
    if n.is_zero() {
        n.set_sign_positive(true);
    }
    to_text(n)
}

/// `d.to_string()` (`Decimal`'s `Display`: every digit of its scale, `-` when negative), written
/// straight into a `String` of the right size: about 4× cheaper than going through
/// `core::fmt`, and every output line writes several decimals (issue #9).
///
/// ```
/// use compcode_core::decimal::to_text;
/// use rust_decimal::Decimal;
/// assert_eq!(to_text(Decimal::new(-5, 3)), "-0.005");
/// assert_eq!(to_text(Decimal::new(123450, 2)), "1234.50");
/// ```
pub fn to_text(d: Decimal) -> String {
    DecText::new(d).as_str().to_string()
}

/// A decimal's text (as [`to_text`] writes it) in a buffer on the stack: for writers that only
/// need a `&str` for a moment (serializers), no allocation at all.
///
/// ```
/// use compcode_core::decimal::DecText;
/// use rust_decimal::Decimal;
/// assert_eq!(DecText::new(Decimal::new(-105, 2)).as_str(), "-1.05");
/// ```
pub struct DecText {
    buf: [u8; 40],
    len: usize,
}

/// "00" "01" … "99": two digits per division.
const PAIRS: &[u8; 200] = b"0001020304050607080910111213141516171819\
2021222324252627282930313233343536373839\
4041424344454647484950515253545556575859\
6061626364656667686970717273747576777879\
8081828384858687888990919293949596979899";

/// Writes the digits of `x` ending before `end`; returns where they start.
fn put_u64(digits: &mut [u8; 40], end: usize, mut x: u64) -> usize {
    let mut p = end;
    while x >= 100 {
        let r = (x % 100) as usize * 2;
        x /= 100;
        p -= 2;
        digits[p..p + 2].copy_from_slice(&PAIRS[r..r + 2]);
    }
    if x >= 10 {
        let r = x as usize * 2;
        p -= 2;
        digits[p..p + 2].copy_from_slice(&PAIRS[r..r + 2]);
    } else {
        p -= 1;
        digits[p] = b'0' + x as u8;
    }
    p
}

impl DecText {
    /// Writes `d` (every digit of its scale, `-` when negative, like `Display`).
    pub fn new(d: Decimal) -> DecText {
        let m = d.mantissa().unsigned_abs();
        let scale = d.scale() as usize;
        // the mantissa's digits at the end of `digits` (at most 29 of them, scale at most 28)
        const N: usize = 40;
        let mut digits = [b'0'; N];
        let mut p = match u64::try_from(m) {
            Ok(x) => put_u64(&mut digits, N, x),
            Err(_) => {
                // one u128 division, then u64 arithmetic: m < 2^96, so m / 10^19 < 10^10 fits a
                // u64 (a ratio such as an attainment has 28 digits: one u128 division per digit
                // was most of the cost of writing it, issue #9)
                const E19: u128 = 10_000_000_000_000_000_000;
                let (hi, lo) = ((m / E19) as u64, (m % E19) as u64);
                put_u64(&mut digits, N, lo);
                // `lo` takes exactly 19 places ('0'-filled), `hi` > 0 comes before them
                put_u64(&mut digits, N - 19, hi)
            }
        };
        // at least one digit before the point (`digits` is '0'-filled)
        p = p.min(digits.len() - scale - 1);
        let int_len = digits.len() - p - scale;
        let mut buf = [0u8; 40];
        let mut len = 0;
        if d.is_sign_negative() {
            buf[0] = b'-';
            len = 1;
        }
        buf[len..len + int_len].copy_from_slice(&digits[p..p + int_len]);
        len += int_len;
        if scale > 0 {
            buf[len] = b'.';
            buf[len + 1..len + 1 + scale].copy_from_slice(&digits[digits.len() - scale..]);
            len += 1 + scale;
        }
        DecText { buf, len }
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        // only ASCII digits, '.' and '-' were written
        std::str::from_utf8(&self.buf[..self.len]).unwrap_or("")
    }
}

/// Writes a decimal with exactly `dp` decimals (money).
///
/// ```
/// use compcode_core::decimal::fmt_money;
/// use rust_decimal::Decimal;
/// assert_eq!(fmt_money(Decimal::new(16000, 0), 2), "16000.00");
/// ```
pub fn fmt_money(d: Decimal, dp: u32) -> String {
    let mut r = d;
    r.rescale(dp);
    if r.is_zero() {
        r.set_sign_positive(true);
    }
    to_text(r)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// `to_text` writes exactly what `Display` writes, for every mantissa size, scale and sign
        /// (negative zero included).
        #[test]
        fn to_text_is_display(lo in any::<u32>(), mid in any::<u32>(), hi in any::<u32>(),
                              small in any::<i64>(), neg in any::<bool>(), scale in 0u32..=28, which in 0u8..3) {
            let d = match which {
                0 => Decimal::from_parts(lo, mid, hi, neg, scale),
                1 => Decimal::from_i128_with_scale(small as i128, scale),
                _ => Decimal::from_parts(lo % 1000, 0, 0, neg, scale),
            };
            prop_assert_eq!(to_text(d), d.to_string());
        }
    }

    #[test]
    fn to_text_edges() {
        for d in [
            Decimal::ZERO,
            Decimal::MAX,
            Decimal::MIN,
            Decimal::new(-1, 28),
            Decimal::from_parts(0, 0, 0, true, 3),
            Decimal::new(10, 1),
            // around the u64 / u128 split and the 10^19 boundary of the u128 path
            Decimal::from_i128_with_scale(u64::MAX as i128, 5),
            Decimal::from_i128_with_scale(u64::MAX as i128 + 1, 28),
            Decimal::from_i128_with_scale(-(u64::MAX as i128) - 1, 0),
            Decimal::from_i128_with_scale(10_000_000_000_000_000_000 * 2, 3),
            Decimal::from_i128_with_scale(10_000_000_000_000_000_000 * 2 - 1, 27),
            Decimal::from_i128_with_scale(10_000_000_000_000_000_000 * 7 + 5, 20),
        ] {
            assert_eq!(to_text(d), d.to_string());
        }
    }

    fn d(s: &str) -> Decimal {
        parse_decimal(s).unwrap()
    }

    #[test]
    fn every_rounding_mode_on_a_half_cent() {
        let v = d("10.125");
        assert_eq!(round_money(v, 2, Rounding::HalfAwayFromZero), d("10.13"));
        assert_eq!(round_money(v, 2, Rounding::HalfEven), d("10.12"));
        assert_eq!(round_money(v, 2, Rounding::Down), d("10.12"));
        assert_eq!(round_money(v, 2, Rounding::Up), d("10.13"));
        let n = d("-10.125");
        assert_eq!(round_money(n, 2, Rounding::HalfAwayFromZero), d("-10.13"));
        assert_eq!(round_money(n, 2, Rounding::Down), d("-10.12"));
        assert_eq!(round_money(n, 2, Rounding::Up), d("-10.13"));
    }

    #[test]
    fn negative_zero_is_written_as_zero() {
        assert_eq!(fmt_money(round_money(d("-0.001"), 2, Rounding::Down), 2), "0.00");
    }

    #[test]
    fn rejects_non_numbers() {
        for bad in ["", " 1", "1 ", "inf", "1,5", "--1", "0x10", "e", "."] {
            assert!(parse_decimal(bad).is_none(), "{bad:?}");
        }
    }
}
