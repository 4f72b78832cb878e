//! SM3 (GB/T 32905-2016), the 256-bit hash, and HMAC-SM3 (the RFC 2104 / ISO/IEC 9797-2
//! construction with SM3). The hash is RustCrypto's `sm3`; the HMAC, RustCrypto's `hmac`.

use hmac::{KeyInit, Mac, SimpleHmac};
use sm3::Digest;

use crate::error::{ErrorKind, Result};
use crate::key::ct_eq;

pub use ::sm3::Sm3;

/// Length of an SM3 digest in bytes.
pub const DIGEST_LEN: usize = 32;

/// Shortest HMAC-SM3 tag [`verify_hmac`] accepts: half the digest (RFC 2104 §5).
pub const MIN_HMAC_LEN: usize = 16;

/// The SM3 digest of `data`.
pub fn sm3(data: &[u8]) -> [u8; DIGEST_LEN] {
    sm3_parts(&[data])
}

/// The SM3 digest of the concatenation of `parts`.
pub fn sm3_parts(parts: &[&[u8]]) -> [u8; DIGEST_LEN] {
    let mut h = Sm3::new();
    for part in parts {
        h.update(part);
    }
    h.finalize().into()
}

/// HMAC-SM3 of `data` under `key` (any length; keys longer than 64 bytes are hashed first).
pub fn hmac(key: &[u8], data: &[u8]) -> [u8; DIGEST_LEN] {
    // `new_from_slice` accepts every key length for HMAC; the fallback is never taken.
    match <SimpleHmac<Sm3> as KeyInit>::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(data);
            mac.finalize().into_bytes().into()
        }
        Err(_) => [0; DIGEST_LEN],
    }
}

/// Verifies an HMAC-SM3 tag, whole or truncated to its leading 16 bytes or more, in
/// constant time.
pub fn verify_hmac(key: &[u8], data: &[u8], tag: &[u8]) -> Result<()> {
    let full = hmac(key, data);
    match full.get(..tag.len()) {
        Some(prefix) if tag.len() >= MIN_HMAC_LEN && bool::from(ct_eq(prefix, tag)) => Ok(()),
        _ => Err(ErrorKind::Verification.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hex_literal::hex;

    #[test]
    fn gbt_32905_examples() {
        assert_eq!(
            sm3(b"abc"),
            hex!("66C7F0F462EEEDD9D1F2D46BDC10E4E24167C4875CF2F7A2297DA02B8F4BA8E0")
        );
        assert_eq!(
            sm3_parts(&[&b"abcd".repeat(8), &b"abcd".repeat(8)]),
            hex!("DEBE9FF92275B8A138604889C18E5A4D6FDB70E5387E5765293DCBA39C0C5732")
        );
    }

    #[test]
    fn hmac_verifies_whole_or_truncated_and_rejects_changes() {
        let tag = hmac(b"key", b"data");
        assert!(verify_hmac(b"key", b"data", &tag).is_ok());
        assert!(verify_hmac(b"key", b"data", &tag[..16]).is_ok());
        assert!(verify_hmac(b"key", b"data", &tag[..15]).is_err());
        assert!(verify_hmac(b"key", b"datA", &tag).is_err());
        assert!(verify_hmac(b"kez", b"data", &tag).is_err());
        assert!(verify_hmac(b"key", b"data", &[tag.as_slice(), &[0]].concat()).is_err());
        // A key longer than the block is hashed first.
        assert_eq!(hmac(&[7; 100], b"x"), hmac(&sm3(&[7; 100]), b"x"));
    }
}
