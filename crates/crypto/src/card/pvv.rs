//! The Visa PIN verification value (PVV).

use super::{Digits, decimalize, digit_values, pack_nibbles, verified};
use crate::block::TdesCipher;
use crate::error::{ErrorKind, Result};
use crate::key::TdesKey;
use crate::pin::Pin;

/// The Visa PIN verification value: the PVK encrypting the transformed security parameter
/// (11 rightmost PAN digits excluding the check digit, the PVK index, the 4 leftmost PIN
/// digits), decimalized to 4 digits.
pub fn pvv(pvk: &TdesKey, pan: &str, pvki: u8, pin: &Pin) -> Result<Digits> {
    pvv_with(&pvk.cipher(), pan, pvki, pin)
}

/// [`pvv`] with the PVK's schedule already expanded (an issuer's key, fixed while it serves).
pub fn pvv_with(pvk: &TdesCipher, pan: &str, pvki: u8, pin: &Pin) -> Result<Digits> {
    if pvki > 9 {
        return Err(ErrorKind::InvalidDigit.into());
    }
    let (values, len) = digit_values::<19>(pan, 12, ErrorKind::PanLength { len: pan.len() })?;
    let len = len.get();
    let body = values.iter().take(len - 1).skip(len - 12).copied();
    let tsp = body.chain([pvki]).chain(pin.values().take(4));
    let mut block = pack_nibbles(tsp);
    pvk.encrypt_block(&mut block);
    Ok(decimalize(&block, 4))
}

/// Verifies a PVV in constant time.
pub fn verify_pvv(pvk: &TdesKey, pan: &str, pvki: u8, pin: &Pin, received: &str) -> Result<()> {
    verified(pvv(pvk, pan, pvki, pin)?.ct_eq(received))
}

/// [`verify_pvv`] with the PVK's schedule already expanded.
pub fn verify_pvv_with(
    pvk: &TdesCipher,
    pan: &str,
    pvki: u8,
    pin: &Pin,
    received: &str,
) -> Result<()> {
    verified(pvv_with(pvk, pan, pvki, pin)?.ct_eq(received))
}

#[cfg(test)]
mod tests {
    use super::*;
    use hex_literal::hex;

    #[test]
    fn published_value_and_errors() {
        // psec pin.py: generate_visa_pvv.
        let pvk = TdesKey::new(&hex!("0123456789ABCDEFFEDCBA9876543210")).unwrap();
        let pin = Pin::new("4524").unwrap();
        assert_eq!(
            pvv(&pvk, "1122334455667788", 3, &pin).unwrap().as_str(),
            "4021"
        );
        assert!(verify_pvv(&pvk, "1122334455667788", 3, &pin, "4022").is_err());
        assert!(pvv(&pvk, "12345678901", 3, &pin).is_err());
        assert!(pvv(&pvk, "1122334455667788", 10, &pin).is_err());
    }
}
