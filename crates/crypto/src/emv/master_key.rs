//! ICC master keys from issuer master keys (EMV 4.4 Book 2 A1.4).

use sha1::{Digest, Sha1};
use zeroize::Zeroizing;

use crate::block::TdesCipher;
use crate::buf::Len;
use crate::error::{Error, ErrorKind, Result};
use crate::key::TdesKey;

/// How the ICC master key is derived from the issuer master key (EMV 4.4 Book 2 A1.4).
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum MasterKeyOption {
    /// Option A (A1.4.1): the rightmost 16 digits of PAN ‖ PSN.
    #[default]
    A,
    /// Option B (A1.4.2), for PANs of 17 to 19 digits: SHA-1 over PAN ‖ PSN, decimalised.
    /// A PAN of 16 digits or fewer falls back to Option A, as the specification says.
    B,
}

/// Longest PAN accepted, in digits (ISO/IEC 7812).
const MAX_PAN_DIGITS: usize = 19;
/// PAN and PSN digits.
const MAX_DIGITS: usize = MAX_PAN_DIGITS + 2;

/// The decimal digits of PAN ‖ PSN as values 0 to 9 and their count. A card without a PSN
/// (tag 5F34 absent) counts as PSN `00`, as Book 2 A1.4 says.
fn pan_psn_digits(pan: &[u8], psn: Option<u8>) -> Result<([u8; MAX_DIGITS], Len<MAX_DIGITS>)> {
    if pan.is_empty() || pan.len() > MAX_PAN_DIGITS {
        return Err(ErrorKind::PanLength { len: pan.len() }.into());
    }
    if let Some(at) = pan.iter().position(|b| !b.is_ascii_digit()) {
        return Err(Error::at(ErrorKind::InvalidDigit, at));
    }
    let psn = psn.unwrap_or(0);
    if psn > 99 {
        return Err(ErrorKind::PanSequenceNumber { value: psn }.into());
    }
    let mut digits = [0u8; MAX_DIGITS];
    let values = pan.iter().map(|b| b - b'0').chain([psn / 10, psn % 10]);
    let n = digits.iter_mut().zip(values).map(|(d, v)| *d = v).count();
    Ok((digits, Len::clamped(n)))
}

/// The ICC master key from `Y` (8 bytes, 16 BCD digits): 3DES(IMK)[Y] ‖ 3DES(IMK)[Y ⊕ FF…],
/// with odd parity.
fn master_key_from_y(cipher: &TdesCipher, y: [u8; 8]) -> TdesKey {
    let mut left = Zeroizing::new(y);
    let mut right = Zeroizing::new(y.map(|b| !b));
    cipher.encrypt_block(&mut left);
    cipher.encrypt_block(&mut right);
    TdesKey::from_halves(u64::from_be_bytes(*left), u64::from_be_bytes(*right)).with_odd_parity()
}

/// Digit values packed as BCD, the last 16 kept (earlier ones shift out of the word).
fn bcd16(digits: impl Iterator<Item = u8>) -> [u8; 8] {
    digits
        .fold(0u64, |acc, d| (acc << 4) | u64::from(d & 0xF))
        .to_be_bytes()
}

/// Option A's `Y`: the rightmost 16 digits of PAN ‖ PSN, zero-padded on the left.
fn option_a_y(digits: &[u8]) -> [u8; 8] {
    bcd16(digits.iter().copied())
}

/// Option B's `Y`: SHA-1 over PAN ‖ PSN in BCD (a `0` nibble in front for an odd count),
/// then the first 16 decimal nibbles of the hash, topped up if needed with the hash's
/// nibbles A–F decimalised (A→0 … F→5), in order.
fn option_b_y(digits: &[u8]) -> [u8; 8] {
    let mut bcd = Zeroizing::new([0u8; MAX_DIGITS.div_ceil(2)]);
    let odd = digits.len() % 2;
    for (i, d) in digits.iter().enumerate() {
        let nibble = i + odd;
        if let Some(b) = bcd.get_mut(nibble / 2) {
            *b |= if nibble.is_multiple_of(2) { d << 4 } else { *d };
        }
    }
    let bytes = Len::<{ MAX_DIGITS.div_ceil(2) }>::clamped(digits.len().div_ceil(2));
    let hash = Sha1::digest(bytes.of(&bcd));
    let nibbles = || hash.iter().flat_map(|b| [b >> 4, b & 0x0F]);
    let decimal = nibbles().filter(|v| *v < 10);
    let letters = nibbles().filter(|v| *v >= 10).map(|v| v - 10);
    // 16 digits: `bcd16` keeps the last 16 it is given, so give it exactly 16.
    bcd16(decimal.chain(letters).take(16))
}

/// The ICC master key for AC (or secure messaging) from the issuer master key, the PAN
/// (ASCII digits) and the PAN sequence number (tag 5F34, 0 to 99; `None` when the card has
/// none, which counts as `00`), by Option A or B (EMV 4.4 Book 2 A1.4.1, A1.4.2).
///
/// The result has odd parity. Errors: a PAN that is not 1 to 19 digits, a PSN above 99.
pub fn icc_master_key(
    imk: &TdesKey,
    pan: &[u8],
    psn: Option<u8>,
    option: MasterKeyOption,
) -> Result<TdesKey> {
    icc_master_key_with(&imk.cipher(), pan, psn, option)
}

/// [`icc_master_key`] with the issuer master key's schedule already expanded (an issuer's
/// key, fixed while it serves).
pub fn icc_master_key_with(
    imk: &TdesCipher,
    pan: &[u8],
    psn: Option<u8>,
    option: MasterKeyOption,
) -> Result<TdesKey> {
    let (digits, n) = pan_psn_digits(pan, psn)?;
    let digits = Zeroizing::new(digits);
    let digits = n.of(&digits);
    let y = match option {
        MasterKeyOption::B if pan.len() > 16 => option_b_y(digits),
        _ => option_a_y(digits),
    };
    Ok(master_key_from_y(imk, y))
}
