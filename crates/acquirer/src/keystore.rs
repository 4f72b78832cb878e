//! Keys and card data at rest.
//!
//! Every key the host stores — terminal master keys, the issuer's keys, the ledger's card-data
//! key — is kept wrapped (AES-256-GCM) under a key-encryption key (KEK) behind the
//! [`KeyStore`] trait, so that a hardware security module can take the software store's place.
//! The software store, [`SoftwareKeyStore`], reads its KEK from a file or an environment
//! variable; the KEK itself is never stored beside what it protects.
//!
//! Card numbers are never stored in clear: [`CardDataKey`] gives a keyed hash (HMAC-SHA-256)
//! to find an account or a card by, the first 6 and last 4 digits for display, and
//! AES-256-GCM ciphertext where the issuer stand-in needs the number itself (cryptogram and
//! PIN checks, matching a refund's card with its original's).

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use zeroize::{Zeroize, Zeroizing};

use crate::error::{Error, ErrorKind, Result};

/// The version byte in front of every wrapped blob: a later format can be told apart.
const FORMAT: u8 = 1;
/// AES-GCM's nonce length.
const NONCE_LEN: usize = 12;

/// Wraps and unwraps keys under a key-encryption key the implementation holds (a file, an
/// environment variable, a hardware security module).
///
/// `label` names what is wrapped (e.g. `"tmk/10580001"`) and is authenticated with it: a
/// wrapped key copied onto another terminal's row does not unwrap.
pub trait KeyStore: Send + Sync {
    /// `clear` encrypted and authenticated under the KEK, bound to `label`.
    ///
    /// # Errors
    /// [`ErrorKind::KeyStore`] when the store cannot encrypt (no random source, HSM down).
    fn wrap(&self, label: &str, clear: &[u8]) -> Result<Vec<u8>>;

    /// What [`KeyStore::wrap`] wrapped under `label`, in a buffer wiped on drop.
    ///
    /// # Errors
    /// [`ErrorKind::KeyStore`] when `wrapped` does not authenticate under this KEK and
    /// label (another KEK, a different row, tampering).
    fn unwrap_key(&self, label: &str, wrapped: &[u8]) -> Result<Zeroizing<Vec<u8>>>;
}

/// The software [`KeyStore`]: a 256-bit KEK in memory (wiped on drop), AES-256-GCM with a
/// random nonce per wrap.
#[derive(Clone)]
pub struct SoftwareKeyStore {
    kek: Zeroizing<[u8; 32]>,
}

impl fmt::Debug for SoftwareKeyStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SoftwareKeyStore { kek: *** }")
    }
}

impl SoftwareKeyStore {
    /// The store with this KEK.
    pub fn new(kek: [u8; 32]) -> Self {
        Self {
            kek: Zeroizing::new(kek),
        }
    }

    /// The store whose KEK is these 64 hex digits (surrounding white space ignored).
    ///
    /// # Errors
    /// [`ErrorKind::KeyStore`] for anything but 64 hex digits.
    pub fn from_hex(text: &str) -> Result<Self> {
        let text = text.trim();
        let mut kek = Zeroizing::new([0u8; 32]);
        let bad = || Error::new(ErrorKind::KeyStore).during("reading the KEK (64 hex digits)");
        if text.len() != 64 {
            return Err(bad());
        }
        for (out, pair) in kek.iter_mut().zip(text.as_bytes().chunks_exact(2)) {
            let digit = |c: u8| char::from(c).to_digit(16).ok_or_else(bad);
            let (hi, lo) = match pair {
                [h, l] => (digit(*h)?, digit(*l)?),
                _ => return Err(bad()),
            };
            *out = u8::try_from(hi * 16 + lo).map_err(|_| bad())?;
        }
        Ok(Self { kek })
    }

    /// The store whose KEK is the 64 hex digits in the file at `path`.
    ///
    /// # Errors
    /// [`ErrorKind::Io`] when the file cannot be read, [`ErrorKind::KeyStore`] for a bad KEK.
    pub fn from_file(path: impl AsRef<std::path::Path>) -> Result<Self> {
        let path = path.as_ref();
        let text = Zeroizing::new(std::fs::read_to_string(path).map_err(|e| {
            Error::from(e)
                .during("reading the KEK file")
                .about(alloc::format!("{}", path.display()))
        })?);
        Self::from_hex(&text)
    }

    /// The store whose KEK is the 64 hex digits in the environment variable `var`.
    ///
    /// # Errors
    /// [`ErrorKind::KeyStore`] when the variable is unset or not a KEK.
    pub fn from_env(var: &str) -> Result<Self> {
        let text = Zeroizing::new(std::env::var(var).map_err(|_| {
            Error::new(ErrorKind::KeyStore)
                .during("reading the KEK variable")
                .about(var)
        })?);
        Self::from_hex(&text)
    }

    fn cipher(&self) -> Result<Aes256Gcm> {
        Aes256Gcm::new_from_slice(&self.kek[..])
            .map_err(|_| Error::new(ErrorKind::KeyStore).during("setting up the KEK"))
    }
}

impl KeyStore for SoftwareKeyStore {
    fn wrap(&self, label: &str, clear: &[u8]) -> Result<Vec<u8>> {
        seal(&self.cipher()?, label.as_bytes(), clear)
    }

    fn unwrap_key(&self, label: &str, wrapped: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
        open(&self.cipher()?, label.as_bytes(), wrapped)
    }
}

/// `FORMAT ‖ nonce ‖ ciphertext ‖ tag` of `clear` under `cipher`, `aad` authenticated.
fn seal(cipher: &Aes256Gcm, aad: &[u8], clear: &[u8]) -> Result<Vec<u8>> {
    let mut nonce = [0u8; NONCE_LEN];
    random(&mut nonce)?;
    let body = cipher
        .encrypt(&Nonce::from(nonce), Payload { msg: clear, aad })
        .map_err(|_| Error::new(ErrorKind::KeyStore).during("encrypting"))?;
    let mut out = Vec::with_capacity(1 + NONCE_LEN + body.len());
    out.push(FORMAT);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&body);
    Ok(out)
}

/// The clear text of what [`seal`] gave, if it authenticates.
fn open(cipher: &Aes256Gcm, aad: &[u8], sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
    let fail = || Error::new(ErrorKind::KeyStore).during("decrypting");
    let (&format, rest) = sealed.split_first().ok_or_else(fail)?;
    if format != FORMAT {
        return Err(fail());
    }
    let (nonce, body) = rest.split_at_checked(NONCE_LEN).ok_or_else(fail)?;
    let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| fail())?;
    cipher
        .decrypt(&Nonce::from(nonce), Payload { msg: body, aad })
        .map(Zeroizing::new)
        .map_err(|_| fail())
}

fn random(out: &mut [u8]) -> Result<()> {
    getrandom::fill(out).map_err(|_| {
        Error::new(ErrorKind::Crypto(cardwire_crypto::ErrorKind::Random)).during("drawing a nonce")
    })
}

/// The key the ledger and the registry protect card numbers with: a keyed hash for lookups,
/// AES-256-GCM where the number itself is needed. Itself stored wrapped under the KEK
/// ([`CardDataKey::generate`], [`CardDataKey::unwrap_from`]).
#[derive(Clone)]
pub struct CardDataKey {
    hash_key: Zeroizing<[u8; 32]>,
    cipher: Aes256Gcm,
}

impl fmt::Debug for CardDataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CardDataKey { *** }")
    }
}

/// What the card-data key is wrapped under (the label the KEK authenticates).
pub const CARD_DATA_LABEL: &str = "card-data-key";

impl CardDataKey {
    /// The key from its 32 secret bytes: the hash and encryption keys are derived from them
    /// (HMAC-SHA-256 with distinct labels), so that neither use leaks the other's key.
    ///
    /// # Errors
    /// [`ErrorKind::KeyStore`] for anything but 32 bytes.
    pub fn from_secret(secret: &[u8]) -> Result<Self> {
        if secret.len() != 32 {
            return Err(Error::new(ErrorKind::KeyStore).during("reading the card-data key"));
        }
        let hash_key = Zeroizing::new(cardwire_crypto::mac::hmac_sha256(secret, b"pan-hash")?);
        let mut enc = Zeroizing::new(cardwire_crypto::mac::hmac_sha256(secret, b"pan-enc")?);
        let cipher = Aes256Gcm::new_from_slice(&enc[..])
            .map_err(|_| Error::new(ErrorKind::KeyStore).during("reading the card-data key"))?;
        enc.zeroize();
        Ok(Self { hash_key, cipher })
    }

    /// A fresh key, and its secret wrapped under `keys` (to store beside the data).
    ///
    /// # Errors
    /// [`ErrorKind::KeyStore`], or the random source's error.
    pub fn generate(keys: &dyn KeyStore) -> Result<(Self, Vec<u8>)> {
        let mut secret = Zeroizing::new([0u8; 32]);
        random(&mut secret[..])?;
        let wrapped = keys.wrap(CARD_DATA_LABEL, &secret[..])?;
        Ok((Self::from_secret(&secret[..])?, wrapped))
    }

    /// The key whose secret `keys` wrapped as `wrapped`.
    ///
    /// # Errors
    /// [`ErrorKind::KeyStore`] when it does not unwrap under this KEK.
    pub fn unwrap_from(keys: &dyn KeyStore, wrapped: &[u8]) -> Result<Self> {
        let secret = keys.unwrap_key(CARD_DATA_LABEL, wrapped)?;
        Self::from_secret(&secret)
    }

    /// The keyed hash of a card number: what accounts and cards are found by.
    ///
    /// # Errors
    /// The MAC's error (none for the 32-byte key this holds).
    pub fn token(&self, pan: &str) -> Result<[u8; 32]> {
        Ok(cardwire_crypto::mac::hmac_sha256(
            &self.hash_key[..],
            pan.as_bytes(),
        )?)
    }

    /// The card number encrypted (a fresh nonce each time).
    ///
    /// # Errors
    /// The random source's error.
    pub fn seal(&self, pan: &str) -> Result<Vec<u8>> {
        seal(&self.cipher, b"pan", pan.as_bytes())
    }

    /// Any secret bytes encrypted under the card-data key, bound to `label`.
    ///
    /// # Errors
    /// The random source's error.
    pub fn seal_bytes(&self, label: &str, clear: &[u8]) -> Result<Vec<u8>> {
        seal(&self.cipher, label.as_bytes(), clear)
    }

    /// What [`CardDataKey::seal_bytes`] sealed under `label`.
    ///
    /// # Errors
    /// [`ErrorKind::KeyStore`] when it does not authenticate.
    pub fn open_bytes(&self, label: &str, sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
        open(&self.cipher, label.as_bytes(), sealed)
    }

    /// The card number [`CardDataKey::seal`] encrypted.
    ///
    /// # Errors
    /// [`ErrorKind::KeyStore`] when it does not authenticate or is no text.
    pub fn open(&self, sealed: &[u8]) -> Result<String> {
        let clear = open(&self.cipher, b"pan", sealed)?;
        core::str::from_utf8(&clear)
            .map(String::from)
            .map_err(|_| Error::new(ErrorKind::KeyStore).during("decrypting a card number"))
    }
}

/// A card number as it may be shown: first 6 and last 4 digits, the rest `*`.
pub fn display_pan(pan: &str) -> String {
    let mut out = String::new();
    // Masking into a String cannot fail.
    let _ =
        cardwire_emv::mask::write_masked(&mut out, pan.chars(), cardwire_emv::mask::Masking::Pan);
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn wrapped_keys_unwrap_only_under_their_kek_and_label() {
        let a = SoftwareKeyStore::new([1; 32]);
        let b = SoftwareKeyStore::new([2; 32]);
        let w = a.wrap("tmk/1", b"secret key bytes").unwrap();
        assert_eq!(&a.unwrap_key("tmk/1", &w).unwrap()[..], b"secret key bytes");
        assert!(a.unwrap_key("tmk/2", &w).is_err(), "another row's label");
        assert!(b.unwrap_key("tmk/1", &w).is_err(), "another KEK");
        assert!(!w.windows(6).any(|x| x == b"secret"));
    }

    #[test]
    fn kek_from_hex() {
        let k = SoftwareKeyStore::from_hex(&"0f".repeat(32)).unwrap();
        assert_eq!(*k.kek, [0x0f; 32]);
        assert!(SoftwareKeyStore::from_hex("0f").is_err());
        assert!(SoftwareKeyStore::from_hex(&"zz".repeat(32)).is_err());
        assert_eq!(alloc::format!("{k:?}"), "SoftwareKeyStore { kek: *** }");
    }

    #[test]
    fn card_numbers_hash_and_round_trip() {
        let keys = SoftwareKeyStore::new([3; 32]);
        let (k, wrapped) = CardDataKey::generate(&keys).unwrap();
        let again = CardDataKey::unwrap_from(&keys, &wrapped).unwrap();
        let t = |k: &CardDataKey, pan| k.token(pan).unwrap();
        assert_eq!(t(&k, "6225880012345675"), t(&again, "6225880012345675"));
        assert_ne!(t(&k, "6225880012345675"), t(&k, "6225880012345676"));
        let sealed = k.seal("6225880012345675").unwrap();
        assert_eq!(again.open(&sealed).unwrap(), "6225880012345675");
        assert_eq!(display_pan("6225880012345675"), "622588******5675");
    }
}
