//! Criterion group `tlv`: a full walk of the shared field 55 samples, cardwire against
//! iso7816-tlv 0.4.4 (`Tlv::parse_all`) on the same bytes in the same run.
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

use cardwire::emv::tlv::Reader;
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
    for t in iso7816_tlv::ber::Tlv::parse_all(data) {
        visit(&t, &mut acc);
    }
    acc
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

    if let Some(n) = std::env::var("TLV_CALLGRIND")
        .ok()
        .and_then(|n| n.parse().ok())
    {
        /// `n` runs of `f`, in a function of its own whose name callgrind reports.
        macro_rules! counted {
            ($name:ident, $f:expr) => {{
                #[inline(never)]
                fn $name(n: usize, f: impl Fn() -> usize) -> usize {
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
            ^ counted!(cg_cardwire_upi, || walk(black_box(&upi), true))
            ^ counted!(cg_peer_upi, || peer_walk(black_box(upi_peer)));
        println!("{n} walks of each ({acc})");
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
        ];
        fastest::report(&rows, &[(0, 2), (1, 2), (3, 4)]);
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
