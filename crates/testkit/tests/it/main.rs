//! The integration tests of the POS terminal and the acquirer host that need the fixtures of
//! `spec-vectors/pos-fixtures.json`, or both sides at once: one test binary, a module each.

// Test helpers may fail loudly: a failed unwrap is a failed test. (One preamble for the one
// test binary.)
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::cast_possible_truncation
)]

mod cluster;
mod flow;
mod fuzz_seeds;
mod host;
mod host_duplicate;
mod key_download;
mod ledger;
mod pg_registry;
mod reconcile;
mod security;
mod seeds;
mod service;
mod sm4_profile;
mod terminal;
mod terminal_card;
mod transport;

/// A throw-away PostgreSQL database for the test `name`, or `None` with the reason the test
/// is skipped printed (a test without its server says so rather than passing silently).
fn pg_db(name: &str) -> Option<cardwire_testkit::PgDb> {
    cardwire_testkit::PgDb::new(name)
        .map_err(|reason| eprintln!("SKIPPED {name}: {reason}"))
        .ok()
}
