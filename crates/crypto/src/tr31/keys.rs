//! The two keys a key block protection key (KBPK) yields: the key block encryption key
//! (KBEK) and the key block authentication key (KBAK).
//!
//! Versions A and C derive them as variants (KBPK ⊕ `45…` and ⊕ `4D…`); versions B, D
//! and E with the CMAC key derivation of TR-31:2018 5.3.2 (NIST SP 800-108 counter mode).

use zeroize::Zeroizing;

use super::Version;
use crate::error::{ErrorKind, Result};
use crate::key::{AesKey, AesKeyLength, TdesKey, TdesKeyLength};
use crate::mac::{cmac_aes, cmac_tdes};

/// Versions A and C: KBEK = KBPK ⊕ `45…`, KBAK = KBPK ⊕ `4D…`.
pub(crate) fn variant_keys(kbpk: &TdesKey) -> Result<(TdesKey, TdesKey)> {
    let n = kbpk.len();
    let kbek = kbpk.xor([0x45; 24].split_at(n).0)?;
    let kbak = kbpk.xor([0x4D; 24].split_at(n).0)?;
    Ok((kbek, kbak))
}

/// Key derivation input of TR-31:2018 5.3.2: counter, usage, separator, algorithm, length.
const fn kdf_input(counter: u8, usage: u8, algorithm: u8, bits: u16) -> [u8; 8] {
    let [hi, lo] = bits.to_be_bytes();
    [counter, 0, usage, 0, 0, algorithm, hi, lo]
}

/// The KDF usage of the encryption key: CBC (B, D) or CTR (E).
const fn encryption_usage(version: Version) -> u8 {
    match version {
        Version::E => 2,
        _ => 0,
    }
}

/// The KDF usage of the authentication key.
const AUTHENTICATION: u8 = 1;

/// Version B: KBEK and KBAK derived with TDES-CMAC, one 8-byte block per key part.
pub(crate) fn derive_tdes(kbpk: &TdesKey) -> Result<(TdesKey, TdesKey)> {
    let (algorithm, bits, parts) = match kbpk.key_length() {
        TdesKeyLength::Double => (0, 0x80, 2u8),
        TdesKeyLength::Triple => (1, 0xC0, 3u8),
        TdesKeyLength::Single => return Err(ErrorKind::KeyLength { len: 8 }.into()),
    };
    let mut kbek = Zeroizing::new([0u8; 24]);
    let mut kbak = Zeroizing::new([0u8; 24]);
    for (counter, (e, a)) in (1..=parts).zip(kbek.chunks_exact_mut(8).zip(kbak.chunks_exact_mut(8)))
    {
        e.copy_from_slice(&cmac_tdes(kbpk, &kdf_input(counter, 0, algorithm, bits)));
        a.copy_from_slice(&cmac_tdes(
            kbpk,
            &kdf_input(counter, AUTHENTICATION, algorithm, bits),
        ));
    }
    let n = kbpk.len();
    Ok((
        TdesKey::new(kbek.split_at(n).0)?,
        TdesKey::new(kbak.split_at(n).0)?,
    ))
}

/// Versions D and E: KBEK and KBAK derived with AES-CMAC, one 16-byte block per 128 bits
/// (the second block cut to the key's length).
pub(crate) fn derive_aes(kbpk: &AesKey, version: Version) -> Result<(AesKey, AesKey)> {
    let (algorithm, bits, blocks) = match kbpk.key_length() {
        AesKeyLength::Aes128 => (2, 0x80, 1u8),
        AesKeyLength::Aes192 => (3, 0xC0, 2u8),
        AesKeyLength::Aes256 => (4, 0x100, 2u8),
    };
    let mut kbek = Zeroizing::new([0u8; 32]);
    let mut kbak = Zeroizing::new([0u8; 32]);
    let enc = encryption_usage(version);
    for (counter, (e, a)) in
        (1..=blocks).zip(kbek.chunks_exact_mut(16).zip(kbak.chunks_exact_mut(16)))
    {
        e.copy_from_slice(&cmac_aes(kbpk, &kdf_input(counter, enc, algorithm, bits)));
        a.copy_from_slice(&cmac_aes(
            kbpk,
            &kdf_input(counter, AUTHENTICATION, algorithm, bits),
        ));
    }
    let n = kbpk.len();
    Ok((
        AesKey::new(kbek.split_at(n).0)?,
        AesKey::new(kbak.split_at(n).0)?,
    ))
}
