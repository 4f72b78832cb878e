//! Reading allocates nothing: counted with a counting global allocator around a full walk,
//! validation, and an index built, walked and searched.

use cardwire_emv::tlv::{Reader, Slot};

#[test]
fn walking_field_55_allocates_nothing() {
    let inputs: Vec<Vec<u8>> = crate::tlv_vectors()
        .iter()
        .map(|v| crate::bytes(v["hex"].as_str().unwrap()))
        .collect();
    let mut nodes = 0usize;
    let mut slots = [Slot::EMPTY; 64];
    let counts = allocation_counter::measure(|| {
        for data in &inputs {
            for tlv in Reader::lenient(data).walk().flatten() {
                nodes += tlv.len();
            }
            let _ = Reader::new(data).validate();
            if let Ok(index) = Reader::lenient(data).index(&mut slots) {
                nodes += index.iter().map(|t| t.len()).sum::<usize>();
                nodes += index.find(cardwire_emv::tags::PAN).map_or(0, |t| t.len());
            }
        }
    });
    assert!(nodes > 0);
    assert_eq!(counts.count_total, 0, "reading allocated");
}
