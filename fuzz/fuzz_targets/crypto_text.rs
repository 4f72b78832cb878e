//! Any text through the crate's text parsers: hex keys and KSNs, PINs, Luhn numbers,
//! decimalization tables, IBM 3624 validation data, CVV inputs. Errors, never panics, and
//! what parses prints back the same.
#![no_main]

use cardwire_crypto::card::{self, DecimalizationTable, luhn};
use cardwire_crypto::dukpt::{aes, tdes};
use cardwire_crypto::pin::Pin;
use cardwire_crypto::{AesKey, SecretKey, TdesKey};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = core::str::from_utf8(data) else {
        return;
    };
    if let Ok(key) = SecretKey::from_hex(text) {
        assert_eq!(key.len() * 2, text.len());
        let hex: String = key.expose().iter().map(|b| format!("{b:02X}")).collect();
        assert!(hex.eq_ignore_ascii_case(text));
    }
    if let Ok(key) = TdesKey::from_hex(text) {
        assert!(matches!(key.len(), 8 | 16 | 24));
        let _ = key.check_value();
    }
    if let Ok(key) = AesKey::from_hex(text) {
        assert!(matches!(key.len(), 16 | 24 | 32));
    }
    if let Ok(ksn) = tdes::Ksn::from_hex(text) {
        assert!(ksn.to_string().eq_ignore_ascii_case(text));
    }
    if let Ok(ksn) = aes::Ksn::from_hex(text) {
        assert!(ksn.to_string().eq_ignore_ascii_case(text));
    }
    if let Ok(pin) = Pin::new(text) {
        assert_eq!(pin.as_str(), text);
    }
    if let Ok(valid) = luhn::is_valid(text) {
        let (payload, check) = text.split_at(text.len() - 1);
        if let Ok(digit) = luhn::check_digit(payload) {
            assert_eq!(valid, check == digit.to_string());
        }
    }
    let _ = DecimalizationTable::new(text);
    let (pad, rest) = text.split_at_checked(1).unwrap_or(("", text));
    let _ = card::validation_data(
        rest,
        0,
        rest.len().min(16),
        pad.bytes().next().unwrap_or(b'F'),
    );
    let cvk = TdesKey::new(&[0x42; 16]).unwrap();
    let mut parts = text.splitn(3, ',');
    if let (Some(pan), Some(exp), Some(sc)) = (parts.next(), parts.next(), parts.next()) {
        if let Ok(cvv) = card::cvv(&cvk, pan, exp, sc) {
            assert_eq!(cvv.as_str().len(), 3);
        }
    }
});
