//! Remote key download (RKD) at activation: the host sends the terminal master key (TMK)
//! encrypted under the terminal's SM2 public key and signed with the host's SM2 key; the
//! terminal checks the signature, that the envelope is for it and newer than the key it
//! holds, decrypts, and checks the key's check value before installing it. No master key
//! travels or is typed in clear.
//!
//! The terminal generates its key pair inside the device ([`PrivateKey::generate`]) and the
//! host learns the public key at registration; the terminal is loaded with the host's public
//! key and identifier at manufacture. Both are outside this module: it builds and opens the
//! envelope.
//!
//! # Envelope, version 1
//!
//! The industry's RKD messages are vendor- and acquirer-specific and not public, so the
//! layout is this project's; it carries what GB/T 32918 needs and what the terminal must
//! check:
//!
//! | offset | bytes | field |
//! |---|---|---|
//! | 0 | 1 | format version, `01` |
//! | 1 | 1 | key type, `01` = SM4 terminal master key |
//! | 2 | 4 | key version, big-endian; a terminal takes only a newer one |
//! | 6 | 1 | length `N` of the device identifier, 1 to 32 |
//! | 7 | `N` | device identifier (the serial number the terminal was registered with) |
//! | 7 + `N` | 4 | check value of the key: first 4 bytes of SM4(TMK, 0¹²⁸) |
//! | 11 + `N` | 113 | SM2 ciphertext `C1 ‖ C3 ‖ C2` of the 16-byte key under the device's public key |
//! | 124 + `N` | 64 | the host's SM2 signature `r ‖ s` over bytes 0 to 123 + `N`, with the host's identifier |
//!
//! Encrypting binds the key to one device; signing the whole envelope binds the device
//! identifier, the key version and the check value to the host.

use rand_core::TryCryptoRng;
use subtle::ConstantTimeEq;

use super::sm2::{Ciphertext, PrivateKey, PublicKey, SIGNATURE_LEN, Signature, ciphertext_len};
use super::sm4::{KEY_LEN, Sm4Key};
use crate::cups::CHECK_VALUE_LEN;
use crate::error::{Error, ErrorKind, Result};

/// The envelope format this module writes and reads.
pub const FORMAT_VERSION: u8 = 0x01;
/// Key type `01`: an SM4 terminal master key.
pub const KEY_TYPE_SM4_TMK: u8 = 0x01;
/// Longest device identifier.
pub const MAX_DEVICE_ID_LEN: usize = 32;

/// Bytes before the device identifier: version, key type, key version, identifier length.
const HEAD_LEN: usize = 7;
/// Length of the encrypted key.
const CIPHERTEXT_LEN: usize = ciphertext_len(KEY_LEN);

/// Length of an envelope for a device identifier of `device_id_len` bytes.
pub const fn envelope_len(device_id_len: usize) -> usize {
    HEAD_LEN + device_id_len + CHECK_VALUE_LEN + CIPHERTEXT_LEN + SIGNATURE_LEN
}

/// The longest envelope, for sizing buffers.
pub const MAX_ENVELOPE_LEN: usize = envelope_len(MAX_DEVICE_ID_LEN);

/// Which device an envelope is for, and which key version it carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Recipient<'a> {
    /// The device's identifier, 1 to 32 bytes.
    pub device_id: &'a [u8],
    /// The device's SM2 public key, as registered.
    pub public_key: &'a PublicKey,
}

/// The host as the terminal knows it: its public key and signer identifier.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Host<'a> {
    /// The host's SM2 public key.
    pub public_key: &'a PublicKey,
    /// The host's identifier for signatures ([`DEFAULT_ID`](super::sm2::DEFAULT_ID) unless
    /// agreed otherwise).
    pub id: &'a [u8],
}

/// Builds an envelope (host side): `tmk` as key version `key_version` for `recipient`,
/// signed with `host_key` under identifier `host_id`. Returns the length written to `out`.
pub fn seal<R: TryCryptoRng + ?Sized>(
    rng: &mut R,
    tmk: &Sm4Key,
    key_version: u32,
    recipient: &Recipient<'_>,
    host_key: &PrivateKey,
    host_id: &[u8],
    out: &mut [u8],
) -> Result<usize> {
    let id_len = device_id_len(recipient.device_id.len(), 0)?;
    let total = envelope_len(recipient.device_id.len());
    let dst = out
        .get_mut(..total)
        .ok_or(Error::new(ErrorKind::BufferTooSmall))?;
    let (signed, signature) = dst.split_at_mut(total - SIGNATURE_LEN);
    let (head, rest) = signed.split_at_mut(HEAD_LEN);
    head.copy_from_slice(&[FORMAT_VERSION, KEY_TYPE_SM4_TMK, 0, 0, 0, 0, id_len]);
    if let Some(version) = head.get_mut(2..6) {
        version.copy_from_slice(&key_version.to_be_bytes());
    }
    let (id, rest) = rest.split_at_mut(recipient.device_id.len());
    id.copy_from_slice(recipient.device_id);
    let (kcv, ciphertext) = rest.split_at_mut(CHECK_VALUE_LEN);
    // Always there: a check value is the head of an SM4 block (asserted in `sm::cups`).
    kcv.copy_from_slice(tmk.check_value().get(..CHECK_VALUE_LEN).unwrap_or_default());
    recipient
        .public_key
        .encrypt(rng, tmk.expose(), ciphertext)?;
    let sig = host_key.sign(rng, host_id, signed)?;
    signature.copy_from_slice(sig.as_bytes());
    Ok(total)
}

/// A parsed envelope, borrowed; its signature not yet checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Envelope<'a> {
    signed: &'a [u8],
    key_version: u32,
    device_id: &'a [u8],
    check_value: &'a [u8],
    ciphertext: Ciphertext<'a>,
    signature: Signature,
}

impl<'a> Envelope<'a> {
    /// Checks the structure: format version, key type, lengths, that `C1` is a curve point
    /// and that the signature's scalars are in range. Nothing is verified or decrypted yet.
    pub fn parse(bytes: &'a [u8]) -> Result<Self> {
        let short = || Error::at(ErrorKind::Length { len: bytes.len() }, 0);
        let head = bytes.get(..HEAD_LEN).ok_or_else(short)?;
        let &[format, key_type, v0, v1, v2, v3, id_len] = head else {
            return Err(short());
        };
        if format != FORMAT_VERSION {
            return Err(Error::at(
                ErrorKind::UnsupportedVersion { version: format },
                0,
            ));
        }
        if key_type != KEY_TYPE_SM4_TMK {
            return Err(Error::at(ErrorKind::Header, 1));
        }
        let id_len = usize::from(id_len);
        device_id_len(id_len, HEAD_LEN - 1)?;
        if bytes.len() != envelope_len(id_len) {
            return Err(short());
        }
        let (signed, signature) = bytes.split_at(bytes.len() - SIGNATURE_LEN);
        let rest = signed.get(HEAD_LEN..).ok_or_else(short)?;
        let (device_id, rest) = rest.split_at(id_len);
        let (check_value, ciphertext) = rest.split_at(CHECK_VALUE_LEN);
        let ct_at = HEAD_LEN + id_len + CHECK_VALUE_LEN;
        let ciphertext = Ciphertext::parse(ciphertext).map_err(|e| Error::at(e.kind(), ct_at))?;
        let signature = Signature::from_bytes(signature)
            // An error without an offset of its own points at the signature's first byte.
            .map_err(|e| Error::at(e.kind(), signed.len() + e.offset().unwrap_or(0)))?;
        Ok(Self {
            signed,
            key_version: u32::from_be_bytes([v0, v1, v2, v3]),
            device_id,
            check_value,
            ciphertext,
            signature,
        })
    }

    /// The key version the envelope carries.
    pub fn key_version(&self) -> u32 {
        self.key_version
    }

    /// The identifier of the device the envelope is for.
    pub fn device_id(&self) -> &'a [u8] {
        self.device_id
    }

    /// The check value of the key inside.
    pub fn check_value(&self) -> &'a [u8] {
        self.check_value
    }

    /// Checks the host's signature over the envelope.
    pub fn verify(&self, host: &Host<'_>) -> Result<()> {
        host.public_key
            .verify(host.id, self.signed, &self.signature)
            .map_err(|e| Error::at(e.kind(), self.signed.len()))
    }

    /// Opens the envelope (terminal side), in this order: the host's signature; that it is
    /// for `device_id`; that its key version is newer than `installed_version` (the version
    /// the terminal holds, `None` before the first download); the decryption under the
    /// device's private key; and the key's check value, compared in constant time. Any
    /// failure returns an error and no key.
    pub fn open(
        &self,
        host: &Host<'_>,
        device_key: &PrivateKey,
        device_id: &[u8],
        installed_version: Option<u32>,
    ) -> Result<Sm4Key> {
        self.verify(host)?;
        if self.device_id != device_id {
            return Err(Error::at(ErrorKind::Verification, HEAD_LEN));
        }
        if installed_version.is_some_and(|v| self.key_version <= v) {
            return Err(Error::at(ErrorKind::Verification, 2));
        }
        let ct_at = HEAD_LEN + self.device_id.len() + CHECK_VALUE_LEN;
        let mut clear = zeroize::Zeroizing::new([0u8; KEY_LEN]);
        let len = device_key
            .decrypt(&self.ciphertext, clear.as_mut_slice())
            .map_err(|e| Error::at(e.kind(), ct_at))?;
        // `decrypt` wrote `len` ≤ KEY_LEN bytes into `clear` (it checks the room first).
        let key = Sm4Key::new(clear.get(..len).unwrap_or_default())
            .map_err(|e| Error::at(e.kind(), ct_at))?;
        let check = key.check_value();
        let matches = check
            .get(..CHECK_VALUE_LEN)
            .is_some_and(|c| bool::from(c.ct_eq(self.check_value)));
        if matches {
            Ok(key)
        } else {
            Err(Error::at(ErrorKind::CheckValue, ct_at - CHECK_VALUE_LEN))
        }
    }
}

/// A device identifier length of 1 to 32 as its length byte, or a header error at `at`.
fn device_id_len(len: usize, at: usize) -> Result<u8> {
    match u8::try_from(len) {
        Ok(n) if (1..=MAX_DEVICE_ID_LEN).contains(&len) => Ok(n),
        _ => Err(Error::at(ErrorKind::Header, at)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sm::sm2::DEFAULT_ID;

    struct Lcg(u64);
    impl rand_core::TryRng for Lcg {
        type Error = core::convert::Infallible;
        fn try_next_u32(&mut self) -> core::result::Result<u32, Self::Error> {
            Ok(0)
        }
        fn try_next_u64(&mut self) -> core::result::Result<u64, Self::Error> {
            Ok(0)
        }
        fn try_fill_bytes(&mut self, d: &mut [u8]) -> core::result::Result<(), Self::Error> {
            for b in d {
                self.0 = self
                    .0
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                *b = (self.0 >> 56) as u8;
            }
            Ok(())
        }
    }
    impl TryCryptoRng for Lcg {}

    struct Setup {
        host: PrivateKey,
        device: PrivateKey,
        tmk: Sm4Key,
        rng: Lcg,
    }

    fn setup() -> Setup {
        let mut rng = Lcg(17);
        Setup {
            host: PrivateKey::generate(&mut rng).unwrap(),
            device: PrivateKey::generate(&mut rng).unwrap(),
            tmk: Sm4Key::generate(&mut rng).unwrap(),
            rng,
        }
    }

    fn sealed(s: &mut Setup, device_id: &[u8], version: u32) -> ([u8; MAX_ENVELOPE_LEN], usize) {
        let mut out = [0u8; MAX_ENVELOPE_LEN];
        let recipient = Recipient {
            device_id,
            public_key: s.device.public_key(),
        };
        let n = seal(
            &mut s.rng, &s.tmk, version, &recipient, &s.host, DEFAULT_ID, &mut out,
        )
        .unwrap();
        (out, n)
    }

    #[test]
    fn the_device_installs_the_key_the_host_sealed() {
        let mut s = setup();
        let (env, n) = sealed(&mut s, b"SN0001", 7);
        assert_eq!(n, envelope_len(6));
        let host = Host {
            public_key: s.host.public_key(),
            id: DEFAULT_ID,
        };
        let parsed = Envelope::parse(&env[..n]).unwrap();
        assert_eq!(
            (parsed.key_version(), parsed.device_id()),
            (7, &b"SN0001"[..])
        );
        assert_eq!(parsed.check_value(), &s.tmk.check_value()[..4]);
        let key = parsed.open(&host, &s.device, b"SN0001", Some(6)).unwrap();
        assert!(key.ct_eq(&s.tmk));
        assert!(parsed.open(&host, &s.device, b"SN0001", None).is_ok());
    }

    #[test]
    fn every_check_on_the_terminal_side_holds() {
        let mut s = setup();
        let (env, n) = sealed(&mut s, b"SN0001", 7);
        let host = Host {
            public_key: s.host.public_key(),
            id: DEFAULT_ID,
        };
        let parsed = Envelope::parse(&env[..n]).unwrap();
        let kind_at = |r: Result<Sm4Key>| {
            let e = r.unwrap_err();
            (e.kind(), e.offset())
        };
        // Another device, a replayed or older version.
        assert_eq!(
            kind_at(parsed.open(&host, &s.device, b"SN0002", None)),
            (ErrorKind::Verification, Some(7))
        );
        assert_eq!(
            kind_at(parsed.open(&host, &s.device, b"SN0001", Some(7))),
            (ErrorKind::Verification, Some(2))
        );
        // Another host key or identifier.
        let other = PrivateKey::generate(&mut s.rng).unwrap();
        let impostor = Host {
            public_key: other.public_key(),
            id: DEFAULT_ID,
        };
        assert_eq!(
            kind_at(parsed.open(&impostor, &s.device, b"SN0001", None)).0,
            ErrorKind::Verification
        );
        let renamed = Host {
            id: b"host",
            ..host
        };
        assert!(parsed.open(&renamed, &s.device, b"SN0001", None).is_err());
        // The right envelope at another device's private key (same identifier claimed).
        assert_eq!(
            kind_at(parsed.open(&host, &other, b"SN0001", None)),
            (ErrorKind::Verification, Some(7 + 6 + 4))
        );
        // Any changed byte of the signed part breaks the signature.
        for at in [2, 8, 13, 20, 100, n - 65] {
            let mut bad = env;
            bad[at] ^= 0x01;
            if let Ok(p) = Envelope::parse(&bad[..n]) {
                assert!(p.open(&host, &s.device, b"SN0001", None).is_err(), "{at}");
            }
        }
    }

    #[test]
    fn a_host_signed_envelope_with_a_wrong_check_value_is_refused() {
        // A host that signs a wrong check value (a bug, or an attack on the host's key
        // store) must still not get its key installed.
        let mut s = setup();
        let (mut env, n) = sealed(&mut s, b"SN0001", 1);
        env[7 + 6] ^= 0xFF;
        let sig = s.host.sign(&mut s.rng, DEFAULT_ID, &env[..n - 64]).unwrap();
        env[n - 64..n].copy_from_slice(sig.as_bytes());
        let host = Host {
            public_key: s.host.public_key(),
            id: DEFAULT_ID,
        };
        let err = Envelope::parse(&env[..n])
            .unwrap()
            .open(&host, &s.device, b"SN0001", None)
            .unwrap_err();
        assert_eq!(
            (err.kind(), err.offset()),
            (ErrorKind::CheckValue, Some(13))
        );
    }

    #[test]
    fn parse_rejects_malformed_envelopes() {
        let mut s = setup();
        let (env, n) = sealed(&mut s, b"SN0001", 1);
        let kind = |b: &[u8]| Envelope::parse(b).unwrap_err().kind();
        assert_eq!(kind(&env[..n - 1]), ErrorKind::Length { len: n - 1 });
        assert_eq!(kind(&[]), ErrorKind::Length { len: 0 });
        let mut bad = env;
        bad[0] = 2;
        assert_eq!(
            kind(&bad[..n]),
            ErrorKind::UnsupportedVersion { version: 2 }
        );
        let mut bad = env;
        bad[1] = 2;
        assert_eq!(kind(&bad[..n]), ErrorKind::Header);
        let mut bad = env;
        bad[6] = 0;
        assert_eq!(kind(&bad[..n]), ErrorKind::Header);
        let mut bad = env;
        bad[6] = 33;
        assert_eq!(kind(&bad[..n]), ErrorKind::Header);
        let mut bad = env;
        bad[17 + 5] ^= 1; // inside C1
        assert_eq!(kind(&bad[..n]), ErrorKind::InvalidPoint);
        let mut bad = env;
        bad[n - 64..n - 32].fill(0); // r = 0
        let e = Envelope::parse(&bad[..n]).unwrap_err();
        assert_eq!(
            (e.kind(), e.offset()),
            (ErrorKind::ScalarRange, Some(n - 64))
        );
        // Seal refuses identifiers outside 1 to 32 bytes.
        let recipient = Recipient {
            device_id: &[b'x'; 33],
            public_key: s.device.public_key(),
        };
        let mut out = [0u8; 400];
        assert_eq!(
            seal(
                &mut s.rng, &s.tmk, 1, &recipient, &s.host, DEFAULT_ID, &mut out
            )
            .unwrap_err()
            .kind(),
            ErrorKind::Header
        );
    }
}
