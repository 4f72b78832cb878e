//! The two walks agree: on sample messages of every built-in spec and on every truncation and
//! every single-byte change of them, the fast walk accepts exactly what the precise walk
//! accepts, with the same fields in the same places, and decoding reports the precise walk's
//! error. (The `iso8583_walks_agree` fuzz target checks the same on any input.)
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)] // tests fail loudly

use alloc::vec::Vec;

use super::Message;
use crate::specs;

/// The published CUPS purchase (MTI through field 64).
const CUPS_PURCHASE: &str = "0200302004C020C0981100000000000000005100183402100006324392260009942820D1312101120084393136363838303134303030303030303030303030303031313536ACF46E73838A82F926000000000000000008220000013841394539314238";
/// An ISO 8583:1987 binary 0200 and an ISO 8583:1993 binary 1200.
const ISO87_BINARY: &str = "02007024068000C08000164761739001010119000000000000012345001834311200510001003136363838303134313032353831303533313130303031313536";
const ISO93_BINARY: &str = "12007030010000C0000016476173900101011900000000000001234500183426112515301202003136363838303134313032353831303533313130303031";
/// ISO 8583:1987 ASCII: the 15-field 0200 of the benchmark and an 0800 with a secondary
/// bitmap.
const ISO87_ASCII: &[&[u8]] = &[
    b"0200723C448008C0800016476173900101011900000000000001234511251530120018341530121125311253110510011251530120016688014102581053110001156",
    b"0800822000000000000004000000000000001125153012000001301",
];

fn samples() -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = ISO87_ASCII.iter().map(|m| m.to_vec()).collect();
    for hex in [CUPS_PURCHASE, ISO87_BINARY, ISO93_BINARY] {
        out.push(cardwire_emv::hex::decode_to_vec(hex).unwrap());
    }
    out
}

/// Asserts that the walks agree on `buf` under every built-in spec.
pub(crate) fn walks_agree(buf: &[u8]) {
    for spec in specs::ALL {
        for full in [true, false] {
            let fast = Message::decode_fast_walk(spec, buf, full);
            let precise = Message::decode_precise_walk(spec, buf, full);
            match (&fast, &precise.error) {
                (Some(fast), None) => {
                    assert_eq!(fast.present(), precise.message.present());
                    assert_eq!(fast.len(), precise.message.len());
                    assert!(
                        fast.fields()
                            .map(|f| (f.number(), f.offset(), f.raw()))
                            .eq(precise.message.fields().map(|f| (
                                f.number(),
                                f.offset(),
                                f.raw()
                            ))),
                        "{}: fields differ",
                        spec.name()
                    );
                }
                (None, Some(_)) => {}
                _ => panic!(
                    "{} (full {full}): fast walk {} but precise walk says {:?} on {:02X?}",
                    spec.name(),
                    if fast.is_some() { "accepts" } else { "refuses" },
                    precise.error,
                    buf
                ),
            }
            // Decoding gives the precise walk's answer.
            let decoded = if full {
                Message::decode(spec, buf)
            } else {
                Message::decode_lazy(spec, buf)
            };
            assert_eq!(decoded.as_ref().err(), precise.error.as_ref());
        }
        let partial = Message::decode_partial(spec, buf);
        let precise = Message::decode_precise_walk(spec, buf, true);
        assert_eq!(partial.error, precise.error);
        assert_eq!(partial.message.present(), precise.message.present());
        assert_eq!(partial.message.len(), precise.message.len());
    }
}

#[test]
fn samples_decode() {
    let samples = samples();
    for (spec, sample) in [
        (&specs::ISO87_ASCII, &samples[0]),
        (&specs::ISO87_ASCII, &samples[1]),
        (&specs::CUPS, &samples[2]),
        (&specs::ISO87_BINARY, &samples[3]),
        (&specs::ISO93_BINARY, &samples[4]),
    ] {
        assert!(Message::decode_fast_walk(spec, sample, true).is_some());
        assert_eq!(Message::decode_precise_walk(spec, sample, true).error, None);
    }
}

#[test]
fn walks_agree_on_every_truncation_and_byte_change() {
    for sample in samples() {
        walks_agree(&sample);
        for cut in 0..sample.len() {
            walks_agree(&sample[..cut]);
        }
        let mut changed = sample.clone();
        for at in 0..sample.len() {
            for b in 0..=255u8 {
                changed[at] = b;
                walks_agree(&changed);
            }
            changed[at] = sample[at];
        }
        let mut longer = sample.clone();
        longer.push(b'0');
        walks_agree(&longer);
    }
}
