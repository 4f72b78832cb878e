//! The crate's one error type: a small `Copy` value saying what went wrong and where.

use core::fmt;

/// What went wrong. New kinds may be added in minor releases.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A message could not be encoded or decoded under the CUPS spec.
    Message(cardwire_iso8583::ErrorKind),
    /// A key, PIN block, MAC or cryptogram operation failed.
    Crypto(cardwire_crypto::ErrorKind),
    /// EMV data (field 55, a card response) is malformed.
    Emv(cardwire_emv::ErrorKind),
    /// A field the transaction needs is missing.
    MissingField {
        /// The ISO 8583 field number.
        field: u8,
    },
    /// The response MAC (field 64) did not verify.
    Mac,
    /// The caller's output buffer is too small.
    BufferTooSmall,
    /// The terminal has no working keys yet: sign in first.
    NotSignedIn,
    /// A reply that does not answer the request that was sent (MTI, STAN or terminal differ).
    UnexpectedReply,
    /// The card answered with a status word other than 9000, or not at all.
    Card {
        /// The status word (`0` when the card did not answer).
        sw: u16,
    },
    /// A capacity of a fixed-size table (the journal, a fixed-capacity text) is exhausted.
    Full,
    /// The transport failed: connection refused or closed, or a frame that is not one.
    Transport,
    /// Text that should be UTF-8 (or digits) is not.
    InvalidText,
    /// A value the caller gave is out of range: an amount of zero, a date that does not
    /// exist, an identifier of the wrong length.
    InvalidInput,
    /// A reply arrived, or a timeout was reported, while no request was waiting for one.
    NothingPending,
    /// A request is still waiting for its reply (or timeout): one transaction at a time.
    Busy,
    /// The card or the amount needs an online PIN and none was given.
    PinRequired,
    /// The journal has no approved transaction with that trace number.
    NotFound,
    /// Track 2 data is malformed.
    Track2,
    /// The card's data is incomplete or inconsistent (no PAN, no AID, an AFL out of range).
    CardData,
    /// No reply came in time: the request may have been answered, so a terminal reverses it.
    Timeout,
}

/// An error with its kind and, where it applies, the ISO 8583 field it concerns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    field: Option<u8>,
}

impl Error {
    /// An error of this kind.
    pub const fn new(kind: ErrorKind) -> Self {
        Self { kind, field: None }
    }

    /// The same error, about this field.
    #[must_use]
    pub const fn at_field(mut self, field: u8) -> Self {
        self.field = Some(field);
        self
    }

    /// What went wrong.
    pub const fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The ISO 8583 field concerned, if any.
    pub const fn field(&self) -> Option<u8> {
        self.field
    }
}

impl From<ErrorKind> for Error {
    fn from(kind: ErrorKind) -> Self {
        Self::new(kind)
    }
}

impl From<cardwire_iso8583::Error> for Error {
    fn from(e: cardwire_iso8583::Error) -> Self {
        Self::new(ErrorKind::Message(e.kind()))
    }
}

impl From<cardwire_crypto::Error> for Error {
    fn from(e: cardwire_crypto::Error) -> Self {
        Self::new(ErrorKind::Crypto(e.kind()))
    }
}

impl From<cardwire_emv::Error> for Error {
    fn from(e: cardwire_emv::Error) -> Self {
        Self::new(ErrorKind::Emv(e.kind()))
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Message(k) => write!(f, "message: {k}"),
            Self::Crypto(k) => write!(f, "crypto: {k}"),
            Self::Emv(k) => write!(f, "EMV data: {k}"),
            Self::MissingField { field } => write!(f, "field {field} is missing"),
            Self::Mac => f.write_str("the MAC does not verify"),
            Self::BufferTooSmall => f.write_str("output buffer too small"),
            Self::NotSignedIn => f.write_str("not signed in: no working keys"),
            Self::UnexpectedReply => f.write_str("the reply does not answer the request"),
            Self::Card { sw: 0 } => f.write_str("the card did not answer"),
            Self::Card { sw } => write!(f, "the card answered {sw:04X}"),
            Self::Full => f.write_str("a fixed-capacity table is full"),
            Self::Transport => f.write_str("the transport failed"),
            Self::InvalidText => f.write_str("text is not valid UTF-8 or digits"),
            Self::InvalidInput => f.write_str("a value is out of range"),
            Self::NothingPending => f.write_str("no request is waiting for a reply"),
            Self::Busy => f.write_str("a request is still waiting for its reply"),
            Self::PinRequired => f.write_str("an online PIN is required"),
            Self::NotFound => f.write_str("no such transaction in the journal"),
            Self::Track2 => f.write_str("track 2 data is malformed"),
            Self::CardData => f.write_str("the card data is incomplete"),
            Self::Timeout => f.write_str("no reply in time"),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.field {
            Some(n) => write!(f, "field {n}: {}", self.kind),
            None => write!(f, "{}", self.kind),
        }
    }
}

impl core::error::Error for Error {}

/// Results of this crate.
pub type Result<T, E = Error> = core::result::Result<T, E>;
