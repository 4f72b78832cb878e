//! Deterministic pseudo-random inputs (a small fuzz run inside `cargo test`): reading never
//! panics, and whatever reads strictly re-encodes to the same bytes.

use cardwire_emv::describe::Describe;
use cardwire_emv::mask::MaskedValue;
use cardwire_emv::tags;
use cardwire_emv::tlv::{Builder, Mode, Reader, Tag};

use crate::{XorShift, random_tlv as input};

#[test]
fn random_inputs_never_panic_and_round_trip() {
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    let mut valid = 0;
    for _ in 0..200_000 {
        let data = input(&mut rng);
        for mode in [Mode::Strict, Mode::Lenient] {
            let reader = Reader::with_mode(&data, mode);
            let ok = reader.validate().is_ok();
            for tlv in reader.walk().flatten() {
                let _ = MaskedValue::new(&tlv, false).to_string();
            }
            if let Ok(d) = Describe::new(&data, mode) {
                let _ = d.to_string();
            }
            if ok && mode == Mode::Strict {
                valid += 1;
                let mut out = vec![0u8; data.len()];
                let mut b = Builder::new(&mut out);
                for tlv in reader.clone() {
                    b.copy(&tlv.unwrap()).unwrap();
                }
                let n = b.finish();
                assert_eq!(&out[..n], data.as_slice());
            }
        }
    }
    assert!(
        valid > 1000,
        "the generator must reach valid inputs ({valid})"
    );
}

#[test]
fn builder_output_always_reads_back() {
    let mut rng = XorShift(42);
    let choices = [
        tags::AMOUNT_AUTHORISED_NUMERIC,
        tags::PAN,
        tags::TRACK_2_EQUIVALENT_DATA,
        tags::MERCHANT_NAME_AND_LOCATION,
        tags::USER_INTERFACE_REQUEST_DATA,
        tags::AIP,
    ];
    let mut buf = vec![0u8; 4096];
    for _ in 0..2_000 {
        let mut b = Builder::new(&mut buf);
        let mut expected = Vec::new();
        let n_children = rng.next_u64() % 6;
        let template = tags::READ_RECORD_RESPONSE_MESSAGE_TEMPLATE;
        b.constructed(template, |b| {
            for _ in 0..n_children {
                let tag: Tag = choices[rng.next_u64() as usize % choices.len()];
                let len = (rng.next_u64() % 300) as usize;
                let value: Vec<u8> = (0..len).map(|i| i as u8).collect();
                b.primitive(tag, &value)?;
                expected.push((tag, value));
            }
            Ok(())
        })
        .unwrap();
        let n = b.finish();
        let top = Reader::new(&buf[..n]).next().unwrap().unwrap();
        let got: Vec<_> = top
            .children()
            .unwrap()
            .map(|t| t.unwrap())
            .map(|t| (t.tag(), t.value().to_vec()))
            .collect();
        assert_eq!(got, expected);
    }
}
