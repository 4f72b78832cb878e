//! The local date and time the caller reads from its clock (no_std has none): fields 12 and
//! 13 of replies, EMV tags `9A` and `9F21`, receipts.

use core::fmt;

use crate::error::{ErrorKind, Result};
use crate::text::bcd;

/// A local date and time, checked to exist (Gregorian calendar, years 2000–2099 as EMV's
/// two-digit years allow).
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

impl DateTime {
    /// A date and time.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`] for a year outside 2000–2099 or a date or time that does
    /// not exist.
    pub fn new(year: u16, month: u8, day: u8, hour: u8, minute: u8, second: u8) -> Result<Self> {
        let ok = (2000..=2099).contains(&year)
            && (1..=12).contains(&month)
            && day >= 1
            && day <= days_in_month(year, month)
            && hour < 24
            && minute < 60
            && second < 60;
        if !ok {
            return Err(ErrorKind::InvalidInput.into());
        }
        Ok(Self {
            year,
            month,
            day,
            hour,
            minute,
            second,
        })
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

    /// MMDD as a number (the form of field 13 and 61.3), e.g. `1126`.
    pub const fn mmdd(&self) -> u16 {
        self.month as u16 * 100 + self.day as u16
    }

    /// hhmmss as a number, e.g. `12345` for 01:23:45.
    pub const fn hhmmss(&self) -> u32 {
        self.hour as u32 * 10_000 + self.minute as u32 * 100 + self.second as u32
    }

    /// EMV tag `9A`: YYMMDD in BCD.
    pub fn emv_date(&self) -> [u8; 3] {
        bcd(u64::from(self.year % 100) * 10_000 + u64::from(self.mmdd()))
    }

    /// EMV tag `9F21`: hhmmss in BCD.
    pub fn emv_time(&self) -> [u8; 3] {
        bcd(u64::from(self.hhmmss()))
    }

    /// The same date with the time and month/day a host gave in fields 12 and 13; the year
    /// is taken from `self`, one back when the host's date lies in the terminal's future
    /// month (a reply that crosses New Year).
    pub(crate) fn with_host(&self, mmdd: Option<u16>, hhmmss: Option<u32>) -> Self {
        let (month, day) = match mmdd {
            Some(d) => (
                u8::try_from(d / 100).unwrap_or(0),
                u8::try_from(d % 100).unwrap_or(0),
            ),
            None => (self.month, self.day),
        };
        let year = if month > self.month {
            self.year.saturating_sub(1)
        } else {
            self.year
        };
        let (hour, minute, second) = match hhmmss {
            Some(t) => (
                u8::try_from(t / 10_000).unwrap_or(99),
                u8::try_from(t / 100 % 100).unwrap_or(99),
                u8::try_from(t % 100).unwrap_or(99),
            ),
            None => (self.hour, self.minute, self.second),
        };
        Self::new(year, month, day, hour, minute, second).unwrap_or(*self)
    }
}

impl fmt::Display for DateTime {
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
    use alloc::string::ToString;

    #[test]
    fn dates_are_checked() {
        let t = DateTime::new(2026, 11, 26, 1, 23, 45).unwrap();
        assert_eq!(t.emv_date(), [0x26, 0x11, 0x26]);
        assert_eq!(t.emv_time(), [0x01, 0x23, 0x45]);
        assert_eq!(t.mmdd(), 1126);
        assert_eq!(t.to_string(), "2026-11-26 01:23:45");
        assert!(DateTime::new(2028, 2, 29, 0, 0, 0).is_ok());
        for (y, m, d, h) in [
            (2027, 2, 29, 0),
            (2026, 13, 1, 0),
            (2026, 4, 31, 0),
            (1999, 1, 1, 0),
            (2026, 1, 1, 24),
        ] {
            assert!(DateTime::new(y, m, d, h, 0, 0).is_err());
        }
        let jan = DateTime::new(2027, 1, 1, 0, 0, 5).unwrap();
        assert_eq!(
            jan.with_host(Some(1231), Some(235959)).to_string(),
            "2026-12-31 23:59:59"
        );
        assert_eq!(t.with_host(Some(1399), None), t);
    }
}
