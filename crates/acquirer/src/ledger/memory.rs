//! A ledger in memory: for tests, fuzzing and hosts without a file system.

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;

use super::{
    Ledger, OriginalChange, Posting, Reversed, SettlementRecord, Strikes, TerminalSession, TxKey,
    TxRecord, TxState,
};
use crate::error::{Error, ErrorKind, Result};

/// A [`Ledger`] in memory (lost when dropped).
///
/// ```
/// use cardwire_acquirer::ledger::{Ledger, MemoryLedger};
///
/// let mut ledger = MemoryLedger::default();
/// // A card account with its opening balance in fen; opening it again changes nothing.
/// ledger.open_account("acct-1", 50_000)?;
/// ledger.open_account("acct-1", 1)?;
/// assert_eq!(ledger.balance("acct-1")?, Some(50_000));
/// assert_eq!(ledger.balance("acct-2")?, None);
/// // Nothing posted yet: no transaction, no settlement, sequence 0.
/// assert_eq!(ledger.last_seq()?, 0);
/// assert!(ledger.batch("10000001", 1)?.is_empty());
/// assert!(ledger.settlements()?.is_empty());
/// # Ok::<(), cardwire_acquirer::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct MemoryLedger {
    sessions: BTreeMap<String, TerminalSession>,
    accounts: BTreeMap<String, i64>,
    records: Vec<TxRecord>,
    by_key: BTreeMap<TxKey, usize>,
    by_rrn: BTreeMap<String, usize>,
    settlements: Vec<SettlementRecord>,
    strikes: BTreeMap<String, Strikes>,
}

impl MemoryLedger {
    /// An empty ledger.
    pub fn new() -> Self {
        Self::default()
    }
}

fn failed() -> Error {
    Error::new(ErrorKind::Ledger).during("changing the memory ledger")
}

/// Applies (`undo == false`) or takes back a change to an original's state.
pub(crate) fn change_state(state: &mut TxState, change: OriginalChange, undo: bool) -> Result<()> {
    match change {
        OriginalChange::Void => state.voided = !undo,
        OriginalChange::Complete => state.completed = !undo,
        OriginalChange::Refund(amount) => {
            state.refunded = if undo {
                state.refunded.checked_sub(amount)
            } else {
                state.refunded.checked_add(amount)
            }
            .ok_or_else(failed)?;
        }
    }
    Ok(())
}

/// The change a record made to its original, from its kind and amount.
pub(crate) fn change_of(record: &TxRecord) -> Option<OriginalChange> {
    use cardwire_iso8583::cups::Transaction as T;
    match record.transaction {
        t if t.is_void() => Some(OriginalChange::Void),
        T::PreAuthCompletion => Some(OriginalChange::Complete),
        T::Refund => Some(OriginalChange::Refund(record.amount)),
        _ => None,
    }
}

impl MemoryLedger {
    fn index(&self, key: &TxKey) -> Option<usize> {
        self.by_key.get(key).copied()
    }

    fn adjust(&mut self, account: &str, delta: i64) -> Result<()> {
        if delta == 0 {
            return Ok(());
        }
        let balance = self.accounts.get_mut(account).ok_or_else(failed)?;
        *balance = balance.checked_add(delta).ok_or_else(failed)?;
        Ok(())
    }

    fn insert(&mut self, record: TxRecord) {
        let i = self.records.len();
        self.by_key.insert(record.key.clone(), i);
        if !record.rrn.is_empty() {
            self.by_rrn.insert(record.rrn.clone(), i);
        }
        self.records.push(record);
    }
}

impl Ledger for MemoryLedger {
    fn session(&mut self, terminal_id: &str) -> Result<Option<TerminalSession>> {
        Ok(self.sessions.get(terminal_id).cloned())
    }

    fn save_session(&mut self, terminal_id: &str, session: &TerminalSession) -> Result<()> {
        self.sessions.insert(terminal_id.into(), session.clone());
        Ok(())
    }

    fn balance(&mut self, account: &str) -> Result<Option<i64>> {
        Ok(self.accounts.get(account).copied())
    }

    fn open_account(&mut self, account: &str, balance: i64) -> Result<()> {
        self.accounts.entry(account.into()).or_insert(balance);
        Ok(())
    }

    fn transaction(&mut self, key: &TxKey) -> Result<Option<TxRecord>> {
        Ok(self.index(key).and_then(|i| self.records.get(i)).cloned())
    }

    fn by_rrn(&mut self, rrn: &str) -> Result<Option<TxRecord>> {
        Ok(self
            .by_rrn
            .get(rrn)
            .and_then(|&i| self.records.get(i))
            .cloned())
    }

    fn last_seq(&mut self) -> Result<u64> {
        Ok(self.records.iter().map(|r| r.seq).max().unwrap_or(0))
    }

    fn post(&mut self, posting: &Posting) -> Result<()> {
        let record = &posting.record;
        if self.by_key.contains_key(&record.key) {
            return Err(Error::new(ErrorKind::Conflict).during("posting"));
        }
        // Check everything before changing anything: all or nothing.
        let original = match (&record.original, posting.change) {
            (Some(key), Some(change)) => {
                let i = self.index(key).ok_or_else(failed)?;
                let mut state = self.records.get(i).ok_or_else(failed)?.state;
                change_state(&mut state, change, false)?;
                Some((i, state))
            }
            _ => None,
        };
        if record.balance_delta != 0 {
            let balance = self.accounts.get(&record.account).ok_or_else(failed)?;
            balance
                .checked_add(record.balance_delta)
                .ok_or_else(failed)?;
        }
        self.adjust(&record.account, record.balance_delta)?;
        if let Some((i, state)) = original
            && let Some(o) = self.records.get_mut(i)
        {
            o.state = state;
        }
        self.insert(record.clone());
        Ok(())
    }

    fn reverse(&mut self, key: &TxKey, mark: &TxRecord) -> Result<Reversed> {
        let Some(i) = self.index(key) else {
            self.insert(mark.clone());
            return Ok(Reversed::NeverSeen);
        };
        let record = self.records.get(i).ok_or_else(failed)?.clone();
        if !record.is_live() {
            return Ok(Reversed::AlreadyDone);
        }
        if record.state.has_dependents() {
            return Ok(Reversed::Refused);
        }
        let original = match (&record.original, change_of(&record)) {
            (Some(k), Some(change)) => {
                let oi = self.index(k).ok_or_else(failed)?;
                let mut state = self.records.get(oi).ok_or_else(failed)?.state;
                change_state(&mut state, change, true)?;
                Some((oi, state))
            }
            _ => None,
        };
        let back = record.balance_delta.checked_neg().ok_or_else(failed)?;
        self.adjust(&record.account, back)?;
        if let Some((oi, state)) = original
            && let Some(o) = self.records.get_mut(oi)
        {
            o.state = state;
        }
        if let Some(r) = self.records.get_mut(i) {
            r.state.reversed = true;
        }
        Ok(Reversed::Undone)
    }

    fn batch(&mut self, terminal_id: &str, batch: u32) -> Result<Vec<TxRecord>> {
        Ok(self
            .records
            .iter()
            .filter(|r| r.key.terminal_id == terminal_id && r.key.batch == batch)
            .cloned()
            .collect())
    }

    fn settle(&mut self, settlement: &SettlementRecord) -> Result<()> {
        self.settlements.push(settlement.clone());
        Ok(())
    }

    fn settlements(&mut self) -> Result<Vec<SettlementRecord>> {
        Ok(self.settlements.clone())
    }

    fn for_each(&mut self, each: &mut dyn FnMut(&TxRecord) -> Result<()>) -> Result<()> {
        self.records.iter().try_for_each(each)
    }

    fn strikes(&mut self, terminal_id: &str) -> Result<Option<Strikes>> {
        Ok(self.strikes.get(terminal_id).copied())
    }

    fn add_strike(&mut self, terminal_id: &str) -> Result<u32> {
        let s = self.strikes.entry(terminal_id.into()).or_default();
        s.failures = s.failures.saturating_add(1);
        Ok(s.failures)
    }

    fn lock_out(&mut self, terminal_id: &str, until: i64) -> Result<()> {
        self.strikes
            .entry(terminal_id.into())
            .or_default()
            .locked_until = Some(until);
        Ok(())
    }

    fn clear_strikes(&mut self, terminal_id: &str) -> Result<()> {
        self.strikes.remove(terminal_id);
        Ok(())
    }
}
