//! The crate's one error type: a small `Copy` value saying what went wrong and where.

use core::fmt;

/// What went wrong. New kinds may be added in minor releases.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A key of this many bytes is not allowed here.
    KeyLength {
        /// Length of the key that was given, in bytes.
        len: usize,
    },
    /// A key is too weak to derive or protect the key asked for (AES DUKPT strength rule,
    /// TR-31 key block protection key shorter than the algorithm needs).
    KeyStrength,
    /// Input of this many bytes (or digits) is not a valid length for the operation.
    Length {
        /// Length that was given.
        len: usize,
    },
    /// A character that should be a decimal digit is not.
    InvalidDigit,
    /// A character that should be a hexadecimal digit is not.
    InvalidHex,
    /// A PIN must have 4 to 12 digits.
    PinLength {
        /// Digits given (or announced by a PIN block).
        len: usize,
    },
    /// A PAN must have 1 to 19 digits (`0` when a format needs a PAN and none was given).
    PanLength {
        /// Digits given.
        len: usize,
    },
    /// The PIN block's control field names another format than the one expected.
    PinBlockFormat {
        /// The control nibble found.
        found: u8,
    },
    /// A PIN block's fill or padding nibbles break the format's rules.
    PinBlockFill,
    /// A format that needs fill digits got none, or fill that breaks the format's rules.
    Fill,
    /// A key serial number counter with more one-bits than the standard allows
    /// (TDES: 10 of 21; AES: 16 of 32).
    KsnCounter,
    /// The terminal's counter has run out: no transaction key is left.
    KsnExhausted,
    /// A key usage and key type that do not go together (for example HMAC with a TDES type).
    KeyUsage,
    /// A computed check value differs from the one carried with the key.
    CheckValue,
    /// A MAC, card value, PIN or key block authenticator did not verify.
    Verification,
    /// A TR-31 header field is malformed.
    Header,
    /// A TR-31 key block version this crate does not implement.
    UnsupportedVersion {
        /// The version character.
        version: u8,
    },
    /// A TR-31 optional block is malformed.
    OptionalBlock,
    /// A TR-31 key block's length field disagrees with its actual length.
    BlockLength {
        /// Length announced by the header.
        declared: usize,
        /// Actual length.
        actual: usize,
    },
    /// Decrypted TR-31 payload whose key length field does not fit the payload.
    Payload,
    /// The caller's output buffer is too small.
    BufferTooSmall,
    /// The caller's random source failed.
    Random,
    /// A PAN sequence number (tag 5F34) above 99.
    PanSequenceNumber {
        /// The value given.
        value: u8,
    },
    /// An ARPC response that belongs to the other ARPC method than the cryptogram version
    /// uses (an ARC for method 2, a CSU for method 1).
    ArpcMethod,
    /// An option the chosen profile does not have (for example a current PIN in the PIN
    /// change of a cryptogram version whose PIN block has no room for it).
    NotInProfile,
    /// Bytes that should be an SM2 curve point (a public key, a ciphertext's C1) are not an
    /// uncompressed point `04 ‖ x ‖ y` on the curve, or are the point at infinity.
    InvalidPoint,
    /// An SM2 scalar outside its range: a private key not in 1 to n − 2, a signature's r or s
    /// not in 1 to n − 1.
    ScalarRange,
}

/// An error with its kind and, where it applies, the byte or character offset in the input
/// where it was detected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    offset: Option<usize>,
}

impl Error {
    /// Creates an error without a position.
    pub const fn new(kind: ErrorKind) -> Self {
        Self { kind, offset: None }
    }

    /// Creates an error at a byte or character offset of the input.
    pub const fn at(kind: ErrorKind, offset: usize) -> Self {
        Self {
            kind,
            offset: Some(offset),
        }
    }

    /// What went wrong.
    pub const fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// Offset in the input where the problem was found, if it has one.
    pub const fn offset(&self) -> Option<usize> {
        self.offset
    }
}

impl From<ErrorKind> for Error {
    fn from(kind: ErrorKind) -> Self {
        Self::new(kind)
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::KeyLength { len } => write!(f, "a key of {len} bytes is not allowed here"),
            Self::KeyStrength => f.write_str("key too weak for the key it would derive or protect"),
            Self::Length { len } => write!(f, "invalid length {len}"),
            Self::InvalidDigit => f.write_str("not a decimal digit"),
            Self::InvalidHex => f.write_str("not a hexadecimal digit"),
            Self::PinLength { len } => write!(f, "PIN of {len} digits (4 to 12 allowed)"),
            Self::PanLength { len: 0 } => f.write_str("this PIN block format needs a PAN"),
            Self::PanLength { len } => write!(f, "PAN of {len} digits (1 to 19 allowed)"),
            Self::PinBlockFormat { found } => {
                write!(
                    f,
                    "PIN block control field {found:X} is not the expected format"
                )
            }
            Self::PinBlockFill => f.write_str("PIN block fill breaks the format's rules"),
            Self::Fill => f.write_str("fill digits missing or not allowed for this format"),
            Self::KsnCounter => f.write_str("KSN counter has more one-bits than allowed"),
            Self::KsnExhausted => f.write_str("KSN counter exhausted"),
            Self::KeyUsage => f.write_str("key usage and key type do not go together"),
            Self::CheckValue => f.write_str("key check value does not match"),
            Self::Verification => f.write_str("verification failed"),
            Self::Header => f.write_str("malformed key block header"),
            Self::UnsupportedVersion { version } => {
                write!(
                    f,
                    "key block version {:?} is not supported",
                    char::from(*version)
                )
            }
            Self::OptionalBlock => f.write_str("malformed optional block"),
            Self::BlockLength { declared, actual } => write!(
                f,
                "key block header announces {declared} characters, the block has {actual}"
            ),
            Self::Payload => f.write_str("decrypted key block payload is malformed"),
            Self::BufferTooSmall => f.write_str("output buffer too small"),
            Self::Random => f.write_str("random source failed"),
            Self::PanSequenceNumber { value } => {
                write!(f, "PAN sequence number {value} (0 to 99 allowed)")
            }
            Self::ArpcMethod => f.write_str("ARPC response of the other ARPC method"),
            Self::NotInProfile => f.write_str("not part of this profile"),
            Self::InvalidPoint => f.write_str("not an uncompressed point on the SM2 curve"),
            Self::ScalarRange => f.write_str("SM2 scalar out of range"),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.offset {
            Some(offset) => write!(f, "{} at offset {offset}", self.kind),
            None => write!(f, "{}", self.kind),
        }
    }
}

impl core::error::Error for Error {}

/// The crate's result type.
pub type Result<T> = core::result::Result<T, Error>;
