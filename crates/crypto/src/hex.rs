//! Hexadecimal text inside key blocks (the crate stays independent of the other crates).

use crate::error::{Error, ErrorKind, Result};

const DIGITS: &[u8; 16] = b"0123456789ABCDEF";

fn value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'A'..=b'F' => Some(c - b'A' + 10),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    }
}

/// Decodes `text` (2 characters per byte) into `out`, which must be exactly half as long.
/// Errors carry `base` plus the offset of the bad character.
pub(crate) fn decode(text: &[u8], out: &mut [u8], base: usize) -> Result<()> {
    if text.len() != out.len() * 2 {
        return Err(Error::at(ErrorKind::Length { len: text.len() }, base));
    }
    for (i, (pair, b)) in text.chunks_exact(2).zip(out.iter_mut()).enumerate() {
        let mut v = 0u8;
        for (j, c) in pair.iter().enumerate() {
            let n = value(*c).ok_or(Error::at(ErrorKind::InvalidHex, base + 2 * i + j))?;
            v = (v << 4) | n;
        }
        *b = v;
    }
    Ok(())
}

/// Parses up to 8 hex digits as a number.
pub(crate) fn number(text: &[u8]) -> Option<usize> {
    if text.is_empty() || text.len() > 8 {
        return None;
    }
    text.iter()
        .try_fold(0usize, |acc, c| Some((acc << 4) | usize::from(value(*c)?)))
}

/// Writes `bytes` as upper-case hex into `out` (twice as long).
pub(crate) fn encode(bytes: &[u8], out: &mut [u8]) {
    for (pair, b) in out.chunks_exact_mut(2).zip(bytes) {
        let hi = DIGITS.get(usize::from(b >> 4)).copied().unwrap_or(b'0');
        let lo = DIGITS.get(usize::from(b & 0xF)).copied().unwrap_or(b'0');
        pair.copy_from_slice(&[hi, lo]);
    }
}
