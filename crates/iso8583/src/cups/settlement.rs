//! Field 48 of a settlement: the totals the terminal and the host compare.

use crate::message::Message;

/// Which side of the settlement totals a transaction counts on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Side {
    /// Money to the merchant: purchases and completions.
    Debit,
    /// Money back to the cardholder: refunds.
    Credit,
}

/// One card group's totals in a settlement (field 48).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    /// Debit total in fen (n12).
    pub debit_amount: u64,
    /// Number of debits (n3).
    pub debit_count: u16,
    /// Credit total in fen (n12).
    pub credit_amount: u64,
    /// Number of credits (n3).
    pub credit_count: u16,
    /// Reconciliation result (n1): 0 in the request; in the reply 1 balanced, 2 unbalanced,
    /// 3 error (as commonly documented).
    pub result: u8,
}

impl Totals {
    /// Counts one transaction of `amount` fen on `side` (saturating: the counts and amounts
    /// of field 48 cannot wrap).
    pub fn add(&mut self, side: Side, amount: u64) {
        match side {
            Side::Debit => {
                self.debit_amount = self.debit_amount.saturating_add(amount);
                self.debit_count = self.debit_count.saturating_add(1);
            }
            Side::Credit => {
                self.credit_amount = self.credit_amount.saturating_add(amount);
                self.credit_count = self.credit_count.saturating_add(1);
            }
        }
    }

    /// Whether the amounts and counts agree with `other` (the result digits aside).
    pub fn agrees_with(&self, other: &Self) -> bool {
        (
            self.debit_amount,
            self.debit_count,
            self.credit_amount,
            self.credit_count,
        ) == (
            other.debit_amount,
            other.debit_count,
            other.credit_amount,
            other.credit_count,
        )
    }
}

/// Field 48 of a settlement (0500/0510): domestic-card and foreign-card totals, 62 digits.
///
/// Layout as commonly documented for CUPS POS (amount n12, count n3 for debits, then for
/// credits, then a result digit; domestic first, foreign second) — confirm with the acquirer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SettlementTotals {
    /// Domestic (内卡) totals.
    pub domestic: Totals,
    /// Foreign (外卡) totals.
    pub foreign: Totals,
}

impl SettlementTotals {
    /// Digits in field 48.
    pub const LEN: usize = 62;

    /// Writes the 62 digits.
    pub fn to_digits(&self) -> [u8; Self::LEN] {
        let mut out = [b'0'; Self::LEN];
        let mut pos = 0;
        let mut put = |value: u64, width: usize| {
            let mut v = value;
            for i in (0..width).rev() {
                if let Some(d) = out.get_mut(pos + i) {
                    *d = crate::decimal::ascii_digit(v);
                }
                v /= 10;
            }
            pos += width;
        };
        for t in [self.domestic, self.foreign] {
            put(t.debit_amount, 12);
            put(u64::from(t.debit_count), 3);
            put(t.credit_amount, 12);
            put(u64::from(t.credit_count), 3);
            put(u64::from(t.result), 1);
        }
        out
    }

    /// Reads field 48 of a decoded settlement message.
    pub fn from_message(msg: &Message<'_, '_>) -> Option<Self> {
        let f = msg.get(48)?;
        if f.len() != Self::LEN {
            return None;
        }
        let mut pos = 0;
        let mut take = |width: usize| {
            let v = f.slice(pos, width).and_then(|c| c.to_u64());
            pos += width;
            v
        };
        let mut group = || {
            Some(Totals {
                debit_amount: take(12)?,
                debit_count: u16::try_from(take(3)?).ok()?,
                credit_amount: take(12)?,
                credit_count: u16::try_from(take(3)?).ok()?,
                result: u8::try_from(take(1)?).ok()?,
            })
        };
        let domestic = group()?;
        let foreign = group()?;
        Some(Self { domestic, foreign })
    }
}
