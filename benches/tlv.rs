//! Criterion group `tlv`: a full walk of the shared field 55 samples, cardwire against
//! iso7816-tlv 0.4.4 (`Tlv::parse_all`) on the same bytes in the same run.
//!
//! Beside the walk from the bytes (issue 18's row), the validated-once index (`tlv::Indexed`):
//! `cardwire-index` validates, indexes (into slots reused from call to call, as a host keeps
//! them) and visits every object (the same work as the peer's parse and visit;
//! `cardwire-index-fresh` clears new slots each time); `cardwire-indexed-walk` visits an index built before, beside the peer
//! visiting a tree it parsed before; `find10` looks up the ten data of an ARQC's input (CDOL1)
//! in the bytes, each side parsing them first, and cardwire also without an index (ten walks).
//!
//! Instruction counts: with `TLV_CALLGRIND=N` set, the bench skips criterion and runs each
//! walk N times, each in its own never-inlined function, so that
//! `valgrind --tool=callgrind` and `callgrind_annotate --inclusive=yes` give the
//! instructions of one walk as that function's total ÷ N (see BENCHMARKS.md).
//!
//! Times on a shared machine: with `BENCH_FASTEST=N` set, the bench prints the fastest of N
//! batches of 100 walks of each side instead (see `fastest.rs`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::hint::black_box;

#[path = "fastest.rs"]
mod fastest;

use cardwire::emv::tlv::{Indexed, Reader, Slot, Tag};
use criterion::{Criterion, criterion_group, criterion_main};

fn sample(id: &str) -> Vec<u8> {
    let doc: serde_json::Value =
        serde_json::from_str(include_str!("../spec-vectors/tlv.json")).unwrap();
    let v = doc["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["id"] == id)
        .unwrap();
    cardwire::emv::hex::decode_to_vec(v["hex"].as_str().unwrap()).unwrap()
}

/// Visits every data object, touching tag and value so nothing is optimised away.
#[inline(never)]
fn walk(data: &[u8], lenient: bool) -> usize {
    let reader = if lenient {
        Reader::lenient(data)
    } else {
        Reader::new(data)
    };
    let mut acc = 0usize;
    for tlv in reader.walk() {
        let tlv = tlv.unwrap();
        acc = acc.wrapping_add(tlv.tag().to_u32() as usize ^ tlv.value().len());
    }
    acc
}

/// The same walk through the sibling reader, descending by recursion.
#[inline(never)]
fn reader_walk(reader: Reader<'_>) -> usize {
    let mut acc = 0usize;
    for tlv in reader {
        let tlv = tlv.unwrap();
        acc = acc.wrapping_add(tlv.tag().to_u32() as usize ^ tlv.value().len());
        if let Some(children) = tlv.children() {
            acc = acc.wrapping_add(reader_walk(children));
        }
    }
    acc
}

#[inline(never)]
fn peer_walk(data: &[u8]) -> usize {
    peer_visit(&iso7816_tlv::ber::Tlv::parse_all(data))
}

/// The peer's visit of every object of a tree it parsed.
#[inline(never)]
fn peer_visit(tree: &[iso7816_tlv::ber::Tlv]) -> usize {
    fn visit(t: &iso7816_tlv::ber::Tlv, acc: &mut usize) {
        match t.value() {
            iso7816_tlv::ber::Value::Primitive(v) => *acc = acc.wrapping_add(v.len()),
            iso7816_tlv::ber::Value::Constructed(children) => {
                children.iter().for_each(|c| visit(c, acc));
            }
        }
        *acc = acc.wrapping_add(t.tag().to_bytes().len());
    }
    let mut acc = 0;
    for t in tree {
        visit(t, &mut acc);
    }
    acc
}

/// Slots of the index: a field 55 of an ARQC holds about 20 objects. A host keeps one array
/// per connection and reuses it, as the benches do; `index_walk_fresh` clears a new one each
/// time.
const SLOTS: usize = 32;

/// Validates and indexes `data` into `slots`, then visits every object through the index.
#[inline(never)]
fn index_walk(data: &[u8], slots: &mut [Slot]) -> usize {
    indexed_walk(Reader::new(data).index(slots).unwrap())
}

/// [`index_walk`] with slots of its own, cleared on every call.
#[inline(never)]
fn index_walk_fresh(data: &[u8]) -> usize {
    let mut slots = [Slot::EMPTY; SLOTS];
    indexed_walk(Reader::new(data).index(&mut slots).unwrap())
}

/// Visits every object of an index built before (no header is read).
#[inline(never)]
fn indexed_walk(index: Indexed<'_, '_>) -> usize {
    let mut acc = 0usize;
    for tlv in index {
        acc = acc.wrapping_add(tlv.tag().to_u32() as usize ^ tlv.value().len());
    }
    acc
}

/// The data an issuer's ARQC is computed over (the CDOL1 of EMV Book 2's recommended
/// minimum): amount, other amount, country, TVR, currency, date, type, unpredictable number,
/// AIP, ATC — ten lookups a host makes in one field 55.
const ARQC_INPUT: [u32; 10] = [
    0x9F02, 0x9F03, 0x9F1A, 0x95, 0x5F2A, 0x9A, 0x9C, 0x9F37, 0x82, 0x9F36,
];

/// Validates and indexes `data` into `slots`, then finds each of `tags`.
#[inline(never)]
fn index_find(data: &[u8], slots: &mut [Slot], tags: &[Tag]) -> usize {
    let index = Reader::new(data).index(slots).unwrap();
    tags.iter()
        .map(|&t| index.find(t).unwrap().value().len())
        .sum()
}

/// Finds each of `tags` with a walk of its own over `data` (no index).
#[inline(never)]
fn reader_find(data: &[u8], tags: &[Tag]) -> usize {
    let reader = Reader::new(data);
    tags.iter()
        .map(|&t| reader.find(t).unwrap().unwrap().value().len())
        .sum()
}

/// The peer: parses `data`, then finds each of `tags` in its tree.
#[inline(never)]
fn peer_find(data: &[u8], tags: &[iso7816_tlv::ber::Tag]) -> usize {
    let tree = iso7816_tlv::ber::Tlv::parse_all(data);
    tags.iter()
        .map(|t| {
            let found = tree.iter().find_map(|x| x.find(t)).unwrap();
            match found.value() {
                iso7816_tlv::ber::Value::Primitive(v) => v.len(),
                iso7816_tlv::ber::Value::Constructed(_) => 0,
            }
        })
        .sum()
}

fn bench(c: &mut Criterion) {
    let arqc = sample("field55-arqc-17");
    let upi = sample("field55-unionpay-ic");
    // iso7816-tlv stops at the trailing 00; both libraries get the bytes they can read.
    let upi_peer = &upi[..upi.len() - 1];
    assert_eq!(Reader::new(&arqc).walk().count(), 17);
    assert_eq!(Reader::lenient(&upi).walk().count(), 43);
    assert_eq!(iso7816_tlv::ber::Tlv::parse_all(&arqc).len(), 17);
    assert_eq!(iso7816_tlv::ber::Tlv::parse_all(upi_peer).len(), 43);
    let mut slots = [Slot::EMPTY; SLOTS];
    let mut built = [Slot::EMPTY; SLOTS];
    let index = Reader::new(&arqc).index(&mut built).unwrap();
    let tree = iso7816_tlv::ber::Tlv::parse_all(&arqc);
    let find_ours = ARQC_INPUT.map(|t| Tag::from_u32(t).unwrap());
    let find_peer = ARQC_INPUT.map(|t| iso7816_tlv::ber::Tag::try_from(t).unwrap());
    // Both sides visit and find the same.
    assert_eq!(index_walk(&arqc, &mut slots), walk(&arqc, false));
    assert_eq!(index_walk_fresh(&arqc), walk(&arqc, false));
    assert_eq!(indexed_walk(index), walk(&arqc, false));
    assert_eq!(peer_visit(&tree), peer_walk(&arqc));
    let found = index_find(&arqc, &mut slots, &find_ours);
    assert_eq!(found, reader_find(&arqc, &find_ours));
    assert_eq!(found, peer_find(&arqc, &find_peer));

    if let Some(n) = std::env::var("TLV_CALLGRIND")
        .ok()
        .and_then(|n| n.parse().ok())
    {
        /// `n` runs of `f`, in a function of its own whose name callgrind reports.
        macro_rules! counted {
            ($name:ident, $f:expr) => {{
                #[inline(never)]
                fn $name(n: usize, mut f: impl FnMut() -> usize) -> usize {
                    (0..n).fold(0, |acc, _| acc ^ f())
                }
                $name(n, $f)
            }};
        }
        let acc = counted!(cg_cardwire_arqc, || walk(black_box(&arqc), false))
            ^ counted!(cg_cardwire_reader_arqc, || reader_walk(Reader::new(
                black_box(&arqc)
            )))
            ^ counted!(cg_peer_arqc, || peer_walk(black_box(&arqc)))
            ^ counted!(cg_cardwire_index_arqc, || index_walk(
                black_box(&arqc),
                &mut slots
            ))
            ^ counted!(cg_cardwire_index_fresh_arqc, || index_walk_fresh(
                black_box(&arqc)
            ))
            ^ counted!(cg_cardwire_indexed_walk_arqc, || indexed_walk(black_box(
                index
            )))
            ^ counted!(cg_peer_visit_arqc, || peer_visit(black_box(&tree)))
            ^ counted!(cg_cardwire_index_find10, || index_find(
                black_box(&arqc),
                &mut slots,
                &find_ours
            ))
            ^ counted!(cg_cardwire_reader_find10, || reader_find(
                black_box(&arqc),
                &find_ours
            ))
            ^ counted!(cg_peer_find10, || peer_find(black_box(&arqc), &find_peer))
            ^ counted!(cg_cardwire_upi, || walk(black_box(&upi), true))
            ^ counted!(cg_peer_upi, || peer_walk(black_box(upi_peer)));
        println!("{n} walks of each ({acc})");
        std::process::exit(0);
    }

    if let Some(n) = fastest::shift_batches() {
        fastest::report_shifts(&[
            (
                "cardwire/field55-arqc-17",
                fastest::by_stack_shift(n, || walk(black_box(&arqc), false)),
            ),
            (
                "iso7816-tlv/field55-arqc-17",
                fastest::by_stack_shift(n, || peer_walk(black_box(&arqc))),
            ),
        ]);
        std::process::exit(0);
    }

    if let Some(n) = fastest::batches() {
        let rows = [
            (
                "cardwire/field55-arqc-17",
                fastest::fastest(n, || walk(black_box(&arqc), false)),
            ),
            (
                "cardwire-reader/field55-arqc-17",
                fastest::fastest(n, || reader_walk(Reader::new(black_box(&arqc)))),
            ),
            (
                "iso7816-tlv/field55-arqc-17",
                fastest::fastest(n, || peer_walk(black_box(&arqc))),
            ),
            (
                "cardwire/field55-unionpay-ic",
                fastest::fastest(n, || walk(black_box(&upi), true)),
            ),
            (
                "iso7816-tlv/field55-unionpay-ic",
                fastest::fastest(n, || peer_walk(black_box(upi_peer))),
            ),
            (
                "cardwire-index/field55-arqc-17",
                fastest::fastest(n, || index_walk(black_box(&arqc), &mut slots)),
            ),
            (
                "cardwire-indexed-walk/field55-arqc-17",
                fastest::fastest(n, || indexed_walk(black_box(index))),
            ),
            (
                "iso7816-tlv-visit/field55-arqc-17",
                fastest::fastest(n, || peer_visit(black_box(&tree))),
            ),
            (
                "cardwire-index/find10-arqc-17",
                fastest::fastest(n, || index_find(black_box(&arqc), &mut slots, &find_ours)),
            ),
            (
                "cardwire-reader/find10-arqc-17",
                fastest::fastest(n, || reader_find(black_box(&arqc), &find_ours)),
            ),
            (
                "iso7816-tlv/find10-arqc-17",
                fastest::fastest(n, || peer_find(black_box(&arqc), &find_peer)),
            ),
            (
                "cardwire-index-fresh/field55-arqc-17",
                fastest::fastest(n, || index_walk_fresh(black_box(&arqc))),
            ),
        ];
        fastest::report(
            &rows,
            &[
                (0, 2),
                (1, 2),
                (3, 4),
                (5, 2),
                (6, 2),
                (6, 7),
                (8, 10),
                (9, 10),
                (11, 2),
            ],
        );
        std::process::exit(0);
    }

    let mut g = c.benchmark_group("tlv");
    g.bench_function("cardwire/field55-arqc-17", |b| {
        b.iter(|| walk(black_box(&arqc), false))
    });
    g.bench_function("cardwire-reader/field55-arqc-17", |b| {
        b.iter(|| reader_walk(Reader::new(black_box(&arqc))))
    });
    g.bench_function("iso7816-tlv/field55-arqc-17", |b| {
        b.iter(|| peer_walk(black_box(&arqc)))
    });
    g.bench_function("cardwire-index/field55-arqc-17", |b| {
        b.iter(|| index_walk(black_box(&arqc), &mut slots))
    });
    g.bench_function("cardwire-index-fresh/field55-arqc-17", |b| {
        b.iter(|| index_walk_fresh(black_box(&arqc)))
    });
    g.bench_function("cardwire-indexed-walk/field55-arqc-17", |b| {
        b.iter(|| indexed_walk(black_box(index)))
    });
    g.bench_function("iso7816-tlv-visit/field55-arqc-17", |b| {
        b.iter(|| peer_visit(black_box(&tree)))
    });
    g.bench_function("cardwire-index/find10-arqc-17", |b| {
        b.iter(|| index_find(black_box(&arqc), &mut slots, &find_ours))
    });
    g.bench_function("cardwire-reader/find10-arqc-17", |b| {
        b.iter(|| reader_find(black_box(&arqc), &find_ours))
    });
    g.bench_function("iso7816-tlv/find10-arqc-17", |b| {
        b.iter(|| peer_find(black_box(&arqc), &find_peer))
    });
    g.bench_function("cardwire/field55-unionpay-ic", |b| {
        b.iter(|| walk(black_box(&upi), true))
    });
    g.bench_function("iso7816-tlv/field55-unionpay-ic", |b| {
        b.iter(|| peer_walk(black_box(upi_peer)))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
