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

// Bottom up: each module uses only those above it (the error type excepted: it names the tag
// being read). Bytes first,
mod error;
pub mod hex;
pub mod tlv;

// then the facts about tags and their masking,
pub mod tags;

pub mod mask;

pub mod dict;

// then what is built on them.
pub mod dol;

pub mod bits;
pub mod describe;
pub mod qr;

pub use error::{Error, ErrorKind};
