//! The toolbox commands: verdicts (exit 1), Luhn, key generation, TLV encode, TR-31
//! optional blocks, and errors named in the user's terms.

use serde_json::Value;

use crate::common::{bad, run, run_with_stdin};

fn json(args: &[&str], code: i32) -> Value {
    let (c, out, err) = run(args);
    assert_eq!(c, code, "{args:?}: {err}");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?}: {e}: {out}"))
}

fn line(args: &[&str]) -> String {
    let (c, out, err) = run(args);
    assert_eq!(c, 0, "{args:?}: {err}");
    assert_eq!(out.lines().count(), 1, "{out}");
    out.trim_end().to_owned()
}

const KEY: &str = "0123456789ABCDEFFEDCBA9876543210";

#[test]
fn verdicts_exit_0_or_1() {
    let cvv = [
        "cvv",
        "--cvk",
        KEY,
        "--pan",
        "1234567890123456",
        "--expiry",
        "9912",
        "--service-code",
        "220",
        "--verify",
    ];
    assert_eq!(json(&[&cvv[..], &["170"]].concat(), 0)["verified"], true);
    assert_eq!(json(&[&cvv[..], &["171"]].concat(), 1)["verified"], false);
    let pvv = [
        "pvv",
        "--pvk",
        KEY,
        "--pan",
        "1122334455667788",
        "--pvki",
        "3",
        "--pin",
        "4524",
    ];
    assert_eq!(line(&pvv), "4021");
    assert_eq!(
        json(&[&pvv[..], &["--verify", "4021"]].concat(), 0)["verified"],
        true
    );
    assert_eq!(
        json(&[&pvv[..], &["--verify", "4020"]].concat(), 1)["verified"],
        false
    );
    // IBM 3624 (psec pin.py): offset 0000 for PIN 4524 with this table and PAN.
    let base = [
        "--pvk",
        KEY,
        "--table",
        "1234567890123456",
        "--pan",
        "1122334455667788",
    ];
    assert_eq!(
        line(&[&["ibm3624", "offset"][..], &base, &["--pin", "4524"]].concat()),
        "0000"
    );
    assert_eq!(
        line(&[&["ibm3624", "natural"][..], &base, &["--pin-length", "4"]].concat()),
        "4524"
    );
    let verify = [
        &["ibm3624", "verify"][..],
        &base,
        &["--pin", "4524", "--offset"],
    ]
    .concat();
    assert_eq!(
        json(&[&verify[..], &["0000"]].concat(), 0)["verified"],
        true
    );
    assert_eq!(
        json(&[&verify[..], &["0001"]].concat(), 1)["verified"],
        false
    );
    // The same validation data given directly.
    assert_eq!(
        line(&[
            "ibm3624",
            "offset",
            "--pvk",
            KEY,
            "--table",
            "1234567890123456",
            "--validation-data",
            "1122334455667788",
            "--pin",
            "4524",
        ]),
        "0000"
    );
    let mac = [
        "mac",
        "--alg",
        "iso9797-1-alg3",
        "--key",
        "042666B4918430A368DE9628D03984C9",
        "--data",
        "34303132333435363738393039443938 37",
    ];
    assert_eq!(
        json(&[&mac[..], &["--verify", "9CCC7817"]].concat(), 0)["verified"],
        true
    );
    assert_eq!(
        json(&[&mac[..], &["--verify", "9CCC7818"]].concat(), 1)["verified"],
        false
    );
    bad(&[&mac[..], &["--verify", "9CCC78"]].concat(), "--verify");
}

#[test]
fn luhn() {
    let v = json(&["luhn", "check", "4012345678909"], 0);
    assert_eq!(
        (v["valid"].clone(), v["check_digit"].clone()),
        (true.into(), "9".into())
    );
    let v = json(&["luhn", "check", "4012345678908"], 1);
    assert_eq!(v["expected_check_digit"], "9");
    // The number itself is never echoed.
    let (_, out, _) = run(&["luhn", "check", "4012345678908"]);
    assert!(!out.contains("401234"));
    assert_eq!(line(&["luhn", "digit", "7992739871"]), "3");
    bad(&["luhn", "check", "40123x5678909"], "PAN");
    bad(&["luhn", "check", "1"], "PAN");
}

#[test]
fn key_generation() {
    for (ty, len) in [
        ("des", 16),
        ("tdes2", 32),
        ("tdes3", 48),
        ("aes128", 32),
        ("aes192", 48),
        ("aes256", 64),
    ] {
        let v = json(&["key", "generate", "--type", ty], 0);
        let key = v["key"].as_str().unwrap();
        assert_eq!(key.len(), len, "{ty}");
        // The check value is the key's, as `kcv` computes it.
        let alg = if ty.starts_with("aes") {
            "aes-cmac"
        } else {
            "tdes"
        };
        assert_eq!(v["kcv"], line(&["kcv", "--key", key, "--alg", alg]), "{ty}");
    }
    // Two keys differ.
    let a = json(&["key", "generate", "--type", "aes128"], 0);
    let b = json(&["key", "generate", "--type", "aes128"], 0);
    assert_ne!(a["key"], b["key"]);
    let v = json(
        &[
            "key",
            "generate",
            "--type",
            "hmac",
            "--length",
            "20",
            "--kcv-length",
            "5",
        ],
        0,
    );
    assert_eq!(v["key"].as_str().unwrap().len(), 40);
    // Wrapped: no clear key, and the block unwraps to a key with that check value.
    let kbpk = "88E1AB2A2E3DD38C1FA039A536500CC8A87AB9D62DC92C01058FA79F44657DE6";
    let v = json(
        &[
            "key",
            "generate",
            "--type",
            "tdes3",
            "--kbpk",
            kbpk,
            "--header",
            "D0000P0TE00E0000",
        ],
        0,
    );
    assert!(v.get("key").is_none());
    let unwrapped = json(
        &[
            "tr31",
            "unwrap",
            "--kbpk",
            kbpk,
            v["key_block"].as_str().unwrap(),
        ],
        0,
    );
    let key = unwrapped["key"].as_str().unwrap();
    assert_eq!(v["kcv"], line(&["kcv", "--key", key]));
    bad(
        &["key", "generate", "--type", "aes128", "--length", "3"],
        "--length",
    );
    bad(
        &["key", "generate", "--type", "hmac", "--length", "40"],
        "--length",
    );
    bad(&["key", "generate", "--type", "rsa"], "--type");
}

#[test]
fn tlv_encode_round_trips_decode() {
    // A CUPS field 55 (the emv crate's samples) and a template.
    let samples = [
        "9F2608C2C12B098F3DA6E39F2701809F10120110A0000F040000000000000000000000FF9F3704BA6A6B4D9F360200418202390095050880048000",
        "700F5F200241425A084761739001010010",
    ];
    for hex in samples {
        let (c, decoded, err) = run(&["tlv", "decode", "--clear", hex]);
        assert_eq!(c, 0, "{err}");
        let (c, out, err) = run_with_stdin(&["tlv", "encode", "-"], Some(&decoded));
        assert_eq!(c, 0, "{err}");
        assert_eq!(out.trim_end(), hex);
    }
    // Decoded without --clear, the PAN is masked and cannot be encoded back.
    let (_, masked, _) = run(&["tlv", "decode", samples[1]]);
    let (c, _, err) = run_with_stdin(&["tlv", "encode", "-"], Some(&masked));
    assert_eq!(c, 2);
    assert!(err.contains("masked"), "{err}");
    assert_eq!(
        line(&["tlv", "encode", r#"{"tag":"9F02","value":"000000001000"}"#]),
        "9F0206000000001000"
    );
    bad(
        &["tlv", "encode", r#"[{"tag":"9F02","valu":"00"}]"#],
        "unknown key",
    );
    bad(
        &["tlv", "encode", r#"[{"tag":"9F02","children":[]}]"#],
        "primitive",
    );
    bad(&["tlv", "encode", r#"[{"tag":"ZZ","value":"00"}]"#], "tag");
    bad(&["tlv", "encode", "not json"], "JSON");
}

#[test]
fn tr31_optional_blocks_and_long_keys() {
    let kbpk = "88E1AB2A2E3DD38C1FA039A536500CC8A87AB9D62DC92C01058FA79F44657DE6";
    let long = "A".repeat(300);
    let ct = format!("CT={long}");
    let block = line(&[
        "tr31",
        "wrap",
        "--kbpk",
        kbpk,
        "--header",
        "D0000P0AE00E0100KS1800604B120F9292800000",
        "--optional",
        &ct,
        "--key",
        "3F419E1CB7079442AA37474C2EFBF8B8",
    ]);
    assert!(block.contains("CT00020136"), "{block}");
    let v = json(&["tr31", "unwrap", "--kbpk", kbpk, &block], 0);
    assert_eq!(v["key"], "3F419E1CB7079442AA37474C2EFBF8B8");
    let ids: Vec<&str> = v["optional_blocks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["KS", "CT", "PB"]);
    assert_eq!(v["optional_blocks"][1]["data"], long);
    // Without length masking the block is shorter.
    let short = line(&[
        "tr31",
        "wrap",
        "--kbpk",
        kbpk,
        "--header",
        "D0000P0AE00E0000",
        "--no-length-masking",
        "--key",
        "3F419E1CB7079442AA37474C2EFBF8B8",
    ]);
    assert_eq!(short.len(), 112);
    bad(
        &[
            "tr31",
            "wrap",
            "--kbpk",
            kbpk,
            "--header",
            "D0000P0AE00E0000",
            "--optional",
            "KSX",
            "--key",
            "00",
        ],
        "ID=DATA",
    );
    // A key too long for the block is the key's fault, not a buffer's.
    bad(
        &[
            "tr31",
            "wrap",
            "--kbpk",
            kbpk,
            "--header",
            "D0000P0AE00E0000",
            "--key",
            &"00".repeat(33),
        ],
        "33 bytes",
    );
}

#[test]
fn errors_name_what_was_wrong() {
    // A bad PAN is reported as a PAN, not as a PIN block.
    bad(
        &[
            "pin",
            "translate",
            "--block",
            "1B9C1845EB993A7A",
            "--bdk",
            KEY,
            "--ksn",
            "FFFF9876543210E00001",
            "--pan",
            "40123456789X9",
            "--to-key",
            KEY,
        ],
        "PAN",
    );
    bad(
        &[
            "pin",
            "translate",
            "--block",
            "1B9C1845EB993A7A",
            "--from-key",
            KEY,
            "--to-key",
            KEY,
        ],
        "needs --pan",
    );
    bad(
        &[
            "pin",
            "translate",
            "--block",
            "1B9C1845EB993A",
            "--from-key",
            KEY,
            "--pan",
            "4012345678909",
            "--to-key",
            KEY,
        ],
        "PIN block",
    );
    bad(
        &[
            "pin",
            "translate",
            "--block",
            "1B9C1845EB993A7A",
            "--bdk",
            KEY,
            "--ksn",
            "FFFF98",
            "--pan",
            "4012345678909",
            "--to-key",
            KEY,
        ],
        "KSN",
    );
    bad(
        &[
            "pin",
            "translate",
            "--block",
            "1B9C1845EB993A7A",
            "--from-key",
            KEY,
            "--pan",
            "4012345678909",
            "--to-key",
            "0123456789ABCDEF",
            "--to-format",
            "4",
        ],
        "--to-key",
    );
    bad(
        &[
            "cvv",
            "--cvk",
            KEY,
            "--pan",
            "123456789012345X",
            "--expiry",
            "9912",
            "--service-code",
            "220",
        ],
        "PAN",
    );
    bad(
        &[
            "cvv",
            "--cvk",
            KEY,
            "--pan",
            "1234567890123456",
            "--expiry",
            "991",
            "--service-code",
            "220",
        ],
        "expiry",
    );
    bad(
        &[
            "cvv",
            "--cvk",
            KEY,
            "--pan",
            "1234567890123456",
            "--expiry",
            "9912",
            "--service-code",
            "22",
        ],
        "service code",
    );
    bad(
        &[
            "dukpt", "encrypt", "--bdk", KEY, "--ksn", "00", "--data", "00",
        ],
        "KSN",
    );
    bad(
        &[
            "dukpt",
            "decrypt",
            "--bdk",
            KEY,
            "--ksn",
            "FFFF9876543210E00001",
            "--data",
            "0011",
        ],
        "whole 8-byte blocks",
    );
    bad(
        &[
            "emv",
            "pin-change",
            "--cvn",
            "mastercard16",
            "--imk-ac",
            KEY,
            "--imk-smi",
            KEY,
            "--imk-smc",
            KEY,
            "--pan",
            "1234567890123456",
            "--atc",
            "0001",
            "--arqc",
            "0000000000000000",
            "--pin",
            "1234",
            "--current-pin",
            "4321",
        ],
        "--current-pin",
    );
    bad(
        &[
            "emv",
            "session-key",
            "--mk",
            KEY,
            "--atc",
            "0001",
            "--method",
            "emv2000",
            "--height",
            "7",
        ],
        "65535 leaves",
    );
}
