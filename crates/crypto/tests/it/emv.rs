//! EMV cryptograms against spec-vectors/emv_cryptograms.json (pyemv's published known
//! answers): master keys, session keys, ACs, ARPCs, script MACs and the CVN profiles.

use crate::common::{bytes, id, text, upper, vectors};
use cardwire_crypto::TdesKey;
use cardwire_crypto::emv::{self, AcData, AcPadding, ArpcResponse, Cvn, MasterKeyOption};
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
    emv::icc_master_key(&imk, text(v, "pan").as_bytes(), psn, option).unwrap()
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
        if group == "cvn" {
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
        let cvn = match text(&v, "cvn") {
            "visa10" => Cvn::Visa10,
            "visa18" => Cvn::Visa18,
            "visa22" => Cvn::Visa22,
            "mastercard16" => Cvn::Mastercard16,
            _ => Cvn::Mastercard17,
        };
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
        assert_eq!(upper(&mac), text(&v, "script_mac"), "{}", id(&v));
        checked += 1;
    }
    assert_eq!(checked, 5);
}
