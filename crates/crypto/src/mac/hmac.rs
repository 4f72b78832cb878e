//! HMAC-SHA-256 (RFC 2104, FIPS 198-1): the MAC of AES DUKPT's HMAC keys and of many host
//! interfaces.

use ::hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::error::{ErrorKind, Result};

/// HMAC-SHA-256 of `data` under `key` (any length; longer than 64 bytes is hashed first,
/// as RFC 2104 says).
///
/// ```
/// // RFC 4231 test case 2.
/// let mac = cardwire_crypto::mac::hmac_sha256(b"Jefe", b"what do ya want for nothing?")?;
/// assert_eq!(
///     mac,
///     hex_literal::hex!("5BDCC146BF60754E6A042426089575C75A003F089D2739839DEC58B964EC3843")
/// );
/// # Ok::<(), cardwire_crypto::Error>(())
/// ```
pub fn hmac_sha256(key: &[u8], data: &[u8]) -> Result<[u8; 32]> {
    // HMAC takes keys of every length; the error branch exists because the trait is shared
    // with fixed-key MACs.
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key)
        .map_err(|_| ErrorKind::KeyLength { len: key.len() })?;
    mac.update(data);
    let mut out = [0u8; 32];
    crate::buf::copy_prefix(&mut out, &mac.finalize().into_bytes());
    Ok(out)
}
