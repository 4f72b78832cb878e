//! `cardwire tlv decode`: JSON shape, masking, and exit status 2 on bad input.

use std::process::Output;

use crate::common::cardwire;

use serde_json::Value;

fn json(out: &Output) -> Value {
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn vector(id: &str) -> String {
    let doc: Value =
        serde_json::from_str(include_str!("../../../../spec-vectors/tlv.json")).unwrap();
    let v = doc["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["id"] == id)
        .unwrap();
    v["hex"].as_str().unwrap().to_owned()
}

#[test]
fn decodes_nodes_with_children() {
    let out = cardwire(&["tlv", "decode", &vector("upi-select-aid-fci")]);
    let nodes = json(&out);
    let fci = &nodes[0];
    assert_eq!(fci["tag"], "6F");
    assert_eq!(fci["len"], 0x3B);
    assert_eq!(fci["children"][0]["tag"], "84");
    assert_eq!(fci["children"][0]["value"], "A000000333010102");
    let keys: Vec<&str> = fci["children"][0]
        .as_object()
        .unwrap()
        .keys()
        .map(|k| k.as_str())
        .collect();
    assert_eq!(&keys[..4], ["tag", "name", "len", "value"]);
    assert_eq!(fci["children"][0]["name"], "Dedicated File (DF) Name");
    // The constructed node's value is the hex of its children.
    let a5 = &fci["children"][1];
    assert_eq!(a5["tag"], "A5");
    assert!(
        a5["value"]
            .as_str()
            .unwrap()
            .starts_with("500B5549434320435245444954")
    );
}

#[test]
fn masks_unless_clear() {
    let record = vector("upi-record-pan-cdol");
    let masked = json(&cardwire(&["tlv", "decode", &record]));
    let pan = masked[0]["children"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["tag"] == "5A")
        .unwrap();
    assert_eq!(pan["value"], "621094******0011");
    // The PAN must not leak through the template's own value either.
    assert!(
        !masked[0]["value"]
            .as_str()
            .unwrap()
            .contains("6210948000000011")
    );
    assert!(
        masked[0]["value"]
            .as_str()
            .unwrap()
            .contains("621094******0011")
    );

    let clear = json(&cardwire(&["tlv", "decode", "--clear", &record]));
    let pan = clear[0]["children"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["tag"] == "5A")
        .unwrap();
    assert_eq!(pan["value"], "6210948000000011");

    let track = json(&cardwire(&["tlv", "decode", &vector("upi-record-track2")]));
    let t57 = &track[0]["children"][0];
    assert_eq!(t57["tag"], "57");
    assert_eq!(t57["value"], "621094******0011D*************");
}

#[test]
fn lenient_reads_the_trailing_zero() {
    let hex = vector("field55-unionpay-ic");
    let strict = cardwire(&["tlv", "decode", &hex]);
    assert_eq!(strict.status.code(), Some(2));
    let nodes = json(&cardwire(&["tlv", "decode", "--lenient", &hex]));
    assert_eq!(nodes.as_array().unwrap().len(), 43);
}

#[test]
fn bad_input_exits_2_with_one_line() {
    for (args, needle) in [
        (vec!["tlv", "decode", "9F0206000000"], "offset 3"),
        (vec!["tlv", "decode", "9F02060"], "odd number"),
        (vec!["tlv", "decode", "9G"], "invalid hex"),
        (vec!["tlv", "decode", "70800000"], "indefinite"),
        (vec!["tlv", "decode", "DF8181818101"], "offset 0"),
    ] {
        let out = cardwire(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty(), "no partial JSON for {args:?}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(needle), "{err} should mention {needle}");
    }
}
