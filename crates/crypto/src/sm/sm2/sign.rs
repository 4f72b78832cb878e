//! SM2 signatures (GB/T 32918.2): `r ‖ s` over `e = SM3(Z_A ‖ M)`.

use core::fmt;

use ::sm2::dsa::signature::hazmat::PrehashVerifier;
use ::sm2::elliptic_curve::ops::Reduce;
use ::sm2::elliptic_curve::point::AffineCoordinates;
use ::sm2::elliptic_curve::{Group, PrimeField};
use ::sm2::{FieldBytes, ProjectivePoint, Scalar};
use rand_core::TryCryptoRng;

use super::key::{PrivateKey, PublicKey, random_scalar};
use super::message_digest;
use crate::error::{Error, ErrorKind, Result};
use crate::sm::sm3::DIGEST_LEN;

/// Length of an encoded signature, `r ‖ s`.
pub const SIGNATURE_LEN: usize = 64;

/// Tries of step A3 before signing gives up: each retry has probability about 2⁻²⁵⁶.
const TRIES: usize = 4;

/// An SM2 signature `r ‖ s`, each a big-endian scalar in `1 ..= n − 1`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Signature([u8; SIGNATURE_LEN]);

impl Signature {
    /// Parses 64 bytes `r ‖ s` and checks both ranges (GB/T 32918.2 §7.1 steps B1–B2).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let rs = <&[u8; SIGNATURE_LEN]>::try_from(bytes)
            .map_err(|_| Error::at(ErrorKind::Length { len: bytes.len() }, 0))?;
        let (r, s) = rs.split_at(SIGNATURE_LEN / 2);
        for (at, half) in [(0, r), (SIGNATURE_LEN / 2, s)] {
            let repr =
                FieldBytes::try_from(half).map_err(|_| Error::at(ErrorKind::ScalarRange, at))?;
            let scalar = Option::<Scalar>::from(Scalar::from_repr(repr))
                .ok_or(Error::at(ErrorKind::ScalarRange, at))?;
            if bool::from(scalar.is_zero()) {
                return Err(Error::at(ErrorKind::ScalarRange, at));
            }
        }
        Ok(Self(*rs))
    }

    /// The encoding `r ‖ s`.
    pub fn as_bytes(&self) -> &[u8; SIGNATURE_LEN] {
        &self.0
    }

    /// `r`, 32 bytes.
    pub fn r(&self) -> &[u8] {
        self.0.split_at(SIGNATURE_LEN / 2).0
    }

    /// `s`, 32 bytes.
    pub fn s(&self) -> &[u8] {
        self.0.split_at(SIGNATURE_LEN / 2).1
    }

    fn from_scalars(r: &Scalar, s: &Scalar) -> Self {
        let mut out = [0u8; SIGNATURE_LEN];
        let (r_out, s_out) = out.split_at_mut(SIGNATURE_LEN / 2);
        r_out.copy_from_slice(&r.to_repr());
        s_out.copy_from_slice(&s.to_repr());
        Self(out)
    }
}

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Sm2Signature(")?;
        for b in self.0 {
            write!(f, "{b:02X}")?;
        }
        f.write_str(")")
    }
}

impl PrivateKey {
    /// Signs `msg` as the holder of identifier `id` ([`DEFAULT_ID`](super::DEFAULT_ID) unless
    /// agreed otherwise), with `k` drawn from `rng`.
    pub fn sign<R: TryCryptoRng + ?Sized>(
        &self,
        rng: &mut R,
        id: &[u8],
        msg: &[u8],
    ) -> Result<Signature> {
        let e = message_digest(id, self.public_key(), msg)?;
        self.sign_digest(rng, &e)
    }

    /// Signs a digest `e` that the caller computed as `SM3(Z_A ‖ M)` (steps A3–A7).
    pub fn sign_digest<R: TryCryptoRng + ?Sized>(
        &self,
        rng: &mut R,
        e: &[u8; DIGEST_LEN],
    ) -> Result<Signature> {
        let e = <Scalar as Reduce<FieldBytes>>::reduce(&FieldBytes::from(*e));
        let d = self.scalar();
        for _ in 0..TRIES {
            // A3: k in [1, n − 1]; A4: (x1, y1) = [k]G.
            let k = random_scalar(rng)?;
            let point = ProjectivePoint::mul_by_generator(&k).to_affine();
            // A5: r = (e + x1) mod n, again if r = 0 or r + k = n.
            let r = e + <Scalar as Reduce<FieldBytes>>::reduce(&point.x());
            if bool::from(r.is_zero() | (r + *k).is_zero()) {
                continue;
            }
            // A6: s = (1 + d)⁻¹ · (k − r·d) mod n, again if s = 0.
            let s = *self.inverse_of_one_plus_d() * (*k - r * **d);
            if bool::from(s.is_zero()) {
                continue;
            }
            return Ok(Signature::from_scalars(&r, &s));
        }
        Err(ErrorKind::Random.into())
    }
}

impl PublicKey {
    /// Verifies `signature` on `msg` by the holder of identifier `id` and this key.
    pub fn verify(&self, id: &[u8], msg: &[u8], signature: &Signature) -> Result<()> {
        let e = message_digest(id, self, msg)?;
        self.verify_digest(&e, signature)
    }

    /// Verifies `signature` on a digest `e = SM3(Z_A ‖ M)` (steps B3–B7).
    pub fn verify_digest(&self, e: &[u8; DIGEST_LEN], signature: &Signature) -> Result<()> {
        // The identifier inside the crate's key only feeds its own Z_A, which the prehash
        // interface does not use.
        let key = ::sm2::dsa::VerifyingKey::new("", *self.point())
            .map_err(|_| Error::new(ErrorKind::InvalidPoint))?;
        let sig = ::sm2::dsa::Signature::from_slice(signature.as_bytes())
            .map_err(|_| Error::new(ErrorKind::ScalarRange))?;
        key.verify_prehash(e, &sig)
            .map_err(|_| Error::new(ErrorKind::Verification))
    }
}
