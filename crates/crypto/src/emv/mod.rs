//! EMV cryptograms (EMV 4.4 Book 2, TDES): ICC master key derivation (Options A and B),
//! session keys (the EMV common session key and the Mastercard SKD form), application
//! cryptograms (ARQC, TC, AAC), issuer authentication (ARPC methods 1 and 2), issuer script
//! MACs, and the cryptogram version profiles ([`Cvn`]) that bundle them per scheme.
//!
//! Everything takes plain bytes: the caller extracts tag values from field 55 (for example
//! with `cardwire-emv`) and passes them here. Nothing allocates. Every MAC is ISO/IEC 9797-1
//! algorithm 3 (retail MAC) with a double-length key `K ‖ K′` (a single-length key is taken
//! as `K = K′`, a triple-length key as its first two parts); every verification compares in
//! constant time.

mod cvn;
mod profile;

pub use cvn::{AcData, Arpc, ArpcMethod, ArpcResponse, Cvn, IadPart, ScriptKey, SessionKeyMethod};
pub use profile::CdolProfile;

use des::Des;
use retail_mac::RetailMac;
use retail_mac::digest::{KeyInit, Mac};
use sha1::{Digest, Sha1};
use zeroize::Zeroizing;

use crate::error::{Error, ErrorKind, Result};
use crate::key::{TdesKey, ct_eq};

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

/// The padding of the data an application cryptogram covers (ISO/IEC 9797-1).
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum AcPadding {
    /// Padding method 1: `00` bytes up to a whole block, none if the data already fills
    /// whole blocks (Visa CVN 10).
    Method1Zero,
    /// Padding method 2: a mandatory `80` byte, then `00` bytes (EMV Book 2 8.1, the
    /// default).
    #[default]
    Method2,
}

/// Longest PAN accepted, in digits (ISO/IEC 7812).
const MAX_PAN_DIGITS: usize = 19;

/// Checks that `pan` is 1 to 19 ASCII digits.
fn check_pan(pan: &[u8]) -> Result<()> {
    if pan.is_empty() || pan.len() > MAX_PAN_DIGITS {
        return Err(ErrorKind::PanLength { len: pan.len() }.into());
    }
    match pan.iter().position(|b| !b.is_ascii_digit()) {
        Some(at) => Err(Error::at(ErrorKind::InvalidDigit, at)),
        None => Ok(()),
    }
}

/// The decimal digits of PAN ‖ PSN (PSN `00` when the card has none) as values 0 to 9, and
/// how many there are.
fn pan_psn_digits(pan: &[u8], psn: Option<u8>) -> Result<([u8; MAX_PAN_DIGITS + 2], usize)> {
    check_pan(pan)?;
    let psn = psn.unwrap_or(0);
    if psn > 99 {
        return Err(ErrorKind::PanSequenceNumber { value: psn }.into());
    }
    let mut digits = [0u8; MAX_PAN_DIGITS + 2];
    let psn_digits = [psn / 10, psn % 10];
    for (d, s) in digits
        .iter_mut()
        .zip(pan.iter().map(|b| b - b'0').chain(psn_digits))
    {
        *d = s;
    }
    Ok((digits, pan.len() + 2))
}

/// The ICC master key from `Y` (8 bytes, 16 BCD digits): 3DES(IMK)[Y] ‖ 3DES(IMK)[Y ⊕ FF…],
/// with odd parity.
fn master_key_from_y(imk: &TdesKey, y: [u8; 8]) -> TdesKey {
    let cipher = imk.cipher();
    let mut left = y;
    let mut right = y.map(|b| !b);
    cipher.encrypt_block(&mut left);
    cipher.encrypt_block(&mut right);
    let key = TdesKey::from_halves(u64::from_be_bytes(left), u64::from_be_bytes(right));
    left.fill(0);
    right.fill(0);
    key.with_odd_parity()
}

/// Packs 16 decimal digit values into 8 bytes of BCD.
fn pack16(digits: &[u8]) -> [u8; 8] {
    let mut y = [0u8; 8];
    for (b, pair) in y.iter_mut().zip(digits.chunks_exact(2)) {
        if let [hi, lo] = pair {
            *b = (hi << 4) | lo;
        }
    }
    y
}

/// Option A's `Y`: the rightmost 16 digits of PAN ‖ PSN, zero-padded on the left.
fn option_a_y(digits: &[u8]) -> [u8; 8] {
    let mut padded = [0u8; 16];
    let take = digits.len().min(16);
    let src = digits.get(digits.len() - take..).unwrap_or_default();
    if let Some(dst) = padded.get_mut(16 - take..) {
        dst.copy_from_slice(src);
    }
    pack16(&padded)
}

/// Option B's `Y`: SHA-1 over PAN ‖ PSN in BCD (a `0` nibble in front for an odd count),
/// then the first 16 decimal nibbles of the hash, topped up if needed with the hash's
/// nibbles A–F decimalised (A→0 … F→5), in order.
fn option_b_y(digits: &[u8]) -> [u8; 8] {
    let mut bcd = Zeroizing::new([0u8; 11]);
    let odd = digits.len() % 2;
    let bytes = digits.len().div_ceil(2);
    for (i, d) in digits.iter().enumerate() {
        let nibble = i + odd;
        if let Some(b) = bcd.get_mut(nibble / 2) {
            *b |= if nibble.is_multiple_of(2) { d << 4 } else { *d };
        }
    }
    let hash = Sha1::digest(bcd.get(..bytes).unwrap_or_default());
    let nibbles = || hash.iter().flat_map(|b| [b >> 4, b & 0x0F]);
    let mut y = [0u8; 16];
    let decimal = nibbles().filter(|v| *v < 10);
    let letters = nibbles().filter(|v| *v >= 10).map(|v| v - 10);
    for (slot, v) in y.iter_mut().zip(decimal.chain(letters)) {
        *slot = v;
    }
    pack16(&y)
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
    let (digits, n) = pan_psn_digits(pan, psn)?;
    let digits = Zeroizing::new(digits);
    let digits = digits.get(..n).unwrap_or_default();
    let y = match option {
        MasterKeyOption::B if pan.len() > 16 => option_b_y(digits),
        _ => option_a_y(digits),
    };
    Ok(master_key_from_y(imk, y))
}

/// The EMV common session key (EMV 4.4 Book 2 A1.3.1) from the ICC master key and the
/// 8-byte diversification value `R`: 3DES(MK)[R with byte 3 = F0] ‖ 3DES(MK)[R with
/// byte 3 = 0F], with odd parity.
pub fn common_session_key(mk: &TdesKey, r: &[u8; 8]) -> TdesKey {
    let cipher = mk.cipher();
    let mut left = *r;
    let mut right = *r;
    if let (Some(l), Some(r)) = (left.get_mut(2), right.get_mut(2)) {
        *l = 0xF0;
        *r = 0x0F;
    }
    cipher.encrypt_block(&mut left);
    cipher.encrypt_block(&mut right);
    let key = TdesKey::from_halves(u64::from_be_bytes(left), u64::from_be_bytes(right));
    left.fill(0);
    right.fill(0);
    key.with_odd_parity()
}

/// The common session key with `R = ATC ‖ 00 00 00 00 00 00` (Visa CVN 18/22, Mastercard
/// CVN 20/21).
pub fn common_session_key_atc(mk: &TdesKey, atc: [u8; 2]) -> TdesKey {
    let [a, b] = atc;
    common_session_key(mk, &[a, b, 0, 0, 0, 0, 0, 0])
}

/// The Mastercard session key (SKD, M/Chip CVN 16/17): the common session key with
/// `R = ATC ‖ 00 00 ‖ UN` (tags 9F36 and 9F37).
pub fn mastercard_session_key(mk: &TdesKey, atc: [u8; 2], un: [u8; 4]) -> TdesKey {
    let [a, b] = atc;
    let [u0, u1, u2, u3] = un;
    common_session_key(mk, &[a, b, 0, 0, u0, u1, u2, u3])
}

/// The Visa secure-messaging session key (VIS, used by CVN 10 and 18 for issuer scripts):
/// the ICC master key for SMI or SMC with `00…00 ‖ ATC` XORed into its left half and
/// `00…00 ‖ ¬ATC` into its right half, with odd parity.
pub fn visa_script_session_key(mk: &TdesKey, atc: [u8; 2]) -> TdesKey {
    let (left, right) = mk.halves();
    let atc = u64::from(u16::from_be_bytes(atc));
    TdesKey::from_halves(left ^ atc, right ^ (!atc & 0xFFFF)).with_odd_parity()
}

/// The 16 key bytes `K ‖ K'` ISO/IEC 9797-1 algorithm 3 runs with: the key itself when
/// double-length (as EMV keys are); `K ‖ K` for a single-length key; `K1 ‖ K2` of a
/// triple-length key.
fn alg3_key(key: &TdesKey) -> Zeroizing<[u8; 16]> {
    let mut out = Zeroizing::new([0u8; 16]);
    let k = key.expose();
    let (left, right) = out.split_at_mut(8);
    if let Some(src) = k.get(..8) {
        left.copy_from_slice(src);
    }
    match k.get(8..16) {
        Some(src) => right.copy_from_slice(src),
        None => right.copy_from_slice(&left[..]),
    }
    out
}

/// ISO/IEC 9797-1 MAC algorithm 3 over the concatenation of `parts`, padded per `padding`,
/// fed part by part (no buffer of the whole message).
pub(crate) fn mac_parts(key: &TdesKey, parts: &[&[u8]], padding: AcPadding) -> [u8; 8] {
    let k = alg3_key(key);
    let mut mac = <RetailMac<Des> as KeyInit>::new(&(*k).into());
    let mut len = 0usize;
    for part in parts {
        mac.update(part);
        len += part.len();
    }
    let rest = len % 8;
    const ZEROS: [u8; 8] = [0; 8];
    match padding {
        AcPadding::Method2 => {
            mac.update(&[0x80]);
            mac.update(ZEROS.get(..(7 - rest)).unwrap_or_default());
        }
        AcPadding::Method1Zero if len == 0 => mac.update(&ZEROS),
        AcPadding::Method1Zero if rest != 0 => {
            mac.update(ZEROS.get(..(8 - rest)).unwrap_or_default());
        }
        AcPadding::Method1Zero => {}
    }
    let mut out = [0u8; 8];
    for (d, s) in out.iter_mut().zip(mac.finalize().into_bytes().iter()) {
        *d = *s;
    }
    out
}

/// Compares `expected` with `received` in constant time; a length mismatch is an error of
/// its own.
fn verify_exact(expected: &[u8], received: &[u8]) -> Result<()> {
    if expected.len() != received.len() {
        return Err(ErrorKind::Length {
            len: received.len(),
        }
        .into());
    }
    if bool::from(ct_eq(expected, received)) {
        Ok(())
    } else {
        Err(ErrorKind::Verification.into())
    }
}

/// An application cryptogram (ARQC, TC or AAC; EMV 4.4 Book 2 8.1.2): ISO/IEC 9797-1 MAC
/// algorithm 3 under the AC session key over `data`, padded per `padding`.
pub fn application_cryptogram(sk: &TdesKey, data: &[u8], padding: AcPadding) -> [u8; 8] {
    mac_parts(sk, &[data], padding)
}

/// Checks an 8-byte application cryptogram against `data`, in constant time.
///
/// Errors: [`ErrorKind::Length`] if `ac` is not 8 bytes, [`ErrorKind::Verification`] if it
/// does not match.
pub fn verify_application_cryptogram(
    sk: &TdesKey,
    data: &[u8],
    padding: AcPadding,
    ac: &[u8],
) -> Result<()> {
    verify_exact(&application_cryptogram(sk, data, padding), ac)
}

/// ARPC method 1 (EMV 4.4 Book 2 8.2.1): 3DES(key)[ARQC ⊕ (ARC ‖ 00…00)], 8 bytes. The key
/// is the AC session key or, for CVNs that say so (Visa 10, Mastercard 16/17), the ICC
/// master key.
pub fn arpc_method1(key: &TdesKey, arqc: &[u8; 8], arc: [u8; 2]) -> [u8; 8] {
    let mut block = *arqc;
    for (b, a) in block.iter_mut().zip(arc) {
        *b ^= a;
    }
    key.cipher().encrypt_block(&mut block);
    block
}

/// Checks an ARPC method 1 (the card's side of issuer authentication), in constant time.
pub fn verify_arpc_method1(key: &TdesKey, arqc: &[u8; 8], arc: [u8; 2], arpc: &[u8]) -> Result<()> {
    verify_exact(&arpc_method1(key, arqc, arc), arpc)
}

/// Longest proprietary authentication data of ARPC method 2, in bytes.
pub const MAX_PROPRIETARY_AUTH_DATA: usize = 8;

/// ARPC method 2 (EMV 4.4 Book 2 8.2.2): the first 4 bytes of ISO/IEC 9797-1 MAC
/// algorithm 3 (padding method 2) over ARQC ‖ CSU ‖ proprietary authentication data.
///
/// Errors: [`ErrorKind::Length`] if `proprietary` is longer than 8 bytes.
pub fn arpc_method2(
    key: &TdesKey,
    arqc: &[u8; 8],
    csu: [u8; 4],
    proprietary: &[u8],
) -> Result<[u8; 4]> {
    if proprietary.len() > MAX_PROPRIETARY_AUTH_DATA {
        return Err(ErrorKind::Length {
            len: proprietary.len(),
        }
        .into());
    }
    let mac = mac_parts(key, &[arqc, &csu, proprietary], AcPadding::Method2);
    let [a, b, c, d, ..] = mac;
    Ok([a, b, c, d])
}

/// Checks an ARPC method 2, in constant time.
pub fn verify_arpc_method2(
    key: &TdesKey,
    arqc: &[u8; 8],
    csu: [u8; 4],
    proprietary: &[u8],
    arpc: &[u8],
) -> Result<()> {
    verify_exact(&arpc_method2(key, arqc, csu, proprietary)?, arpc)
}

/// The issuer script command MAC (EMV 4.4 Book 2 9.2.3): ISO/IEC 9797-1 MAC algorithm 3
/// with padding method 2 under the secure-messaging integrity session key, over the data
/// the CVN specifies (usually command header ‖ ATC ‖ ARQC ‖ command data; see
/// [`Cvn::script_mac`]).
pub fn script_mac(sk_mac: &TdesKey, data: &[u8]) -> [u8; 8] {
    mac_parts(sk_mac, &[data], AcPadding::Method2)
}

/// [`script_mac`] truncated to `out.len()` bytes, 4 to 8 (Book 2 9.2.3 lets the issuer
/// choose the length).
///
/// Errors: [`ErrorKind::Length`] for an output of another length.
pub fn script_mac_into(sk_mac: &TdesKey, data: &[u8], out: &mut [u8]) -> Result<()> {
    if !(4..=8).contains(&out.len()) {
        return Err(ErrorKind::Length { len: out.len() }.into());
    }
    let mac = script_mac(sk_mac, data);
    for (d, s) in out.iter_mut().zip(mac) {
        *d = s;
    }
    Ok(())
}

/// Checks a script MAC of 4 to 8 bytes (the leading bytes of the full MAC), in constant
/// time.
pub fn verify_script_mac(sk_mac: &TdesKey, data: &[u8], mac: &[u8]) -> Result<()> {
    if !(4..=8).contains(&mac.len()) {
        return Err(ErrorKind::Length { len: mac.len() }.into());
    }
    crate::mac::verify_prefix(&script_mac(sk_mac, data), mac)
}

#[cfg(test)]
mod tests;
