//! The head of a message: the MTI and the bitmaps, read before any field.

use crate::bitmap::Bitmap;
use crate::error::{Error, ErrorKind, FieldPath, at};
use crate::mti::Mti;
use crate::spec::{BitmapEncoding, MessageSpec, MtiEncoding};
use crate::text::{from_ebcdic_byte, hex_value, range8};

/// The error for an item at `offset` that would end at `end`, past the end of `buf`.
#[cold]
pub(super) fn truncated(buf: &[u8], end: usize, offset: usize, path: FieldPath) -> Error {
    Error::new(
        ErrorKind::Truncated {
            needed: end.saturating_sub(buf.len()),
        },
        offset,
        path,
    )
}

/// The MTI, the bitmap as on the wire, and where the first field starts.
#[derive(Clone, Copy, Debug)]
pub(super) struct Head {
    pub mti: Mti,
    pub bitmap: Bitmap,
    pub body: usize,
}

impl Head {
    /// The data fields the bitmap announces (bitmap indicators removed).
    #[inline(always)]
    pub fn data(&self, spec: &MessageSpec) -> Bitmap {
        let mut data = self.bitmap;
        data.remove(1);
        if spec.bitmaps() >= 3 {
            data.remove(65);
        }
        data
    }
}

/// Reads the MTI and the bitmaps.
#[inline(always)]
pub(super) fn read_head(spec: &MessageSpec, buf: &[u8]) -> Result<Head, Error> {
    let (mti, off) = read_mti(spec, buf)?;
    let (bitmap, body) = read_bitmaps(spec, buf, off)?;
    Ok(Head { mti, bitmap, body })
}

/// Reads the MTI; returns it and the offset after it.
#[inline(always)]
fn read_mti(spec: &MessageSpec, buf: &[u8]) -> Result<(Mti, usize), Error> {
    let len = spec.mti_len();
    let raw = buf
        .get(..len)
        .ok_or_else(|| truncated(buf, len, 0, FieldPath::MESSAGE))?;
    let digits = match (spec.mti_encoding(), raw) {
        (MtiEncoding::Ascii, &[a, b, c, d]) => [a, b, c, d],
        (MtiEncoding::Ebcdic, &[a, b, c, d]) => [a, b, c, d].map(from_ebcdic_byte),
        (MtiEncoding::Bcd, &[x, y]) => {
            [x >> 4, x & 15, y >> 4, y & 15].map(|n| if n <= 9 { b'0' + n } else { b'?' })
        }
        _ => return Err(at(ErrorKind::InvalidMti, 0)),
    };
    let mti = Mti::new(digits).ok_or(at(ErrorKind::InvalidMti, 0))?;
    Ok((mti, len))
}

/// Reads one 64-bit bitmap at `off`.
#[inline(always)]
fn read_bitmap_word(spec: &MessageSpec, buf: &[u8], off: usize) -> Result<u64, Error> {
    let rest = buf.get(off..);
    let missing = || truncated(buf, off + spec.bitmap_len(), off, FieldPath::MESSAGE);
    match spec.bitmap_encoding() {
        BitmapEncoding::Binary => {
            let raw = rest
                .and_then(<[u8]>::first_chunk::<8>)
                .ok_or_else(missing)?;
            Ok(u64::from_be_bytes(*raw))
        }
        BitmapEncoding::Hex => {
            let raw = rest
                .and_then(<[u8]>::first_chunk::<16>)
                .ok_or_else(missing)?;
            hex_word(raw).map_err(|i| at(ErrorKind::InvalidBitmap, off + i))
        }
    }
}

/// Sixteen upper-case hex characters as a number; the position of the first character that
/// is not one otherwise.
#[inline(always)]
fn hex_word(chars: &[u8; 16]) -> Result<u64, usize> {
    if let ([hi, lo], []) = chars.as_chunks::<8>()
        && let (Some(h), Some(l)) = (hex8(u64::from_be_bytes(*hi)), hex8(u64::from_be_bytes(*lo)))
    {
        return Ok((u64::from(h) << 32) | u64::from(l));
    }
    hex_word_slow(chars)
}

/// [`hex_word`] one character at a time: finds the character that is not hex.
#[cold]
fn hex_word_slow(chars: &[u8; 16]) -> Result<u64, usize> {
    chars
        .iter()
        .enumerate()
        .try_fold(0u64, |w, (i, &c)| match hex_value(c) {
            Some(v) => Ok((w << 4) | u64::from(v)),
            None => Err(i),
        })
}

/// Eight upper-case hex characters (big-endian in `v`) as a number, eight at a time.
#[inline(always)]
fn hex8(v: u64) -> Option<u32> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let digit = range8(v, b'0', b'9');
    let letter = range8(v, b'A', b'F');
    if v & HIGH != 0 || (digit | letter) != HIGH {
        return None;
    }
    // Digits: low nibble; letters: low nibble + 9.
    let nibbles = (v & (0x0F * ONES)) + ((letter >> 7) * 9);
    // Gather the eight nibbles (big-endian bytes) into 32 bits.
    let mut x = nibbles;
    x = ((x >> 4) | x) & 0x00FF_00FF_00FF_00FF;
    x = ((x >> 8) | x) & 0x0000_FFFF_0000_FFFF;
    x = ((x >> 16) | x) & 0x0000_0000_FFFF_FFFF;
    // The gathering leaves 32 significant bits: the mask changes nothing.
    Some((x & 0xFFFF_FFFF) as u32)
}

/// Reads the primary bitmap and the further ones it announces.
#[inline(always)]
fn read_bitmaps(spec: &MessageSpec, buf: &[u8], off: usize) -> Result<(Bitmap, usize), Error> {
    let step = spec.bitmap_len();
    let primary = read_bitmap_word(spec, buf, off)?;
    let mut end = off + step;
    if primary >> 63 == 0 {
        return Ok((Bitmap::from_words([primary, 0, 0]), end));
    }
    if spec.bitmaps() < 2 {
        return Err(at(
            ErrorKind::TooManyBitmaps {
                allowed: spec.bitmaps(),
            },
            off,
        ));
    }
    let secondary = read_bitmap_word(spec, buf, end)?;
    // A further bitmap announces at least one field: an empty one could not be re-encoded
    // (the encoder writes the bitmaps the fields need), so it is malformed.
    let tertiary = spec.bitmaps() >= 3 && secondary >> 63 == 1;
    let data = if spec.bitmaps() >= 3 {
        secondary & !(1 << 63)
    } else {
        secondary
    };
    if data == 0 && !tertiary {
        return Err(at(ErrorKind::InvalidBitmap, end));
    }
    end += step;
    let mut third = 0;
    if tertiary {
        third = read_bitmap_word(spec, buf, end)?;
        if third == 0 {
            return Err(at(ErrorKind::InvalidBitmap, end));
        }
        end += step;
    }
    Ok((Bitmap::from_words([primary, secondary, third]), end))
}
