//! Runs every vector set in `spec-vectors/` that the crates implement and prints a summary.
//!
//! `cargo run --example vectors` — exits non-zero if any vector fails.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::cast_possible_truncation
)]

#[path = "vectors/crypto.rs"]
mod crypto;
#[path = "vectors/crypto_tools.rs"]
mod crypto_tools;
#[path = "vectors/emv.rs"]
mod emv;
#[path = "vectors/iso8583.rs"]
mod iso8583;
#[path = "vectors/merchant.rs"]
mod merchant;

use std::process::ExitCode;

use cardwire::emv::hex::decode_to_vec;
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
        let data = decode_to_vec(v["hex"].as_str().unwrap()).unwrap();
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
const SETS: &[(&str, Runner)] = &[
    ("BER-TLV", tlv),
    ("Tag dictionary", emv::dictionary),
    ("DOL", emv::dol),
    ("Bit fields", emv::bits),
    ("EMV QR", emv::qr),
    ("merchant", merchant::merchant),
    ("DUKPT TDES", crypto::dukpt_tdes),
    (
        "DUKPT TDES terminal/host, every counter",
        crypto::dukpt_tdes_terminal,
    ),
    ("DUKPT AES", crypto::dukpt_aes),
    ("PIN blocks", crypto::pin_blocks),
    ("MACs", crypto::macs),
    ("TR-31", crypto::tr31),
    ("Card values", crypto::card_values),
    ("CUPS MAC, field 62", crypto::cups),
    ("EMV cryptograms", crypto::emv_cryptograms),
    ("PIN translation", crypto_tools::pin_translation),
    ("EMV issuer tools", crypto_tools::issuer_tools),
    ("ISO 8583", iso8583::messages),
];

fn main() -> ExitCode {
    let mut failed = Vec::new();
    for &(name, run) in SETS {
        let (count, failures) = run();
        println!("{name:<40} {count:>8} checks, {} failed", failures.len());
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
