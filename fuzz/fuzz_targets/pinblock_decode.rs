//! Any bytes as a PIN block: decoding (each format, with and without a PAN) and
//! deciphering never panic, and a block that decodes re-encodes to itself.
//! Input: one byte choosing the format (0-4), the block (8 bytes, 16 for format 4), then the
//! PAN as ASCII.
#![no_main]

use cardwire_crypto::pin::{Pin, PinBlock, PinField, PinFormat};
use cardwire_crypto::{AesKey, TdesKey};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let pan = rest.get(16..).and_then(|p| core::str::from_utf8(p).ok());
    let _ = Pin::from_ascii(rest);
    if let Some(block) = rest.get(..8).and_then(|b| <[u8; 8]>::try_from(b).ok()) {
        let clear = PinBlock::from_bytes(block);
        let _ = format!("{clear:?}");
        let _ = clear.decode(pan);
        for format in [
            PinFormat::Iso0,
            PinFormat::Iso1,
            PinFormat::Iso2,
            PinFormat::Iso3,
        ] {
            if let Ok(pin) = clear.decode_as(format, pan) {
                // Formats 0 and 2 have no free fill: encoding the PIN again gives the block.
                if matches!(format, PinFormat::Iso0 | PinFormat::Iso2) {
                    let again = PinBlock::new(format, &pin, pan, None).expect("re-encode");
                    assert_eq!(again.as_bytes(), clear.as_bytes());
                }
            }
        }
        let key = TdesKey::new(&[0x0B; 16]).expect("key");
        let _ = PinBlock::decipher(&block, &key).decode(pan);
    }
    if let Some(block) = rest.get(..16).and_then(|b| <[u8; 16]>::try_from(b).ok()) {
        let _ = PinField::from_bytes(block).decode();
        let key = AesKey::new(&[0x0C; 16]).expect("key");
        if let Some(pan) = pan {
            if let Ok(field) = PinField::decipher(&block, &key, pan) {
                let _ = field.decode();
            }
        }
    }
    let _ = PinFormat::try_from(selector);
});
