//! `cardwire iso8583 …` end to end: decode (masked and clear, framed), encode back, describe,
//! and one-line errors with exit status 2.

use crate::common::run_with_stdin as cardwire;

const PURCHASE: &str = "0200302004C020C0981100000000000000005100183402100006324392260009942820D1312101120084393136363838303134303030303030303030303030303031313536ACF46E73838A82F926000000000000000008220000013841394539314238";

#[test]
fn decode_masks_and_encode_reverses_clear_output() {
    let (code, masked, _) = cardwire(&["iso8583", "decode", "--spec", "cups", PURCHASE], None);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&masked).unwrap();
    assert_eq!(v["mti"], "0200");
    assert_eq!(v["fields"]["3"], "000000");
    assert_eq!(v["fields"]["4"], "000000000051");
    assert_eq!(v["fields"]["35"], "439226******2820D***************");
    assert_eq!(v["fields"]["52"], "****************");
    assert_eq!(v["fields"]["60"]["60.1"], "22");
    // Keys keep the order of the message.
    assert!(masked.find("\"3\"").unwrap() < masked.find("\"60\"").unwrap());

    let (_, clear, _) = cardwire(
        &["iso8583", "decode", "--spec", "cups", "--clear", PURCHASE],
        None,
    );
    assert!(clear.contains("4392260009942820D131210112008439"));
    let (code, hex, err) = cardwire(&["iso8583", "encode", "--spec", "cups", "-"], Some(&clear));
    assert_eq!((code, err.as_str()), (0, ""));
    assert_eq!(hex.trim(), PURCHASE);
}

#[test]
fn framed_messages_show_their_frame() {
    let frame = format!("006E6000030000603100310208{PURCHASE}");
    let (code, out, _) = cardwire(
        &[
            "iso8583", "decode", "--spec", "cups", "--framed", "--clear", &frame,
        ],
        None,
    );
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["frame"]["tpdu"], "6000030000");
    assert_eq!(v["frame"]["header"], "603100310208");
    assert_eq!(v["frame"]["length"], 110);
    let (_, hex, _) = cardwire(
        &["iso8583", "encode", "--spec", "cups", "--framed", "-"],
        Some(&out),
    );
    assert_eq!(hex.trim(), frame);
}

#[test]
fn describe_is_masked_unless_asked() {
    let (code, out, _) = cardwire(&["iso8583", "describe", "--spec", "cups", PURCHASE], None);
    assert_eq!(code, 0);
    assert!(out.starts_with("MTI 0200 (cups)"));
    assert!(out.contains("60.2 Batch number"));
    assert!(!out.contains("4392260009942820"));
    let (_, clear, _) = cardwire(
        &["iso8583", "describe", "--spec", "cups", "--clear", PURCHASE],
        None,
    );
    assert!(clear.contains("4392260009942820"));
}

#[test]
fn bad_input_is_one_line_naming_field_and_offset() {
    let bad = format!("{}5A{}", &PURCHASE[..36], &PURCHASE[38..]);
    let (code, out, err) = cardwire(&["iso8583", "decode", "--spec", "cups", &bad], None);
    assert_eq!((code, out.as_str()), (2, ""));
    assert_eq!(
        err,
        "error: field 4 at offset 18: expected class n characters\n"
    );
    let (code, _, err) = cardwire(&["iso8583", "decode", "--spec", "nope", PURCHASE], None);
    assert_eq!(code, 2);
    assert!(err.starts_with("error: unknown spec"));
    let (code, _, err) = cardwire(
        &[
            "iso8583",
            "encode",
            "--spec",
            "cups",
            r#"{"mti":"0200","fields":{"4":"12X"}}"#,
        ],
        None,
    );
    assert_eq!(code, 2);
    assert_eq!(err.lines().count(), 1);
    assert!(err.contains("field 4"), "{err}");
}

#[test]
fn a_spec_file_loads() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../iso8583/specs/cups.json");
    let (code, out, _) = cardwire(&["iso8583", "decode", "--spec-file", path, PURCHASE], None);
    assert_eq!(code, 0);
    assert!(out.contains("\"60.1\": \"22\""));
}

#[test]
fn encode_rejects_what_it_would_pad_or_ignore() {
    let (_, clear, _) = cardwire(
        &["iso8583", "decode", "--spec", "cups", "--clear", PURCHASE],
        None,
    );
    let message: serde_json::Value = serde_json::from_str(&clear).unwrap();
    let encode = |v: &serde_json::Value, framed: bool| {
        let mut args = vec!["iso8583", "encode", "--spec", "cups"];
        if framed {
            args.push("--framed");
        }
        args.push("-");
        cardwire(&args, Some(&v.to_string()))
    };
    assert_eq!(encode(&message, false).0, 0);

    // Field 41 (terminal id) is fixed at 8 characters; the encoder would pad 7 with a space.
    let mut short = message.clone();
    short["fields"]["41"] = "1234567".into();
    let (code, out, err) = encode(&short, false);
    assert_eq!((code, out.as_str()), (2, ""));
    assert!(err.contains("field 41") && err.contains("8"), "{err}");
    let mut long = message.clone();
    long["fields"]["3"] = "0000000".into();
    let (code, _, err) = encode(&long, false);
    assert_eq!(code, 2);
    assert!(err.contains("field 3"), "{err}");
    // Binary fields count bytes: field 52 (PIN block) is 8.
    let mut pin = message.clone();
    pin["fields"]["52"] = "ACF46E73838A82".into();
    let (code, _, err) = encode(&pin, false);
    assert_eq!(code, 2);
    assert!(err.contains("field 52"), "{err}");

    // Unknown keys are refused, at the top, in the frame, and as field numbers.
    let mut extra = message.clone();
    extra["fieldz"] = serde_json::json!({});
    let (code, _, err) = encode(&extra, false);
    assert_eq!(code, 2);
    assert!(err.contains("\"fieldz\""), "{err}");
    let mut frame = message.clone();
    frame["frame"] = serde_json::json!({"tpdu": "6000030000"});
    assert!(
        encode(&frame, false).2.contains("\"frame\""),
        "frame without --framed"
    );
    frame["frame"]["tdpu"] = "6000030000".into();
    let (code, _, err) = encode(&frame, true);
    assert_eq!(code, 2);
    assert!(err.contains("\"tdpu\""), "{err}");
    let mut field = message.clone();
    field["fields"]["x3"] = "000000".into();
    assert_eq!(encode(&field, false).0, 2);
}
