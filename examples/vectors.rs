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

/// ISO 8583: every message decodes to its JSON and re-encodes to the same bytes; every error
/// vector fails at the stated field and offset.
fn iso8583() -> Outcome {
    use cardwire_iso8583::frame::FrameFormat;
    use cardwire_iso8583::{Message, json, specs};
    let mut failures = Vec::new();
    let mut count = 0;
    for file in ["iso8583.json", "iso8583-cups.json", "iso8583-errors.json"] {
        for v in load(file)["vectors"].as_array().unwrap() {
            count += 1;
            let id = v["id"].as_str().unwrap_or("?");
            let spec = specs::by_name(v["spec"].as_str().unwrap()).unwrap();
            let frame = if spec.name() == "cups" {
                FrameFormat::CUPS
            } else {
                FrameFormat::NAC
            };
            let data = cardwire::emv::hex::decode_to_vec(v["hex"].as_str().unwrap()).unwrap();
            let framed = v["framed"] == true;
            let decoded = if framed {
                json::decode_framed(spec, &frame, &data, true)
            } else {
                Message::decode(spec, &data).map(|m| json::to_json(&m, true))
            };
            let ok = match (decoded, &v["error"]) {
                (Ok(value), Value::Null) => {
                    let again = if framed {
                        json::encode_framed(spec, &frame, &value)
                    } else {
                        json::encode_to_vec(spec, &value)
                    };
                    value == v["decoded"] && again.as_deref() == Ok(&data[..])
                }
                (Err(e), Value::Object(want)) => {
                    want["path"] == e.path().to_string()
                        && want["offset"].as_u64() == Some(e.offset() as u64)
                }
                _ => false,
            };
            if !ok {
                failures.push(format!("{file} {id}"));
            }
        }
    }
    (count, failures)
}

/// A vector set: how many vectors ran and which failed.
type Outcome = (usize, Vec<String>);

/// Runs one vector set.
type Runner = fn() -> Outcome;

/// The vector sets, by name.
const SETS: &[(&str, Runner)] = &[("BER-TLV", tlv), ("ISO 8583", iso8583)];

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
