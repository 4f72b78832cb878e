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

// The host keeps a registry and a session cache: an allocator is always needed.
extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

#[cfg(feature = "server")]
pub mod config;
mod error;
pub mod host;
#[cfg(feature = "server")]
pub mod import;
#[cfg(feature = "std")]
pub mod keystore;
pub mod ledger;
#[cfg(feature = "server")]
pub mod profiles;
#[cfg(feature = "sqlite")]
pub mod records;
pub mod registry;
#[cfg(feature = "server")]
pub mod server;
#[cfg(feature = "sqlite")]
mod sqldb;
#[cfg(feature = "std")]
pub mod statement;
#[cfg(feature = "sqlite")]
pub mod store;

pub use cardwire_iso8583::cups::ResponseCode;
pub use cardwire_iso8583::time::DateTime;
pub use error::{Error, ErrorKind, Result};
pub use host::{Answer, Host};
pub use host::{Lockout, SecurityCounts};
pub use registry::{Cardholder, IssuerKeys, Merchant, Registry, TerminalEntry, TerminalProfile};

/// The operating system's random source, for [`Host::handle`] under `std`.
#[cfg(feature = "std")]
pub use getrandom::SysRng as OsRng;
