//! BER-TLV as EMV uses it (EMV 4.4 Book 3 Annex B): reading without allocation, building
//! into caller buffers. Masked display of what is read lives in [`crate::mask`] and
//! [`crate::describe`].
//!
//! [`Reader`] and [`Walk`] check every header as they read it. To look up many tags in one
//! input (a host reading field 55), [`Reader::index`] validates it once into the caller's
//! [`Slot`]s; the [`Indexed`] view then walks and searches without reading a header again.
//!
//! ```
//! use cardwire_emv::tags;
//! use cardwire_emv::tlv::Reader;
//! // Amount, authorised (9F02) and the transaction currency code (5F2A).
//! let data = [0x9F, 0x02, 0x06, 0, 0, 0, 0, 0x10, 0, 0x5F, 0x2A, 0x02, 0x01, 0x56];
//! let mut found = Reader::new(&data).map(|t| t.map(|t| t.tag()));
//! assert_eq!(found.next(), Some(Ok(tags::AMOUNT_AUTHORISED_NUMERIC)));
//! assert_eq!(found.next(), Some(Ok(tags::TRANSACTION_CURRENCY_CODE)));
//! assert_eq!(found.next(), None);
//! let currency = Reader::new(&data).find(tags::TRANSACTION_CURRENCY_CODE)?.unwrap();
//! assert_eq!(currency.value(), &[0x01, 0x56]);
//! # Ok::<(), cardwire_emv::Error>(())
//! ```

mod builder;
mod header;
mod index;
#[cfg(feature = "alloc")]
mod node;
mod path;
mod reader;
mod tag;
mod walk;

pub use builder::{Builder, encoded_len, length_len};
pub use index::{Indexed, IndexedIter, Slot};
#[cfg(feature = "alloc")]
pub use node::{Node, to_vec};
pub use path::Path;
pub use reader::{Mode, Reader, Tlv};
pub use tag::{Class, Tag};
pub use walk::Walk;

/// The deepest nesting of templates read or built (EMV data nests four or five levels).
pub const MAX_DEPTH: usize = 16;
