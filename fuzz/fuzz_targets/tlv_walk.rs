//! The fast walk against the plain reference reader of the crate's tests, on any bytes, both
//! modes: the same objects (offset, tag, depth, value) in the same order, the same first fault
//! (kind and offset), and `validate` agreeing. The index (`Reader::index`) against the walk:
//! the same objects and first finds, or the walk's error, or `TooManyObjects` past capacity.
#![no_main]

use cardwire_emv::ErrorKind;
use cardwire_emv::tlv::{Mode, Reader, Slot};
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

/// The index of `n` slots against the walk.
fn index_agrees(data: &[u8], mode: Mode, n: usize) {
    let reader = Reader::with_mode(data, mode);
    let mut walked = Vec::new();
    let mut fault = None;
    for item in reader.walk() {
        match item {
            Ok(tlv) => walked.push(tlv),
            Err(e) => {
                fault = Some(e);
                break;
            }
        }
    }
    let mut slots = vec![Slot::EMPTY; n];
    let built = reader.index(&mut slots);
    match (fault, built) {
        (Some(e), built) => assert_eq!(built.err(), Some(e), "{mode:?} index error"),
        (None, Err(e)) => {
            assert!(walked.len() > n, "{mode:?} index refused {e:?}");
            assert_eq!(e.kind(), ErrorKind::TooManyObjects { capacity: n });
            assert_eq!(e.offset(), walked[n].offset());
        }
        (None, Ok(index)) => {
            assert!(index.iter().eq(walked.iter().copied()), "{mode:?} index");
            for tlv in &walked {
                assert_eq!(index.find(tlv.tag()), reader.find(tlv.tag()).unwrap());
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    for mode in [Mode::Strict, Mode::Lenient] {
        let expected = reference::walk(data, mode == Mode::Lenient);
        assert_eq!(walk(data, mode), expected, "{mode:?}");
        let valid = Reader::with_mode(data, mode).validate().is_ok();
        assert_eq!(valid, expected.1.is_none(), "{mode:?} validate");
        index_agrees(data, mode, 8);
        index_agrees(data, mode, 64);
    }
});
