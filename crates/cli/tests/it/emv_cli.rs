//! The `cardwire tlv describe`, `emv` and `qr` commands, run as a user runs them.

use crate::common::{cardwire, rejected};

fn ok(args: &[&str]) -> String {
    let out = cardwire(args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn tlv_vector(id: &str) -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../spec-vectors/tlv.json");
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let v = doc["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["id"] == id)
        .unwrap();
    v["hex"].as_str().unwrap().to_owned()
}

const BEST: &str = "00020101021229300012D156000000000510A93FO3230Q31280012D15600000001030812345678520441115802CN5914BEST TRANSPORT6007BEIJING64200002ZH0104最佳运输0202北京540523.7253031565502016233030412340603***0708A60086670902ME91320016A0112233449988770708123456786304A13A";

#[test]
fn describe_names_every_tag_of_unionpay_field55() {
    let out = ok(&[
        "tlv",
        "describe",
        "--lenient",
        &tlv_vector("field55-unionpay-ic"),
    ]);
    assert_eq!(out.lines().count(), 43);
    for line in out.lines() {
        // "TAG [LEN] NAME: VALUE": a name is present on every line.
        let (head, _) = line.split_once(": ").unwrap_or((line, ""));
        let name = head.split_once("] ").map(|(_, n)| n).unwrap_or_default();
        assert!(!name.is_empty(), "unnamed: {line}");
    }
    assert!(out.contains("9F02 [6] Amount, Authorised (Numeric): 000000008880 (88.80)"));
    assert!(out.contains("9A [3] Transaction Date: 261125 (2026-11-25)"));
    assert!(out.contains("9F74 [6] Electronic Cash Issuer Authorisation Code: \"ECC001\""));
}

#[test]
fn describe_masks_pan_and_track2_unless_clear() {
    let pan = tlv_vector("upi-record-pan-cdol");
    let masked = ok(&["tlv", "describe", &pan]);
    assert!(masked.contains("5A [8] Application Primary Account Number (PAN): 621094******0011"));
    assert!(!masked.contains("6210948000000011"));
    let track2 = tlv_vector("upi-record-track2");
    let masked = ok(&["tlv", "describe", &track2]);
    assert!(masked.contains("57 [15] Track 2 Equivalent Data: 621094******0011D"));
    assert!(!masked.contains("6210948000000011"));
    let clear = ok(&["tlv", "describe", "--clear", &track2]);
    assert!(clear.contains("6210948000000011D301020100000F"));
}

#[test]
fn decode_names_nodes() {
    let out = ok(&["tlv", "decode", "9F0206000000008880C10100"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v[0]["name"], "Amount, Authorised (Numeric)");
    assert!(v[1]["name"].is_null());
}

#[test]
fn emv_bits_and_dol() {
    let v: serde_json::Value =
        serde_json::from_str(&ok(&["emv", "bits", "--tag", "95", "0000008040"])).unwrap();
    let keys: Vec<&str> = v["flags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["key"].as_str().unwrap())
        .collect();
    assert_eq!(
        keys,
        ["floor_limit_exceeded", "issuer_authentication_failed"]
    );
    let v: serde_json::Value = serde_json::from_str(&ok(&[
        "emv",
        "bits",
        "--tag",
        "9F10",
        "0110A00009248400000000000000000029FF",
    ]))
    .unwrap();
    assert_eq!(
        (v["layout"].as_str(), v["cvn_label"].as_str()),
        (Some("mchip"), Some("CVN 16"))
    );
    let dol = ok(&["emv", "dol", "--dol", "9F02069F3704", "--tlv", "9F02028880"]);
    assert_eq!(dol.trim(), "00000000888000000000");
    rejected(&["emv", "bits", "--tag", "95", "00"]);
    rejected(&["emv", "bits", "--tag", "5A", "00"]);
    rejected(&["emv", "dol", "--dol", "9F", "--tlv", ""]);
}

#[test]
fn qr_decode_encode_round_trip() {
    let out = ok(&["qr", "decode", BEST]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["crc_valid"], true);
    assert_eq!(v["merchant"]["mcc"], "4111");
    assert_eq!(v["objects"][8]["children"][1]["value"], "最佳运输");
    assert_eq!(ok(&["qr", "encode", &out]).trim(), BEST);
    let map = r#"{"00":"01","01":"11","52":"5812","53":"156","58":"CN","59":"Shop","60":"Shanghai","62":{"07":"T1"}}"#;
    let payload = ok(&["qr", "encode", map]);
    assert!(ok(&["qr", "decode", payload.trim()]).contains("\"crc_valid\": true"));
}

#[test]
fn qr_rejects_with_position() {
    let wrong = BEST.replace("6304A13A", "6304A13B");
    let err = rejected(&["qr", "decode", &wrong]);
    assert!(err.contains("A13B") && err.contains("offset 256"), "{err}");
    let ignored = ok(&["qr", "decode", "--ignore-crc", &wrong]);
    assert!(ignored.contains("\"crc_valid\": false"));
    let err = rejected(&["qr", "decode", "0002010102115999ABC"]);
    assert!(err.contains("offset 16"), "{err}");
    let err = rejected(&["qr", "decode", "00020162060399AB63040000"]);
    assert!(
        err.contains("template 62") && err.contains("offset 14"),
        "{err}"
    );
    rejected(&["qr", "encode", "[{\"id\":\"100\",\"value\":\"x\"}]"]);
}

#[test]
fn qr_cpm_and_unionpay_url() {
    let cpm = "hQVDUFYwMWFWTwigAAADMwEBAlcRYmNgAQBxNnLSMSIBAAABiAFfNAEAYzOfJghWite85mtxi58nAYCfEBEHAAEDoAAAAQgwMDAwMDAwMZ82AhEiggIAAJ83BCJgSI4=";
    let out = ok(&["qr", "decode", cpm]);
    assert!(out.contains("\"kind\": \"cpm\""));
    assert!(out.contains("626360******3672D"), "track 2 masked: {out}");
    let url = ok(&[
        "qr",
        "decode",
        "https://qr.95516.com/00010000/62028489073949969691921655610979",
    ]);
    assert!(url.contains("\"kind\": \"unionpay-url\""));
}
