//! Track 2 (ISO/IEC 7813) and track 2 equivalent data (EMV tag `57`): PAN, separator (`=` on
//! the stripe, `D` in the chip's nibbles), expiry YYMM, service code, discretionary data.

use core::fmt;

use crate::error::{ErrorKind, Result};
use crate::text::Text;

/// Parsed track 2: a view over the characters.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Track2<'a> {
    text: &'a str,
    separator: usize,
}

impl<'a> Track2<'a> {
    /// Reads track 2 characters: 12–19 PAN digits, `=` or `D`, then at least the expiry and
    /// service code (7 digits); start and end sentinels (`;` `?`) are not expected.
    ///
    /// # Errors
    /// [`ErrorKind::Track2`].
    pub fn parse(text: &'a str) -> Result<Self> {
        let bytes = text.as_bytes();
        let separator = bytes
            .iter()
            .position(|&c| c == b'=' || c == b'D' || c == b'd')
            .ok_or(ErrorKind::Track2)?;
        let (pan, rest) = bytes.split_at(separator);
        // `rest` starts with the separator found above.
        let rest = rest.get(1..).unwrap_or_default();
        let ok = (12..=19).contains(&pan.len())
            && pan.iter().all(u8::is_ascii_digit)
            && rest.len() >= 7
            && text.len() <= 37
            && rest.iter().all(u8::is_ascii_digit);
        if !ok {
            return Err(ErrorKind::Track2.into());
        }
        Ok(Self { text, separator })
    }

    // The accessors below cut ranges that `parse` checked exist (a separator, then at
    // least 7 digits); their empty fallbacks are unreachable, not defaults.

    /// The primary account number.
    pub fn pan(&self) -> &'a str {
        self.text.get(..self.separator).unwrap_or_default()
    }

    fn after(&self, from: usize, n: usize) -> &'a str {
        let start = self.separator + 1 + from;
        self.text.get(start..start + n).unwrap_or_default()
    }

    /// Expiry date, YYMM.
    pub fn expiry(&self) -> &'a str {
        self.after(0, 4)
    }

    /// Service code (3 digits): the first says international/domestic and chip, the third
    /// the PIN requirement.
    pub fn service_code(&self) -> &'a str {
        self.after(4, 3)
    }

    /// Discretionary data after the service code.
    pub fn discretionary(&self) -> &'a str {
        self.text.get(self.separator + 8..).unwrap_or_default()
    }

    /// Whether the service code says the card has a chip (first digit 2 or 6): a swipe of
    /// such a card is a fallback and should be refused while the chip works.
    pub fn has_chip(&self) -> bool {
        matches!(self.service_code().as_bytes().first(), Some(b'2' | b'6'))
    }

    /// The characters as given.
    pub fn as_str(&self) -> &'a str {
        self.text
    }
}

impl fmt::Debug for Track2<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Track2({self})")
    }
}

impl fmt::Display for Track2<'_> {
    /// The PAN masked (first 6 / last 4), the separator, the rest hidden.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        cardwire_emv::mask::write_masked(f, self.text.chars(), cardwire_emv::mask::Masking::Track2)
    }
}

/// Track 2 equivalent data (tag `57`, packed nibbles, `D` separator, `F` pad) as characters
/// with `D` as separator.
///
/// # Errors
/// [`ErrorKind::Track2`] for a nibble that is neither a digit, `D` nor the final `F`.
pub fn from_nibbles(data: &[u8]) -> Result<Text<40>> {
    let mut out = [0u8; 40];
    let mut n = 0;
    let total = data.len() * 2;
    let nibbles = data.iter().flat_map(|b| [b >> 4, b & 0x0F]);
    for (i, nibble) in nibbles.enumerate() {
        let c = match nibble {
            0..=9 => b'0' + nibble,
            0xD => b'D',
            0xF if i + 1 == total => break,
            _ => return Err(ErrorKind::Track2.into()),
        };
        *out.get_mut(n).ok_or(ErrorKind::Track2)? = c;
        n += 1;
    }
    // `n` counts the characters written into `out`: the range is always there.
    Text::from_utf8(out.get(..n).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn stripe_and_chip_forms() {
        // The published CUPS purchase's track 2 (shared/research/iso8583.md, vector V1).
        let t = Track2::parse("4392260009942820D131210112008439").unwrap();
        assert_eq!(t.pan(), "4392260009942820");
        assert_eq!(t.expiry(), "1312");
        assert_eq!(t.service_code(), "101");
        assert_eq!(t.discretionary(), "12008439");
        assert!(!t.has_chip());
        assert_eq!(t.to_string(), "439226******2820D***************");
        let s = Track2::parse("6214830012345673=29122201234").unwrap();
        assert!(s.has_chip());
        for bad in [
            "",
            "6214830012345673",
            "62148=29122201",
            "621483001234567X=2912220",
            "6214830012345673=291",
        ] {
            assert!(Track2::parse(bad).is_err(), "{bad}");
        }
        let text = from_nibbles(&[
            0x62, 0x14, 0x83, 0x00, 0x12, 0x34, 0x56, 0x73, 0xD2, 0x91, 0x22, 0x20, 0x1F,
        ])
        .unwrap();
        assert_eq!(text.as_str(), "6214830012345673D29122201");
        assert!(from_nibbles(&[0x6A]).is_err());
    }
}
