//! The 15-character UnionPay merchant number (商户编号; ISO 8583 field 42, EMV tag 9F16) and the
//! 8-character terminal id (field 41, tag 9F1C).
//!
//! ```text
//!  pos  1-3   4-7     8-11   12-15
//!       AAA   RRRR    MMMM   SSSS
//!       |     |       |      +-- sequence: distinguishes merchants (letters allowed)
//!       |     |       +--------- MCC
//!       |     +----------------- region code (UnionPay or GB/T 2260 scheme)
//!       +----------------------- acquirer code
//! ```

use core::fmt;

use crate::acquirer::Acquirer;
use crate::error::{Error, ErrorKind};
use crate::mcc::Mcc;
use crate::region::Region;

/// A borrowed, validated merchant number: digits 1–11 numeric, 12–15 letters or digits.
///
/// ```
/// use cardwire_merchant::MerchantNo;
///
/// // Field 42 of a purchase: acquirer 105, region 5840 (Shenzhen), MCC 7011 (hotels).
/// let m = MerchantNo::parse(b"105584070110001")?;
/// assert_eq!(m.acquirer_code(), 105);
/// assert_eq!(m.region().to_string(), "5840");
/// assert_eq!(m.mcc().to_string(), "7011");
/// assert_eq!(m.sequence(), "0001");
///
/// // Anything but 15 characters, or letters in the first 11, is refused.
/// assert!(MerchantNo::parse(b"10558407011000").is_err());
/// assert!(MerchantNo::parse(b"1055840A0110001").is_err());
/// # Ok::<(), cardwire_merchant::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MerchantNo<'a> {
    raw: &'a [u8; 15],
}

impl<'a> MerchantNo<'a> {
    /// Length of a merchant number.
    pub const LEN: usize = 15;

    /// Validates 15 bytes of field 42 / tag 9F16 without copying them.
    pub fn parse(field42: &'a [u8]) -> Result<Self, Error> {
        let raw: &'a [u8; 15] = field42.try_into().map_err(|_| {
            Error::new(
                ErrorKind::Length {
                    expected: Self::LEN,
                    found: field42.len(),
                },
                0,
            )
        })?;
        let (digits, sequence) = raw.split_at(11);
        if let Some(i) = digits.iter().position(|b| !b.is_ascii_digit()) {
            return Err(Error::new(ErrorKind::NotDigit, i));
        }
        if let Some(i) = sequence.iter().position(|b| !b.is_ascii_alphanumeric()) {
            return Err(Error::new(ErrorKind::NotAlphanumeric, 11 + i));
        }
        Ok(Self { raw })
    }

    /// The 15 bytes.
    pub const fn as_bytes(&self) -> &'a [u8; 15] {
        self.raw
    }

    /// The number as text (it is ASCII by construction).
    pub fn as_str(&self) -> &'a str {
        crate::ascii::as_str(self.raw)
    }

    /// The 3-digit acquirer code (digits 1–3).
    pub fn acquirer_code(&self) -> u16 {
        let [a, b, c, ..] = *self.raw;
        u16::from(a - b'0') * 100 + u16::from(b - b'0') * 10 + u16::from(c - b'0')
    }

    /// The acquirer, when the embedded table knows its code.
    pub fn acquirer(&self) -> Option<Acquirer> {
        Acquirer::lookup(self.acquirer_code())
    }

    /// The region code (digits 4–7).
    pub fn region(&self) -> Region {
        let [_, _, _, a, b, c, d, ..] = *self.raw;
        Region::from_digits([a, b, c, d])
    }

    /// The MCC (digits 8–11).
    pub fn mcc(&self) -> Mcc {
        let [_, _, _, _, _, _, _, a, b, c, d, ..] = *self.raw;
        Mcc::from_digits([a, b, c, d])
    }

    /// The sequence (digits 12–15), letters allowed.
    pub fn sequence(&self) -> &'a str {
        let (_, tail) = self.raw.split_at(11);
        crate::ascii::as_str(tail)
    }

    /// An owned copy, for findings and history.
    pub const fn to_id(&self) -> MerchantId {
        MerchantId(*self.raw)
    }
}

impl fmt::Display for MerchantNo<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An owned, validated merchant number (15 bytes, `Copy`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MerchantId([u8; 15]);

impl MerchantId {
    /// Validates and copies a merchant number.
    pub fn parse(bytes: &[u8]) -> Result<Self, Error> {
        MerchantNo::parse(bytes).map(|m| m.to_id())
    }

    /// The borrowed view, to decode the parts.
    pub fn view(&self) -> MerchantNo<'_> {
        MerchantNo { raw: &self.0 }
    }

    /// The 15 bytes.
    pub const fn as_bytes(&self) -> &[u8; 15] {
        &self.0
    }
}

impl fmt::Display for MerchantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.view().fmt(f)
    }
}

/// A terminal id (field 41 / tag 9F1C): exactly 8 printable ASCII characters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TerminalId([u8; 8]);

impl TerminalId {
    /// Length of a terminal id.
    pub const LEN: usize = 8;

    /// Validates and copies 8 printable ASCII characters (spaces allowed inside, as field 41
    /// is fixed-length `ans8`).
    pub fn parse(bytes: &[u8]) -> Result<Self, Error> {
        let raw: [u8; 8] = bytes.try_into().map_err(|_| {
            Error::new(
                ErrorKind::Length {
                    expected: Self::LEN,
                    found: bytes.len(),
                },
                0,
            )
        })?;
        match raw.iter().position(|b| !(b' '..=b'~').contains(b)) {
            Some(i) => Err(Error::new(ErrorKind::NotPrintable, i)),
            None => Ok(Self(raw)),
        }
    }

    /// The 8 bytes.
    pub const fn as_bytes(&self) -> &[u8; 8] {
        &self.0
    }

    /// The id as text (it is ASCII by construction).
    pub fn as_str(&self) -> &str {
        crate::ascii::as_str(&self.0)
    }
}

impl fmt::Display for TerminalId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
