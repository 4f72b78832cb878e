//! Key types: secret bytes that wipe themselves on drop and never print in `Debug`,
//! odd parity, check values and variants.

use core::fmt;

use cipher::array::Array;
use cipher::consts::U32;
use subtle::{Choice, ConstantTimeEq};
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::block::{AesCipher, AesEncryptor, TdesCipher};
use crate::error::{Error, ErrorKind, Result};

/// Implements `Zeroize` as one bulk wipe of a byte-array field (the derive wipes arrays
/// byte by byte), wipes on drop, and marks the type `ZeroizeOnDrop`.
macro_rules! wipe_on_drop {
    ($ty:ty, $field:tt) => {
        impl zeroize::Zeroize for $ty {
            fn zeroize(&mut self) {
                zeroize::Zeroize::zeroize(self.$field.as_mut_slice());
            }
        }

        impl Drop for $ty {
            fn drop(&mut self) {
                zeroize::Zeroize::zeroize(self);
            }
        }

        impl zeroize::ZeroizeOnDrop for $ty {}
    };
}
pub(crate) use wipe_on_drop;

/// Longest symmetric key the crate holds without allocating (AES-256, HMAC-256).
pub const MAX_KEY_LEN: usize = 32;

/// Secret bytes of a symmetric key, 1 to 32 bytes, of no particular algorithm: an HMAC key,
/// a key unwrapped from a TR-31 block, a DUKPT working key before it is given a type.
///
/// Zeroized on drop; `Debug` shows only the length. Convert to [`TdesKey`] or [`AesKey`]
/// with `try_from`.
#[derive(Clone)]
pub struct SecretKey {
    bytes: [u8; MAX_KEY_LEN],
    len: u8,
}

wipe_on_drop!(SecretKey, bytes);

impl SecretKey {
    /// Copies 1 to 32 bytes of key material.
    pub fn new(bytes: &[u8]) -> Result<Self> {
        let mut key = Self {
            bytes: [0; MAX_KEY_LEN],
            len: 0,
        };
        // Fixed-size copies for the usual lengths compile to a few moves instead of a call.
        let (dst16, dst_rest) = key.bytes.split_at_mut(16);
        if let Ok(b) = <&[u8; 16]>::try_from(bytes) {
            dst16.copy_from_slice(b);
        } else if let Ok(b) = <&[u8; 32]>::try_from(bytes) {
            let (lo, hi) = b.split_at(16);
            dst16.copy_from_slice(lo);
            dst_rest.copy_from_slice(hi);
        } else {
            match key.bytes.get_mut(..bytes.len()) {
                Some(dst) if !bytes.is_empty() => dst.copy_from_slice(bytes),
                _ => return Err(ErrorKind::KeyLength { len: bytes.len() }.into()),
            }
        }
        key.len = u8::try_from(bytes.len()).unwrap_or(0);
        Ok(key)
    }

    /// The key bytes. They are secret: do not log them.
    pub fn expose(&self) -> &[u8] {
        self.bytes.get(..usize::from(self.len)).unwrap_or_default()
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        usize::from(self.len)
    }

    /// Always `false`: a key has at least one byte.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Compares two keys in constant time (for equal lengths).
    pub fn ct_eq(&self, other: &Self) -> bool {
        bool::from(self.expose().ct_eq(other.expose()))
    }

    /// All 32 bytes of storage (the key, then zeros), typed for the cipher constructors.
    pub(crate) fn array(&self) -> &Array<u8, U32> {
        Array::cast_from_core(&self.bytes)
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretKey {{ len: {}, .. }}", self.len)
    }
}

/// A DES or triple-DES key: 8 (single), 16 (double, two-key TDES) or 24 bytes (three-key).
///
/// A single-length key behaves as DES; a double-length key `K1 K2` as TDES `K1 K2 K1`.
/// Zeroized on drop; `Debug` shows only the length.
#[derive(Clone, Zeroize)]
pub struct TdesKey(SecretKey);

impl TdesKey {
    /// A key of 8, 16 or 24 bytes.
    pub fn new(bytes: &[u8]) -> Result<Self> {
        match bytes.len() {
            8 | 16 | 24 => SecretKey::new(bytes).map(Self),
            len => Err(ErrorKind::KeyLength { len }.into()),
        }
    }

    /// A double-length key from its two halves.
    pub(crate) fn from_halves(left: u64, right: u64) -> Self {
        let mut bytes = [0u8; 16];
        write_halves(&mut bytes, left, right);
        let key = Self(SecretKey {
            bytes: widen(&bytes),
            len: 16,
        });
        bytes.zeroize();
        key
    }

    /// The expanded key schedule, for encrypting or decrypting many blocks.
    pub fn cipher(&self) -> TdesCipher {
        TdesCipher::new(self)
    }

    /// The check value: the key encrypting a block of zeros. Show its first 3 bytes (6 hex
    /// digits) as a KCV; CUPS field 62 carries its first 4.
    pub fn check_value(&self) -> [u8; 8] {
        let mut block = [0u8; 8];
        self.cipher().encrypt_block(&mut block);
        block
    }

    /// Whether every byte has odd parity (DES keys carry a parity bit per byte).
    pub fn has_odd_parity(&self) -> bool {
        self.expose().iter().all(|b| b.count_ones() % 2 == 1)
    }

    /// The same key with the low bit of each byte set so that every byte has odd parity.
    pub fn with_odd_parity(&self) -> Self {
        let mut key = self.clone();
        let len = key.len();
        for b in key.0.bytes.iter_mut().take(len) {
            *b = odd_parity(*b);
        }
        key
    }

    /// The key XORed with `mask` (same length as the key). Use it for scheme-specific
    /// variants such as the DUKPT and TR-31 masks.
    pub fn xor(&self, mask: &[u8]) -> Result<Self> {
        if mask.len() != self.len() {
            return Err(ErrorKind::Length { len: mask.len() }.into());
        }
        let mut key = self.clone();
        for (b, m) in key.0.bytes.iter_mut().zip(mask) {
            *b ^= m;
        }
        Ok(key)
    }

    /// Key variant `n` (0 to 31) as used by Atalla-style key tables: `8 × n` XORed into the
    /// first byte of each 8-byte part of the key.
    pub fn variant(&self, n: u8) -> Result<Self> {
        if n > 31 {
            return Err(ErrorKind::Length {
                len: usize::from(n),
            }
            .into());
        }
        let mut key = self.clone();
        for part in key.0.bytes.chunks_exact_mut(8).take(self.len() / 8) {
            if let Some(first) = part.first_mut() {
                *first ^= n << 3;
            }
        }
        Ok(key)
    }

    /// The left and right 8-byte halves of a double-length key, big-endian.
    pub(crate) fn halves(&self) -> (u64, u64) {
        let b = &self.0.bytes;
        (read_u64(b, 0), read_u64(b, 8))
    }
}

/// An AES key: 16, 24 or 32 bytes. Zeroized on drop; `Debug` shows only the length.
#[derive(Clone, Zeroize)]
pub struct AesKey(SecretKey);

impl AesKey {
    /// A key of 16, 24 or 32 bytes.
    pub fn new(bytes: &[u8]) -> Result<Self> {
        match bytes.len() {
            16 | 24 | 32 => SecretKey::new(bytes).map(Self),
            len => Err(ErrorKind::KeyLength { len }.into()),
        }
    }

    /// The expanded key schedule, for encrypting or decrypting many blocks.
    pub fn cipher(&self) -> AesCipher {
        AesCipher::new(self)
    }

    /// The encryption key schedule only (cheaper when nothing is decrypted).
    pub fn encryptor(&self) -> AesEncryptor {
        AesEncryptor::new(self)
    }

    /// The check value of ANSI X9.24-1:2017 and TR-31 / X9.143: AES-CMAC of a block of
    /// zeros. Show its first 3 bytes (6 hex digits) or 5 bytes (X9.143).
    pub fn check_value(&self) -> [u8; 16] {
        crate::mac::cmac_aes(self, &[0u8; 16])
    }

    /// The legacy check value: the key encrypting a block of zeros (ECB).
    pub fn check_value_ecb(&self) -> [u8; 16] {
        let mut block = [0u8; 16];
        self.cipher().encrypt_block(&mut block);
        block
    }
}

/// What the typed keys share: access to the bytes, length, constant-time comparison, a
/// `Debug` without the bytes and conversions from and to [`SecretKey`].
macro_rules! typed_key_common {
    ($name:ident, $lengths:literal) => {
        impl $name {
            /// The key bytes. They are secret: do not log them.
            pub fn expose(&self) -> &[u8] {
                self.0.expose()
            }

            pub(crate) fn array(&self) -> &Array<u8, U32> {
                self.0.array()
            }

            #[doc = concat!("Length in bytes: ", $lengths, ".")]
            pub fn len(&self) -> usize {
                self.0.len()
            }

            /// Always `false`.
            pub fn is_empty(&self) -> bool {
                false
            }

            /// Compares two keys in constant time.
            pub fn ct_eq(&self, other: &Self) -> bool {
                self.0.ct_eq(&other.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{} {{ len: {}, .. }}", stringify!($name), self.len())
            }
        }

        impl TryFrom<SecretKey> for $name {
            type Error = Error;
            fn try_from(key: SecretKey) -> Result<Self> {
                Self::new(key.expose())
            }
        }

        impl TryFrom<&SecretKey> for $name {
            type Error = Error;
            fn try_from(key: &SecretKey) -> Result<Self> {
                Self::new(key.expose())
            }
        }

        // The inner `SecretKey` wipes itself on drop.
        impl ZeroizeOnDrop for $name {}

        impl From<$name> for SecretKey {
            fn from(key: $name) -> SecretKey {
                key.0.clone()
            }
        }
    };
}
typed_key_common!(TdesKey, "8, 16 or 24");
typed_key_common!(AesKey, "16, 24 or 32");

/// `b` with its low bit set so that the byte has odd parity.
pub(crate) const fn odd_parity(b: u8) -> u8 {
    let high = b & 0xFE;
    if high.count_ones().is_multiple_of(2) {
        high | 1
    } else {
        high
    }
}

/// Constant-time equality of two byte strings (lengths are not secret).
pub(crate) fn ct_eq(a: &[u8], b: &[u8]) -> Choice {
    a.ct_eq(b)
}

fn read_u64(bytes: &[u8], at: usize) -> u64 {
    let mut word = [0u8; 8];
    if let Some(src) = bytes.get(at..at + 8) {
        word.copy_from_slice(src);
    }
    u64::from_be_bytes(word)
}

fn write_halves(out: &mut [u8; 16], left: u64, right: u64) {
    let (l, r) = out.split_at_mut(8);
    l.copy_from_slice(&left.to_be_bytes());
    r.copy_from_slice(&right.to_be_bytes());
}

fn widen(bytes: &[u8; 16]) -> [u8; MAX_KEY_LEN] {
    let mut out = [0u8; MAX_KEY_LEN];
    let (head, _) = out.split_at_mut(16);
    head.copy_from_slice(bytes);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_are_checked() {
        assert!(TdesKey::new(&[0; 8]).is_ok());
        assert!(TdesKey::new(&[0; 16]).is_ok());
        assert!(TdesKey::new(&[0; 24]).is_ok());
        assert_eq!(
            TdesKey::new(&[0; 15]).unwrap_err().kind(),
            ErrorKind::KeyLength { len: 15 }
        );
        assert!(AesKey::new(&[0; 32]).is_ok());
        assert!(AesKey::new(&[0; 8]).is_err());
        assert!(SecretKey::new(&[]).is_err());
        assert!(SecretKey::new(&[0; 33]).is_err());
    }

    #[test]
    fn debug_never_shows_key_bytes() {
        let key = TdesKey::new(&[0xAB; 16]).unwrap();
        let text = format!("{key:?}");
        assert_eq!(text, "TdesKey { len: 16, .. }");
        let key = SecretKey::new(&[0xCD; 20]).unwrap();
        assert!(!format!("{key:?}").contains("CD") && !format!("{key:?}").contains("205"));
    }

    #[test]
    fn parity() {
        let key = TdesKey::new(&hex_literal::hex!("1A2B3C4D5F0A1B2C4D5F6A7B8C9D0F1A")).unwrap();
        assert!(!key.has_odd_parity());
        let fixed = key.with_odd_parity();
        assert!(fixed.has_odd_parity());
        assert_eq!(
            fixed.expose(),
            hex_literal::hex!("1A2A3D4C5E0B1A2C4C5E6B7A8C9D0E1A")
        );
    }

    #[test]
    fn halves_round_trip() {
        let key = TdesKey::from_halves(0x0123_4567_89AB_CDEF, 0xFEDC_BA98_7654_3210);
        assert_eq!(key.halves(), (0x0123_4567_89AB_CDEF, 0xFEDC_BA98_7654_3210));
        assert_eq!(key.len(), 16);
    }
}
