//! BER-TLV as EMV uses it (EMV 4.4 Book 3 Annex B): reading without allocation, building
//! into caller buffers, masking for display.
//!
//! ```
//! use cardwire_emv::tlv::{Reader, Tag};
//! // Amount, authorised (9F02) and the transaction currency code (5F2A).
//! let data = [0x9F, 0x02, 0x06, 0, 0, 0, 0, 0x10, 0, 0x5F, 0x2A, 0x02, 0x01, 0x56];
//! let mut tags = Reader::new(&data).map(|t| t.map(|t| t.tag().to_u32()));
//! assert_eq!(tags.next(), Some(Ok(0x9F02)));
//! assert_eq!(tags.next(), Some(Ok(0x5F2A)));
//! assert_eq!(tags.next(), None);
//! let currency = Reader::new(&data).find(Tag::from_u32(0x5F2A).unwrap())?.unwrap();
//! assert_eq!(currency.value(), &[0x01, 0x56]);
//! # Ok::<(), cardwire_emv::Error>(())
//! ```

mod builder;
mod describe;
#[cfg(feature = "alloc")]
mod node;
mod path;
mod reader;
mod tag;

pub use builder::{Builder, encoded_len, length_len};
pub use describe::{Describe, TagNamer};
#[cfg(feature = "alloc")]
pub use node::{Node, to_vec};
pub use path::Path;
pub use reader::{Mode, Reader, Tlv, Walk};
pub use tag::{Class, Tag};

/// The deepest nesting of templates read or built (EMV data nests four or five levels).
pub const MAX_DEPTH: usize = 16;
