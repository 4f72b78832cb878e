//! Session keys from ICC master keys (EMV 4.4 Book 2 A1.3 and the schemes' forms).

use zeroize::Zeroizing;

use crate::error::{ErrorKind, Result};
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

/// The shape of an EMV2000 key tree (EMV 4.1 Book 2 A1.3, replaced by the common session
/// key in 2005, SU-46): each level derives `branch` children from a parent, `height`
/// levels deep, from an initial value `iv`. The tree must have a leaf for every ATC:
/// `branch ^ height` at least 65535.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Emv2000Tree {
    branch: u8,
    height: u8,
    iv: [u8; 16],
}

impl Emv2000Tree {
    /// The recommended tree: branch factor 4, height 8, IV of zeros.
    pub const RECOMMENDED: Self = Self {
        branch: 4,
        height: 8,
        iv: [0; 16],
    };

    /// A tree of `branch` (at least 2) children per node, `height` levels (1 to 64) and
    /// initial value `iv`.
    ///
    /// Errors: [`ErrorKind::Length`] (with the offending number) for a branch factor below
    /// 2, a height outside 1 to 64, or too few leaves for every ATC.
    pub fn new(branch: u8, height: u8, iv: [u8; 16]) -> Result<Self> {
        if branch < 2 {
            return Err(ErrorKind::Length {
                len: usize::from(branch),
            }
            .into());
        }
        let leaves = u64::from(branch).checked_pow(u32::from(height));
        if !(1..=64).contains(&height) || leaves.is_some_and(|n| n < 0xFFFF) {
            return Err(ErrorKind::Length {
                len: usize::from(height),
            }
            .into());
        }
        Ok(Self { branch, height, iv })
    }
}

impl core::fmt::Debug for Emv2000Tree {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Emv2000Tree")
            .field("branch", &self.branch)
            .field("height", &self.height)
            .finish_non_exhaustive()
    }
}

/// `F(X, Y, j)` of the tree: 3DES(X)[Y_L ⊕ (j mod b)] ‖ 3DES(X)[Y_R ⊕ (j mod b) ⊕ F0].
fn tree_step(x: &[u8; 16], y: &[u8; 16], j: u64, branch: u8) -> Zeroizing<[u8; 16]> {
    let m = j % u64::from(branch);
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
    ] = *y;
    let left = u64::from_be_bytes([l0, l1, l2, l3, l4, l5, l6, l7]) ^ m;
    let right = u64::from_be_bytes([r0, r1, r2, r3, r4, r5, r6, r7]) ^ m ^ 0xF0;
    let (xl, xr) = split8(x);
    let key = TdesKey::from_halves(u64::from_be_bytes(xl), u64::from_be_bytes(xr));
    let cipher = key.cipher();
    let mut out = Zeroizing::new([0u8; 16]);
    let (l, r) = out.split_at_mut(8);
    let mut block = left.to_be_bytes();
    cipher.encrypt_block(&mut block);
    l.copy_from_slice(&block);
    block = right.to_be_bytes();
    cipher.encrypt_block(&mut block);
    r.copy_from_slice(&block);
    out
}

/// The two halves of 16 bytes.
fn split8(x: &[u8; 16]) -> ([u8; 8], [u8; 8]) {
    let [a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p] = *x;
    ([a, b, c, d, e, f, g, h], [i, j, k, l, m, n, o, p])
}

/// The EMV2000 tree session key for `atc` from the (double-length) ICC master key, with
/// odd parity. Level `h` of the tree holds `IK_h = F(IK_{h−1}, IK_{h−2}, ⌊ATC / b^(H−h)⌋)`
/// from `IK_0 = MK` and `IK_{−1} = IV`; the session key is `F(IK_{H−1}, IK_{H−2}, ATC) ⊕
/// IK_{H−2}`.
pub fn emv2000_tree_session_key(mk: &TdesKey, atc: [u8; 2], tree: &Emv2000Tree) -> TdesKey {
    let atc = u64::from(u16::from_be_bytes(atc));
    let (l, r) = mk.halves();
    let mut parent = Zeroizing::new([0u8; 16]);
    let (pl, pr) = parent.split_at_mut(8);
    pl.copy_from_slice(&l.to_be_bytes());
    pr.copy_from_slice(&r.to_be_bytes());
    let mut grandparent = Zeroizing::new(tree.iv);
    for level in 1..tree.height {
        // ⌊ATC / b^(H−level)⌋: 0 once the power passes the largest ATC.
        let j = u64::from(tree.branch)
            .checked_pow(u32::from(tree.height - level))
            .map_or(0, |d| atc / d);
        let child = tree_step(&parent, &grandparent, j, tree.branch);
        *grandparent = *parent;
        *parent = *child;
    }
    let mut sk = tree_step(&parent, &grandparent, atc, tree.branch);
    crate::buf::xor_into(sk.as_mut_slice(), grandparent.as_slice());
    let (left, right) = split8(&sk);
    TdesKey::from_halves(u64::from_be_bytes(left), u64::from_be_bytes(right)).with_odd_parity()
}
