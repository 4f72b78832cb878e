//! Lockout: a terminal whose requests fail authentication (MAC, framing, sign-in proof) time
//! after time is refused for a while, even with a good MAC, so that guessing at MACs or
//! sign-in proofs costs the attacker the terminal instead of giving answers. Only registered
//! terminals are tracked (an unknown terminal id costs no memory); the refusal looks exactly
//! like any other unauthenticated answer.
//!
//! The lockout is per terminal id: an attacker who fails on purpose locks the real terminal
//! out too. That is the price of the rule; the counts and the log line of each lockout are
//! what lets an operator see it happen.
//!
//! The counts live in the ledger, so that a restart forgives nothing. A ledger that only this
//! host writes (SQLite, memory: [`Ledger::shared`] is `false`) is read once per terminal and
//! the copy kept: every request checks the lockout, and the read would cost each of them a
//! query. Every write goes to the ledger first, and the copy of that terminal is dropped, to
//! be read again. A shared ledger (PostgreSQL, several nodes) is read at every request,
//! since another node may have counted a failure since.

use alloc::collections::BTreeMap;
use alloc::string::String;
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
#[derive(Clone, Default)]
pub(super) struct Guard {
    pub(super) policy: Lockout,
    pub(super) counts: SecurityCounts,
    /// The ledger's strikes of registered terminals as last read, when the ledger is this
    /// host's alone (`None`: none on record). Only registered terminals have an entry, so an
    /// unknown terminal id costs no memory; a write drops the terminal's entry.
    read: BTreeMap<String, Option<Strikes>>,
}

impl Guard {
    /// Whether `terminal_id` is locked out at `now` (counted when it is); a lockout served
    /// is forgiven. `registered`: the registry knows the terminal (its strikes may be kept).
    pub(super) fn check<L: Ledger>(
        &mut self,
        ledger: &mut L,
        terminal_id: &str,
        registered: bool,
        now: DateTime,
    ) -> Result<Check> {
        let strikes = self.strikes(ledger, terminal_id, registered)?;
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
                self.clear(ledger, terminal_id)?;
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
        // The ledger first: if a write fails, the copy is already gone and the next check
        // reads what the ledger holds.
        self.read.remove(terminal_id);
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
        &mut self,
        ledger: &mut L,
        terminal_id: &str,
        check: Check,
    ) -> Result<()> {
        if check == Check::Struck {
            self.clear(ledger, terminal_id)?;
        }
        Ok(())
    }

    /// Forgets every copy (the ledger's group was rolled back, or the registry replaced):
    /// each terminal's strikes are read from the ledger again.
    pub(super) fn forget(&mut self) {
        self.read.clear();
    }

    /// The strikes of `terminal_id`: the copy when there is one, else the ledger's (kept when
    /// the ledger is not shared and the terminal is registered).
    fn strikes<L: Ledger>(
        &mut self,
        ledger: &mut L,
        terminal_id: &str,
        registered: bool,
    ) -> Result<Option<Strikes>> {
        let keep = registered && !ledger.shared();
        if keep && let Some(s) = self.read.get(terminal_id) {
            return Ok(*s);
        }
        let s = ledger.strikes(terminal_id)?;
        if keep {
            self.read.insert(terminal_id.into(), s);
        }
        Ok(s)
    }

    fn clear<L: Ledger>(&mut self, ledger: &mut L, terminal_id: &str) -> Result<()> {
        self.read.remove(terminal_id);
        ledger.clear_strikes(terminal_id)
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
        assert_eq!(g.check(&mut l, "T1", true, t0).unwrap(), Check::Struck);
        assert_eq!(
            g.failed(&mut l, "T1", t0).unwrap(),
            SecurityEvent::LockedOut
        );
        assert_eq!(g.check(&mut l, "T1", true, t0).unwrap(), Check::Locked);
        let later = DateTime::new(2026, 11, 26, 10, 14, 59).unwrap();
        assert_eq!(g.check(&mut l, "T1", true, later).unwrap(), Check::Locked);
        let served = DateTime::new(2026, 11, 26, 10, 15, 0).unwrap();
        assert_eq!(g.check(&mut l, "T1", true, served).unwrap(), Check::Clean);
        assert_eq!(g.counts.lockouts, 1);
        assert_eq!(g.counts.refused_while_locked, 2);
    }

    /// A memory ledger that counts its lockout reads, shared with other nodes or not.
    struct Counting {
        inner: crate::ledger::MemoryLedger,
        shared: bool,
        reads: u32,
    }

    impl Counting {
        fn new(shared: bool) -> Self {
            Self {
                inner: crate::ledger::MemoryLedger::new(),
                shared,
                reads: 0,
            }
        }
    }

    impl Ledger for Counting {
        fn session(&mut self, t: &str) -> Result<Option<crate::ledger::TerminalSession>> {
            self.inner.session(t)
        }
        fn save_session(&mut self, t: &str, s: &crate::ledger::TerminalSession) -> Result<()> {
            self.inner.save_session(t, s)
        }
        fn balance(&mut self, a: &str) -> Result<Option<i64>> {
            self.inner.balance(a)
        }
        fn open_account(&mut self, a: &str, b: i64) -> Result<()> {
            self.inner.open_account(a, b)
        }
        fn transaction(
            &mut self,
            k: &crate::ledger::TxKey,
        ) -> Result<Option<crate::ledger::TxRecord>> {
            self.inner.transaction(k)
        }
        fn by_rrn(&mut self, r: &str) -> Result<Option<crate::ledger::TxRecord>> {
            self.inner.by_rrn(r)
        }
        fn last_seq(&mut self) -> Result<u64> {
            self.inner.last_seq()
        }
        fn post(&mut self, p: &crate::ledger::Posting) -> Result<()> {
            self.inner.post(p)
        }
        fn reverse(
            &mut self,
            k: &crate::ledger::TxKey,
            m: &crate::ledger::TxRecord,
        ) -> Result<crate::ledger::Reversed> {
            self.inner.reverse(k, m)
        }
        fn batch(&mut self, t: &str, b: u32) -> Result<alloc::vec::Vec<crate::ledger::TxRecord>> {
            self.inner.batch(t, b)
        }
        fn settle(&mut self, s: &crate::ledger::SettlementRecord) -> Result<()> {
            self.inner.settle(s)
        }
        fn settlements(&mut self) -> Result<alloc::vec::Vec<crate::ledger::SettlementRecord>> {
            self.inner.settlements()
        }
        fn for_each(
            &mut self,
            each: &mut dyn FnMut(&crate::ledger::TxRecord) -> Result<()>,
        ) -> Result<()> {
            self.inner.for_each(each)
        }
        fn strikes(&mut self, t: &str) -> Result<Option<Strikes>> {
            self.reads += 1;
            self.inner.strikes(t)
        }
        fn add_strike(&mut self, t: &str) -> Result<u32> {
            self.inner.add_strike(t)
        }
        fn lock_out(&mut self, t: &str, until: i64) -> Result<()> {
            self.inner.lock_out(t, until)
        }
        fn clear_strikes(&mut self, t: &str) -> Result<()> {
            self.inner.clear_strikes(t)
        }
        fn shared(&self) -> bool {
            self.shared
        }
    }

    #[test]
    fn a_ledger_of_its_own_is_read_once_per_terminal_and_written_at_every_change() {
        let mut g = Guard::default();
        let mut l = Counting::new(false);
        let t0 = DateTime::new(2026, 11, 26, 10, 0, 0).unwrap();
        for _ in 0..3 {
            assert_eq!(g.check(&mut l, "T1", true, t0).unwrap(), Check::Clean);
        }
        assert_eq!(l.reads, 1, "read once, then the copy");
        // A failure is in the ledger at once, and read back at the next check.
        g.failed(&mut l, "T1", t0).unwrap();
        assert_eq!(l.inner.strikes("T1").unwrap().unwrap().failures, 1);
        assert_eq!(g.check(&mut l, "T1", true, t0).unwrap(), Check::Struck);
        assert_eq!(g.check(&mut l, "T1", true, t0).unwrap(), Check::Struck);
        assert_eq!(l.reads, 2);
        // A success forgives, in the ledger too.
        g.succeeded(&mut l, "T1", Check::Struck).unwrap();
        assert_eq!(l.inner.strikes("T1").unwrap(), None);
        assert_eq!(g.check(&mut l, "T1", true, t0).unwrap(), Check::Clean);
        // Locked out: a restart (a new guard over the same ledger) keeps the lockout.
        for _ in 0..5 {
            g.failed(&mut l, "T1", t0).unwrap();
        }
        assert_eq!(g.check(&mut l, "T1", true, t0).unwrap(), Check::Locked);
        let mut restarted = Guard::default();
        assert_eq!(
            restarted.check(&mut l, "T1", true, t0).unwrap(),
            Check::Locked
        );
        // A terminal the registry does not know is read every time and never kept.
        let before = l.reads;
        for _ in 0..3 {
            assert_eq!(g.check(&mut l, "NOBODY", false, t0).unwrap(), Check::Clean);
        }
        assert_eq!(l.reads, before + 3);
        assert!(!g.read.contains_key("NOBODY"));
    }

    #[test]
    fn a_shared_ledger_is_read_at_every_check() {
        let mut g = Guard::default();
        let mut l = Counting::new(true);
        let t0 = DateTime::new(2026, 11, 26, 10, 0, 0).unwrap();
        for _ in 0..3 {
            assert_eq!(g.check(&mut l, "T1", true, t0).unwrap(), Check::Clean);
        }
        assert_eq!(l.reads, 3);
        // Another node locks the terminal out: the next check here sees it.
        for _ in 0..5 {
            l.inner.add_strike("T1").unwrap();
        }
        l.inner.lock_out("T1", seconds(t0) + 60).unwrap();
        assert_eq!(g.check(&mut l, "T1", true, t0).unwrap(), Check::Locked);
        assert!(g.read.is_empty());
    }

    #[test]
    fn forgetting_reads_the_ledger_again() {
        let mut g = Guard::default();
        let mut l = Counting::new(false);
        let t0 = DateTime::new(2026, 11, 26, 10, 0, 0).unwrap();
        assert_eq!(g.check(&mut l, "T1", true, t0).unwrap(), Check::Clean);
        // Written behind the guard's back (as a rolled-back group leaves the ledger other
        // than the copy): after `forget`, the ledger's count is what counts.
        l.inner.add_strike("T1").unwrap();
        g.forget();
        assert_eq!(g.check(&mut l, "T1", true, t0).unwrap(), Check::Struck);
    }
}
