//! Any bytes as an SM2 signature `r ‖ s`: parsing never panics, a signature that parses
//! encodes back to the same bytes, and checking it against a fixed key never panics.
#![no_main]

use cardwire_crypto::sm::sm2::{DEFAULT_ID, PrivateKey, Signature};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(sig) = Signature::from_bytes(data) else {
        return;
    };
    assert_eq!(sig.as_bytes().as_slice(), data);
    let key = PrivateKey::from_bytes(&[0x11; 32]).expect("key in range");
    // Not a signature this key made over these bytes (except with negligible probability).
    let _ = key.public_key().verify(DEFAULT_ID, data, &sig);
});
