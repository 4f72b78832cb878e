//! Loading the shared vector files of `spec-vectors/`.

use serde_json::Value;

/// A vector file's `vectors` array.
pub fn vectors(file: &str) -> Vec<Value> {
    let path = format!("{}/tests/spec-vectors/{file}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let doc: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
    let vectors = doc["vectors"].as_array().expect("vectors array").clone();
    assert!(!vectors.is_empty(), "{file} has no vectors");
    vectors
}

/// Hex text to bytes.
pub fn hex(s: &str) -> Vec<u8> {
    assert!(s.len().is_multiple_of(2), "odd hex {s}");
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap_or_else(|_| panic!("hex {s}")))
        .collect()
}

/// Bytes to upper-case hex.
pub fn upper(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

/// A string field.
pub fn text<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("{}: no string field {key}", v["id"]))
}

/// A hex field as bytes.
pub fn bytes(v: &Value, key: &str) -> Vec<u8> {
    hex(text(v, key))
}

/// The vector's id, for messages.
pub fn id(v: &Value) -> &str {
    v["id"].as_str().unwrap_or("?")
}
