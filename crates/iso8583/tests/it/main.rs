//! The integration tests of cardwire-iso8583, one binary: a module per concern.
//!
//! `no_alloc` installs allocation-counter's counting global allocator for the whole binary;
//! it counts per thread, so the tests that run beside it in parallel do not disturb it.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::cast_possible_truncation
)] // tests may fail loudly

mod cups;
mod field_alignment;
mod frame;
mod no_alloc;
mod specs;
mod vectors;

use serde_json::Value;

/// The vectors of `spec-vectors/{file}`.
fn load(file: &str) -> Vec<Value> {
    let path = format!("{}/tests/spec-vectors/{file}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let doc: Value = serde_json::from_str(&text).unwrap();
    doc["vectors"].as_array().unwrap().clone()
}

/// The bytes (`hex`) of vector `id` in `spec-vectors/{file}`.
fn vector_hex(file: &str, id: &str) -> Vec<u8> {
    let v = load(file).into_iter().find(|v| v["id"] == id).unwrap();
    cardwire_emv::hex::decode_to_vec(v["hex"].as_str().unwrap()).unwrap()
}
