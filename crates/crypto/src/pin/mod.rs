//! ISO 9564-1 PIN blocks, formats 0 to 4.
//!
//! | format | layout (nibbles) | PAN | enciphered with |
//! |---|---|---|---|
//! | 0 | `0 L PIN F…F`, XOR `0000` + 12 PAN digits | rightmost 12 excluding the check digit | TDES |
//! | 1 | `1 L PIN fill…` (fill chosen by the encipherer) | none | TDES |
//! | 2 | `2 L PIN F…F` (offline PIN to the card) | none | TDES |
//! | 3 | `3 L PIN fill…` (fill `A`–`F`), XOR as format 0 | as format 0 | TDES |
//! | 4 | PIN field `4 L PIN A…A` + 8 random bytes; PAN field `M PAN 0…0` | length nibble `M` = digits − 12 | AES: E(K, E(K, PIN field) ⊕ PAN field) |
//!
//! Fill is either supplied (deterministic, for test vectors and replays) or drawn from the
//! caller's random source ([`rand_core::TryCryptoRng`]); nothing here reaches for hidden
//! global randomness. Decoding checks the control field, the PIN length, the digits and the
//! fill, and returns a typed error for anything else: it never panics.

mod block;
mod field;

pub use block::PinBlock;
pub use field::PinField;

use core::fmt;

use subtle::ConstantTimeEq;

use crate::buf::Len;
use crate::error::{Error, ErrorKind, Result};
use crate::key::wipe_on_drop;

/// Fewest PIN digits ISO 9564-1 allows.
pub const MIN_PIN_LEN: usize = 4;
/// Most PIN digits ISO 9564-1 allows.
pub const MAX_PIN_LEN: usize = 12;
/// Most PAN digits (ISO/IEC 7812).
pub const MAX_PAN_LEN: usize = 19;

/// A cardholder PIN of 4 to 12 decimal digits. Zeroized on drop; `Debug` shows only the
/// length.
///
/// ```
/// use cardwire_crypto::pin::Pin;
///
/// let pin = Pin::new("1234")?;
/// assert_eq!(format!("{pin:?}"), "Pin { len: 4, .. }");
/// assert!(Pin::new("123").is_err() && Pin::new("12a4").is_err());
/// # Ok::<(), cardwire_crypto::Error>(())
/// ```
#[derive(Clone)]
pub struct Pin {
    digits: [u8; MAX_PIN_LEN],
    len: Len<MAX_PIN_LEN>,
}
wipe_on_drop!(Pin, digits);

impl Pin {
    /// A PIN from its decimal digits.
    pub fn new(pin: &str) -> Result<Self> {
        Self::from_ascii(pin.as_bytes())
    }

    /// A PIN from ASCII decimal digits.
    pub fn from_ascii(pin: &[u8]) -> Result<Self> {
        Self::from_values(pin.iter().map(|c| c.wrapping_sub(b'0')), pin.len())
    }

    /// A PIN from `len` digit values 0 to 9 (a value above 9 is
    /// [`ErrorKind::InvalidDigit`] at its position).
    pub(crate) fn from_values(values: impl Iterator<Item = u8>, len: usize) -> Result<Self> {
        let len = Len::new(len)
            .filter(|l| l.get() >= MIN_PIN_LEN)
            .ok_or(Error::new(ErrorKind::PinLength { len }))?;
        let mut digits = [0u8; MAX_PIN_LEN];
        for (i, (d, v)) in len.of_mut(&mut digits).iter_mut().zip(values).enumerate() {
            if v > 9 {
                return Err(Error::at(ErrorKind::InvalidDigit, i));
            }
            *d = b'0' + v;
        }
        Ok(Self { digits, len })
    }

    /// The digits. They are secret: do not log them.
    pub fn as_str(&self) -> &str {
        crate::buf::ascii_str(self.ascii())
    }

    /// The ASCII digits.
    pub(crate) fn ascii(&self) -> &[u8] {
        self.len.of(&self.digits)
    }

    /// The digits as values 0 to 9.
    pub(crate) fn values(&self) -> impl Iterator<Item = u8> + '_ {
        self.ascii().iter().map(|c| c - b'0')
    }

    /// Number of digits.
    pub fn len(&self) -> usize {
        self.len.get()
    }

    /// The number of digits as the length nibble of a PIN block.
    pub(crate) fn len_nibble(&self) -> u8 {
        self.len.as_u8()
    }

    /// Always `false`: a PIN has at least 4 digits.
    pub fn is_empty(&self) -> bool {
        self.len.get() == 0
    }

    /// Compares two PINs in constant time (the length is not hidden).
    pub fn ct_eq(&self, other: &Self) -> bool {
        bool::from(self.ascii().ct_eq(other.ascii()))
    }
}

impl fmt::Debug for Pin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Pin {{ len: {}, .. }}", self.len.get())
    }
}

/// The ISO 9564-1 PIN block formats.
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PinFormat {
    /// Format 0 (ANSI X9.8): PIN XOR PAN, `F` fill.
    Iso0,
    /// Format 1: no PAN, fill chosen by the encipherer.
    Iso1,
    /// Format 2: no PAN, `F` fill; offline PIN sent to the card.
    Iso2,
    /// Format 3: PIN XOR PAN, random fill `A`–`F`.
    Iso3,
    /// Format 4: AES, 16-byte PIN field and PAN field.
    Iso4,
}

impl PinFormat {
    /// The control nibble (0 to 4).
    pub const fn number(self) -> u8 {
        match self {
            Self::Iso0 => 0,
            Self::Iso1 => 1,
            Self::Iso2 => 2,
            Self::Iso3 => 3,
            Self::Iso4 => 4,
        }
    }

    /// Whether the format binds the PIN to the PAN (0, 3 and 4).
    pub const fn needs_pan(self) -> bool {
        matches!(self, Self::Iso0 | Self::Iso3 | Self::Iso4)
    }

    /// Whether the format is enciphered with AES (4) rather than TDES (0 to 3).
    pub const fn is_aes(self) -> bool {
        matches!(self, Self::Iso4)
    }
}

impl TryFrom<u8> for PinFormat {
    type Error = Error;
    fn try_from(n: u8) -> Result<Self> {
        match n {
            0 => Ok(Self::Iso0),
            1 => Ok(Self::Iso1),
            2 => Ok(Self::Iso2),
            3 => Ok(Self::Iso3),
            4 => Ok(Self::Iso4),
            found => Err(ErrorKind::PinBlockFormat { found }.into()),
        }
    }
}

/// The PAN's ASCII digits, checked: 1 to 19 decimal digits (a non-digit is
/// [`ErrorKind::InvalidDigit`] at its offset).
pub(crate) fn pan_digits(pan: &str) -> Result<&[u8]> {
    let bytes = pan.as_bytes();
    if bytes.is_empty() || bytes.len() > MAX_PAN_LEN {
        return Err(ErrorKind::PanLength { len: bytes.len() }.into());
    }
    match bytes.iter().position(|c| !c.is_ascii_digit()) {
        Some(i) => Err(Error::at(ErrorKind::InvalidDigit, i)),
        None => Ok(bytes),
    }
}

/// The 8-byte PAN block of formats 0 and 3: four zero nibbles, then the 12 rightmost PAN
/// digits excluding the check digit (left-padded with zeros if the PAN is shorter).
pub fn pan_block(pan: &str) -> Result<[u8; 8]> {
    // Every digit is checked, the check digit too. Digits shifted out of the top of the
    // accumulator are those left of the 12 kept: dropping them is the rule.
    let all = pan_digits(pan)?
        .iter()
        .fold(0u64, |acc, c| (acc << 4) | u64::from(c - b'0'));
    Ok(((all >> 4) & ((1 << 48) - 1)).to_be_bytes())
}

/// The 16-byte PAN field of format 4: a nibble `M` (PAN digits − 12, 0 for shorter PANs),
/// then the PAN left-justified (right-justified in 12 digits when shorter), zero-filled.
pub fn pan_field(pan: &str) -> Result<[u8; 16]> {
    let digits = pan_digits(pan)?;
    let len = digits.len();
    // Widening casts: `len` is at most 19.
    let m = len.saturating_sub(12) as u128;
    // Nibbles used: M, then max(len, 12) digit places; the rest of the 32 are zero.
    let places = len.max(12);
    let value = digits.iter().fold(m << (4 * (places - len)), |acc, c| {
        (acc << 4) | u128::from(c - b'0')
    });
    Ok((value << (4 * (31 - places))).to_be_bytes())
}

/// The 16 nibbles of 8 bytes, high nibble first.
pub(crate) fn nibbles(bytes: &[u8; 8]) -> [u8; 16] {
    let mut out = [0u8; 16];
    for (pair, b) in out.chunks_exact_mut(2).zip(bytes) {
        pair.copy_from_slice(&[b >> 4, b & 0xF]);
    }
    out
}

/// 16 nibbles packed into 8 bytes, high nibble first.
pub(crate) fn pack(nibbles: &[u8; 16]) -> [u8; 8] {
    let mut out = [0u8; 8];
    for (b, pair) in out.iter_mut().zip(nibbles.chunks_exact(2)) {
        *b = pair.iter().fold(0, |acc, n| (acc << 4) | (n & 0xF));
    }
    out
}

/// Reads the length nibble and the PIN digits of a block's 14 nibbles after the control
/// nibble, and checks the fill after the PIN with `fill_ok`. Offsets in errors are bytes
/// of the block.
pub(crate) fn decode_nibbles(
    len: u8,
    rest: &[u8; 14],
    fill_ok: impl Fn(u8) -> bool,
) -> Result<Pin> {
    let len = usize::from(len);
    if !(MIN_PIN_LEN..=MAX_PIN_LEN).contains(&len) {
        return Err(Error::at(ErrorKind::PinLength { len }, 0));
    }
    let (digits, fill) = rest.split_at(len);
    if let Some(i) = digits.iter().position(|n| *n > 9) {
        return Err(Error::at(ErrorKind::InvalidDigit, (i + 2) / 2));
    }
    if let Some(i) = fill.iter().position(|n| !fill_ok(*n)) {
        return Err(Error::at(ErrorKind::PinBlockFill, (i + 2 + len) / 2));
    }
    Pin::from_values(digits.iter().copied(), len)
}

#[cfg(test)]
mod tests {
    use super::*;
    use hex_literal::hex;

    #[test]
    fn pin_length_and_digits() {
        assert_eq!(
            Pin::new("123").unwrap_err().kind(),
            ErrorKind::PinLength { len: 3 }
        );
        assert_eq!(
            Pin::new("1234567890123").unwrap_err().kind(),
            ErrorKind::PinLength { len: 13 }
        );
        let err = Pin::new("12a4").unwrap_err();
        assert_eq!(
            (err.kind(), err.offset()),
            (ErrorKind::InvalidDigit, Some(2))
        );
        let pin = Pin::new("1234").unwrap();
        assert_eq!(format!("{pin:?}"), "Pin { len: 4, .. }");
        assert_eq!((pin.as_str(), pin.len_nibble()), ("1234", 4));
    }

    #[test]
    fn short_pan_is_left_padded() {
        // ISO 9564-1: fewer than 12 digits before the check digit are right-justified.
        assert_eq!(pan_block("123456").unwrap(), hex!("0000000000012345"));
        assert_eq!(
            pan_field("12345").unwrap(),
            hex!("00000000123450000000000000000000")
        );
        // psec: encode_pan_field_iso_4.
        assert_eq!(
            pan_field("4111111111111111").unwrap(),
            hex!("44111111111111111000000000000000")
        );
        assert_eq!(
            pan_block("1234567890123456789").unwrap(),
            hex!("0000789012345678")
        );
        assert!(pan_block("").is_err());
        assert!(pan_block("12345678901234567890").is_err());
        assert_eq!(pan_block("4012x").unwrap_err().offset(), Some(4));
    }
}
