//! The crate's one error type: what went wrong, where (field path and byte offset), and what
//! was expected.

use core::fmt;

use cardwire_emv::tlv::Tag;

use crate::spec::Class;

/// Where inside a field an error is: the whole field, a positional/bitmap subfield, or a TLV tag.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sub {
    /// The field itself.
    None,
    /// Subfield number (1-based), as in `60.2`.
    Index(u8),
    /// A data object in a TLV field, as in `55.9F02`.
    Tag(Tag),
}

/// A field path: `35`, `60.2`, `55.9F02`; field 0 is the message level (MTI, bitmap, frame).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FieldPath {
    field: u8,
    sub: Sub,
}

impl FieldPath {
    /// The message level (MTI, bitmap, framing).
    pub const MESSAGE: Self = Self {
        field: 0,
        sub: Sub::None,
    };

    /// A whole field.
    pub const fn field(n: u8) -> Self {
        Self {
            field: n,
            sub: Sub::None,
        }
    }

    /// A positional or bitmap subfield.
    pub const fn subfield(n: u8, index: u8) -> Self {
        Self {
            field: n,
            sub: Sub::Index(index),
        }
    }

    /// A TLV data object inside a field.
    pub const fn tag(n: u8, tag: Tag) -> Self {
        Self {
            field: n,
            sub: Sub::Tag(tag),
        }
    }

    /// The field number (0 at message level).
    pub const fn number(&self) -> u8 {
        self.field
    }

    /// The part of the field, if narrower than the field.
    pub const fn sub(&self) -> Sub {
        self.sub
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field == 0 {
            return f.write_str("message");
        }
        write!(f, "{}", self.field)?;
        match self.sub {
            Sub::None => Ok(()),
            Sub::Index(i) => write!(f, ".{i}"),
            Sub::Tag(t) => write!(f, ".{t}"),
        }
    }
}

/// What went wrong. New kinds may be added in minor releases.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The input ends before the item at the offset does; `needed` more bytes would complete it.
    Truncated {
        /// Bytes missing.
        needed: usize,
    },
    /// A message longer than 65 535 bytes (offsets are 16-bit).
    MessageTooLong,
    /// The MTI is not four decimal digits.
    InvalidMti,
    /// A hex bitmap that is not upper-case hex, or a secondary/tertiary bitmap that is
    /// announced but names no field.
    InvalidBitmap,
    /// The bitmap announces more bitmaps than the spec allows.
    TooManyBitmaps {
        /// Bitmaps the spec allows.
        allowed: u8,
    },
    /// The bitmap (or a subfield bitmap) names a field the spec does not define.
    UndefinedField,
    /// A length prefix that is not made of digits of its encoding.
    InvalidPrefix,
    /// A length outside what the field allows.
    InvalidLength {
        /// The most (or, for a fixed field, exactly) what is allowed.
        max: u16,
        /// The length found.
        found: usize,
    },
    /// A character that is not of the field's class.
    InvalidCharacter {
        /// The class expected.
        expected: Class,
    },
    /// The BCD pad nibble of an odd-length value is not the spec's pad.
    InvalidPad {
        /// The pad character expected (`0` or `F`).
        expected: u8,
    },
    /// Bytes left over after the last field the bitmap announces.
    TrailingBytes {
        /// How many.
        count: usize,
    },
    /// Malformed BER-TLV in a TLV field.
    Tlv(cardwire_emv::ErrorKind),
    /// The caller's output buffer is too small.
    BufferTooSmall,
    /// Fields given to the encoder out of ascending order, twice, or a bitmap indicator.
    FieldOrder,
    /// A frame's length header is not of its encoding, or disagrees with the frame.
    InvalidFrameLength,
    /// A TPDU that does not start with its ID byte `60`.
    InvalidTpdu,
    /// A spec that is not coherent (see [`MessageSpec::check`](crate::MessageSpec::check)).
    InvalidSpec(&'static str),
    /// A JSON value that does not have the expected shape.
    InvalidJson(&'static str),
}

/// An error: its kind, the byte offset in the input (or output) where it was found, and the
/// field path it concerns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    offset: usize,
    path: FieldPath,
}

impl Error {
    /// Creates an error.
    pub const fn new(kind: ErrorKind, offset: usize, path: FieldPath) -> Self {
        Self { kind, offset, path }
    }

    /// What went wrong.
    pub const fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// Byte offset where the problem was found.
    pub const fn offset(&self) -> usize {
        self.offset
    }

    /// Which field (and subfield or tag) it concerns.
    pub const fn path(&self) -> FieldPath {
        self.path
    }

    /// The same error, moved by `by` bytes (for a message inside a frame).
    #[must_use]
    pub const fn shifted(self, by: usize) -> Self {
        Self {
            offset: self.offset + by,
            ..self
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Truncated { needed } => write!(f, "input ends {needed} byte(s) short"),
            Self::MessageTooLong => f.write_str("message longer than 65535 bytes"),
            Self::InvalidMti => f.write_str("expected an MTI of 4 decimal digits"),
            Self::InvalidBitmap => {
                f.write_str("expected a bitmap of upper-case hex naming at least one field")
            }
            Self::TooManyBitmaps { allowed } => {
                write!(
                    f,
                    "bitmap announces more than the {allowed} bitmap(s) allowed"
                )
            }
            Self::UndefinedField => f.write_str("bitmap names a field the spec does not define"),
            Self::InvalidPrefix => f.write_str("expected a length prefix of digits"),
            Self::InvalidLength { max, found } => {
                write!(
                    f,
                    "length {found} is outside what the field allows (max {max})"
                )
            }
            Self::InvalidCharacter { expected } => {
                write!(f, "expected class {expected} characters")
            }
            Self::InvalidPad { expected } => {
                write!(f, "expected pad nibble {}", char::from(*expected))
            }
            Self::TrailingBytes { count } => {
                write!(f, "{count} byte(s) after the last field")
            }
            Self::Tlv(kind) => write!(f, "BER-TLV: {kind}"),
            Self::BufferTooSmall => f.write_str("output buffer too small"),
            Self::FieldOrder => {
                f.write_str("fields must be given in ascending order, once, without indicators")
            }
            Self::InvalidFrameLength => f.write_str("frame length header is not valid"),
            Self::InvalidTpdu => f.write_str("expected a TPDU starting with 60"),
            Self::InvalidSpec(why) => write!(f, "invalid spec: {why}"),
            Self::InvalidJson(why) => write!(f, "invalid JSON: {why}"),
        }
    }
}

impl fmt::Display for Error {
    /// One line: `field 60.2 at offset 37: expected class n characters`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.field == 0 {
            write!(f, "at offset {}: {}", self.offset, self.kind)
        } else {
            write!(
                f,
                "field {} at offset {}: {}",
                self.path, self.offset, self.kind
            )
        }
    }
}

impl core::error::Error for Error {}

/// Shorthand for an error at message level.
#[cold]
pub(crate) const fn at(kind: ErrorKind, offset: usize) -> Error {
    Error::new(kind, offset, FieldPath::MESSAGE)
}
