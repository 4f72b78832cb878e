//! One primitive value shown the way its data element reads, by the format and rendering the
//! [dictionary](crate::dict) gives its tag.

use core::fmt;

use crate::dict::{self, Format, Render};
use crate::dol::Dol;
use crate::hex::Hex;
use crate::tlv::Tag;

/// Shows a primitive value the way its data element reads: digits for `n`, `cn` without its
/// `F` padding, quoted text for `a`/`an`/`ans`, dates and times spelled out, amounts with their
/// decimal point, data object lists as `TAG[LEN]` entries, hex otherwise. Values that do not
/// fit their format (a nibble `A` in an `n` field) are shown as hex.
///
/// Masking is the caller's concern (see [`Describe`](super::Describe)); `Debug` shows only the
/// tag and the length.
#[derive(Clone, Copy)]
pub struct Rendered<'a> {
    tag: Tag,
    value: &'a [u8],
    exponent: u8,
}

impl<'a> Rendered<'a> {
    /// Renders `value` of `tag`; amounts get `exponent` decimal places.
    pub fn new(tag: Tag, value: &'a [u8], exponent: u8) -> Self {
        Self {
            tag,
            value,
            exponent,
        }
    }
}

impl fmt::Debug for Rendered<'_> {
    // The value may be card data.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Rendered")
            .field("tag", &self.tag)
            .field("len", &self.value.len())
            .finish()
    }
}

/// Whether every nibble of `bytes` is a decimal digit.
fn all_digits(bytes: &[u8]) -> bool {
    bytes.iter().all(|b| b >> 4 < 10 && b & 0x0F < 10)
}

fn write_hex(f: &mut fmt::Formatter<'_>, bytes: &[u8]) -> fmt::Result {
    fmt::Display::fmt(&Hex(bytes), f)
}

/// `YY` (BCD) → `YYYY` with the EMV pivot (Book 4 §6.7.3: 00–49 are 20YY, 50–99 are 19YY).
fn year(yy: u8) -> u16 {
    let yy = u16::from(yy >> 4) * 10 + u16::from(yy & 0x0F);
    if yy < 50 { 2000 + yy } else { 1900 + yy }
}

fn write_text(f: &mut fmt::Formatter<'_>, bytes: &[u8]) -> fmt::Result {
    f.write_str("\"")?;
    for &b in bytes {
        match b {
            b'"' | b'\\' => write!(f, "\\{}", char::from(b))?,
            0x20..=0x7E => fmt::Write::write_char(f, char::from(b))?,
            _ => write!(f, "\\x{b:02X}")?,
        }
    }
    f.write_str("\"")
}

/// Writes minor units `digits` (ASCII decimal, leading zeros allowed) with `exponent` decimals.
fn write_amount(f: &mut fmt::Formatter<'_>, digits: &[u8], exponent: u8) -> fmt::Result {
    let mut significant = digits;
    while let [b'0', rest @ ..] = significant {
        significant = rest;
    }
    let exp = usize::from(exponent);
    // With no more digits than decimals, everything is the fraction.
    let (int, frac) = significant.split_at(significant.len().saturating_sub(exp));
    let text = |d| core::str::from_utf8(d).map_err(|_| fmt::Error);
    f.write_str(if int.is_empty() { "0" } else { text(int)? })?;
    if exp > 0 {
        f.write_str(".")?;
        for _ in frac.len()..exp {
            f.write_str("0")?;
        }
        f.write_str(text(frac)?)?;
    }
    Ok(())
}

/// The decimal ASCII digits of an `n` value (`None` unless every nibble is a digit) or of a
/// big-endian binary amount (`None` past 128 bits), written into `buf`.
fn amount_digits<'b>(value: &[u8], binary: bool, buf: &'b mut [u8; 40]) -> Option<&'b [u8]> {
    if binary {
        let mut rest = value.iter().try_fold(0u128, |acc, &b| {
            acc.checked_mul(256)?.checked_add(u128::from(b))
        })?;
        // u128::MAX has 39 digits: written from the right end of the 40-byte buffer.
        let mut start = buf.len();
        loop {
            start = start.checked_sub(1)?;
            *buf.get_mut(start)? = b'0' + u8::try_from(rest % 10).ok()?;
            rest /= 10;
            if rest == 0 {
                break;
            }
        }
        buf.get(start..)
    } else {
        if !all_digits(value) {
            return None;
        }
        let digits = buf.get_mut(..2 * value.len())?;
        for (pair, &b) in digits.chunks_exact_mut(2).zip(value) {
            pair.copy_from_slice(&[b'0' + (b >> 4), b'0' + (b & 0x0F)]);
        }
        Some(digits)
    }
}

/// The nibbles of `bytes`, high first.
fn nibbles(bytes: &[u8]) -> impl Iterator<Item = u8> + Clone + '_ {
    bytes.iter().flat_map(|&b| [b >> 4, b & 0x0F])
}

impl fmt::Display for Rendered<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let value = self.value;
        let Some(info) = dict::lookup(self.tag) else {
            return write_hex(f, value);
        };
        match (info.render, info.format, value) {
            (Render::Date, Format::N, &[yy, mm, dd]) if all_digits(value) => {
                write_hex(f, value)?;
                write!(f, " ({:04}-{mm:02X}-{dd:02X})", year(yy))
            }
            (Render::Time, Format::N, &[hh, mm, ss]) if all_digits(value) => {
                write_hex(f, value)?;
                write!(f, " ({hh:02X}:{mm:02X}:{ss:02X})")
            }
            (Render::Amount, format @ (Format::N | Format::B), _) => {
                let mut buf = [0u8; 40];
                match amount_digits(value, format == Format::B, &mut buf) {
                    Some(digits) => {
                        write_hex(f, value)?;
                        f.write_str(" (")?;
                        write_amount(f, digits, self.exponent)?;
                        f.write_str(")")
                    }
                    None => write_hex(f, value),
                }
            }
            (Render::Dol, _, _) => match Dol::new(value) {
                Ok(dol) => {
                    for (i, entry) in dol.iter().enumerate() {
                        if i > 0 {
                            f.write_str(" ")?;
                        }
                        write!(f, "{}[{}]", entry.tag(), entry.len())?;
                    }
                    Ok(())
                }
                Err(_) => write_hex(f, value),
            },
            (Render::TagList, _, _) => {
                // Checked whole first, so a malformed list is shown as hex, not half-named.
                let mut rest = value;
                while !rest.is_empty() {
                    match Tag::split(rest) {
                        Ok((_, tail)) => rest = tail,
                        Err(_) => return write_hex(f, value),
                    }
                }
                let mut rest = value;
                while let Ok((tag, tail)) = Tag::split(rest) {
                    if rest.len() < value.len() {
                        f.write_str(" ")?;
                    }
                    write!(f, "{tag}")?;
                    rest = tail;
                }
                Ok(())
            }
            (_, Format::N, _) if all_digits(value) => write_hex(f, value),
            (_, Format::Cn, _) => {
                // Digits, then nothing but F padding.
                let digits = nibbles(value).take_while(|&d| d < 10).count();
                if !nibbles(value).skip(digits).all(|d| d == 0x0F) {
                    return write_hex(f, value);
                }
                for d in nibbles(value).take(digits) {
                    fmt::Write::write_char(f, char::from(b'0' + d))?;
                }
                Ok(())
            }
            (_, Format::A | Format::An | Format::Ans, _) => write_text(f, value),
            _ => write_hex(f, value),
        }
    }
}

#[cfg(test)]
mod tests {
    extern crate alloc;
    use super::*;
    use crate::{tag, tags};
    use alloc::format;

    #[test]
    fn renders_by_format() {
        let r = |tag, v: &[u8]| format!("{}", Rendered::new(tag, v, 2));
        assert_eq!(
            r(tags::TRANSACTION_DATE, &[0x26, 0x11, 0x25]),
            "261125 (2026-11-25)"
        );
        assert_eq!(
            r(tags::APPLICATION_EXPIRATION_DATE, &[0x99, 0x12, 0x31]),
            "991231 (1999-12-31)"
        );
        assert_eq!(
            r(tags::TRANSACTION_TIME, &[0x16, 0x01, 0x36]),
            "160136 (16:01:36)"
        );
        let amount = tags::AMOUNT_AUTHORISED_NUMERIC;
        assert_eq!(r(amount, &[0, 0, 0, 0, 0x88, 0x80]), "000000008880 (88.80)");
        assert_eq!(r(amount, &[0, 0, 0, 0, 0, 0x05]), "000000000005 (0.05)");
        assert_eq!(r(amount, &[0; 6]), "000000000000 (0.00)");
        assert_eq!(
            r(tags::AMOUNT_AUTHORISED_BINARY, &[0, 0, 0x22, 0xB8]),
            "000022B8 (88.88)"
        );
        assert_eq!(r(amount, &[0, 0, 0, 0, 0x8A, 0x80]), "000000008A80");
        assert_eq!(r(tags::APPLICATION_LABEL, b"PBOC DEBIT"), "\"PBOC DEBIT\"");
        assert_eq!(r(tags::APPLICATION_LABEL, b"A\0"), "\"A\\x00\"");
        assert_eq!(r(tags::TRACK_2_DISCRETIONARY_DATA, &[0x12, 0x3F]), "123");
        assert_eq!(r(tags::TRACK_2_DISCRETIONARY_DATA, &[0x1F, 0x3F]), "1F3F");
        assert_eq!(r(tags::TERMINAL_COUNTRY_CODE, &[0x01, 0x56]), "0156");
        assert_eq!(
            r(tags::CDOL1, &[0x9F, 0x02, 0x06, 0x95, 0x05]),
            "9F02[6] 95[5]"
        );
        let tag_list = tags::STATIC_DATA_AUTHENTICATION_TAG_LIST;
        assert_eq!(r(tag_list, &[0x82]), "82");
        assert_eq!(r(tag_list, &[0x82, 0x9F, 0x02]), "82 9F02");
        assert_eq!(r(tag_list, &[0x82, 0x9F]), "829F");
        assert_eq!(r(tags::AC, &[0xAB, 0xCD]), "ABCD");
        assert_eq!(r(tag!(0xDF7F), &[0x01]), "01");
        let zero_exp = format!("{}", Rendered::new(amount, &[0, 0, 0, 0, 0x88, 0x80], 0));
        assert_eq!(zero_exp, "000000008880 (8880)");
    }

    #[test]
    fn binary_amounts_up_to_128_bits() {
        let r = |v: &[u8]| format!("{}", Rendered::new(tags::AMOUNT_AUTHORISED_BINARY, v, 2));
        assert_eq!(
            r(&[0xFF; 16]),
            format!(
                "{} (3402823669209384634633746074317682114.55)",
                "FF".repeat(16)
            )
        );
        let mut too_wide = [0u8; 17];
        too_wide[0] = 1;
        assert_eq!(r(&too_wide), format!("01{}", "00".repeat(16)));
        assert_eq!(r(&[]), " (0.00)");
    }
}
