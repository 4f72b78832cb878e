//! The tag dictionary: every data element of EMV 4.4 Book 3 Annex A, the contactless kernel
//! tags a POS meets (Visa qVSDC, Mastercard, UnionPay QuickPass / qPBOC) and the UnionPay,
//! PBOC and CUPS terminal-parameter tags.
//!
//! The table is generated at build time from `data/tags.tsv`; a lookup is a binary search over
//! a sorted array of `u32` keys, allocates nothing and works without `alloc`.
//!
//! ```
//! use cardwire_emv::dict::{self, Format};
//! use cardwire_emv::tlv::Tag;
//!
//! let amount = dict::lookup(Tag::from_u32(0x9F02).unwrap()).unwrap();
//! assert_eq!(amount.name, "Amount, Authorised (Numeric)");
//! assert_eq!((amount.format, amount.min_len, amount.max_len), (Format::N, 6, 6));
//! assert_eq!(dict::name(Tag::from_u32(0x9F74).unwrap()), Some("Electronic Cash Issuer Authorisation Code"));
//! assert!(dict::lookup(Tag::from_u32(0x9F8101).unwrap()).is_none());
//! ```
//!
//! Several scheme tags mean different things to different kernels (`9F6B` is the Card CVM
//! Limit for UnionPay and Visa, Track 2 Data for Mastercard). The dictionary names the meaning
//! a UnionPay POS meets and keeps the others in [`TagInfo::other`].

use core::fmt;

use crate::tlv::Tag;

/// The format of a data element's value (EMV 4.4 Book 3 §4.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// `a`: alphabetic (`a`–`z`, `A`–`Z`), one character per byte.
    A,
    /// `an`: alphanumeric, one character per byte.
    An,
    /// `ans`: alphanumeric and special characters, one character per byte.
    Ans,
    /// `b`: binary.
    B,
    /// `cn`: compressed numeric: BCD digits left-aligned, padded on the right with `F`.
    Cn,
    /// `n`: numeric: BCD digits right-aligned, padded on the left with `0`.
    N,
    /// `var`: a template or a value whose coding varies.
    Var,
}

impl Format {
    /// The format as the specification writes it (`"ans"`, `"cn"`…).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::A => "a",
            Self::An => "an",
            Self::Ans => "ans",
            Self::B => "b",
            Self::Cn => "cn",
            Self::N => "n",
            Self::Var => "var",
        }
    }
}

/// Who provides a data element.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Source {
    /// The card.
    Icc,
    /// The terminal (including the kernel's configuration).
    Terminal,
    /// The issuer, through the authorisation response.
    Issuer,
    /// The issuer, or the terminal when the issuer's answer is missing (`8A`).
    IssuerOrTerminal,
}

impl Source {
    /// Lower-case name: `icc`, `terminal`, `issuer`, `issuer/terminal`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Icc => "icc",
            Self::Terminal => "terminal",
            Self::Issuer => "issuer",
            Self::IssuerOrTerminal => "issuer/terminal",
        }
    }
}

/// Which specification defines the tag.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Origin {
    /// EMV 4.4 Book 3 Annex A.
    Emv,
    /// EMV Books A and B (entry point).
    EntryPoint,
    /// EMV payment tokenisation.
    Tokenisation,
    /// Visa (VIS, Book C-3 qVSDC).
    Visa,
    /// Mastercard (M/Chip, Book C-2).
    Mastercard,
    /// UnionPay (PBOC 3.0, Book C-7 QuickPass).
    UnionPay,
    /// The CUPS POS terminal specification's IC card parameters (AID and CA public key
    /// downloads).
    CupsTerminal,
}

/// How [`crate::tlv::Describe`] shows a value beyond what its format says.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Render {
    /// As its format says.
    Plain,
    /// A date `YYMMDD`, shown as `YYYY-MM-DD`.
    Date,
    /// A time `HHMMSS`, shown as `HH:MM:SS`.
    Time,
    /// An amount in minor units, shown with the currency exponent's decimal point.
    Amount,
    /// A data object list, shown as `TAG[LEN]` entries.
    Dol,
    /// A list of tags.
    TagList,
}

/// A dictionary entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct TagInfo {
    /// The tag.
    pub tag: Tag,
    /// Its name in the specification.
    pub name: &'static str,
    /// The meaning other schemes give the same tag, if any.
    pub other: Option<&'static str>,
    /// The value's format.
    pub format: Format,
    /// The shortest value allowed, in bytes.
    pub min_len: u16,
    /// The longest value allowed, in bytes.
    pub max_len: u16,
    /// Who provides it.
    pub source: Source,
    /// The templates it is found in (empty for terminal data and top-level templates).
    pub templates: &'static [Tag],
    /// The specification that defines it.
    pub origin: Origin,
    /// How a dump shows it.
    pub render: Render,
}

impl TagInfo {
    /// Whether `len` bytes is a length the specification allows.
    pub fn allows_len(&self, len: usize) -> bool {
        (usize::from(self.min_len)..=usize::from(self.max_len)).contains(&len)
    }
}

/// A tag from a value the generator has validated; `Tag::PAN` is never reached (a unit test
/// checks every entry).
const fn tag(value: u32) -> Tag {
    match Tag::from_u32(value) {
        Some(t) => t,
        None => Tag::PAN,
    }
}

include!(concat!(env!("OUT_DIR"), "/tags.rs"));

/// The entry for `tag`, if the dictionary knows it.
#[inline]
pub fn lookup(tag: Tag) -> Option<&'static TagInfo> {
    let i = KEYS.binary_search(&tag.to_u32()).ok()?;
    INFO.get(i)
}

/// The name of `tag`, if known. Usable as a [`crate::tlv::TagNamer`].
pub fn name(tag: Tag) -> Option<&'static str> {
    lookup(tag).map(|i| i.name)
}

/// The format of `tag`; `b` for tags the dictionary does not know.
pub fn format(tag: Tag) -> Format {
    lookup(tag).map_or(Format::B, |i| i.format)
}

/// Every entry, ordered by tag.
pub fn entries() -> &'static [TagInfo] {
    &INFO
}

/// Shows a primitive value the way its data element reads: digits for `n`, `cn` without its
/// `F` padding, quoted text for `a`/`an`/`ans`, dates and times spelled out, amounts with their
/// decimal point, data object lists as `TAG[LEN]` entries, hex otherwise. Values that do not
/// fit their format (a nibble `A` in an `n` field) are shown as hex.
///
/// Masking is the caller's concern (see [`crate::tlv::Describe`]).
#[derive(Clone, Copy, Debug)]
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

/// The BCD digits of `bytes`, if every nibble is a decimal digit.
fn all_digits(bytes: &[u8]) -> bool {
    bytes.iter().all(|b| b >> 4 < 10 && b & 0x0F < 10)
}

fn write_digits(f: &mut fmt::Formatter<'_>, bytes: &[u8]) -> fmt::Result {
    fmt::Display::fmt(&crate::hex::Hex(bytes), f)
}

/// `YY` → `YYYY` with the EMV pivot (Book 4 §6.7.3: 00–49 are 20YY, 50–99 are 19YY).
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

/// Writes minor units `digits` (decimal, leading zeros allowed) with `exponent` decimals.
fn write_amount(f: &mut fmt::Formatter<'_>, digits: &[u8], exponent: u8) -> fmt::Result {
    let first = digits
        .iter()
        .position(|&d| d != b'0')
        .unwrap_or(digits.len());
    let significant = digits.get(first..).unwrap_or_default();
    let exp = usize::from(exponent);
    let (int, frac) = if significant.len() > exp {
        significant.split_at(significant.len() - exp)
    } else {
        (&[][..], significant)
    };
    let text = |d| core::str::from_utf8(d).map_err(|_| fmt::Error);
    if int.is_empty() {
        f.write_str("0")?;
    } else {
        f.write_str(text(int)?)?;
    }
    if exp > 0 {
        f.write_str(".")?;
        for _ in frac.len()..exp {
            f.write_str("0")?;
        }
        f.write_str(text(frac)?)?;
    }
    Ok(())
}

/// Decimal ASCII digits of an `n` value or a big-endian binary amount, in a stack buffer.
fn amount_digits(value: &[u8], binary: bool, buf: &mut [u8; 40]) -> Option<usize> {
    if binary {
        let n = value.iter().try_fold(0u128, |acc, &b| {
            acc.checked_mul(256)?.checked_add(u128::from(b))
        })?;
        let mut tmp = [0u8; 40];
        let mut len = 0;
        let mut rest = n;
        loop {
            let slot = tmp.get_mut(len)?;
            *slot = b'0' + u8::try_from(rest % 10).ok()?;
            len += 1;
            rest /= 10;
            if rest == 0 {
                break;
            }
        }
        for (dst, src) in buf.iter_mut().zip(tmp.get(..len)?.iter().rev()) {
            *dst = *src;
        }
        Some(len)
    } else {
        if !all_digits(value) {
            return None;
        }
        let mut len = 0;
        for &b in value {
            for d in [b >> 4, b & 0x0F] {
                *buf.get_mut(len)? = b'0' + d;
                len += 1;
            }
        }
        Some(len)
    }
}

impl fmt::Display for Rendered<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let value = self.value;
        let Some(info) = lookup(self.tag) else {
            return write_digits(f, value);
        };
        match (info.render, info.format) {
            (Render::Date, Format::N) if value.len() == 3 && all_digits(value) => {
                let [yy, mm, dd] = [0, 1, 2].map(|i| value.get(i).copied().unwrap_or_default());
                write_digits(f, value)?;
                write!(f, " ({:04}-{mm:02X}-{dd:02X})", year(yy))
            }
            (Render::Time, Format::N) if value.len() == 3 && all_digits(value) => {
                let [hh, mm, ss] = [0, 1, 2].map(|i| value.get(i).copied().unwrap_or_default());
                write_digits(f, value)?;
                write!(f, " ({hh:02X}:{mm:02X}:{ss:02X})")
            }
            (Render::Amount, format @ (Format::N | Format::B)) => {
                let mut buf = [0u8; 40];
                match amount_digits(value, format == Format::B, &mut buf) {
                    Some(n) => {
                        write_digits(f, value)?;
                        f.write_str(" (")?;
                        write_amount(f, buf.get(..n).unwrap_or_default(), self.exponent)?;
                        f.write_str(")")
                    }
                    None => write_digits(f, value),
                }
            }
            (Render::Dol, _) => match crate::dol::Dol::new(value) {
                Ok(dol) => {
                    for (i, entry) in dol.iter().enumerate() {
                        if i > 0 {
                            f.write_str(" ")?;
                        }
                        write!(f, "{}[{}]", entry.tag(), entry.len())?;
                    }
                    Ok(())
                }
                Err(_) => write_digits(f, value),
            },
            (Render::TagList, _) => {
                let mut rest = value;
                let mut first = true;
                while !rest.is_empty() {
                    let Ok((tag, n)) = Tag::parse(rest) else {
                        return write_digits(f, value);
                    };
                    if !first {
                        f.write_str(" ")?;
                    }
                    first = false;
                    write!(f, "{tag}")?;
                    rest = rest.get(n..).unwrap_or_default();
                }
                Ok(())
            }
            (_, Format::N) if all_digits(value) => write_digits(f, value),
            (_, Format::Cn) => {
                // Digits, then nothing but F padding.
                let digits = value
                    .iter()
                    .flat_map(|&b| [b >> 4, b & 0x0F])
                    .take_while(|&d| d < 10)
                    .count();
                let padding_ok = value
                    .iter()
                    .flat_map(|&b| [b >> 4, b & 0x0F])
                    .skip(digits)
                    .all(|d| d == 0x0F);
                if !padding_ok {
                    return write_digits(f, value);
                }
                for d in value.iter().flat_map(|&b| [b >> 4, b & 0x0F]).take(digits) {
                    fmt::Write::write_char(f, char::from(b'0' + d))?;
                }
                Ok(())
            }
            (_, Format::A | Format::An | Format::Ans) => write_text(f, value),
            _ => write_digits(f, value),
        }
    }
}

#[cfg(test)]
mod tests {
    extern crate alloc;
    use super::*;
    use alloc::format;

    fn t(v: u32) -> Tag {
        Tag::from_u32(v).unwrap()
    }

    #[test]
    fn table_is_sorted_and_consistent() {
        assert!(KEYS.windows(2).all(|w| w[0] < w[1]));
        for (key, info) in KEYS.iter().zip(INFO.iter()) {
            assert_eq!(info.tag.to_u32(), *key, "generated tag for {key:X}");
            assert!(info.min_len <= info.max_len);
        }
        assert!(KEYS.len() > 240);
    }

    #[test]
    fn lookups() {
        assert_eq!(
            name(t(0x5A)),
            Some("Application Primary Account Number (PAN)")
        );
        assert_eq!(format(t(0x5A)), Format::Cn);
        assert_eq!(format(t(0xDF7F)), Format::B);
        assert_eq!(
            lookup(t(0x9F61)).unwrap().other,
            Some("Mastercard: CVC3 (Track 2)")
        );
        assert_eq!(lookup(t(0xDF8129)).unwrap().origin, Origin::Mastercard);
        assert_eq!(lookup(t(0x8A)).unwrap().source, Source::IssuerOrTerminal);
        assert_eq!(lookup(t(0x4F)).unwrap().templates, &[t(0x61)]);
    }

    #[test]
    fn renders_by_format() {
        let r = |tag, v: &[u8]| format!("{}", Rendered::new(t(tag), v, 2));
        assert_eq!(r(0x9A, &[0x26, 0x11, 0x25]), "261125 (2026-11-25)");
        assert_eq!(r(0x5F24, &[0x99, 0x12, 0x31]), "991231 (1999-12-31)");
        assert_eq!(r(0x9F21, &[0x16, 0x01, 0x36]), "160136 (16:01:36)");
        assert_eq!(r(0x9F02, &[0, 0, 0, 0, 0x88, 0x80]), "000000008880 (88.80)");
        assert_eq!(r(0x9F02, &[0, 0, 0, 0, 0, 0x05]), "000000000005 (0.05)");
        assert_eq!(r(0x9F02, &[0; 6]), "000000000000 (0.00)");
        assert_eq!(r(0x81, &[0, 0, 0x22, 0xB8]), "000022B8 (88.88)");
        assert_eq!(r(0x9F02, &[0, 0, 0, 0, 0x8A, 0x80]), "000000008A80");
        assert_eq!(r(0x50, b"PBOC DEBIT"), "\"PBOC DEBIT\"");
        assert_eq!(r(0x50, b"A\0"), "\"A\\x00\"");
        assert_eq!(r(0x9F20, &[0x12, 0x3F]), "123");
        assert_eq!(r(0x9F20, &[0x1F, 0x3F]), "1F3F");
        assert_eq!(r(0x9F1A, &[0x01, 0x56]), "0156");
        assert_eq!(r(0x8C, &[0x9F, 0x02, 0x06, 0x95, 0x05]), "9F02[6] 95[5]");
        assert_eq!(r(0x9F4A, &[0x82]), "82");
        assert_eq!(r(0x9F26, &[0xAB, 0xCD]), "ABCD");
        assert_eq!(r(0xDF7F, &[0x01]), "01");
        let zero_exp = format!("{}", Rendered::new(t(0x9F02), &[0, 0, 0, 0, 0x88, 0x80], 0));
        assert_eq!(zero_exp, "000000008880 (8880)");
    }
}
