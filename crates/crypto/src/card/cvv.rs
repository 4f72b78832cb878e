//! CVV / CVC (CVV2 with service code `000`, iCVV with `999`).

use super::{Digits, decimalize, digit_values, pack_nibbles, pan_values, verified};
use crate::error::{ErrorKind, Result};
use crate::key::{TdesKey, TdesKeyLength};

/// The CVV (or CVC) of a card: `cvk` is the double-length key pair KA KB; `expiry` as
/// encoded on the track (usually YYMM); `service_code` 3 digits (`000` gives CVV2, `999`
/// iCVV).
pub fn cvv(cvk: &TdesKey, pan: &str, expiry: &str, service_code: &str) -> Result<Digits> {
    if cvk.key_length() != TdesKeyLength::Double {
        return Err(ErrorKind::KeyLength { len: cvk.len() }.into());
    }
    let (pan, pan_len) = pan_values(pan)?;
    let (exp, _) = digit_values::<4>(expiry, 4, ErrorKind::Length { len: expiry.len() })?;
    let (sc, _) = digit_values::<3>(
        service_code,
        3,
        ErrorKind::Length {
            len: service_code.len(),
        },
    )?;
    // PAN, expiry and service code, zero-filled to 32 nibbles: two blocks.
    let data = || pan_len.of(&pan).iter().chain(&exp).chain(&sc).copied();
    let mut block = pack_nibbles(data());
    let (left, _) = cvk.halves();
    let ka = TdesKey::new(&left.to_be_bytes())?;
    ka.cipher().encrypt_block(&mut block);
    crate::buf::xor_into(&mut block, &pack_nibbles(data().skip(16)));
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

#[cfg(test)]
mod tests {
    use super::*;
    use hex_literal::hex;

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
    }
}
