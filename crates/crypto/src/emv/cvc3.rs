//! Mastercard CVC3, the dynamic card verification code of contactless magnetic-stripe
//! mode: the card puts it, with the ATC and the terminal's unpredictable number, into the
//! discretionary data of the track it returns.
//!
//! `IVCVC3` is the last 2 bytes of the ISO/IEC 9797-1 algorithm 3 MAC (padding method 2)
//! of the track data template under the ICC CVC3 key; the CVC3 is the last 2 bytes of
//! TDES(ICC CVC3 key)[IVCVC3 ‖ UN ‖ ATC], as a number (the track carries its last digits).
//!
//! ```
//! use cardwire_crypto::TdesKey;
//! use cardwire_crypto::emv::{self, MasterKeyOption};
//!
//! // pyemv's cvv.generate_cvc3 example: track 2 template, ATC 005E, UN 00000899.
//! let imk = TdesKey::from_hex("01234567899876543210012345678998")?;
//! let key = emv::icc_master_key(&imk, b"5123456789012345", Some(0), MasterKeyOption::A)?;
//! let track = hex_literal::hex!("5123456789012345D35121010000000000000F");
//! let cvc3 = emv::cvc3(&key, &track, [0x00, 0x5E], [0x00, 0x00, 0x08, 0x99]);
//! assert_eq!(cvc3.value(), 29488);
//! assert_eq!(cvc3.digits(3).as_str(), "488");
//! # Ok::<(), cardwire_crypto::Error>(())
//! ```

use core::fmt;

use super::{AcPadding, mac_parts};
use crate::key::TdesKey;

/// A CVC3: a 16-bit value whose last decimal digits go on the track.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Cvc3(u16);

/// The last decimal digits of a CVC3, as text (at most 5).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Cvc3Digits {
    digits: [u8; 5],
    from: usize,
}

impl Cvc3Digits {
    /// The digits.
    pub fn as_str(&self) -> &str {
        crate::buf::ascii_str(self.digits.split_at(self.from).1)
    }
}

impl fmt::Debug for Cvc3Digits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Cvc3Digits {{ len: {}, .. }}", 5 - self.from)
    }
}

impl Cvc3 {
    /// The value, 0 to 65535.
    pub const fn value(self) -> u16 {
        self.0
    }

    /// The last `n` decimal digits (1 to 5; more are cut to 5), zero-filled on the left.
    pub fn digits(self, n: usize) -> Cvc3Digits {
        let mut digits = [b'0'; 5];
        let mut rest = self.0;
        for d in digits.iter_mut().rev() {
            let [_, low] = (rest % 10).to_be_bytes();
            *d = b'0' + low;
            rest /= 10;
        }
        Cvc3Digits {
            digits,
            from: 5 - n.clamp(1, 5),
        }
    }
}

impl fmt::Debug for Cvc3 {
    // A card verification code: not printed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Cvc3(..)")
    }
}

/// The `IVCVC3` of a track data template (track 1 as ASCII, or track 2 as BCD with `D`
/// separator and `F` fill).
pub fn ivcvc3(icc_cvc3_key: &TdesKey, track_template: &[u8]) -> [u8; 2] {
    let [.., a, b] = mac_parts(icc_cvc3_key, &[track_template], AcPadding::Method2);
    [a, b]
}

/// The CVC3 for a transaction: ATC (9F36) and the terminal's unpredictable number (9F6A).
pub fn cvc3(icc_cvc3_key: &TdesKey, track_template: &[u8], atc: [u8; 2], un: [u8; 4]) -> Cvc3 {
    let [i0, i1] = ivcvc3(icc_cvc3_key, track_template);
    let [u0, u1, u2, u3] = un;
    let [a0, a1] = atc;
    let mut block = [i0, i1, u0, u1, u2, u3, a0, a1];
    icc_cvc3_key.cipher().encrypt_block(&mut block);
    let [.., hi, lo] = block;
    Cvc3(u16::from_be_bytes([hi, lo]))
}
