//! A named constant for every tag of the [dictionary](crate::dict), generated from
//! `data/tags.tsv` and checked when the crate is compiled.
//!
//! The name follows from the tag's name in the dictionary:
//!
//! 1. its words in upper snake case, every character that is not a letter or digit a separator:
//!    `Amount, Authorised (Numeric)` → [`AMOUNT_AUTHORISED_NUMERIC`], `Point-of-Service (POS)
//!    Entry Mode` → [`POINT_OF_SERVICE_ENTRY_MODE`];
//! 2. an abbreviation in parentheses (capitals and digits, such as `(DF)` or `(CVM)`) is left
//!    out — unless it ends the name, where it is the name: `Dedicated File (DF) Name` →
//!    [`DEDICATED_FILE_NAME`], `Terminal Verification Results (TVR)` → [`TVR`],
//!    `Application Primary Account Number (PAN)` → [`PAN`];
//! 3. two tags whose names give the same constant both get their hex appended:
//!    [`ISSUER_SCRIPT_RESULTS_9F5B`] (Visa) and [`ISSUER_SCRIPT_RESULTS_DF31`] (UnionPay).
//!
//! The meanings other schemes give a tag (see [`TagInfo::other`](crate::dict::TagInfo::other))
//! have no constant of their own. A tag outside the dictionary is written with
//! [`tag!`](crate::tag), which is checked at compile time too.
//!
//! ```
//! use cardwire_emv::tags;
//! use cardwire_emv::tlv::Reader;
//!
//! let field55 = [0x9F, 0x02, 0x06, 0, 0, 0, 0, 0x10, 0, 0x95, 0x05, 0, 0, 0, 0x80, 0];
//! let amount = Reader::new(&field55).find(tags::AMOUNT_AUTHORISED_NUMERIC)?.unwrap();
//! assert_eq!(amount.value(), &[0, 0, 0, 0, 0x10, 0]);
//! assert_eq!(tags::TVR.to_u32(), 0x95);
//! # Ok::<(), cardwire_emv::Error>(())
//! ```

use crate::tlv::Tag;

include!(concat!(env!("OUT_DIR"), "/tags.rs"));
