//! SM2 public-key encryption (GB/T 32918.4): `C1 ‖ C3 ‖ C2`.

use ::sm2::elliptic_curve::sec1::{Coordinates, ToSec1Point};
use ::sm2::pke::{EncryptingKey, Mode};
use ::sm2::{AffinePoint, ProjectivePoint};
use rand_core::{TryCryptoRng, TryRng};
use sm3::Digest;
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, Zeroizing};

use super::key::{PUBLIC_KEY_LEN, PrivateKey, PublicKey};
use crate::error::{Error, ErrorKind, Result};
use crate::sm::sm3::{DIGEST_LEN, Sm3};

/// Length of `C1`, the point `04 ‖ x1 ‖ y1`.
pub const C1_LEN: usize = PUBLIC_KEY_LEN;
/// Length of `C3`, the SM3 check of the message.
pub const C3_LEN: usize = DIGEST_LEN;
/// Bytes a ciphertext adds to its message.
pub const CIPHERTEXT_OVERHEAD: usize = C1_LEN + C3_LEN;

/// Draws from the caller's random source an encryption may make: each draw is rejected
/// with probability below 2⁻³², so a good source never reaches this; a broken one must not
/// loop.
const DRAWS: u8 = 16;

/// Length of the ciphertext of a `msg_len`-byte message.
pub const fn ciphertext_len(msg_len: usize) -> usize {
    CIPHERTEXT_OVERHEAD + msg_len
}

/// A parsed SM2 ciphertext, borrowed: `C1` checked to be a point on the curve, `C3`, and a
/// non-empty `C2` as long as the message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ciphertext<'a> {
    c1: &'a [u8; C1_LEN],
    c3: &'a [u8; C3_LEN],
    c2: &'a [u8],
    point: AffinePoint,
}

impl<'a> Ciphertext<'a> {
    /// Parses `C1 ‖ C3 ‖ C2` (GB/T 32918.4-2016).
    pub fn parse(bytes: &'a [u8]) -> Result<Self> {
        let (c1, rest) = split_c1(bytes)?;
        let (c3, c2) = rest.split_at(C3_LEN);
        Self::new(c1, c3, c2, C1_LEN)
    }

    /// Parses `C1 ‖ C2 ‖ C3`, the order of GM/T 0003-2012 that older tools still write.
    pub fn parse_c1c2c3(bytes: &'a [u8]) -> Result<Self> {
        let (c1, rest) = split_c1(bytes)?;
        let (c2, c3) = rest.split_at(rest.len() - C3_LEN);
        Self::new(c1, c3, c2, bytes.len() - C3_LEN)
    }

    fn new(c1: &'a [u8], c3: &'a [u8], c2: &'a [u8], c3_at: usize) -> Result<Self> {
        let c1 =
            <&[u8; C1_LEN]>::try_from(c1).map_err(|_| Error::at(ErrorKind::InvalidPoint, 0))?;
        let c3 = <&[u8; C3_LEN]>::try_from(c3)
            .map_err(|_| Error::at(ErrorKind::Length { len: c3.len() }, c3_at))?;
        // B1: C1 must be a point on the curve (h = 1, so B2's S = [h]C1 is C1 itself).
        let point = *PublicKey::from_bytes(c1)?.point().as_affine();
        Ok(Self { c1, c3, c2, point })
    }

    /// `C1 = 04 ‖ x1 ‖ y1`.
    pub fn c1(&self) -> &'a [u8; C1_LEN] {
        self.c1
    }

    /// `C3 = SM3(x2 ‖ M ‖ y2)`.
    pub fn c3(&self) -> &'a [u8; C3_LEN] {
        self.c3
    }

    /// `C2 = M ⊕ t`, as long as the message.
    pub fn c2(&self) -> &'a [u8] {
        self.c2
    }

    /// Length of the message inside.
    pub fn message_len(&self) -> usize {
        self.c2.len()
    }

    /// Writes the ciphertext as `C1 ‖ C3 ‖ C2` into `out`; returns its length.
    pub fn write_c1c3c2(&self, out: &mut [u8]) -> Result<usize> {
        let total = ciphertext_len(self.c2.len());
        let dst = out
            .get_mut(..total)
            .ok_or(Error::new(ErrorKind::BufferTooSmall))?;
        for (d, s) in dst
            .iter_mut()
            .zip(self.c1.iter().chain(self.c3.iter()).chain(self.c2))
        {
            *d = *s;
        }
        Ok(total)
    }
}

/// `C1` and the rest, which holds at least `C3` and one byte of `C2`.
fn split_c1(bytes: &[u8]) -> Result<(&[u8], &[u8])> {
    if bytes.len() <= CIPHERTEXT_OVERHEAD {
        return Err(Error::at(ErrorKind::Length { len: bytes.len() }, 0));
    }
    Ok(bytes.split_at(C1_LEN))
}

impl PublicKey {
    /// Encrypts `msg` (at least one byte) for the holder of this key, `k` drawn from `rng`,
    /// and writes `C1 ‖ C3 ‖ C2` into `out`; returns its length, [`ciphertext_len`].
    pub fn encrypt<R: TryCryptoRng + ?Sized>(
        &self,
        rng: &mut R,
        msg: &[u8],
        out: &mut [u8],
    ) -> Result<usize> {
        if msg.is_empty() {
            return Err(ErrorKind::Length { len: 0 }.into());
        }
        let total = ciphertext_len(msg.len());
        let dst = out
            .get_mut(..total)
            .ok_or(Error::new(ErrorKind::BufferTooSmall))?;
        let (head, c2) = dst.split_at_mut(CIPHERTEXT_OVERHEAD);
        let key = EncryptingKey::new_with_mode(*self.point(), Mode::C1C3C2);
        let mut rng = Bounded { rng, draws: 0 };
        let cipher = key
            .encrypt_cipher_with_buf::<_, Sm3>(&mut rng, msg, c2)
            .map_err(|_| Error::new(ErrorKind::Random))?;
        let c1 = cipher.c1().to_sec1_point(false);
        for (d, s) in head
            .iter_mut()
            .zip(c1.as_bytes().iter().chain(cipher.c3().iter()))
        {
            *d = *s;
        }
        Ok(total)
    }
}

impl PrivateKey {
    /// Decrypts `ciphertext` into `out` (at least [`Ciphertext::message_len`] bytes) and
    /// returns the message length. A `C3` that does not match (a wrong key, a changed
    /// ciphertext) is [`ErrorKind::Verification`], checked in constant time; `out` is then
    /// wiped.
    pub fn decrypt(&self, ciphertext: &Ciphertext<'_>, out: &mut [u8]) -> Result<usize> {
        let len = ciphertext.message_len();
        let msg = out
            .get_mut(..len)
            .ok_or(Error::new(ErrorKind::BufferTooSmall))?;
        // B3: (x2, y2) = [d]C1.
        let shared = (ProjectivePoint::from(ciphertext.point) * **self.scalar()).to_affine();
        let encoded = Zeroizing::new(shared.to_sec1_point(false));
        let Coordinates::Uncompressed { x, y } = encoded.coordinates() else {
            return Err(Error::new(ErrorKind::InvalidPoint));
        };
        // B4–B5: M' = C2 ⊕ KDF(x2 ‖ y2); an all-zero t is an error.
        msg.copy_from_slice(ciphertext.c2);
        let mask_is_zero = kdf_xor(x, y, msg, ciphertext.c2);
        // B6: u = SM3(x2 ‖ M' ‖ y2) must equal C3.
        let mut h = Sm3::new();
        h.update(x);
        h.update(&*msg);
        h.update(y);
        let u: [u8; C3_LEN] = h.finalize().into();
        if bool::from(u.ct_eq(ciphertext.c3)) && !mask_is_zero {
            Ok(len)
        } else {
            msg.zeroize();
            Err(Error::at(ErrorKind::Verification, C1_LEN))
        }
    }
}

/// XORs the key stream `t = KDF(x ‖ y, klen)` (GB/T 32918.4 §5.4.3: SM3 over `x ‖ y ‖ ct`
/// with a 32-bit big-endian counter from 1) into `data`; returns whether `t` was all zero,
/// judged from `before`, the bytes `data` held.
fn kdf_xor(x: &[u8], y: &[u8], data: &mut [u8], before: &[u8]) -> bool {
    let mut counter: u32 = 1;
    for chunk in data.chunks_mut(DIGEST_LEN) {
        let mut h = Sm3::new();
        h.update(x);
        h.update(y);
        h.update(counter.to_be_bytes());
        let mut t: [u8; DIGEST_LEN] = h.finalize().into();
        for (d, k) in chunk.iter_mut().zip(t.iter()) {
            *d ^= k;
        }
        t.zeroize();
        counter = counter.wrapping_add(1);
    }
    bool::from(data.ct_eq(before))
}

/// The caller's random source, cut off after [`DRAWS`] draws so that rejection sampling
/// inside the encryption cannot loop on a broken source.
struct Bounded<'r, R: ?Sized> {
    rng: &'r mut R,
    draws: u8,
}

/// The source was cut off, or failed.
#[derive(Debug)]
struct Exhausted;

impl core::fmt::Display for Exhausted {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("random source exhausted or failed")
    }
}

impl core::error::Error for Exhausted {}

impl<R: TryCryptoRng + ?Sized> Bounded<'_, R> {
    fn draw(&mut self) -> core::result::Result<(), Exhausted> {
        self.draws = self.draws.saturating_add(1);
        if self.draws > DRAWS {
            Err(Exhausted)
        } else {
            Ok(())
        }
    }
}

impl<R: TryCryptoRng + ?Sized> TryRng for Bounded<'_, R> {
    type Error = Exhausted;

    fn try_next_u32(&mut self) -> core::result::Result<u32, Exhausted> {
        self.draw()?;
        self.rng.try_next_u32().map_err(|_| Exhausted)
    }

    fn try_next_u64(&mut self) -> core::result::Result<u64, Exhausted> {
        self.draw()?;
        self.rng.try_next_u64().map_err(|_| Exhausted)
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> core::result::Result<(), Exhausted> {
        self.draw()?;
        self.rng.try_fill_bytes(dst).map_err(|_| Exhausted)
    }
}

impl<R: TryCryptoRng + ?Sized> TryCryptoRng for Bounded<'_, R> {}

#[cfg(test)]
mod tests {
    use super::*;

    struct Counter(u8);
    impl TryRng for Counter {
        type Error = core::convert::Infallible;
        fn try_next_u32(&mut self) -> core::result::Result<u32, Self::Error> {
            Ok(0)
        }
        fn try_next_u64(&mut self) -> core::result::Result<u64, Self::Error> {
            Ok(0)
        }
        fn try_fill_bytes(&mut self, d: &mut [u8]) -> core::result::Result<(), Self::Error> {
            for b in d {
                self.0 = self.0.wrapping_mul(29).wrapping_add(7);
                *b = self.0;
            }
            Ok(())
        }
    }
    impl TryCryptoRng for Counter {}

    #[test]
    fn round_trip_both_orders_and_tamper() {
        let mut rng = Counter(3);
        let key = PrivateKey::generate(&mut rng).unwrap();
        let msg = b"a terminal master key, 16 bytes, then more than one KDF block.";
        let mut ct = [0u8; 200];
        let n = key.public_key().encrypt(&mut rng, msg, &mut ct).unwrap();
        assert_eq!(n, ciphertext_len(msg.len()));
        let parsed = Ciphertext::parse(&ct[..n]).unwrap();
        let mut out = [0u8; 100];
        let m = key.decrypt(&parsed, &mut out).unwrap();
        assert_eq!(&out[..m], msg);
        // The same ciphertext in the old order.
        let mut old = [0u8; 200];
        old[..65].copy_from_slice(&ct[..65]);
        old[65..65 + msg.len()].copy_from_slice(&ct[97..n]);
        old[65 + msg.len()..n].copy_from_slice(&ct[65..97]);
        let parsed_old = Ciphertext::parse_c1c2c3(&old[..n]).unwrap();
        assert_eq!(parsed_old, parsed);
        let mut back = [0u8; 200];
        assert_eq!(parsed_old.write_c1c3c2(&mut back).unwrap(), n);
        assert_eq!(back[..n], ct[..n]);
        // A flipped bit of C2 or C3 fails, and the output is wiped.
        for at in [70, n - 1] {
            let mut bad = ct;
            bad[at] ^= 0x20;
            let mut out = [0xEEu8; 100];
            let err = key
                .decrypt(&Ciphertext::parse(&bad[..n]).unwrap(), &mut out)
                .unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Verification);
            assert!(out[..msg.len()].iter().all(|b| *b == 0));
        }
        // Another key cannot read it.
        let other = PrivateKey::generate(&mut rng).unwrap();
        assert!(other.decrypt(&parsed, &mut out).is_err());
        // Buffers.
        assert_eq!(
            key.decrypt(&parsed, &mut [0u8; 10]).unwrap_err().kind(),
            ErrorKind::BufferTooSmall
        );
        assert_eq!(
            key.public_key()
                .encrypt(&mut rng, msg, &mut [0u8; 100])
                .unwrap_err()
                .kind(),
            ErrorKind::BufferTooSmall
        );
        assert_eq!(
            key.public_key()
                .encrypt(&mut rng, &[], &mut ct)
                .unwrap_err()
                .kind(),
            ErrorKind::Length { len: 0 }
        );
    }

    #[test]
    fn the_crates_own_decryption_reads_ours() {
        let mut rng = Counter(9);
        let key = PrivateKey::generate(&mut rng).unwrap();
        let mut ct = [0u8; 120];
        let n = key
            .public_key()
            .encrypt(&mut rng, b"check", &mut ct)
            .unwrap();
        let theirs = ::sm2::pke::DecryptingKey::new_with_mode(*key.scalar(), Mode::C1C3C2);
        let cipher =
            ::sm2::pke::Cipher::<::sm2::Sm2, Sm3>::from_slice(&ct[..n], Mode::C1C3C2).unwrap();
        let mut out = [0u8; 5];
        theirs.decrypt_cipher_with_buf(&cipher, &mut out).unwrap();
        assert_eq!(&out, b"check");
    }

    #[test]
    fn parse_checks_length_and_c1() {
        assert!(Ciphertext::parse(&[0x04; 97]).is_err());
        assert_eq!(
            Ciphertext::parse(&[0; 96]).unwrap_err().kind(),
            ErrorKind::Length { len: 96 }
        );
        let mut rng = Counter(1);
        let key = PrivateKey::generate(&mut rng).unwrap();
        let mut ct = [0u8; 100];
        let n = key.public_key().encrypt(&mut rng, b"abc", &mut ct).unwrap();
        ct[10] ^= 1;
        assert_eq!(
            Ciphertext::parse(&ct[..n]).unwrap_err().kind(),
            ErrorKind::InvalidPoint
        );
    }
}
