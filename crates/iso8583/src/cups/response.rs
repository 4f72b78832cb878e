//! Response codes (field 39) a CUPS POS host answers with, and what a terminal shows.

use core::fmt;

/// A field 39 response code. The codes cardwire's acquirer host gives have their own
/// variant; any other two-character code a host sends is kept as [`ResponseCode::Other`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ResponseCode {
    /// `00` approved.
    Approved,
    /// `03` invalid merchant: the terminal is not bound to an activated merchant.
    InvalidMerchant,
    /// `12` invalid transaction (not allowed for this card or terminal).
    InvalidTransaction,
    /// `13` invalid amount.
    InvalidAmount,
    /// `14` invalid card number (no such account).
    InvalidCard,
    /// `25` the original transaction of a void, refund or completion was not found.
    OriginalNotFound,
    /// `30` format error.
    FormatError,
    /// `51` insufficient funds.
    InsufficientFunds,
    /// `54` expired card.
    ExpiredCard,
    /// `55` incorrect PIN.
    IncorrectPin,
    /// `94` duplicate transmission (the STAN was seen before for this terminal and batch).
    Duplicate,
    /// `96` system malfunction.
    SystemError,
    /// `A0` MAC verification failed; the terminal should sign in again.
    MacFailed,
    /// `A7` security processing failed (the card's application cryptogram did not verify).
    SecurityFailure,
    /// Any other code, as the two ASCII characters received.
    Other([u8; 2]),
}

impl ResponseCode {
    /// The two ASCII characters of field 39.
    pub const fn code(&self) -> [u8; 2] {
        match self {
            Self::Approved => *b"00",
            Self::InvalidMerchant => *b"03",
            Self::InvalidTransaction => *b"12",
            Self::InvalidAmount => *b"13",
            Self::InvalidCard => *b"14",
            Self::OriginalNotFound => *b"25",
            Self::FormatError => *b"30",
            Self::InsufficientFunds => *b"51",
            Self::ExpiredCard => *b"54",
            Self::IncorrectPin => *b"55",
            Self::Duplicate => *b"94",
            Self::SystemError => *b"96",
            Self::MacFailed => *b"A0",
            Self::SecurityFailure => *b"A7",
            Self::Other(c) => *c,
        }
    }

    /// The code from field 39's two characters.
    pub fn from_code(code: [u8; 2]) -> Self {
        [
            Self::Approved,
            Self::InvalidMerchant,
            Self::InvalidTransaction,
            Self::InvalidAmount,
            Self::InvalidCard,
            Self::OriginalNotFound,
            Self::FormatError,
            Self::InsufficientFunds,
            Self::ExpiredCard,
            Self::IncorrectPin,
            Self::Duplicate,
            Self::SystemError,
            Self::MacFailed,
            Self::SecurityFailure,
        ]
        .into_iter()
        .find(|c| c.code() == code)
        // A code without a name of its own is kept as it came.
        .unwrap_or(Self::Other(code))
    }

    /// The code from field 39 as text; `None` unless it is exactly two characters.
    pub fn parse(text: &str) -> Option<Self> {
        <[u8; 2]>::try_from(text.as_bytes())
            .ok()
            .map(Self::from_code)
    }

    /// Whether the transaction was approved.
    pub const fn is_approved(&self) -> bool {
        matches!(self, Self::Approved)
    }

    /// What a terminal shows the merchant and cardholder.
    pub const fn message(&self) -> &'static str {
        match self {
            Self::Approved => "approved",
            Self::InvalidMerchant => "invalid merchant",
            Self::InvalidTransaction => "transaction not allowed",
            Self::InvalidAmount => "invalid amount",
            Self::InvalidCard => "invalid card",
            Self::OriginalNotFound => "original transaction not found",
            Self::FormatError => "format error",
            Self::InsufficientFunds => "insufficient funds",
            Self::ExpiredCard => "expired card",
            Self::IncorrectPin => "incorrect PIN",
            Self::Duplicate => "duplicate transaction",
            Self::SystemError => "system error",
            Self::MacFailed => "MAC error, sign in again",
            Self::SecurityFailure => "security check failed",
            Self::Other(_) => "declined",
        }
    }
}

impl fmt::Display for ResponseCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [a, b] = self.code();
        write!(f, "{}{} {}", char::from(a), char::from(b), self.message())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for code in [*b"00", *b"51", *b"55", *b"A0", *b"94", *b"25", *b"Z9"] {
            assert_eq!(ResponseCode::from_code(code).code(), code);
        }
        assert_eq!(ResponseCode::parse("55"), Some(ResponseCode::IncorrectPin));
        assert_eq!(ResponseCode::parse("5"), None);
        assert!(!ResponseCode::from_code(*b"Z9").is_approved());
    }
}
