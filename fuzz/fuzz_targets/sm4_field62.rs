//! Any bytes as a CUPS field 62 under an SM4 master key: parsing and decrypting never panic;
//! a field that decrypts rebuilds to the same bytes.
#![no_main]

use cardwire_crypto::cups::WorkingKey;
use cardwire_crypto::sm::{Sm4Key, cups};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(field) = cups::Field62::parse(data) else {
        return;
    };
    for which in [WorkingKey::Pin, WorkingKey::Mac, WorkingKey::Track] {
        let _ = field.entry(which);
    }
    let tmk = Sm4Key::new(&[0x1F; 16]).expect("tmk");
    if let Ok(keys) = field.decrypt(&tmk) {
        let mut out = [0u8; 60];
        let n = cups::encrypt_field62(&tmk, &keys.pin, &keys.mac, keys.track.as_ref(), &mut out)
            .expect("rebuild");
        assert_eq!(&out[..n], data);
    }
});
