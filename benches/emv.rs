//! Criterion groups for the EMV application layer, each with its peer on the same input in
//! the same run:
//! - `dict`: looking up the 43 tags of the UnionPay field 55 sample, cardwire
//!   `dict::lookup` against the `emv` crate 0.1.1 (`core::tag_info::lookup`);
//! - `dol`: assembling the CDOL1 data of the real UnionPay trace (11 entries, 55 bytes) from
//!   known values, DOL parsing included, cardwire `Dol` against `emv::core::dol::Dol`;
//! - `qr`: decoding an EMVCo MPM payload with its CRC check and nested templates, cardwire
//!   `Mpm::parse` against `promptparse` 1.2.0 (`parse(payload, true, true)`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::cast_possible_truncation
)] // benches may fail loudly

use std::hint::black_box;

use cardwire::emv::dict;
use cardwire::emv::dol::Dol;
use cardwire::emv::qr::Mpm;
use cardwire::emv::tlv::{Reader, Tag};
use criterion::{Criterion, criterion_group, criterion_main};

fn vector(file: &str, id: &str) -> serde_json::Value {
    let path = format!("{}/../spec-vectors/{file}", env!("CARGO_MANIFEST_DIR"));
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    doc["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["id"] == id)
        .unwrap()
        .clone()
}

fn hex(v: &serde_json::Value) -> Vec<u8> {
    cardwire::emv::hex::decode_to_vec(v.as_str().unwrap()).unwrap()
}

fn dictionary(c: &mut Criterion) {
    let field55 = hex(&vector("tlv.json", "field55-unionpay-ic")["hex"]);
    let tags: Vec<Tag> = Reader::lenient(&field55)
        .walk()
        .map(|t| t.unwrap().tag())
        .collect();
    let peer_tags: Vec<emv::Tag> = tags.iter().map(|t| emv::Tag(t.to_u32())).collect();
    assert_eq!(tags.len(), 43);
    assert!(tags.iter().all(|t| dict::lookup(*t).is_some()));
    let peer_known = peer_tags
        .iter()
        .filter(|t| !emv::core::tag_info::lookup(**t).is_empty())
        .count();
    println!("dict: the peer knows {peer_known} of the 43 tags, cardwire 43");

    let mut g = c.benchmark_group("dict");
    g.bench_function("cardwire/field55-unionpay-43-tags", |b| {
        b.iter(|| {
            let mut acc = 0usize;
            for t in black_box(&tags) {
                acc += dict::lookup(*t).map_or(0, |i| i.name.len());
            }
            acc
        })
    });
    g.bench_function("emv-0.1.1/field55-unionpay-43-tags", |b| {
        b.iter(|| {
            let mut acc = 0usize;
            for t in black_box(&peer_tags) {
                acc += emv::core::tag_info::lookup(*t)
                    .first()
                    .map_or(0, |i| i.name.len());
            }
            acc
        })
    });
    g.finish();
}

fn dol(c: &mut Criterion) {
    let v = vector("dol.json", "upi-cdol1-arqc");
    let cdol1 = hex(&v["dol"]);
    let known = hex(&v["tlv"]);
    let expect = hex(&v["expect"]);
    // The terminal's values, decoded once: (tag, value) pairs as a kernel keeps them.
    let values: Vec<(u32, Vec<u8>)> = Reader::new(&known)
        .map(|t| t.unwrap())
        .map(|t| (t.tag().to_u32(), t.value().to_vec()))
        .collect();

    let ours = |list: &[u8], out: &mut [u8]| -> usize {
        let dol = Dol::new(list).unwrap();
        dol.build(
            |tag| {
                values
                    .iter()
                    .find(|(t, _)| *t == tag.to_u32())
                    .map(|(_, v)| v.as_slice())
            },
            out,
        )
        .unwrap()
    };
    let peer = |list: &[u8]| -> Vec<u8> {
        use emv::core::dol::{Dol as PeerDol, ValueFormat};
        let dol = PeerDol::parse(list).unwrap();
        dol.build(|tag| {
            let (_, v) = values.iter().find(|(t, _)| *t == tag.0)?;
            let format = match dict::format(Tag::from_u32(tag.0)?) {
                dict::Format::N => ValueFormat::Numeric,
                dict::Format::Cn => ValueFormat::CompressedNumeric,
                _ => ValueFormat::Other,
            };
            Some((format, v.clone()))
        })
    };
    let mut out = [0u8; 64];
    let n = ours(&cdol1, &mut out);
    assert_eq!(&out[..n], &expect[..]);
    assert_eq!(peer(&cdol1), expect);

    let mut g = c.benchmark_group("dol");
    g.bench_function("cardwire/upi-cdol1-55-bytes", |b| {
        b.iter(|| ours(black_box(&cdol1), &mut out))
    });
    g.bench_function("emv-0.1.1/upi-cdol1-55-bytes", |b| {
        b.iter(|| peer(black_box(&cdol1)))
    });
    g.bench_function("cardwire/upi-cdol1-from-tlv", |b| {
        let reader = Reader::new(&known);
        b.iter(|| {
            Dol::new(black_box(&cdol1))
                .unwrap()
                .build_from(&reader, &mut out)
                .unwrap()
        })
    });
    g.finish();
}

fn qr(c: &mut Criterion) {
    let ascii = vector("qr.json", "phannaly-mpm-unionpay-15")["payload"]
        .as_str()
        .unwrap()
        .to_owned();
    let best = vector("qr.json", "emvco-mpm-best-transport")["payload"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(Mpm::parse(&ascii).is_ok() && Mpm::parse(&best).is_ok());
    let peer = promptparse::parser::parse(&ascii, true, true).unwrap();
    assert_eq!(peer.get_tag_value("59", None), Some("Merchant Shop"));

    let mut g = c.benchmark_group("qr");
    g.bench_function("cardwire/mpm-ascii-146", |b| {
        b.iter(|| {
            let m = Mpm::parse(black_box(&ascii)).unwrap();
            m.merchant().mcc.map_or(0, str::len)
        })
    });
    g.bench_function("promptparse-1.2.0/mpm-ascii-146", |b| {
        b.iter(|| {
            let q = promptparse::parser::parse(black_box(&ascii), true, true).unwrap();
            q.get_tag_value("52", None).map_or(0, str::len)
        })
    });
    // The EMVCo sample counts characters, not bytes (a 4-character name of 12 bytes); the peer
    // slices by bytes, so only cardwire reads it.
    g.bench_function("cardwire/mpm-emvco-utf8-260", |b| {
        b.iter(|| {
            let m = Mpm::parse(black_box(&best)).unwrap();
            m.merchant().mcc.map_or(0, str::len)
        })
    });
    g.finish();
}

criterion_group!(benches, dictionary, dol, qr);
criterion_main!(benches);
