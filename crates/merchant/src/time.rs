//! Local date and time as statements and journals print them, without a time zone: a
//! [`Timestamp`] in seconds and a [`Date`] in days, both counted from 1970-01-01, so that the
//! reconciler can order rows and tell days apart with integer arithmetic.

use core::fmt;

use crate::error::{Error, ErrorKind};

const SECONDS_PER_DAY: i64 = 86_400;

/// A day, counted from 1970-01-01 (negative before it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(i64);

impl Date {
    /// `YYYY-MM-DD`, `YYYY/MM/DD` or `YYYYMMDD`.
    ///
    /// # Errors
    /// [`ErrorKind::NotATime`] at the offending character; [`ErrorKind::OutOfRange`] for a
    /// month, or a day of that month, that does not exist.
    pub fn parse(text: &[u8]) -> Result<Self, Error> {
        let (date, rest) = parse_date(text)?;
        if !rest.is_empty() {
            return Err(Error::new(ErrorKind::NotATime, text.len() - rest.len()));
        }
        Ok(date)
    }

    /// The day from year, month (1–12) and day of month, `None` when it does not exist.
    pub fn from_ymd(year: i64, month: u8, day: u8) -> Option<Self> {
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return None;
        }
        Some(Self(days_from_civil(year, month, day)))
    }

    /// Year, month (1–12) and day of month.
    pub const fn ymd(self) -> (i64, u8, u8) {
        civil_from_days(self.0)
    }

    /// Days since 1970-01-01.
    pub const fn days(self) -> i64 {
        self.0
    }

    /// Midnight at the start of the day.
    pub const fn start(self) -> Timestamp {
        Timestamp(self.0.saturating_mul(SECONDS_PER_DAY))
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = self.ymd();
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

/// A local date and time to the second, counted from 1970-01-01 00:00:00.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

impl Timestamp {
    /// `YYYY-MM-DD hh:mm:ss`, with `T` or a space between date and time, `/` or `-` in the
    /// date, the seconds optional (`YYYY-MM-DD hh:mm`); or the 14 digits `YYYYMMDDhhmmss`.
    ///
    /// # Errors
    /// [`ErrorKind::NotATime`] at the offending character; [`ErrorKind::OutOfRange`] for a
    /// date that does not exist or an hour, minute or second out of range.
    pub fn parse(text: &[u8]) -> Result<Self, Error> {
        let (date, rest) = parse_date(text)?;
        let at = text.len() - rest.len();
        let bad = |i: usize| Error::new(ErrorKind::NotATime, at + i);
        let compact = text.len() == 14 && text.iter().all(u8::is_ascii_digit);
        let (hh, mm, ss) = if compact {
            match *rest {
                [h1, h0, m1, m0, s1, s0] => (
                    two(h1, h0).ok_or(bad(0))?,
                    two(m1, m0).ok_or(bad(2))?,
                    two(s1, s0).ok_or(bad(4))?,
                ),
                _ => return Err(bad(0)),
            }
        } else {
            match *rest {
                [b' ' | b'T', h1, h0, b':', m1, m0] => {
                    (two(h1, h0).ok_or(bad(1))?, two(m1, m0).ok_or(bad(4))?, 0)
                }
                [b' ' | b'T', h1, h0, b':', m1, m0, b':', s1, s0] => (
                    two(h1, h0).ok_or(bad(1))?,
                    two(m1, m0).ok_or(bad(4))?,
                    two(s1, s0).ok_or(bad(7))?,
                ),
                [] => return Err(Error::new(ErrorKind::NotATime, at)),
                _ => return Err(bad(0)),
            }
        };
        if hh > 23 || mm > 59 || ss > 59 {
            return Err(Error::new(ErrorKind::OutOfRange, at));
        }
        let seconds = i64::from(hh) * 3600 + i64::from(mm) * 60 + i64::from(ss);
        Ok(Self(date.start().0 + seconds))
    }

    /// Seconds since 1970-01-01 00:00:00.
    pub const fn seconds(self) -> i64 {
        self.0
    }

    /// A timestamp from seconds since 1970-01-01 00:00:00.
    pub const fn from_seconds(seconds: i64) -> Self {
        Self(seconds)
    }

    /// The day it falls on.
    pub const fn date(self) -> Date {
        Date(self.0.div_euclid(SECONDS_PER_DAY))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.0.rem_euclid(SECONDS_PER_DAY);
        write!(
            f,
            "{} {:02}:{:02}:{:02}",
            self.date(),
            s / 3600,
            s / 60 % 60,
            s % 60
        )
    }
}

/// The date at the start of `text` and what follows it.
fn parse_date(text: &[u8]) -> Result<(Date, &[u8]), Error> {
    let bad = |i: usize| Error::new(ErrorKind::NotATime, i);
    let (y, m, d, rest) = match *text {
        [y3, y2, y1, y0, s1, m1, m0, s2, d1, d0, ref rest @ ..]
            if matches!((s1, s2), (b'-', b'-') | (b'/', b'/')) =>
        {
            (
                four([y3, y2, y1, y0]).ok_or(bad(0))?,
                two(m1, m0).ok_or(bad(5))?,
                two(d1, d0).ok_or(bad(8))?,
                rest,
            )
        }
        [y3, y2, y1, y0, m1, m0, d1, d0, ref rest @ ..]
            if text.iter().take(8).all(u8::is_ascii_digit) =>
        {
            (
                four([y3, y2, y1, y0]).ok_or(bad(0))?,
                two(m1, m0).ok_or(bad(4))?,
                two(d1, d0).ok_or(bad(6))?,
                rest,
            )
        }
        _ => {
            let at = text
                .iter()
                .position(|b| !b.is_ascii_digit())
                .unwrap_or(text.len());
            return Err(bad(at));
        }
    };
    let date = Date::from_ymd(i64::from(y), m, d).ok_or(Error::new(ErrorKind::OutOfRange, 0))?;
    Ok((date, rest))
}

fn two(a: u8, b: u8) -> Option<u8> {
    (a.is_ascii_digit() && b.is_ascii_digit()).then(|| (a - b'0') * 10 + (b - b'0'))
}

fn four(d: [u8; 4]) -> Option<u16> {
    d.iter().try_fold(0u16, |acc, &b| {
        b.is_ascii_digit().then(|| acc * 10 + u16::from(b - b'0'))
    })
}

const fn is_leap(y: i64) -> bool {
    y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
}

const fn days_in_month(y: i64, m: u8) -> u8 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
const fn days_from_civil(y: i64, m: u8, d: u8) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = m as i64;
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The inverse of [`days_from_civil`].
// The day (1–31) and month (1–12) are in range by construction of the algorithm.
#[allow(clippy::cast_possible_truncation)]
const fn civil_from_days(z: i64) -> (i64, u8, u8) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    let y = yoe + era * 400 + if m <= 2 { 1 } else { 0 };
    (y, m, d)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may fail loudly
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn timestamps_in_the_layouts_statements_use() {
        let p = |s: &str| Timestamp::parse(s.as_bytes());
        let t = p("2026-11-02 09:12:04").unwrap();
        assert_eq!(t.to_string(), "2026-11-02 09:12:04");
        assert_eq!(p("2026-11-02T09:12:04"), Ok(t));
        assert_eq!(p("2026/11/02 09:12:04"), Ok(t));
        assert_eq!(p("20261102091204"), Ok(t));
        assert_eq!(
            p("2026-11-02 09:12").unwrap().to_string(),
            "2026-11-02 09:12:00"
        );
        assert_eq!(p("1970-01-01 00:00:00").unwrap().seconds(), 0);
        assert_eq!(
            p("2024-02-29 23:59:59").unwrap().date().to_string(),
            "2024-02-29"
        );
        assert_eq!(t.date(), Date::parse(b"2026-11-02").unwrap());
        for bad in [
            "",
            "2026-11-02",
            "2026-13-02 00:00",
            "2025-02-29 00:00",
            "2026-11-02 24:00",
            "2026-11-02 09:60",
            "2026-11-02 09:1",
            "2026-11-02x09:12",
            "2026-11-02 09:12:04.5",
            "x",
            "2026-11-0",
        ] {
            assert!(p(bad).is_err(), "{bad}");
        }
        assert_eq!(p("2026-11-02 0x:12").map_err(|e| e.offset()), Err(11));
    }

    #[test]
    fn dates_round_trip_over_centuries() {
        for days in (-800_000..800_000).step_by(997) {
            let d = Date(days);
            let (y, m, dd) = d.ymd();
            assert_eq!(Date::from_ymd(y, m, dd), Some(d));
        }
        assert_eq!(Date::parse(b"20261102").unwrap().to_string(), "2026-11-02");
        assert_eq!(
            Date::parse(b"2026/11/02").unwrap().to_string(),
            "2026-11-02"
        );
        assert!(Date::parse(b"2026-11-02 ").is_err());
        assert!(Date::parse(b"2026-02-30").is_err());
        assert_eq!(Date::parse(b"1969-12-31").unwrap().days(), -1);
    }
}
