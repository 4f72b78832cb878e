//! Hexadecimal text: key blocks, optional blocks and the hex constructors of keys and KSNs
//! (the crate stays independent of the other cardwire crates).

use crate::buf::Len;
use crate::error::{Error, ErrorKind, Result};

/// The value of one hex digit, either case.
pub(crate) const fn value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'A'..=b'F' => Some(c - b'A' + 10),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    }
}

/// The upper-case hex digit of the low nibble of `n`.
pub(crate) const fn digit(n: u8) -> u8 {
    match n & 0x0F {
        d @ 0..=9 => b'0' + d,
        d => b'A' + d - 10,
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

/// Decodes `text` into the front of `out` (at most `N` bytes) and returns how many bytes
/// it holds. An odd number of digits or more than `N` bytes is a [`ErrorKind::Length`]
/// error (in bytes, rounded up); a bad digit is [`ErrorKind::InvalidHex`] at its offset.
pub(crate) fn decode_prefix<const N: usize>(text: &str, out: &mut [u8; N]) -> Result<Len<N>> {
    let text = text.as_bytes();
    let bytes = text.len().div_ceil(2);
    let len = Len::<N>::new(bytes)
        .filter(|_| text.len().is_multiple_of(2))
        .ok_or(Error::new(ErrorKind::Length { len: bytes }))?;
    decode(text, len.of_mut(out), 0)?;
    Ok(len)
}

/// Parses up to 8 hex digits as a number.
pub(crate) fn number(text: &[u8]) -> Option<usize> {
    if text.is_empty() || text.len() > 8 {
        return None;
    }
    text.iter()
        .try_fold(0usize, |acc, c| Some((acc << 4) | usize::from(value(*c)?)))
}

/// Writes `bytes` as upper-case hex into `out` (twice as long; extra room is left as is).
pub(crate) fn encode(bytes: &[u8], out: &mut [u8]) {
    for (pair, b) in out.chunks_exact_mut(2).zip(bytes) {
        pair.copy_from_slice(&[digit(b >> 4), digit(*b)]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_errors() {
        let mut out = [0u8; 4];
        let len = decode_prefix("0aFf", &mut out).unwrap();
        assert_eq!(len.of(&out), &[0x0A, 0xFF]);
        let mut text = [0u8; 4];
        encode(&[0x0A, 0xFF], &mut text);
        assert_eq!(&text, b"0AFF");
        assert_eq!(
            decode_prefix("0aF", &mut out).unwrap_err().kind(),
            ErrorKind::Length { len: 2 }
        );
        assert_eq!(
            decode_prefix("0011223344", &mut out).unwrap_err().kind(),
            ErrorKind::Length { len: 5 }
        );
        let err = decode_prefix("00x1", &mut out).unwrap_err();
        assert_eq!((err.kind(), err.offset()), (ErrorKind::InvalidHex, Some(2)));
    }
}
