//! The crate's one error type: a small `Copy` value saying what went wrong, where, and in which tag.

use core::fmt;

use crate::tlv::Tag;

/// What went wrong. New kinds may be added in minor releases.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The input ended inside a tag or a length field.
    Truncated,
    /// A tag's continuation bits ran past four bytes.
    TagTooLong,
    /// A `00` byte where a tag should start (padding is only skipped in lenient mode).
    Padding,
    /// Length byte `80`: indefinite lengths are not allowed in EMV.
    IndefiniteLength,
    /// A long-form length with more than four length bytes (`85` and up).
    LengthTooLong,
    /// A long-form length that a shorter form could express (rejected in strict mode,
    /// because it could not re-encode to the same bytes).
    NonMinimalLength,
    /// The value runs past the end of the input or of the enclosing template.
    ValuePastEnd {
        /// Bytes the length field announces.
        needed: usize,
        /// Bytes actually left.
        available: usize,
    },
    /// Templates nested deeper than [`MAX_DEPTH`](crate::tlv::MAX_DEPTH).
    TooDeep,
    /// A well-formed tree holds more data objects than the [`Indexed`](crate::tlv::Indexed)
    /// built for it; the error's offset is the first object that did not fit.
    TooManyObjects {
        /// The index's capacity.
        capacity: usize,
    },
    /// The caller's output buffer is too small.
    BufferTooSmall,
    /// A constructed data object was asked for with a primitive tag.
    NotConstructed,
    /// A tag or path written as text is not valid hex or not a valid tag.
    InvalidTag,
    /// A path has more components than [`MAX_DEPTH`](crate::tlv::MAX_DEPTH) or none.
    InvalidPath,
    /// Text that should be hexadecimal is not.
    InvalidHex,
    /// A value whose length its data element does not allow (a TVR that is not 5 bytes, a
    /// CVM list with half a rule, an EMV QR value of more than 99 characters).
    InvalidLength,
    /// A value outside its coding (a terminal type digit, a non-BCD nibble where digits belong).
    InvalidValue,
    /// Issuer application data in none of the layouts this crate knows.
    UnrecognisedFormat,
    /// EMV QR: an ID or a length that is not two decimal digits.
    QrSyntax,
    /// EMV QR: the payload does not start with the payload format indicator `000201`, or a
    /// consumer-presented payload does not start with `85 05 "CPV01"`.
    QrPayloadFormat,
    /// EMV QR: no CRC (`63`, length `04`, four hex digits) as the last data object.
    QrCrcMissing,
    /// EMV QR: the CRC in the payload differs from the CRC computed over it.
    QrCrcMismatch {
        /// The CRC the payload states.
        stated: u16,
        /// The CRC-16/CCITT-FALSE computed over the payload up to and including `6304`.
        computed: u16,
    },
    /// EMV QR: the content of a template is not a sequence of ID/length/value objects; the
    /// error's offset is where the fault inside it was found.
    QrTemplate {
        /// The template's ID.
        id: u8,
    },
    /// Text that should be base64 (standard alphabet, padded) is not.
    InvalidBase64,
}

/// An error with its kind, the byte offset in the input where it was detected, and the
/// tag being read when it happened (if one had been read).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    offset: usize,
    tag: Option<Tag>,
}

impl Error {
    /// Creates an error.
    pub const fn new(kind: ErrorKind, offset: usize, tag: Option<Tag>) -> Self {
        Self { kind, offset, tag }
    }

    /// What went wrong.
    pub const fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// Byte offset in the input where the problem was found.
    pub const fn offset(&self) -> usize {
        self.offset
    }

    /// The tag being read, if its tag field had been read.
    pub const fn tag(&self) -> Option<Tag> {
        self.tag
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Truncated => f.write_str("input ends inside a tag or length"),
            Self::TagTooLong => f.write_str("tag longer than 4 bytes"),
            Self::Padding => f.write_str("padding byte 00 where a tag should start (strict mode)"),
            Self::IndefiniteLength => f.write_str("indefinite length 80 is not allowed"),
            Self::LengthTooLong => f.write_str("length field longer than 4 bytes"),
            Self::NonMinimalLength => f.write_str("length not in its shortest form"),
            Self::ValuePastEnd { needed, available } => {
                write!(
                    f,
                    "value of {needed} bytes runs past the end ({available} left)"
                )
            }
            Self::TooDeep => f.write_str("templates nested too deeply"),
            Self::TooManyObjects { capacity } => {
                write!(f, "more data objects than the index holds ({capacity})")
            }
            Self::BufferTooSmall => f.write_str("output buffer too small"),
            Self::NotConstructed => f.write_str("tag is not a constructed tag"),
            Self::InvalidTag => f.write_str("invalid tag"),
            Self::InvalidPath => f.write_str("invalid tag path"),
            Self::InvalidHex => f.write_str("invalid hexadecimal"),
            Self::InvalidLength => {
                f.write_str("value has a length its data element does not allow")
            }
            Self::InvalidValue => f.write_str("value outside its coding"),
            Self::UnrecognisedFormat => f.write_str("issuer application data in no known layout"),
            Self::QrSyntax => f.write_str("EMV QR ID or length is not two digits"),
            Self::QrPayloadFormat => f.write_str("EMV QR payload format indicator missing"),
            Self::QrCrcMissing => f.write_str("EMV QR CRC (6304) is not the last data object"),
            Self::QrCrcMismatch { stated, computed } => {
                write!(
                    f,
                    "EMV QR CRC {stated:04X} does not match the computed {computed:04X}"
                )
            }
            Self::QrTemplate { id } => write!(f, "EMV QR template {id:02} is malformed"),
            Self::InvalidBase64 => f.write_str("invalid base64"),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at offset {}", self.kind, self.offset)?;
        if let Some(tag) = self.tag {
            write!(f, " (tag {tag})")?;
        }
        Ok(())
    }
}

impl core::error::Error for Error {}
