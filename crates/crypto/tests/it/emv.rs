//! EMV cryptograms against spec-vectors/emv_cryptograms.json (pyemv's published known
//! answers): master keys, session keys, ACs, ARPCs, script MACs and the CVN profiles.

use crate::common::{bytes, id, text, upper, vectors};
use cardwire_crypto::TdesKey;
use cardwire_crypto::emv::{self, AcData, AcPadding, ArpcResponse, Cvn, MasterKeyOption};
use cardwire_crypto::pin::Pin;
use serde_json::Value;

fn kcv2(key: &TdesKey) -> String {
    upper(&key.check_value()[..2])
}

fn check_kcv(v: &Value, field: &str, key: &TdesKey) {
    if let Some(want) = v[field].as_str() {
        assert_eq!(kcv2(key), want, "{} {field}", id(v));
    }
}

fn master_key(v: &Value, imk: &str, option: MasterKeyOption) -> TdesKey {
    let imk = TdesKey::new(&bytes(v, imk)).unwrap();
    let psn = v["psn"].as_str().map(|p| p.parse().unwrap());
    let mk = emv::icc_master_key(&imk, text(v, "pan").as_bytes(), psn, option).unwrap();
    // The IMK's schedule expanded once (the host keeps it) derives the same key.
    let with = emv::icc_master_key_with(&imk.cipher(), text(v, "pan").as_bytes(), psn, option);
    assert_eq!(with.unwrap().expose(), mk.expose());
    mk
}

fn option(v: &Value) -> MasterKeyOption {
    match text(v, "option") {
        "a" => MasterKeyOption::A,
        _ => MasterKeyOption::B,
    }
}

fn arr<const N: usize>(v: &Value, field: &str) -> [u8; N] {
    bytes(v, field).try_into().unwrap()
}

#[test]
fn chains_and_script_macs() {
    let mut checked = 0;
    for v in vectors("emv_cryptograms.json") {
        let group = text(&v, "group");
        if !matches!(group, "chain" | "script_mac" | "visa_script_key") {
            continue;
        }
        let mk = master_key(&v, "imk", option(&v));
        check_kcv(&v, "mk_kcv", &mk);
        let sk = match group {
            "visa_script_key" => emv::visa_script_session_key(&mk, arr(&v, "atc")),
            _ => emv::common_session_key(&mk, &arr(&v, "r")),
        };
        check_kcv(&v, "sk_kcv", &sk);
        let data = bytes(&v, "data");
        if group != "chain" {
            assert_eq!(
                upper(&emv::script_mac(&sk, &data)),
                text(&v, "mac"),
                "{}",
                id(&v)
            );
            checked += 1;
            continue;
        }
        let padding = match text(&v, "padding") {
            "00" => AcPadding::Method1Zero,
            _ => AcPadding::Method2,
        };
        let arqc = emv::application_cryptogram(&sk, &data, padding);
        assert_eq!(upper(&arqc), text(&v, "arqc"), "{}", id(&v));
        emv::verify_application_cryptogram(&sk, &data, padding, &arqc).unwrap();
        for p in v["arpc"].as_array().unwrap() {
            let key = if p["key"] == "mk" { &mk } else { &sk };
            let got = if p["method"] == 1 {
                upper(&emv::arpc_method1(key, &arqc, arr(p, "arc")))
            } else {
                upper(&emv::arpc_method2(key, &arqc, arr(p, "csu"), &bytes(p, "pad")).unwrap())
            };
            assert_eq!(got, text(p, "expected"), "{}", id(&v));
        }
        checked += 1;
    }
    assert_eq!(checked, 12);
}

#[test]
fn cvn_profiles() {
    let mut checked = 0;
    for v in vectors("emv_cryptograms.json") {
        if v["group"] != "cvn" {
            continue;
        }
        let cvn = cvn_named(text(&v, "cvn"));
        let mk = master_key(&v, "imk_ac", cvn.master_key_option());
        check_kcv(&v, "mk_ac_kcv", &mk);
        let iad = bytes(&v, "iad");
        let data = AcData {
            amount_authorised: arr(&v, "amount_authorised"),
            amount_other: arr(&v, "amount_other"),
            terminal_country_code: arr(&v, "terminal_country_code"),
            tvr: arr(&v, "tvr"),
            currency_code: arr(&v, "currency_code"),
            transaction_date: arr(&v, "transaction_date"),
            transaction_type: bytes(&v, "transaction_type")[0],
            unpredictable_number: arr(&v, "unpredictable_number"),
            aip: arr(&v, "aip"),
            atc: arr(&v, "atc"),
            iad: &iad,
        };
        check_kcv(
            &v,
            "sk_kcv",
            &cvn.session_key(&mk, data.atc, data.unpredictable_number),
        );
        let arqc = cvn.generate_ac(&mk, &data).unwrap();
        assert_eq!(upper(&arqc), text(&v, "arqc"), "{}", id(&v));
        let r = &v["arpc_response"];
        let pad = r["pad"]
            .as_str()
            .map(crate::common::hex)
            .unwrap_or_default();
        let response = match r["arc"].as_str() {
            Some(_) => ArpcResponse::Arc(arr(r, "arc")),
            None => ArpcResponse::Csu {
                csu: arr(r, "csu"),
                proprietary: &pad,
            },
        };
        let (atc, un) = (data.atc, data.unpredictable_number);
        let arpc = cvn.arpc(&mk, atc, un, &arqc, response).unwrap();
        assert_eq!(upper(arpc.as_bytes()), text(&v, "arpc"), "{}", id(&v));
        let mk_smi = master_key(&v, "imk_smi", cvn.master_key_option());
        check_kcv(&v, "mk_smi_kcv", &mk_smi);
        let header = bytes(&v, "script_header");
        let mac = cvn.script_mac(&mk_smi, atc, &arqc, &header, &[]);
        if v["imk_smc"].is_string() {
            check_kcv(
                &v,
                "mk_smc_kcv",
                &master_key(&v, "imk_smc", cvn.master_key_option()),
            );
        }
        assert_eq!(upper(&mac), text(&v, "script_mac"), "{}", id(&v));
        checked += 1;
    }
    assert_eq!(checked, 8);
}

fn cvn_named(name: &str) -> Cvn {
    match name {
        "visa10" => Cvn::Visa10,
        "visa18" => Cvn::Visa18,
        "visa22" => Cvn::Visa22,
        "mastercard16" => Cvn::Mastercard16,
        "mastercard17" => Cvn::Mastercard17,
        "mastercard20" => Cvn::Mastercard20,
        "mastercard21" => Cvn::Mastercard21,
        "interac133" => Cvn::Interac133,
        other => panic!("CVN {other}"),
    }
}

fn group(name: &str) -> Vec<Value> {
    let all: Vec<Value> = vectors("emv_cryptograms.json")
        .into_iter()
        .filter(|v| v["group"] == name)
        .collect();
    assert!(!all.is_empty(), "no {name} vectors");
    all
}

#[test]
fn pin_change_commands() {
    let all = group("pin_change");
    for v in &all {
        let cvn = cvn_named(text(v, "cvn"));
        let mk = |imk| master_key(v, imk, cvn.master_key_option());
        let (ac, smi, smc) = (mk("imk_ac"), mk("imk_smi"), mk("imk_smc"));
        let keys = emv::IccKeys {
            ac: &ac,
            smi: &smi,
            smc: &smc,
        };
        let new = Pin::new(text(v, "new_pin")).unwrap();
        let current = v["current_pin"].as_str().map(|p| Pin::new(p).unwrap());
        let cmd = cvn
            .pin_change_command(
                &keys,
                arr(v, "atc"),
                &arr(v, "arqc"),
                &new,
                current.as_ref(),
            )
            .unwrap();
        assert_eq!(
            upper(cmd.as_bytes()),
            text(v, "expected_command"),
            "{}",
            id(v)
        );
    }
    assert_eq!(all.len(), 11);
    // Mastercard's PIN block has no room for the current PIN.
    let v = &all[all.len() - 1];
    let mk = master_key(v, "imk_ac", MasterKeyOption::A);
    let keys = emv::IccKeys {
        ac: &mk,
        smi: &mk,
        smc: &mk,
    };
    let pin = Pin::new("1234").unwrap();
    let err = Cvn::Mastercard21
        .pin_change_command(&keys, [0, 1], &[0; 8], &pin, Some(&pin))
        .unwrap_err();
    assert_eq!(err.kind(), cardwire_crypto::ErrorKind::NotInProfile);
}

#[test]
fn vis_pin_blocks_and_secure_messaging() {
    for v in group("vis_pin_block") {
        let mk = TdesKey::from_hex(text(&v, "icc_mk_ac")).unwrap();
        let current = v["current_pin"].as_str().map(|p| Pin::new(p).unwrap());
        let block = emv::vis_pin_block(&mk, &Pin::new(text(&v, "pin")).unwrap(), current.as_ref());
        assert_eq!(upper(&block), text(&v, "expected"), "{}", id(&v));
    }
    for v in group("sm_encrypt") {
        let sk = TdesKey::from_hex(text(&v, "sk_smc")).unwrap();
        let method = match text(&v, "method") {
            "emv" => emv::SmEncryption::Emv,
            "visa" => emv::SmEncryption::Visa,
            _ => emv::SmEncryption::Mastercard,
        };
        let data = bytes(&v, "data");
        let mut out = [0u8; 64];
        let n = emv::encrypt_command_data(&sk, &data, method, &mut out).unwrap();
        assert_eq!(n, emv::encrypted_len(data.len(), method));
        assert_eq!(upper(&out[..n]), text(&v, "expected"), "{}", id(&v));
    }
}

#[test]
fn emv2000_tree_session_keys() {
    let all = group("emv2000");
    for v in &all {
        let mk = TdesKey::from_hex(text(v, "mk")).unwrap();
        let iv: [u8; 16] = arr(v, "iv");
        let tree = emv::Emv2000Tree::new(
            v["branch"].as_u64().unwrap() as u8,
            v["height"].as_u64().unwrap() as u8,
            iv,
        )
        .unwrap();
        let sk = emv::emv2000_tree_session_key(&mk, arr(v, "atc"), &tree);
        assert_eq!(upper(sk.expose()), text(v, "expected_sk"), "{}", id(v));
    }
    assert_eq!(all.len(), 19);
    // Too few leaves for every ATC, or a degenerate tree.
    assert!(emv::Emv2000Tree::new(4, 7, [0; 16]).is_err());
    assert!(emv::Emv2000Tree::new(1, 64, [0; 16]).is_err());
    assert!(emv::Emv2000Tree::new(2, 0, [0; 16]).is_err());
    assert!(emv::Emv2000Tree::new(255, 2, [0; 16]).is_err()); // 65025 leaves
    assert!(emv::Emv2000Tree::new(255, 3, [0; 16]).is_ok());
}

#[test]
fn cvc3_values() {
    let all = group("cvc3");
    for v in &all {
        let imk = TdesKey::from_hex(text(v, "imk_cvc3")).unwrap();
        let key = emv::icc_master_key(&imk, text(v, "pan").as_bytes(), Some(0), MasterKeyOption::A)
            .unwrap();
        check_kcv(v, "mk_kcv", &key);
        let cvc3 = emv::cvc3(
            &key,
            &bytes(v, "track_template"),
            arr(v, "atc"),
            arr(v, "un"),
        );
        assert_eq!(
            cvc3.value().to_string(),
            text(v, "expected_cvc3"),
            "{}",
            id(v)
        );
    }
    assert_eq!(all.len(), 4);
}
