//! Masking of sensitive card data for display.
//!
//! By default every human- or log-facing output of cardwire masks:
//! - the PAN (tag `5A`, ISO 8583 field 2): first 6 and last 4 digits shown;
//! - track 2 (tag `57`, field 35): the PAN as above, everything after the separator hidden;
//! - the cardholder name (`5F20`, `9F0B`) and PIN data (`99`): hidden entirely;
//! - track 1 (`56`), the track 1 and track 2 discretionary data (`9F1F`, `9F20`) and the
//!   contactless mag-stripe track data (`DF812A`, `DF812B`): hidden entirely;
//! - the UnionPay cardholder ID number (`9F61`): hidden entirely;
//! - Mastercard Track 2 Data (`9F6B`, longer than the 6-byte UnionPay Card CVM Limit that
//!   shares the tag): as track 2.
//!
//! Hidden characters become `*`; lengths are preserved so layouts stay recognisable.
//! Clear output is always an explicit choice of the caller.

use core::fmt::{self, Write};

use crate::hex::{Hex, nibble_char};
use crate::tags;
use crate::tlv::{Tag, Tlv};

/// How a value is masked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Masking {
    /// Shown as is.
    Clear,
    /// A primary account number: first 6 and last 4 digits shown.
    Pan,
    /// Track 2 data: the PAN masked as [`Masking::Pan`], the separator shown, the rest hidden.
    Track2,
    /// Hidden entirely.
    Hidden,
}

/// How the value of `tag` is masked in default (non-clear) output, judged by the tag alone
/// (see [`masking`] for the tags whose meaning depends on the value).
pub fn masking_for(tag: Tag) -> Masking {
    match tag {
        tags::PAN => Masking::Pan,
        tags::TRACK_2_EQUIVALENT_DATA => Masking::Track2,
        tags::CARDHOLDER_NAME
        | tags::TRANSACTION_PERSONAL_IDENTIFICATION_NUMBER_DATA
        | tags::TRACK_1_DATA
        | tags::CARDHOLDER_NAME_EXTENDED
        | tags::TRACK_1_DISCRETIONARY_DATA
        | tags::TRACK_2_DISCRETIONARY_DATA
        | tags::CARDHOLDER_ID_NUMBER
        | tags::DD_CARD_TRACK_1
        | tags::DD_CARD_TRACK_2 => Masking::Hidden,
        _ => Masking::Clear,
    }
}

/// How a value of `tag` is masked in default output, for tags whose meaning depends on the
/// value: `9F6B` is the 6-byte Card CVM Limit for UnionPay and Visa but Track 2 Data (8 bytes
/// and more) for Mastercard, so a longer value is masked as track 2.
pub fn masking(tag: Tag, value: &[u8]) -> Masking {
    match masking_for(tag) {
        Masking::Clear if tag == tags::CARD_CVM_LIMIT && value.len() > 6 => Masking::Track2,
        how => how,
    }
}

/// How many leading and trailing digits of an `n`-digit PAN may be shown.
const fn visible(n: usize) -> (usize, usize) {
    if n >= 12 {
        (6, 4)
    } else if n >= 8 {
        (0, 4)
    } else {
        (0, 0)
    }
}

/// Writes text characters `chars` (digits, hex nibbles or track characters) masked by `how`.
///
/// For [`Masking::Pan`] the PAN is the leading run of decimal digits; trailing padding
/// (such as `F`) is shown. For [`Masking::Track2`] the PAN ends at the first non-digit
/// (`D` or `=`), which is shown; everything after it is hidden.
pub fn write_masked<W, I>(out: &mut W, chars: I, how: Masking) -> fmt::Result
where
    W: Write + ?Sized,
    I: Iterator<Item = char> + Clone,
{
    let pan_digits = chars.clone().take_while(char::is_ascii_digit).count();
    let (head, tail) = visible(pan_digits);
    for (i, c) in chars.enumerate() {
        let shown = match how {
            Masking::Clear => true,
            Masking::Hidden => false,
            Masking::Pan | Masking::Track2 if i < pan_digits => i < head || i >= pan_digits - tail,
            Masking::Pan => true,
            Masking::Track2 => i == pan_digits,
        };
        out.write_char(if shown { c } else { '*' })?;
    }
    Ok(())
}

/// The upper-case hex characters of `bytes`, nibble by nibble.
pub fn nibbles(bytes: &[u8]) -> impl Iterator<Item = char> + Clone + '_ {
    bytes
        .iter()
        .flat_map(|&b| [nibble_char(b >> 4), nibble_char(b)])
        .map(char::from)
}

/// A data object's value as upper-case hex, masked by its tag unless `clear`.
///
/// For a constructed object, the values of sensitive descendants inside it are masked too.
#[derive(Clone, Copy, Debug)]
pub struct MaskedValue<'a, 't> {
    tlv: &'t Tlv<'a>,
    clear: bool,
}

impl<'a, 't> MaskedValue<'a, 't> {
    /// Wraps `tlv`; `clear` shows everything.
    pub fn new(tlv: &'t Tlv<'a>, clear: bool) -> Self {
        Self { tlv, clear }
    }
}

impl fmt::Display for MaskedValue<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let value = self.tlv.value();
        if self.clear {
            return fmt::Display::fmt(&Hex(value), f);
        }
        let Some(children) = self.tlv.children() else {
            return write_masked(f, nibbles(value), masking(self.tlv.tag(), value));
        };
        // Hex of the value, with each sensitive primitive descendant's value masked in place.
        let base = self.tlv.value_offset();
        let mut cursor = 0;
        for child in children.walk() {
            let Ok(child) = child else { break };
            let how = masking(child.tag(), child.value());
            if how == Masking::Clear || child.is_constructed() {
                continue;
            }
            // Children lie inside the value, in order: a range outside it is an internal error.
            let start = child.value_offset() - base;
            let end = start + child.len();
            let before = value.get(cursor..start).ok_or(fmt::Error)?;
            fmt::Display::fmt(&Hex(before), f)?;
            write_masked(f, nibbles(child.value()), how)?;
            cursor = end;
        }
        fmt::Display::fmt(&Hex(value.get(cursor..).ok_or(fmt::Error)?), f)
    }
}

impl fmt::Debug for Tlv<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tlv")
            .field("tag", &self.tag())
            .field("offset", &self.offset())
            .field("len", &self.len())
            .field("value", &format_args!("{}", MaskedValue::new(self, false)))
            .finish()
    }
}

impl fmt::Display for Tlv<'_> {
    /// `TAG [LEN] VALUE` with sensitive values masked.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let value = MaskedValue::new(self, false);
        write!(f, "{} [{}] {}", self.tag(), self.len(), value)
    }
}

#[cfg(test)]
mod tests {
    extern crate alloc;
    use super::*;
    use alloc::string::String;

    fn masked(s: &str, how: Masking) -> String {
        let mut out = String::new();
        write_masked(&mut out, s.chars(), how).unwrap();
        out
    }

    #[test]
    fn pan_rules() {
        assert_eq!(masked("4761739001010119", Masking::Pan), "476173******0119");
        assert_eq!(
            masked("6231234567890123456F", Masking::Pan),
            "623123*********3456F"
        );
        assert_eq!(masked("1234567890", Masking::Pan), "******7890");
        assert_eq!(masked("1234567", Masking::Pan), "*******");
    }

    #[test]
    fn track2_rules() {
        assert_eq!(
            masked("4761739001010119D22122011143804400000F", Masking::Track2),
            "476173******0119D*********************"
        );
        assert_eq!(
            masked("4392260009942820=13121011", Masking::Track2),
            "439226******2820=********"
        );
        assert_eq!(masked("PAULA", Masking::Hidden), "*****");
    }
}
