//! Key check values: what key ceremonies, TR-31 `KC` blocks and CUPS field 62 compare to
//! see that two parties hold the same key without showing it.
//!
//! | key | method | value |
//! |---|---|---|
//! | TDES | legacy (ANSI X9.24-1:2009) | the key encrypting a block of zeros ([`TdesKey::check_value`]) |
//! | TDES | CMAC (X9.24-1:2017) | TDES-CMAC of a block of zeros ([`TdesKey::check_value_cmac`]) |
//! | AES | CMAC (X9.24-1:2017, X9.143) | AES-CMAC of a block of zeros ([`AesKey::check_value`]) |
//! | AES | legacy | the key encrypting a block of zeros ([`AesKey::check_value_ecb`]) |
//!
//! Show the first 3 bytes (6 hex digits), or 5 bytes as X9.143 prefers; CUPS field 62
//! carries the first 4. Check values sit above the ciphers and MACs they use.
//!
//! ```
//! use cardwire_crypto::TdesKey;
//!
//! let kcv = TdesKey::from_hex("0123456789ABCDEFFEDCBA9876543210")?.check_value();
//! assert_eq!(kcv[..3], hex_literal::hex!("08D7B4"));
//! # Ok::<(), cardwire_crypto::Error>(())
//! ```

use crate::key::{AesKey, TdesKey};
use crate::mac;

impl TdesKey {
    /// The legacy check value: the key encrypting a block of zeros.
    pub fn check_value(&self) -> [u8; 8] {
        let mut block = [0u8; 8];
        self.cipher().encrypt_block(&mut block);
        block
    }

    /// The CMAC check value of ANSI X9.24-1:2017: TDES-CMAC of a block of zeros.
    pub fn check_value_cmac(&self) -> [u8; 8] {
        mac::cmac_tdes(self, &[0u8; 8])
    }
}

impl AesKey {
    /// The check value of ANSI X9.24-1:2017 and TR-31 / X9.143: AES-CMAC of a block of
    /// zeros.
    pub fn check_value(&self) -> [u8; 16] {
        mac::cmac_aes(self, &[0u8; 16])
    }

    /// The legacy check value: the key encrypting a block of zeros (ECB).
    pub fn check_value_ecb(&self) -> [u8; 16] {
        let mut block = [0u8; 16];
        self.cipher().encrypt_block(&mut block);
        block
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hex_literal::hex;

    #[test]
    fn published_check_values() {
        // psec des.py docstring.
        let key = TdesKey::new(&hex!("0123456789ABCDEFFEDCBA9876543210")).unwrap();
        assert_eq!(key.check_value()[..3], hex!("08D7B4"));
        // A double-length key with equal halves is single DES.
        let single = TdesKey::new(&hex!("0123456789ABCDEF")).unwrap();
        let double = TdesKey::new(&hex!("0123456789ABCDEF0123456789ABCDEF")).unwrap();
        assert_eq!(single.check_value(), double.check_value());
        // RFC 4493: AES-CMAC of the empty string differs from that of a zero block.
        let aes = AesKey::new(&hex!("2B7E151628AED2A6ABF7158809CF4F3C")).unwrap();
        assert_ne!(aes.check_value(), mac::cmac_aes(&aes, &[]));
    }
}
