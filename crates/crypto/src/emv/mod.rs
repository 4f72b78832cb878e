//! EMV cryptograms (EMV 4.4 Book 2, TDES): ICC master key derivation (Options A and B),
//! session keys (the EMV common session key, the Mastercard SKD form, the EMV2000 tree),
//! application cryptograms (ARQC, TC, AAC), issuer authentication (ARPC methods 1 and 2),
//! issuer scripts (MACs, secure messaging, PIN change with the VIS or ISO format 2 PIN
//! block), Mastercard CVC3, and the cryptogram version profiles ([`Cvn`]) that bundle them
//! per scheme.
//!
//! Everything takes plain bytes: the caller extracts tag values from field 55 (for example
//! with `cardwire-emv`) and passes them here. Nothing allocates. Every MAC is ISO/IEC 9797-1
//! algorithm 3 (retail MAC) with a double-length key `K ‖ K′` (a single-length key is taken
//! as `K = K′`, a triple-length key as its first two parts); every verification compares in
//! constant time.
//!
//! | file | what |
//! |---|---|
//! | `master_key` | ICC master keys from issuer master keys (Options A, B) |
//! | `session` | session keys: common, Mastercard, Visa secure messaging, EMV2000 tree |
//! | `cryptogram` | AC, ARPC methods 1 and 2, script MACs |
//! | `cvn` | the scheme profiles |
//! | `pin_change` | VIS PIN block, secure messaging encryption, PIN change commands |
//! | `cvc3` | Mastercard contactless CVC3 |

mod cryptogram;
mod cvc3;
mod cvn;
mod master_key;
mod pin_change;
mod profile;
mod session;

pub use cryptogram::{
    MAX_PROPRIETARY_AUTH_DATA, application_cryptogram, arpc_method1, arpc_method2, script_mac,
    script_mac_into, verify_application_cryptogram, verify_arpc_method1, verify_arpc_method2,
    verify_script_mac,
};
pub use cvc3::{Cvc3, Cvc3Digits, cvc3, ivcvc3};
pub use cvn::{
    AcData, Arpc, ArpcMethod, ArpcResponse, Cvn, IadPart, ScriptKey, ScriptMacData,
    SessionKeyMethod,
};
pub use master_key::{MasterKeyOption, icc_master_key, icc_master_key_with};
pub use pin_change::{
    IccKeys, MAX_COMMAND_DATA, ScriptCommand, SmEncryption, encrypt_command_data, encrypted_len,
    vis_pin_block,
};
pub use profile::CdolProfile;
pub use session::{
    Emv2000Tree, common_session_key, common_session_key_atc, emv2000_tree_session_key,
    mastercard_session_key, visa_script_session_key,
};

use crate::error::{ErrorKind, Result};
use crate::key::{TdesKey, TdesKeyLength, ct_eq};
use crate::mac::{Padding, Stream, feed_padded};

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

impl From<AcPadding> for Padding {
    fn from(p: AcPadding) -> Self {
        match p {
            AcPadding::Method1Zero => Padding::Method1,
            AcPadding::Method2 => Padding::Method2,
        }
    }
}

/// The double-length key `K ‖ K'` ISO/IEC 9797-1 algorithm 3 runs with: the key itself when
/// double-length (as EMV keys are); `K ‖ K` for a single-length key; `K1 ‖ K2` of a
/// triple-length key.
fn alg3_key(key: &TdesKey) -> TdesKey {
    let (left, right) = key.halves();
    match key.key_length() {
        TdesKeyLength::Single => TdesKey::from_halves(left, left),
        TdesKeyLength::Double | TdesKeyLength::Triple => TdesKey::from_halves(left, right),
    }
}

/// ISO/IEC 9797-1 MAC algorithm 3 over the concatenation of `parts`, padded per `padding`,
/// fed part by part (no buffer of the whole message).
pub(crate) fn mac_parts(key: &TdesKey, parts: &[&[u8]], padding: AcPadding) -> [u8; 8] {
    let mut mac = Stream::retail(&alg3_key(key));
    feed_padded(parts, padding.into(), |b| mac.update(b));
    mac.finalize().eight()
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

#[cfg(test)]
mod tests;
