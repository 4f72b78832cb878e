//! The crate's one error type: a small `Copy` value saying what went wrong, at which byte of the
//! value, and (for CSV rows) in which input, column and line.

use core::fmt;

/// A CSV input of the reconciliation (the audit reads a statement).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Input {
    /// The terminal's journal.
    Journal,
    /// The acquirer's statement (对账单).
    Statement,
    /// The settlement credits to the merchant's account.
    Settlement,
    /// The contracted rate table.
    RateTable,
}

impl Input {
    /// `journal`, `statement`, `settlement` or `rate table`.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Journal => "journal",
            Self::Statement => "statement",
            Self::Settlement => "settlement",
            Self::RateTable => "rate table",
        }
    }
}

impl fmt::Display for Input {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A CSV column the audit or the reconciliation reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Column {
    /// `time`: when the transaction happened (kept as text).
    Time,
    /// `terminal_id`: field 41, 8 characters.
    TerminalId,
    /// `merchant_no`: field 42, the 15-character UnionPay merchant number.
    MerchantNo,
    /// `mcc`: field 18 as the statement reports it (optional column).
    Mcc,
    /// `amount`: yuan with up to two decimals.
    Amount,
    /// `fee`: yuan with up to two decimals.
    Fee,
    /// `type`: the transaction type (`purchase`, `void`, …).
    Type,
    /// `rrn`: the retrieval reference number (field 37).
    Rrn,
    /// `batch`: the batch number (field 60.2).
    Batch,
    /// `stan`: the system trace audit number (field 11).
    Stan,
    /// `card_type`: `debit` or `credit`.
    CardType,
    /// `date`: the business day a settlement credit settles.
    Date,
    /// `gross`: a settlement's total amount.
    Gross,
    /// `net`: what a settlement credited.
    Net,
    /// `rate`: a contracted rate in percent.
    Rate,
    /// `cap`: the largest fee of one transaction, in yuan.
    Cap,
}

impl Column {
    /// The column's header name.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Time => "time",
            Self::TerminalId => "terminal_id",
            Self::MerchantNo => "merchant_no",
            Self::Mcc => "mcc",
            Self::Amount => "amount",
            Self::Fee => "fee",
            Self::Type => "type",
            Self::Rrn => "rrn",
            Self::Batch => "batch",
            Self::Stan => "stan",
            Self::CardType => "card_type",
            Self::Date => "date",
            Self::Gross => "gross",
            Self::Net => "net",
            Self::Rate => "rate",
            Self::Cap => "cap",
        }
    }
}

impl fmt::Display for Column {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What went wrong. New kinds may be added in minor releases.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The value has the wrong length.
    Length {
        /// The length the format requires.
        expected: usize,
        /// The length found.
        found: usize,
    },
    /// A character that must be a decimal digit is not.
    NotDigit,
    /// A character that must be a letter or digit is not.
    NotAlphanumeric,
    /// A character that must be printable ASCII is not.
    NotPrintable,
    /// A BCD nibble above 9.
    NotBcd,
    /// A number outside the range of the value (an MCC above 9999, an amount too large).
    OutOfRange,
    /// An amount that is not yuan with at most two decimals (`123`, `123.4`, `-123.45`).
    NotAnAmount,
    /// A name (business group, fee tier) that is not one of the known identifiers.
    UnknownName,
    /// A policy list is not in ascending order without duplicates (it is binary-searched).
    Unsorted,
    /// A statement header lacks a required column (named by [`Error::column`]).
    MissingColumn,
    /// A statement row has an empty required value.
    Empty,
    /// A statement row has a different number of fields than the header.
    FieldCount {
        /// Fields in the header.
        expected: usize,
        /// Fields in the row.
        found: usize,
    },
    /// The statement could not be read (an I/O failure, or bytes the CSV reader rejects).
    Unreadable,
    /// A date or time that is not `YYYY-MM-DD hh:mm:ss` (or a layout [`Timestamp::parse`]
    /// reads).
    ///
    /// [`Timestamp::parse`]: crate::Timestamp::parse
    NotATime,
    /// An amount whose sign is not the one its transaction type carries (voids and refunds
    /// are negative).
    WrongSign,
    /// A row earlier than the rows already reconciled by more than the window: the input is
    /// not in time order.
    OutOfOrder,
    /// A value given twice where one is allowed (a card type in a rate table).
    Duplicate,
}

impl ErrorKind {
    /// Whether the byte offset says something for this kind.
    const fn has_offset(self) -> bool {
        matches!(
            self,
            Self::NotDigit
                | Self::NotAlphanumeric
                | Self::NotPrintable
                | Self::NotBcd
                | Self::NotAnAmount
                | Self::NotATime
        )
    }
}

/// An error with its kind, the byte offset inside the value where it was detected and, for
/// statements, the column and line it is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Error {
    kind: ErrorKind,
    offset: usize,
    column: Option<Column>,
    input: Option<Input>,
    /// 1-based CSV line, 0 when not from a CSV row (kept small: errors travel inside
    /// findings).
    line: u64,
}

impl Error {
    /// Creates an error at a byte offset.
    pub const fn new(kind: ErrorKind, offset: usize) -> Self {
        Self {
            kind,
            offset,
            column: None,
            input: None,
            line: 0,
        }
    }

    /// The same error, placed on a statement line (1-based).
    #[must_use]
    pub const fn at_line(mut self, line: u64) -> Self {
        self.line = line;
        self
    }

    /// The same error, attributed to a statement column.
    #[must_use]
    pub const fn in_column(mut self, column: Column) -> Self {
        self.column = Some(column);
        self
    }

    /// The same error, attributed to an input of the reconciliation.
    #[must_use]
    pub const fn in_input(mut self, input: Input) -> Self {
        self.input = Some(input);
        self
    }

    /// The input of the reconciliation the error is in.
    pub const fn input(&self) -> Option<Input> {
        self.input
    }

    /// What went wrong.
    pub const fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// Byte offset inside the value where the problem was found.
    pub const fn offset(&self) -> usize {
        self.offset
    }

    /// The statement column, for errors found in a statement.
    pub const fn column(&self) -> Option<Column> {
        self.column
    }

    /// The statement line (1-based), for errors found in a statement row.
    pub const fn line(&self) -> Option<u64> {
        if self.line == 0 {
            None
        } else {
            Some(self.line)
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Length { expected, found } => {
                write!(f, "expected {expected} characters, found {found}")
            }
            Self::NotDigit => f.write_str("not a decimal digit"),
            Self::NotAlphanumeric => f.write_str("not a letter or digit"),
            Self::NotPrintable => f.write_str("not printable ASCII"),
            Self::NotBcd => f.write_str("BCD nibble above 9"),
            Self::OutOfRange => f.write_str("value out of range"),
            Self::NotAnAmount => f.write_str("not a yuan amount with at most two decimals"),
            Self::UnknownName => f.write_str("not a known name"),
            Self::Unsorted => f.write_str("list not ascending or has duplicates"),
            Self::MissingColumn => f.write_str("no such column in the header"),
            Self::Empty => f.write_str("empty"),
            Self::FieldCount { expected, found } => {
                write!(f, "{found} fields where the header has {expected}")
            }
            Self::Unreadable => f.write_str("could not be read"),
            Self::NotATime => f.write_str("not a date and time like 2026-11-02 09:15:00"),
            Self::WrongSign => {
                f.write_str("amount has the wrong sign for its type (voids and refunds are negative)")
            }
            Self::OutOfOrder => f.write_str(
                "earlier than rows already reconciled by more than the window: rows must be in time order",
            ),
            Self::Duplicate => f.write_str("given twice"),
        }
    }
}

/// `column: kind at character N` (the line is reported separately, see [`Error::line`]).
impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(column) = self.column {
            write!(f, "{column}: ")?;
        }
        write!(f, "{}", self.kind)?;
        if self.kind.has_offset() {
            write!(f, " at character {}", self.offset.saturating_add(1))?;
        }
        Ok(())
    }
}

impl core::error::Error for Error {}
