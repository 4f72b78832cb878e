//! Message authentication codes: ISO/IEC 9797-1 MAC algorithm 1 (CBC-MAC, DES or TDES;
//! with a DES key it is ANSI X9.9) and algorithm 3 (retail MAC, ANSI X9.19) with padding
//! methods 1, 2 and 3; CMAC (NIST SP 800-38B) for AES and TDES; HMAC-SHA-256 (RFC 2104);
//! and the China UnionPay POS "ECB" MAC ([`cups`]).
//!
//! The block computations are RustCrypto's `cbc-mac`, `retail-mac`, `cmac` and `hmac`;
//! this module adds the padding methods and the payment-world key conventions. The key's
//! length type picks DES, two-key or three-key TDES, so there is no length to get wrong at
//! run time. Verification compares in constant time.
//!
//! ```
//! use cardwire_crypto::TdesKey;
//! use cardwire_crypto::mac::{self, Padding};
//!
//! // ANSI X9.24-1:2009 A.4: the X9.19 MAC of the first transaction's MAC request key.
//! let key = TdesKey::from_hex("042666B4918430A368DE9628D03984C9")?;
//! let mac = mac::retail_mac(&key, b"4012345678909D987", Padding::Method1)?;
//! assert_eq!(mac[..4], hex_literal::hex!("9CCC7817"));
//! # Ok::<(), cardwire_crypto::Error>(())
//! ```

pub mod cups;
mod hmac;
mod retail_key;
mod stream;

pub use hmac::hmac_sha256;
pub use retail_key::RetailMacKey;
pub(crate) use stream::Stream;

use crate::buf::Len;
use crate::error::{Error, ErrorKind, Result};
use crate::key::{AesKey, TdesKey, TdesKeyLength, ct_eq};

/// ISO/IEC 9797-1 padding methods.
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Padding {
    /// Method 1: zero bits up to a whole number of blocks (an empty message becomes one zero
    /// block). Used by ANSI X9.9, X9.19 and most ISO 8583 MACs.
    #[default]
    Method1,
    /// Method 2: a single 1 bit (byte `80`), then zero bits.
    Method2,
    /// Method 3: a block holding the message length in bits, then method 1.
    Method3,
}

impl TryFrom<u8> for Padding {
    type Error = Error;
    fn try_from(n: u8) -> Result<Self> {
        match n {
            1 => Ok(Self::Method1),
            2 => Ok(Self::Method2),
            3 => Ok(Self::Method3),
            _ => Err(ErrorKind::Length {
                len: usize::from(n),
            }
            .into()),
        }
    }
}

/// The length of a message in bits as ISO/IEC 9797-1 method 3 writes it, big-endian in a
/// `u128` (a `usize` count of bytes always fits, times 8).
fn length_in_bits(len: usize) -> u128 {
    // Widening: usize is at most 64 bits on every target Rust supports.
    (len as u128) << 3
}

/// Feeds the concatenation of `parts` to `sink` as whole 8-byte blocks, padded per
/// `padding`, without copying the message.
pub(crate) fn feed_padded(parts: &[&[u8]], padding: Padding, mut sink: impl FnMut(&[u8])) {
    let total: usize = parts.iter().map(|p| p.len()).sum();
    if padding == Padding::Method3 {
        let [.., a, b, c, d, e, f, g, h] = length_in_bits(total).to_be_bytes();
        sink(&[a, b, c, d, e, f, g, h]);
    }
    for part in parts {
        sink(part);
    }
    let rest = total % 8;
    const ZEROS: [u8; 8] = [0; 8];
    match padding {
        Padding::Method2 => {
            sink(&[0x80]);
            sink(ZEROS.split_at(7 - rest).0);
        }
        // Method 1 pads only a partial block, except that an empty message becomes one block.
        Padding::Method1 | Padding::Method3 if total == 0 => sink(&ZEROS),
        Padding::Method1 | Padding::Method3 if rest != 0 => sink(ZEROS.split_at(8 - rest).0),
        Padding::Method1 | Padding::Method3 => {}
    }
}

/// Pads `data` per `padding` for a cipher of `block_len`-byte blocks (1 to 32) into `out`
/// and returns the padded length; for inspecting the exact bytes a MAC covers.
pub fn pad(data: &[u8], padding: Padding, block_len: usize, out: &mut [u8]) -> Result<usize> {
    if !(1..=32).contains(&block_len) {
        return Err(ErrorKind::Length { len: block_len }.into());
    }
    let prefix = if padding == Padding::Method3 {
        block_len
    } else {
        0
    };
    let body = match padding {
        Padding::Method2 => data.len() + 1,
        Padding::Method1 | Padding::Method3 => data.len().max(1),
    };
    let total = prefix + body.div_ceil(block_len) * block_len;
    let dst = out
        .get_mut(..total)
        .ok_or(Error::new(ErrorKind::BufferTooSmall))?;
    dst.fill(0);
    let (len_block, rest) = dst.split_at_mut(prefix);
    for (d, s) in len_block
        .iter_mut()
        .rev()
        .zip(length_in_bits(data.len()).to_le_bytes())
    {
        *d = s;
    }
    crate::buf::copy_prefix(rest, data);
    if padding == Padding::Method2
        && let Some(b) = rest.get_mut(data.len())
    {
        *b = 0x80;
    }
    Ok(total)
}

/// ISO/IEC 9797-1 MAC algorithm 1: CBC-MAC with the key's cipher (DES for an 8-byte key, which
/// is ANSI X9.9; TDES for 16 or 24 bytes). Returns the whole last block; truncate as the
/// protocol says.
pub fn cbc_mac(key: &TdesKey, data: &[u8], padding: Padding) -> [u8; 8] {
    cbc_mac_parts(key, &[data], padding)
}

/// [`cbc_mac()`] over the concatenation of `parts`.
pub fn cbc_mac_parts(key: &TdesKey, parts: &[&[u8]], padding: Padding) -> [u8; 8] {
    let mut mac = Stream::cbc_mac(key);
    feed_padded(parts, padding, |b| mac.update(b));
    mac.finalize().eight()
}

/// ANSI X9.9 MAC: CBC-MAC with single DES over zero-padded data (8-byte key).
pub fn x9_9(key: &TdesKey, data: &[u8]) -> Result<[u8; 8]> {
    match key.key_length() {
        TdesKeyLength::Single => Ok(cbc_mac(key, data, Padding::Method1)),
        _ => Err(ErrorKind::KeyLength { len: key.len() }.into()),
    }
}

/// ISO/IEC 9797-1 MAC algorithm 3 (retail MAC, ANSI X9.19) with a double-length key `K K'`:
/// single-DES CBC under `K`, then the last block decrypted under `K'` and encrypted under `K`.
pub fn retail_mac(key: &TdesKey, data: &[u8], padding: Padding) -> Result<[u8; 8]> {
    retail_mac_parts(key, &[data], padding)
}

/// [`retail_mac()`] over the concatenation of `parts` (no buffer of the whole message).
pub fn retail_mac_parts(key: &TdesKey, parts: &[&[u8]], padding: Padding) -> Result<[u8; 8]> {
    match key.key_length() {
        TdesKeyLength::Double => {
            let mut mac = Stream::retail(key);
            feed_padded(parts, padding, |b| mac.update(b));
            Ok(mac.finalize().eight())
        }
        _ => Err(ErrorKind::KeyLength { len: key.len() }.into()),
    }
}

/// ISO/IEC 9797-1 MAC algorithm 3 with two independent keys of the same length: the block
/// cipher is DES for 8-byte keys and TDES for 16- or 24-byte keys (the form some HSMs and
/// libraries expose as "retail MAC with key 1 and key 2").
pub fn retail_mac_two_keys(
    key: &TdesKey,
    key_prime: &TdesKey,
    data: &[u8],
    padding: Padding,
) -> Result<[u8; 8]> {
    let mut mac = Stream::retail_two_keys(key, key_prime)?;
    feed_padded(&[data], padding, |b| mac.update(b));
    Ok(mac.finalize().eight())
}

/// CMAC (NIST SP 800-38B) with TDES (two- or three-key; a single DES key is accepted too).
pub fn cmac_tdes(key: &TdesKey, data: &[u8]) -> [u8; 8] {
    cmac_tdes_parts(key, &[data])
}

/// CMAC (NIST SP 800-38B, RFC 4493) with AES-128, -192 or -256.
pub fn cmac_aes(key: &AesKey, data: &[u8]) -> [u8; 16] {
    cmac_aes_parts(key, &[data])
}

/// TDES CMAC over the concatenation of `parts`.
pub fn cmac_tdes_parts(key: &TdesKey, parts: &[&[u8]]) -> [u8; 8] {
    let mut mac = Stream::cmac_tdes(key);
    parts.iter().for_each(|p| mac.update(p));
    mac.finalize().eight()
}

/// AES CMAC over the concatenation of `parts`.
pub fn cmac_aes_parts(key: &AesKey, parts: &[&[u8]]) -> [u8; 16] {
    let mut mac = Stream::cmac_aes(key);
    parts.iter().for_each(|p| mac.update(p));
    mac.finalize().sixteen()
}

/// The first 8 bytes of a MAC output (every DES-family MAC has exactly 8).
fn first8(bytes: &[u8]) -> [u8; 8] {
    let mut out = [0u8; 8];
    crate::buf::copy_prefix(&mut out, bytes);
    out
}

/// The MAC algorithms by name, for callers that choose one at run time.
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Algorithm {
    /// ISO/IEC 9797-1 algorithm 1 (DES or TDES CBC-MAC).
    Iso9797Alg1(Padding),
    /// ISO/IEC 9797-1 algorithm 3 with a double-length key (retail MAC, ANSI X9.19).
    Iso9797Alg3(Padding),
    /// ANSI X9.9 (single-DES CBC-MAC, zero padding).
    X99,
    /// CMAC with AES.
    CmacAes,
    /// CMAC with TDES.
    CmacTdes,
    /// China UnionPay POS "ECB" MAC: the full final block (field 64 carries the first 8 hex
    /// characters of it as ASCII).
    CupsEcb,
    /// HMAC-SHA-256 (RFC 2104, FIPS 198-1) with a key of any length.
    HmacSha256,
}

/// Longest MAC [`Algorithm`] computes (HMAC-SHA-256).
pub const MAX_MAC_LEN: usize = 32;

/// A computed MAC: 8 bytes for the DES family, 16 for AES-CMAC, 32 for HMAC-SHA-256.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct MacValue {
    bytes: [u8; MAX_MAC_LEN],
    len: Len<MAX_MAC_LEN>,
}

impl MacValue {
    /// A MAC of `N` bytes (at most 32, checked when the crate compiles).
    pub(crate) fn from_array<const N: usize>(mac: [u8; N]) -> Self {
        let mut bytes = [0u8; MAX_MAC_LEN];
        crate::buf::copy_prefix(&mut bytes, &mac);
        Self {
            bytes,
            len: Len::fixed::<N>(),
        }
    }

    /// The MAC bytes.
    pub fn as_bytes(&self) -> &[u8] {
        self.len.of(&self.bytes)
    }

    /// The first 8 bytes (the whole MAC of the DES family).
    pub(crate) fn eight(&self) -> [u8; 8] {
        first8(&self.bytes)
    }

    /// The first 16 bytes (the whole AES-CMAC).
    pub(crate) fn sixteen(&self) -> [u8; 16] {
        let mut out = [0u8; 16];
        crate::buf::copy_prefix(&mut out, &self.bytes);
        out
    }
}

impl core::fmt::Debug for MacValue {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("MacValue(")?;
        for b in self.as_bytes() {
            write!(f, "{b:02X}")?;
        }
        f.write_str(")")
    }
}

impl Algorithm {
    /// Computes the MAC of `data` under `key` (raw key bytes, checked for the algorithm).
    pub fn compute(self, key: &[u8], data: &[u8]) -> Result<MacValue> {
        Ok(match self {
            Self::Iso9797Alg1(p) => MacValue::from_array(cbc_mac(&TdesKey::new(key)?, data, p)),
            Self::Iso9797Alg3(p) => MacValue::from_array(retail_mac(&TdesKey::new(key)?, data, p)?),
            Self::X99 => MacValue::from_array(x9_9(&TdesKey::new(key)?, data)?),
            Self::CmacAes => MacValue::from_array(cmac_aes(&AesKey::new(key)?, data)),
            Self::CmacTdes => MacValue::from_array(cmac_tdes(&TdesKey::new(key)?, data)),
            Self::CupsEcb => MacValue::from_array(cups::ecb_mac(&TdesKey::new(key)?, data)),
            Self::HmacSha256 => MacValue::from_array(hmac_sha256(key, data)?),
        })
    }

    /// Verifies `mac` (the whole MAC or a leading part of at least 4 bytes) in constant time.
    pub fn verify(self, key: &[u8], data: &[u8], mac: &[u8]) -> Result<()> {
        let full = self.compute(key, data)?;
        verify_prefix(full.as_bytes(), mac)
    }
}

/// Checks a received MAC against the one computed, whole and in constant time: the one check
/// behind every `verify_*` of a field 64 or a sign-in proof.
pub(crate) fn verify_whole(computed: &[u8], received: &[u8]) -> Result<()> {
    if bool::from(ct_eq(computed, received)) {
        Ok(())
    } else {
        Err(ErrorKind::Verification.into())
    }
}

/// Checks that `received` is the leading part (4 bytes or more) of `computed`, in constant
/// time.
pub fn verify_prefix(computed: &[u8], received: &[u8]) -> Result<()> {
    match computed.get(..received.len()) {
        Some(prefix) if received.len() >= 4 && bool::from(ct_eq(prefix, received)) => Ok(()),
        _ => Err(ErrorKind::Verification.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hex_literal::hex;

    #[test]
    fn padding_methods_match_iso_9797_1() {
        let mut out = [0u8; 32];
        let n = pad(&hex!("1234"), Padding::Method1, 8, &mut out).unwrap();
        assert_eq!(out[..n], hex!("1234000000000000"));
        let n = pad(&hex!("1234"), Padding::Method2, 8, &mut out).unwrap();
        assert_eq!(out[..n], hex!("1234800000000000"));
        let n = pad(&hex!("1234"), Padding::Method3, 8, &mut out).unwrap();
        assert_eq!(out[..n], hex!("00000000000000101234000000000000"));
        let n = pad(&[], Padding::Method1, 8, &mut out).unwrap();
        assert_eq!(out[..n], [0; 8]);
        let n = pad(&[0x11; 8], Padding::Method2, 8, &mut out).unwrap();
        assert_eq!(
            n, 16,
            "method 2 always adds a block when the data fills one"
        );
        assert!(pad(&[0; 20], Padding::Method1, 8, &mut [0; 16]).is_err());
        // The MAC functions pad the same way as `pad` shows, however the message is split.
        for data in [&[][..], &[1, 2, 3], &[9; 8], &[7; 13]] {
            for p in [Padding::Method1, Padding::Method2, Padding::Method3] {
                let n = pad(data, p, 8, &mut out).unwrap();
                let mut streamed = alloc::vec::Vec::new();
                let (a, b) = data.split_at(data.len() / 2);
                feed_padded(&[a, b], p, |b| streamed.extend_from_slice(b));
                assert_eq!(streamed, out[..n]);
            }
        }
    }

    #[test]
    fn two_key_retail_mac_is_the_double_length_one_for_des() {
        let k = TdesKey::new(&hex!("0123456789ABCDEF")).unwrap();
        let k2 = TdesKey::new(&hex!("FEDCBA9876543210")).unwrap();
        let both = TdesKey::new(&hex!("0123456789ABCDEFFEDCBA9876543210")).unwrap();
        assert_eq!(
            retail_mac_two_keys(&k, &k2, b"abc", Padding::Method2).unwrap(),
            retail_mac(&both, b"abc", Padding::Method2).unwrap()
        );
        assert!(retail_mac(&k, b"abc", Padding::Method1).is_err());
        assert!(retail_mac_two_keys(&k, &both, b"abc", Padding::Method1).is_err());
    }

    #[test]
    fn verify_is_strict_about_length_and_value() {
        let mac = hex!("9CCC78173FC4FB64");
        assert!(verify_prefix(&mac, &hex!("9CCC7817")).is_ok());
        assert!(verify_prefix(&mac, &mac).is_ok());
        assert!(verify_prefix(&mac, &hex!("9CCC78")).is_err());
        assert!(verify_prefix(&mac, &hex!("9CCC7818")).is_err());
        assert!(verify_prefix(&mac, &[0u8; 9]).is_err());
    }
}
