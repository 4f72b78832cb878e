//! The walk and the reader against the plain reference reader: the same objects (offset, tag,
//! depth, value) in the same order and the same first fault, on random bytes, on random trees
//! up to past the depth limit with a byte damaged, and on every vector. The index built by
//! `Reader::index` against the walk: the same objects and lookups, or the same error.

use cardwire_emv::tlv::{Builder, Mode, Reader, Slot, Tag};
use cardwire_emv::{Error, ErrorKind};

use crate::reference::{self, Fault, Object};
use crate::{XorShift, random_tlv};

/// What the crate's walk reads, in the reference's terms.
fn crate_walk(data: &[u8], mode: Mode) -> (Vec<Object>, Option<Fault>) {
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

/// Checks `data` in both modes: walk, validation and the sibling reader.
pub fn agrees(data: &[u8]) {
    for mode in [Mode::Strict, Mode::Lenient] {
        let expected = reference::walk(data, mode == Mode::Lenient);
        let got = crate_walk(data, mode);
        assert_eq!(got, expected, "{mode:?} walk of {data:02X?}");
        let valid = Reader::with_mode(data, mode).validate().is_ok();
        assert_eq!(
            valid,
            expected.1.is_none(),
            "{mode:?} validate of {data:02X?}"
        );
        // The reader sees the top level only: its objects are the walk's depth-0 objects, and
        // when the tree is sound, exactly those. (A fault inside a template stops the walk,
        // not the reader.)
        let top: Vec<_> = expected.0.iter().filter(|o| o.depth == 0).collect();
        let reader: Vec<_> = Reader::with_mode(data, mode).collect();
        for (tlv, want) in reader.iter().zip(&top) {
            let tlv = tlv.as_ref().expect("the walk read this object");
            assert_eq!(
                (tlv.offset(), tlv.len()),
                (want.offset, want.len),
                "{mode:?} reader of {data:02X?}"
            );
        }
        if expected.1.is_none() {
            assert_eq!(reader.len(), top.len(), "{mode:?} reader of {data:02X?}");
        }
        index_agrees(reader_at(data, mode), 4);
        index_agrees(reader_at(data, mode), 256);
        // A template's children indexed on their own: offsets stay those of the whole input.
        if let Some(Ok(first)) = Reader::with_mode(data, mode).next()
            && let Some(children) = first.children()
        {
            index_agrees(children, 256);
        }
    }
}

/// How often [`index_agrees`] met each case: the walk's error, a sound tree too large for the
/// index, a sound tree indexed. (Only ever incremented, so tests running beside each other
/// cannot make a count smaller.)
static INDEX_OUTCOMES: [std::sync::atomic::AtomicUsize; 3] =
    [const { std::sync::atomic::AtomicUsize::new(0) }; 3];

fn reader_at(data: &[u8], mode: Mode) -> Reader<'_> {
    Reader::with_mode(data, mode)
}

/// The index of `n` slots against the walk: on a sound tree of at most `n` objects, the same
/// objects in the same order and the same first object for every tag; on a malformed tree,
/// the walk's error; on a sound tree of more, `TooManyObjects` at object `n`.
pub fn index_agrees(reader: Reader<'_>, n: usize) {
    use std::sync::atomic::Ordering::Relaxed;
    let mode = reader.mode();
    let data = format!("{reader:02X?}");
    let mut walked = Vec::new();
    let mut fault: Option<Error> = None;
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
        (Some(e), built) => {
            INDEX_OUTCOMES[0].fetch_add(1, Relaxed);
            assert_eq!(built.err(), Some(e), "{mode:?} index error of {data}");
        }
        (None, Err(e)) => {
            INDEX_OUTCOMES[1].fetch_add(1, Relaxed);
            assert!(walked.len() > n, "{mode:?} index of {data}: {e:?}");
            assert_eq!(e.kind(), ErrorKind::TooManyObjects { capacity: n });
            assert_eq!(e.offset(), walked[n].offset(), "{mode:?} of {data}");
        }
        (None, Ok(index)) => {
            INDEX_OUTCOMES[2].fetch_add(1, Relaxed);
            assert_eq!(index.len(), walked.len(), "{mode:?} index of {data}");
            let listed: Vec<_> = index.iter().collect();
            assert_eq!(listed, walked, "{mode:?} index of {data}");
            let backwards: Vec<_> = index.iter().rev().collect();
            assert!(backwards.iter().eq(walked.iter().rev()));
            for (i, tlv) in walked.iter().enumerate() {
                assert_eq!(index.get(i).as_ref(), Some(tlv));
                assert_eq!(
                    index.find(tlv.tag()),
                    reader.find(tlv.tag()).unwrap(),
                    "{mode:?} find {:?} in {data}",
                    tlv.tag()
                );
                let all: Vec<_> = index.find_all(tlv.tag()).collect();
                let want: Vec<_> = reader.find_all(tlv.tag()).map(Result::unwrap).collect();
                assert_eq!(all, want);
            }
            assert_eq!(index.get(walked.len()), None);
            let absent = Tag::from_u32(0xDF7F).unwrap();
            assert_eq!(index.find(absent), reader.find(absent).unwrap());
        }
    }
}

#[test]
fn random_bytes() {
    let mut rng = XorShift(0x0123_4567_89AB_CDEF);
    for _ in 0..100_000 {
        agrees(&random_tlv(&mut rng));
    }
}

/// A random tree of templates and primitives, nested up to `max_depth`, into `b`.
fn tree(rng: &mut XorShift, b: &mut Builder<'_>, depth: usize, max_depth: usize) {
    const TEMPLATES: [u32; 4] = [0x70, 0x77, 0xA5, 0xBF0C];
    const PRIMITIVES: [u32; 5] = [0x5A, 0x9F02, 0x57, 0xDF8116, 0x9F1F];
    let children = rng.next_u64() % 4;
    for _ in 0..children {
        let r = rng.next_u64();
        if depth < max_depth && r.is_multiple_of(3) {
            let tag = Tag::from_u32(TEMPLATES[(r >> 8) as usize % 4]).unwrap();
            let _ = b.constructed(tag, |b| {
                tree(rng, b, depth + 1, max_depth);
                Ok(())
            });
        } else {
            let tag = Tag::from_u32(PRIMITIVES[(r >> 8) as usize % 5]).unwrap();
            let len = (r >> 16) as usize % 140;
            let _ = b.primitive(tag, &vec![(r >> 24) as u8; len]);
        }
    }
}

#[test]
fn random_trees_damaged_and_padded() {
    let mut rng = XorShift(0xDEAD_BEEF_F00D_CAFE);
    let mut buf = vec![0u8; 1 << 16];
    let mut deep = 0;
    for _ in 0..20_000 {
        let max_depth = (rng.next_u64() % 20) as usize;
        let mut b = Builder::new(&mut buf);
        tree(&mut rng, &mut b, 0, max_depth);
        let n = b.finish();
        let mut data = buf[..n].to_vec();
        if max_depth >= reference::MAX_DEPTH {
            deep += 1;
        }
        agrees(&data);
        match rng.next_u64() % 4 {
            0 if !data.is_empty() => {
                // One byte damaged.
                let r = rng.next_u64();
                let i = r as usize % data.len();
                data[i] = (r >> 32) as u8;
            }
            1 if !data.is_empty() => {
                // Padding where lenient mode allows it, and where it does not.
                let r = rng.next_u64();
                let i = r as usize % data.len();
                data.insert(i, if r & 1 == 0 { 0x00 } else { 0xFF });
            }
            _ => data.extend_from_slice(&[0x00, 0x00]),
        }
        agrees(&data);
    }
    assert!(deep > 100, "the trees must reach the depth limit ({deep})");
    let outcomes = INDEX_OUTCOMES
        .each_ref()
        .map(|n| n.load(std::sync::atomic::Ordering::Relaxed));
    assert!(
        outcomes.iter().all(|&n| n > 1000),
        "the index must meet faults, overflows and sound trees ({outcomes:?})"
    );
}

#[test]
fn every_vector() {
    for v in crate::tlv_vectors() {
        agrees(&crate::bytes(v["hex"].as_str().unwrap()));
    }
}
