//! PIN blocks, MACs, card values, key check values and CUPS against spec-vectors/
//! pinblock.json, mac.json, cvv_pvv.json, cups.json and crypto_more.json. Every vector of
//! each file is run; a vector of an unknown shape fails the test.

use crate::common::{bytes, hex, id, text, upper, vectors};
use cardwire_crypto::card::{self, DecimalizationTable};
use cardwire_crypto::cups::{self, Field62};
use cardwire_crypto::mac::{self, Padding};
use cardwire_crypto::pin::{self, Pin, PinBlock, PinField, PinFormat};
use cardwire_crypto::{AesKey, ErrorKind, TdesKey};
use serde_json::Value;

fn format_of(v: &Value) -> PinFormat {
    PinFormat::try_from(v["format"].as_u64().unwrap() as u8).unwrap()
}

fn pan(v: &Value) -> Option<&str> {
    v["pan"].as_str()
}

/// Runs one PIN block vector; returns false if it has no shape this test knows.
fn pin_block_vector(v: &Value) -> bool {
    let format = format_of(v);
    if let Some(expected) = v["expected_clear_block"].as_str() {
        let pin = Pin::new(text(v, "pin")).unwrap();
        let fill: Option<[u8; 8]> = v["fill"].as_str().map(|f| hex(f).try_into().unwrap());
        let block = PinBlock::new(format, &pin, pan(v), fill.as_ref()).unwrap();
        assert_eq!(upper(block.as_bytes()), expected, "{}", id(v));
        assert_eq!(
            block.decode_as(format, pan(v)).unwrap().as_str(),
            pin.as_str()
        );
        return true;
    }
    if let Some(expected) = v["expected_pin"].as_str() {
        let block = PinBlock::from_bytes(bytes(v, "pin_block").try_into().unwrap());
        assert_eq!(
            block.decode_as(format, pan(v)).unwrap().as_str(),
            expected,
            "{}",
            id(v)
        );
        return true;
    }
    if let Some(prefix) = v["expected_prefix"].as_str() {
        // Format 3 with random fill: the control, length and PIN nibbles are fixed.
        let pin = Pin::new(text(v, "pin")).unwrap();
        let mut rng = Lcg(9);
        let block = PinBlock::random(format, &pin, pan(v), &mut rng).unwrap();
        assert!(upper(block.as_bytes()).starts_with(prefix), "{}", id(v));
        assert_eq!(block.decode(pan(v)).unwrap().as_str(), pin.as_str());
        return true;
    }
    if format == PinFormat::Iso4 {
        let mut ran = false;
        if let Some(expected) = v["expected_pan_field"].as_str() {
            assert_eq!(
                upper(&pin::pan_field(text(v, "pan")).unwrap()),
                expected,
                "{}",
                id(v)
            );
            ran = true;
        }
        let fill: Option<[u8; 8]> = v["random_fill"]
            .as_str()
            .map(|f| hex(f).try_into().unwrap());
        if let Some(expected) = v["expected_plain_pin_field"].as_str() {
            let field = PinField::new(&Pin::new(text(v, "pin")).unwrap(), &fill.unwrap());
            assert_eq!(upper(field.as_bytes()), expected, "{}", id(v));
            assert_eq!(field.decode().unwrap().as_str(), text(v, "pin"));
            ran = true;
        }
        if let Some(prefix) = v["expected_pin_field_prefix"].as_str() {
            let field = PinField::random(&Pin::new(text(v, "pin")).unwrap(), &mut Lcg(1)).unwrap();
            assert!(upper(field.as_bytes()).starts_with(prefix));
            ran = true;
        }
        if let Some(expected) = v["expected_encrypted_block"].as_str() {
            let key = AesKey::new(&bytes(v, "key")).unwrap();
            let field = PinField::new(&Pin::new(text(v, "pin")).unwrap(), &fill.unwrap());
            let block = field.encipher(&key, text(v, "pan")).unwrap();
            assert_eq!(upper(&block), expected, "{}", id(v));
            let back = PinField::decipher(&block, &key, text(v, "pan")).unwrap();
            assert_eq!(back.decode().unwrap().as_str(), text(v, "pin"));
            ran = true;
        }
        return ran;
    }
    false
}

#[test]
fn pin_blocks() {
    let mut n = 0;
    for file in ["pinblock.json", "crypto_more.json"] {
        for v in vectors(file) {
            if file == "crypto_more.json" && v["group"] != "pinblock" {
                continue;
            }
            assert!(pin_block_vector(&v), "{}: unknown vector shape", id(&v));
            n += 1;
        }
    }
    assert!(n >= 21);
}

/// A deterministic random source for tests.
struct Lcg(u64);
impl rand_core::TryRng for Lcg {
    type Error = core::convert::Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        Ok(self.try_next_u64()? as u32)
    }
    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        Ok(self.0 >> 11)
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        for b in dst {
            *b = self.try_next_u64()? as u8;
        }
        Ok(())
    }
}
impl rand_core::TryCryptoRng for Lcg {}

fn message(v: &Value) -> Vec<u8> {
    match v["message"].as_str() {
        Some(h) => hex(h),
        None => text(v, "message_ascii").as_bytes().to_vec(),
    }
}

fn key_field(v: &Value, field: &str) -> TdesKey {
    match v[field].as_str() {
        Some(h) => TdesKey::new(&hex(h)).unwrap(),
        None => TdesKey::new(text(v, &format!("{field}_ascii")).as_bytes()).unwrap(),
    }
}

#[test]
fn macs() {
    let mut n = 0;
    for file in ["mac.json", "crypto_more.json"] {
        for v in vectors(file) {
            if file == "crypto_more.json" && v["group"] != "mac" {
                continue;
            }
            let alg = text(&v, "algorithm");
            let padding = v["padding"]
                .as_u64()
                .map_or(Padding::Method1, |p| Padding::try_from(p as u8).unwrap());
            let got = if alg == "CMAC-AES" {
                upper(&mac::cmac_aes(
                    &AesKey::new(&bytes(&v, "key")).unwrap(),
                    &message(&v),
                ))
            } else if alg == "HMAC-SHA-256" {
                upper(&mac::hmac_sha256(&bytes(&v, "key"), &message(&v)).unwrap())
            } else if alg == "CMAC-TDES" {
                upper(&mac::cmac_tdes(&key_field(&v, "key"), &message(&v)))
            } else if alg.starts_with("ISO9797-1 padding") {
                let mut out = [0u8; 64];
                let block = v["block_len"].as_u64().unwrap() as usize;
                let method = alg
                    .trim_start_matches("ISO9797-1 padding method ")
                    .parse::<u8>()
                    .unwrap();
                let method = Padding::try_from(method).unwrap();
                let len = mac::pad(&bytes(&v, "data"), method, block, &mut out).unwrap();
                assert_eq!(
                    upper(&out[..len]),
                    text(&v, "expected_padded"),
                    "{}",
                    id(&v)
                );
                n += 1;
                continue;
            } else if alg.contains("alg1") {
                upper(&mac::cbc_mac(&key_field(&v, "key"), &message(&v), padding))
            } else if alg.starts_with("ANSI X9.9") {
                upper(&mac::x9_9(&key_field(&v, "key"), &message(&v)).unwrap())
            } else if v["key1"].is_string() || v["key1_ascii"].is_string() {
                // Two independent keys (K and K').
                let (k, k2) = (key_field(&v, "key1"), key_field(&v, "key2"));
                upper(&mac::retail_mac_two_keys(&k, &k2, &message(&v), padding).unwrap())
            } else if alg.contains("alg3") || alg.contains("X9.19") {
                let key = key_field(&v, "key");
                let one_shot = mac::retail_mac(&key, &message(&v), padding).unwrap();
                // The key schedule expanded once (a session MAK) gives the same MAC.
                let prepared = mac::RetailMacKey::new(&key).unwrap();
                assert_eq!(prepared.mac(&message(&v), padding), one_shot, "{}", id(&v));
                upper(&one_shot)
            } else {
                panic!("{}: algorithm {alg}", id(&v));
            };
            assert_eq!(got, text(&v, "expected_mac"), "{}", id(&v));
            if let Some(four) = v["expected_mac_4bytes"].as_str() {
                assert_eq!(&got[..8], four);
            }
            n += 1;
        }
    }
    assert!(n >= 38);
}

#[test]
fn card_values_and_keys() {
    let all = vectors("cvv_pvv.json");
    let more: Vec<Value> = vectors("crypto_more.json")
        .into_iter()
        .filter(|v| v["group"] == "cvv")
        .collect();
    assert_eq!(more.len(), 2);
    for v in all.iter().chain(&more) {
        let kind = text(v, "kind");
        match kind {
            "CVV" | "CVV2" | "iCVV" => {
                let cvk = TdesKey::new(&bytes(v, "cvk")).unwrap();
                let args = (
                    text(v, "pan"),
                    text(v, "expiry_yymm"),
                    text(v, "service_code"),
                );
                let cvv = card::cvv(&cvk, args.0, args.1, args.2).unwrap();
                assert_eq!(cvv.as_str(), text(v, "expected"), "{}", id(v));
                card::verify_cvv(&cvk, args.0, args.1, args.2, text(v, "expected")).unwrap();
            }
            "Visa PVV" => {
                let pvk = TdesKey::new(&bytes(v, "pvk")).unwrap();
                let pvki = text(v, "pvki").parse().unwrap();
                let pin = Pin::new(text(v, "pin")).unwrap();
                let pvv = card::pvv(&pvk, text(v, "pan"), pvki, &pin).unwrap();
                assert_eq!(pvv.as_str(), text(v, "expected"), "{}", id(v));
                // The PVK's schedule expanded once (the host keeps it) gives the same PVV.
                let pvk_cipher = pvk.cipher();
                let with = card::pvv_with(&pvk_cipher, text(v, "pan"), pvki, &pin).unwrap();
                assert_eq!(with.as_str(), pvv.as_str(), "{}", id(v));
                card::verify_pvv_with(&pvk_cipher, text(v, "pan"), pvki, &pin, text(v, "expected"))
                    .unwrap();
                card::verify_pvv(&pvk, text(v, "pan"), pvki, &pin, text(v, "expected")).unwrap();
                let wrong = Pin::new("4525").unwrap();
                assert!(
                    card::verify_pvv(&pvk, text(v, "pan"), pvki, &wrong, text(v, "expected"))
                        .is_err()
                );
            }
            "IBM 3624 offset" | "IBM 3624 natural PIN + offset" => {
                let pvk = TdesKey::new(&bytes(v, "pvk")).unwrap();
                let table = DecimalizationTable::new(text(v, "decimalization_table")).unwrap();
                let validation = card::validation_data(
                    text(v, "pan_validation_data"),
                    v["pan_verify_offset"].as_u64().unwrap() as usize,
                    v["pan_verify_length"].as_u64().unwrap() as usize,
                    text(v, "pan_pad").as_bytes()[0],
                )
                .unwrap();
                if let Some(expected) = v["expected"].as_str() {
                    let pin = Pin::new(text(v, "pin")).unwrap();
                    let offset = card::ibm3624_offset(&pvk, &validation, &table, &pin).unwrap();
                    assert_eq!(offset.as_str(), expected, "{}", id(v));
                    card::verify_ibm3624(&pvk, &validation, &table, expected, &pin).unwrap();
                } else {
                    let pin =
                        card::ibm3624_pin(&pvk, &validation, &table, text(v, "offset")).unwrap();
                    assert_eq!(pin.as_str(), text(v, "expected_pin"), "{}", id(v));
                }
            }
            k if k.starts_with("KCV") => {
                let key = TdesKey::new(&bytes(v, "key")).unwrap();
                assert_eq!(upper(&key.check_value()[..3]), text(v, "expected_kcv"));
            }
            k if k.starts_with("key variant") => {
                let key = TdesKey::new(&bytes(v, "key")).unwrap();
                let n = v["variant"].as_u64().unwrap() as u8;
                assert_eq!(upper(key.variant(n).unwrap().expose()), text(v, "expected"));
            }
            "odd parity adjust" => {
                let key = TdesKey::new(&bytes(v, "key")).unwrap();
                let fixed = key.with_odd_parity();
                assert!(fixed.has_odd_parity());
                assert_eq!(upper(fixed.expose()), text(v, "expected"));
            }
            other => panic!("{}: kind {other}", id(v)),
        }
    }
}

#[test]
fn cups_mac_and_working_keys() {
    for v in vectors("cups.json") {
        // The MAK arrives encrypted under the TMK (field 62) and is TDES-ECB decrypted.
        let tmk = TdesKey::new(&bytes(&v, "tmk")).unwrap();
        let mut mak = bytes(&v, "mak_under_tmk");
        tmk.cipher().decrypt_ecb(&mut mak).unwrap();
        assert_eq!(upper(&mak), text(&v, "mak"));
        let mak = TdesKey::new(&mak).unwrap();
        let mab = bytes(&v, "mab");
        let steps = mac::cups::ecb_mac_steps(&mak, &mab);
        assert_eq!(steps, mac::cups::ecb_mac_steps_with(&mak.cipher(), &mab));
        let s = &v["mac_steps"];
        assert_eq!(upper(&steps.xor_of_blocks), text(s, "xor_of_blocks"));
        assert_eq!(upper(&steps.first_encryption), text(s, "first_des"));
        assert_eq!(upper(&steps.xor), text(s, "xor"));
        assert_eq!(upper(&steps.final_encryption), text(s, "final_des"));
        let field64 = cups::field64(&mak, &mab);
        assert_eq!(
            std::str::from_utf8(&field64).unwrap(),
            text(&v, "field64_ascii")
        );
        cups::verify_field64(&mak, &mab, text(&v, "field64_ascii").as_bytes()).unwrap();
        let mut tampered = mab.clone();
        tampered[20] ^= 1;
        assert_eq!(
            cups::verify_field64(&mak, &tampered, &field64)
                .unwrap_err()
                .kind(),
            ErrorKind::Verification
        );
        // Through the run-time algorithm choice too, and the X9.9 MAC of the same MAB.
        let full = mac::Algorithm::CupsEcb.compute(mak.expose(), &mab).unwrap();
        assert_eq!(upper(full.as_bytes()), text(s, "final_des"));
        assert_eq!(
            upper(&mac::x9_9(&mak, &mab).unwrap()),
            text(&v, "x9_9_cbc_mac_same_mab")
        );
    }
    // Field 62 in every allowed layout, and a wrong check value.
    let f62: Vec<Value> = vectors("crypto_more.json")
        .into_iter()
        .filter(|v| v["group"] == "field62")
        .collect();
    assert_eq!(f62.len(), 6);
    for v in &f62 {
        let tmk = TdesKey::new(&bytes(v, "tmk")).unwrap();
        let data = bytes(v, "field62");
        let parsed = Field62::parse(&data).unwrap();
        match v["expected_error_offset"].as_u64() {
            Some(offset) => {
                let err = parsed.decrypt(&tmk).unwrap_err();
                assert_eq!(err.kind(), ErrorKind::CheckValue, "{}", id(v));
                assert_eq!(err.offset(), Some(offset as usize));
            }
            None => {
                let keys = parsed.decrypt(&tmk).unwrap();
                assert_eq!(
                    upper(keys.pin.expose()),
                    text(v, "expected_pik"),
                    "{}",
                    id(v)
                );
                assert_eq!(upper(keys.mac.expose()), text(v, "expected_mak"));
                let track = keys.track.as_ref().map(|k| upper(k.expose()));
                assert_eq!(track.as_deref(), v["expected_tdk"].as_str());
                // Building the field again gives the same bytes.
                let mut out = [0u8; 84];
                let n = cups::encrypt_field62(
                    &tmk,
                    &keys.pin,
                    &keys.mac,
                    keys.track.as_ref(),
                    &mut out,
                )
                .unwrap();
                assert_eq!(&out[..n], &data[..]);
            }
        }
    }
}
