//! The fast walk against the plain reference reader of the crate's tests, on any bytes, both
//! modes: the same objects (offset, tag, depth, value) in the same order, the same first fault
//! (kind and offset), and `validate` agreeing.
#![no_main]

use cardwire_emv::tlv::{Mode, Reader};
use libfuzzer_sys::fuzz_target;

#[allow(dead_code)] // `MAX_DEPTH` serves the crate's tests
#[path = "../../crates/emv/tests/it/reference.rs"]
mod reference;

use reference::{Fault, Object};

fn walk(data: &[u8], mode: Mode) -> (Vec<Object>, Option<Fault>) {
    let mut objects = Vec::new();
    for item in Reader::with_mode(data, mode).walk() {
        match item {
            Ok(tlv) => objects.push(Object {
                offset: tlv.offset(),
                tag: tlv.tag().to_bytes().to_vec(),
                depth: tlv.depth(),
                value_offset: tlv.value_offset(),
                len: tlv.len(),
            }),
            Err(e) => {
                let fault = Fault {
                    kind: format!("{:?}", e.kind()),
                    offset: e.offset(),
                };
                return (objects, Some(fault));
            }
        }
    }
    (objects, None)
}

fuzz_target!(|data: &[u8]| {
    for mode in [Mode::Strict, Mode::Lenient] {
        let expected = reference::walk(data, mode == Mode::Lenient);
        assert_eq!(walk(data, mode), expected, "{mode:?}");
        let valid = Reader::with_mode(data, mode).validate().is_ok();
        assert_eq!(valid, expected.1.is_none(), "{mode:?} validate");
    }
});
