//! Any bytes as an SM2 ciphertext in either order: parsing never panics; a parsed
//! ciphertext re-encodes to the bytes it came from, and decrypting it under a fixed key
//! either fails cleanly (leaving the output wiped) or yields a message of `C2`'s length.
#![no_main]

use cardwire_crypto::sm::sm2::{Ciphertext, PrivateKey};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let key = PrivateKey::from_bytes(&[0x22; 32]).expect("key in range");
    if let Ok(ct) = Ciphertext::parse(data) {
        let mut again = vec![0u8; data.len()];
        assert_eq!(ct.write_c1c3c2(&mut again), Ok(data.len()));
        assert_eq!(again, data);
        let mut out = vec![0xAAu8; ct.message_len()];
        match key.decrypt(&ct, &mut out) {
            Ok(n) => assert_eq!(n, ct.message_len()),
            Err(_) => assert!(out.iter().all(|b| *b == 0)),
        }
    }
    if let Ok(ct) = Ciphertext::parse_c1c2c3(data) {
        assert_eq!(ct.message_len() + 97, data.len());
        let mut out = vec![0u8; ct.message_len()];
        let _ = key.decrypt(&ct, &mut out);
    }
});
