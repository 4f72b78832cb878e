//! MACs with SM4: GB/T 15852.1 (the national adoption of ISO/IEC 9797-1) MAC algorithm 1,
//! CBC-MAC, with padding methods 1, 2 and 3; and CMAC (NIST SP 800-38B, the same
//! construction as ISO/IEC 9797-1 MAC algorithm 5) with SM4 as the block cipher.
//!
//! The block computations are RustCrypto's `cbc-mac` and `cmac` over `sm4`; this module adds
//! the padding methods for 16-byte blocks. Verification compares in constant time.

use cbc_mac::CbcMac;
use cmac::Cmac;
use cmac::{KeyInit, Mac};

use super::sm4::{BLOCK_LEN, Sm4Key};
use crate::error::Result;
use crate::mac::{Padding, verify_prefix};
use core::fmt;

/// The SM4 MAC algorithms, for callers that choose one at run time.
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sm4Mac {
    /// GB/T 15852.1 / ISO/IEC 9797-1 MAC algorithm 1 (CBC-MAC) with a padding method.
    CbcMac(Padding),
    /// CMAC (NIST SP 800-38B).
    Cmac,
}

impl Sm4Mac {
    /// The full 16-byte MAC of `data`; truncate as the protocol says.
    pub fn compute(self, key: &Sm4Key, data: &[u8]) -> [u8; BLOCK_LEN] {
        match self {
            Self::CbcMac(padding) => cbc_mac(key, data, padding),
            Self::Cmac => cmac(key, data),
        }
    }

    /// Verifies `mac`, the whole MAC or its leading 4 bytes or more, in constant time.
    pub fn verify(self, key: &Sm4Key, data: &[u8], mac: &[u8]) -> Result<()> {
        verify_prefix(&self.compute(key, data), mac)
    }
}

/// GB/T 15852.1 / ISO/IEC 9797-1 MAC algorithm 1 with SM4: CBC from a zero IV over the
/// padded data; the MAC is the last block.
pub fn cbc_mac(key: &Sm4Key, data: &[u8], padding: Padding) -> [u8; BLOCK_LEN] {
    let mut mac = <CbcMac<::sm4::Sm4> as KeyInit>::new(key.expose().into());
    padded_blocks(data, padding, |block| mac.update(block));
    mac.finalize().into_bytes().into()
}

/// An SM4 key with its key schedule expanded once, for many CBC-MACs ([`cbc_mac()`]'s
/// values): what a session's SM4 MAK keeps. Wiped on drop (`sm4`'s `zeroize`); Debug shows
/// nothing of the key.
#[derive(Clone)]
pub struct Sm4CbcMacKey(CbcMac<::sm4::Sm4>);

impl Sm4CbcMacKey {
    /// Expands `key`.
    pub fn new(key: &Sm4Key) -> Self {
        Self(<CbcMac<::sm4::Sm4> as KeyInit>::new(key.expose().into()))
    }

    /// The CBC-MAC of `data` padded per `padding`: [`cbc_mac()`]'s value.
    pub fn mac(&self, data: &[u8], padding: Padding) -> [u8; BLOCK_LEN] {
        // A copy of the prepared state: the schedule is copied, not expanded again.
        let mut mac = self.0.clone();
        padded_blocks(data, padding, |block| mac.update(block));
        mac.finalize().into_bytes().into()
    }
}

impl fmt::Debug for Sm4CbcMacKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Sm4CbcMacKey(..)")
    }
}

/// CMAC with SM4.
pub fn cmac(key: &Sm4Key, data: &[u8]) -> [u8; BLOCK_LEN] {
    let mut mac = <Cmac<::sm4::Sm4> as KeyInit>::new(key.expose().into());
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// Feeds `data` to `sink` as whole 16-byte blocks, padded per ISO/IEC 9797-1 `padding`
/// (the same rules as [`crate::mac::pad`] with a block length of 16).
fn padded_blocks(data: &[u8], padding: Padding, mut sink: impl FnMut(&[u8; BLOCK_LEN])) {
    if padding == Padding::Method3 {
        // A length always fits u128 (no target has a wider usize); the bit count wraps as
        // ISO/IEC 9797-1 method 3 takes it modulo 2^128.
        let bits = u128::try_from(data.len())
            .unwrap_or(u128::MAX)
            .wrapping_mul(8);
        sink(&bits.to_be_bytes());
    }
    let mut chunks = data.chunks_exact(BLOCK_LEN);
    for chunk in chunks.by_ref() {
        let mut block = [0u8; BLOCK_LEN];
        block.copy_from_slice(chunk);
        sink(&block);
    }
    let rest = chunks.remainder();
    let mut last = [0u8; BLOCK_LEN];
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mac::pad;

    #[test]
    fn padding_matches_the_shared_pad_function() {
        let mut out = [0u8; 96];
        for data in [&[][..], &[1, 2, 3], &[9; 16], &[7; 29], &[5; 32]] {
            for p in [Padding::Method1, Padding::Method2, Padding::Method3] {
                let n = pad(data, p, BLOCK_LEN, &mut out).unwrap();
                let mut streamed = alloc::vec::Vec::new();
                padded_blocks(data, p, |b| streamed.extend_from_slice(b));
                assert_eq!(streamed, out[..n], "{data:?} {p:?}");
            }
        }
    }

    #[test]
    fn cbc_mac_is_the_last_cbc_block() {
        let key = Sm4Key::new(&[0x42; 16]).unwrap();
        let data = [0x11u8; 48];
        let mut enc = data;
        key.cipher().encrypt_cbc(&[0; 16], &mut enc).unwrap();
        assert_eq!(cbc_mac(&key, &data, Padding::Method1), enc[32..]);
        let alg = Sm4Mac::CbcMac(Padding::Method1);
        assert!(alg.verify(&key, &data, &enc[32..36]).is_ok());
        assert!(alg.verify(&key, &data, &enc[32..35]).is_err());
        assert!(Sm4Mac::Cmac.verify(&key, &data, &enc[32..]).is_err());
    }
}
