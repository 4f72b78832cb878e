//! Message authentication codes: ISO/IEC 9797-1 MAC algorithm 1 (CBC-MAC, DES or TDES;
//! with a DES key it is ANSI X9.9) and algorithm 3 (retail MAC, ANSI X9.19) with padding
//! methods 1, 2 and 3; CMAC (NIST SP 800-38B) for AES and TDES; and the China UnionPay POS
//! "ECB" MAC (in [`crate::cups`]).
//!
//! The block computations are RustCrypto's `cbc-mac`, `retail-mac` and `cmac`; this module
//! adds the padding methods and the payment-world key conventions. Verification compares in
//! constant time.

use cbc_mac::CbcMac;
use cmac::Cmac;
use cmac::{KeyInit, Mac};
use des::{Des, TdesEde2, TdesEde3};
use retail_mac::RetailMac;
use zeroize::Zeroizing;

use crate::error::{Error, ErrorKind, Result};
use crate::key::{AesKey, TdesKey, ct_eq};

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

/// Evaluates `$body` with `$m` bound to the MAC `$mac` keyed with `$key` over DES, two-key or
/// three-key TDES, whichever the key's length (8, 16 or 24 bytes) selects; `$none` otherwise.
macro_rules! by_des_key_len {
    ($mac:ident, $key:expr, |$m:ident| $body:expr, $none:expr) => {{
        let key: &[u8] = $key;
        if let Ok($m) = <$mac<Des> as KeyInit>::new_from_slice(key) {
            $body
        } else if let Ok($m) = <$mac<TdesEde2> as KeyInit>::new_from_slice(key) {
            $body
        } else if let Ok($m) = <$mac<TdesEde3> as KeyInit>::new_from_slice(key) {
            $body
        } else {
            $none
        }
    }};
}

/// Feeds `data` to `sink` as whole 8-byte blocks, padded per `padding`.
fn padded_blocks(data: &[u8], padding: Padding, mut sink: impl FnMut(&[u8; 8])) {
    if padding == Padding::Method3 {
        let bits = u64::try_from(data.len())
            .unwrap_or(u64::MAX)
            .wrapping_mul(8);
        sink(&bits.to_be_bytes());
    }
    let mut chunks = data.chunks_exact(8);
    for chunk in chunks.by_ref() {
        let mut block = [0u8; 8];
        block.copy_from_slice(chunk);
        sink(&block);
    }
    let rest = chunks.remainder();
    let mut last = [0u8; 8];
    for (d, s) in last.iter_mut().zip(rest) {
        *d = *s;
    }
    match padding {
        Padding::Method2 => {
            if let Some(b) = last.get_mut(rest.len()) {
                *b = 0x80;
            }
            sink(&last);
        }
        // Method 1 pads only a partial block, except that an empty message becomes one block.
        Padding::Method1 | Padding::Method3 => {
            if !rest.is_empty() || data.is_empty() {
                sink(&last);
            }
        }
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
    let bits = u128::try_from(data.len())
        .unwrap_or(u128::MAX)
        .wrapping_mul(8);
    for (d, s) in len_block.iter_mut().rev().zip(bits.to_le_bytes()) {
        *d = s;
    }
    for (d, s) in rest.iter_mut().zip(data) {
        *d = *s;
    }
    if padding == Padding::Method2
        && let Some(b) = rest.get_mut(data.len())
    {
        *b = 0x80;
    }
    Ok(total)
}

fn run<M: Mac>(mut mac: M, data: &[u8], padding: Padding) -> [u8; 8] {
    padded_blocks(data, padding, |block| mac.update(block));
    tag_of(mac, &[])
}

/// ISO/IEC 9797-1 MAC algorithm 1: CBC-MAC with the key's cipher (DES for an 8-byte key, which
/// is ANSI X9.9; TDES for 16 or 24 bytes). Returns the whole last block; truncate as the
/// protocol says.
pub fn cbc_mac(key: &TdesKey, data: &[u8], padding: Padding) -> [u8; 8] {
    by_des_key_len!(CbcMac, key.expose(), |m| run(m, data, padding), [0; 8])
}

/// ANSI X9.9 MAC: CBC-MAC with single DES over zero-padded data (8-byte key).
pub fn x9_9(key: &TdesKey, data: &[u8]) -> Result<[u8; 8]> {
    if key.len() != 8 {
        return Err(ErrorKind::KeyLength { len: key.len() }.into());
    }
    Ok(cbc_mac(key, data, Padding::Method1))
}

/// ISO/IEC 9797-1 MAC algorithm 3 (retail MAC, ANSI X9.19) with a double-length key `K K'`:
/// single-DES CBC under `K`, then the last block decrypted under `K'` and encrypted under `K`.
pub fn retail_mac(key: &TdesKey, data: &[u8], padding: Padding) -> Result<[u8; 8]> {
    match <RetailMac<Des> as KeyInit>::new_from_slice(key.expose()) {
        Ok(m) if key.len() == 16 => Ok(run(m, data, padding)),
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
    if key.len() != key_prime.len() {
        return Err(ErrorKind::KeyLength {
            len: key_prime.len(),
        }
        .into());
    }
    let mut both = Zeroizing::new([0u8; 48]);
    let n = key.len();
    for (d, s) in both
        .iter_mut()
        .zip(key.expose().iter().chain(key_prime.expose()))
    {
        *d = *s;
    }
    let k = both.get(..2 * n).unwrap_or_default();
    // `RetailMac` splits its key in halves: K then K'.
    by_des_key_len!(
        RetailMac,
        k,
        |m| Ok(run(m, data, padding)),
        Err(ErrorKind::KeyLength { len: n }.into())
    )
}

/// CMAC (NIST SP 800-38B) with TDES (two- or three-key; a single DES key is accepted too).
pub fn cmac_tdes(key: &TdesKey, data: &[u8]) -> [u8; 8] {
    cmac_tdes_parts(key, &[data])
}

/// CMAC (NIST SP 800-38B, RFC 4493) with AES-128, -192 or -256.
pub fn cmac_aes(key: &AesKey, data: &[u8]) -> [u8; 16] {
    cmac_aes_parts(key, &[data])
}

/// Feeds every part to `mac` and copies the tag into `N` bytes.
fn tag_of<M: Mac, const N: usize>(mut mac: M, parts: &[&[u8]]) -> [u8; N] {
    for part in parts {
        mac.update(part);
    }
    let mut out = [0u8; N];
    for (d, s) in out.iter_mut().zip(mac.finalize().into_bytes().iter()) {
        *d = *s;
    }
    out
}

/// TDES CMAC over the concatenation of `parts`.
pub(crate) fn cmac_tdes_parts(key: &TdesKey, parts: &[&[u8]]) -> [u8; 8] {
    by_des_key_len!(Cmac, key.expose(), |m| tag_of(m, parts), [0; 8])
}

/// AES CMAC over the concatenation of `parts`.
pub(crate) fn cmac_aes_parts(key: &AesKey, parts: &[&[u8]]) -> [u8; 16] {
    let k = key.expose();
    if let Ok(m) = <Cmac<aes::Aes128> as KeyInit>::new_from_slice(k) {
        tag_of(m, parts)
    } else if let Ok(m) = <Cmac<aes::Aes192> as KeyInit>::new_from_slice(k) {
        tag_of(m, parts)
    } else if let Ok(m) = <Cmac<aes::Aes256> as KeyInit>::new_from_slice(k) {
        tag_of(m, parts)
    } else {
        [0; 16]
    }
}

/// TDES CBC-MAC (no padding) over the concatenation of `parts`, whose total length must be
/// a whole number of blocks for the result to be meaningful.
pub(crate) fn cbc_mac_parts(key: &TdesKey, parts: &[&[u8]]) -> [u8; 8] {
    by_des_key_len!(CbcMac, key.expose(), |m| tag_of(m, parts), [0; 8])
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
}

/// A computed MAC: 8 bytes for the DES family, 16 for AES-CMAC.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct MacValue {
    bytes: [u8; 16],
    len: u8,
}

impl MacValue {
    fn new(bytes: &[u8]) -> Self {
        let mut v = Self {
            bytes: [0; 16],
            len: 0,
        };
        for (d, s) in v.bytes.iter_mut().zip(bytes) {
            *d = *s;
            v.len += 1;
        }
        v
    }

    /// The MAC bytes.
    pub fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..usize::from(self.len)).unwrap_or_default()
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
            Self::Iso9797Alg1(p) => MacValue::new(&cbc_mac(&TdesKey::new(key)?, data, p)),
            Self::Iso9797Alg3(p) => MacValue::new(&retail_mac(&TdesKey::new(key)?, data, p)?),
            Self::X99 => MacValue::new(&x9_9(&TdesKey::new(key)?, data)?),
            Self::CmacAes => MacValue::new(&cmac_aes(&AesKey::new(key)?, data)),
            Self::CmacTdes => MacValue::new(&cmac_tdes(&TdesKey::new(key)?, data)),
            Self::CupsEcb => MacValue::new(&crate::cups::ecb_mac(&TdesKey::new(key)?, data)),
        })
    }

    /// Verifies `mac` (the whole MAC or a leading part of at least 4 bytes) in constant time.
    pub fn verify(self, key: &[u8], data: &[u8], mac: &[u8]) -> Result<()> {
        let full = self.compute(key, data)?;
        verify_prefix(full.as_bytes(), mac)
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
        // The MAC functions pad the same way as `pad` shows.
        for data in [&[][..], &[1, 2, 3], &[9; 8], &[7; 13]] {
            for p in [Padding::Method1, Padding::Method2, Padding::Method3] {
                let n = pad(data, p, 8, &mut out).unwrap();
                let mut streamed = alloc::vec::Vec::new();
                padded_blocks(data, p, |b| streamed.extend_from_slice(b));
                assert_eq!(streamed, out[..n]);
            }
        }
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
