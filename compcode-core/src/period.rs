//! Periods (SPEC §2): monthly `YYYY-MM`, quarterly `YYYY-QN` and annual `YYYY`, with fiscal
//! quarters and years when `fiscalYearStartMonth` is not 1.

use chrono::{Datelike, NaiveDate};
use std::fmt;

/// The length of a rule's attainment period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PeriodKind {
    /// `YYYY-MM`, calendar months.
    Monthly,
    /// `YYYY-QN`, fiscal quarters.
    Quarterly,
    /// `YYYY`, fiscal years.
    Annual,
}

impl PeriodKind {
    /// Parses `monthly`, `quarterly` or `annual`.
    ///
    /// ```
    /// use compcode_core::period::PeriodKind;
    /// assert_eq!(PeriodKind::parse("annual"), Some(PeriodKind::Annual));
    /// ```
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "monthly" => PeriodKind::Monthly,
            "quarterly" => PeriodKind::Quarterly,
            "annual" => PeriodKind::Annual,
            _ => return None,
        })
    }

    /// The spelling used in plan JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            PeriodKind::Monthly => "monthly",
            PeriodKind::Quarterly => "quarterly",
            PeriodKind::Annual => "annual",
        }
    }
}

/// One period: a month, a (fiscal) quarter or a (fiscal) year.
///
/// Ordering is chronological within one kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Period {
    /// Calendar year for months; fiscal year (the calendar year it ends in) otherwise.
    pub year: i32,
    /// The period's kind.
    pub kind: PeriodKind,
    /// Month 1–12, quarter 1–4, or 1 for a year.
    pub n: u32,
}

impl Period {
    /// Parses a period string. Returns `None` for anything that is not `YYYY-MM`, `YYYY-QN` or
    /// `YYYY` with a 4-digit year.
    ///
    /// ```
    /// use compcode_core::period::{Period, PeriodKind};
    /// let p = Period::parse("2026-Q1").unwrap();
    /// assert_eq!((p.kind, p.year, p.n), (PeriodKind::Quarterly, 2026, 1));
    /// assert!(Period::parse("2026-13").is_none());
    /// assert!(Period::parse("Q1 2026").is_none());
    /// ```
    pub fn parse(s: &str) -> Option<Self> {
        let b = s.as_bytes();
        let year_ok = b.len() >= 4 && b[..4].iter().all(u8::is_ascii_digit);
        if !year_ok {
            return None;
        }
        let year: i32 = s[..4].parse().ok()?;
        match b.len() {
            4 => Some(Period { year, kind: PeriodKind::Annual, n: 1 }),
            7 if b[4] == b'-' && b[5] == b'Q' && (b'1'..=b'4').contains(&b[6]) => {
                Some(Period { year, kind: PeriodKind::Quarterly, n: u32::from(b[6] - b'0') })
            }
            7 if b[4] == b'-' && b[5].is_ascii_digit() && b[6].is_ascii_digit() => {
                let m: u32 = s[5..7].parse().ok()?;
                (1..=12).contains(&m).then_some(Period { year, kind: PeriodKind::Monthly, n: m })
            }
            _ => None,
        }
    }

    /// The period of `kind` that contains `date`, with the fiscal year starting in
    /// `fy_start_month` (1–12).
    ///
    /// ```
    /// use compcode_core::period::{Period, PeriodKind};
    /// use chrono::NaiveDate;
    /// let d = NaiveDate::from_ymd_opt(2025, 2, 10).unwrap();
    /// // fiscal year starting in February: FY2026 = 2025-02-01 .. 2026-01-31
    /// assert_eq!(Period::containing(d, PeriodKind::Quarterly, 2).to_string(), "2026-Q1");
    /// assert_eq!(Period::containing(d, PeriodKind::Annual, 1).to_string(), "2025");
    /// ```
    pub fn containing(date: NaiveDate, kind: PeriodKind, fy_start_month: u32) -> Self {
        let s = fy_start_month.clamp(1, 12);
        let (y, m) = (date.year(), date.month());
        let fy = if s == 1 || m < s { y } else { y + 1 };
        let months_in = (m + 12 - s) % 12; // 0-based month within the fiscal year
        match kind {
            PeriodKind::Monthly => Period { year: y, kind, n: m },
            PeriodKind::Quarterly => Period { year: fy, kind, n: months_in / 3 + 1 },
            PeriodKind::Annual => Period { year: fy, kind, n: 1 },
        }
    }

    /// The first day of the period.
    pub fn start(&self, fy_start_month: u32) -> NaiveDate {
        let s = fy_start_month.clamp(1, 12);
        let (y, m) = match self.kind {
            PeriodKind::Monthly => (self.year, self.n),
            PeriodKind::Quarterly | PeriodKind::Annual => {
                let offset = if self.kind == PeriodKind::Quarterly { (self.n - 1) * 3 } else { 0 };
                let fy_first_year = if s == 1 { self.year } else { self.year - 1 };
                let m0 = s - 1 + offset; // 0-based from January of fy_first_year
                (fy_first_year + (m0 / 12) as i32, m0 % 12 + 1)
            }
        };
        ymd(y, m, 1)
    }

    /// The first day after the period (its exclusive end). A period is closed when
    /// `asOf >= end` (SPEC §2).
    ///
    /// ```
    /// use compcode_core::period::Period;
    /// let q = Period::parse("2026-Q1").unwrap();
    /// assert_eq!(q.end(1).to_string(), "2026-04-01");
    /// assert_eq!(q.last_day(1).to_string(), "2026-03-31");
    /// ```
    pub fn end(&self, fy_start_month: u32) -> NaiveDate {
        let start = self.start(fy_start_month);
        let months = match self.kind {
            PeriodKind::Monthly => 1,
            PeriodKind::Quarterly => 3,
            PeriodKind::Annual => 12,
        };
        add_months(start, months)
    }

    /// The last day of the period.
    pub fn last_day(&self, fy_start_month: u32) -> NaiveDate {
        self.end(fy_start_month).pred_opt().unwrap_or(NaiveDate::MIN)
    }

    /// Number of days in the period.
    pub fn days(&self, fy_start_month: u32) -> i64 {
        (self.end(fy_start_month) - self.start(fy_start_month)).num_days()
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // the usual case (a 4-digit year, n < 100) written from a stack buffer: periods are
        // written for every line of an answer, and `write!` costs several times more (issue #9)
        if (0..=9999).contains(&self.year) && self.n < 100 && f.width().is_none() {
            let y = self.year as u32;
            let mut b = [
                b'0' + (y / 1000) as u8,
                b'0' + (y / 100 % 10) as u8,
                b'0' + (y / 10 % 10) as u8,
                b'0' + (y % 10) as u8,
                b'-',
                b'Q',
                b'0',
                b'0',
            ];
            let len = match self.kind {
                PeriodKind::Monthly => {
                    b[5] = b'0' + (self.n / 10) as u8;
                    b[6] = b'0' + (self.n % 10) as u8;
                    7
                }
                PeriodKind::Quarterly if self.n < 10 => {
                    b[6] = b'0' + self.n as u8;
                    7
                }
                PeriodKind::Quarterly => {
                    b[6] = b'0' + (self.n / 10) as u8;
                    b[7] = b'0' + (self.n % 10) as u8;
                    8
                }
                PeriodKind::Annual => 4,
            };
            // only ASCII digits, '-' and 'Q' were written
            return f.write_str(std::str::from_utf8(&b[..len]).unwrap_or_default());
        }
        match self.kind {
            PeriodKind::Monthly => write!(f, "{:04}-{:02}", self.year, self.n),
            PeriodKind::Quarterly => write!(f, "{:04}-Q{}", self.year, self.n),
            PeriodKind::Annual => write!(f, "{:04}", self.year),
        }
    }
}

fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or(NaiveDate::MIN)
}

fn add_months(d: NaiveDate, months: u32) -> NaiveDate {
    let total = d.month0() + months;
    ymd(d.year() + (total / 12) as i32, total % 12 + 1, 1)
}

/// Parses a strict `YYYY-MM-DD` date. A date-time (`2026-04-02T10:00:00Z`) counts by its date
/// (SPEC §8.5) when `allow_time` is true.
///
/// ```
/// use compcode_core::period::parse_date;
/// assert_eq!(parse_date("2026-02-28", false).unwrap().to_string(), "2026-02-28");
/// assert!(parse_date("2026-02-30", false).is_none());
/// assert_eq!(parse_date("2026-04-02T23:59:00Z", true).unwrap().to_string(), "2026-04-02");
/// ```
pub fn parse_date(s: &str, allow_time: bool) -> Option<NaiveDate> {
    let b = s.as_bytes();
    if b.len() < 10 || (b.len() > 10 && !(allow_time && (b[10] == b'T' || b[10] == b' '))) {
        return None;
    }
    let head = &s[..10];
    let hb = head.as_bytes();
    let shape = hb.iter().enumerate().all(|(i, c)| if i == 4 || i == 7 { *c == b'-' } else { c.is_ascii_digit() });
    if !shape {
        return None;
    }
    // the shape is checked: read the digits directly (chrono's `parse_from_str` interprets a
    // format string on every call, a hot spot of deal runs, issue #9); same dates, same `None`s
    let num = |r: std::ops::Range<usize>| hb[r].iter().fold(0u32, |n, c| n * 10 + u32::from(c - b'0'));
    let year = i32::try_from(num(0..4)).ok()?;
    NaiveDate::from_ymd_opt(year, num(5..7), num(8..10))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        parse_date(s, false).unwrap()
    }

    #[test]
    fn the_fast_text_is_the_formatted_text() {
        for year in [-5, 0, 7, 99, 999, 1000, 2026, 9999, 10000, 123456] {
            for n in [0, 1, 4, 9, 10, 12, 99, 100, 1234] {
                for kind in [PeriodKind::Monthly, PeriodKind::Quarterly, PeriodKind::Annual] {
                    let p = Period { year, kind, n };
                    let slow = match kind {
                        PeriodKind::Monthly => format!("{:04}-{:02}", year, n),
                        PeriodKind::Quarterly => format!("{:04}-Q{}", year, n),
                        PeriodKind::Annual => format!("{:04}", year),
                    };
                    assert_eq!(p.to_string(), slow, "{p:?}");
                }
            }
        }
    }

    #[test]
    fn parse_date_reads_as_chrono_does() {
        for y in ["0000", "0001", "1999", "2024", "2026", "9999"] {
            for m in 0..=13 {
                for dd in [0u32, 1, 9, 10, 28, 29, 30, 31, 32, 99] {
                    let text = format!("{y}-{m:02}-{dd:02}");
                    let chrono = NaiveDate::parse_from_str(&text, "%Y-%m-%d").ok();
                    assert_eq!(parse_date(&text, false), chrono, "{text}");
                    assert_eq!(parse_date(&format!("{text}T10:00:00Z"), true), chrono, "{text}");
                }
            }
        }
        for bad in ["2026-1-01", "2026/01/01", "+026-01-01", "2026-01-0a", "2026-01-01x", ""] {
            assert_eq!(parse_date(bad, true), None, "{bad}");
        }
    }

    #[test]
    fn calendar_periods() {
        let p = Period::containing(d("2026-03-31"), PeriodKind::Quarterly, 1);
        assert_eq!(p.to_string(), "2026-Q1");
        assert_eq!(p.start(1), d("2026-01-01"));
        assert_eq!(Period::containing(d("2026-12-31"), PeriodKind::Monthly, 1).to_string(), "2026-12");
        assert_eq!(Period::parse("2026-12").unwrap().end(1), d("2027-01-01"));
    }

    #[test]
    fn fiscal_periods_round_trip() {
        for s in 1..=12u32 {
            let mut day = d("2024-01-01");
            while day < d("2027-01-01") {
                for kind in [PeriodKind::Monthly, PeriodKind::Quarterly, PeriodKind::Annual] {
                    let p = Period::containing(day, kind, s);
                    assert!(p.start(s) <= day && day < p.end(s), "{s} {day} {p}");
                    assert_eq!(Period::parse(&p.to_string()), Some(p));
                }
                day = day.succ_opt().unwrap();
            }
        }
    }

    #[test]
    fn fiscal_year_ends_in_its_calendar_year() {
        let fy = Period::parse("2026").unwrap();
        assert_eq!(fy.start(2), d("2025-02-01"));
        assert_eq!(fy.last_day(2), d("2026-01-31"));
        let q4 = Period::parse("2026-Q4").unwrap();
        assert_eq!(q4.start(2), d("2025-11-01"));
        assert_eq!(q4.last_day(2), d("2026-01-31"));
    }
}
