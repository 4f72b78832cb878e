//! The platform's one error type: what went wrong (the kind), while doing what, and the cause.

use std::fmt;

/// What went wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// The platform's own database.
    Database,
    /// The acquirer's data (registry, ledger, key store).
    Acquirer,
    /// A template could not be rendered.
    Template,
    /// Input that the platform refuses (a command-line value, a configuration).
    InvalidInput,
    /// Hashing or checking a password, or drawing randomness.
    Crypto,
    /// A file or socket.
    Io,
}

/// An error of the platform: its kind, the operation, and the cause it keeps.
#[derive(Debug)]
pub struct Error {
    kind: ErrorKind,
    during: &'static str,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

/// The platform's result.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// An error of `kind` while doing `during`.
    pub fn new(kind: ErrorKind, during: &'static str) -> Self {
        Self {
            kind,
            during,
            source: None,
        }
    }

    /// The same error keeping `cause`.
    #[must_use]
    pub fn caused_by(mut self, cause: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        self.source = Some(cause.into());
        self
    }

    /// Its kind.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// A mapper for `map_err`: the error of `kind` while doing `during`, keeping the cause.
    pub fn with<E: Into<Box<dyn std::error::Error + Send + Sync>>>(
        kind: ErrorKind,
        during: &'static str,
    ) -> impl Fn(E) -> Self {
        move |e| Self::new(kind, during).caused_by(e)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            ErrorKind::Database => "platform database error",
            ErrorKind::Acquirer => "acquirer data error",
            ErrorKind::Template => "page rendering error",
            ErrorKind::InvalidInput => "invalid input",
            ErrorKind::Crypto => "cryptographic error",
            ErrorKind::Io => "input/output error",
        };
        write!(f, "{what} while {}", self.during)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

impl From<cardwire_acquirer::Error> for Error {
    fn from(e: cardwire_acquirer::Error) -> Self {
        Self::new(ErrorKind::Acquirer, "using the acquirer's data").caused_by(e)
    }
}

/// An error and the causes under it, `: `-separated (for logs and the command line).
pub fn causes(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    text
}
