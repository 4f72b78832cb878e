//! Any bytes as an SM2 public key: parsing never panics, and a key that parses encodes back
//! to the same 65 bytes and can check a signature.
#![no_main]

use cardwire_crypto::sm::sm2::{DEFAULT_ID, PublicKey, Signature};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(key) = PublicKey::from_bytes(data) else {
        return;
    };
    assert_eq!(key.as_bytes().as_slice(), data);
    let mut rs = [0u8; 64];
    rs[31] = 1;
    rs[63] = 1;
    let sig = Signature::from_bytes(&rs).expect("r = s = 1 is in range");
    assert!(key.verify(DEFAULT_ID, data, &sig).is_err());
});
