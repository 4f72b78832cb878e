//! EMV QR codes (EMVCo QR Code Specification for Payment Systems):
//!
//! - [`Mpm`]: merchant-presented mode, parsed without allocation: ID/length/value data
//!   objects whose lengths count characters (UTF-8), nested templates (26–51 merchant
//!   account information, 62 additional data, 64 language, 80–99 unreserved, and the
//!   payment system templates 50–99 inside 62), the CRC-16/CCITT-FALSE over the payload up to
//!   and including `6304`; built with [`MpmBuilder`] into a caller buffer;
//! - [`Cpm`]: consumer-presented mode, base64 of BER-TLV starting `85 05 "CPV01"`;
//! - [`UnionPayUrl`]: the China-domestic UnionPay form `https://qr.95516.com/…`, which is a URL,
//!   not EMVCo data objects.
//!
//! A malformed payload is rejected with the byte offset of the fault, never a panic.
//!
//! ```
//! use cardwire_emv::qr::Mpm;
//!
//! let payload = "00020101021229300012D156000000000510A93FO3230Q31280012D15600000001030812345678\
//!     520441115802CN5914BEST TRANSPORT6007BEIJING64200002ZH0104最佳运输0202北京540523.7253031565502\
//!     016233030412340603***0708A60086670902ME91320016A0112233449988770708123456786304A13A";
//! let mpm = Mpm::parse(payload)?;
//! let merchant = mpm.merchant();
//! assert_eq!((merchant.mcc, merchant.name, merchant.city), (Some("4111"), Some("BEST TRANSPORT"), Some("BEIJING")));
//! assert_eq!(merchant.name_alternate, Some("最佳运输"));
//! assert_eq!(mpm.get(62).and_then(|t| t.get(7)).map(|o| o.value()), Some("A6008667"));
//!
//! let wrong_crc = payload.replace("A13A", "A13B");
//! let err = Mpm::parse(&wrong_crc).unwrap_err();
//! assert_eq!(err.offset(), payload.len() - 4);
//! # Ok::<(), cardwire_emv::Error>(())
//! ```

mod builder;
mod cpm;
mod mpm;
mod unionpay;

pub use builder::MpmBuilder;
pub use cpm::{Cpm, encode_cpm};
pub use mpm::{DataObject, Merchant, Mpm, Objects, crc16};
pub use unionpay::UnionPayUrl;

/// Where a data object sits, which decides its ID's meaning.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scope {
    /// The payload's top level.
    Top,
    /// Inside a merchant account information template (26–51), an unreserved template
    /// (80–99) or a payment system template inside 62.
    Account,
    /// Inside the additional data field template (62).
    AdditionalData,
    /// Inside the merchant information language template (64).
    Language,
}

include!(concat!(env!("OUT_DIR"), "/qr_ids.rs"));

/// The specification's name for `id` in `scope`.
pub fn name(scope: Scope, id: u8) -> Option<&'static str> {
    QR_IDS
        .iter()
        .find(|(s, from, to, _, _)| *s == scope && (*from..=*to).contains(&id))
        .map(|(_, _, _, _, name)| *name)
}

/// The scope of the children of template `id` found in `scope`, if `id` is a template there.
#[inline]
pub fn template_scope(scope: Scope, id: u8) -> Option<Scope> {
    is_template(scope, id).then_some(match (scope, id) {
        (Scope::Top, 62) => Scope::AdditionalData,
        (Scope::Top, 64) => Scope::Language,
        _ => Scope::Account,
    })
}

/// What a scanned QR text is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// EMVCo merchant-presented mode (starts with `000201`).
    Mpm,
    /// The China-domestic UnionPay URL form.
    UnionPayUrl,
    /// Possibly consumer-presented mode: base64 characters only.
    Cpm,
    /// None of these.
    Unknown,
}

impl Kind {
    /// Guesses the kind from the text's shape (not a validation: parse to be sure).
    pub fn detect(text: &str) -> Kind {
        if text.starts_with("000201") {
            Kind::Mpm
        } else if UnionPayUrl::parse(text).is_some() {
            Kind::UnionPayUrl
        } else if !text.is_empty()
            && text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
        {
            Kind::Cpm
        } else {
            Kind::Unknown
        }
    }
}
