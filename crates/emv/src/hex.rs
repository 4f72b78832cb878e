//! Upper-case hexadecimal without allocation: formatting for output, decoding into a caller buffer.

use core::fmt;

use crate::{Error, ErrorKind};

/// Formats bytes as upper-case hex (`Display`), e.g. `9F02`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Hex<'a>(pub &'a [u8]);

impl fmt::Display for Hex<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Chunked through a stack buffer: one `write_str` per 64 bytes instead of per nibble.
        let mut buf = [0u8; 128];
        let (chunks, last) = self.0.as_chunks::<64>();
        for chunk in chunks.iter().map(|c| &c[..]).chain([last]) {
            let text = buf.get_mut(..2 * chunk.len()).ok_or(fmt::Error)?;
            for (&b, pair) in chunk.iter().zip(text.as_chunks_mut::<2>().0) {
                *pair = [nibble_char(b >> 4), nibble_char(b)];
            }
            f.write_str(core::str::from_utf8(text).map_err(|_| fmt::Error)?)?;
        }
        Ok(())
    }
}

impl fmt::Debug for Hex<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// The upper-case hex character of the low nibble of `n`.
#[inline]
pub(crate) const fn nibble_char(n: u8) -> u8 {
    let n = n & 0x0F;
    if n < 10 { b'0' + n } else { b'A' + n - 10 }
}

fn nibble_value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Decodes hex text (either case, no separators) into `out`, returning the number of bytes
/// written. Odd-length text, non-hex characters and a too-small buffer are errors; on error
/// nothing is reported as written.
///
/// # Errors
/// [`ErrorKind::InvalidHex`] with the offending character's offset, or
/// [`ErrorKind::BufferTooSmall`].
pub fn decode(text: &str, out: &mut [u8]) -> Result<usize, Error> {
    decode_into(text, out).map(|bytes| bytes.len())
}

/// As [`decode`], returning the decoded bytes: the front of `out`.
pub(crate) fn decode_into<'o>(text: &str, out: &'o mut [u8]) -> Result<&'o mut [u8], Error> {
    let bytes = text.as_bytes();
    if !bytes.len().is_multiple_of(2) {
        return Err(Error::new(ErrorKind::InvalidHex, bytes.len(), None));
    }
    let n = bytes.len() / 2;
    let dst = out
        .get_mut(..n)
        .ok_or(Error::new(ErrorKind::BufferTooSmall, 0, None))?;
    for (i, (pair, d)) in bytes.chunks_exact(2).zip(dst.iter_mut()).enumerate() {
        let (hi, lo) = match pair {
            [h, l] => (*h, *l),
            _ => return Err(Error::new(ErrorKind::InvalidHex, 2 * i, None)),
        };
        let hi = nibble_value(hi).ok_or(Error::new(ErrorKind::InvalidHex, 2 * i, None))?;
        let lo = nibble_value(lo).ok_or(Error::new(ErrorKind::InvalidHex, 2 * i + 1, None))?;
        *d = (hi << 4) | lo;
    }
    Ok(dst)
}

/// Decodes hex text into a new vector (see [`decode`]).
///
/// # Errors
/// [`ErrorKind::InvalidHex`] with the offset of the first bad character.
#[cfg(feature = "alloc")]
pub fn decode_to_vec(text: &str) -> Result<alloc::vec::Vec<u8>, Error> {
    let mut out = alloc::vec![0u8; text.len() / 2];
    let n = decode(text, &mut out)?;
    out.truncate(n);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::fmt::{Result as FmtResult, Write, write};

    #[test]
    fn formats_upper_case() {
        let long = [0xABu8; 70];
        let mut s = heapless_string::<140>();
        write(&mut s, format_args!("{}", Hex(&long))).unwrap();
        assert_eq!(s.as_str().len(), 140);
        assert!(s.as_str().chars().all(|c| c == 'A' || c == 'B'));
    }

    #[test]
    fn decodes_and_rejects() {
        let mut out = [0u8; 4];
        assert_eq!(decode("9f02", &mut out), Ok(2));
        assert_eq!(out[..2], [0x9F, 0x02]);
        assert_eq!(decode("9G", &mut out).unwrap_err().offset(), 1);
        assert_eq!(
            decode("123", &mut out).unwrap_err().kind(),
            ErrorKind::InvalidHex
        );
        assert_eq!(
            decode("0011223344", &mut out).unwrap_err().kind(),
            ErrorKind::BufferTooSmall
        );
    }

    struct Fixed<const N: usize> {
        buf: [u8; N],
        len: usize,
    }
    impl<const N: usize> Fixed<N> {
        fn as_str(&self) -> &str {
            core::str::from_utf8(&self.buf[..self.len]).unwrap()
        }
    }
    impl<const N: usize> Write for Fixed<N> {
        fn write_str(&mut self, s: &str) -> FmtResult {
            let end = self.len + s.len();
            self.buf
                .get_mut(self.len..end)
                .ok_or(fmt::Error)?
                .copy_from_slice(s.as_bytes());
            self.len = end;
            Ok(())
        }
    }
    fn heapless_string<const N: usize>() -> Fixed<N> {
        Fixed {
            buf: [0; N],
            len: 0,
        }
    }
}
