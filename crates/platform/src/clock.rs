//! The host's clock: China time, as the acquirer stamps its transactions.

use cardwire_acquirer::DateTime;

/// Seconds since 1970 by the system clock (0 before 1970, which no running system is).
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// China time at `unix` seconds; `None` outside 2000–2099.
pub fn at(unix: i64) -> Option<DateTime> {
    DateTime::from_unix(unix, DateTime::CHINA)
}

/// The start of the day of `t`.
pub fn day_start(t: &DateTime) -> Option<DateTime> {
    DateTime::new(t.year(), t.month(), t.day(), 0, 0, 0)
}

/// The last second of the day of `t`.
pub fn day_end(t: &DateTime) -> Option<DateTime> {
    DateTime::new(t.year(), t.month(), t.day(), 23, 59, 59)
}

/// `YYYY-MM-DD` of `t`.
pub fn date(t: &DateTime) -> String {
    format!("{:04}-{:02}-{:02}", t.year(), t.month(), t.day())
}

/// `YYYY-MM` of `t`.
pub fn month(t: &DateTime) -> String {
    format!("{:04}-{:02}", t.year(), t.month())
}

/// The start of the day `YYYY-MM-DD` names.
pub fn parse_date(text: &str) -> Option<DateTime> {
    DateTime::parse(&format!("{} 00:00:00", text.trim()))
}

/// Whether `text` is `YYYY-MM` with a month 01–12.
pub fn is_month(text: &str) -> bool {
    parse_date(&format!("{text}-01")).is_some() && text.len() == 7
}
