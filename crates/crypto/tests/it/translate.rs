//! PIN translation against spec-vectors/pin_translate.json: terminal blocks (TDES and AES
//! DUKPT, zone keys) re-enciphered under other keys and formats, psec as the oracle.

use cardwire_crypto::dukpt::{aes, tdes};
use cardwire_crypto::pin::PinFormat;
use cardwire_crypto::translate::{self, PinZone};
use cardwire_crypto::{AesKey, TdesKey};

use crate::common::{bytes, id, text, upper, vectors};

/// A random source that hands out the vector's fixed bytes (the format 4 random half).
struct Given(Vec<u8>);
impl rand_core::TryRng for Given {
    type Error = core::convert::Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        Ok(0)
    }
    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        Ok(0)
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        assert!(dst.len() <= self.0.len(), "the vector has no fill for this");
        let rest = self.0.split_off(dst.len());
        dst.copy_from_slice(&self.0);
        self.0 = rest;
        Ok(())
    }
}
impl rand_core::TryCryptoRng for Given {}

fn format(v: &serde_json::Value, field: &str) -> PinFormat {
    PinFormat::try_from(v[field].as_u64().unwrap() as u8).unwrap()
}

#[test]
fn published_blocks_translate() {
    let all = vectors("pin_translate.json");
    for v in &all {
        let random = v["random"]
            .as_str()
            .map(crate::common::hex)
            .unwrap_or_default();
        let mut rng = Given(random);
        let pan = Some(text(v, "pan"));
        let to_key = bytes(v, "to_key");
        let (tdes_to, aes_to);
        let to = match format(v, "to_format") {
            PinFormat::Iso4 => {
                aes_to = AesKey::new(&to_key).unwrap();
                PinZone::aes(&aes_to)
            }
            f => {
                tdes_to = TdesKey::new(&to_key).unwrap();
                PinZone::tdes(&tdes_to, f).unwrap()
            }
        };
        let block = bytes(v, "block");
        let from_format = format(v, "from_format");
        let out = match text(v, "source_kind") {
            "dukpt_tdes" => {
                let bdk = TdesKey::from_hex(text(v, "bdk")).unwrap();
                let ksn = tdes::Ksn::from_hex(text(v, "ksn")).unwrap();
                let block: [u8; 8] = block.try_into().unwrap();
                translate::from_tdes_dukpt(&block, &bdk, &ksn, from_format, &to, pan, &mut rng)
            }
            "dukpt_aes" => {
                let bdk = AesKey::from_hex(text(v, "bdk")).unwrap();
                let ksn = aes::Ksn::from_hex(text(v, "ksn")).unwrap();
                assert_eq!(text(v, "key_type"), "aes128");
                translate::from_aes_dukpt(
                    &block,
                    &bdk,
                    &ksn,
                    aes::KeyType::Aes128,
                    from_format,
                    &to,
                    pan,
                    &mut rng,
                )
            }
            _ => {
                let key = bytes(v, "from_key");
                let (t, a);
                let from = if from_format == PinFormat::Iso4 {
                    a = AesKey::new(&key).unwrap();
                    PinZone::aes(&a)
                } else {
                    t = TdesKey::new(&key).unwrap();
                    PinZone::tdes(&t, from_format).unwrap()
                };
                assert_eq!(
                    translate::decipher(&block, &from, pan).unwrap().as_str(),
                    text(v, "pin")
                );
                translate::translate(&block, &from, &to, pan, &mut rng)
            }
        }
        .unwrap_or_else(|e| panic!("{}: {e}", id(v)));
        assert_eq!(upper(out.as_bytes()), text(v, "expected"), "{}", id(v));
        assert_eq!(
            translate::decipher(out.as_bytes(), &to, pan)
                .unwrap()
                .as_str(),
            text(v, "pin")
        );
    }
    assert_eq!(all.len(), 17);
}

#[test]
fn a_wrong_terminal_key_is_refused() {
    let v = &vectors("pin_translate.json")[0];
    // Another key (not only another parity bit, which DES ignores).
    let bdk = TdesKey::from_hex("0123456789ABCDEFFEDCBA9876543230").unwrap();
    let ksn = tdes::Ksn::from_hex(text(v, "ksn")).unwrap();
    let zpk = TdesKey::from_hex(text(v, "to_key")).unwrap();
    let to = PinZone::tdes(&zpk, PinFormat::Iso0).unwrap();
    let block: [u8; 8] = bytes(v, "block").try_into().unwrap();
    let mut rng = Given(Vec::new());
    let result = translate::from_tdes_dukpt(
        &block,
        &bdk,
        &ksn,
        PinFormat::Iso0,
        &to,
        Some(text(v, "pan")),
        &mut rng,
    );
    assert!(result.is_err());
}
