//! Card security values: CVV / CVC (and CVV2, iCVV), the Visa PIN verification value (PVV)
//! and IBM 3624 natural PINs and offsets.
//!
//! CVV2 and iCVV are the CVV algorithm with another service code: `000` for CVV2 and `999`
//! for iCVV, as the card schemes use them. Verification compares in constant time.
//!
//! ```
//! use cardwire_crypto::TdesKey;
//! use cardwire_crypto::card::cvv;
//!
//! let cvk = TdesKey::new(&hex_literal::hex!("0123456789ABCDEFFEDCBA9876543210"))?;
//! assert_eq!(cvv(&cvk, "1234567890123456", "9912", "220")?.as_str(), "170");
//! # Ok::<(), cardwire_crypto::Error>(())
//! ```

use core::fmt;

use subtle::ConstantTimeEq;
use zeroize::Zeroize;

use crate::error::{Error, ErrorKind, Result};
use crate::key::TdesKey;
use crate::pin::Pin;

/// A short string of decimal digits produced by a card algorithm (CVV, PVV, IBM 3624
/// offset). Zeroized on drop; `Debug` shows only the length, since a CVV is sensitive.
#[derive(Clone)]
pub struct Digits {
    digits: [u8; 16],
    len: u8,
}
crate::key::wipe_on_drop!(Digits, digits);

impl Digits {
    fn from_values(values: impl Iterator<Item = u8>) -> Self {
        let mut d = Self {
            digits: [0; 16],
            len: 0,
        };
        for (slot, v) in d.digits.iter_mut().zip(values) {
            *slot = b'0' + v;
            d.len += 1;
        }
        d
    }

    /// The digits.
    pub fn as_str(&self) -> &str {
        core::str::from_utf8(self.digits.get(..usize::from(self.len)).unwrap_or_default())
            .unwrap_or_default()
    }

    /// Compares with `other` (ASCII digits) in constant time.
    pub fn ct_eq(&self, other: &str) -> bool {
        bool::from(self.as_str().as_bytes().ct_eq(other.as_bytes()))
    }
}

impl fmt::Debug for Digits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Digits {{ len: {}, .. }}", self.len)
    }
}

/// Decimal digit values of `text`, which must have `min..=max` digits.
fn digit_values(text: &str, min: usize, max: usize, kind: ErrorKind) -> Result<([u8; 32], usize)> {
    let bytes = text.as_bytes();
    if !(min..=max).contains(&bytes.len()) {
        return Err(kind.into());
    }
    let mut values = [0u8; 32];
    for (i, (v, c)) in values.iter_mut().zip(bytes).enumerate() {
        if !c.is_ascii_digit() {
            return Err(Error::at(ErrorKind::InvalidDigit, i));
        }
        *v = c - b'0';
    }
    Ok((values, bytes.len()))
}

fn pack_nibbles(nibbles: &[u8]) -> [u8; 8] {
    let mut out = [0u8; 8];
    for (b, pair) in out.iter_mut().zip(nibbles.chunks(2)) {
        *b = pair.iter().fold(0, |acc, n| (acc << 4) | n) << (4 * (2 - pair.len()));
    }
    out
}

fn nibbles_of(bytes: &[u8; 8]) -> impl Iterator<Item = u8> + '_ {
    bytes.iter().flat_map(|b| [b >> 4, b & 0xF])
}

/// The usual decimalization of a card algorithm: the decimal nibbles left to right, then, if
/// more digits are needed, the nibbles `A`–`F` as 0–5.
fn decimalize(bytes: &[u8; 8], count: usize) -> Digits {
    let first = nibbles_of(bytes).filter(|n| *n < 10);
    let second = nibbles_of(bytes).filter(|n| *n >= 10).map(|n| n - 10);
    Digits::from_values(first.chain(second).take(count))
}

/// The CVV (or CVC) of a card: `cvk` is the double-length key pair KA KB; `expiry` as
/// encoded on the track (usually YYMM); `service_code` 3 digits (`000` gives CVV2, `999`
/// iCVV).
pub fn cvv(cvk: &TdesKey, pan: &str, expiry: &str, service_code: &str) -> Result<Digits> {
    if cvk.len() != 16 {
        return Err(ErrorKind::KeyLength { len: cvk.len() }.into());
    }
    let (pan, pan_len) = digit_values(pan, 1, 19, ErrorKind::PanLength { len: pan.len() })?;
    let (exp, _) = digit_values(expiry, 4, 4, ErrorKind::Length { len: expiry.len() })?;
    let (sc, _) = digit_values(
        service_code,
        3,
        3,
        ErrorKind::Length {
            len: service_code.len(),
        },
    )?;
    let mut nibbles = [0u8; 32];
    let data = pan
        .iter()
        .take(pan_len)
        .chain(exp.iter().take(4))
        .chain(sc.iter().take(3));
    for (d, s) in nibbles.iter_mut().zip(data) {
        *d = *s;
    }
    let (first, second) = nibbles.split_at(16);
    let mut block = pack_nibbles(first);
    let (left, _) = cvk.halves();
    let ka = TdesKey::new(&left.to_be_bytes())?;
    ka.cipher().encrypt_block(&mut block);
    for (b, s) in block.iter_mut().zip(pack_nibbles(second)) {
        *b ^= s;
    }
    cvk.cipher().encrypt_block(&mut block);
    Ok(decimalize(&block, 3))
}

/// Verifies a CVV in constant time.
pub fn verify_cvv(
    cvk: &TdesKey,
    pan: &str,
    expiry: &str,
    service_code: &str,
    received: &str,
) -> Result<()> {
    verified(cvv(cvk, pan, expiry, service_code)?.ct_eq(received))
}

fn verified(ok: bool) -> Result<()> {
    if ok {
        Ok(())
    } else {
        Err(ErrorKind::Verification.into())
    }
}

/// The Visa PIN verification value: the PVK encrypting the transformed security parameter
/// (11 rightmost PAN digits excluding the check digit, the PVK index, the 4 leftmost PIN
/// digits), decimalized to 4 digits.
pub fn pvv(pvk: &TdesKey, pan: &str, pvki: u8, pin: &Pin) -> Result<Digits> {
    if pvki > 9 {
        return Err(ErrorKind::InvalidDigit.into());
    }
    let (pan, len) = digit_values(pan, 12, 19, ErrorKind::PanLength { len: pan.len() })?;
    let body = pan.get(len - 12..len - 1).unwrap_or_default();
    let pin_digits = pin.ascii().iter().take(4).map(|c| c - b'0');
    let mut nibbles = [0u8; 16];
    let tsp = body.iter().copied().chain([pvki]).chain(pin_digits);
    for (d, s) in nibbles.iter_mut().zip(tsp) {
        *d = s;
    }
    let mut block = pack_nibbles(&nibbles);
    pvk.cipher().encrypt_block(&mut block);
    Ok(decimalize(&block, 4))
}

/// Verifies a PVV in constant time.
pub fn verify_pvv(pvk: &TdesKey, pan: &str, pvki: u8, pin: &Pin, received: &str) -> Result<()> {
    verified(pvv(pvk, pan, pvki, pin)?.ct_eq(received))
}

/// An IBM 3624 decimalization table: the decimal digit for each hex digit 0–F.
#[derive(Clone, Copy, PartialEq, Eq, Zeroize)]
pub struct DecimalizationTable([u8; 16]);

impl DecimalizationTable {
    /// The table from 16 decimal digits, e.g. `"0123456789012345"`.
    pub fn new(digits: &str) -> Result<Self> {
        let (values, _) = digit_values(digits, 16, 16, ErrorKind::Length { len: digits.len() })?;
        let mut table = [0u8; 16];
        table.copy_from_slice(values.get(..16).unwrap_or_default());
        Ok(Self(table))
    }

    fn map(&self, nibble: u8) -> u8 {
        self.0.get(usize::from(nibble)).copied().unwrap_or(0)
    }
}

impl fmt::Debug for DecimalizationTable {
    // Decimalization tables are secret in HSM practice.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DecimalizationTable(..)")
    }
}

/// IBM 3624 validation data: `len` PAN digits from `start`, padded to 16 hex digits with
/// `pad` (a hex digit).
pub fn validation_data(pan: &str, start: usize, len: usize, pad: u8) -> Result<[u8; 8]> {
    let (values, pan_len) = digit_values(pan, 1, 19, ErrorKind::PanLength { len: pan.len() })?;
    if len == 0 || len > 16 || start + len > pan_len {
        return Err(ErrorKind::Length { len }.into());
    }
    let pad = match pad {
        b'0'..=b'9' => pad - b'0',
        b'A'..=b'F' => pad - b'A' + 10,
        b'a'..=b'f' => pad - b'a' + 10,
        _ => return Err(ErrorKind::InvalidHex.into()),
    };
    let mut nibbles = [pad; 16];
    for (d, s) in nibbles.iter_mut().zip(values.iter().skip(start).take(len)) {
        *d = *s;
    }
    Ok(pack_nibbles(&nibbles))
}

/// The IBM 3624 natural PIN of `len` digits (4 to 12).
pub fn ibm3624_natural_pin(
    pvk: &TdesKey,
    validation: &[u8; 8],
    table: &DecimalizationTable,
    len: usize,
) -> Result<Pin> {
    if !(4..=12).contains(&len) {
        return Err(ErrorKind::PinLength { len }.into());
    }
    let mut block = *validation;
    pvk.cipher().encrypt_block(&mut block);
    let mut ascii = [0u8; 12];
    for (d, n) in ascii.iter_mut().zip(nibbles_of(&block)) {
        *d = b'0' + table.map(n);
    }
    let pin = Pin::from_ascii(ascii.get(..len).unwrap_or_default());
    ascii.zeroize();
    block.zeroize();
    pin
}

/// The IBM 3624 offset that turns the natural PIN into `pin` (digit-wise, modulo 10).
pub fn ibm3624_offset(
    pvk: &TdesKey,
    validation: &[u8; 8],
    table: &DecimalizationTable,
    pin: &Pin,
) -> Result<Digits> {
    let natural = ibm3624_natural_pin(pvk, validation, table, pin.len())?;
    let offset = pin
        .ascii()
        .iter()
        .zip(natural.ascii())
        .map(|(p, n)| (10 + p - n) % 10);
    Ok(Digits::from_values(offset))
}

/// The PIN given by an IBM 3624 offset (its length is the PIN's).
pub fn ibm3624_pin(
    pvk: &TdesKey,
    validation: &[u8; 8],
    table: &DecimalizationTable,
    offset: &str,
) -> Result<Pin> {
    let (off, len) = digit_values(offset, 4, 12, ErrorKind::PinLength { len: offset.len() })?;
    let natural = ibm3624_natural_pin(pvk, validation, table, len)?;
    let mut ascii = [0u8; 12];
    for ((d, n), o) in ascii.iter_mut().zip(natural.ascii()).zip(off) {
        *d = b'0' + (n - b'0' + o) % 10;
    }
    let pin = Pin::from_ascii(ascii.get(..len).unwrap_or_default());
    ascii.zeroize();
    pin
}

/// Verifies a PIN against its IBM 3624 offset in constant time.
pub fn verify_ibm3624(
    pvk: &TdesKey,
    validation: &[u8; 8],
    table: &DecimalizationTable,
    offset: &str,
    pin: &Pin,
) -> Result<()> {
    verified(ibm3624_pin(pvk, validation, table, offset)?.ct_eq(pin))
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

    #[test]
    fn verification_and_input_errors() {
        let cvk = TdesKey::new(&hex!("0123456789ABCDEFFEDCBA9876543210")).unwrap();
        assert!(verify_cvv(&cvk, "1234567890123456", "9912", "220", "170").is_ok());
        assert_eq!(
            verify_cvv(&cvk, "1234567890123456", "9912", "220", "171")
                .unwrap_err()
                .kind(),
            ErrorKind::Verification
        );
        assert!(cvv(&cvk, "12345678901234x6", "9912", "220").is_err());
        assert!(cvv(&cvk, "1234567890123456", "991", "220").is_err());
        let single = TdesKey::new(&hex!("0123456789ABCDEF")).unwrap();
        assert!(cvv(&single, "1234567890123456", "9912", "220").is_err());
        let pin = Pin::new("4524").unwrap();
        assert!(pvv(&cvk, "12345678901", 3, &pin).is_err());
        assert!(pvv(&cvk, "1122334455667788", 10, &pin).is_err());
    }
}
