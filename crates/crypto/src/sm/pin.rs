//! PIN blocks enciphered under SM4.
//!
//! ISO 9564-1:2017 defines one PIN block for 128-bit block ciphers, format 4 (§9.4.2): a
//! 16-byte plain PIN field `4 L PIN A…A` followed by 8 random bytes, a 16-byte PAN field
//! `M PAN 0…0`, and the enciphered block `E(K, E(K, PIN field) ⊕ PAN field)`. The standard
//! names AES as the cipher; SM4 has the same block and key size, and here it takes AES's
//! place. The fields are [`crate::pin::PinField`] and [`crate::pin::pan_field`], shared with
//! the AES path, so the same PIN and PAN give the same plain fields under either cipher.

use super::sm4::{Sm4Cipher, Sm4Key};
use crate::error::Result;
use crate::pin::{PinField, pan_field};

/// Enciphers a format 4 PIN field under an SM4 key: `E(K, E(K, PIN field) ⊕ PAN field)`.
pub fn encipher(field: &PinField, key: &Sm4Key, pan: &str) -> Result<[u8; 16]> {
    let pan = pan_field(pan)?;
    let cipher = key.cipher();
    let mut block = *field.as_bytes();
    cipher.encrypt_block(&mut block);
    xor(&mut block, &pan);
    cipher.encrypt_block(&mut block);
    Ok(block)
}

/// Deciphers a format 4 PIN block enciphered under SM4: `D(K, D(K, block) ⊕ PAN field)`.
/// Decode the PIN with [`PinField::decode`], which checks the control nibble and the fill.
pub fn decipher(block: &[u8; 16], key: &Sm4Key, pan: &str) -> Result<PinField> {
    decipher_with(block, &key.cipher(), pan)
}

/// [`decipher`] with the PIN key's schedule already expanded (a session's PIK).
pub fn decipher_with(block: &[u8; 16], cipher: &Sm4Cipher, pan: &str) -> Result<PinField> {
    let pan = pan_field(pan)?;
    let mut clear = *block;
    cipher.decrypt_block(&mut clear);
    xor(&mut clear, &pan);
    cipher.decrypt_block(&mut clear);
    let field = PinField::from_bytes(clear);
    zeroize::Zeroize::zeroize(&mut clear);
    Ok(field)
}

fn xor(a: &mut [u8; 16], b: &[u8; 16]) {
    for (x, y) in a.iter_mut().zip(b) {
        *x ^= y;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pin::Pin;
    use crate::{AesKey, ErrorKind};
    use hex_literal::hex;

    #[test]
    fn round_trip_and_wrong_pan_or_key() {
        let key = Sm4Key::new(&hex!("0123456789ABCDEFFEDCBA9876543210")).unwrap();
        let pin = Pin::new("1234").unwrap();
        let field = PinField::new(&pin, &hex!("2F69ADDE2E9E7ACE"));
        let block = encipher(&field, &key, "4111111111111111").unwrap();
        let back = decipher(&block, &key, "4111111111111111").unwrap();
        assert!(back.decode().unwrap().ct_eq(&pin));
        // Another PAN or key gives a field that fails the format checks.
        assert!(
            decipher(&block, &key, "4111111111111112")
                .unwrap()
                .decode()
                .is_err()
        );
        let other = Sm4Key::new(&[1; 16]).unwrap();
        assert!(
            decipher(&block, &other, "4111111111111111")
                .unwrap()
                .decode()
                .is_err()
        );
        assert_eq!(
            encipher(&field, &key, "41x1").unwrap_err().kind(),
            ErrorKind::InvalidDigit
        );
    }

    #[test]
    fn same_fields_as_the_aes_path_with_another_cipher() {
        // The X9.24-3 format 4 example under AES, and the same key bytes under SM4.
        let bytes = hex!("AF8CB133A78F8DC2D1359F18527593FB");
        let field = PinField::new(&Pin::new("1234").unwrap(), &hex!("2F69ADDE2E9E7ACE"));
        let aes = field
            .encipher(&AesKey::new(&bytes).unwrap(), "4111111111111111")
            .unwrap();
        assert_eq!(aes, hex!("A912150391AB65A67E52883D81CE2D15"));
        let sm4 = encipher(&field, &Sm4Key::new(&bytes).unwrap(), "4111111111111111").unwrap();
        assert_ne!(sm4, aes);
    }
}
