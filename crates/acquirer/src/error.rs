//! The crate's one error type: what went wrong (kind), where (the field, the ledger operation,
//! the file), and the cause underneath — the `rusqlite::Error`, the `io::Error`, the codec's
//! or the crypto's error — kept for [`source`](core::error::Error::source).

use alloc::string::String;
use alloc::sync::Arc;
use core::fmt;

/// What went wrong. New kinds may be added in minor releases.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A frame or message that does not decode under the CUPS spec, or a reply that does not
    /// encode.
    Message(cardwire_iso8583::ErrorKind),
    /// A key, PIN block, MAC or cryptogram operation failed (`Random`: the random source).
    Crypto(cardwire_crypto::ErrorKind),
    /// EMV data (field 55) could not be written.
    Emv(cardwire_emv::ErrorKind),
    /// A frame whose MTI is no request a CUPS POS host answers (a reply, a stray message).
    NotARequest,
    /// The caller's output buffer is too small.
    BufferTooSmall,
    /// A value the caller gave is unknown or out of range (a terminal or merchant not in the
    /// registry, a PIN the PVV algorithm refuses).
    InvalidInput,
    /// The ledger's file cannot be opened: its directory does not exist, or it may not be
    /// read or written; or its database server cannot be reached.
    LedgerUnavailable,
    /// The ledger's file is not a ledger: not an SQLite database, or a damaged one.
    LedgerCorrupt,
    /// The ledger failed otherwise, or refused a change that would make it inconsistent.
    Ledger,
    /// The ledger refused a posting because what it depends on changed since it was decided:
    /// its key is taken (a duplicate), its original changed, its balance is spent (by another
    /// host node sharing the ledger). Nothing of it was kept.
    Conflict,
    /// Reading or writing a stream or file failed (a connection, the statement).
    Io,
    /// The host's clock is not a date the messages can carry (outside 2000–2099).
    Clock,
    /// A key could not be wrapped or unwrapped: no or a malformed key-encryption key, or
    /// stored key material that does not authenticate under it (another KEK, tampering).
    KeyStore,
    /// A configuration file or option that cannot be used.
    Config,
    /// Handling a request panicked (the server isolates it and goes on).
    Internal,
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Message(k) => write!(f, "message: {k}"),
            Self::Crypto(k) => write!(f, "crypto: {k}"),
            Self::Emv(k) => write!(f, "EMV data: {k}"),
            Self::NotARequest => f.write_str("not a request a CUPS POS host answers"),
            Self::BufferTooSmall => f.write_str("output buffer too small"),
            Self::InvalidInput => f.write_str("unknown or out-of-range value"),
            Self::LedgerUnavailable => f.write_str(
                "the ledger file cannot be opened (does its directory exist, may it be written?)",
            ),
            Self::LedgerCorrupt => {
                f.write_str("the ledger file is not a ledger database (damaged?)")
            }
            Self::Ledger => f.write_str("the ledger failed"),
            Self::Conflict => {
                f.write_str("the ledger refused a change another host node made impossible first")
            }
            Self::Io => f.write_str("input/output failed"),
            Self::Clock => f.write_str("the clock is outside 2000-2099"),
            Self::KeyStore => f.write_str(
                "key store: no usable key-encryption key, or stored keys that do not authenticate under it",
            ),
            Self::Config => f.write_str("unusable configuration"),
            Self::Internal => f.write_str("internal error (a panic, isolated)"),
        }
    }
}

/// The cause of an error, shared so that an error can be cloned (a failed group commit is
/// every request's answer).
type Cause = Arc<dyn core::error::Error + Send + Sync + 'static>;

/// An error: its kind, where it happened, and its cause.
#[derive(Clone)]
pub struct Error {
    kind: ErrorKind,
    field: Option<u8>,
    operation: Option<&'static str>,
    subject: Option<String>,
    source: Option<Cause>,
}

impl Error {
    /// An error of this kind.
    pub const fn new(kind: ErrorKind) -> Self {
        Self {
            kind,
            field: None,
            operation: None,
            subject: None,
            source: None,
        }
    }

    /// The same error, about this ISO 8583 field.
    #[must_use]
    pub fn at_field(mut self, field: u8) -> Self {
        self.field = Some(field);
        self
    }

    /// The same error, in this operation (e.g. `"opening the ledger"`, `"posting"`).
    #[must_use]
    pub fn during(mut self, operation: &'static str) -> Self {
        self.operation = Some(operation);
        self
    }

    /// The same error, about this thing (a file's path, a terminal id).
    #[must_use]
    pub fn about(mut self, subject: impl Into<String>) -> Self {
        self.subject = Some(subject.into());
        self
    }

    /// The same error, caused by `cause`.
    #[must_use]
    pub fn caused_by(mut self, cause: impl core::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Arc::new(cause));
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

    /// The operation that failed, if known.
    pub const fn operation(&self) -> Option<&'static str> {
        self.operation
    }

    /// What it failed on (a file's path, a terminal id), if known.
    pub fn subject(&self) -> Option<&str> {
        self.subject.as_deref()
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("kind", &self.kind)
            .field("field", &self.field)
            .field("operation", &self.operation)
            .field("subject", &self.subject)
            .field(
                "source",
                &self.source.as_ref().map(|s| alloc::format!("{s}")),
            )
            .finish()
    }
}

impl PartialEq for Error {
    /// Errors compare by kind and place; causes are not compared.
    fn eq(&self, other: &Self) -> bool {
        (self.kind, self.field, self.operation, &self.subject)
            == (other.kind, other.field, other.operation, &other.subject)
    }
}

impl fmt::Display for Error {
    /// `operation (subject): field N: kind`; the cause is [`source`](core::error::Error::source)'s.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(op) = self.operation {
            f.write_str(op)?;
            if let Some(s) = &self.subject {
                write!(f, " {s}")?;
            }
            f.write_str(": ")?;
        } else if let Some(s) = &self.subject {
            write!(f, "{s}: ")?;
        }
        if let Some(n) = self.field {
            write!(f, "field {n}: ")?;
        }
        write!(f, "{}", self.kind)
    }
}

impl core::error::Error for Error {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|s| s as &(dyn core::error::Error + 'static))
    }
}

impl From<ErrorKind> for Error {
    fn from(kind: ErrorKind) -> Self {
        Self::new(kind)
    }
}

impl From<cardwire_iso8583::Error> for Error {
    fn from(e: cardwire_iso8583::Error) -> Self {
        Self::new(ErrorKind::Message(e.kind())).caused_by(e)
    }
}

impl From<cardwire_crypto::Error> for Error {
    fn from(e: cardwire_crypto::Error) -> Self {
        Self::new(ErrorKind::Crypto(e.kind())).caused_by(e)
    }
}

impl From<cardwire_emv::Error> for Error {
    fn from(e: cardwire_emv::Error) -> Self {
        Self::new(ErrorKind::Emv(e.kind())).caused_by(e)
    }
}

#[cfg(feature = "std")]
impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Self::new(ErrorKind::Io).caused_by(e)
    }
}

/// Results of this crate.
pub type Result<T, E = Error> = core::result::Result<T, E>;
