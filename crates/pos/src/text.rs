//! Fixed-capacity values the no_std terminal keeps without an allocator: short text (terminal
//! and merchant identifiers, PANs, reference numbers) and byte strings (field 55, APDU data).

use core::fmt;

use crate::error::{ErrorKind, Result};

/// Up to `N` bytes, stored inline.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Bytes<const N: usize> {
    buf: [u8; N],
    len: usize,
}

impl<const N: usize> Default for Bytes<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> Bytes<N> {
    /// Empty.
    pub const fn new() -> Self {
        Self {
            buf: [0; N],
            len: 0,
        }
    }

    /// A copy of `bytes`.
    ///
    /// # Errors
    /// [`ErrorKind::Full`] when `bytes` is longer than `N`.
    pub fn from_slice(bytes: &[u8]) -> Result<Self> {
        let mut out = Self::new();
        out.extend(bytes)?;
        Ok(out)
    }

    /// Appends `bytes`; nothing is appended when they do not fit.
    ///
    /// # Errors
    /// [`ErrorKind::Full`].
    pub fn extend(&mut self, bytes: &[u8]) -> Result<()> {
        let end = self.len + bytes.len();
        self.buf
            .get_mut(self.len..end)
            .ok_or(ErrorKind::Full)?
            .copy_from_slice(bytes);
        self.len = end;
        Ok(())
    }

    /// The bytes held.
    pub fn as_slice(&self) -> &[u8] {
        // `len` ≤ N: every write checks it first.
        self.buf.get(..self.len).unwrap_or_default()
    }

    /// Number of bytes held.
    pub const fn len(&self) -> usize {
        self.len
    }

    /// Whether nothing is held.
    pub const fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Empties the value.
    pub fn clear(&mut self) {
        self.buf = [0; N];
        self.len = 0;
    }
}

impl<const N: usize> fmt::Debug for Bytes<N> {
    // Byte strings here may be card data: only the length is shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Bytes({} bytes)", self.len)
    }
}

/// Up to `N` bytes of UTF-8 text, stored inline.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Text<const N: usize>(Bytes<N>);

impl<const N: usize> Text<N> {
    /// Empty text.
    pub const fn new() -> Self {
        Self(Bytes::new())
    }

    /// A copy of `text`.
    ///
    /// # Errors
    /// [`ErrorKind::Full`] when `text` is longer than `N` bytes.
    pub fn copy_from(text: &str) -> Result<Self> {
        Bytes::from_slice(text.as_bytes()).map(Self)
    }

    /// A copy of `bytes`, which must be UTF-8.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidText`] or [`ErrorKind::Full`].
    pub fn from_utf8(bytes: &[u8]) -> Result<Self> {
        let text = core::str::from_utf8(bytes).map_err(|_| ErrorKind::InvalidText)?;
        Self::copy_from(text)
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        // Only whole UTF-8 strings are ever stored.
        core::str::from_utf8(self.0.as_slice()).unwrap_or_default()
    }

    /// Length in bytes.
    pub const fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the text is empty.
    pub const fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<const N: usize> fmt::Display for Text<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl<const N: usize> fmt::Debug for Text<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

/// Whether every byte of `text` is an ASCII digit (and there is at least one).
pub(crate) fn all_digits(text: &[u8]) -> bool {
    !text.is_empty() && text.iter().all(u8::is_ascii_digit)
}

/// The last decimal digit of `v` (0–9).
const fn last_digit(v: u64) -> u8 {
    // `v % 10` is below 10: the cast cannot truncate.
    #[allow(clippy::cast_possible_truncation)]
    let d = (v % 10) as u8;
    d
}

/// `value` as `WIDTH` zero-padded ASCII digits (the value is taken modulo 10^WIDTH).
pub(crate) fn digits<const WIDTH: usize>(value: u64) -> [u8; WIDTH] {
    let mut out = [b'0'; WIDTH];
    let mut v = value;
    for d in out.iter_mut().rev() {
        *d = b'0' + last_digit(v);
        v /= 10;
    }
    out
}

/// `value` as packed BCD in `WIDTH` bytes (2 digits a byte, modulo 10^(2 WIDTH)).
pub(crate) fn bcd<const WIDTH: usize>(value: u64) -> [u8; WIDTH] {
    let mut out = [0u8; WIDTH];
    let mut v = value;
    for b in out.iter_mut().rev() {
        let lo = last_digit(v);
        v /= 10;
        let hi = last_digit(v);
        v /= 10;
        *b = (hi << 4) | lo;
    }
    out
}

/// One BCD byte of `v` (0–99; higher values keep their last two digits).
#[cfg(any(feature = "sim", test))]
pub(crate) const fn bcd_byte(v: u8) -> u8 {
    ((v / 10 % 10) << 4) | (v % 10)
}

/// Packs ASCII digits into BCD nibbles, padding an odd count with `pad` (a nibble) on the
/// right. Returns the bytes written.
#[cfg(any(feature = "sim", test))]
pub(crate) fn pack_digits(text: &[u8], pad: u8, out: &mut [u8]) -> Option<usize> {
    let n = text.len().div_ceil(2);
    let dst = out.get_mut(..n)?;
    for (i, b) in dst.iter_mut().enumerate() {
        let hi = nibble_of(*text.get(2 * i)?)?;
        let lo = match text.get(2 * i + 1) {
            Some(&c) => nibble_of(c)?,
            None => pad,
        };
        *b = (hi << 4) | lo;
    }
    Some(n)
}

#[cfg(any(feature = "sim", test))]
fn nibble_of(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'=' | b'D' | b'd' => Some(0xD),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_values() {
        let mut b = Bytes::<4>::from_slice(&[1, 2]).unwrap();
        assert_eq!(b.extend(&[3, 4, 5]).unwrap_err().kind(), ErrorKind::Full);
        assert_eq!(b.as_slice(), &[1, 2]);
        b.extend(&[3, 4]).unwrap();
        assert_eq!(b.len(), 4);
        assert_eq!(
            Text::<8>::copy_from("10580001").unwrap().as_str(),
            "10580001"
        );
        assert!(Text::<3>::copy_from("abcd").is_err());
        assert_eq!(digits::<6>(1_000_001), *b"000001");
        assert_eq!(bcd::<3>(260_526), [0x26, 0x05, 0x26]);
        assert_eq!(bcd_byte(7), 0x07);
        assert_eq!(bcd_byte(42), 0x42);
        let mut out = [0u8; 3];
        assert_eq!(pack_digits(b"12345", 0xF, &mut out), Some(3));
        assert_eq!(out, [0x12, 0x34, 0x5F]);
        assert_eq!(pack_digits(b"1x", 0xF, &mut out), None);
    }
}
