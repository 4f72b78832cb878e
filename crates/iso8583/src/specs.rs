//! The built-in specs, generated at build time from the JSON files in `specs/` (the same
//! files load at run time through [`MessageSpec`]'s serde support).
//!
//! ```
//! use cardwire_iso8583::specs;
//! let cups = specs::by_name("cups").unwrap();
//! assert_eq!(cups.field(35).unwrap().name.to_string(), "Track 2 data");
//! assert!(specs::ALL.iter().all(|s| s.check().is_ok()));
//! ```

use cardwire_emv::tlv::Mode;

use crate::spec::{
    BitmapEncoding, Class, Encoding, FieldSpec, Format, Length, LengthUnit, Mask, MessageSpec,
    MtiEncoding, PrefixEncoding, SpecList, SpecStr, SubfieldSpec, Subfields,
};

include!(concat!(env!("OUT_DIR"), "/specs.rs"));

/// The built-in spec called `name`: `iso87-ascii`, `iso87-binary`, `iso93-binary`, `cups`,
/// `cups-sm4` (`cups` with the 16-byte PIN block of the SM4 profile in field 52 and track
/// data enciphered under the SM4 TDK in 35 and 36) or `cups-enc-track` (`cups` with track
/// data enciphered under the TDES TDK).
pub fn by_name(name: &str) -> Option<&'static MessageSpec> {
    ALL.iter().copied().find(|s| s.name() == name)
}
