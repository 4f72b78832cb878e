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
#[cfg(all(feature = "std", not(test)))]
extern crate std;
// Unit tests use `format!` and `vec!`.
#[cfg(test)]
#[macro_use]
extern crate std;

pub mod block;
pub mod card;
pub mod cups;
pub mod dukpt;
pub mod emv;
mod error;
mod hex;
pub mod key;
pub mod mac;
pub mod pin;
pub mod sm;
pub mod tr31;

pub use error::{Error, ErrorKind, Result};
pub use key::{AesKey, SecretKey, TdesKey};
