//! Passwords (argon2id), session cookies (a random id, signed with HMAC-SHA-256 under the
//! platform's cookie key), CSRF tokens and activation codes.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use hmac::{KeyInit, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::error::{Error, ErrorKind, Result};

type HmacSha256 = hmac::Hmac<Sha256>;

/// The session cookie's name.
pub const COOKIE: &str = "cw_session";

/// Random bytes from the operating system.
///
/// # Errors
/// [`ErrorKind::Crypto`] when the system has no randomness to give.
pub fn random<const N: usize>() -> Result<[u8; N]> {
    let mut b = [0u8; N];
    getrandom::fill(&mut b).map_err(|e| {
        Error::new(ErrorKind::Crypto, "drawing random bytes").caused_by(e.to_string())
    })?;
    Ok(b)
}

/// Lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

/// The argon2id hash (PHC string) of a password.
///
/// # Errors
/// [`ErrorKind::Crypto`].
pub fn hash_password(password: &str) -> Result<String> {
    let salt_bytes: [u8; 16] = random()?;
    let salt = SaltString::encode_b64(&salt_bytes).map_err(|e| {
        Error::new(ErrorKind::Crypto, "salting a password").caused_by(e.to_string())
    })?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| Error::new(ErrorKind::Crypto, "hashing a password").caused_by(e.to_string()))
}

/// Whether `password` matches the stored argon2 hash (a hash that does not parse matches
/// nothing).
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// A hash of a password that exists only so that a login for an unknown user takes as long
/// as one for a known user.
///
/// # Errors
/// [`ErrorKind::Crypto`].
pub fn decoy_hash() -> Result<String> {
    hash_password("decoy password, matches no login")
}

/// SHA-256 of a random value (a session id, an activation code): what is stored of it.
pub fn digest(value: &[u8]) -> Vec<u8> {
    Sha256::digest(value).to_vec()
}

/// Signs and checks session cookies.
pub struct CookieKey(Zeroizing<[u8; 32]>);

impl std::fmt::Debug for CookieKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CookieKey(***)")
    }
}

impl CookieKey {
    /// The key of these 32 bytes.
    pub fn new(key: [u8; 32]) -> Self {
        Self(Zeroizing::new(key))
    }

    fn mac(&self, id: &[u8]) -> Result<Vec<u8>> {
        let mut m = <HmacSha256 as KeyInit>::new_from_slice(self.0.as_ref()).map_err(|e| {
            Error::new(ErrorKind::Crypto, "signing a cookie").caused_by(e.to_string())
        })?;
        m.update(b"cardwire-platform session\0");
        m.update(id);
        Ok(m.finalize().into_bytes().to_vec())
    }

    /// The cookie value of a session id: `id.mac` in hex.
    ///
    /// # Errors
    /// [`ErrorKind::Crypto`].
    pub fn sign(&self, id: &[u8]) -> Result<String> {
        Ok(format!("{}.{}", hex(id), hex(&self.mac(id)?)))
    }

    /// The session id of a cookie value whose signature holds (compared in constant time).
    pub fn verify(&self, value: &str) -> Option<Vec<u8>> {
        let (id, mac) = value.split_once('.')?;
        let id = unhex(id)?;
        let mac = unhex(mac)?;
        let expected = self.mac(&id).ok()?;
        bool::from(expected.ct_eq(&mac)).then_some(id)
    }
}

/// Whether a submitted CSRF token is the session's (constant time).
pub fn csrf_matches(expected: &str, submitted: &str) -> bool {
    !expected.is_empty() && bool::from(expected.as_bytes().ct_eq(submitted.as_bytes()))
}

/// A new activation code: 12 digits in groups of four (about 40 bits; it is single-use and
/// binding attempts are rate limited).
///
/// # Errors
/// [`ErrorKind::Crypto`].
pub fn activation_code() -> Result<String> {
    let bytes: [u8; 8] = random()?;
    let n = u64::from_le_bytes(bytes) % 1_000_000_000_000;
    Ok(format!(
        "{:04}-{:04}-{:04}",
        n / 100_000_000,
        n / 10_000 % 10_000,
        n % 10_000
    ))
}

/// An activation code as typed, reduced to its digits (spaces and dashes dropped).
pub fn normalize_code(typed: &str) -> String {
    typed.chars().filter(char::is_ascii_digit).collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn cookies_verify_only_with_their_signature() {
        let key = CookieKey::new([7; 32]);
        let v = key.sign(b"0123456789abcdef").unwrap();
        assert_eq!(key.verify(&v).unwrap(), b"0123456789abcdef");
        let mut forged = v.clone();
        forged.replace_range(0..2, "ff");
        assert!(key.verify(&forged).is_none());
        assert!(CookieKey::new([8; 32]).verify(&v).is_none());
    }

    #[test]
    fn passwords_round_trip() {
        let h = hash_password("correct horse battery").unwrap();
        assert!(verify_password("correct horse battery", &h));
        assert!(!verify_password("wrong", &h));
        assert!(!verify_password("x", "not a hash"));
    }

    #[test]
    fn codes_are_twelve_digits() {
        let c = activation_code().unwrap();
        assert_eq!(normalize_code(&c).len(), 12);
    }
}
