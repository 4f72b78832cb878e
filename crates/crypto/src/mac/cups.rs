//! The China UnionPay (CUPS) POS "ECB" MAC of field 64.
//!
//! The MAC block (MAB) is the message from the MTI through field 63. Its 8-byte blocks (the
//! last zero-padded) are XORed together; the result is written as 16 upper-case hex
//! characters; the first 8 characters are encrypted under the MAK, XORed with the last 8,
//! encrypted again. Field 64 carries the first 8 hex characters of that result as ASCII
//! ([`crate::cups::field64`]). With a double-length MAK each encryption is TDES (some
//! acquirers' choice).
//!
//! The XOR of the blocks is linear: two equal bit flips in two blocks cancel. The MAC is
//! what the CUPS terminal specification prescribes, not a strong MAC; hosts rely on the
//! other checks of the message as well.

use crate::block::TdesCipher;
use crate::key::TdesKey;

/// The intermediate values of the CUPS "ECB" MAC, for comparing with a host or a terminal
/// vendor's trace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EcbMacSteps {
    /// XOR of all 8-byte blocks of the zero-padded MAB.
    pub xor_of_blocks: [u8; 8],
    /// The first 8 hex characters of that, encrypted under the MAK.
    pub first_encryption: [u8; 8],
    /// That, XORed with the last 8 hex characters.
    pub xor: [u8; 8],
    /// That, encrypted under the MAK: the full MAC.
    pub final_encryption: [u8; 8],
}

/// Every step of the CUPS "ECB" MAC of `mab` under `mak`.
pub fn ecb_mac_steps(mak: &TdesKey, mab: &[u8]) -> EcbMacSteps {
    ecb_mac_steps_with(&mak.cipher(), mab)
}

/// [`ecb_mac_steps`] with the MAK's key schedule already expanded.
pub fn ecb_mac_steps_with(cipher: &TdesCipher, mab: &[u8]) -> EcbMacSteps {
    let mut acc = [0u8; 8];
    for chunk in mab.chunks(8) {
        crate::buf::xor_into(&mut acc, chunk);
    }
    let [
        l0,
        l1,
        l2,
        l3,
        l4,
        l5,
        l6,
        l7,
        r0,
        r1,
        r2,
        r3,
        r4,
        r5,
        r6,
        r7,
    ] = hex_upper(&acc);
    let mut first = [l0, l1, l2, l3, l4, l5, l6, l7];
    cipher.encrypt_block(&mut first);
    let mut xored = first;
    crate::buf::xor_into(&mut xored, &[r0, r1, r2, r3, r4, r5, r6, r7]);
    let mut last = xored;
    cipher.encrypt_block(&mut last);
    EcbMacSteps {
        xor_of_blocks: acc,
        first_encryption: first,
        xor: xored,
        final_encryption: last,
    }
}

/// The full CUPS "ECB" MAC (8 bytes) of `mab`.
pub fn ecb_mac(mak: &TdesKey, mab: &[u8]) -> [u8; 8] {
    ecb_mac_steps(mak, mab).final_encryption
}

/// [`ecb_mac`] with the MAK's key schedule already expanded.
pub fn ecb_mac_with(cipher: &TdesCipher, mab: &[u8]) -> [u8; 8] {
    ecb_mac_steps_with(cipher, mab).final_encryption
}

/// 8 bytes as 16 upper-case hex characters.
pub(crate) fn hex_upper(bytes: &[u8; 8]) -> [u8; 16] {
    let mut out = [0u8; 16];
    crate::hex::encode(bytes, &mut out);
    out
}
