//! Wrapping a key: the header planned from the template, the payload padded (and the key
//! length masked), encrypted and authenticated as the version says.

use rand_core::TryCryptoRng;
use zeroize::{Zeroize, Zeroizing};

use super::header::{self, check_fixed};
use super::keys::{derive_aes, derive_tdes, variant_keys};
use super::{MAX_BLOCK_LEN, Version};
use crate::error::{Error, ErrorKind, Result};
use crate::hex;
use crate::key::{AesKey, MAX_KEY_LEN, TdesKey};
use crate::mac::{Padding, cbc_mac_parts, cmac_aes_parts, cmac_tdes_parts};

/// Largest payload [`wrap`] builds: the key length field, a 32-byte key and the padding
/// of one AES block.
const MAX_PAYLOAD: usize = 2 + MAX_KEY_LEN + 16;

/// How [`wrap`] pads the key.
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum KeyLengthMasking {
    /// Pad every key to the longest key of its algorithm (TDES 24 bytes, AES 32), so that
    /// the block does not reveal the key's length. The default.
    #[default]
    AlgorithmMaximum,
    /// Pad to this many key bytes (at least the key's length, at most 32).
    To(usize),
    /// Only the padding the cipher block needs.
    None,
}

/// The lengths of a key block to be written.
#[derive(Clone, Copy, Debug)]
struct Layout {
    version: Version,
    count: usize,
    header: header::Plan,
    payload: usize,
    total: usize,
}

/// Plans the block for `template` and a key of `key_len` bytes.
fn layout(template: &[u8], key_len: usize, masking: KeyLengthMasking) -> Result<Layout> {
    let fixed = check_fixed(template)?;
    let version = fixed.version;
    if key_len == 0 || key_len > MAX_KEY_LEN {
        return Err(ErrorKind::KeyLength { len: key_len }.into());
    }
    let bs = version.block_size();
    let header = header::plan(template, fixed.optional_blocks, bs)?;
    let masked = match masking {
        KeyLengthMasking::AlgorithmMaximum => match fixed.algorithm {
            b'T' | b'D' => key_len.max(24),
            b'A' => key_len.max(32),
            _ => key_len,
        },
        KeyLengthMasking::To(n) => key_len.max(n).min(MAX_KEY_LEN),
        KeyLengthMasking::None => key_len,
    };
    let mut payload = 2 + masked;
    if version != Version::E && !payload.is_multiple_of(bs) {
        payload += bs - payload % bs;
    }
    let total = header.len() + 2 * payload + 2 * version.mac_len();
    if total > MAX_BLOCK_LEN {
        return Err(ErrorKind::Length { len: total }.into());
    }
    Ok(Layout {
        version,
        count: fixed.optional_blocks,
        header,
        payload,
        total,
    })
}

/// The length of the key block [`wrap`] writes for `header` and a key of `key_len` bytes:
/// size the output buffer with it. Errors are those of [`wrap`] for the same header and
/// key length.
///
/// ```
/// use cardwire_crypto::tr31::{wrapped_len, KeyLengthMasking};
///
/// // TR-31:2018 A.7.4: 16 header characters, 48 bytes of payload, a 16-byte MAC.
/// assert_eq!(wrapped_len("D0000P0AE00E0000", 16, KeyLengthMasking::AlgorithmMaximum)?, 144);
/// assert_eq!(wrapped_len("D0000P0AE00E0000", 16, KeyLengthMasking::None)?, 112);
/// # Ok::<(), cardwire_crypto::Error>(())
/// ```
pub fn wrapped_len(header: &str, key_len: usize, masking: KeyLengthMasking) -> Result<usize> {
    Ok(layout(header.as_bytes(), key_len, masking)?.total)
}

/// Wraps `key` under `kbpk` with the header fields of `header` (its length digits are
/// ignored and filled in; optional blocks are kept, a `PB` padding block is added or
/// replaced as the block size needs). Random padding comes from `rng`. Writes the ASCII key
/// block to `out` (size it with [`wrapped_len`]) and returns its length. Keys of up to 32
/// bytes.
pub fn wrap<R: TryCryptoRng + ?Sized>(
    kbpk: &[u8],
    header: &str,
    key: &[u8],
    masking: KeyLengthMasking,
    rng: &mut R,
    out: &mut [u8],
) -> Result<usize> {
    let result = seal(kbpk, header.as_bytes(), key, masking, rng, out);
    if result.is_err() {
        out.zeroize();
    }
    result
}

/// [`wrap`] into a new `String` of exactly the block's length.
#[cfg(feature = "alloc")]
pub fn wrap_to_string<R: TryCryptoRng + ?Sized>(
    kbpk: &[u8],
    header: &str,
    key: &[u8],
    masking: KeyLengthMasking,
    rng: &mut R,
) -> Result<alloc::string::String> {
    let mut out = alloc::vec![0u8; wrapped_len(header, key.len(), masking)?];
    let n = wrap(kbpk, header, key, masking, rng, &mut out)?;
    out.truncate(n);
    // Only ASCII is written.
    alloc::string::String::from_utf8(out).map_err(|_| Error::new(ErrorKind::Header))
}

fn seal<R: TryCryptoRng + ?Sized>(
    kbpk: &[u8],
    template: &[u8],
    key: &[u8],
    masking: KeyLengthMasking,
    rng: &mut R,
    out: &mut [u8],
) -> Result<usize> {
    let plan = layout(template, key.len(), masking)?;
    let version = plan.version;
    if !version.kbpk_ok(kbpk.len()) {
        return Err(ErrorKind::KeyLength { len: kbpk.len() }.into());
    }
    let out = out
        .get_mut(..plan.total)
        .ok_or(Error::new(ErrorKind::BufferTooSmall))?;
    let (head, body) = out.split_at_mut(plan.header.len());
    header::write(template, plan.count, &plan.header, head)?;
    head.get_mut(1..5)
        .ok_or(Error::new(ErrorKind::Header))?
        .copy_from_slice(&header::ascii_decimal::<4>(plan.total));

    // Payload: key length in bits, the key, random padding.
    let mut buf = Zeroizing::new([0u8; MAX_PAYLOAD]);
    let payload = buf
        .get_mut(..plan.payload)
        .ok_or(Error::new(ErrorKind::Length { len: plan.payload }))?;
    let bits = u16::try_from(key.len() * 8).map_err(|_| ErrorKind::KeyLength { len: key.len() })?;
    let (len_field, rest) = payload.split_at_mut(2);
    len_field.copy_from_slice(&bits.to_be_bytes());
    let (key_part, padding) = rest.split_at_mut(key.len());
    key_part.copy_from_slice(key);
    rng.try_fill_bytes(padding)
        .map_err(|_| Error::new(ErrorKind::Random))?;

    let mut mac = [0u8; 16];
    match version {
        Version::A | Version::C => {
            let (kbek, kbak) = variant_keys(&TdesKey::new(kbpk)?)?;
            let mut iv = [0u8; 8];
            crate::buf::copy_prefix(&mut iv, head);
            kbek.cipher().encrypt_cbc(&iv, payload)?;
            crate::buf::copy_prefix(
                &mut mac,
                &cbc_mac_parts(&kbak, &[head, payload], Padding::Method1),
            );
        }
        Version::B => {
            let (kbek, kbak) = derive_tdes(&TdesKey::new(kbpk)?)?;
            let m = cmac_tdes_parts(&kbak, &[head, payload]);
            kbek.cipher().encrypt_cbc(&m, payload)?;
            crate::buf::copy_prefix(&mut mac, &m);
        }
        Version::D | Version::E => {
            let (kbek, kbak) = derive_aes(&AesKey::new(kbpk)?, version)?;
            mac = cmac_aes_parts(&kbak, &[head, payload]);
            if version == Version::D {
                kbek.cipher().encrypt_cbc(&mac, payload)?;
            } else {
                kbek.cipher().apply_ctr(&mac, payload);
            }
        }
    }
    let (payload_hex, mac_hex) = body.split_at_mut(2 * plan.payload);
    hex::encode(payload, payload_hex);
    hex::encode(&mac, mac_hex);
    Ok(plan.total)
}
