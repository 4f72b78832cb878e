#![no_std]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![warn(
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    clippy::alloc_instead_of_core
)]

#[cfg(feature = "alloc")]
extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

mod bitmap;
mod chars;
pub mod cups;
mod decimal;
mod describe;
mod encode;
mod error;
pub mod frame;
#[cfg(feature = "json")]
pub mod json;
mod message;
mod mti;
mod plan;
pub mod spec;
pub mod specs;
mod text;
pub mod time;

pub use bitmap::{Bitmap, Iter as BitmapIter};
pub use chars::Chars;
pub use describe::{Describe, FieldValue, Notation};
pub use encode::{Encoded, Encoder};
pub use error::{Error, ErrorKind, FieldPath, Sub};
pub use message::{Field, Message, Partial, Subfield, SubfieldError, SubfieldIter};
pub use mti::Mti;
pub use spec::MessageSpec;

/// `cardwire-emv`, the crate field 55 is read with: one dependency reads a message and its
/// chip data.
///
/// ```
/// use cardwire_iso8583::emv::tags;
/// use cardwire_iso8583::emv::tlv::{Mode, Reader};
///
/// // Field 55 as a CUPS request carries it: 9F02 (amount) and UnionPay's trailing 00.
/// let field55 = [0x9F, 0x02, 0x06, 0, 0, 0, 0, 0x01, 0x00, 0x00];
/// let reader = Reader::with_mode(&field55, Mode::Lenient);
/// let amount = reader.find(tags::AMOUNT_AUTHORISED_NUMERIC)?.map(|t| t.value());
/// assert_eq!(amount, Some(&[0, 0, 0, 0, 0x01, 0x00][..]));
/// # Ok::<(), cardwire_iso8583::emv::Error>(())
/// ```
pub use cardwire_emv as emv;
