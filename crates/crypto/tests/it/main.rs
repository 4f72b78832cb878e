#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::cast_possible_truncation
)] // tests may fail loudly
//! The crate's integration tests, one binary: every vector file of `spec-vectors/` that
//! concerns cryptography, run through the public API.

mod common;
mod dukpt;
mod emv;
mod sm;
mod tr31;
mod track;
mod translate;
mod vectors;
