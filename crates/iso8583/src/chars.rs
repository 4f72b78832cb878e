//! [`Chars`]: a field's value as characters, read in place from the wire bytes (ASCII, EBCDIC,
//! packed BCD nibbles or binary shown as hex) without copying.

use core::fmt;

use crate::spec::{Class, Encoding, Format};
use crate::text::{from_ebcdic_byte, hex_char, nibble, nibble_char};

/// How characters are laid out in the wire bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Repr {
    /// One ASCII byte per character.
    Ascii,
    /// One EBCDIC byte per character.
    Ebcdic,
    /// One nibble per character, starting at nibble `nib`.
    Nibbles,
    /// An ASCII sign byte, then nibbles from `nib` of the following bytes.
    SignNibbles,
    /// Binary bytes shown as two upper-case hex characters each.
    HexBytes,
}

/// The characters of a value (or of a subfield), borrowed from the message.
///
/// Numeric and text fields read as their digits and characters (leading zeros kept, the BCD
/// pad nibble dropped); binary fields read as upper-case hex. `Display` writes them clear:
/// masking is the business of [`Describe`](crate::Describe) and the JSON form.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Chars<'a> {
    wire: &'a [u8],
    repr: Repr,
    nib: u8,
    start: usize,
    len: usize,
}

impl<'a> Chars<'a> {
    pub(crate) const fn new(wire: &'a [u8], repr: Repr, nib: u8, len: usize) -> Self {
        Self {
            wire,
            repr,
            nib,
            start: 0,
            len,
        }
    }

    /// The characters of a field value of `chars` characters (bytes for class `b`) in its
    /// wire bytes `value`, read as `fmt` says.
    #[inline]
    pub(crate) fn of_value(fmt: &Format, value: &'a [u8], chars: usize) -> Self {
        match fmt.data {
            Encoding::Ascii => Self::new(value, Repr::Ascii, 0, chars),
            Encoding::Ebcdic => Self::new(value, Repr::Ebcdic, 0, chars),
            Encoding::Hex => Self::new(value, Repr::Ascii, 0, chars * 2),
            Encoding::Binary => Self::new(value, Repr::HexBytes, 0, chars * 2),
            Encoding::Bcd | Encoding::BcdRight => {
                let (repr, digit_bytes, digits) = if fmt.class == Class::XN {
                    (
                        Repr::SignNibbles,
                        value.len().saturating_sub(1),
                        chars.saturating_sub(1),
                    )
                } else {
                    (Repr::Nibbles, value.len(), chars)
                };
                // A left pad nibble (an odd count in `bcd`) is skipped.
                let nib = u8::from(fmt.data == Encoding::Bcd && digit_bytes * 2 != digits);
                Self::new(value, repr, nib, chars)
            }
        }
    }

    /// Number of characters.
    #[inline]
    pub const fn len(&self) -> usize {
        self.len
    }

    /// Whether there are none.
    #[inline]
    pub const fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Character `i` as an ASCII byte.
    #[inline]
    pub fn get(&self, i: usize) -> Option<u8> {
        if i >= self.len {
            return None;
        }
        let k = self.start + i;
        match self.repr {
            Repr::Ascii => self.wire.get(k).copied(),
            Repr::Ebcdic => self.wire.get(k).map(|&b| from_ebcdic_byte(b)),
            Repr::Nibbles => nibble(self.wire, usize::from(self.nib) + k).map(nibble_char),
            Repr::SignNibbles if k == 0 => self.wire.first().copied(),
            Repr::SignNibbles => {
                nibble(self.wire.get(1..)?, usize::from(self.nib) + k - 1).map(nibble_char)
            }
            Repr::HexBytes => self
                .wire
                .get(k / 2)
                .map(|&b| hex_char(if k.is_multiple_of(2) { b >> 4 } else { b })),
        }
    }

    /// The characters as ASCII bytes.
    pub fn iter(&self) -> impl Iterator<Item = u8> + Clone + 'a {
        let this = *self;
        // Views are made over wire bytes that hold every character; were one missing, the
        // iteration would stop there rather than skip it.
        (0..self.len).map_while(move |i| this.get(i))
    }

    /// The characters as `char`s.
    pub fn chars(&self) -> impl Iterator<Item = char> + Clone + 'a {
        self.iter().map(char::from)
    }

    /// `n` characters from `from`, or `None` past the end.
    pub fn slice(&self, from: usize, n: usize) -> Option<Chars<'a>> {
        (from.checked_add(n)? <= self.len).then_some(Chars {
            start: self.start + from,
            len: n,
            ..*self
        })
    }

    /// The text without copying, when the wire holds it as ASCII.
    pub fn as_str(&self) -> Option<&'a str> {
        if self.repr != Repr::Ascii {
            return None;
        }
        let bytes = self.wire.get(self.start..self.start + self.len)?;
        core::str::from_utf8(bytes).ok()
    }

    /// The value as a number, when every character is a digit (at most 19 of them).
    pub fn to_u64(&self) -> Option<u64> {
        if self.len == 0 || self.len > 19 {
            return None;
        }
        self.iter().try_fold(0u64, |acc, c| {
            c.is_ascii_digit().then(|| acc * 10 + u64::from(c - b'0'))
        })
    }

    /// Whether the characters equal `text`.
    pub fn eq_str(&self, text: &str) -> bool {
        text.len() == self.len && self.iter().eq(text.bytes())
    }

    /// Copies the characters into `out`, returning how many were written.
    pub fn copy_to(&self, out: &mut [u8]) -> Option<usize> {
        let dst = out.get_mut(..self.len)?;
        for (i, d) in dst.iter_mut().enumerate() {
            *d = self.get(i)?;
        }
        Some(self.len)
    }

    /// The characters as a new string.
    #[cfg(feature = "alloc")]
    pub fn to_string_lossless(&self) -> alloc::string::String {
        self.chars().collect()
    }
}

impl fmt::Display for Chars<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(s) = self.as_str() {
            return f.write_str(s);
        }
        // Through a stack buffer: one `write_str` per 64 characters.
        let mut buf = [0u8; 64];
        let mut from = 0;
        while from < self.len {
            let piece = self
                .slice(from, (self.len - from).min(buf.len()))
                .ok_or(fmt::Error)?;
            let n = piece.copy_to(&mut buf).ok_or(fmt::Error)?;
            let text = buf.get(..n).ok_or(fmt::Error)?;
            f.write_str(core::str::from_utf8(text).map_err(|_| fmt::Error)?)?;
            from += n;
        }
        Ok(())
    }
}

impl fmt::Debug for Chars<'_> {
    // The characters may be card data: `Debug` shows only how many there are.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Chars").field("len", &self.len).finish()
    }
}
