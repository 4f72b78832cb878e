//! SM2 key pairs: the public key as a checked curve point, the private key as a scalar that
//! is wiped on drop.

use core::fmt;

use ::sm2::elliptic_curve::PrimeField;
use ::sm2::elliptic_curve::sec1::ToSec1Point;
use ::sm2::{FieldBytes, NonZeroScalar, Scalar};
use rand_core::TryCryptoRng;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::error::{Error, ErrorKind, Result};

/// Length of an encoded public key: `04 ‖ x ‖ y`.
pub const PUBLIC_KEY_LEN: usize = 65;
/// Length of an encoded private key.
pub const PRIVATE_KEY_LEN: usize = 32;

/// The SEC 1 tag of an uncompressed point, the only form GB/T 32918 exchanges here.
pub(super) const UNCOMPRESSED: u8 = 0x04;

/// Draws from the caller's random source before a scalar generation gives up: a good
/// source is rejected with probability below 2⁻³² per draw; a broken one must not loop.
const DRAWS: usize = 8;

/// An SM2 public key: a point on the curve, not the point at infinity.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PublicKey {
    point: ::sm2::PublicKey,
    bytes: [u8; PUBLIC_KEY_LEN],
}

impl PublicKey {
    /// Parses `04 ‖ x ‖ y` (65 bytes) and checks that the point is on the curve.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let encoded = <&[u8; PUBLIC_KEY_LEN]>::try_from(bytes)
            .map_err(|_| Error::at(ErrorKind::Length { len: bytes.len() }, 0))?;
        if encoded.first() != Some(&UNCOMPRESSED) {
            return Err(Error::at(ErrorKind::InvalidPoint, 0));
        }
        let point = ::sm2::PublicKey::from_sec1_bytes(encoded)
            .map_err(|_| Error::at(ErrorKind::InvalidPoint, 1))?;
        Ok(Self {
            point,
            bytes: *encoded,
        })
    }

    pub(super) fn from_point(point: ::sm2::PublicKey) -> Self {
        let encoded = point.as_affine().to_sec1_point(false);
        let mut bytes = [0u8; PUBLIC_KEY_LEN];
        for (d, s) in bytes.iter_mut().zip(encoded.as_bytes()) {
            *d = *s;
        }
        Self { point, bytes }
    }

    /// The encoding `04 ‖ x ‖ y`.
    pub fn as_bytes(&self) -> &[u8; PUBLIC_KEY_LEN] {
        &self.bytes
    }

    /// The coordinates `x` and `y`, 32 bytes each.
    pub fn coordinates(&self) -> (&[u8], &[u8]) {
        // After the one-byte `04` prefix of the fixed-size encoding: always there.
        let xy = self.bytes.get(1..).unwrap_or_default();
        xy.split_at(xy.len() / 2)
    }

    pub(super) fn point(&self) -> &::sm2::PublicKey {
        &self.point
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Sm2PublicKey(")?;
        for b in self.bytes {
            write!(f, "{b:02X}")?;
        }
        f.write_str(")")
    }
}

/// An SM2 private key `d` (`1 ≤ d ≤ n − 2`, GB/T 32918.1 §6.1) with its public key.
///
/// The scalar and the `(1 + d)⁻¹` that signing uses are wiped on drop; `Debug` shows only
/// the public key. Serialize with [`PrivateKey::to_bytes`] only to store it encrypted.
#[derive(Clone)]
pub struct PrivateKey {
    d: NonZeroScalar,
    d1_inv: Scalar,
    public: PublicKey,
}

impl PrivateKey {
    /// A new key pair from the caller's random source (GB/T 32918.1 §6.1).
    pub fn generate<R: TryCryptoRng + ?Sized>(rng: &mut R) -> Result<Self> {
        for _ in 0..DRAWS {
            let mut bytes = Zeroizing::new(FieldBytes::default());
            rng.try_fill_bytes(&mut bytes)
                .map_err(|_| Error::new(ErrorKind::Random))?;
            if let Ok(key) = Self::from_bytes(&bytes) {
                return Ok(key);
            }
        }
        Err(ErrorKind::Random.into())
    }

    /// Parses 32 big-endian bytes and checks `1 ≤ d ≤ n − 2`.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let bytes = <&[u8; PRIVATE_KEY_LEN]>::try_from(bytes)
            .map_err(|_| Error::at(ErrorKind::Length { len: bytes.len() }, 0))?;
        let mut repr = Zeroizing::new(FieldBytes::from(*bytes));
        let d = Option::<NonZeroScalar>::from(NonZeroScalar::from_repr(*repr))
            .ok_or(Error::at(ErrorKind::ScalarRange, 0))?;
        repr.zeroize();
        // d = n − 1 has no (1 + d)⁻¹ and cannot sign.
        let d1_inv = Option::<Scalar>::from((*d + Scalar::ONE).invert())
            .ok_or(Error::at(ErrorKind::ScalarRange, 0))?;
        let public = PublicKey::from_point(::sm2::PublicKey::from_secret_scalar(&d));
        Ok(Self { d, d1_inv, public })
    }

    /// The 32 secret bytes, wiped when the returned value drops. Store them only encrypted.
    pub fn to_bytes(&self) -> Zeroizing<[u8; PRIVATE_KEY_LEN]> {
        Zeroizing::new(self.d.to_repr().into())
    }

    /// The public key.
    pub fn public_key(&self) -> &PublicKey {
        &self.public
    }

    pub(super) fn scalar(&self) -> &NonZeroScalar {
        &self.d
    }

    pub(super) fn inverse_of_one_plus_d(&self) -> &Scalar {
        &self.d1_inv
    }
}

impl Zeroize for PrivateKey {
    fn zeroize(&mut self) {
        self.d.zeroize();
        self.d1_inv.zeroize();
    }
}

impl Drop for PrivateKey {
    fn drop(&mut self) {
        self.zeroize();
    }
}

impl ZeroizeOnDrop for PrivateKey {}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sm2PrivateKey {{ public: {:?}, .. }}", self.public)
    }
}

/// A scalar `1 ≤ k ≤ n − 1` from the caller's random source, or [`ErrorKind::Random`]
/// after a few rejected draws.
pub(super) fn random_scalar<R: TryCryptoRng + ?Sized>(rng: &mut R) -> Result<NonZeroScalar> {
    for _ in 0..DRAWS {
        let mut bytes = Zeroizing::new(FieldBytes::default());
        rng.try_fill_bytes(&mut bytes)
            .map_err(|_| Error::new(ErrorKind::Random))?;
        if let Some(k) = Option::<NonZeroScalar>::from(NonZeroScalar::from_repr(*bytes)) {
            return Ok(k);
        }
    }
    Err(ErrorKind::Random.into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use hex_literal::hex;

    /// n − 1 and n − 2, big-endian.
    const N_MINUS_1: [u8; 32] =
        hex!("FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54122");
    const N_MINUS_2: [u8; 32] =
        hex!("FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54121");

    #[test]
    fn private_key_range() {
        assert_eq!(
            PrivateKey::from_bytes(&[0; 32]).unwrap_err().kind(),
            ErrorKind::ScalarRange
        );
        assert_eq!(
            PrivateKey::from_bytes(&N_MINUS_1).unwrap_err().kind(),
            ErrorKind::ScalarRange
        );
        assert!(PrivateKey::from_bytes(&N_MINUS_2).is_ok());
        assert_eq!(
            PrivateKey::from_bytes(&[0xFF; 32]).unwrap_err().kind(),
            ErrorKind::ScalarRange
        );
        assert_eq!(
            PrivateKey::from_bytes(&[1; 31]).unwrap_err().kind(),
            ErrorKind::Length { len: 31 }
        );
        let key = PrivateKey::from_bytes(&N_MINUS_2).unwrap();
        assert_eq!(*key.to_bytes(), N_MINUS_2);
    }

    #[test]
    fn public_key_parse_rejects_off_curve_and_other_forms() {
        let key = PrivateKey::from_bytes(&[7; 32]).unwrap();
        let good = *key.public_key().as_bytes();
        assert_eq!(PublicKey::from_bytes(&good).unwrap(), *key.public_key());
        let mut off = good;
        off[64] ^= 1;
        assert_eq!(
            PublicKey::from_bytes(&off).unwrap_err().kind(),
            ErrorKind::InvalidPoint
        );
        let mut compressed = good;
        compressed[0] = 0x02;
        assert_eq!(
            PublicKey::from_bytes(&compressed).unwrap_err().kind(),
            ErrorKind::InvalidPoint
        );
        assert_eq!(
            PublicKey::from_bytes(&good[..64]).unwrap_err().kind(),
            ErrorKind::Length { len: 64 }
        );
        assert!(PublicKey::from_bytes(&[0; 65]).is_err());
    }

    #[test]
    fn generation_is_bounded_and_debug_hides_the_scalar() {
        struct Stuck(u8);
        impl rand_core::TryRng for Stuck {
            type Error = core::convert::Infallible;
            fn try_next_u32(&mut self) -> core::result::Result<u32, Self::Error> {
                Ok(0)
            }
            fn try_next_u64(&mut self) -> core::result::Result<u64, Self::Error> {
                Ok(0)
            }
            fn try_fill_bytes(&mut self, d: &mut [u8]) -> core::result::Result<(), Self::Error> {
                d.fill(self.0);
                Ok(())
            }
        }
        impl TryCryptoRng for Stuck {}
        // All-ones is above n: every draw is rejected, and generation stops.
        assert_eq!(
            PrivateKey::generate(&mut Stuck(0xFF)).unwrap_err().kind(),
            ErrorKind::Random
        );
        assert_eq!(
            random_scalar(&mut Stuck(0)).unwrap_err().kind(),
            ErrorKind::Random
        );
        let key = PrivateKey::generate(&mut Stuck(0x5A)).unwrap();
        let text = format!("{key:?}");
        assert!(text.starts_with("Sm2PrivateKey { public: Sm2PublicKey(04"));
        assert!(!text.contains("5A5A5A5A"));
    }
}
