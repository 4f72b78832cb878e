//! Reconciliation (对账): the terminal's journal against the acquirer's statement, and the
//! statement against the money that reached the merchant's account. Feature `std`.
//!
//! # Inputs
//!
//! Three CSV files with a header; columns are found by name (any case and order, extra
//! columns ignored). Amounts are yuan with at most two decimals, signed as the acquirer
//! books them: purchases and completions positive, voids, completion voids and refunds
//! negative; a row whose sign contradicts its type is malformed. Times are
//! `YYYY-MM-DD hh:mm:ss` (or `T`, `/`, no seconds, or `YYYYMMDDhhmmss`).
//!
//! | input | columns | notes |
//! |---|---|---|
//! | journal (the terminal's) | `time, terminal_id, merchant_no, batch, stan, rrn, type, amount, fee` | `fee`: the fee the terminal quoted (optional column, may be empty); `rrn` may be empty; optional `card_type` |
//! | statement (the acquirer's 对账单) | `time, terminal_id, merchant_no, merchant_name, mcc, amount, fee, card, type, rrn` | `merchant_name`, `mcc` and `card` are not read; optional `batch`, `stan`, `card_type` |
//! | settlement (optional) | `date, merchant_no, gross, fee, net` | one row per business day (清算日期) and merchant number |
//!
//! Types are `purchase`, `void`, `refund`, `completion`, `completion-void` (the statement's
//! words) and the journal's `preauth`, `preauth-void` and `reversal`; the Chinese names
//! (消费, 撤销, 退货, 预授权完成, …) are read too. A card column is never read: card numbers
//! stay where they are. Card types are `debit` and `credit` (借记卡, 贷记卡).
//!
//! The contracted rate is a [`RateTable`]: one percentage, or a file
//! read with [`RateTable::from_csv`] (`card_type,rate,cap`).
//!
//! # Matching
//!
//! A journal row and a statement row are the same transaction when they have the same
//! terminal and RRN, or else, where the statement gives `batch` and `stan`, the same
//! terminal and voucher. Each transaction is checked once both sides are in:
//!
//! | rule | severity | when |
//! |---|---|---|
//! | `amount-mismatch` | definitive | the statement books another amount |
//! | `fee-mismatch` | definitive | the statement's fee is not the one the terminal quoted |
//! | `merchant-no-mismatch` | definitive | the statement settles under another merchant number than the terminal printed |
//! | `type-mismatch` | definitive | another type (a purchase booked as a pre-authorisation), or a transaction the journal reversed |
//! | `duplicate-booking` | definitive (suspicious in the journal) | the same terminal and RRN or voucher twice in one input |
//! | `missing-on-statement` | suspicious | a journal transaction the acquirer books (not a pre-authorisation, not reversed) with no statement row |
//! | `missing-on-journal` | suspicious | a statement row with no journal row |
//! | `fee-rate-mismatch` | suspicious | a statement fee is not the amount at the contracted rate of its card type, half up to the fen (at most the cap); a void returns that fee; a refund returns none ([`RefundFee`]) |
//! | `fee-rate-changed` | suspicious | the rate the fees of one merchant number and card type imply moves within the period (one finding with the first move and the number of moves) |
//! | `settlement-short` | definitive | a day's net credited is not its booked amounts less their fees (a day without a credit was credited nothing) |
//!
//! Voids, refunds and reversals are netted the way the acquirer nets them: a void and a
//! refund are rows of their own with negative amounts (a void returns the fee, a refund
//! keeps it); a reversed transaction is not booked at all, and pre-authorisations hold
//! money without booking it.
//!
//! # Streaming
//!
//! Journal and statement are each read in time order, as terminals and acquirers write
//! them, merged by time. A transaction is held until the window ([`ReconcileConfig::window`],
//! an hour by default) has passed on both inputs — the two rows of one transaction are at
//! most a window apart, and each input is in order up to a window — then it is released,
//! and a transaction one side lacks becomes a finding. Memory is bounded by the
//! transactions of two windows, the merchant numbers and the open days, never by the rows.
//! A row out of order by more than the window is an error ([`ErrorKind::OutOfOrder`]);
//! without a window every transaction is held to the end and any order is fine.
//!
//! [`ErrorKind::OutOfOrder`]: crate::ErrorKind::OutOfOrder
//!
//! ```
//! use cardwire_merchant::reconcile::{reconcile, ReconcileConfig};
//! use cardwire_merchant::{FeeRate, RateTable, Rule};
//!
//! let journal = "time,terminal_id,merchant_no,batch,stan,rrn,type,amount,fee\n\
//!     2026-11-02 09:12:04,10000001,105584058120001,1,101,261102000101,purchase,126.00,0.76\n";
//! let statement = "time,terminal_id,merchant_no,merchant_name,mcc,amount,fee,card,type,rrn\n\
//!     2026-11-02 09:12:04,10000001,105584058120001,A restaurant,5812,126.01,0.98,622848******1234,purchase,261102000101\n";
//! let config = ReconcileConfig {
//!     rates: Some(RateTable::flat(FeeRate::parse_percent(b"0.60")?)),
//!     ..ReconcileConfig::default()
//! };
//! let r = reconcile(journal.as_bytes(), statement.as_bytes(), None, &config)?;
//! let rules: Vec<_> = r.findings.iter().map(|f| f.rule()).collect();
//! assert_eq!(rules, [Rule::AmountMismatch, Rule::FeeMismatch, Rule::FeeRateMismatch]);
//! assert_eq!(r.summary.matched, 1);
//! # Ok::<(), cardwire_merchant::Error>(())
//! ```

use alloc::vec::Vec;
use std::io::Read;

use crate::error::Error;
use crate::finding::{FieldValue, Finding, Severity};
use crate::money::{Booked, RateTable, Settled};

mod columns;
mod days;
mod entry;
mod matcher;
mod rates;
mod read;

pub use entry::{
    Credit, JournalEntry, JournalFields, SettlementFields, StatementEntry, StatementFields,
};
pub use matcher::Reconciler;
// The journal's header lives beside the transaction types, without `std`, because the
// terminal (no_std firmware) writes it.
pub use crate::transaction::JOURNAL_COLUMNS;

/// The settlement credits' header.
pub const SETTLEMENT_COLUMNS: [&str; 5] = ["date", "merchant_no", "gross", "fee", "net"];

/// Whether the acquirer returns the fee of a refunded sale.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum RefundFee {
    /// The acquirer keeps it: a refund's fee is zero (as cardwire's host books it).
    #[default]
    Kept,
    /// A refund returns the fee of its amount at the contracted rate.
    Returned,
}

/// What the reconciliation compares against, and how long it waits for a match.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReconcileConfig {
    /// The contracted rates (`None`: `fee-rate-mismatch` is not checked).
    pub rates: Option<RateTable>,
    /// The most seconds between the two rows of one transaction, and the most a row may be
    /// earlier than the rows before it in its input. `None`: hold every transaction to the
    /// end (inputs in any order; memory grows with the rows).
    pub window: Option<u32>,
    /// How refunds treat the fee.
    pub refund_fee: RefundFee,
}

impl ReconcileConfig {
    /// One hour.
    pub const DEFAULT_WINDOW: u32 = 3600;
}

impl Default for ReconcileConfig {
    /// No rates, a window of an hour, refund fees kept.
    fn default() -> Self {
        Self {
            rates: None,
            window: Some(Self::DEFAULT_WINDOW),
            refund_fee: RefundFee::Kept,
        }
    }
}

/// How many findings of each severity.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SeverityCounts {
    /// `info`.
    pub info: u64,
    /// `suspicious`.
    pub suspicious: u64,
    /// `definitive`.
    pub definitive: u64,
}

impl SeverityCounts {
    pub(crate) fn count(&mut self, severity: Severity) {
        let n = match severity {
            Severity::Info => &mut self.info,
            Severity::Suspicious => &mut self.suspicious,
            Severity::Definitive => &mut self.definitive,
        };
        *n = n.saturating_add(1);
    }

    /// Findings at or above `severity`.
    pub const fn at_least(&self, severity: Severity) -> u64 {
        match severity {
            Severity::Info => self.info + self.suspicious + self.definitive,
            Severity::Suspicious => self.suspicious + self.definitive,
            Severity::Definitive => self.definitive,
        }
    }
}

/// The totals of a reconciliation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Summary {
    /// Journal rows read.
    pub journal_rows: u64,
    /// Settlement rows read.
    pub settlement_rows: u64,
    /// Transactions found in both journal and statement.
    pub matched: u64,
    /// `missing-on-statement` findings.
    pub missing_on_statement: u64,
    /// `missing-on-journal` findings.
    pub missing_on_journal: u64,
    /// The journal's transactions the acquirer books (not pre-authorisations, not
    /// reversed): rows, amounts and quoted fees.
    pub journal: Booked,
    /// The statement's rows, amounts and fees.
    pub statement: Booked,
    /// The settlement's totals (`None`: no settlement given).
    pub credited: Option<Settled>,
    /// Statement rows whose card type has no contracted rate (not checked).
    pub fee_unchecked: u64,
    /// The most transactions held open at once.
    pub peak_open: u64,
    /// Findings by severity.
    pub findings: SeverityCounts,
}

impl Summary {
    /// Calls `visit` with each total's name and value (amounts as yuan text), in a fixed
    /// order: the keys of the command line's `summary`.
    pub fn fields(&self, visit: &mut dyn FnMut(&'static str, FieldValue<'_>)) {
        use FieldValue::{Absent, Number, Text};
        visit("journal_rows", Number(self.journal_rows));
        visit("statement_rows", Number(self.statement.rows));
        visit("settlement_rows", Number(self.settlement_rows));
        visit("matched", Number(self.matched));
        visit("missing_on_statement", Number(self.missing_on_statement));
        visit("missing_on_journal", Number(self.missing_on_journal));
        visit("journal_gross", Text(&self.journal.gross));
        visit("journal_fee", Text(&self.journal.fee));
        visit("statement_gross", Text(&self.statement.gross));
        visit("statement_fee", Text(&self.statement.fee));
        visit("statement_net", Text(&self.statement.net()));
        match &self.credited {
            Some(c) => {
                visit("credited_gross", Text(&c.gross));
                visit("credited_fee", Text(&c.fee));
                visit("credited_net", Text(&c.net));
            }
            None => {
                visit("credited_gross", Absent);
                visit("credited_fee", Absent);
                visit("credited_net", Absent);
            }
        }
        visit("fee_unchecked", Number(self.fee_unchecked));
        visit("peak_open", Number(self.peak_open));
        visit("definitive", Number(self.findings.definitive));
        visit("suspicious", Number(self.findings.suspicious));
        visit("info", Number(self.findings.info));
    }
}

/// A reconciliation's totals and findings.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Reconciliation {
    /// The totals.
    pub summary: Summary,
    /// The findings, in the order found.
    pub findings: Vec<Finding>,
}

/// Reconciles a journal and a statement (and, if given, the settlement credits), each a CSV
/// in time order, collecting the findings. For flat memory whatever the number of findings,
/// use a [`Reconciler`] with a sink.
///
/// # Errors
/// The first malformed header or row, naming its input, line and column.
pub fn reconcile<J: Read, S: Read>(
    journal: J,
    statement: S,
    settlement: Option<&mut dyn Read>,
    config: &ReconcileConfig,
) -> Result<Reconciliation, Error> {
    let mut findings = Vec::new();
    let mut r = Reconciler::new(*config, |f| findings.push(f));
    if let Some(input) = settlement {
        r.read_settlement_csv(input)?;
    }
    let summary = r.read_csv(journal, statement)?;
    Ok(Reconciliation { summary, findings })
}
