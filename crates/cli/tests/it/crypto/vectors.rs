//! The commands over whole vector files of `spec-vectors/`: what the library tests check,
//! checked again through the command line.

use serde_json::Value;

use crate::common::run;

fn vectors(file: &str) -> Vec<Value> {
    let path = format!("{}/../../spec-vectors/{file}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();
    doc["vectors"].as_array().unwrap().clone()
}

fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("{}: no {key}", v["id"]))
}

/// Runs `cardwire` and returns its output, trimmed; the exit status must be `code`.
fn out(args: &[&str], code: i32) -> String {
    let (c, out, err) = run(args);
    assert_eq!(c, code, "{args:?}: {err}");
    out.trim_end().to_owned()
}

#[test]
fn pin_translation() {
    let mut n = 0;
    for v in vectors("pin_translate.json") {
        // Format 4 output draws its random half from the system: compare by deciphering.
        let to_format = v["to_format"].as_u64().unwrap().to_string();
        let from_format = v["from_format"].as_u64().unwrap().to_string();
        let mut args = vec![
            "pin",
            "translate",
            "--block",
            s(&v, "block"),
            "--pan",
            s(&v, "pan"),
            "--from-format",
            &from_format,
            "--to-key",
            s(&v, "to_key"),
            "--to-format",
            &to_format,
        ];
        match s(&v, "source_kind") {
            "key" => args.extend(["--from-key", s(&v, "from_key")]),
            _ => args.extend(["--bdk", s(&v, "bdk"), "--ksn", s(&v, "ksn")]),
        }
        let block = out(&args, 0);
        if to_format == "4" {
            let pin = out(
                &[
                    "pin",
                    "decode",
                    "--format",
                    "4",
                    "--block",
                    &block,
                    "--key",
                    s(&v, "to_key"),
                    "--pan",
                    s(&v, "pan"),
                ],
                0,
            );
            assert_eq!(pin, s(&v, "pin"), "{}", v["id"]);
        } else {
            assert_eq!(block, s(&v, "expected"), "{}", v["id"]);
        }
        n += 1;
    }
    assert_eq!(n, 17);
}

/// One BER-TLV object as hex (short lengths: the values here are short).
fn tlv(tag: &str, value: &str) -> String {
    format!("{tag}{:02X}{value}", value.len() / 2)
}

#[test]
fn cvn_profiles_from_field_55() {
    let mut n = 0;
    for v in vectors("emv_cryptograms.json")
        .iter()
        .filter(|v| v["group"] == "cvn")
    {
        let field55: String = [
            ("9F02", "amount_authorised"),
            ("9F03", "amount_other"),
            ("9F1A", "terminal_country_code"),
            ("95", "tvr"),
            ("5F2A", "currency_code"),
            ("9A", "transaction_date"),
            ("9C", "transaction_type"),
            ("9F37", "unpredictable_number"),
            ("82", "aip"),
            ("9F36", "atc"),
            ("9F10", "iad"),
            ("9F26", "arqc"),
        ]
        .iter()
        .map(|(tag, key)| tlv(tag, s(v, key)))
        .collect();
        let r = &v["arpc_response"];
        let (flag, value) = match r["arc"].as_str() {
            Some(arc) => ("--arc", arc),
            None => ("--csu", s(r, "csu")),
        };
        let args = [
            "emv",
            "cryptogram",
            "--cvn",
            s(v, "cvn"),
            "--imk-ac",
            s(v, "imk_ac"),
            "--pan",
            s(v, "pan"),
            "--psn",
            s(v, "psn"),
            "--tlv",
            &field55,
            flag,
            value,
        ];
        let json: Value = serde_json::from_str(&out(&args, 0)).unwrap();
        assert_eq!(json["ac"], s(v, "arqc"), "{}", v["id"]);
        assert_eq!(json["verified"], true, "{}", v["id"]);
        assert_eq!(json["arpc"], s(v, "arpc"), "{}", v["id"]);
        // A tampered amount: the card's ARQC no longer verifies, exit status 1.
        let tampered = field55.replacen(
            &tlv("9F02", s(v, "amount_authorised")),
            &tlv("9F02", "000000000001"),
            1,
        );
        let mut bad_args = args;
        bad_args[11] = &tampered;
        let json: Value = serde_json::from_str(&out(&bad_args, 1)).unwrap();
        assert_eq!(json["verified"], false, "{}", v["id"]);
        n += 1;
    }
    assert_eq!(n, 8);
}

#[test]
fn pin_change_emv2000_and_cvc3() {
    let all = vectors("emv_cryptograms.json");
    let mut n = 0;
    for v in all.iter().filter(|v| v["group"] == "pin_change") {
        let mut args = vec![
            "emv",
            "pin-change",
            "--cvn",
            s(v, "cvn"),
            "--imk-ac",
            s(v, "imk_ac"),
            "--imk-smi",
            s(v, "imk_smi"),
            "--imk-smc",
            s(v, "imk_smc"),
            "--pan",
            s(v, "pan"),
            "--psn",
            s(v, "psn"),
            "--atc",
            s(v, "atc"),
            "--arqc",
            s(v, "arqc"),
            "--pin",
            s(v, "new_pin"),
        ];
        if let Some(current) = v["current_pin"].as_str() {
            args.extend(["--current-pin", current]);
        }
        assert_eq!(out(&args, 0), s(v, "expected_command"), "{}", v["id"]);
        n += 1;
    }
    for v in all.iter().filter(|v| v["group"] == "emv2000") {
        let (branch, height) = (v["branch"].to_string(), v["height"].to_string());
        let args = [
            "emv",
            "session-key",
            "--method",
            "emv2000",
            "--mk",
            s(v, "mk"),
            "--atc",
            s(v, "atc"),
            "--branch",
            &branch,
            "--height",
            &height,
            "--iv",
            s(v, "iv"),
        ];
        assert_eq!(out(&args, 0), s(v, "expected_sk"), "{}", v["id"]);
        n += 1;
    }
    for v in all.iter().filter(|v| v["group"] == "cvc3") {
        let args = [
            "emv",
            "cvc3",
            "--imk",
            s(v, "imk_cvc3"),
            "--pan",
            s(v, "pan"),
            "--psn",
            s(v, "psn"),
            "--track",
            s(v, "track_template"),
            "--atc",
            s(v, "atc"),
            "--un",
            s(v, "un"),
        ];
        let got = out(&args, 0);
        assert_eq!(
            got.parse::<u32>().unwrap().to_string(),
            s(v, "expected_cvc3"),
            "{}",
            v["id"]
        );
        assert_eq!(got.len(), 5);
        n += 1;
    }
    assert_eq!(n, 11 + 19 + 4);
}

#[test]
fn hmac_and_dukpt_data_keys() {
    let mut n = 0;
    for v in vectors("mac.json")
        .iter()
        .filter(|v| v["algorithm"] == "HMAC-SHA-256")
    {
        let args = [
            "mac",
            "--alg",
            "hmac-sha256",
            "--key",
            s(v, "key"),
            "--data",
            s(v, "message"),
        ];
        assert_eq!(out(&args, 0), s(v, "expected_mac"), "{}", v["id"]);
        let verify = [&args[..], &["--verify", &s(v, "expected_mac")[..8]]].concat();
        assert!(out(&verify, 0).contains("true"));
        n += 1;
    }
    let hex = |ascii: &str| {
        ascii
            .bytes()
            .map(|b| format!("{b:02X}"))
            .collect::<String>()
    };
    for v in vectors("dukpt_tdes.json")
        .iter()
        .filter(|v| v["kind"] == "transaction")
    {
        let data = hex(s(v, "mac_data_ascii"));
        for (direction, field) in [
            ("request", "expected_data_request_enc_cbc_iv0"),
            ("response", "expected_data_response_enc_cbc_iv0"),
        ] {
            let Some(expected) = v[field].as_str() else {
                continue;
            };
            let base = [
                "--bdk",
                s(v, "bdk"),
                "--ksn",
                s(v, "ksn"),
                "--direction",
                direction,
            ];
            let enc = out(
                &[&["dukpt", "encrypt"][..], &base, &["--data", &data]].concat(),
                0,
            );
            assert_eq!(enc, expected, "{} {direction}", v["id"]);
            let dec = out(
                &[&["dukpt", "decrypt"][..], &base, &["--data", &enc]].concat(),
                0,
            );
            assert!(dec.starts_with(&data));
            n += 1;
        }
    }
    for v in vectors("crypto_more.json")
        .iter()
        .filter(|v| v["group"] == "dukpt_aes")
    {
        let data = hex(s(v, "data_ascii"));
        for (direction, field) in [
            ("request", "expected_cbc_iv0_data_encrypt_key"),
            ("response", "expected_cbc_iv0_data_decrypt_key"),
        ] {
            let args = [
                "dukpt",
                "encrypt",
                "--bdk",
                s(v, "bdk"),
                "--ksn",
                s(v, "ksn"),
                "--direction",
                direction,
                "--key-type",
                "aes128",
                "--data",
                &data,
            ];
            // The vectors pad to 32 bytes; the command pads to the block, 32 here too.
            assert_eq!(out(&args, 0), s(v, field), "{} {direction}", v["id"]);
            n += 1;
        }
        // HMAC keys from the CLI, then HMAC-SHA-256 from the CLI.
        let key = out(
            &[
                "dukpt",
                "aes",
                "--bdk",
                s(v, "bdk"),
                "--ksn",
                s(v, "ksn"),
                "--usage",
                "hmac",
                "--key-type",
                "aes128",
            ],
            0,
        );
        let mac = out(
            &[
                "mac",
                "--alg",
                "hmac-sha256",
                "--key",
                &key,
                "--data",
                &data,
            ],
            0,
        );
        assert_eq!(
            mac,
            s(v, "expected_hmac_sha256_hmac128_mac_gen_key"),
            "{}",
            v["id"]
        );
        n += 1;
    }
    assert_eq!(n, 6 + 26 + 24);
}

#[test]
fn tr31_published_blocks_through_the_command() {
    let mut n = 0;
    for file in ["tr31.json", "tr31_more.json"] {
        for v in vectors(file).iter().filter(|v| v["negative"] != true) {
            let Some(kbpk) = v["kbpk"].as_str() else {
                continue;
            };
            let Some(key) = v["expected_key"].as_str() else {
                continue;
            };
            let json: Value = serde_json::from_str(&out(
                &["tr31", "unwrap", "--kbpk", kbpk, s(v, "key_block")],
                0,
            ))
            .unwrap();
            assert_eq!(json["key"], key, "{}", v["id"]);
            n += 1;
        }
    }
    assert!(n >= 20, "{n}");
}
