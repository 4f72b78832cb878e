//! DUKPT against the published vectors: spec-vectors/dukpt_tdes.json (X9.24-1:2009 A.4.2),
//! dukpt_tdes_rollover.json (A.4.3), dukpt_aes.json and dukpt_aes256.json (X9.24-3-2017
//! supplement); terminal side against host side.

use std::collections::HashMap;

use crate::common::{bytes, hex, id, text, upper, vectors};
use cardwire_crypto::dukpt::{aes, tdes};
use cardwire_crypto::mac::{self, Padding};
use cardwire_crypto::pin::{Pin, PinBlock, PinField};
use cardwire_crypto::{AesKey, TdesKey};

fn tdes_key(v: &serde_json::Value, field: &str) -> TdesKey {
    TdesKey::new(&bytes(v, field)).unwrap()
}

/// Zero-padded ASCII, TDES-CBC with a zero IV (the X9.24-1 A.4 data encryption example).
fn encrypt_data(key: &TdesKey, ascii: &str) -> String {
    let mut data = ascii.as_bytes().to_vec();
    data.resize(ascii.len().div_ceil(8) * 8, 0);
    key.cipher().encrypt_cbc(&[0; 8], &mut data).unwrap();
    upper(&data)
}

#[test]
fn tdes_published_vectors() {
    let all = vectors("dukpt_tdes.json");
    let mut checked = 0;
    for v in &all {
        let bdk = tdes_key(v, "bdk");
        if v["kind"] == "ipek" {
            let iksn = tdes::Ksn::from_bytes(&bytes(v, "iksn")).unwrap();
            assert_eq!(
                upper(tdes::ipek(&bdk, &iksn).unwrap().expose()),
                text(v, "expected_ipek")
            );
            checked += 1;
            continue;
        }
        let ksn = tdes::Ksn::from_bytes(&bytes(v, "ksn")).unwrap();
        let ipek = tdes::ipek(&bdk, &ksn).unwrap();
        let txn = tdes::transaction_key(&ipek, &ksn).unwrap();
        assert_eq!(
            upper(txn.expose()),
            text(v, "expected_txn_key"),
            "{}",
            id(v)
        );
        let variants = [
            (tdes::KeyVariant::Pin, "expected_pin_key"),
            (tdes::KeyVariant::MacRequest, "expected_mac_request_key"),
            (tdes::KeyVariant::MacResponse, "expected_mac_response_key"),
            (tdes::KeyVariant::DataRequest, "expected_data_request_key"),
            (tdes::KeyVariant::DataResponse, "expected_data_response_key"),
        ];
        let mut keys = HashMap::new();
        for (variant, field) in variants {
            let from_txn = tdes::working_key(&txn, variant).unwrap();
            let from_bdk = tdes::derive(&bdk, &ksn, variant).unwrap();
            assert_eq!(
                upper(from_txn.expose()),
                text(v, field),
                "{} {field}",
                id(v)
            );
            assert!(from_bdk.ct_eq(&from_txn));
            keys.insert(field, from_txn);
        }
        // PIN block under the PIN key, and back.
        let clear = PinBlock::from_bytes(bytes(v, "clear_pin_block").try_into().unwrap());
        let pin_key = &keys["expected_pin_key"];
        let enciphered = clear.encipher(pin_key);
        assert_eq!(
            upper(&enciphered),
            text(v, "expected_encrypted_pin_block"),
            "{}",
            id(v)
        );
        let back = PinBlock::decipher(&enciphered, pin_key);
        assert_eq!(back.decode(Some("4012345678909")).unwrap().as_str(), "1234");
        // Request and response MACs: X9.19 over the zero-padded ASCII data.
        let data = text(v, "mac_data_ascii");
        for (key, four, eight) in [
            (
                "expected_mac_request_key",
                "expected_mac_request_x919_4bytes",
                "expected_mac_request_x919_8bytes",
            ),
            (
                "expected_mac_response_key",
                "expected_mac_response_x919_4bytes",
                "expected_mac_response_x919_8bytes",
            ),
        ] {
            let m = mac::retail_mac(&keys[key], data.as_bytes(), Padding::Method1).unwrap();
            assert_eq!(upper(&m[..4]), text(v, four), "{} {four}", id(v));
            if let Some(full) = v[eight].as_str() {
                assert_eq!(upper(&m), full);
            }
            mac::Algorithm::Iso9797Alg3(Padding::Method1)
                .verify(keys[key].expose(), data.as_bytes(), &hex(text(v, four)))
                .unwrap();
        }
        // TDES CMAC over the unpadded data.
        for (key, field) in [
            ("expected_mac_request_key", "expected_cmac_request_tdes"),
            ("expected_mac_response_key", "expected_cmac_response_tdes"),
        ] {
            assert_eq!(
                upper(&mac::cmac_tdes(&keys[key], data.as_bytes())),
                text(v, field)
            );
        }
        // Data encryption under the data keys.
        assert_eq!(
            encrypt_data(&keys["expected_data_request_key"], data),
            text(v, "expected_data_request_enc_cbc_iv0")
        );
        if let Some(expected) = v["expected_data_response_enc_cbc_iv0"].as_str() {
            assert_eq!(
                encrypt_data(&keys["expected_data_response_key"], data),
                expected
            );
        }
        checked += 1;
    }
    assert_eq!(checked, all.len());
}

/// X9.24-1:2009 A.4.3: the host derives each published key; the KSNs follow the
/// terminal's skipping rule.
#[test]
fn tdes_rollover_sequence() {
    let all = vectors("dukpt_tdes_rollover.json");
    let bdk = TdesKey::new(&hex("0123456789ABCDEFFEDCBA9876543210")).unwrap();
    let clear = PinBlock::from_bytes(hex("041274EDCBA9876F").try_into().unwrap());
    for pair in all.windows(2) {
        let a = tdes::Ksn::from_bytes(&bytes(&pair[0], "ksn")).unwrap();
        assert_eq!(upper(a.next().unwrap().as_bytes()), text(&pair[1], "ksn"));
    }
    for v in &all {
        let ksn = tdes::Ksn::from_bytes(&bytes(v, "ksn")).unwrap();
        let txn = tdes::transaction_key(&tdes::ipek(&bdk, &ksn).unwrap(), &ksn).unwrap();
        assert_eq!(
            upper(txn.expose()),
            text(v, "expected_txn_key"),
            "{}",
            id(v)
        );
        let pin_key = tdes::working_key(&txn, tdes::KeyVariant::Pin).unwrap();
        assert_eq!(
            upper(&clear.encipher(&pin_key)),
            text(v, "expected_encrypted_pin_block")
        );
    }
}

/// The terminal runs from its first transaction to exhaustion (all 1,048,575 counters with
/// at most 10 one-bits). At every published KSN (A.4.2 and A.4.3) its key is the published
/// one; at every counter its KSN is the host's `next()`; and on a spread of counters (every
/// 127th, plus the first 2,000 and the last 2,000) the host derives the same key from the
/// IPEK. The example `vectors` compares host and terminal on every counter in release mode.
#[test]
fn tdes_terminal_agrees_with_host_over_the_whole_counter_range() {
    let bdk = TdesKey::new(&hex("0123456789ABCDEFFEDCBA9876543210")).unwrap();
    let iksn = tdes::Ksn::from_bytes(&hex("FFFF9876543210E00000")).unwrap();
    let ipek = tdes::ipek(&bdk, &iksn).unwrap();
    let mut published: HashMap<String, String> = HashMap::new();
    for v in vectors("dukpt_tdes.json")
        .iter()
        .filter(|v| v["kind"] == "transaction")
    {
        published.insert(text(v, "ksn").into(), text(v, "expected_txn_key").into());
    }
    for v in vectors("dukpt_tdes_rollover.json") {
        published.insert(text(&v, "ksn").into(), text(&v, "expected_txn_key").into());
    }
    let total = 1_048_575u32;
    let mut terminal = tdes::Terminal::new(&ipek, &iksn).unwrap();
    let mut expected_ksn = iksn.next().unwrap();
    let (mut seen, mut published_hits, mut host_checks) = (0u32, 0, 0);
    loop {
        let Ok((ksn, key)) = terminal.next_key() else {
            break;
        };
        assert_eq!(ksn, expected_ksn);
        if let Some(k) = published.get(&ksn.to_string()) {
            assert_eq!(&upper(key.expose()), k, "{ksn}");
            published_hits += 1;
        }
        if seen < 2_000 || seen >= total - 2_000 || seen % 127 == 0 {
            assert!(
                key.ct_eq(&tdes::transaction_key(&ipek, &ksn).unwrap()),
                "{ksn}"
            );
            host_checks += 1;
        }
        seen += 1;
        match ksn.next() {
            Some(next) => expected_ksn = next,
            None => assert!(terminal.ksn().is_none()),
        }
    }
    assert_eq!(seen, total);
    assert_eq!(published_hits, published.len());
    assert!(host_checks > 10_000);
    assert_eq!(
        terminal.next_key().unwrap_err().kind(),
        cardwire_crypto::ErrorKind::KsnExhausted
    );
}

#[test]
fn aes_published_vectors() {
    let mut checked = 0;
    let mut total = 0;
    for file in ["dukpt_aes.json", "dukpt_aes256.json"] {
        let all = vectors(file);
        total += all.len();
        for v in &all {
            match text(v, "kind") {
                "initial_key" => {
                    let bdk = AesKey::new(&bytes(v, "bdk")).unwrap();
                    let ikid: [u8; 8] = bytes(v, "ikid").try_into().unwrap();
                    let ik = aes::initial_key(&bdk, &ikid).unwrap();
                    assert_eq!(upper(ik.expose()), text(v, "expected_ik"), "{}", id(v));
                }
                "transaction" | "transaction_key_only" => check_aes_transaction(v),
                "update_key" => {
                    let ik = AesKey::new(&bytes(v, "ik")).unwrap();
                    let ikid: [u8; 8] = bytes(v, "ikid").try_into().unwrap();
                    let key_type = match text(v, "key_type") {
                        "AES128" => aes::KeyType::Aes128,
                        "AES256" => aes::KeyType::Aes256,
                        "2TDEA" => aes::KeyType::Tdes2,
                        "3TDEA" => aes::KeyType::Tdes3,
                        other => panic!("key type {other}"),
                    };
                    let key = aes::update_key(&ik, &ikid, key_type).unwrap();
                    assert_eq!(
                        upper(key.expose()),
                        text(v, "expected_update_key"),
                        "{}",
                        id(v)
                    );
                }
                other => panic!("{}: kind {other}", id(v)),
            }
            checked += 1;
        }
    }
    assert_eq!(checked, total);
}

fn check_aes_transaction(v: &serde_json::Value) {
    let bdk = AesKey::new(&bytes(v, "bdk")).unwrap();
    let ksn = aes::Ksn::from_bytes(&bytes(v, "ksn")).unwrap();
    let ik = aes::initial_key(&bdk, &ksn.ikid()).unwrap();
    let txn = aes::intermediate_key(&ik, &ksn).unwrap();
    assert_eq!(
        upper(txn.expose()),
        text(v, "expected_txn_key"),
        "{}",
        id(v)
    );
    let working = [
        (aes::KeyUsage::Pin, "expected_pin_key_aes128"),
        (aes::KeyUsage::MacGeneration, "expected_mac_gen_key_aes128"),
        (
            aes::KeyUsage::DataEncryption,
            "expected_data_enc_key_aes128",
        ),
    ];
    for (usage, field) in working {
        let Some(expected) = v[field].as_str() else {
            continue;
        };
        let key = aes::working_key(&txn, &ksn, usage, aes::KeyType::Aes128).unwrap();
        assert_eq!(upper(key.expose()), expected, "{} {field}", id(v));
        let direct = aes::derive(&bdk, &ksn, usage, aes::KeyType::Aes128).unwrap();
        assert!(direct.ct_eq(&key));
    }
    if let Some(expected) = v["expected_encrypted_pin_block_format4"].as_str() {
        // The supplement's format 4 example: PIN field with its fixed random half.
        let plain = bytes(v, "plain_pin_field");
        let pin = Pin::new(text(v, "pin")).unwrap();
        let field = PinField::new(&pin, plain[8..].try_into().unwrap());
        assert_eq!(field.as_bytes().as_slice(), plain.as_slice());
        let pan = text(v, "pan");
        assert_eq!(
            upper(&cardwire_crypto::pin::pan_field(pan).unwrap()),
            text(v, "pan_field")
        );
        let key = aes::derive(&bdk, &ksn, aes::KeyUsage::Pin, aes::KeyType::Aes128).unwrap();
        let key = AesKey::try_from(key).unwrap();
        let block = field.encipher(&key, pan).unwrap();
        assert_eq!(upper(&block), expected, "{}", id(v));
        let back = PinField::decipher(&block, &key, pan).unwrap();
        assert_eq!(back.decode().unwrap().as_str(), "1234");
    }
}

/// Working keys of every MAC and data usage, checked through what they compute (moov-io
/// conventions): AES-CMAC, HMAC-SHA256 with HMAC-128 keys, AES-CBC data encryption.
#[test]
fn aes_working_key_usages() {
    let all: Vec<_> = vectors("crypto_more.json")
        .into_iter()
        .filter(|v| v["group"] == "dukpt_aes")
        .collect();
    assert_eq!(all.len(), 8);
    for v in &all {
        let bdk = AesKey::new(&bytes(v, "bdk")).unwrap();
        let ksn = aes::Ksn::from_bytes(&bytes(v, "ksn")).unwrap();
        let data = text(v, "data_ascii").as_bytes();
        let key = |usage, ty| aes::derive(&bdk, &ksn, usage, ty).unwrap();
        let aes128 = |usage| AesKey::try_from(key(usage, aes::KeyType::Aes128)).unwrap();
        for (usage, field) in [
            (aes::KeyUsage::MacGeneration, "expected_cmac_mac_gen_key"),
            (
                aes::KeyUsage::MacVerification,
                "expected_cmac_mac_verify_key",
            ),
        ] {
            assert_eq!(
                upper(&mac::cmac_aes(&aes128(usage), data)),
                text(v, field),
                "{}",
                id(v)
            );
        }
        for (usage, field) in [
            (
                aes::KeyUsage::MacGeneration,
                "expected_hmac_sha256_hmac128_mac_gen_key",
            ),
            (
                aes::KeyUsage::MacVerification,
                "expected_hmac_sha256_hmac128_mac_verify_key",
            ),
        ] {
            let k = key(usage, aes::KeyType::Hmac128);
            assert_eq!(
                upper(&mac::hmac_sha256(k.expose(), data).unwrap()),
                text(v, field),
                "{}",
                id(v)
            );
        }
        for (usage, field) in [
            (
                aes::KeyUsage::DataEncryption,
                "expected_cbc_iv0_data_encrypt_key",
            ),
            (
                aes::KeyUsage::DataDecryption,
                "expected_cbc_iv0_data_decrypt_key",
            ),
        ] {
            let mut buf = data.to_vec();
            buf.resize(32, 0);
            aes128(usage)
                .cipher()
                .encrypt_cbc(&[0; 16], &mut buf)
                .unwrap();
            assert_eq!(upper(&buf), text(v, field), "{}", id(v));
        }
    }
}

/// AES-192 BDKs and AES-256 working keys (own vectors from an independent implementation):
/// every usage with every key type the IK's strength allows.
#[test]
fn aes_key_types_and_bdk_lengths() {
    let all: Vec<_> = vectors("crypto_more.json")
        .into_iter()
        .filter(|v| v["group"] == "dukpt_aes_types")
        .collect();
    assert_eq!(all.len(), 6);
    let mut keys = 0;
    for v in &all {
        let bdk = AesKey::new(&bytes(v, "bdk")).unwrap();
        let ksn = aes::Ksn::from_bytes(&bytes(v, "ksn")).unwrap();
        let ik = aes::initial_key(&bdk, &ksn.ikid()).unwrap();
        assert_eq!(upper(ik.expose()), text(v, "expected_ik"), "{}", id(v));
        let txn = aes::intermediate_key(&ik, &ksn).unwrap();
        assert_eq!(
            upper(txn.expose()),
            text(v, "expected_txn_key"),
            "{}",
            id(v)
        );
        for (name, want) in v["working_keys"].as_object().unwrap() {
            let (usage, ty) = name.split_once('/').unwrap();
            let usage = match usage {
                "PIN" => aes::KeyUsage::Pin,
                "MAC_gen" => aes::KeyUsage::MacGeneration,
                "DATA_enc" => aes::KeyUsage::DataEncryption,
                "KEK" => aes::KeyUsage::KeyEncryption,
                other => panic!("usage {other}"),
            };
            let ty = match ty {
                "TDES2" => aes::KeyType::Tdes2,
                "TDES3" => aes::KeyType::Tdes3,
                "AES128" => aes::KeyType::Aes128,
                "AES192" => aes::KeyType::Aes192,
                "AES256" => aes::KeyType::Aes256,
                other => panic!("type {other}"),
            };
            let key = aes::derive(&bdk, &ksn, usage, ty).unwrap();
            assert_eq!(
                upper(key.expose()),
                want.as_str().unwrap(),
                "{} {name}",
                id(v)
            );
            keys += 1;
        }
    }
    assert_eq!(keys, 108);
}

/// The AES KSN sequences of the supplement follow the terminal's skipping rule, and the
/// terminal agrees with the host on the first 8 counters (published) and on a long run.
#[test]
fn aes_terminal_agrees_with_host() {
    // Next-KSN rule on the supplement's sequences.
    let seq = |c: &[u32]| {
        for pair in c.windows(2) {
            let a =
                aes::Ksn::new(&[0x12, 0x34, 0x56, 0x78, 0x90, 0x12, 0x34, 0x56], pair[0]).unwrap();
            assert_eq!(a.next().unwrap().counter(), pair[1]);
        }
    };
    seq(&[1, 2, 3, 4, 5, 6, 7, 8]);
    seq(&[0x1_FFFE, 0x2_0000, 0x2_0001]);
    seq(&[0xFFFE_2000, 0xFFFE_4000, 0xFFFE_8000, 0xFFFF_0000]);
    let last = aes::Ksn::new(&[0; 8], 0xFFFF_0000).unwrap();
    assert!(last.next().is_none());

    for (file, bdk_hex) in [
        ("dukpt_aes.json", "FEDCBA9876543210F1F1F1F1F1F1F1F1"),
        (
            "dukpt_aes256.json",
            "FEDCBA9876543210F1F1F1F1F1F1F1F1FEDCBA9876543210F1F1F1F1F1F1F1F1",
        ),
    ] {
        let published: HashMap<String, String> = vectors(file)
            .iter()
            .filter(|v| v["ksn"].is_string())
            .map(|v| {
                (
                    text(v, "ksn").to_string(),
                    text(v, "expected_txn_key").to_string(),
                )
            })
            .collect();
        let bdk = AesKey::new(&hex(bdk_hex)).unwrap();
        let ikid = [0x12, 0x34, 0x56, 0x78, 0x90, 0x12, 0x34, 0x56];
        let ik = aes::initial_key(&bdk, &ikid).unwrap();
        let mut terminal = aes::Terminal::new(&ik, &ikid);
        let mut hits = 0;
        // Counters 1 through 0x20001 include the published 0x1FFFE, 0x20000 and 0x20001.
        let mut expected = aes::Ksn::new(&ikid, 1).unwrap();
        loop {
            let (ksn, key) = terminal.next_key().unwrap();
            assert_eq!(ksn, expected);
            if let Some(k) = published.get(&ksn.to_string()) {
                assert_eq!(&upper(key.expose()), k, "{file} {ksn}");
                hits += 1;
            }
            if ksn.counter() < 5_000 || ksn.counter() % 61 == 0 {
                assert!(
                    key.ct_eq(&aes::intermediate_key(&ik, &ksn).unwrap()),
                    "{ksn}"
                );
            }
            if ksn.counter() == 0x2_0001 {
                break;
            }
            expected = ksn.next().unwrap();
        }
        assert_eq!(hits, 11, "{file}: counters 1-8, 0x1FFFE, 0x20000, 0x20001");
    }
}
