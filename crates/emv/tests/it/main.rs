//! The integration tests of cardwire-emv, one binary:
//! - `tlv_vectors`: every vector of `spec-vectors/tlv.json` through reader, walk, paths and
//!   builder;
//! - `tlv_props`: deterministic pseudo-random inputs (never a panic, strict input re-encodes
//!   byte for byte);
//! - `no_alloc`: reading allocates nothing. The counting allocator of `allocation-counter`
//!   counts per thread, so the other tests running beside it in this binary do not disturb
//!   its count.
//!
//! The vectors are read from `tests/vectors/`, which links to the repository's
//! `spec-vectors/`, so the tests also run from the published package.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::cast_possible_truncation
)] // tests may fail loudly

mod no_alloc;
mod tlv_props;
mod tlv_vectors;

use serde_json::Value;

/// The vectors of `spec-vectors/tlv.json`.
pub fn tlv_vectors() -> Vec<Value> {
    let doc: Value = serde_json::from_str(include_str!("../vectors/tlv.json")).unwrap();
    doc["vectors"].as_array().unwrap().clone()
}

/// The bytes of a hex string.
pub fn bytes(hex: &str) -> Vec<u8> {
    cardwire_emv::hex::decode_to_vec(hex).unwrap()
}
