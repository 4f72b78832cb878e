//! The integration tests of cardwire-emv, one binary:
//! - `tlv_vectors`: every vector of `spec-vectors/tlv.json` through reader, walk, paths and
//!   builder;
//! - `tlv_props`: deterministic pseudo-random inputs (never a panic, strict input re-encodes
//!   byte for byte);
//! - `walk_reference`: the walk and the reader agree with a plain recursive reference reader
//!   (`reference`, shared with the `tlv_walk` fuzz target) on every object and every fault;
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
mod reference;
mod tlv_props;
mod tlv_vectors;
mod walk_reference;

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

/// A small, fast pseudo-random generator: the same inputs on every run.
#[derive(Debug)]
pub struct XorShift(pub u64);

impl XorShift {
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// Random bytes biased towards TLV-looking structure.
pub fn random_tlv(rng: &mut XorShift) -> Vec<u8> {
    let len = (rng.next_u64() % 64) as usize;
    let interesting = [
        0x00, 0xFF, 0x70, 0x9F, 0x5F, 0x81, 0x82, 0x80, 0x84, 0xDF, 0x01, 0x5A, 0x57,
    ];
    (0..len)
        .map(|_| {
            let r = rng.next_u64();
            if r.is_multiple_of(3) {
                interesting[(r >> 8) as usize % interesting.len()]
            } else {
                (r >> 16) as u8
            }
        })
        .collect()
}
