//! SM2 (GB/T 32918-2016) on the recommended curve `sm2p256v1` (GB/T 32918.5): key pairs,
//! signatures with the signer's identifier, and public-key encryption.
//!
//! | | encoding | parser |
//! |---|---|---|
//! | private key | 32 bytes big-endian, `1 ≤ d ≤ n − 2` | [`PrivateKey::from_bytes`] |
//! | public key | 65 bytes `04 ‖ x ‖ y` | [`PublicKey::from_bytes`] |
//! | signature | 64 bytes `r ‖ s`, each `1 ≤ · ≤ n − 1` | [`Signature::from_bytes`] |
//! | ciphertext | `C1 ‖ C3 ‖ C2`: `04 ‖ x1 ‖ y1`, SM3 check, masked message | [`Ciphertext::parse`] |
//!
//! **Signatures** are over `e = SM3(Z_A ‖ M)` where `Z_A = SM3(ENTL ‖ ID ‖ a ‖ b ‖ xG ‖ yG ‖
//! xA ‖ yA)` binds the signer's identifier and public key (GB/T 32918.2 §5.5, [`za`]); the
//! identifier is [`DEFAULT_ID`] unless both sides agree on another. The per-signature `k`
//! comes from the caller's random source, as GB/T 32918.2 §6.1 step A3 says.
//!
//! **Encryption** (GB/T 32918.4) writes `C1 ‖ C3 ‖ C2`, the order of the 2016 text; older
//! tools write `C1 ‖ C2 ‖ C3`, which [`Ciphertext::parse_c1c2c3`] reads. Decryption checks
//! `C3` in constant time and wipes the output when it does not match.
//!
//! The curve arithmetic, encryption and verification are RustCrypto's `sm2`; signing and
//! decryption are written here on its arithmetic so that the secret scalar lives only in
//! [`PrivateKey`], which wipes it on drop, and so that `k` is the caller's.
//!
//! Every parser takes any bytes and returns a typed error ([`ErrorKind::InvalidPoint`],
//! [`ErrorKind::ScalarRange`], [`ErrorKind::Length`]); none panics.
//!
//! [`ErrorKind::InvalidPoint`]: crate::ErrorKind::InvalidPoint
//! [`ErrorKind::ScalarRange`]: crate::ErrorKind::ScalarRange
//! [`ErrorKind::Length`]: crate::ErrorKind::Length

mod key;
mod pke;
mod sign;

pub use key::{PRIVATE_KEY_LEN, PUBLIC_KEY_LEN, PrivateKey, PublicKey};
pub use pke::{C1_LEN, C3_LEN, CIPHERTEXT_OVERHEAD, Ciphertext, ciphertext_len};
pub use sign::{SIGNATURE_LEN, Signature};

use super::sm3::{DIGEST_LEN, Sm3};
use crate::error::{ErrorKind, Result};
use sm3::Digest;

/// The identifier the SM2 usage specification (GM/T 0009-2012, GB/T 35276-2017) sets when
/// the parties agree on no other.
pub const DEFAULT_ID: &[u8] = b"1234567812345678";

/// Longest identifier: `ENTL` counts its bits in 16 bits.
pub const MAX_ID_LEN: usize = 8191;

/// Coefficient `a` of the recommended curve (GB/T 32918.5).
const A: [u8; 32] = hex32("FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFC");
/// Coefficient `b`.
const B: [u8; 32] = hex32("28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93");
/// The base point `G`, x then y.
const GX: [u8; 32] = hex32("32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7");
const GY: [u8; 32] = hex32("BC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0");

/// `Z_A = SM3(ENTL ‖ ID ‖ a ‖ b ‖ xG ‖ yG ‖ xA ‖ yA)`: the hash of the signer's identifier,
/// the curve and the signer's public key (GB/T 32918.2 §5.5).
pub fn za(id: &[u8], public: &PublicKey) -> Result<[u8; DIGEST_LEN]> {
    let entl = id
        .len()
        .checked_mul(8)
        .and_then(|bits| u16::try_from(bits).ok())
        .ok_or(ErrorKind::Length { len: id.len() })?;
    let mut h = Sm3::new();
    h.update(entl.to_be_bytes());
    h.update(id);
    for part in [&A, &B, &GX, &GY] {
        h.update(part);
    }
    let (x, y) = public.coordinates();
    h.update(x);
    h.update(y);
    Ok(h.finalize().into())
}

/// `e = SM3(Z_A ‖ M)`: the digest a signature signs (GB/T 32918.2 §6.1 steps A1–A2).
pub fn message_digest(id: &[u8], public: &PublicKey, msg: &[u8]) -> Result<[u8; DIGEST_LEN]> {
    let z = za(id, public)?;
    Ok(super::sm3::sm3_parts(&[&z, msg]))
}

/// 64 hex digits as 32 bytes, at compile time.
#[expect(
    clippy::indexing_slicing,
    reason = "only evaluated at compile time, where an index out of range fails the build"
)]
const fn hex32(text: &str) -> [u8; 32] {
    let t = text.as_bytes();
    let mut out = [0u8; 32];
    let mut i = 0;
    while i < 32 {
        out[i] = (nibble(t[2 * i]) << 4) | nibble(t[2 * i + 1]);
        i += 1;
    }
    out
}

const fn nibble(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        b'A'..=b'F' => c - b'A' + 10,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ::sm2::elliptic_curve::Group;
    use ::sm2::elliptic_curve::point::AffineCoordinates;

    #[test]
    fn base_point_is_the_crates_generator() {
        let g = ::sm2::ProjectivePoint::generator().to_affine();
        assert_eq!(g.x().as_slice(), GX);
        assert_eq!(g.y().as_slice(), GY);
    }

    #[test]
    fn identifier_length_is_bounded() {
        let key = PrivateKey::from_bytes(&[1; 32]).unwrap();
        assert!(za(&[b'x'; MAX_ID_LEN], key.public_key()).is_ok());
        assert_eq!(
            za(&[b'x'; MAX_ID_LEN + 1], key.public_key())
                .unwrap_err()
                .kind(),
            ErrorKind::Length {
                len: MAX_ID_LEN + 1
            }
        );
    }
}
