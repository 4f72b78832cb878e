//! The tag dictionary: every data element of EMV 4.4 Book 3 Annex A, the contactless kernel
//! tags a POS meets (Visa qVSDC, Mastercard, UnionPay QuickPass / qPBOC) and the UnionPay,
//! PBOC and CUPS terminal-parameter tags.
//!
//! The table is generated at build time from `data/tags.tsv`, like the named constants of
//! [`tags`]; a lookup is a binary search over a sorted array of `u32` keys, allocates nothing
//! and works without `alloc`.
//!
//! ```
//! use cardwire_emv::dict::{self, Format};
//! use cardwire_emv::{tag, tags};
//!
//! let amount = dict::lookup(tags::AMOUNT_AUTHORISED_NUMERIC).unwrap();
//! assert_eq!(amount.name, "Amount, Authorised (Numeric)");
//! assert_eq!((amount.format, amount.min_len, amount.max_len), (Format::N, 6, 6));
//! assert_eq!(dict::name(tag!(0x9F74)), Some("Electronic Cash Issuer Authorisation Code"));
//! assert!(dict::lookup(tag!(0x9F8101)).is_none());
//! ```
//!
//! Several scheme tags mean different things to different kernels (`9F6B` is the Card CVM
//! Limit for UnionPay and Visa, Track 2 Data for Mastercard). The dictionary names the meaning
//! a UnionPay POS meets and keeps the others in [`TagInfo::other`].

use crate::tags;
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
    /// The EMVCo QR Code Specification for Payment Systems, consumer-presented mode.
    EmvQr,
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

/// How [`Describe`](crate::describe::Describe) shows a value beyond what its format says.
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

include!(concat!(env!("OUT_DIR"), "/dict.rs"));

/// The entry for `tag`, if the dictionary knows it.
#[inline]
pub fn lookup(tag: Tag) -> Option<&'static TagInfo> {
    let i = KEYS.binary_search(&tag.to_u32()).ok()?;
    INFO.get(i)
}

/// The name of `tag`, if known. Usable as a [`TagNamer`](crate::describe::TagNamer).
pub fn name(tag: Tag) -> Option<&'static str> {
    lookup(tag).map(|i| i.name)
}

/// The format of `tag`; `b` for tags the dictionary does not know (EMV Book 3 §5.4 treats an
/// unknown data element as binary when it builds DOL data).
pub fn format(tag: Tag) -> Format {
    lookup(tag).map_or(Format::B, |i| i.format)
}

/// Every entry, ordered by tag.
pub fn entries() -> &'static [TagInfo] {
    &INFO
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tag;

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
            name(tags::PAN),
            Some("Application Primary Account Number (PAN)")
        );
        assert_eq!(format(tags::PAN), Format::Cn);
        assert_eq!(format(tag!(0xDF7F)), Format::B);
        assert_eq!(
            lookup(tags::CARDHOLDER_ID_NUMBER).unwrap().other,
            Some("Mastercard: CVC3 (Track 2)")
        );
        assert_eq!(
            lookup(tags::OUTCOME_PARAMETER_SET).unwrap().origin,
            Origin::Mastercard
        );
        assert_eq!(
            lookup(tags::AUTHORISATION_RESPONSE_CODE).unwrap().source,
            Source::IssuerOrTerminal
        );
        assert_eq!(
            lookup(tags::APPLICATION_DEDICATED_FILE_NAME)
                .unwrap()
                .templates,
            &[tags::APPLICATION_TEMPLATE]
        );
    }

    #[test]
    fn constant_names_follow_the_rule() {
        // Words in upper snake case; a trailing abbreviation is the name; one inside is left
        // out; shared names get the hex.
        assert_eq!(
            name(tags::AMOUNT_AUTHORISED_NUMERIC),
            Some("Amount, Authorised (Numeric)")
        );
        assert_eq!(name(tags::TVR), Some("Terminal Verification Results (TVR)"));
        assert_eq!(
            name(tags::CDOL1),
            Some("Card Risk Management Data Object List 1 (CDOL1)")
        );
        assert_eq!(
            name(tags::DEDICATED_FILE_NAME),
            Some("Dedicated File (DF) Name")
        );
        assert_eq!(
            name(tags::POINT_OF_SERVICE_ENTRY_MODE),
            Some("Point-of-Service (POS) Entry Mode")
        );
        assert_eq!(tags::ISSUER_SCRIPT_RESULTS_9F5B.to_u32(), 0x9F5B);
        assert_eq!(tags::ISSUER_SCRIPT_RESULTS_DF31.to_u32(), 0xDF31);
        assert_eq!(tags::PAYLOAD_FORMAT_INDICATOR.to_u32(), 0x85);
    }
}
