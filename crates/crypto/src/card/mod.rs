//! Card security values: CVV / CVC (and CVV2, iCVV), the Visa PIN verification value (PVV),
//! IBM 3624 natural PINs and offsets, and the Luhn check digit of a card number.
//!
//! CVV2 and iCVV are the CVV algorithm with another service code: `000` for CVV2 and `999`
//! for iCVV, as the card schemes use them. Every verification compares in constant time
//! and answers [`crate::ErrorKind::Verification`] on a mismatch.
//!
//! ```
//! use cardwire_crypto::TdesKey;
//! use cardwire_crypto::card::{cvv, verify_cvv};
//!
//! let cvk = TdesKey::from_hex("0123456789ABCDEFFEDCBA9876543210")?;
//! assert_eq!(cvv(&cvk, "1234567890123456", "9912", "220")?.as_str(), "170");
//! verify_cvv(&cvk, "1234567890123456", "9912", "220", "170")?;
//! # Ok::<(), cardwire_crypto::Error>(())
//! ```

mod cvv;
mod ibm3624;
pub mod luhn;
mod pvv;

pub use cvv::{cvv, verify_cvv};
pub use ibm3624::{
    DecimalizationTable, ibm3624_natural_pin, ibm3624_offset, ibm3624_pin, validation_data,
    verify_ibm3624,
};
pub use pvv::{pvv, pvv_with, verify_pvv, verify_pvv_with};

use core::fmt;

use subtle::ConstantTimeEq;

use crate::buf::Len;
use crate::error::{Error, ErrorKind, Result};

/// Most digits a card algorithm produces here (an IBM 3624 offset of a 12-digit PIN).
const MAX_DIGITS: usize = 16;

/// A short string of decimal digits produced by a card algorithm (CVV, PVV, IBM 3624
/// offset). Zeroized on drop; `Debug` shows only the length, since a CVV is sensitive.
#[derive(Clone)]
pub struct Digits {
    digits: [u8; MAX_DIGITS],
    len: Len<MAX_DIGITS>,
}
crate::key::wipe_on_drop!(Digits, digits);

impl Digits {
    /// The digits of `values` (0 to 9 each), as many as fit.
    fn from_values(values: impl Iterator<Item = u8>) -> Self {
        let mut digits = [0u8; MAX_DIGITS];
        let n = digits
            .iter_mut()
            .zip(values)
            .map(|(slot, v)| *slot = b'0' + v % 10)
            .count();
        Self {
            digits,
            len: Len::clamped(n),
        }
    }

    /// The digits.
    pub fn as_str(&self) -> &str {
        crate::buf::ascii_str(self.len.of(&self.digits))
    }

    /// Compares with `other` (ASCII digits) in constant time.
    pub fn ct_eq(&self, other: &str) -> bool {
        bool::from(self.as_str().as_bytes().ct_eq(other.as_bytes()))
    }
}

impl fmt::Debug for Digits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Digits {{ len: {}, .. }}", self.len.get())
    }
}

/// The decimal digit values of `text`, which must have `min` to `N` digits; `kind` is the
/// error for another length, [`ErrorKind::InvalidDigit`] at its offset for a non-digit.
fn digit_values<const N: usize>(
    text: &str,
    min: usize,
    kind: ErrorKind,
) -> Result<([u8; N], Len<N>)> {
    let bytes = text.as_bytes();
    let len = Len::<N>::new(bytes.len())
        .filter(|l| l.get() >= min)
        .ok_or(Error::new(kind))?;
    let mut values = [0u8; N];
    for (i, (v, c)) in len.of_mut(&mut values).iter_mut().zip(bytes).enumerate() {
        if !c.is_ascii_digit() {
            return Err(Error::at(ErrorKind::InvalidDigit, i));
        }
        *v = c - b'0';
    }
    Ok((values, len))
}

/// A PAN's digit values (1 to 19 digits).
fn pan_values(pan: &str) -> Result<([u8; 19], Len<19>)> {
    digit_values(pan, 1, ErrorKind::PanLength { len: pan.len() })
}

/// Up to 16 nibbles packed into 8 bytes, high nibble first, zero-filled on the right.
fn pack_nibbles(nibbles: impl Iterator<Item = u8>) -> [u8; 8] {
    let mut all = [0u8; 16];
    for (d, s) in all.iter_mut().zip(nibbles) {
        *d = s & 0xF;
    }
    crate::pin::pack(&all)
}

/// The usual decimalization of a card algorithm: the decimal nibbles left to right, then, if
/// more digits are needed, the nibbles `A`–`F` as 0–5.
fn decimalize(bytes: &[u8; 8], count: usize) -> Digits {
    let all = crate::pin::nibbles(bytes);
    let first = all.iter().copied().filter(|n| *n < 10);
    let second = all.iter().copied().filter(|n| *n >= 10).map(|n| n - 10);
    Digits::from_values(first.chain(second).take(count))
}

/// `Ok` when a constant-time comparison matched.
fn verified(ok: bool) -> Result<()> {
    if ok {
        Ok(())
    } else {
        Err(ErrorKind::Verification.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hex_literal::hex;

    #[test]
    fn decimalization_takes_hex_digits_when_short() {
        // Only two decimal nibbles: the rest come from A–F as 0–5.
        let d = decimalize(&hex!("A1BCDEF2AAAAAAAA"), 4);
        assert_eq!(d.as_str(), "1201");
    }
}
