//! Decoding allocates nothing: counted with allocation-counter's counting global allocator
//! around decoding, validation, field access, subfields and TLV walks of every vector.

use cardwire_iso8583::{Message, specs};

use super::load;

#[test]
fn decoding_every_vector_allocates_nothing() {
    let mut inputs: Vec<(&'static str, Vec<u8>)> = Vec::new();
    for name in ["iso8583.json", "iso8583-cups.json", "iso8583-errors.json"] {
        for v in load(name) {
            if v["framed"] == true {
                continue;
            }
            let spec = specs::by_name(v["spec"].as_str().unwrap()).unwrap().name();
            let spec: &'static str = specs::ALL.iter().find(|s| s.name() == spec).unwrap().name();
            inputs.push((
                spec,
                cardwire_emv::hex::decode_to_vec(v["hex"].as_str().unwrap()).unwrap(),
            ));
        }
    }
    let mut touched = 0usize;
    let mut decoded = 0usize;
    let counts = allocation_counter::measure(|| {
        for (name, data) in &inputs {
            let spec = specs::by_name(name).unwrap();
            let partial = Message::decode_partial(spec, data);
            if let Ok(msg) = Message::decode(spec, data) {
                decoded += 1;
                for f in msg.fields() {
                    touched += f.chars().iter().map(usize::from).sum::<usize>();
                    touched += f.subfields().flatten().count();
                    if let Some(tlv) = f.tlv() {
                        touched += tlv.walk().flatten().count();
                    }
                }
                touched += msg.mab().map_or(0, <[u8]>::len);
            }
            touched += partial.message.fields().count();
            let _ = Message::decode_lazy(spec, data).map(|m| m.validate());
            let _ = Message::peek(spec, data, 41);
        }
    });
    // The counter is installed and counts: a control allocation is seen.
    assert!(allocation_counter::measure(|| drop(std::hint::black_box(vec![1u8]))).count_total > 0);
    assert!(decoded >= 25 && touched > 0, "{decoded} decoded");
    assert_eq!(counts.count_total, 0, "decoding allocated");
}
