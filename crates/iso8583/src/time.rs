//! The local date and time of a transaction, the one date-time type of cardwire: the terminal
//! reads it from its clock (no_std has none) and the acquirer from the system's, fields 12 and
//! 13 carry it (hhmmss, MMDD), EMV tags `9A` and `9F21` are derived from it (YYMMDD, hhmmss in
//! BCD), receipts, ledgers and statements print it (`YYYY-MM-DD hh:mm:ss`).

use core::fmt;

use crate::decimal::digits;

/// A local date and time to the second, checked to exist on construction (Gregorian
/// calendar).
///
/// Years run from 2000 to 2099: the range in which every form the messages carry reads back
/// to one date — EMV's two-digit year (`9A`), a card's expiry `YYMM` compared with today, and
/// fields 12 and 13, which carry no year at all. A clock outside it is broken, and the type
/// says so instead of carrying a date that would be misread on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DateTime {
    year: u16,
    month: u8,
    day: u8,
    hour: u8,
    minute: u8,
    second: u8,
}

const fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Packs the two-digit groups of `value` (at most 999 999) into 3 BCD bytes.
fn bcd3(value: u32) -> [u8; 3] {
    let d = digits::<6>(u64::from(value)).map(|c| c - b'0');
    let [a, b, c, e, f, g] = d;
    [(a << 4) | b, (c << 4) | e, (f << 4) | g]
}

impl DateTime {
    /// The first year a `DateTime` may have.
    pub const FIRST_YEAR: u16 = 2000;
    /// The last year a `DateTime` may have.
    pub const LAST_YEAR: u16 = 2099;
    /// China Standard Time's offset east of UTC in seconds (UTC+8), the clock of CUPS
    /// terminals and hosts.
    pub const CHINA: i32 = 8 * 3600;

    /// A date and time; `None` for a year outside 2000–2099 or a date or time that does not
    /// exist.
    pub const fn new(
        year: u16,
        month: u8,
        day: u8,
        hour: u8,
        minute: u8,
        second: u8,
    ) -> Option<Self> {
        let ok = year >= Self::FIRST_YEAR
            && year <= Self::LAST_YEAR
            && month >= 1
            && month <= 12
            && day >= 1
            && day <= days_in_month(year, month)
            && hour < 24
            && minute < 60
            && second < 60;
        if ok {
            Some(Self {
                year,
                month,
                day,
                hour,
                minute,
                second,
            })
        } else {
            None
        }
    }

    /// The local time `offset_seconds` east of UTC at `unix_seconds` since 1970-01-01 UTC;
    /// `None` outside 2000–2099.
    pub fn from_unix(unix_seconds: i64, offset_seconds: i32) -> Option<Self> {
        let t = unix_seconds.checked_add(i64::from(offset_seconds))?;
        let days = t.div_euclid(86_400);
        let secs = t.rem_euclid(86_400);
        // Civil-from-days (proleptic Gregorian), H. Hinnant's algorithm.
        let z = days.checked_add(719_468)?;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe
            .checked_add(era.checked_mul(400)?)?
            .checked_add(i64::from(month <= 2))?;
        let small = |v: i64| u8::try_from(v).ok();
        Self::new(
            u16::try_from(year).ok()?,
            small(month)?,
            small(day)?,
            small(secs / 3600)?,
            small(secs / 60 % 60)?,
            small(secs % 60)?,
        )
    }

    /// The system clock's local time `offset_seconds` east of UTC (e.g.
    /// [`DateTime::CHINA`]); `None` when the clock is before 1970 or outside 2000–2099.
    #[cfg(feature = "std")]
    pub fn now(offset_seconds: i32) -> Option<Self> {
        let since = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .ok()?;
        Self::from_unix(i64::try_from(since.as_secs()).ok()?, offset_seconds)
    }

    /// Reads `YYYY-MM-DD hh:mm:ss`, the form [`Display`](fmt::Display) writes.
    pub fn parse(text: &str) -> Option<Self> {
        let b = text.as_bytes();
        let [
            y0,
            y1,
            y2,
            y3,
            b'-',
            m0,
            m1,
            b'-',
            d0,
            d1,
            b' ',
            h0,
            h1,
            b':',
            n0,
            n1,
            b':',
            s0,
            s1,
        ] = *b
        else {
            return None;
        };
        let num = |ds: &[u8]| {
            ds.iter().try_fold(0u16, |acc, &c| {
                c.is_ascii_digit().then(|| acc * 10 + u16::from(c - b'0'))
            })
        };
        let small = |ds: &[u8]| num(ds).and_then(|v| u8::try_from(v).ok());
        Self::new(
            num(&[y0, y1, y2, y3])?,
            small(&[m0, m1])?,
            small(&[d0, d1])?,
            small(&[h0, h1])?,
            small(&[n0, n1])?,
            small(&[s0, s1])?,
        )
    }

    /// The year (2000–2099).
    pub const fn year(&self) -> u16 {
        self.year
    }

    /// The month (1–12).
    pub const fn month(&self) -> u8 {
        self.month
    }

    /// The day of the month.
    pub const fn day(&self) -> u8 {
        self.day
    }

    /// The hour (0–23).
    pub const fn hour(&self) -> u8 {
        self.hour
    }

    /// The minute (0–59).
    pub const fn minute(&self) -> u8 {
        self.minute
    }

    /// The second (0–59).
    pub const fn second(&self) -> u8 {
        self.second
    }

    /// MMDD as a number (the form of field 13 and 61.3), e.g. `1126`.
    pub const fn mmdd(&self) -> u16 {
        self.month as u16 * 100 + self.day as u16
    }

    /// hhmmss as a number (the form of field 12), e.g. `12345` for 01:23:45.
    pub const fn hhmmss(&self) -> u32 {
        self.hour as u32 * 10_000 + self.minute as u32 * 100 + self.second as u32
    }

    /// YYMM as a number, as a card's expiry date is written, for comparing with one: a card
    /// with expiry `e` has expired when `e < now.yymm()`.
    pub const fn yymm(&self) -> u16 {
        (self.year % 100) * 100 + self.month as u16
    }

    /// Field 12: hhmmss as 6 ASCII digits.
    pub fn field12(&self) -> [u8; 6] {
        digits::<6>(u64::from(self.hhmmss()))
    }

    /// Field 13: MMDD as 4 ASCII digits.
    pub fn field13(&self) -> [u8; 4] {
        digits::<4>(u64::from(self.mmdd()))
    }

    /// EMV tag `9A`: YYMMDD in BCD.
    pub fn emv_date(&self) -> [u8; 3] {
        bcd3(u32::from(self.year % 100) * 10_000 + u32::from(self.mmdd()))
    }

    /// EMV tag `9F21`: hhmmss in BCD.
    pub fn emv_time(&self) -> [u8; 3] {
        bcd3(self.hhmmss())
    }

    /// The date and time a host's reply gave in fields 13 (`mmdd`) and 12 (`hhmmss`), each
    /// where given, the rest from `self` (the terminal's time of the request). The year is
    /// the one that puts the host's date nearest the terminal's: `self`'s, one back when the
    /// host's month lies more than half a year after the terminal's (the host answered on 31
    /// December, the terminal already counts January), one on when it lies more than half a
    /// year before (the host's clock is in January, the terminal's still in December).
    /// `None` when the fields do not make a date and time that exists.
    pub fn with_reply_time(&self, mmdd: Option<u16>, hhmmss: Option<u32>) -> Option<Self> {
        let (month, day) = match mmdd {
            Some(d) => (u8::try_from(d / 100).ok()?, u8::try_from(d % 100).ok()?),
            None => (self.month, self.day),
        };
        // Two clocks a few days or minutes apart: never half a year.
        let year = if month > self.month.saturating_add(6) {
            self.year.checked_sub(1)?
        } else if month.saturating_add(6) < self.month {
            self.year.checked_add(1)?
        } else {
            self.year
        };
        let (hour, minute, second) = match hhmmss {
            Some(t) => (
                u8::try_from(t / 10_000).ok()?,
                u8::try_from(t / 100 % 100).ok()?,
                u8::try_from(t % 100).ok()?,
            ),
            None => (self.hour, self.minute, self.second),
        };
        Self::new(year, month, day, hour, minute, second)
    }
}

impl fmt::Display for DateTime {
    /// `YYYY-MM-DD hh:mm:ss`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;
    use alloc::string::ToString;

    #[test]
    fn dates_are_checked() {
        let t = DateTime::new(2026, 11, 26, 1, 23, 45).unwrap();
        assert_eq!(t.emv_date(), [0x26, 0x11, 0x26]);
        assert_eq!(t.emv_time(), [0x01, 0x23, 0x45]);
        assert_eq!(t.mmdd(), 1126);
        assert_eq!(t.yymm(), 2611);
        assert_eq!(t.field12(), *b"012345");
        assert_eq!(t.field13(), *b"1126");
        assert_eq!(t.to_string(), "2026-11-26 01:23:45");
        assert!(DateTime::new(2028, 2, 29, 0, 0, 0).is_some());
        for (y, m, d, h) in [
            (2027, 2, 29, 0),
            (2026, 13, 1, 0),
            (2026, 4, 31, 0),
            (1999, 1, 1, 0),
            (2100, 1, 1, 0),
            (2026, 1, 1, 24),
            (2026, 0, 1, 0),
            (2026, 1, 0, 0),
        ] {
            assert!(DateTime::new(y, m, d, h, 0, 0).is_none(), "{y}-{m}-{d} {h}");
        }
        let jan = DateTime::new(2027, 1, 1, 0, 0, 5).unwrap();
        assert_eq!(
            jan.with_reply_time(Some(1231), Some(235959))
                .unwrap()
                .to_string(),
            "2026-12-31 23:59:59"
        );
        // A host clock a week ahead of the terminal's stays in the terminal's year; one in
        // January while the terminal still counts December is in the next.
        let nov = DateTime::new(2026, 11, 26, 1, 23, 45).unwrap();
        assert_eq!(
            nov.with_reply_time(Some(1203), Some(153611))
                .unwrap()
                .to_string(),
            "2026-12-03 15:36:11"
        );
        let dec = DateTime::new(2026, 12, 31, 23, 59, 58).unwrap();
        assert_eq!(
            dec.with_reply_time(Some(101), Some(2)).unwrap().to_string(),
            "2027-01-01 00:00:02"
        );
        assert_eq!(t.with_reply_time(None, None), Some(t));
        assert_eq!(t.with_reply_time(Some(1399), None), None);
        assert_eq!(t.with_reply_time(None, Some(246_000)), None);
    }

    #[test]
    fn from_unix_time() {
        // 2026-11-26 01:30:05 UTC is 09:30:05 in China.
        let t = DateTime::from_unix(1_795_656_605, DateTime::CHINA).unwrap();
        assert_eq!(format!("{t}"), "2026-11-26 09:30:05");
        assert_eq!(t.yymm(), 2611);
        // A leap day.
        assert_eq!(
            format!("{}", DateTime::from_unix(951_782_400, 0).unwrap()),
            "2000-02-29 00:00:00"
        );
        // The range's ends: the epoch and the day before it are outside, as is 2100.
        assert_eq!(
            format!("{}", DateTime::from_unix(946_684_800, 0).unwrap()),
            "2000-01-01 00:00:00"
        );
        assert_eq!(DateTime::from_unix(946_684_799, 0), None);
        assert_eq!(
            format!("{}", DateTime::from_unix(4_102_444_799, 0).unwrap()),
            "2099-12-31 23:59:59"
        );
        assert_eq!(DateTime::from_unix(4_102_444_800, 0), None);
        assert_eq!(DateTime::from_unix(0, 0), None);
        assert_eq!(DateTime::from_unix(-1, 0), None);
        assert_eq!(DateTime::from_unix(i64::MAX, DateTime::CHINA), None);
        assert_eq!(DateTime::from_unix(i64::MIN, -1), None);
    }

    #[test]
    fn text_round_trips() {
        let t = DateTime::new(2026, 2, 3, 4, 5, 6).unwrap();
        assert_eq!(DateTime::parse(&t.to_string()), Some(t));
        for bad in [
            "",
            "2026-02-03 04:05",
            "2026-02-30 04:05:06",
            "2026/02/03 04:05:06",
            "2026-02-03 04:05:0x",
            "1999-02-03 04:05:06",
        ] {
            assert_eq!(DateTime::parse(bad), None, "{bad}");
        }
    }
}
