//! The crate's one error type: a small `Copy` value saying what went wrong, at which byte of the
//! value, and (for statement rows) in which column and on which line.

use core::fmt;

/// A statement column the audit reads.
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
    /// 1-based statement line, 0 when not from a statement (kept small: errors travel
    /// inside findings).
    line: u64,
}

impl Error {
    /// Creates an error at a byte offset.
    pub const fn new(kind: ErrorKind, offset: usize) -> Self {
        Self {
            kind,
            offset,
            column: None,
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
            Self::Unreadable => f.write_str("statement could not be read"),
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
