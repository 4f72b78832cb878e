//! Strictly valid input re-encodes through the builder to the same bytes, and lenient input
//! re-encodes to strict data with the same tree.
#![no_main]

use cardwire_emv::tlv::{Builder, Mode, Reader};
use libfuzzer_sys::fuzz_target;

fn reencode(data: &[u8], mode: Mode, out: &mut [u8]) -> usize {
    let mut b = Builder::new(out);
    for tlv in Reader::with_mode(data, mode) {
        let Ok(tlv) = tlv else {
            unreachable!("validated input failed to read")
        };
        if b.copy(&tlv).is_err() {
            unreachable!("re-encoding failed");
        }
    }
    b.finish()
}

fuzz_target!(|data: &[u8]| {
    let mut out = vec![0u8; data.len() + 8];
    if Reader::new(data).validate().is_ok() {
        let n = reencode(data, Mode::Strict, &mut out);
        assert_eq!(&out[..n], data);
    }
    if Reader::lenient(data).validate().is_ok() {
        let n = reencode(data, Mode::Lenient, &mut out);
        let strict = &out[..n];
        assert!(Reader::new(strict).validate().is_ok());
        let a = Reader::new(strict)
            .walk()
            .flatten()
            .map(|t| (t.tag(), t.is_constructed(), t.len()));
        let b = Reader::lenient(data)
            .walk()
            .flatten()
            .map(|t| (t.tag(), t.is_constructed()));
        // Lengths of templates shrink when padding goes, so compare tags and shapes.
        assert!(a.map(|(t, c, _)| (t, c)).eq(b));
    }
});
