//! Cardholder verification: the CVM List (`8E`, Book 3 Annex C3) and the CVM Results
//! (`9F34`, Book 3 Annex A).

use core::fmt;

use crate::{Error, ErrorKind};

/// A cardholder verification method (bits 6–1 of a CVM code).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CvmMethod {
    /// `00 0000`: fail CVM processing.
    Fail,
    /// `00 0001`: plaintext PIN verification performed by the ICC.
    PlaintextPinIcc,
    /// `00 0010`: enciphered PIN verified online.
    EncipheredPinOnline,
    /// `00 0011`: plaintext PIN verification by the ICC and signature (paper).
    PlaintextPinIccAndSignature,
    /// `00 0100`: enciphered PIN verification performed by the ICC.
    EncipheredPinIcc,
    /// `00 0101`: enciphered PIN verification by the ICC and signature (paper).
    EncipheredPinIccAndSignature,
    /// `01 1110`: signature (paper).
    Signature,
    /// `01 1111`: no CVM required.
    NoCvm,
    /// `11 1111` in the CVM Results: no CVM performed.
    NotPerformed,
    /// Any other code: RFU (`00 0110`–`01 1101`) or issuer/payment system-specific
    /// (`10 0000`–`11 1110`).
    Other(u8),
}

impl CvmMethod {
    /// The method of a 6-bit code.
    pub const fn from_code(code: u8) -> Self {
        match code & 0x3F {
            0x00 => Self::Fail,
            0x01 => Self::PlaintextPinIcc,
            0x02 => Self::EncipheredPinOnline,
            0x03 => Self::PlaintextPinIccAndSignature,
            0x04 => Self::EncipheredPinIcc,
            0x05 => Self::EncipheredPinIccAndSignature,
            0x1E => Self::Signature,
            0x1F => Self::NoCvm,
            0x3F => Self::NotPerformed,
            other => Self::Other(other),
        }
    }

    /// The 6-bit code.
    pub const fn code(self) -> u8 {
        match self {
            Self::Fail => 0x00,
            Self::PlaintextPinIcc => 0x01,
            Self::EncipheredPinOnline => 0x02,
            Self::PlaintextPinIccAndSignature => 0x03,
            Self::EncipheredPinIcc => 0x04,
            Self::EncipheredPinIccAndSignature => 0x05,
            Self::Signature => 0x1E,
            Self::NoCvm => 0x1F,
            Self::NotPerformed => 0x3F,
            Self::Other(c) => c & 0x3F,
        }
    }

    /// The specification's wording.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Fail => "Fail CVM processing",
            Self::PlaintextPinIcc => "Plaintext PIN verification performed by ICC",
            Self::EncipheredPinOnline => "Enciphered PIN verified online",
            Self::PlaintextPinIccAndSignature => {
                "Plaintext PIN verification performed by ICC and signature (paper)"
            }
            Self::EncipheredPinIcc => "Enciphered PIN verification performed by ICC",
            Self::EncipheredPinIccAndSignature => {
                "Enciphered PIN verification performed by ICC and signature (paper)"
            }
            Self::Signature => "Signature (paper)",
            Self::NoCvm => "No CVM required",
            Self::NotPerformed => "No CVM performed",
            Self::Other(c) if c >= 0x20 => "Issuer or payment system-specific",
            Self::Other(_) => "RFU",
        }
    }
}

/// When a CVM rule applies (the second byte of a rule).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CvmCondition {
    /// `00`: always.
    Always,
    /// `01`: if unattended cash.
    UnattendedCash,
    /// `02`: if not unattended cash and not manual cash and not purchase with cashback.
    NotCash,
    /// `03`: if the terminal supports the CVM.
    TerminalSupportsCvm,
    /// `04`: if manual cash.
    ManualCash,
    /// `05`: if purchase with cashback.
    PurchaseWithCashback,
    /// `06`: if in the application currency and under X.
    UnderX,
    /// `07`: if in the application currency and over X.
    OverX,
    /// `08`: if in the application currency and under Y.
    UnderY,
    /// `09`: if in the application currency and over Y.
    OverY,
    /// `0A`–`7F` RFU, `80`–`FF` payment system-specific.
    Other(u8),
}

impl CvmCondition {
    /// The condition of a code.
    pub const fn from_code(code: u8) -> Self {
        match code {
            0x00 => Self::Always,
            0x01 => Self::UnattendedCash,
            0x02 => Self::NotCash,
            0x03 => Self::TerminalSupportsCvm,
            0x04 => Self::ManualCash,
            0x05 => Self::PurchaseWithCashback,
            0x06 => Self::UnderX,
            0x07 => Self::OverX,
            0x08 => Self::UnderY,
            0x09 => Self::OverY,
            other => Self::Other(other),
        }
    }

    /// The code.
    pub const fn code(self) -> u8 {
        match self {
            Self::Always => 0x00,
            Self::UnattendedCash => 0x01,
            Self::NotCash => 0x02,
            Self::TerminalSupportsCvm => 0x03,
            Self::ManualCash => 0x04,
            Self::PurchaseWithCashback => 0x05,
            Self::UnderX => 0x06,
            Self::OverX => 0x07,
            Self::UnderY => 0x08,
            Self::OverY => 0x09,
            Self::Other(c) => c,
        }
    }

    /// The specification's wording.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Always => "Always",
            Self::UnattendedCash => "If unattended cash",
            Self::NotCash => {
                "If not unattended cash and not manual cash and not purchase with cashback"
            }
            Self::TerminalSupportsCvm => "If terminal supports the CVM",
            Self::ManualCash => "If manual cash",
            Self::PurchaseWithCashback => "If purchase with cashback",
            Self::UnderX => "If transaction is in the application currency and is under X value",
            Self::OverX => "If transaction is in the application currency and is over X value",
            Self::UnderY => "If transaction is in the application currency and is under Y value",
            Self::OverY => "If transaction is in the application currency and is over Y value",
            Self::Other(c) if c >= 0x80 => "Payment system-specific",
            Self::Other(_) => "RFU",
        }
    }
}

/// One CVM rule: a CVM code byte and a condition byte.
///
/// The code byte is kept as read, so bit 8 (RFU) survives a round trip.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct CvmRule {
    code: u8,
    condition: u8,
}

impl CvmRule {
    /// A rule: `method` under `condition`; `apply_next` says whether the next rule is tried
    /// when this one fails (bit 7).
    pub const fn new(method: CvmMethod, apply_next: bool, condition: CvmCondition) -> Self {
        let next = if apply_next { 0x40 } else { 0 };
        Self {
            code: method.code() | next,
            condition: condition.code(),
        }
    }

    /// A rule from its two bytes.
    pub const fn from_bytes(bytes: [u8; 2]) -> Self {
        let [code, condition] = bytes;
        Self { code, condition }
    }

    /// The two bytes.
    pub const fn to_bytes(self) -> [u8; 2] {
        [self.code, self.condition]
    }

    /// The method.
    pub const fn method(self) -> CvmMethod {
        CvmMethod::from_code(self.code)
    }

    /// Whether the next rule is applied if this CVM fails (bit 7 of the code).
    pub const fn apply_next_if_unsuccessful(self) -> bool {
        self.code & 0x40 != 0
    }

    /// The condition.
    pub const fn condition(self) -> CvmCondition {
        CvmCondition::from_code(self.condition)
    }
}

impl fmt::Debug for CvmRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "CvmRule({}, {}, {})",
            self.method().name(),
            self.condition().name(),
            if self.apply_next_if_unsuccessful() {
                "next"
            } else {
                "fail"
            }
        )
    }
}

/// A CVM List: amounts X and Y (binary, in the application currency's minor units) and the
/// rules in order.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct CvmList<'a> {
    x: u32,
    y: u32,
    rules: &'a [[u8; 2]],
}

impl<'a> CvmList<'a> {
    /// Reads a CVM List: 8 bytes of amounts, then two bytes per rule.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidLength`] if shorter than 8 bytes or ending inside a rule; the
    /// offset is the end of the last complete part.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, Error> {
        let Some((&[x0, x1, x2, x3, y0, y1, y2, y3], rules)) = bytes.split_first_chunk::<8>()
        else {
            return Err(Error::new(ErrorKind::InvalidLength, bytes.len(), None));
        };
        let (rules, []) = rules.as_chunks::<2>() else {
            return Err(Error::new(ErrorKind::InvalidLength, bytes.len() - 1, None));
        };
        Ok(Self {
            x: u32::from_be_bytes([x0, x1, x2, x3]),
            y: u32::from_be_bytes([y0, y1, y2, y3]),
            rules,
        })
    }

    /// Amount X.
    pub fn amount_x(&self) -> u32 {
        self.x
    }

    /// Amount Y.
    pub fn amount_y(&self) -> u32 {
        self.y
    }

    /// The rules in order.
    pub fn rules(&self) -> impl ExactSizeIterator<Item = CvmRule> + 'a {
        self.rules.iter().map(|&r| CvmRule::from_bytes(r))
    }

    /// Encodes a CVM List into `out`, returning its length.
    ///
    /// # Errors
    /// [`ErrorKind::BufferTooSmall`]; nothing is reported written then.
    pub fn encode(x: u32, y: u32, rules: &[CvmRule], out: &mut [u8]) -> Result<usize, Error> {
        let len = 8 + 2 * rules.len();
        let dst = out
            .get_mut(..len)
            .ok_or(Error::new(ErrorKind::BufferTooSmall, 0, None))?;
        let (amounts, rest) = dst.split_at_mut(8);
        let (xb, yb) = amounts.split_at_mut(4);
        xb.copy_from_slice(&x.to_be_bytes());
        yb.copy_from_slice(&y.to_be_bytes());
        for (slot, rule) in rest.chunks_exact_mut(2).zip(rules) {
            slot.copy_from_slice(&rule.to_bytes());
        }
        Ok(len)
    }
}

impl fmt::Debug for CvmList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CvmList")
            .field("x", &self.x)
            .field("y", &self.y)
            .field("rules", &crate::hex::Hex(self.rules.as_flattened()))
            .finish()
    }
}

/// The result of the last CVM performed (CVM Results byte 3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CvmOutcome {
    /// `00`: unknown (for example, for signature).
    Unknown,
    /// `01`: failed.
    Failed,
    /// `02`: successful.
    Successful,
    /// Any other value.
    Other(u8),
}

impl CvmOutcome {
    /// The outcome of a code.
    pub const fn from_code(code: u8) -> Self {
        match code {
            0 => Self::Unknown,
            1 => Self::Failed,
            2 => Self::Successful,
            other => Self::Other(other),
        }
    }

    /// The code.
    pub const fn code(self) -> u8 {
        match self {
            Self::Unknown => 0,
            Self::Failed => 1,
            Self::Successful => 2,
            Self::Other(c) => c,
        }
    }

    /// `unknown`, `failed`, `successful` or `other`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Unknown => "unknown",
            Self::Failed => "failed",
            Self::Successful => "successful",
            Self::Other(_) => "other",
        }
    }
}

/// CVM Results, tag `9F34`: the rule performed (or `3F`: none) and its outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CvmResults {
    rule: CvmRule,
    outcome: CvmOutcome,
}

impl CvmResults {
    /// From the rule performed and its outcome.
    pub const fn new(rule: CvmRule, outcome: CvmOutcome) -> Self {
        Self { rule, outcome }
    }

    /// Reads the three bytes.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidLength`] for any other length.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        match *bytes {
            [code, condition, outcome] => Ok(Self {
                rule: CvmRule::from_bytes([code, condition]),
                outcome: CvmOutcome::from_code(outcome),
            }),
            _ => Err(Error::new(
                ErrorKind::InvalidLength,
                bytes.len().min(3),
                None,
            )),
        }
    }

    /// The three bytes.
    pub const fn to_bytes(self) -> [u8; 3] {
        let [code, condition] = self.rule.to_bytes();
        [code, condition, self.outcome.code()]
    }

    /// The CVM performed, with its condition.
    pub const fn rule(self) -> CvmRule {
        self.rule
    }

    /// The outcome.
    pub const fn outcome(self) -> CvmOutcome {
        self.outcome
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unionpay_cvm_list() {
        // binaryfoo/emv-bertlv contact-upi-out.txt: 5E03 signature if supported, next;
        // 4203 enciphered PIN online if supported, next; 1F00 no CVM always, fail.
        let bytes = [0, 0, 0, 0, 0, 0, 0, 0, 0x5E, 0x03, 0x42, 0x03, 0x1F, 0x00];
        let list = CvmList::parse(&bytes).unwrap();
        let rules: [CvmRule; 3] = core::array::from_fn(|i| list.rules().nth(i).unwrap());
        assert_eq!(rules[0].method(), CvmMethod::Signature);
        assert!(rules[0].apply_next_if_unsuccessful());
        assert_eq!(rules[1].method(), CvmMethod::EncipheredPinOnline);
        assert_eq!(rules[1].condition(), CvmCondition::TerminalSupportsCvm);
        assert_eq!(rules[2].method(), CvmMethod::NoCvm);
        assert!(!rules[2].apply_next_if_unsuccessful());
        let mut out = [0u8; 14];
        assert_eq!(CvmList::encode(0, 0, &rules, &mut out), Ok(14));
        assert_eq!(out, bytes);
        assert_eq!(
            CvmRule::new(
                CvmMethod::Signature,
                true,
                CvmCondition::TerminalSupportsCvm
            )
            .to_bytes(),
            [0x5E, 0x03]
        );
        assert!(CvmList::parse(&bytes[..13]).is_err());
        assert!(CvmList::parse(&bytes[..7]).is_err());
        assert!(CvmList::encode(0, 0, &rules, &mut out[..13]).is_err());
    }

    #[test]
    fn results() {
        let r = CvmResults::from_bytes(&[0x5E, 0x03, 0x00]).unwrap();
        assert_eq!(r.rule().method(), CvmMethod::Signature);
        assert_eq!(r.outcome(), CvmOutcome::Unknown);
        assert_eq!(r.to_bytes(), [0x5E, 0x03, 0x00]);
        assert_eq!(CvmMethod::from_code(0x3F), CvmMethod::NotPerformed);
    }
}
