//! Lockout: a terminal whose requests fail authentication (MAC, framing, sign-in proof) time
//! after time is refused for a while, even with a good MAC, so that guessing at MACs or
//! sign-in proofs costs the attacker the terminal instead of giving answers. Only registered
//! terminals are tracked (an unknown terminal id costs no memory); the refusal looks exactly
//! like any other unauthenticated answer.
//!
//! The lockout is per terminal id: an attacker who fails on purpose locks the real terminal
//! out too. That is the price of the rule; the counts and the log line of each lockout are
//! what lets an operator see it happen.

use core::fmt;

use cardwire_iso8583::time::DateTime;

use crate::error::Result;
use crate::ledger::{Ledger, Strikes};

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

/// What [`Guard::check`] found of a terminal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Check {
    /// No failure on record.
    Clean,
    /// Failures on record, not (or no longer) locked out.
    Struck,
    /// Locked out.
    Locked,
}

/// The lockout rule and what it counted; the counts of each terminal live in the ledger, so
/// that neither a restart nor another node sharing the ledger forgives them.
#[derive(Default)]
pub(super) struct Guard {
    pub(super) policy: Lockout,
    pub(super) counts: SecurityCounts,
}

impl Guard {
    /// Whether `terminal_id` is locked out at `now` (counted when it is); a lockout served
    /// is forgiven.
    pub(super) fn check<L: Ledger>(
        &mut self,
        ledger: &mut L,
        terminal_id: &str,
        now: DateTime,
    ) -> Result<Check> {
        let strikes = ledger.strikes(terminal_id)?;
        self.judge(ledger, terminal_id, strikes, now)
    }

    /// As [`Guard::check`], with the terminal's lockout count already read.
    pub(super) fn judge<L: Ledger>(
        &mut self,
        ledger: &mut L,
        terminal_id: &str,
        strikes: Option<Strikes>,
        now: DateTime,
    ) -> Result<Check> {
        let Some(s) = strikes else {
            return Ok(Check::Clean);
        };
        match s.locked_until {
            Some(until) if seconds(now) < until => {
                self.counts.refused_while_locked += 1;
                Ok(Check::Locked)
            }
            Some(_) => {
                // Served its time: a fresh start.
                ledger.clear_strikes(terminal_id)?;
                Ok(Check::Clean)
            }
            None => Ok(Check::Struck),
        }
    }

    /// A failed authentication of registered terminal `terminal_id`.
    pub(super) fn failed<L: Ledger>(
        &mut self,
        ledger: &mut L,
        terminal_id: &str,
        now: DateTime,
    ) -> Result<SecurityEvent> {
        self.counts.auth_failures += 1;
        let failures = ledger.add_strike(terminal_id)?;
        if failures >= self.policy.failures.max(1) {
            ledger.lock_out(terminal_id, seconds(now) + i64::from(self.policy.seconds))?;
            self.counts.lockouts += 1;
            Ok(SecurityEvent::LockedOut)
        } else {
            Ok(SecurityEvent::AuthFailed)
        }
    }

    /// A request of `terminal_id` authenticated: its failures, if `check` found any, are
    /// forgiven (a terminal without any costs no write).
    pub(super) fn succeeded<L: Ledger>(
        ledger: &mut L,
        terminal_id: &str,
        check: Check,
    ) -> Result<()> {
        if check == Check::Struck {
            ledger.clear_strikes(terminal_id)?;
        }
        Ok(())
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
        use crate::ledger::MemoryLedger;
        let mut g = Guard::default();
        let mut l = MemoryLedger::new();
        let t0 = DateTime::new(2026, 11, 26, 10, 0, 0).unwrap();
        for _ in 0..4 {
            assert_eq!(
                g.failed(&mut l, "T1", t0).unwrap(),
                SecurityEvent::AuthFailed
            );
        }
        assert_eq!(g.check(&mut l, "T1", t0).unwrap(), Check::Struck);
        assert_eq!(
            g.failed(&mut l, "T1", t0).unwrap(),
            SecurityEvent::LockedOut
        );
        assert_eq!(g.check(&mut l, "T1", t0).unwrap(), Check::Locked);
        let later = DateTime::new(2026, 11, 26, 10, 14, 59).unwrap();
        assert_eq!(g.check(&mut l, "T1", later).unwrap(), Check::Locked);
        let served = DateTime::new(2026, 11, 26, 10, 15, 0).unwrap();
        assert_eq!(g.check(&mut l, "T1", served).unwrap(), Check::Clean);
        assert_eq!(g.counts.lockouts, 1);
        assert_eq!(g.counts.refused_while_locked, 2);
    }
}
