//! Any text as an EMV QR: MPM and CPM parsing and the UnionPay URL check never panic; a
//! payload that parses can be walked completely, and its offsets stay inside it.
#![no_main]

use cardwire_emv::qr::{Cpm, DataObject, Kind, Mpm, UnionPayUrl};
use libfuzzer_sys::fuzz_target;

fn walk(o: DataObject<'_>, payload: &str, depth: usize) {
    assert!(depth < 4);
    assert!(o.offset() < payload.len());
    assert!(o.char_len() >= 1 && o.char_len() <= 99);
    if let Some(children) = o.children() {
        for c in children {
            walk(c, payload, depth + 1);
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = core::str::from_utf8(data) else {
        return;
    };
    let _ = Kind::detect(text);
    let _ = UnionPayUrl::parse(text).map(|u| u.segments().count());
    match Mpm::parse_ignoring_crc(text) {
        Ok(mpm) => {
            for o in mpm.objects() {
                walk(o, text, 0);
            }
            let _ = mpm.merchant().mcc_code();
            assert_eq!(Mpm::parse(text).is_ok(), mpm.crc_valid());
        }
        Err(e) => {
            assert!(e.offset() <= text.len());
            assert!(Mpm::parse(text).is_err());
        }
    }
    let mut buf = vec![0u8; text.len()];
    if let Ok(cpm) = Cpm::decode(text, &mut buf) {
        assert!(cpm.reader().validate().is_ok());
        let _ = cpm.applications().count();
    }
    // Raw bytes as decoded CPM data too.
    let _ = Cpm::from_bytes(data);
});
