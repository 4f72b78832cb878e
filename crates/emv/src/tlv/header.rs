//! One data object's header — tag and length — read and checked in full: tag continuation
//! bits, the length in its shortest form (strict mode), the value within what is left of the
//! enclosing template or input.
//!
//! The hot path ([`split_short`]) reads the forms EMV data is made of, a one- or two-byte tag
//! and a one-byte length, from three bytes loaded together and in either mode, so the next
//! object's position waits on a single load; every check is a branch beside that chain, not a
//! link in it. Longer tags, long-form lengths and padding take [`general`] and the callers'
//! padding rules. Neither keeps error details: when a header is refused, the cold
//! [`diagnose`] reads the same bytes again to say exactly what is wrong.

use super::{Mode, Tag};
use crate::{Error, ErrorKind};

/// A header as [`general`] reads it.
#[derive(Clone, Copy)]
pub(super) struct Header {
    tag: Tag,
    /// Tag and length field, in bytes (2 to 9).
    len: u8,
    /// The length field's value (at most `84 FFFFFFFF`).
    value_len: u32,
}

/// One data object split off the front of a buffer.
#[derive(Clone, Copy)]
pub(super) struct Split<'a> {
    pub(super) tag: Tag,
    /// Tag, length and value as encoded.
    pub(super) raw: &'a [u8],
    /// The value: the end of `raw`.
    pub(super) value: &'a [u8],
    /// What follows the object.
    pub(super) rest: &'a [u8],
}

/// Splits the data object at the start of `buf` off the rest; `None` if its header is
/// malformed in `mode` or its value runs past the end of `buf`.
#[inline(always)]
pub(super) fn split(buf: &[u8], mode: Mode) -> Option<Split<'_>> {
    split_short(buf).or_else(|| split_general(buf, mode))
}

/// [`split`] for the forms EMV data is made of, in either mode: a one- or two-byte tag and a
/// one-byte length, with at least three bytes to read and the value within `buf`. `None` for
/// anything else — padding (`00`, or `FF` in lenient mode), longer forms, a value past the
/// end — which [`general`], the callers' padding rules and [`diagnose`] decide.
///
/// Each form cuts at a constant header length, so the next object's position is the length
/// byte plus a constant: one addition after the load.
#[inline(always)]
pub(super) fn split_short(buf: &[u8]) -> Option<Split<'_>> {
    let &[b0, b1, b2, ..] = buf else {
        return None;
    };
    if b0 & 0x1F != 0x1F {
        // Bits 5–1 of the first byte not all set: a one-byte tag (`00` is padding, not a
        // tag) and, below 80, a short length.
        if b0 == 0 || b1 >= 0x80 {
            return None;
        }
        cut(buf, Tag::short(b0, None), 2, usize::from(b1))
    } else {
        // A two-byte tag (second byte without bit 8; a first byte `FF` is padding in lenient
        // mode) and a short length.
        if b0 == 0xFF || (b1 | b2) >= 0x80 {
            return None;
        }
        cut(buf, Tag::short(b0, Some(b1)), 3, usize::from(b2))
    }
}

/// [`split`] for every other form.
#[inline(always)]
pub(super) fn split_general(buf: &[u8], mode: Mode) -> Option<Split<'_>> {
    let header = general(buf, mode)?;
    cut(
        buf,
        header.tag,
        usize::from(header.len),
        usize::try_from(header.value_len).ok()?,
    )
}

/// Cuts an object of `header_len` and `value_len` bytes off the front of `buf`; `None` if it
/// runs past the end of `buf`.
///
/// The next object's position is the value's start (the header length after `buf`, known
/// before the length byte is loaded) plus the loaded length: one addition after the load.
#[inline(always)]
fn cut(buf: &[u8], tag: Tag, header_len: usize, value_len: usize) -> Option<Split<'_>> {
    let (_, tail) = buf.split_at_checked(header_len)?;
    let (value, rest) = tail.split_at_checked(value_len)?;
    let raw = buf.get(..header_len + value.len())?;
    Some(Split {
        tag,
        raw,
        value,
        rest,
    })
}

/// Every header form, checked in `mode`; called for those [`split_short`] leaves: tags of 3 and 4
/// bytes, long-form lengths, tags starting `FF`, inputs shorter than 3 bytes.
#[inline(never)]
pub(super) fn general(buf: &[u8], mode: Mode) -> Option<Header> {
    if buf.first() == Some(&0x00) {
        return None; // 00 is padding, never a tag
    }
    let (tag, field) = Tag::split_fast(buf)?;
    let (value_len, len_len) = match *field {
        [b, ..] if b < 0x80 => (u32::from(b), 1),
        ref long => long_length(long, mode)?,
    };
    Some(Header {
        tag,
        // At most 4 tag bytes and 5 length bytes.
        len: u8::try_from(tag.len() + len_len).ok()?,
        value_len,
    })
}

/// Long-form lengths `81`–`84`: the value length and the length field's size. In strict mode
/// the form must be the shortest: `81` only for 128–255, no leading zero byte.
#[inline]
fn long_length(field: &[u8], mode: Mode) -> Option<(u32, usize)> {
    let minimal = |lead: u8| lead != 0 || mode == Mode::Lenient;
    match *field {
        [0x81, b, ..] if b >= 0x80 || mode == Mode::Lenient => Some((u32::from(b), 2)),
        [0x82, b1, b2, ..] if minimal(b1) => Some((u32::from(u16::from_be_bytes([b1, b2])), 3)),
        [0x83, b1, b2, b3, ..] if minimal(b1) => Some((u32::from_be_bytes([0, b1, b2, b3]), 4)),
        [0x84, b1, b2, b3, b4, ..] if minimal(b1) => {
            Some((u32::from_be_bytes([b1, b2, b3, b4]), 5))
        }
        _ => None,
    }
}

/// The cold path: explains why [`split`] refused `buf`. Offsets are relative to `buf`.
#[cold]
#[inline(never)]
pub(super) fn diagnose(buf: &[u8], mode: Mode) -> Error {
    if buf.first() == Some(&0x00) {
        return Error::new(ErrorKind::Padding, 0, None);
    }
    let (tag, field) = match Tag::split(buf) {
        Ok(found) => found,
        Err(e) => return e,
    };
    let tag_len = tag.len();
    let at = |kind, offset| Error::new(kind, offset, Some(tag));
    let Some(&lead) = field.first() else {
        return at(ErrorKind::Truncated, buf.len());
    };
    let len_len = match lead {
        0x00..=0x7F => 1,
        0x80 => return at(ErrorKind::IndefiniteLength, tag_len),
        0x81..=0x84 => usize::from(lead - 0x80) + 1,
        _ => return at(ErrorKind::LengthTooLong, tag_len),
    };
    if field.len() < len_len {
        return at(ErrorKind::Truncated, buf.len());
    }
    let Some((needed, _)) =
        long_length(field, mode).or((len_len == 1).then_some((u32::from(lead), 1)))
    else {
        return at(ErrorKind::NonMinimalLength, tag_len);
    };
    // On 16-bit targets a length past `usize` cannot fit the input either.
    let needed = usize::try_from(needed).unwrap_or(usize::MAX);
    let available = field.len() - len_len;
    at(
        ErrorKind::ValuePastEnd { needed, available },
        tag_len + len_len,
    )
}

/// Whether `b` is padding that lenient mode skips.
#[inline(always)]
pub(super) fn is_padding(b: u8) -> bool {
    b == 0x00 || b == 0xFF
}

/// Skips lenient-mode padding at the start of `rest`.
#[inline(always)]
pub(super) fn skip_padding(rest: &mut &[u8]) {
    while let [b, tail @ ..] = *rest {
        if !is_padding(*b) {
            break;
        }
        *rest = tail;
    }
}
