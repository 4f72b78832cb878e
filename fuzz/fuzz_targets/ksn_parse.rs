//! Any bytes as a TDES (10-byte) or AES (12-byte) key serial number: parsing, the counter
//! arithmetic and formatting never panic, and `next` only yields valid KSNs.
#![no_main]

use cardwire_crypto::dukpt::{aes, tdes};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(ksn) = tdes::Ksn::from_bytes(data) {
        assert!(ksn.counter().count_ones() <= tdes::MAX_COUNTER_ONES);
        let _ = (ksn.initial(), ksn.to_string(), format!("{ksn:?}"));
        if let Some(next) = ksn.next() {
            assert!(next.counter() > ksn.counter());
            assert!(tdes::Ksn::from_bytes(next.as_bytes()).is_ok());
        }
        let _ = ksn.with_counter(ksn.counter().wrapping_mul(3));
    }
    if let Ok(ksn) = aes::Ksn::from_bytes(data) {
        assert!(ksn.counter().count_ones() <= aes::MAX_COUNTER_ONES);
        let _ = (ksn.ikid(), ksn.derivation_id(), ksn.to_string());
        if let Some(next) = ksn.next() {
            assert!(next.counter() > ksn.counter());
            assert!(aes::Ksn::from_bytes(next.as_bytes()).is_ok());
        }
    }
});
