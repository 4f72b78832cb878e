//! IBM 3624 PIN verification: natural PINs, offsets, and their check.

use core::fmt;

use zeroize::{Zeroize, Zeroizing};

use super::{Digits, digit_values, pack_nibbles, pan_values, verified};
use crate::error::{ErrorKind, Result};
use crate::key::TdesKey;
use crate::pin::{MAX_PIN_LEN, MIN_PIN_LEN, Pin};

/// An IBM 3624 decimalization table: the decimal digit for each hex digit 0–F, kept as 16
/// nibbles of one word.
#[derive(Clone, Copy, PartialEq, Eq, Zeroize)]
pub struct DecimalizationTable(u64);

impl DecimalizationTable {
    /// The table from 16 decimal digits, e.g. `"0123456789012345"`.
    pub fn new(digits: &str) -> Result<Self> {
        let (values, _) = digit_values::<16>(digits, 16, ErrorKind::Length { len: digits.len() })?;
        Ok(Self(
            values
                .iter()
                .fold(0u64, |acc, v| (acc << 4) | u64::from(*v)),
        ))
    }

    /// The decimal digit for hex digit `nibble` (its low 4 bits).
    fn map(&self, nibble: u8) -> u8 {
        let shift = 4 * (15 - u32::from(nibble & 0xF));
        // The mask keeps one nibble, which a table of decimal digits holds.
        #[allow(clippy::cast_possible_truncation)]
        let digit = ((self.0 >> shift) & 0xF) as u8;
        digit
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
    let (values, pan_len) = pan_values(pan)?;
    if len == 0 || len > 16 || start + len > pan_len.get() {
        return Err(ErrorKind::Length { len }.into());
    }
    let pad = crate::hex::value(pad).ok_or(ErrorKind::InvalidHex)?;
    let digits = values.iter().skip(start).take(len).copied();
    Ok(pack_nibbles(digits.chain(core::iter::repeat(pad))))
}

/// The IBM 3624 natural PIN of `len` digits (4 to 12).
pub fn ibm3624_natural_pin(
    pvk: &TdesKey,
    validation: &[u8; 8],
    table: &DecimalizationTable,
    len: usize,
) -> Result<Pin> {
    if !(MIN_PIN_LEN..=MAX_PIN_LEN).contains(&len) {
        return Err(ErrorKind::PinLength { len }.into());
    }
    let mut block = Zeroizing::new(*validation);
    pvk.cipher().encrypt_block(&mut block);
    let all = Zeroizing::new(crate::pin::nibbles(&block));
    Pin::from_values(all.iter().map(|n| table.map(*n)), len)
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
        .values()
        .zip(natural.values())
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
    let (off, len) = digit_values::<MAX_PIN_LEN>(
        offset,
        MIN_PIN_LEN,
        ErrorKind::PinLength { len: offset.len() },
    )?;
    let natural = ibm3624_natural_pin(pvk, validation, table, len.get())?;
    let pin = natural.values().zip(off).map(|(n, o)| (n + o) % 10);
    Pin::from_values(pin, len.get())
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
    fn published_offset() {
        // psec pin.py: generate_ibm3624_offset, table 1234567890123456, offset 0000.
        let pvk = TdesKey::new(&hex!("0123456789ABCDEFFEDCBA9876543210")).unwrap();
        let table = DecimalizationTable::new("1234567890123456").unwrap();
        let v = validation_data("1122334455667788", 0, 16, b'F').unwrap();
        let pin = Pin::new("4524").unwrap();
        assert_eq!(
            ibm3624_offset(&pvk, &v, &table, &pin).unwrap().as_str(),
            "0000"
        );
        verify_ibm3624(&pvk, &v, &table, "0000", &pin).unwrap();
        assert!(verify_ibm3624(&pvk, &v, &table, "0001", &pin).is_err());
        assert!(validation_data("1122", 2, 3, b'F').is_err());
        assert!(validation_data("1122", 0, 2, b'G').is_err());
        assert!(DecimalizationTable::new("123456789012345").is_err());
    }
}
