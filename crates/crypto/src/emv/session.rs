//! Session keys from ICC master keys (EMV 4.4 Book 2 A1.3 and the schemes' forms).

use zeroize::Zeroizing;

use crate::key::TdesKey;

/// The EMV common session key (EMV 4.4 Book 2 A1.3.1) from the ICC master key and the
/// 8-byte diversification value `R`: 3DES(MK)[R with byte 3 = F0] ‖ 3DES(MK)[R with
/// byte 3 = 0F], with odd parity.
pub fn common_session_key(mk: &TdesKey, r: &[u8; 8]) -> TdesKey {
    let cipher = mk.cipher();
    let [r0, r1, _, r3, r4, r5, r6, r7] = *r;
    let mut left = Zeroizing::new([r0, r1, 0xF0, r3, r4, r5, r6, r7]);
    let mut right = Zeroizing::new([r0, r1, 0x0F, r3, r4, r5, r6, r7]);
    cipher.encrypt_block(&mut left);
    cipher.encrypt_block(&mut right);
    TdesKey::from_halves(u64::from_be_bytes(*left), u64::from_be_bytes(*right)).with_odd_parity()
}

/// The common session key with `R = ATC ‖ 00 00 00 00 00 00` (Visa CVN 18/22, Mastercard
/// CVN 20/21).
pub fn common_session_key_atc(mk: &TdesKey, atc: [u8; 2]) -> TdesKey {
    let [a, b] = atc;
    common_session_key(mk, &[a, b, 0, 0, 0, 0, 0, 0])
}

/// The Mastercard session key (SKD, M/Chip CVN 16/17, Interac CVN 133): the common session
/// key with `R = ATC ‖ 00 00 ‖ UN` (tags 9F36 and 9F37).
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
