//! The national-algorithm commands of `cardwire`: outputs on the published examples and on
//! spec-vectors/sm.json, the `sm2 verify` exit status, and one-line errors naming the
//! argument (exit 2) for bad input.

use crate::common::{bad, run};
use serde_json::Value;

fn ok(args: &[&str]) -> String {
    let (code, out, err) = run(args);
    assert_eq!(code, 0, "{args:?}: {err}");
    assert!(
        out.ends_with('\n') && out.lines().count() == 1,
        "{args:?}: {out}"
    );
    out.trim_end().to_owned()
}

fn json(args: &[&str]) -> Value {
    serde_json::from_str(&ok(args)).unwrap()
}

const K: &str = "0123456789ABCDEFFEDCBA9876543210";
const D: &str = "3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8";
const P: &str = "0409F9DF311E5421A150DD7D161E4BC5C672179FAD1833FC076BB08FF356F35020CCEA490CE26775A52DC6EA718CC1AA600AED05FBF35E084A6632F6072DA9AD13";

fn vectors() -> Vec<Value> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../spec-vectors/sm.json");
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    doc["vectors"].as_array().unwrap().clone()
}

#[test]
fn sm3_and_sm4_published_examples() {
    assert_eq!(
        ok(&["sm3", "--data", "616263"]),
        "66C7F0F462EEEDD9D1F2D46BDC10E4E24167C4875CF2F7A2297DA02B8F4BA8E0"
    );
    assert_eq!(
        ok(&["sm3", "--data", &"61626364".repeat(16)]),
        "DEBE9FF92275B8A138604889C18E5A4D6FDB70E5387E5765293DCBA39C0C5732"
    );
    assert_eq!(
        ok(&["sm4", "encrypt", "--key", K, "--data", K]),
        "681EDF34D206965E86B3E94F536E4246"
    );
    assert_eq!(
        ok(&[
            "sm4",
            "decrypt",
            "--key",
            K,
            "--data",
            "681EDF34D206965E86B3E94F536E4246"
        ]),
        K
    );
    // The check value is SM4 of a zero block, first 3 bytes.
    assert_eq!(ok(&["kcv", "--alg", "sm4", "--key", K]), kcv_of(K));
}

/// The first 3 bytes of SM4(key, zeros), computed through `sm4 encrypt`.
fn kcv_of(key: &str) -> String {
    ok(&["sm4", "encrypt", "--key", key, "--data", &"00".repeat(16)])[..6].to_owned()
}

#[test]
fn commands_reproduce_the_vector_file() {
    let mut seen = 0;
    for v in vectors() {
        let t = |k: &str| v[k].as_str().unwrap().to_owned();
        match v["kind"].as_str().unwrap() {
            "sm4-cbc" => {
                let ct = ok(&[
                    "sm4",
                    "encrypt",
                    "--mode",
                    "cbc",
                    "--key",
                    &t("key"),
                    "--iv",
                    &t("iv"),
                    "--data",
                    &t("plaintext"),
                ]);
                assert_eq!(ct, t("ciphertext"));
                let pt = ok(&[
                    "sm4",
                    "decrypt",
                    "--mode",
                    "cbc",
                    "--key",
                    &t("key"),
                    "--iv",
                    &t("iv"),
                    "--data",
                    &ct,
                ]);
                assert_eq!(pt, t("plaintext"));
            }
            "sm4-cbc-mac" => {
                let padding = v["padding"].to_string();
                let mac = ok(&[
                    "mac",
                    "--alg",
                    "sm4-cbc",
                    "--padding",
                    &padding,
                    "--key",
                    &t("key"),
                    "--data",
                    &t("data"),
                ]);
                assert_eq!(mac, t("mac"), "{}", v["id"]);
            }
            "sm4-cmac" => {
                let mac = ok(&[
                    "mac",
                    "--alg",
                    "sm4-cmac",
                    "--key",
                    &t("key"),
                    "--data",
                    &t("data"),
                ]);
                assert_eq!(mac, t("mac"));
            }
            "hmac-sm3" => {
                let mac = ok(&[
                    "mac",
                    "--alg",
                    "hmac-sm3",
                    "--key",
                    &t("key"),
                    "--data",
                    &t("data"),
                ]);
                assert_eq!(mac, t("mac"));
            }
            "sm4-pin-block" => {
                let block = ok(&[
                    "sm4",
                    "pin-encode",
                    "--pin",
                    &t("pin"),
                    "--pan",
                    &t("pan"),
                    "--key",
                    &t("key"),
                    "--fill",
                    &t("fill"),
                ]);
                assert_eq!(block, t("block"));
                let pin = ok(&[
                    "sm4",
                    "pin-decode",
                    "--block",
                    &block,
                    "--pan",
                    &t("pan"),
                    "--key",
                    &t("key"),
                ]);
                assert_eq!(pin, t("pin"));
            }
            "sm4-field62" => {
                let mut args = vec![
                    "sm4".to_owned(),
                    "field62-build".into(),
                    "--tmk".into(),
                    t("tmk"),
                    "--pik".into(),
                    t("pik"),
                    "--mak".into(),
                    t("mak"),
                ];
                if let Some(tdk) = v["tdk"].as_str() {
                    args.extend(["--tdk".to_owned(), tdk.to_owned()]);
                }
                let args: Vec<&str> = args.iter().map(String::as_str).collect();
                assert_eq!(ok(&args), t("field62"));
                let keys = json(&[
                    "sm4",
                    "field62-open",
                    "--tmk",
                    &t("tmk"),
                    "--data",
                    &t("field62"),
                ]);
                assert_eq!(keys["pik"]["key"], t("pik"));
                assert_eq!(keys["mak"]["key"], t("mak"));
                assert_eq!(keys["tdk"]["key"].as_str(), v["tdk"].as_str());
                assert_eq!(keys["mak"]["check_value"].as_str().unwrap().len(), 8);
            }
            "sm2-verify" => {
                let out = json(&[
                    "sm2",
                    "verify",
                    "--public",
                    &t("public"),
                    "--data",
                    &t("message"),
                    "--signature",
                    &t("signature"),
                    "--id",
                    &t("user_id"),
                ]);
                assert_eq!(out, serde_json::json!({ "valid": true }), "{}", v["id"]);
            }
            "sm2-decrypt" => {
                let pt = ok(&[
                    "sm2",
                    "decrypt",
                    "--private",
                    &t("private"),
                    "--data",
                    &t("ciphertext"),
                ]);
                assert_eq!(pt, t("message"), "{}", v["id"]);
            }
            _ => continue,
        }
        seen += 1;
    }
    assert!(seen >= 30, "only {seen} vectors ran through the command");
}

#[test]
fn sm2_keygen_sign_verify_encrypt_decrypt() {
    let pair = json(&["sm2", "keygen"]);
    let (private, public) = (
        pair["private"].as_str().unwrap().to_owned(),
        pair["public"].as_str().unwrap().to_owned(),
    );
    assert_eq!(private.len(), 64);
    assert!(public.starts_with("04") && public.len() == 130);
    assert_eq!(pair.as_object().unwrap().len(), 2);

    let sig = ok(&["sm2", "sign", "--private", &private, "--data", "48656C6C6F"]);
    assert_eq!(sig.len(), 128);
    let verify = |data: &str, id: &str| {
        let (code, out, err) = run(&[
            "sm2",
            "verify",
            "--public",
            &public,
            "--data",
            data,
            "--signature",
            &sig,
            "--id",
            id,
        ]);
        assert!(err.is_empty(), "{err}");
        (code, serde_json::from_str::<Value>(&out).unwrap())
    };
    assert_eq!(
        verify("48656C6C6F", "1234567812345678"),
        (0, serde_json::json!({"valid": true}))
    );
    // A changed message or another identifier: a verdict, exit status 1.
    assert_eq!(
        verify("48656C6C6E", "1234567812345678"),
        (1, serde_json::json!({"valid": false}))
    );
    assert_eq!(
        verify("48656C6C6F", "ALICE"),
        (1, serde_json::json!({"valid": false}))
    );
    // The identifier goes into Z_A: sign and verify with the same one.
    let sig_id = ok(&[
        "sm2",
        "sign",
        "--private",
        &private,
        "--data",
        "00",
        "--id",
        "terminal-1",
    ]);
    let (code, _, _) = run(&[
        "sm2",
        "verify",
        "--public",
        &public,
        "--data",
        "00",
        "--signature",
        &sig_id,
        "--id",
        "terminal-1",
    ]);
    assert_eq!(code, 0);

    let ct = ok(&["sm2", "encrypt", "--public", &public, "--data", K]);
    assert_eq!(ct.len(), 2 * (97 + 16));
    assert!(ct.starts_with("04"));
    assert_eq!(
        ok(&["sm2", "decrypt", "--private", &private, "--data", &ct]),
        K
    );
    // Randomised: encrypting again gives another ciphertext.
    assert_ne!(
        ok(&["sm2", "encrypt", "--public", &public, "--data", K]),
        ct
    );
}

#[test]
fn sm2_published_example_verifies_and_its_ciphertext_decrypts() {
    let sig = "F5A03B0648D2C4630EEAC513E1BB81A15944DA3827D5B74143AC7EACEEE720B3B1B6AA29DF212FD8763182BC0D421CA1BB9038FD1F7F42D4840B69C485BBC1AA";
    let out = json(&[
        "sm2",
        "verify",
        "--public",
        P,
        "--data",
        "6D65737361676520646967657374",
        "--signature",
        sig,
    ]);
    assert_eq!(out["valid"], true);
    let ct = "0404EBFC718E8D1798620432268E77FEB6415E2EDE0E073C0F4F640ECD2E149A73E858F9D81E5430A57B36DAAB8F950A3C64E6EE6A63094D99283AFF767E124DF059983C18F809E262923C53AEC295D30383B54E39D609D160AFCB1908D0BD876621886CA989CA9C7D58087307CA93092D651EFA";
    assert_eq!(
        ok(&["sm2", "decrypt", "--private", D, "--data", ct]),
        "656E6372797074696F6E207374616E64617264"
    );
}

#[test]
fn rkd_seal_then_open() {
    let host = json(&["sm2", "keygen"]);
    let device = json(&["sm2", "keygen"]);
    let s = |v: &Value, k: &str| v[k].as_str().unwrap().to_owned();
    let env = ok(&[
        "rkd",
        "seal",
        "--tmk",
        K,
        "--key-version",
        "3",
        "--device-id",
        "SN0001",
        "--device-public",
        &s(&device, "public"),
        "--host-private",
        &s(&host, "private"),
    ]);
    let open = |device_id: &str, installed: Option<&str>| {
        let mut args = vec![
            "rkd",
            "open",
            "--envelope",
            &env,
            "--host-public",
            &host["public"].as_str().unwrap(),
            "--device-private",
            device["private"].as_str().unwrap(),
            "--device-id",
            device_id,
        ];
        if let Some(v) = installed {
            args.extend(["--installed-version", v]);
        }
        run(&args)
    };
    let (code, out, err) = open("SN0001", Some("2"));
    assert_eq!(code, 0, "{err}");
    let out: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(out["key"], K);
    assert_eq!(out["key_version"], 3);
    assert_eq!(out["check_value"].as_str().unwrap(), &kcv_full(K)[..8]);
    // Another device, or a version not newer than the installed one: refused.
    for (id, installed) in [("SN0002", None), ("SN0001", Some("3"))] {
        let (code, out, err) = open(id, installed);
        assert_eq!(code, 2);
        assert!(
            out.is_empty() && err.starts_with("error: --envelope: refused"),
            "{err}"
        );
    }
}

fn kcv_full(key: &str) -> String {
    ok(&["sm4", "encrypt", "--key", key, "--data", &"00".repeat(16)])
}

#[test]
fn bad_input_names_the_argument() {
    bad(&["sm3", "--data", "6"], "--data");
    bad(&["sm4", "encrypt", "--key", "00", "--data", K], "--key");
    bad(&["sm4", "encrypt", "--key", K, "--data", "00"], "--data");
    bad(&["sm4", "encrypt", "--key", K, "--data", ""], "--data");
    bad(
        &["sm4", "encrypt", "--key", K, "--data", K, "--mode", "ctr"],
        "--mode",
    );
    bad(
        &["sm4", "encrypt", "--key", K, "--data", K, "--iv", K],
        "--iv",
    );
    bad(
        &[
            "sm4", "encrypt", "--key", K, "--data", K, "--mode", "cbc", "--iv", "00",
        ],
        "--iv",
    );
    bad(
        &[
            "mac",
            "--alg",
            "sm4-cmac",
            "--padding",
            "2",
            "--key",
            K,
            "--data",
            "00",
        ],
        "--padding",
    );
    bad(
        &["mac", "--alg", "sm4-cbc", "--key", "0011", "--data", "00"],
        "--key",
    );
    bad(&["kcv", "--alg", "sm4", "--key", "0011"], "--key");
    bad(
        &["sm2", "sign", "--private", "00", "--data", "00"],
        "--private",
    );
    bad(
        &["sm2", "sign", "--private", &"00".repeat(32), "--data", "00"],
        "--private",
    );
    bad(&["sm2", "sign", "--private", D, "--data", "0"], "--data");
    let sig = "00".repeat(64);
    bad(
        &[
            "sm2",
            "verify",
            "--public",
            &P[2..],
            "--data",
            "00",
            "--signature",
            &sig,
        ],
        "--public",
    );
    bad(
        &[
            "sm2",
            "verify",
            "--public",
            P,
            "--data",
            "00",
            "--signature",
            "00",
        ],
        "--signature",
    );
    bad(&["sm2", "encrypt", "--public", P, "--data", ""], "--data");
    bad(
        &["sm2", "decrypt", "--private", D, "--data", &"04".repeat(97)],
        "--data",
    );
    bad(
        &[
            "sm4",
            "pin-encode",
            "--pin",
            "12",
            "--pan",
            "4111111111111111",
            "--key",
            K,
        ],
        "--pin",
    );
    bad(
        &[
            "sm4",
            "field62-open",
            "--tmk",
            K,
            "--data",
            &"00".repeat(41),
        ],
        "--data",
    );
    bad(
        &[
            "rkd",
            "open",
            "--envelope",
            "0102",
            "--host-public",
            P,
            "--device-private",
            D,
            "--device-id",
            "x",
        ],
        "--envelope",
    );
    // A signature of the right length with r = 0 is not valid, but it is not a usage error.
    let (code, out, _) = run(&[
        "sm2",
        "verify",
        "--public",
        P,
        "--data",
        "00",
        "--signature",
        &sig,
    ]);
    assert_eq!((code, out.trim()), (1, r#"{"valid":false}"#));
}

#[test]
fn a_changed_ciphertext_is_refused_with_exit_2() {
    let ct = ok(&["sm2", "encrypt", "--public", P, "--data", "AABB"]);
    let mut changed = ct.clone().into_bytes();
    let last = changed.len() - 1;
    changed[last] = if changed[last] == b'0' { b'1' } else { b'0' };
    let changed = String::from_utf8(changed).unwrap();
    bad(
        &["sm2", "decrypt", "--private", D, "--data", &changed],
        "--data",
    );
}

#[test]
fn track_encrypt_and_decrypt_follow_spec_vectors_track_json() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../spec-vectors/track.json");
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let all = doc["vectors"].as_array().unwrap();
    assert!(!all.is_empty());
    for v in all {
        let alg = v["kind"].as_str().unwrap().strip_prefix("track-").unwrap();
        let (key, clear, enc) = (
            v["key"].as_str().unwrap(),
            v["clear"].as_str().unwrap(),
            v["enciphered"].as_str().unwrap(),
        );
        let args = ["--alg", alg, "--key", key];
        assert_eq!(
            ok(&[&["track", "encrypt"][..], &args, &["--data", clear]].concat()),
            enc
        );
        assert_eq!(
            ok(&[&["track", "decrypt"][..], &args, &["--data", enc]].concat()),
            clear.replace('=', "D")
        );
    }
    bad(
        &[
            "track", "encrypt", "--alg", "sm4", "--key", K, "--data", "6225X",
        ],
        "--data",
    );
    bad(
        &[
            "track", "encrypt", "--alg", "aes", "--key", K, "--data", "6225",
        ],
        "--alg",
    );
    bad(
        &[
            "track", "decrypt", "--alg", "sm4", "--key", "0011", "--data", "6225",
        ],
        "--key",
    );
}
