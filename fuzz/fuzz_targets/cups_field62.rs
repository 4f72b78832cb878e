//! Any bytes as a CUPS sign-in field 62: parsing and decrypting under a terminal master key
//! never panic; a field that decrypts rebuilds to the same bytes.
#![no_main]

use cardwire_crypto::TdesKey;
use cardwire_crypto::cups::{self, Field62, WorkingKey};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(field) = Field62::parse(data) else {
        return;
    };
    for which in [WorkingKey::Pin, WorkingKey::Mac, WorkingKey::Track] {
        let _ = field.entry(which);
    }
    let tmk = TdesKey::new(&[
        0x70, 0xF2, 0xA8, 0x4C, 0xCB, 0xC2, 0xAE, 0x86, 0x25, 0xCB, 0xB0, 0xF2, 0xC2, 0x2A, 0xB9,
        0x23,
    ])
    .expect("tmk");
    if let Ok(keys) = field.decrypt(&tmk) {
        let mut out = [0u8; 84];
        let n = cups::encrypt_field62(&tmk, &keys.pin, &keys.mac, keys.track.as_ref(), &mut out)
            .expect("rebuild");
        assert_eq!(&out[..n], data);
    }
    // The MAC over the same bytes, as a message authentication block.
    let _ = cups::field64(&tmk, data);
});
