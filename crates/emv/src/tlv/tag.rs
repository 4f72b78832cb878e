//! BER-TLV tags as EMV uses them: one to four bytes, kept as the bytes seen on the wire.

use core::{fmt, str::FromStr};

use crate::{Error, ErrorKind};

/// The class of a tag (bits 8–7 of its first byte).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Class {
    /// `00`: universal (ISO/IEC 8825).
    Universal,
    /// `01`: application (EMV tags such as `5A`, `5F20`).
    Application,
    /// `10`: context-specific (EMV tags such as `82`, `9F02`).
    ContextSpecific,
    /// `11`: private (issuer or scheme proprietary, such as `DF31`).
    Private,
}

/// A [`Tag`] from its big-endian encoding, e.g. `tag!(0x9F02)`, evaluated when the program is
/// compiled: a value that is not a valid 1–4 byte tag encoding stops the build, so the tag
/// needs no check at run time.
///
/// Tags of the [dictionary](crate::dict) have named constants in [`tags`](crate::tags); this
/// is for the others (proprietary tags, tests).
///
/// ```
/// use cardwire_emv::tag;
/// use cardwire_emv::tlv::Tag;
///
/// const PROPRIETARY: Tag = tag!(0xDF8F01);
/// assert_eq!(PROPRIETARY.len(), 3);
/// assert_eq!(tag!(0x9F02), cardwire_emv::tags::AMOUNT_AUTHORISED_NUMERIC);
/// ```
///
/// ```compile_fail
/// // 9F announces a second byte: not a tag.
/// let t = cardwire_emv::tag!(0x9F);
/// ```
#[macro_export]
macro_rules! tag {
    ($value:expr) => {
        const {
            match $crate::tlv::Tag::from_u32($value) {
                ::core::option::Option::Some(tag) => tag,
                ::core::option::Option::None => ::core::panic!("not a BER-TLV tag encoding"),
            }
        }
    };
}

/// Bit 6 of a tag's first byte: the value holds further data objects.
const CONSTRUCTED: u8 = 0x20;

/// A BER-TLV tag of 1 to 4 bytes.
///
/// The bytes are stored exactly as encoded, so a tag read from the wire is written back
/// identically. Ordering is by encoded bytes.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Tag {
    /// The encoded bytes as a big-endian number (`9F02` is `0x9F02`): kept in a register,
    /// not an array, so reading a tag never goes through memory.
    value: u32,
    /// Bits 0–2: encoded length (1–4); bit 5: the constructed bit of the first byte, where
    /// the first byte has it, cached because every reader step asks for it.
    meta: u8,
}

/// The encoded bytes of a tag, usable as a slice.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct TagBytes {
    bytes: [u8; 4],
    len: u8,
}

impl core::ops::Deref for TagBytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        // A tag has 1 to 4 bytes; the ranges are constants within the array.
        match self.len {
            1 => &self.bytes[..1],
            2 => &self.bytes[..2],
            3 => &self.bytes[..3],
            _ => &self.bytes,
        }
    }
}

impl Tag {
    /// The longest tag this crate accepts, in bytes (EMV uses at most 3).
    pub const MAX_LEN: usize = 4;

    /// `99`: [`tags::TRANSACTION_PERSONAL_IDENTIFICATION_NUMBER_DATA`](crate::tags::TRANSACTION_PERSONAL_IDENTIFICATION_NUMBER_DATA).
    ///
    /// Kept only until the terminal crate has moved to [`crate::tags`]; new code names tags
    /// there.
    #[doc(hidden)]
    pub const PIN_DATA: Tag = crate::tags::TRANSACTION_PERSONAL_IDENTIFICATION_NUMBER_DATA;

    /// A tag from a value already known to be a valid encoding of `len` bytes.
    #[inline(always)]
    pub(crate) const fn trusted(value: u32, len: u8) -> Self {
        let first = value >> ((8 * (len as u32).wrapping_sub(1)) & 31);
        let constructed = if first & 0x20 != 0 { CONSTRUCTED } else { 0 };
        Self {
            value,
            meta: len | constructed,
        }
    }

    /// A tag of one or two bytes whose first byte is `first`, already known to be valid.
    #[inline(always)]
    pub(crate) const fn short(first: u8, second: Option<u8>) -> Self {
        let constructed = first & CONSTRUCTED;
        match second {
            None => Self {
                value: first as u32,
                meta: 1 | constructed,
            },
            Some(second) => Self {
                value: (first as u32) << 8 | second as u32,
                meta: 2 | constructed,
            },
        }
    }

    /// The stored form (value and meta), for an index that keeps tags in fewer bytes.
    #[inline(always)]
    pub(crate) const fn parts(self) -> (u32, u8) {
        (self.value, self.meta)
    }

    /// A tag from the stored form [`Tag::parts`] of a tag read before.
    #[inline(always)]
    pub(crate) const fn from_parts(value: u32, meta: u8) -> Self {
        Self { value, meta }
    }

    /// Encoded length in bytes, as stored.
    #[inline(always)]
    const fn len_u8(&self) -> u8 {
        self.meta & 0x07
    }

    /// Reads the tag at the start of `input`, returning it and its encoded length.
    ///
    /// # Errors
    /// [`ErrorKind::Truncated`] if the input ends inside the tag, [`ErrorKind::TagTooLong`]
    /// if the continuation bits ask for a fifth byte. Offsets are relative to `input`.
    #[inline]
    pub fn parse(input: &[u8]) -> Result<(Tag, usize), Error> {
        Tag::split(input).map(|(tag, _)| (tag, tag.len()))
    }

    /// Reads the tag at the start of `input`, returning it and the bytes after it.
    ///
    /// # Errors
    /// As [`Tag::parse`].
    #[inline]
    pub fn split(input: &[u8]) -> Result<(Tag, &[u8]), Error> {
        match Tag::split_fast(input) {
            Some(found) => Ok(found),
            None if input.len() >= Self::MAX_LEN => Err(Error::new(ErrorKind::TagTooLong, 0, None)),
            None => Err(Error::new(ErrorKind::Truncated, input.len(), None)),
        }
    }

    /// The hot path of [`Tag::split`]: `None` for any malformation.
    #[inline(always)]
    pub(crate) fn split_fast(input: &[u8]) -> Option<(Tag, &[u8])> {
        // Bits 5–1 of the first byte all set: more bytes follow; in each subsequent byte,
        // bit 8 set: another byte follows.
        let be = |bytes: &[u8]| bytes.iter().fold(0u32, |v, &b| (v << 8) | u32::from(b));
        match *input {
            [b0, ref rest @ ..] if b0 & 0x1F != 0x1F => {
                Some((Tag::trusted(u32::from(b0), 1), rest))
            }
            [b0, b1, ref rest @ ..] if b1 & 0x80 == 0 => {
                Some((Tag::trusted(be(&[b0, b1]), 2), rest))
            }
            [b0, b1, b2, ref rest @ ..] if b2 & 0x80 == 0 => {
                Some((Tag::trusted(be(&[b0, b1, b2]), 3), rest))
            }
            [b0, b1, b2, b3, ref rest @ ..] if b3 & 0x80 == 0 => {
                Some((Tag::trusted(be(&[b0, b1, b2, b3]), 4), rest))
            }
            _ => None,
        }
    }

    /// Reads a tag that must fill `bytes` exactly.
    ///
    /// # Errors
    /// As [`Tag::parse`], plus [`ErrorKind::InvalidTag`] if bytes are left over.
    pub fn from_bytes(bytes: &[u8]) -> Result<Tag, Error> {
        match Tag::split(bytes)? {
            (tag, []) => Ok(tag),
            (tag, _) => Err(Error::new(ErrorKind::InvalidTag, tag.len(), Some(tag))),
        }
    }

    /// The tag whose big-endian encoding is `value` (e.g. `0x9F02`), if that is a valid
    /// 1–4 byte tag encoding.
    pub const fn from_u32(value: u32) -> Option<Tag> {
        let len = if value > 0xFF_FFFF {
            4
        } else if value > 0xFFFF {
            3
        } else if value > 0xFF {
            2
        } else {
            1
        };
        let tag = Tag::trusted(value, len);
        if tag.is_well_formed() {
            Some(tag)
        } else {
            None
        }
    }

    /// Checks the continuation bits: single-byte tags must not announce more bytes, multi-byte
    /// tags must announce exactly as many as they have.
    const fn is_well_formed(&self) -> bool {
        const MORE: u8 = 0x80;
        let [b0, b1, b2, b3] = self.to_bytes().bytes;
        let multi = b0 & 0x1F == 0x1F;
        match self.len_u8() {
            1 => b0 != 0 && !multi,
            2 => multi && b1 & MORE == 0,
            3 => multi && b1 & MORE != 0 && b2 & MORE == 0,
            4 => multi && b1 & MORE != 0 && b2 & MORE != 0 && b3 & MORE == 0,
            _ => false,
        }
    }

    /// The tag's big-endian value, e.g. `0x9F02`.
    #[inline]
    pub const fn to_u32(self) -> u32 {
        self.value
    }

    /// The encoded bytes.
    #[inline]
    pub const fn to_bytes(self) -> TagBytes {
        // Left-aligned, so that `bytes[0]` is always the first tag byte.
        let shift = 8 * (4 - self.len_u8() as u32);
        TagBytes {
            bytes: (self.value << (shift & 31)).to_be_bytes(),
            len: self.len_u8(),
        }
    }

    /// Encoded length in bytes (1–4).
    #[allow(clippy::len_without_is_empty)] // a tag is never empty
    pub const fn len(&self) -> usize {
        self.len_u8() as usize
    }

    /// Whether the value of this tag holds further data objects (bit 6 of the first byte).
    pub const fn is_constructed(&self) -> bool {
        self.meta & CONSTRUCTED != 0
    }

    /// The first encoded byte, which carries the class and the constructed bit.
    #[inline]
    const fn first_byte(&self) -> u8 {
        // `len` is 1..=4: shift the first byte down to the bottom.
        let shift = 8 * (self.len_u8() as u32).wrapping_sub(1);
        (self.value >> (shift & 31)).to_be_bytes()[3]
    }

    /// The tag's class.
    pub const fn class(&self) -> Class {
        match self.first_byte() >> 6 {
            0 => Class::Universal,
            1 => Class::Application,
            2 => Class::ContextSpecific,
            _ => Class::Private,
        }
    }
}

impl fmt::Display for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&crate::hex::Hex(&self.to_bytes()), f)
    }
}

impl fmt::Debug for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Tag({self})")
    }
}

impl FromStr for Tag {
    type Err = Error;

    /// Parses a tag written as hex, e.g. `"9F02"` or `"5a"`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut buf = [0u8; Tag::MAX_LEN];
        let bytes = crate::hex::decode_into(s, &mut buf).map_err(|e| match e.kind() {
            ErrorKind::BufferTooSmall => Error::new(ErrorKind::InvalidTag, 0, None),
            _ => e,
        })?;
        Tag::from_bytes(bytes).map_err(|e| Error::new(ErrorKind::InvalidTag, e.offset(), None))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_one_to_four_bytes() {
        assert_eq!(Tag::parse(&[0x5A, 0x08]).unwrap(), (crate::tags::PAN, 1));
        let (t, n) = Tag::parse(&[0x9F, 0x02, 0x06]).unwrap();
        assert_eq!((t.to_u32(), n), (0x9F02, 2));
        let (t, n) = Tag::parse(&[0xDF, 0x81, 0x16, 0x01]).unwrap();
        assert_eq!((t.to_u32(), n), (0xDF8116, 3));
        let (t, n) = Tag::parse(&[0xDF, 0x81, 0x81, 0x01]).unwrap();
        assert_eq!((t.to_u32(), n), (0xDF818101, 4));
    }

    #[test]
    fn rejects_bad_continuations() {
        assert_eq!(
            Tag::parse(&[0x9F]).unwrap_err().kind(),
            ErrorKind::Truncated
        );
        assert_eq!(
            Tag::parse(&[0xDF, 0x81]).unwrap_err().kind(),
            ErrorKind::Truncated
        );
        let e = Tag::parse(&[0xFF, 0xFF, 0xFF, 0xFF, 0x01]).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::TagTooLong);
        assert_eq!(Tag::parse(&[]).unwrap_err().kind(), ErrorKind::Truncated);
    }

    #[test]
    fn from_u32_validates() {
        assert_eq!(Tag::from_u32(0x5A), Some(crate::tags::PAN));
        assert_eq!(Tag::from_u32(0x5F20), Some(crate::tags::CARDHOLDER_NAME));
        assert!(Tag::from_u32(0x9F).is_none()); // announces a second byte
        assert!(Tag::from_u32(0x5A20).is_none()); // single-byte form with a second byte
        assert!(Tag::from_u32(0x9F8102).is_some());
        assert!(Tag::from_u32(0x9F0281).is_none()); // last byte says "more"
        assert!(Tag::from_u32(0).is_none());
    }

    #[test]
    fn text_round_trip() {
        let t: Tag = "9f10".parse().unwrap();
        assert_eq!(t.to_u32(), 0x9F10);
        assert_eq!(&*t.to_bytes(), &[0x9F, 0x10]);
        assert!("9F".parse::<Tag>().is_err());
        assert!("9F0210".parse::<Tag>().is_err());
        assert!("XYZ".parse::<Tag>().is_err());
        assert!(!t.is_constructed() && t.class() == Class::ContextSpecific);
        assert!(crate::tags::READ_RECORD_RESPONSE_MESSAGE_TEMPLATE.is_constructed());
        assert_eq!(crate::tag!(0xBF0C).to_u32(), 0xBF0C);
    }
}
