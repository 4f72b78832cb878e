//! Criterion group `iso8583`: decode and encode of a 15-field 0200 under `iso87-ascii`, with
//! iso_8583_rs 0.2.2 measured in the same run on identical bytes (its strict parse validates
//! lengths and content classes, as our decode does); decode and encode of the published CUPS
//! purchase.
//!
//! Instruction counts: with `ISO8583_CALLGRIND=N` set, the bench skips criterion and runs each
//! operation N times, each in its own never-inlined function, so that
//! `valgrind --tool=callgrind` and `callgrind_annotate --inclusive=yes` give the instructions
//! of one operation as that function's total ÷ N (see BENCHMARKS.md).
//!
//! Times on a shared machine: with `BENCH_FASTEST=N` set, the bench prints the fastest of N
//! batches of 100 operations of each kind instead (see `fastest.rs`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::cast_possible_truncation
)] // benches may fail loudly

use std::collections::HashMap;
use std::hint::black_box;

#[path = "fastest.rs"]
mod fastest;

use cardwire::iso8583::{Encoder, Message, specs};
use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::Value;

fn vector(file: &str, id: &str) -> Vec<u8> {
    let path = format!("{}/../spec-vectors/{file}", env!("CARGO_MANIFEST_DIR"));
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let v = doc["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["id"] == id)
        .unwrap();
    cardwire::emv::hex::decode_to_vec(v["hex"].as_str().unwrap()).unwrap()
}

/// The peer's spec for the 15 fields, with the content types and lengths of its own
/// `spec1987.yml` (PAN: n, LLVAR, 12–19).
fn peer_spec() -> iso_8583_rs::CompiledSpec {
    use iso_8583_rs::specfile::{FieldDescription, Spec};
    let field = |content: &str, len_type: &str, max_len, min_len| FieldDescription {
        content_type: content.into(),
        len_type: len_type.into(),
        max_len,
        min_len,
        label: String::new(),
    };
    let mut fields = HashMap::new();
    fields.insert(2, field("n", "llvar", 19, 12));
    for (n, len) in [
        (3, 6),
        (4, 12),
        (7, 10),
        (11, 6),
        (12, 6),
        (13, 4),
        (14, 4),
        (18, 4),
        (22, 3),
        (25, 2),
    ] {
        fields.insert(n, field("n", "fixed", len, 0));
    }
    fields.insert(37, field("an", "fixed", 12, 0));
    fields.insert(41, field("ans", "fixed", 8, 0));
    fields.insert(42, field("ans", "fixed", 15, 0));
    fields.insert(49, field("an", "fixed", 3, 0));
    iso_8583_rs::CompiledSpec::compile(&Spec { fields }).unwrap()
}

/// Logical values of a decoded message's fields, for re-encoding.
fn values(msg: &Message<'_, '_>) -> Vec<(usize, Vec<u8>)> {
    msg.fields()
        .map(|f| {
            let mut buf = [0u8; 512];
            let n = f.copy_value(&mut buf).unwrap();
            (usize::from(f.number()), buf[..n].to_vec())
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let ascii = vector("iso8583.json", "iso87-ascii-0200-15-fields");
    let cups = vector("iso8583.json", "cups-purchase-mab-mac");
    let peer = peer_spec();

    // Both libraries read the same bytes and agree on every field.
    let ours = Message::decode(&specs::ISO87_ASCII, &ascii).unwrap();
    let theirs = iso_8583_rs::Message::parse(&peer, &ascii).unwrap();
    assert_eq!(ours.fields().count(), 15);
    for f in ours.fields() {
        assert_eq!(
            theirs.get(usize::from(f.number())),
            f.as_str().map(str::as_bytes)
        );
    }
    let ascii_values = values(&ours);
    let cups_values = values(&Message::decode(&specs::CUPS, &cups).unwrap());

    // Both encoders produce the same bytes.
    let encode_ours = |out: &mut [u8]| {
        let mut e = Encoder::new(&specs::ISO87_ASCII, out, ours.mti()).unwrap();
        for (n, v) in &ascii_values {
            e.field(*n, v).unwrap();
        }
        e.finish().unwrap().len
    };
    let encode_peer = |out: &mut [u8]| {
        let mut b = iso_8583_rs::Builder::new(&peer, b"0200").unwrap();
        for (n, v) in &ascii_values {
            b.set(*n, v).unwrap();
        }
        b.pack_to_slice(out).unwrap()
    };
    let encode_cups = |out: &mut [u8]| {
        let mut e = Encoder::new(&specs::CUPS, out, "0200".parse().unwrap()).unwrap();
        for (n, v) in &cups_values {
            e.field(*n, v).unwrap();
        }
        e.finish().unwrap().len
    };
    let mut a = [0u8; 512];
    let mut b = [0u8; 512];
    let n = encode_ours(&mut a);
    assert_eq!(&a[..n], &ascii[..]);
    let m = encode_peer(&mut b);
    assert_eq!(&b[..m], &ascii[..]);
    let n = encode_cups(&mut a);
    assert_eq!(&a[..n], &cups[..]);

    if let Some(n) = std::env::var("ISO8583_CALLGRIND")
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
        let decoded = |r: Result<Message<'_, '_>, _>| r.map_or(0, |m| m.len());
        let acc = counted!(cg_cardwire_decode_ascii, || decoded(Message::decode(
            &specs::ISO87_ASCII,
            black_box(&ascii)
        )))
        .wrapping_add(counted!(cg_peer_decode_ascii, || {
            iso_8583_rs::Message::parse(&peer, black_box(&ascii)).map_or(0, |m| m.bitmap as usize)
        }))
        .wrapping_add(counted!(cg_cardwire_encode_ascii, || encode_ours(
            black_box(&mut a)
        )))
        .wrapping_add(counted!(cg_peer_encode_ascii, || encode_peer(black_box(
            &mut b
        ))))
        .wrapping_add(counted!(cg_cardwire_decode_cups, || decoded(
            Message::decode(&specs::CUPS, black_box(&cups))
        )))
        .wrapping_add(counted!(cg_cardwire_encode_cups, || encode_cups(
            black_box(&mut a)
        )));
        println!("{n} runs of each ({acc})");
        std::process::exit(0);
    }

    // The routines timed, one each, shared by the fastest batches and criterion so that both
    // run the same loop; each returns a small value (no view of the message leaves it).
    let decode_ours = || Message::decode(&specs::ISO87_ASCII, black_box(&ascii)).map(|m| m.len());
    let decode_peer =
        || iso_8583_rs::Message::parse(&peer, black_box(&ascii)).map(|m| m.bitmap as usize);
    let decode_cups = || Message::decode(&specs::CUPS, black_box(&cups)).map(|m| m.len());

    if let Some(n) = fastest::shift_batches() {
        fastest::report_shifts(&[
            (
                "cardwire/decode-0200-iso87-ascii",
                fastest::by_stack_shift(n, decode_ours),
            ),
            (
                "iso_8583_rs/decode-0200-iso87-ascii",
                fastest::by_stack_shift(n, decode_peer),
            ),
            (
                "cardwire/encode-0200-iso87-ascii",
                fastest::by_stack_shift(n, || encode_ours(black_box(&mut a))),
            ),
            (
                "iso_8583_rs/encode-0200-iso87-ascii",
                fastest::by_stack_shift(n, || encode_peer(black_box(&mut b))),
            ),
        ]);
        std::process::exit(0);
    }

    if let Some(n) = fastest::batches() {
        let rows = [
            (
                "cardwire/decode-0200-iso87-ascii",
                fastest::fastest(n, decode_ours),
            ),
            (
                "iso_8583_rs/decode-0200-iso87-ascii",
                fastest::fastest(n, decode_peer),
            ),
            (
                "cardwire/encode-0200-iso87-ascii",
                fastest::fastest(n, || encode_ours(black_box(&mut a))),
            ),
            (
                "iso_8583_rs/encode-0200-iso87-ascii",
                fastest::fastest(n, || encode_peer(black_box(&mut b))),
            ),
            (
                "cardwire/decode-cups-purchase",
                fastest::fastest(n, decode_cups),
            ),
            (
                "cardwire/encode-cups-purchase",
                fastest::fastest(n, || encode_cups(black_box(&mut a))),
            ),
            // The routine criterion ran before issue 18's third session: the bitmap out of the
            // view.
            (
                "cardwire/decode-0200-iso87-ascii-bitmap",
                fastest::fastest(n, || {
                    Message::decode(&specs::ISO87_ASCII, black_box(&ascii)).map(|m| m.bitmap())
                }),
            ),
        ];
        fastest::report(&rows, &[(0, 1), (2, 3), (6, 1)]);
        std::process::exit(0);
    }

    let mut g = c.benchmark_group("iso8583");
    g.bench_function("cardwire/decode-0200-iso87-ascii", |bench| {
        bench.iter(decode_ours)
    });
    g.bench_function("iso_8583_rs/decode-0200-iso87-ascii", |bench| {
        bench.iter(decode_peer)
    });
    g.bench_function("cardwire/encode-0200-iso87-ascii", |bench| {
        bench.iter(|| encode_ours(black_box(&mut a)))
    });
    g.bench_function("iso_8583_rs/encode-0200-iso87-ascii", |bench| {
        bench.iter(|| encode_peer(black_box(&mut b)))
    });
    g.bench_function("cardwire/decode-cups-purchase", |bench| {
        bench.iter(decode_cups)
    });
    g.bench_function("cardwire/encode-cups-purchase", |bench| {
        bench.iter(|| encode_cups(black_box(&mut a)))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
