//! The integration tests of cardwire-merchant, one binary. Vectors are read from
//! `tests/spec-vectors/` (the repository's `spec-vectors/`, packaged with the crate).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::cast_possible_truncation
)] // tests may fail loudly

mod audit;
mod no_alloc;
mod reconcile;
mod reconcile_memory;
mod reconcile_vectors;
mod rules;
mod statement_reader;
mod tables;
mod vectors;

/// The path of a file under `spec-vectors/`.
pub fn spec(name: &str) -> String {
    format!("{}/tests/spec-vectors/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// A finding as the spec vectors and the command line show it: rule, severity, line,
/// occurrences and the evidence's named fields.
pub fn finding_json(f: &cardwire_merchant::Finding) -> serde_json::Value {
    serde_json::json!({
        "rule": f.rule().id(),
        "severity": f.severity().id(),
        "line": f.first_line(),
        "occurrences": f.occurrences(),
        "evidence": fields_json(|v| f.evidence().fields(v)),
    })
}

/// Named fields as a JSON object.
pub fn fields_json(
    each: impl FnOnce(&mut dyn FnMut(&'static str, cardwire_merchant::FieldValue<'_>)),
) -> serde_json::Value {
    use cardwire_merchant::FieldValue;
    let mut map = serde_json::Map::new();
    each(&mut |name, value| {
        let v = match value {
            FieldValue::Number(n) => serde_json::json!(n),
            FieldValue::Flag(b) => serde_json::json!(b),
            FieldValue::Text(t) => serde_json::json!(t.to_string()),
            FieldValue::Absent => serde_json::Value::Null,
        };
        map.insert(name.to_owned(), v);
    });
    serde_json::Value::Object(map)
}
