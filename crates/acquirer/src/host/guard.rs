//! Lockout: a terminal whose requests fail authentication (MAC, framing, sign-in proof) time
//! after time is refused for a while, even with a good MAC, so that guessing at MACs or
//! sign-in proofs costs the attacker the terminal instead of giving answers. Only registered
//! terminals are tracked (an unknown terminal id costs no memory); the refusal looks exactly
//! like any other unauthenticated answer.
//!
//! The lockout is per terminal id: an attacker who fails on purpose locks the real terminal
//! out too. That is the price of the rule; the counts and the log line of each lockout are
//! what lets an operator see it happen.

use alloc::collections::BTreeMap;
use alloc::string::String;
use core::fmt;

use cardwire_iso8583::time::DateTime;

/// When a terminal is locked out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Lockout {
    /// Consecutive authentication failures that lock a terminal out (at least 1).
    pub failures: u32,
    /// For how long, in seconds.
    pub seconds: u32,
}

impl Default for Lockout {
    /// 5 failures in a row lock a terminal out for 15 minutes.
    fn default() -> Self {
        Self {
            failures: 5,
            seconds: 15 * 60,
        }
    }
}

/// What authentication refused since the host started: for metrics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SecurityCounts {
    /// Requests of registered terminals that failed authentication (answered `A0`, or `03`
    /// at sign-in).
    pub auth_failures: u64,
    /// Lockouts begun.
    pub lockouts: u64,
    /// Requests refused because their terminal was locked out.
    pub refused_while_locked: u64,
}

/// What authentication did with one request, for its log line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SecurityEvent {
    /// The request of a registered terminal failed authentication.
    AuthFailed,
    /// It failed, and the terminal is now locked out.
    LockedOut,
    /// Refused: the terminal is locked out.
    RefusedWhileLocked,
}

impl fmt::Display for SecurityEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::AuthFailed => "authentication failed",
            Self::LockedOut => "authentication failed: terminal locked out",
            Self::RefusedWhileLocked => "refused: terminal locked out",
        })
    }
}

#[derive(Clone, Copy, Default)]
struct Strikes {
    failures: u32,
    locked_until: Option<i64>,
}

/// The lockout state of the terminals.
#[derive(Default)]
pub(super) struct Guard {
    pub(super) policy: Lockout,
    strikes: BTreeMap<String, Strikes>,
    pub(super) counts: SecurityCounts,
}

impl Guard {
    /// Whether `terminal_id` is locked out at `now` (counted when it is).
    pub(super) fn locked(&mut self, terminal_id: &str, now: DateTime) -> bool {
        let Some(s) = self.strikes.get_mut(terminal_id) else {
            return false;
        };
        match s.locked_until {
            Some(until) if seconds(now) < until => {
                self.counts.refused_while_locked += 1;
                true
            }
            Some(_) => {
                // Served its time: a fresh start.
                *s = Strikes::default();
                false
            }
            None => false,
        }
    }

    /// A failed authentication of registered terminal `terminal_id`.
    pub(super) fn failed(&mut self, terminal_id: &str, now: DateTime) -> SecurityEvent {
        self.counts.auth_failures += 1;
        let s = self.strikes.entry(terminal_id.into()).or_default();
        s.failures = s.failures.saturating_add(1);
        if s.failures >= self.policy.failures.max(1) {
            s.locked_until = Some(seconds(now) + i64::from(self.policy.seconds));
            self.counts.lockouts += 1;
            SecurityEvent::LockedOut
        } else {
            SecurityEvent::AuthFailed
        }
    }

    /// A request of `terminal_id` authenticated: its failures are forgiven.
    pub(super) fn succeeded(&mut self, terminal_id: &str) {
        self.strikes.remove(terminal_id);
    }
}

/// Seconds since 2000-01-01 00:00:00 of the same clock (days from the civil date, after
/// H. Hinnant's `days_from_civil`).
fn seconds(t: DateTime) -> i64 {
    let (m, d) = (i64::from(t.month()), i64::from(t.day()));
    let y = i64::from(t.year()) - i64::from(m <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 730_425;
    days * 86_400 + i64::from(t.hour()) * 3_600 + i64::from(t.minute()) * 60 + i64::from(t.second())
}

/// Whole days between two dates (`b` − `a`).
pub(super) fn days_between(a: DateTime, b: DateTime) -> i64 {
    seconds(b).div_euclid(86_400) - seconds(a).div_euclid(86_400)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn seconds_count_from_2000() {
        assert_eq!(seconds(DateTime::new(2000, 1, 1, 0, 0, 0).unwrap()), 0);
        assert_eq!(
            seconds(DateTime::new(2000, 3, 1, 0, 0, 1).unwrap()),
            60 * 86_400 + 1
        );
        let a = DateTime::new(2026, 12, 31, 23, 0, 0).unwrap();
        let b = DateTime::new(2027, 1, 1, 1, 0, 0).unwrap();
        assert_eq!(seconds(b) - seconds(a), 7_200);
        assert_eq!(days_between(a, b), 1);
    }

    #[test]
    fn failures_lock_then_time_unlocks() {
        let mut g = Guard::default();
        let t0 = DateTime::new(2026, 11, 26, 10, 0, 0).unwrap();
        for _ in 0..4 {
            assert_eq!(g.failed("T1", t0), SecurityEvent::AuthFailed);
        }
        assert!(!g.locked("T1", t0));
        assert_eq!(g.failed("T1", t0), SecurityEvent::LockedOut);
        assert!(g.locked("T1", t0));
        assert!(g.locked("T1", DateTime::new(2026, 11, 26, 10, 14, 59).unwrap()));
        assert!(!g.locked("T1", DateTime::new(2026, 11, 26, 10, 15, 0).unwrap()));
        assert_eq!(g.counts.lockouts, 1);
        assert_eq!(g.counts.refused_while_locked, 2);
    }
}
