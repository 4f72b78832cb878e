#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
// Test support fails loudly: a fixture that does not load or a request that does not encode
// is a broken test, and its panic says where.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation
)]

use cardwire_iso8583::time::DateTime;

pub mod fake_host;
pub mod fixtures;
pub mod oracle;
#[cfg(feature = "sqlite")]
pub mod pg;
pub mod request;
pub mod rng;
pub mod scan;
#[cfg(feature = "sqlite")]
pub mod scenario;
pub mod seeds;
pub mod temp;

pub use fake_host::FakeHost;
pub use fixtures::{CardFixture, Fixtures, MerchantFixture, TerminalFixture};
#[cfg(feature = "sqlite")]
pub use pg::{NoServer, PgDb};
pub use request::{Entry, ReplyView, Req, TestTerminal, message};
pub use rng::CounterRng;
#[cfg(feature = "sqlite")]
pub use scenario::Scenario;
pub use seeds::{SEED, seed_requests, seed_session};
pub use temp::TempDir;

/// The acquirer host's clock in the tests, the seeds and the fuzz target: 2026-11-26 10:00:00.
pub const HOST_TIME: DateTime = match DateTime::new(2026, 11, 26, 10, 0, 0) {
    Some(t) => t,
    None => panic!("a date that exists"),
};

/// The key store the tests, examples and benchmarks open SQLite ledgers with: a fixed,
/// public key-encryption key — for tests only; a host takes its KEK from a file or the
/// environment (`cardwire_acquirer::keystore::SoftwareKeyStore::from_file`).
#[cfg(feature = "sqlite")]
pub fn test_key_store() -> cardwire_acquirer::keystore::SoftwareKeyStore {
    cardwire_acquirer::keystore::SoftwareKeyStore::new(TEST_KEK)
}

/// The key-encryption key of [`test_key_store`] (tests scan files for it).
pub const TEST_KEK: [u8; 32] = [0x4b; 32];
