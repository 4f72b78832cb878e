//! Key types: secret bytes that wipe themselves on drop and never print in `Debug`, their
//! lengths as types, hex constructors, generation, odd parity and variants.
//!
//! This is the ground floor of the crate: it knows nothing of ciphers. The expanded ciphers
//! of a key are in [`crate::block`], its check values in [`crate::kcv`].
//!
//! ```
//! use cardwire_crypto::{AesKey, TdesKey, TdesKeyLength};
//!
//! let key = TdesKey::from_hex("0123456789ABCDEFFEDCBA9876543210")?;
//! assert_eq!(key.key_length(), TdesKeyLength::Double);
//! assert_eq!(format!("{key:?}"), "TdesKey { len: 16, .. }"); // the bytes never print
//! assert!(AesKey::from_hex("0123").is_err()); // 2 bytes is no AES key
//! # Ok::<(), cardwire_crypto::Error>(())
//! ```

use core::fmt;

use cipher::array::Array;
use cipher::consts::U32;
use rand_core::TryCryptoRng;
use subtle::{Choice, ConstantTimeEq};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::buf::Len;
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
    len: Len<MAX_KEY_LEN>,
}

wipe_on_drop!(SecretKey, bytes);

impl SecretKey {
    /// Copies 1 to 32 bytes of key material.
    pub fn new(bytes: &[u8]) -> Result<Self> {
        let len = Len::new(bytes.len())
            .filter(|_| !bytes.is_empty())
            .ok_or(Error::new(ErrorKind::KeyLength { len: bytes.len() }))?;
        let mut key = Self {
            bytes: [0; MAX_KEY_LEN],
            len,
        };
        len.of_mut(&mut key.bytes).copy_from_slice(bytes);
        Ok(key)
    }

    /// A key from 2 to 64 hex digits (either case, no separators).
    pub fn from_hex(hex: &str) -> Result<Self> {
        let mut buf = Zeroizing::new([0u8; MAX_KEY_LEN]);
        let len =
            crate::hex::decode_prefix(hex, &mut buf).map_err(|e| key_length_error(e, hex.len()))?;
        Self::new(len.of(&buf))
    }

    /// `len` bytes (1 to 32) from the caller's random source.
    pub fn generate<R: TryCryptoRng + ?Sized>(len: usize, rng: &mut R) -> Result<Self> {
        let mut buf = Zeroizing::new([0u8; MAX_KEY_LEN]);
        let len = Len::new(len)
            .filter(|l| l.get() > 0)
            .ok_or(Error::new(ErrorKind::KeyLength { len }))?;
        rng.try_fill_bytes(len.of_mut(&mut buf))
            .map_err(|_| Error::new(ErrorKind::Random))?;
        Self::new(len.of(&buf))
    }

    /// The key bytes. They are secret: do not log them.
    pub fn expose(&self) -> &[u8] {
        self.len.of(&self.bytes)
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.len.get()
    }

    /// Always `false`: a key has at least one byte.
    pub fn is_empty(&self) -> bool {
        self.len.get() == 0
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

/// A hex error from a key constructor, its length given in bytes of key.
fn key_length_error(e: Error, hex_len: usize) -> Error {
    match e.kind() {
        ErrorKind::Length { .. } => Error::new(ErrorKind::KeyLength {
            len: hex_len.div_ceil(2),
        }),
        _ => e,
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretKey {{ len: {}, .. }}", self.len.get())
    }
}

/// The three lengths of a DES-family key.
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TdesKeyLength {
    /// Single length, 8 bytes: DES.
    Single,
    /// Double length, 16 bytes: two-key TDES (`K1 K2 K1`).
    Double,
    /// Triple length, 24 bytes: three-key TDES.
    Triple,
}

impl TdesKeyLength {
    /// Length in bytes: 8, 16 or 24.
    pub const fn bytes(self) -> usize {
        match self {
            Self::Single => 8,
            Self::Double => 16,
            Self::Triple => 24,
        }
    }

    /// The length of a key of `len` bytes, if it is one.
    pub const fn of(len: usize) -> Option<Self> {
        match len {
            8 => Some(Self::Single),
            16 => Some(Self::Double),
            24 => Some(Self::Triple),
            _ => None,
        }
    }
}

/// The three lengths of an AES key.
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AesKeyLength {
    /// AES-128, 16 bytes.
    Aes128,
    /// AES-192, 24 bytes.
    Aes192,
    /// AES-256, 32 bytes.
    Aes256,
}

impl AesKeyLength {
    /// Length in bytes: 16, 24 or 32.
    pub const fn bytes(self) -> usize {
        match self {
            Self::Aes128 => 16,
            Self::Aes192 => 24,
            Self::Aes256 => 32,
        }
    }

    /// The length of a key of `len` bytes, if it is one.
    pub const fn of(len: usize) -> Option<Self> {
        match len {
            16 => Some(Self::Aes128),
            24 => Some(Self::Aes192),
            32 => Some(Self::Aes256),
            _ => None,
        }
    }
}

/// A DES or triple-DES key: 8 (single), 16 (double, two-key TDES) or 24 bytes (three-key).
///
/// A single-length key behaves as DES; a double-length key `K1 K2` as TDES `K1 K2 K1`.
/// Zeroized on drop; `Debug` shows only the length.
///
/// ```
/// use cardwire_crypto::TdesKey;
///
/// let key = TdesKey::from_hex("0123456789ABCDEFFEDCBA9876543210")?;
/// assert_eq!(key.check_value()[..3], hex_literal::hex!("08D7B4"));
/// assert_eq!(key.len(), 16);
/// # Ok::<(), cardwire_crypto::Error>(())
/// ```
#[derive(Clone, Zeroize)]
pub struct TdesKey {
    key: SecretKey,
    #[zeroize(skip)]
    length: TdesKeyLength,
}

impl TdesKey {
    /// A key of 8, 16 or 24 bytes.
    pub fn new(bytes: &[u8]) -> Result<Self> {
        let length = TdesKeyLength::of(bytes.len())
            .ok_or(Error::new(ErrorKind::KeyLength { len: bytes.len() }))?;
        Ok(Self {
            key: SecretKey::new(bytes)?,
            length,
        })
    }

    /// A key from 16, 32 or 48 hex digits.
    pub fn from_hex(hex: &str) -> Result<Self> {
        Self::try_from(SecretKey::from_hex(hex)?)
    }

    /// A random key of `length` with odd parity, from the caller's random source.
    pub fn generate<R: TryCryptoRng + ?Sized>(length: TdesKeyLength, rng: &mut R) -> Result<Self> {
        Ok(Self::try_from(SecretKey::generate(length.bytes(), rng)?)?.with_odd_parity())
    }

    /// Single, double or triple length.
    pub fn key_length(&self) -> TdesKeyLength {
        self.length
    }

    /// A double-length key from its two halves.
    pub(crate) fn from_halves(left: u64, right: u64) -> Self {
        let mut bytes = [0u8; MAX_KEY_LEN];
        let (l, rest) = bytes.split_at_mut(8);
        l.copy_from_slice(&left.to_be_bytes());
        let (r, _) = rest.split_at_mut(8);
        r.copy_from_slice(&right.to_be_bytes());
        let key = SecretKey { bytes, len: DOUBLE };
        bytes.zeroize();
        Self {
            key,
            length: TdesKeyLength::Double,
        }
    }

    /// The left and right 8-byte halves (the first two parts of a triple-length key; a
    /// single-length key's second half is zero), big-endian.
    pub(crate) fn halves(&self) -> (u64, u64) {
        let [a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p, ..] = self.key.bytes;
        (
            u64::from_be_bytes([a, b, c, d, e, f, g, h]),
            u64::from_be_bytes([i, j, k, l, m, n, o, p]),
        )
    }

    /// Whether every byte has odd parity (DES keys carry a parity bit per byte).
    pub fn has_odd_parity(&self) -> bool {
        self.expose().iter().all(|b| b.count_ones() % 2 == 1)
    }

    /// The same key with the low bit of each byte set so that every byte has odd parity.
    pub fn with_odd_parity(&self) -> Self {
        let mut key = self.clone();
        let len = key.key.len;
        for b in len.of_mut(&mut key.key.bytes) {
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
        crate::buf::xor_into(&mut key.key.bytes, mask);
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
        let len = key.key.len;
        for part in len.of_mut(&mut key.key.bytes).chunks_exact_mut(8) {
            if let Some(first) = part.first_mut() {
                *first ^= n << 3;
            }
        }
        Ok(key)
    }
}

/// A double length as a checked constant.
const DOUBLE: Len<MAX_KEY_LEN> = Len::fixed::<16>();

/// An AES key: 16, 24 or 32 bytes. Zeroized on drop; `Debug` shows only the length.
///
/// ```
/// use cardwire_crypto::{AesKey, AesKeyLength};
///
/// let key = AesKey::from_hex("FEDCBA9876543210F1F1F1F1F1F1F1F1")?;
/// assert_eq!(key.key_length(), AesKeyLength::Aes128);
/// // X9.24-1:2017 and TR-31 check value: AES-CMAC of a block of zeros.
/// let kcv = key.check_value();
/// assert_eq!(kcv.len(), 16);
/// # Ok::<(), cardwire_crypto::Error>(())
/// ```
#[derive(Clone, Zeroize)]
pub struct AesKey {
    key: SecretKey,
    #[zeroize(skip)]
    length: AesKeyLength,
}

impl AesKey {
    /// A key of 16, 24 or 32 bytes.
    pub fn new(bytes: &[u8]) -> Result<Self> {
        let length = AesKeyLength::of(bytes.len())
            .ok_or(Error::new(ErrorKind::KeyLength { len: bytes.len() }))?;
        Ok(Self {
            key: SecretKey::new(bytes)?,
            length,
        })
    }

    /// A key from 32, 48 or 64 hex digits.
    pub fn from_hex(hex: &str) -> Result<Self> {
        Self::try_from(SecretKey::from_hex(hex)?)
    }

    /// A random key of `length` from the caller's random source.
    pub fn generate<R: TryCryptoRng + ?Sized>(length: AesKeyLength, rng: &mut R) -> Result<Self> {
        Self::try_from(SecretKey::generate(length.bytes(), rng)?)
    }

    /// AES-128, -192 or -256.
    pub fn key_length(&self) -> AesKeyLength {
        self.length
    }
}

/// What the typed keys share: access to the bytes, length, constant-time comparison, a
/// `Debug` without the bytes and conversions from and to [`SecretKey`].
macro_rules! typed_key_common {
    ($name:ident, $lengths:literal) => {
        impl $name {
            /// The key bytes. They are secret: do not log them.
            pub fn expose(&self) -> &[u8] {
                self.key.expose()
            }

            pub(crate) fn array(&self) -> &Array<u8, U32> {
                self.key.array()
            }

            #[doc = concat!("Length in bytes: ", $lengths, ".")]
            pub fn len(&self) -> usize {
                self.length.bytes()
            }

            /// Always `false`.
            pub fn is_empty(&self) -> bool {
                false
            }

            /// Compares two keys in constant time.
            pub fn ct_eq(&self, other: &Self) -> bool {
                self.key.ct_eq(&other.key)
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
                key.key.clone()
            }
        }

        impl core::str::FromStr for $name {
            type Err = Error;
            fn from_str(hex: &str) -> Result<Self> {
                Self::from_hex(hex)
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
    fn hex_constructors() {
        let key = TdesKey::from_hex("0123456789abcdefFEDCBA9876543210").unwrap();
        assert_eq!(
            key.expose(),
            hex_literal::hex!("0123456789ABCDEFFEDCBA9876543210")
        );
        assert_eq!(
            TdesKey::from_hex("0123").unwrap_err().kind(),
            ErrorKind::KeyLength { len: 2 }
        );
        assert_eq!(
            AesKey::from_hex(&"00".repeat(33)).unwrap_err().kind(),
            ErrorKind::KeyLength { len: 33 }
        );
        let err = AesKey::from_hex("000000000000000000000000000000zz").unwrap_err();
        assert_eq!(
            (err.kind(), err.offset()),
            (ErrorKind::InvalidHex, Some(30))
        );
        assert!("0123456789ABCDEF".parse::<TdesKey>().is_ok());
    }

    #[test]
    fn generated_keys_have_the_length_and_parity() {
        let key = TdesKey::generate(
            TdesKeyLength::Triple,
            &mut crate::test_rng::Steps::counting(),
        )
        .unwrap();
        assert_eq!(key.len(), 24);
        assert!(key.has_odd_parity());
        let key = AesKey::generate(
            AesKeyLength::Aes192,
            &mut crate::test_rng::Steps::counting(),
        )
        .unwrap();
        assert_eq!(key.expose()[..3], [1, 2, 3]);
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
