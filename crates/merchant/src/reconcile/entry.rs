//! The rows of the three inputs: borrowed text fields as a CSV row holds them
//! (`…Fields`), and the checked values the reconciler works with (`…Entry`, [`Credit`]).
//! Parsing allocates nothing; a card column is never read.

use crate::error::{Column, Error, ErrorKind};
use crate::merchant_no::{MerchantId, TerminalId};
use crate::money::{Fen, Settled};
use crate::time::{Date, Timestamp};
use crate::transaction::{AmountSign, CardType, Rrn, TxType, Voucher};

/// One journal row as text: `time, terminal_id, merchant_no, batch, stan, rrn, type,
/// amount, fee` (and `card_type` when given).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct JournalFields<'r> {
    /// `time`.
    pub time: &'r [u8],
    /// `terminal_id`.
    pub terminal_id: &'r [u8],
    /// `merchant_no`: the merchant number the terminal printed.
    pub merchant_no: &'r [u8],
    /// `batch`.
    pub batch: &'r [u8],
    /// `stan`.
    pub stan: &'r [u8],
    /// `rrn` (empty when the host gave none).
    pub rrn: &'r [u8],
    /// `type`.
    pub kind: &'r [u8],
    /// `amount`: signed yuan, as printed (voids and refunds negative).
    pub amount: &'r [u8],
    /// `fee`: the fee the terminal quoted (`None` or empty: not quoted).
    pub fee: Option<&'r [u8]>,
    /// `card_type`, when the journal has the column.
    pub card_type: Option<&'r [u8]>,
}

/// A journal row, checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct JournalEntry {
    /// When.
    pub time: Timestamp,
    /// The terminal.
    pub terminal: TerminalId,
    /// The merchant number printed.
    pub merchant: MerchantId,
    /// Batch and STAN.
    pub voucher: Voucher,
    /// The RRN, if the host gave one.
    pub rrn: Option<Rrn>,
    /// The type.
    pub kind: TxType,
    /// The amount (voids and refunds negative).
    pub amount: Fen,
    /// The fee quoted, if any.
    pub fee: Option<Fen>,
    /// The card type, if given.
    pub card: Option<CardType>,
}

impl JournalEntry {
    /// Checks a journal row.
    ///
    /// # Errors
    /// The first bad field, with its column.
    pub fn parse(f: &JournalFields<'_>) -> Result<Self, Error> {
        let kind = kind(f.kind)?;
        let amount = amount(f.amount, kind)?;
        Ok(Self {
            time: time(f.time)?,
            terminal: terminal(f.terminal_id)?,
            merchant: merchant(f.merchant_no)?,
            voucher: Voucher {
                batch: number(f.batch, Column::Batch)?,
                stan: number(f.stan, Column::Stan)?,
            },
            rrn: rrn(f.rrn)?,
            kind,
            amount,
            fee: optional(f.fee, Column::Fee, Fen::parse_yuan)?,
            card: optional(f.card_type, Column::CardType, CardType::parse)?,
        })
    }
}

/// One statement row as text, in the acquirer's layout `time, terminal_id, merchant_no,
/// merchant_name, mcc, amount, fee, card, type, rrn` (plus `batch`, `stan` and `card_type`
/// when the statement has them; `merchant_name`, `mcc` and `card` are not read).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StatementFields<'r> {
    /// `time`.
    pub time: &'r [u8],
    /// `terminal_id`.
    pub terminal_id: &'r [u8],
    /// `merchant_no`: the merchant number settled under.
    pub merchant_no: &'r [u8],
    /// `type`.
    pub kind: &'r [u8],
    /// `amount`: signed yuan (voids and refunds negative).
    pub amount: &'r [u8],
    /// `fee`: signed yuan (a void returns its fee).
    pub fee: &'r [u8],
    /// `rrn` (may be empty when `batch` and `stan` are given).
    pub rrn: &'r [u8],
    /// `batch`, when the statement has the column.
    pub batch: Option<&'r [u8]>,
    /// `stan`, when the statement has the column.
    pub stan: Option<&'r [u8]>,
    /// `card_type`, when the statement has the column.
    pub card_type: Option<&'r [u8]>,
}

/// A statement row, checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct StatementEntry {
    /// When.
    pub time: Timestamp,
    /// The terminal.
    pub terminal: TerminalId,
    /// The merchant number settled under.
    pub merchant: MerchantId,
    /// The type.
    pub kind: TxType,
    /// The amount.
    pub amount: Fen,
    /// The fee charged.
    pub fee: Fen,
    /// The RRN, if given.
    pub rrn: Option<Rrn>,
    /// Batch and STAN, if given.
    pub voucher: Option<Voucher>,
    /// The card type, if given.
    pub card: Option<CardType>,
}

impl StatementEntry {
    /// Checks a statement row.
    ///
    /// # Errors
    /// The first bad field, with its column.
    pub fn parse(f: &StatementFields<'_>) -> Result<Self, Error> {
        let kind = kind(f.kind)?;
        let amount = amount(f.amount, kind)?;
        let voucher = match (f.batch.unwrap_or_default(), f.stan.unwrap_or_default()) {
            ([], []) => None,
            (batch, stan) => Some(Voucher {
                batch: number(batch, Column::Batch)?,
                stan: number(stan, Column::Stan)?,
            }),
        };
        Ok(Self {
            time: time(f.time)?,
            terminal: terminal(f.terminal_id)?,
            merchant: merchant(f.merchant_no)?,
            kind,
            amount,
            fee: required(f.fee, Column::Fee, Fen::parse_yuan)?,
            rrn: rrn(f.rrn)?,
            voucher,
            card: optional(f.card_type, Column::CardType, CardType::parse)?,
        })
    }
}

/// One settlement row as text: `date, merchant_no, gross, fee, net`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SettlementFields<'r> {
    /// `date`: the business day settled (清算日期), not the day the money arrived.
    pub date: &'r [u8],
    /// `merchant_no`.
    pub merchant_no: &'r [u8],
    /// `gross`: the day's amounts.
    pub gross: &'r [u8],
    /// `fee`: the fees withheld.
    pub fee: &'r [u8],
    /// `net`: what was credited.
    pub net: &'r [u8],
}

/// A settlement row, checked: what one business day credited one merchant number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Credit {
    /// The business day.
    pub date: Date,
    /// The merchant number.
    pub merchant: MerchantId,
    /// Gross, fee and net.
    pub settled: Settled,
}

impl Credit {
    /// Checks a settlement row.
    ///
    /// # Errors
    /// The first bad field, with its column.
    pub fn parse(f: &SettlementFields<'_>) -> Result<Self, Error> {
        Ok(Self {
            date: required(f.date, Column::Date, Date::parse)?,
            merchant: merchant(f.merchant_no)?,
            settled: Settled {
                gross: required(f.gross, Column::Gross, Fen::parse_yuan)?,
                fee: required(f.fee, Column::Fee, Fen::parse_yuan)?,
                net: required(f.net, Column::Net, Fen::parse_yuan)?,
            },
        })
    }
}

/// A required value: not empty, and parsed; errors carry the column.
fn required<T>(
    text: &[u8],
    column: Column,
    parse: impl FnOnce(&[u8]) -> Result<T, Error>,
) -> Result<T, Error> {
    if text.is_empty() {
        return Err(Error::new(ErrorKind::Empty, 0).in_column(column));
    }
    parse(text).map_err(|e| e.in_column(column))
}

/// An optional value: absent column or empty text is `None`.
fn optional<T>(
    text: Option<&[u8]>,
    column: Column,
    parse: impl FnOnce(&[u8]) -> Result<T, Error>,
) -> Result<Option<T>, Error> {
    match text {
        None | Some([]) => Ok(None),
        Some(t) => parse(t).map(Some).map_err(|e| e.in_column(column)),
    }
}

fn time(text: &[u8]) -> Result<Timestamp, Error> {
    required(text, Column::Time, Timestamp::parse)
}

fn terminal(text: &[u8]) -> Result<TerminalId, Error> {
    required(text, Column::TerminalId, TerminalId::parse)
}

fn merchant(text: &[u8]) -> Result<MerchantId, Error> {
    required(text, Column::MerchantNo, MerchantId::parse)
}

fn kind(text: &[u8]) -> Result<TxType, Error> {
    required(text, Column::Type, TxType::parse)
}

fn number(text: &[u8], column: Column) -> Result<u32, Error> {
    required(text, column, Voucher::parse_number)
}

fn rrn(text: &[u8]) -> Result<Option<Rrn>, Error> {
    optional(Some(text), Column::Rrn, Rrn::parse)
}

/// The amount, with the sign its type carries.
fn amount(text: &[u8], kind: TxType) -> Result<Fen, Error> {
    let amount = required(text, Column::Amount, Fen::parse_yuan)?;
    let fits = match kind.sign() {
        AmountSign::Positive => amount.0 >= 0,
        AmountSign::Negative => amount.0 <= 0,
        AmountSign::Either => true,
    };
    if fits {
        Ok(amount)
    } else {
        Err(Error::new(ErrorKind::WrongSign, 0).in_column(Column::Amount))
    }
}
