//! Runs every vector set in `spec-vectors/` that the crates implement and prints a summary.
//!
//! `cargo run --example vectors` — exits non-zero if any vector fails.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::process::ExitCode;

use cardwire::emv::tlv::{Mode, Reader};
use serde_json::Value;

fn load(name: &str) -> Value {
    let path = format!("{}/spec-vectors/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// TLV: every `ok` vector validates, every error vector fails at the stated offset.
fn tlv() -> Outcome {
    let doc = load("tlv.json");
    let mut failures = Vec::new();
    let vectors = doc["vectors"].as_array().unwrap();
    for v in vectors {
        let id = v["id"].as_str().unwrap_or("?");
        let data = cardwire::emv::hex::decode_to_vec(v["hex"].as_str().unwrap()).unwrap();
        let mode = if v["mode"] == "lenient" {
            Mode::Lenient
        } else {
            Mode::Strict
        };
        let result = Reader::with_mode(&data, mode).validate();
        let ok = match (&v["expect"], result) {
            (Value::String(_), Ok(())) => true,
            (Value::Object(e), Err(err)) => e["offset"].as_u64() == Some(err.offset() as u64),
            _ => false,
        };
        if !ok {
            failures.push(format!("tlv.json {id}"));
        }
    }
    (vectors.len(), failures)
}

/// A vector set: how many vectors ran and which failed.
type Outcome = (usize, Vec<String>);

/// Runs one vector set.
type Runner = fn() -> Outcome;

/// The vector sets, by name.
const SETS: &[(&str, Runner)] = &[("BER-TLV", tlv)];

fn main() -> ExitCode {
    let mut failed = Vec::new();
    for &(name, run) in SETS {
        let (count, failures) = run();
        println!("{name:<12} {:>4} vectors, {} failed", count, failures.len());
        failed.extend(failures);
    }
    for f in &failed {
        println!("FAILED: {f}");
    }
    if failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
