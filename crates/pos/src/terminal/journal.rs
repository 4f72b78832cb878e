//! The terminal's record of its open batch: every approved transaction, with what receipts,
//! voids, refunds and settlement need.

use cardwire_iso8583::cups::{SettlementTotals, Totals, Transaction};
use cardwire_iso8583::time::DateTime;

use crate::card::{Entry, MaskedPan};
use crate::error::{ErrorKind, Result};
use crate::text::Text;

/// One approved transaction.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Record {
    /// The transaction.
    pub transaction: Transaction,
    /// Its system trace audit number (field 11): the voucher number.
    pub stan: u32,
    /// The batch it belongs to.
    pub batch: u32,
    /// Amount in fen.
    pub amount: u64,
    /// How the card was presented.
    pub entry: Entry,
    /// The retrieval reference number the host assigned (field 37).
    pub rrn: Text<12>,
    /// The authorisation code (field 38), empty when the host gave none.
    pub auth_code: Text<6>,
    /// Date and time of the transaction (the host's fields 12 and 13 where given).
    pub when: DateTime,
    /// For a void, completion or refund: the STAN of the original in this batch, if there.
    pub original_stan: Option<u32>,
    /// Whether a later void of this transaction was approved.
    pub voided: bool,
    /// The card's application label (chip and QR cards), e.g. `UnionPay Debit`.
    pub card_label: Text<16>,
    /// The merchant number the host's reply named (field 42): the one the transaction is
    /// settled under, which receipts print.
    pub merchant_no: Text<15>,
    pub(crate) pan: Text<19>,
    pub(crate) expiry: Option<Text<4>>,
}

impl Record {
    /// The PAN, clear (for a void that re-sends it; display with [`Record::masked_pan`]).
    pub fn pan(&self) -> &str {
        self.pan.as_str()
    }

    /// The PAN masked, first 6 / last 4.
    pub fn masked_pan(&self) -> MaskedPan<'_> {
        MaskedPan(self.pan.as_str())
    }
}

impl core::fmt::Debug for Record {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Record")
            .field("transaction", &self.transaction)
            .field("stan", &self.stan)
            .field("batch", &self.batch)
            .field("amount", &self.amount)
            .field("pan", &format_args!("{}", self.masked_pan()))
            .field("rrn", &self.rrn)
            .field("auth_code", &self.auth_code)
            .field("when", &self.when)
            .field("voided", &self.voided)
            .finish_non_exhaustive()
    }
}

/// The journal of one batch: up to `N` records in a fixed array.
#[derive(Clone, Debug)]
pub struct Journal<const N: usize> {
    records: [Option<Record>; N],
    len: usize,
}

impl<const N: usize> Default for Journal<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> Journal<N> {
    /// An empty journal.
    pub const fn new() -> Self {
        Self {
            records: [None; N],
            len: 0,
        }
    }

    /// Adds a record.
    ///
    /// # Errors
    /// [`ErrorKind::Full`]: settle the batch first.
    pub fn push(&mut self, record: Record) -> Result<()> {
        let slot = self.records.get_mut(self.len).ok_or(ErrorKind::Full)?;
        *slot = Some(record);
        self.len += 1;
        Ok(())
    }

    /// Whether another record fits.
    pub const fn is_full(&self) -> bool {
        self.len >= N
    }

    /// The records in order.
    pub fn iter(&self) -> impl Iterator<Item = &Record> + '_ {
        self.records.iter().take(self.len).flatten()
    }

    /// Number of records.
    pub const fn len(&self) -> usize {
        self.len
    }

    /// Whether there are none.
    pub const fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Record `i`.
    pub fn get(&self, i: usize) -> Option<&Record> {
        self.records.get(i).and_then(Option::as_ref)
    }

    /// The record with trace number `stan`.
    pub fn find(&self, stan: u32) -> Option<&Record> {
        self.iter().find(|r| r.stan == stan)
    }

    pub(crate) fn find_mut(&mut self, stan: u32) -> Option<&mut Record> {
        self.records
            .iter_mut()
            .take(self.len)
            .flatten()
            .find(|r| r.stan == stan)
    }

    /// Removes the record with trace number `stan` (the card declined after the host
    /// approved); later records move up.
    pub(crate) fn remove(&mut self, stan: u32) -> Option<Record> {
        let at = self.iter().position(|r| r.stan == stan)?;
        let removed = self.records.get_mut(at)?.take();
        if let Some(tail) = self.records.get_mut(at..self.len) {
            tail.rotate_left(1);
        }
        self.len -= 1;
        removed
    }

    /// Empties the journal (after settlement).
    pub fn clear(&mut self) {
        self.records = [None; N];
        self.len = 0;
    }

    /// The batch's totals for field 48, as the acquirer host counts them: debits are the
    /// purchases and pre-authorisation completions that were not voided, credits the refunds;
    /// a void cancels its original and counts nowhere, pre-authorisations hold funds only.
    /// All cards count as domestic (内卡).
    pub fn totals(&self) -> SettlementTotals {
        let mut t = Totals::default();
        for r in self.iter().filter(|r| !r.voided) {
            if let Some(side) = r.transaction.settles_as() {
                t.add(side, r.amount);
            }
        }
        SettlementTotals {
            domestic: t,
            foreign: Totals::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(stan: u32, transaction: Transaction, amount: u64) -> Record {
        Record {
            transaction,
            stan,
            batch: 1,
            amount,
            entry: Entry::Swipe,
            rrn: Text::new(),
            auth_code: Text::new(),
            when: DateTime::new(2026, 1, 2, 3, 4, 5).unwrap(),
            original_stan: None,
            voided: false,
            card_label: Text::new(),
            merchant_no: Text::new(),
            pan: Text::copy_from("6214830012345673").unwrap(),
            expiry: None,
        }
    }

    #[test]
    fn push_remove_and_totals() {
        let mut j = Journal::<3>::new();
        j.push(record(1, Transaction::Purchase, 100)).unwrap();
        j.push(record(2, Transaction::PreAuth, 900)).unwrap();
        j.push(record(3, Transaction::Refund, 30)).unwrap();
        let mut voided = record(9, Transaction::Purchase, 5000);
        voided.voided = true;
        assert_eq!(j.push(voided).unwrap_err().kind(), ErrorKind::Full);
        assert_eq!(
            j.push(record(4, Transaction::Purchase, 1))
                .unwrap_err()
                .kind(),
            ErrorKind::Full
        );
        let t = j.totals().domestic;
        assert_eq!(
            (
                t.debit_amount,
                t.debit_count,
                t.credit_amount,
                t.credit_count
            ),
            (100, 1, 30, 1)
        );
        assert_eq!(j.remove(2).map(|r| r.stan), Some(2));
        assert_eq!(
            j.iter().map(|r| r.stan).collect::<alloc::vec::Vec<_>>(),
            [1, 3]
        );
        assert!(j.remove(2).is_none());
        assert_eq!(j.get(1).map(|r| r.stan), Some(3));
        j.push(record(5, Transaction::Purchase, 1)).unwrap();
        assert_eq!(j.len(), 3);
        j.clear();
        assert!(j.is_empty() && j.find(1).is_none());
    }
}
