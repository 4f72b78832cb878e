//! Expanded block ciphers for the key types, with ECB, CBC and CTR over caller buffers.
//!
//! Building a [`TdesCipher`] or [`AesCipher`] runs the key schedule once; encrypt as many
//! blocks as needed with it. These are the primitives the MAC, check value, PIN, DUKPT,
//! TR-31, card value and EMV modules share; this module knows only the key types below it.

use aes::{Aes128, Aes128Enc, Aes192, Aes192Enc, Aes256, Aes256Enc};
use cipher::array::Array;
use cipher::consts::{U8, U16, U24};
use cipher::{BlockCipherDecrypt, BlockCipherEncrypt, BlockModeDecrypt, BlockModeEncrypt};
use cipher::{InnerIvInit, KeyInit};

use des::{Des, TdesEde2, TdesEde3};

use crate::error::{ErrorKind, Result};
use crate::key::{AesKey, AesKeyLength, TdesKey, TdesKeyLength};

/// DES, two-key or three-key TDES with its key schedule expanded (zeroized on drop).
#[derive(Clone, Debug)]
pub enum TdesCipher {
    /// Single DES (8-byte key).
    Des(Des),
    /// Two-key TDES, EDE with K1 K2 K1 (16-byte key).
    Ede2(TdesEde2),
    /// Three-key TDES, EDE (24-byte key).
    Ede3(TdesEde3),
}

/// AES-128, AES-192 or AES-256 with its key schedule expanded (zeroized on drop).
#[derive(Clone, Debug)]
pub enum AesCipher {
    /// AES-128.
    Aes128(Aes128),
    /// AES-192.
    Aes192(Aes192),
    /// AES-256.
    Aes256(Aes256),
}

macro_rules! dispatch {
    ($self:expr, $c:ident => $body:expr) => {
        match $self {
            Self::Des($c) => $body,
            Self::Ede2($c) => $body,
            Self::Ede3($c) => $body,
        }
    };
}

macro_rules! dispatch_aes {
    ($self:expr, $c:ident => $body:expr) => {
        match $self {
            Self::Aes128($c) => $body,
            Self::Aes192($c) => $body,
            Self::Aes256($c) => $body,
        }
    };
}

/// AES with only the encryption key schedule: cheaper to build when nothing is decrypted
/// (format 4 encipherment, key derivation).
#[derive(Clone, Debug)]
pub enum AesEncryptor {
    /// AES-128.
    Aes128(Aes128Enc),
    /// AES-192.
    Aes192(Aes192Enc),
    /// AES-256.
    Aes256(Aes256Enc),
}

impl AesEncryptor {
    /// Expands `key` for encryption.
    #[inline]
    pub fn new(key: &AesKey) -> Self {
        let k = key.array();
        match key.key_length() {
            AesKeyLength::Aes128 => Self::Aes128(Aes128Enc::new(k.split_ref::<U16>().0)),
            AesKeyLength::Aes192 => Self::Aes192(Aes192Enc::new(k.split_ref::<U24>().0)),
            AesKeyLength::Aes256 => Self::Aes256(Aes256Enc::new(k)),
        }
    }

    /// Encrypts one 16-byte block in place.
    #[inline]
    pub fn encrypt_block(&self, block: &mut [u8; 16]) {
        let b = Array::cast_from_core_mut(block);
        dispatch_aes!(self, c => c.encrypt_block(b));
    }
}

impl TdesCipher {
    /// Expands `key`.
    pub fn new(key: &TdesKey) -> Self {
        let k = key.array();
        match key.key_length() {
            TdesKeyLength::Single => Self::Des(Des::new(k.split_ref::<U8>().0)),
            TdesKeyLength::Double => Self::Ede2(TdesEde2::new(k.split_ref::<U16>().0)),
            TdesKeyLength::Triple => Self::Ede3(TdesEde3::new(k.split_ref::<U24>().0)),
        }
    }

    /// Encrypts one 8-byte block in place.
    pub fn encrypt_block(&self, block: &mut [u8; 8]) {
        let b = Array::cast_from_core_mut(block);
        dispatch!(self, c => c.encrypt_block(b));
    }

    /// Decrypts one 8-byte block in place.
    pub fn decrypt_block(&self, block: &mut [u8; 8]) {
        let b = Array::cast_from_core_mut(block);
        dispatch!(self, c => c.decrypt_block(b));
    }

    /// Encrypts `data` in ECB mode; its length must be a multiple of 8.
    pub fn encrypt_ecb(&self, data: &mut [u8]) -> Result<()> {
        let blocks = blocks8(data)?;
        dispatch!(self, c => c.encrypt_blocks(blocks));
        Ok(())
    }

    /// Decrypts `data` in ECB mode; its length must be a multiple of 8.
    pub fn decrypt_ecb(&self, data: &mut [u8]) -> Result<()> {
        let blocks = blocks8(data)?;
        dispatch!(self, c => c.decrypt_blocks(blocks));
        Ok(())
    }

    /// Encrypts `data` in CBC mode from `iv`; its length must be a multiple of 8.
    pub fn encrypt_cbc(&self, iv: &[u8; 8], data: &mut [u8]) -> Result<()> {
        let blocks = blocks8(data)?;
        let iv = Array::from(*iv);
        dispatch!(self, c => cbc::Encryptor::inner_iv_init(c.clone(), &iv).encrypt_blocks(blocks));
        Ok(())
    }

    /// Decrypts `data` in CBC mode from `iv`; its length must be a multiple of 8.
    pub fn decrypt_cbc(&self, iv: &[u8; 8], data: &mut [u8]) -> Result<()> {
        let blocks = blocks8(data)?;
        let iv = Array::from(*iv);
        dispatch!(self, c => cbc::Decryptor::inner_iv_init(c.clone(), &iv).decrypt_blocks(blocks));
        Ok(())
    }
}

impl AesCipher {
    /// Expands `key`.
    pub fn new(key: &AesKey) -> Self {
        let k = key.array();
        match key.key_length() {
            AesKeyLength::Aes128 => Self::Aes128(Aes128::new(k.split_ref::<U16>().0)),
            AesKeyLength::Aes192 => Self::Aes192(Aes192::new(k.split_ref::<U24>().0)),
            AesKeyLength::Aes256 => Self::Aes256(Aes256::new(k)),
        }
    }

    /// Encrypts one 16-byte block in place.
    pub fn encrypt_block(&self, block: &mut [u8; 16]) {
        let b = Array::cast_from_core_mut(block);
        dispatch_aes!(self, c => c.encrypt_block(b));
    }

    /// Decrypts one 16-byte block in place.
    pub fn decrypt_block(&self, block: &mut [u8; 16]) {
        let b = Array::cast_from_core_mut(block);
        dispatch_aes!(self, c => c.decrypt_block(b));
    }

    /// Encrypts `data` in ECB mode; its length must be a multiple of 16.
    pub fn encrypt_ecb(&self, data: &mut [u8]) -> Result<()> {
        let blocks = blocks16(data)?;
        dispatch_aes!(self, c => c.encrypt_blocks(blocks));
        Ok(())
    }

    /// Decrypts `data` in ECB mode; its length must be a multiple of 16.
    pub fn decrypt_ecb(&self, data: &mut [u8]) -> Result<()> {
        let blocks = blocks16(data)?;
        dispatch_aes!(self, c => c.decrypt_blocks(blocks));
        Ok(())
    }

    /// Encrypts `data` in CBC mode from `iv`; its length must be a multiple of 16.
    pub fn encrypt_cbc(&self, iv: &[u8; 16], data: &mut [u8]) -> Result<()> {
        let blocks = blocks16(data)?;
        let iv = Array::from(*iv);
        dispatch_aes!(self, c => cbc::Encryptor::inner_iv_init(c.clone(), &iv).encrypt_blocks(blocks));
        Ok(())
    }

    /// Decrypts `data` in CBC mode from `iv`; its length must be a multiple of 16.
    pub fn decrypt_cbc(&self, iv: &[u8; 16], data: &mut [u8]) -> Result<()> {
        let blocks = blocks16(data)?;
        let iv = Array::from(*iv);
        dispatch_aes!(self, c => cbc::Decryptor::inner_iv_init(c.clone(), &iv).decrypt_blocks(blocks));
        Ok(())
    }

    /// Encrypts or decrypts `data` (any length) in CTR mode with a 128-bit big-endian
    /// counter starting at `iv` (NIST SP 800-38A), as ISO 20038 key blocks use.
    pub fn apply_ctr(&self, iv: &[u8; 16], data: &mut [u8]) {
        let mut counter = u128::from_be_bytes(*iv);
        for chunk in data.chunks_mut(16) {
            let mut pad = counter.to_be_bytes();
            self.encrypt_block(&mut pad);
            for (d, p) in chunk.iter_mut().zip(pad) {
                *d ^= p;
            }
            counter = counter.wrapping_add(1);
        }
    }
}

impl TdesKey {
    /// The expanded key schedule, for encrypting or decrypting many blocks.
    pub fn cipher(&self) -> TdesCipher {
        TdesCipher::new(self)
    }
}

impl AesKey {
    /// The expanded key schedule, for encrypting or decrypting many blocks.
    pub fn cipher(&self) -> AesCipher {
        AesCipher::new(self)
    }

    /// The encryption key schedule only (cheaper when nothing is decrypted).
    pub fn encryptor(&self) -> AesEncryptor {
        AesEncryptor::new(self)
    }
}

/// `data` seen as whole 8-byte blocks.
fn blocks8(data: &mut [u8]) -> Result<&mut [Array<u8, U8>]> {
    let len = data.len();
    match Array::slice_as_chunks_mut(data) {
        (blocks, []) => Ok(blocks),
        _ => Err(ErrorKind::Length { len }.into()),
    }
}

/// `data` seen as whole 16-byte blocks.
fn blocks16(data: &mut [u8]) -> Result<&mut [Array<u8, U16>]> {
    let len = data.len();
    match Array::slice_as_chunks_mut(data) {
        (blocks, []) => Ok(blocks),
        _ => Err(ErrorKind::Length { len }.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hex_literal::hex;

    #[test]
    fn tdes_cbc_round_trip_and_length_check() {
        let key = TdesKey::new(&hex!("0123456789ABCDEFFEDCBA9876543210")).unwrap();
        let c = key.cipher();
        let mut data = *b"sixteen bytes!!!";
        c.encrypt_cbc(&[1; 8], &mut data).unwrap();
        assert_ne!(&data, b"sixteen bytes!!!");
        c.decrypt_cbc(&[1; 8], &mut data).unwrap();
        assert_eq!(&data, b"sixteen bytes!!!");
        let mut odd = [0u8; 9];
        assert!(c.encrypt_ecb(&mut odd).is_err());
    }

    #[test]
    fn single_length_is_des_and_double_is_ede() {
        // A double-length key with equal halves is single DES.
        let single = TdesKey::new(&hex!("0123456789ABCDEF")).unwrap();
        let double = TdesKey::new(&hex!("0123456789ABCDEF0123456789ABCDEF")).unwrap();
        let (mut a, mut b) = ([0u8; 8], [0u8; 8]);
        single.cipher().encrypt_block(&mut a);
        double.cipher().encrypt_block(&mut b);
        assert_eq!(a, b);
        // psec des.py docstring: KCV 08D7B4 for this key.
        let key = TdesKey::new(&hex!("0123456789ABCDEFFEDCBA9876543210")).unwrap();
        let mut zeros = [0u8; 8];
        key.cipher().encrypt_block(&mut zeros);
        assert_eq!(zeros[..3], hex!("08D7B4"));
    }

    #[test]
    fn aes_ctr_is_its_own_inverse() {
        let key = AesKey::new(&[7; 16]).unwrap();
        let c = key.cipher();
        let mut data = [0x55u8; 37];
        c.apply_ctr(&[0xFF; 16], &mut data);
        c.apply_ctr(&[0xFF; 16], &mut data);
        assert_eq!(data, [0x55u8; 37]);
    }
}
