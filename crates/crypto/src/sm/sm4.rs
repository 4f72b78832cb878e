//! SM4 (GB/T 32907-2016): the 128-bit key, its check value, and ECB and CBC over caller
//! buffers. The block cipher is RustCrypto's `sm4`.

use core::fmt;

use cipher::array::Array;
use cipher::consts::U16;
use cipher::{BlockCipherDecrypt, BlockCipherEncrypt, BlockModeDecrypt, BlockModeEncrypt};
use cipher::{InnerIvInit, KeyInit};
use rand_core::TryCryptoRng;
use subtle::ConstantTimeEq;

use crate::error::{Error, ErrorKind, Result};
use crate::key::{SecretKey, wipe_on_drop};

/// Length of an SM4 key in bytes.
pub const KEY_LEN: usize = 16;
/// Length of an SM4 block in bytes.
pub const BLOCK_LEN: usize = 16;

/// An SM4 key (16 bytes). Zeroized on drop; `Debug` shows nothing of it.
#[derive(Clone)]
pub struct Sm4Key([u8; KEY_LEN]);
wipe_on_drop!(Sm4Key, 0);

impl Sm4Key {
    /// A key from exactly 16 bytes.
    pub fn new(bytes: &[u8]) -> Result<Self> {
        let bytes = <&[u8; KEY_LEN]>::try_from(bytes)
            .map_err(|_| Error::new(ErrorKind::KeyLength { len: bytes.len() }))?;
        Ok(Self(*bytes))
    }

    /// A key from a whole block (a derivation's output: every 16 bytes are a key).
    pub(crate) fn from_block(block: [u8; KEY_LEN]) -> Self {
        Self(block)
    }

    /// A fresh key from the caller's random source (a host generating working keys).
    pub fn generate<R: TryCryptoRng + ?Sized>(rng: &mut R) -> Result<Self> {
        let mut key = Self([0; KEY_LEN]);
        rng.try_fill_bytes(&mut key.0)
            .map_err(|_| Error::new(ErrorKind::Random))?;
        Ok(key)
    }

    /// The key bytes. They are secret: do not log them.
    pub fn expose(&self) -> &[u8; KEY_LEN] {
        &self.0
    }

    /// The expanded key schedule, for encrypting or decrypting many blocks.
    pub fn cipher(&self) -> Sm4Cipher {
        Sm4Cipher::new(self)
    }

    /// The check value: the key encrypting a block of zeros (GB/T 32907 has no check value
    /// of its own; this is the ECB check value that CUPS and the TDES keys use). Field 62
    /// carries its first 4 bytes; a KCV shows the first 3.
    pub fn check_value(&self) -> [u8; BLOCK_LEN] {
        let mut block = [0u8; BLOCK_LEN];
        self.cipher().encrypt_block(&mut block);
        block
    }

    /// Compares two keys in constant time.
    pub fn ct_eq(&self, other: &Self) -> bool {
        bool::from(self.0.ct_eq(&other.0))
    }
}

impl fmt::Debug for Sm4Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Sm4Key { .. }")
    }
}

impl TryFrom<&SecretKey> for Sm4Key {
    type Error = Error;
    fn try_from(key: &SecretKey) -> Result<Self> {
        Self::new(key.expose())
    }
}

/// SM4 with its round keys expanded (wiped on drop).
#[derive(Clone, Debug)]
pub struct Sm4Cipher(::sm4::Sm4);

impl Sm4Cipher {
    /// Expands `key`.
    pub fn new(key: &Sm4Key) -> Self {
        Self(::sm4::Sm4::new(Array::cast_from_core(key.expose())))
    }

    /// Encrypts one block in place.
    #[inline]
    pub fn encrypt_block(&self, block: &mut [u8; BLOCK_LEN]) {
        self.0.encrypt_block(Array::cast_from_core_mut(block));
    }

    /// Decrypts one block in place.
    #[inline]
    pub fn decrypt_block(&self, block: &mut [u8; BLOCK_LEN]) {
        self.0.decrypt_block(Array::cast_from_core_mut(block));
    }

    /// Encrypts `data` in ECB mode; its length must be a multiple of 16.
    pub fn encrypt_ecb(&self, data: &mut [u8]) -> Result<()> {
        self.0.encrypt_blocks(blocks(data)?);
        Ok(())
    }

    /// Decrypts `data` in ECB mode; its length must be a multiple of 16.
    pub fn decrypt_ecb(&self, data: &mut [u8]) -> Result<()> {
        self.0.decrypt_blocks(blocks(data)?);
        Ok(())
    }

    /// Encrypts `data` in CBC mode from `iv`; its length must be a multiple of 16.
    pub fn encrypt_cbc(&self, iv: &[u8; BLOCK_LEN], data: &mut [u8]) -> Result<()> {
        let blocks = blocks(data)?;
        cbc::Encryptor::inner_iv_init(self.0.clone(), Array::cast_from_core(iv))
            .encrypt_blocks(blocks);
        Ok(())
    }

    /// Decrypts `data` in CBC mode from `iv`; its length must be a multiple of 16.
    pub fn decrypt_cbc(&self, iv: &[u8; BLOCK_LEN], data: &mut [u8]) -> Result<()> {
        let blocks = blocks(data)?;
        cbc::Decryptor::inner_iv_init(self.0.clone(), Array::cast_from_core(iv))
            .decrypt_blocks(blocks);
        Ok(())
    }
}

/// `data` seen as whole 16-byte blocks.
fn blocks(data: &mut [u8]) -> Result<&mut [Array<u8, U16>]> {
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

    const KEY: [u8; 16] = hex!("0123456789ABCDEFFEDCBA9876543210");

    #[test]
    fn gbt_32907_example_1() {
        let key = Sm4Key::new(&KEY).unwrap();
        let mut block = KEY;
        key.cipher().encrypt_block(&mut block);
        assert_eq!(block, hex!("681EDF34D206965E86B3E94F536E4246"));
        key.cipher().decrypt_block(&mut block);
        assert_eq!(block, KEY);
    }

    #[test]
    fn modes_round_trip_and_check_lengths() {
        let c = Sm4Key::new(&KEY).unwrap().cipher();
        let plain = *b"thirty-two bytes of data to mix!";
        let mut data = plain;
        c.encrypt_cbc(&[7; 16], &mut data).unwrap();
        // CBC: the second block depends on the first.
        let mut ecb = plain;
        c.encrypt_ecb(&mut ecb).unwrap();
        assert_ne!(data[16..], ecb[16..]);
        c.decrypt_cbc(&[7; 16], &mut data).unwrap();
        assert_eq!(data, plain);
        c.decrypt_ecb(&mut ecb).unwrap();
        assert_eq!(ecb, plain);
        assert_eq!(
            c.encrypt_ecb(&mut [0u8; 17]).unwrap_err().kind(),
            ErrorKind::Length { len: 17 }
        );
        assert!(c.decrypt_cbc(&[0; 16], &mut [0u8; 15]).is_err());
    }

    #[test]
    fn key_is_checked_wiped_and_never_printed() {
        assert_eq!(
            Sm4Key::new(&[0; 15]).unwrap_err().kind(),
            ErrorKind::KeyLength { len: 15 }
        );
        let key = Sm4Key::new(&[0xAB; 16]).unwrap();
        assert_eq!(format!("{key:?}"), "Sm4Key { .. }");
        assert!(!format!("{:?}", key.cipher()).contains("AB"));
        let mut copy = key.clone();
        zeroize::Zeroize::zeroize(&mut copy);
        assert_eq!(copy.expose(), &[0; 16]);
        let secret = SecretKey::new(key.expose()).unwrap();
        assert!(Sm4Key::try_from(&secret).unwrap().ct_eq(&key));
    }
}
