//! Reading allocates nothing: counted with a counting global allocator around a full walk.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::cast_possible_truncation
)] // tests may fail loudly

use cardwire_emv::tlv::Reader;

#[test]
fn walking_field_55_allocates_nothing() {
    let doc: serde_json::Value =
        serde_json::from_str(include_str!("../../../spec-vectors/tlv.json")).unwrap();
    let inputs: Vec<Vec<u8>> = doc["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| cardwire_emv::hex::decode_to_vec(v["hex"].as_str().unwrap()).unwrap())
        .collect();
    let mut nodes = 0usize;
    let counts = allocation_counter::measure(|| {
        for data in &inputs {
            for tlv in Reader::lenient(data).walk().flatten() {
                nodes += tlv.len();
            }
            let _ = Reader::new(data).validate();
        }
    });
    assert!(nodes > 0);
    assert_eq!(counts.count_total, 0, "reading allocated");
}
