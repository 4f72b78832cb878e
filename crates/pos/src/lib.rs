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

// Unit tests format into `String`s whatever the features.
#[cfg(any(feature = "alloc", test))]
extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

pub mod card;
mod config;
mod error;
pub mod key_download;
pub mod receipt;
pub mod terminal;
pub mod text;
#[cfg(feature = "std")]
pub mod transport;

pub use cardwire_iso8583::cups::ResponseCode;
pub use cardwire_iso8583::time::DateTime;
pub use config::Config;
pub use error::{Error, ErrorKind, Result};
pub use terminal::{Outcome, Sent, Terminal};
