//! The national algorithms against spec-vectors/sm.json: the GB/T 32907 and GB/T 32905
//! examples, the GB/T 32918.5 SM2 examples on the recommended curve (signature and
//! ciphertext reproduced from the published `k`), the SM2 cases crossed with gmssl both ways,
//! and SM4 MACs, HMAC-SM3, PIN blocks and field 62 computed with gmssl and OpenSSL. Every
//! vector is run; a vector of an unknown kind fails the test.

use crate::common::{bytes, id, text, upper, vectors};
use cardwire_crypto::ErrorKind;
use cardwire_crypto::mac::Padding;
use cardwire_crypto::pin::{Pin, PinField};
use cardwire_crypto::sm::mac::Sm4Mac;
use cardwire_crypto::sm::sm2::{self, Ciphertext, PrivateKey, PublicKey, Signature};
use cardwire_crypto::sm::{Sm4Key, cups, pin, sm3};
use serde_json::Value;

/// A "random" source that returns the same bytes on every draw: replays a published `k`.
struct Fixed(Vec<u8>);

impl rand_core::TryRng for Fixed {
    type Error = core::convert::Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        Ok(0)
    }
    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        Ok(0)
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        dst.copy_from_slice(&self.0[..dst.len()]);
        Ok(())
    }
}
impl rand_core::TryCryptoRng for Fixed {}

fn key16(v: &Value, name: &str) -> Sm4Key {
    Sm4Key::new(&bytes(v, name)).unwrap()
}

fn user_id(v: &Value) -> Vec<u8> {
    text(v, "user_id").as_bytes().to_vec()
}

/// Runs one vector; false if its kind is unknown.
fn run(v: &Value) -> bool {
    let name = id(v);
    match text(v, "kind") {
        "sm4-ecb" => {
            let key = key16(v, "key");
            let mut data = bytes(v, "plaintext");
            key.cipher().encrypt_ecb(&mut data).unwrap();
            assert_eq!(upper(&data), text(v, "ciphertext"), "{name}");
            key.cipher().decrypt_ecb(&mut data).unwrap();
            assert_eq!(data, bytes(v, "plaintext"));
        }
        "sm4-ecb-iterated" => {
            let cipher = key16(v, "key").cipher();
            let mut block: [u8; 16] = bytes(v, "plaintext").try_into().unwrap();
            for _ in 0..v["iterations"].as_u64().unwrap() {
                cipher.encrypt_block(&mut block);
            }
            assert_eq!(upper(&block), text(v, "ciphertext"), "{name}");
        }
        "sm4-cbc" => {
            let cipher = key16(v, "key").cipher();
            let iv: [u8; 16] = bytes(v, "iv").try_into().unwrap();
            let mut data = bytes(v, "plaintext");
            cipher.encrypt_cbc(&iv, &mut data).unwrap();
            assert_eq!(upper(&data), text(v, "ciphertext"), "{name}");
            cipher.decrypt_cbc(&iv, &mut data).unwrap();
            assert_eq!(data, bytes(v, "plaintext"));
        }
        "sm4-cbc-mac" => {
            let padding = Padding::try_from(v["padding"].as_u64().unwrap() as u8).unwrap();
            let alg = Sm4Mac::CbcMac(padding);
            let mac = alg.compute(&key16(v, "key"), &bytes(v, "data"));
            assert_eq!(upper(&mac), text(v, "mac"), "{name}");
            // The key schedule expanded once (a session's SM4 MAK) gives the same MAC.
            let prepared = cardwire_crypto::sm::mac::Sm4CbcMacKey::new(&key16(v, "key"));
            assert_eq!(prepared.mac(&bytes(v, "data"), padding), mac, "{name}");
            alg.verify(&key16(v, "key"), &bytes(v, "data"), &mac[..8])
                .unwrap();
        }
        "sm4-cmac" => {
            let mac = Sm4Mac::Cmac.compute(&key16(v, "key"), &bytes(v, "data"));
            assert_eq!(upper(&mac), text(v, "mac"), "{name}");
        }
        "hmac-sm3" => {
            let tag = sm3::hmac(&bytes(v, "key"), &bytes(v, "data"));
            assert_eq!(upper(&tag), text(v, "mac"), "{name}");
            sm3::verify_hmac(&bytes(v, "key"), &bytes(v, "data"), &tag[..16]).unwrap();
        }
        "sm3" => {
            assert_eq!(
                upper(&sm3::sm3(&bytes(v, "data"))),
                text(v, "digest"),
                "{name}"
            );
        }
        "sm4-pin-block" => {
            let pin_digits = text(v, "pin");
            let fill: [u8; 8] = bytes(v, "fill").try_into().unwrap();
            let field = PinField::new(&Pin::new(pin_digits).unwrap(), &fill);
            assert_eq!(upper(field.as_bytes()), text(v, "pin_field"), "{name}");
            let key = key16(v, "key");
            let block = pin::encipher(&field, &key, text(v, "pan")).unwrap();
            assert_eq!(upper(&block), text(v, "block"), "{name}");
            let back = pin::decipher(&block, &key, text(v, "pan")).unwrap();
            assert_eq!(back.decode().unwrap().as_str(), pin_digits);
            let with = pin::decipher_with(&block, &key.cipher(), text(v, "pan")).unwrap();
            assert_eq!(with.as_bytes(), back.as_bytes(), "{name}");
        }
        "sm4-field62" => {
            let tmk = key16(v, "tmk");
            let (pik, mak) = (key16(v, "pik"), key16(v, "mak"));
            let tdk = v["tdk"].as_str().map(|_| key16(v, "tdk"));
            let mut out = [0u8; 60];
            let n = cups::encrypt_field62(&tmk, &pik, &mak, tdk.as_ref(), &mut out).unwrap();
            assert_eq!(upper(&out[..n]), text(v, "field62"), "{name}");
            let keys = cups::Field62::parse(&out[..n])
                .unwrap()
                .decrypt(&tmk)
                .unwrap();
            assert!(keys.pin.ct_eq(&pik) && keys.mac.ct_eq(&mak));
            assert_eq!(keys.track.is_some(), tdk.is_some());
        }
        "sm2-sign-known-k" => {
            let key = PrivateKey::from_bytes(&bytes(v, "private")).unwrap();
            assert_eq!(
                upper(key.public_key().as_bytes()),
                text(v, "public"),
                "{name}"
            );
            let uid = user_id(v);
            let msg = bytes(v, "message");
            assert_eq!(
                upper(&sm2::za(&uid, key.public_key()).unwrap()),
                text(v, "za")
            );
            let e = sm2::message_digest(&uid, key.public_key(), &msg).unwrap();
            assert_eq!(upper(&e), text(v, "e"), "{name}");
            let sig = key.sign(&mut Fixed(bytes(v, "k")), &uid, &msg).unwrap();
            assert_eq!(upper(sig.as_bytes()), text(v, "signature"), "{name}");
            key.public_key().verify(&uid, &msg, &sig).unwrap();
        }
        "sm2-encrypt-known-k" => {
            let key = PrivateKey::from_bytes(&bytes(v, "private")).unwrap();
            let msg = bytes(v, "message");
            let mut out = vec![0u8; sm2::ciphertext_len(msg.len())];
            let n = key
                .public_key()
                .encrypt(&mut Fixed(bytes(v, "k")), &msg, &mut out)
                .unwrap();
            assert_eq!(upper(&out[..n]), text(v, "ciphertext"), "{name}");
            decrypts(&key, &out[..n], &msg, false);
        }
        "sm2-verify" => {
            let public = PublicKey::from_bytes(&bytes(v, "public")).unwrap();
            let sig = Signature::from_bytes(&bytes(v, "signature")).unwrap();
            let uid = user_id(v);
            let mut msg = bytes(v, "message");
            assert_eq!(
                public.verify(&uid, &msg, &sig).is_ok(),
                v["valid"].as_bool().unwrap(),
                "{name}"
            );
            // Another message, identifier or signature does not verify.
            msg.push(0);
            assert!(public.verify(&uid, &msg, &sig).is_err(), "{name}");
            msg.pop();
            assert!(public.verify(b"another id", &msg, &sig).is_err(), "{name}");
            let mut other = *sig.as_bytes();
            other[63] ^= 1;
            if let Ok(other) = Signature::from_bytes(&other) {
                assert!(public.verify(&uid, &msg, &other).is_err(), "{name}");
            }
        }
        "sm2-decrypt" | "sm2-decrypt-c1c2c3" => {
            let key = PrivateKey::from_bytes(&bytes(v, "private")).unwrap();
            assert_eq!(
                upper(key.public_key().as_bytes()),
                text(v, "public"),
                "{name}"
            );
            let old_order = text(v, "kind") == "sm2-decrypt-c1c2c3";
            decrypts(
                &key,
                &bytes(v, "ciphertext"),
                &bytes(v, "message"),
                old_order,
            );
        }
        _ => return false,
    }
    true
}

/// `ciphertext` decrypts to `msg` under `key`, and a changed byte of it does not.
fn decrypts(key: &PrivateKey, ciphertext: &[u8], msg: &[u8], old_order: bool) {
    let parse = if old_order {
        Ciphertext::parse_c1c2c3
    } else {
        Ciphertext::parse
    };
    let ct = parse(ciphertext).unwrap();
    let mut out = vec![0u8; ct.message_len()];
    let n = key.decrypt(&ct, &mut out).unwrap();
    assert_eq!(&out[..n], msg);
    let mut changed = ciphertext.to_vec();
    *changed.last_mut().unwrap() ^= 0x01;
    let err = key
        .decrypt(&parse(&changed).unwrap(), &mut out)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Verification);
}

#[test]
fn every_sm_vector() {
    let all = vectors("sm.json");
    let mut kinds = std::collections::BTreeMap::<String, usize>::new();
    for v in &all {
        assert!(run(v), "{}: unknown kind {}", id(v), v["kind"]);
        assert!(
            v["source"].as_str().is_some_and(|s| !s.is_empty()),
            "{}",
            id(v)
        );
        *kinds.entry(text(v, "kind").to_owned()).or_default() += 1;
    }
    // The published examples and both directions of the gmssl cross-check are all there.
    for kind in [
        "sm4-ecb",
        "sm4-ecb-iterated",
        "sm3",
        "sm2-sign-known-k",
        "sm2-encrypt-known-k",
        "sm2-verify",
        "sm2-decrypt",
        "sm2-decrypt-c1c2c3",
    ] {
        assert!(kinds.contains_key(kind), "no {kind} vector");
    }
    let from = |who: &str| {
        all.iter()
            .filter(|v| text(v, "source").contains(who))
            .count()
    };
    assert!(from("verified by gmssl") >= 4 && from("decrypted by gmssl") >= 4);
    assert!(from("signed by gmssl") >= 4 && from("encrypted by gmssl") >= 4);
}
