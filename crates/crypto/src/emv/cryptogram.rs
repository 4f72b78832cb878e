//! Application cryptograms, issuer authentication (ARPC) and issuer script MACs
//! (EMV 4.4 Book 2 8.1, 8.2, 9.2).

use super::{AcPadding, mac_parts, verify_exact};
use crate::error::{ErrorKind, Result};
use crate::key::TdesKey;

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
    crate::buf::xor_into(&mut block, &arc);
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
    let [a, b, c, d, ..] = mac_parts(key, &[arqc, &csu, proprietary], AcPadding::Method2);
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
/// [`super::Cvn::script_mac`]).
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
    crate::buf::copy_prefix(out, &script_mac(sk_mac, data));
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
