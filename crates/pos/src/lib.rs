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

pub mod card;
mod error;
#[cfg(feature = "alloc")]
pub mod host;
#[cfg(feature = "alloc")]
pub mod ledger;
pub mod receipt;
pub mod response;
#[cfg(feature = "std")]
pub mod statement;
pub mod terminal;
#[cfg(feature = "testkit")]
#[doc(hidden)]
pub mod testkit;
pub mod text;
#[cfg(feature = "std")]
pub mod transport;

pub use error::{Error, ErrorKind, Result};
pub use response::ResponseCode;
pub use terminal::{Config, DateTime, Outcome, Sent, Terminal};
