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

// The ladder, bottom up: each floor uses only the floors above it here.
// Ground floor: storage, errors, hex text, keys.
mod buf;
mod error;
mod hex;
pub mod key;
#[cfg(test)]
mod test_rng;

// Block ciphers and their modes, on keys.
pub mod block;

// MACs, on ciphers.
pub mod mac;

// Check values, on ciphers and MACs.
pub mod kcv;

// PINs and PIN blocks, on ciphers.
pub mod pin;

// The payment algorithms, on all of the above; none uses another.
pub mod card;
pub mod cups;
pub mod dukpt;
pub mod emv;
pub mod sm;
pub mod tr31;
pub mod track;

// PIN translation, on PIN blocks and DUKPT.
pub mod translate;

pub use error::{Error, ErrorKind, Result};
pub use key::{AesKey, AesKeyLength, SecretKey, TdesKey, TdesKeyLength};
