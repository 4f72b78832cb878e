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
