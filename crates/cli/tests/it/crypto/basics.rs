//! The crypto commands of `cardwire`: outputs on published vectors, exit status 2 and a
//! one-line error on bad input.

use crate::common::{bad, run};

/// The command succeeds and prints exactly `expected` and a newline.
fn ok(args: &[&str], expected: &str) {
    let (code, out, err) = run(args);
    assert_eq!(code, 0, "{args:?}: {err}");
    assert_eq!(out, format!("{expected}\n"), "{args:?}");
}

const PAN: &str = "4012345678909";

#[test]
fn pin_encode_and_decode() {
    // ANSI X9.24-1:2009 A.4: clear block and the block under the first PIN key.
    ok(
        &[
            "pin", "encode", "--format", "0", "--pin", "1234", "--pan", PAN,
        ],
        "041274EDCBA9876F",
    );
    let key = "042666B49184CF5C68DE9628D0397B36";
    ok(
        &[
            "pin", "encode", "--format", "0", "--pin", "1234", "--pan", PAN, "--key", key,
        ],
        "1B9C1845EB993A7A",
    );
    ok(
        &[
            "pin",
            "decode",
            "--format",
            "0",
            "--block",
            "1B9C1845EB993A7A",
            "--pan",
            PAN,
            "--key",
            key,
        ],
        "1234",
    );
    ok(
        &["pin", "encode", "--format", "2", "--pin", "123456789"],
        "29123456789FFFFF",
    );
    ok(
        &[
            "pin",
            "encode",
            "--format",
            "1",
            "--pin",
            "1234",
            "--fill",
            "ABCDEFABCDEFABCD",
        ],
        "141234ABCDEFABCD",
    );
    // X9.24-3 format 4 example: plain PIN field, enciphered block, and back.
    let k4 = "AF8CB133A78F8DC2D1359F18527593FB";
    let pan4 = "4111111111111111";
    ok(
        &[
            "pin",
            "encode",
            "--format",
            "4",
            "--pin",
            "1234",
            "--fill",
            "2F69ADDE2E9E7ACE",
        ],
        "441234AAAAAAAAAA2F69ADDE2E9E7ACE",
    );
    ok(
        &[
            "pin",
            "encode",
            "--format",
            "4",
            "--pin",
            "1234",
            "--pan",
            pan4,
            "--fill",
            "2F69ADDE2E9E7ACE",
            "--key",
            k4,
        ],
        "A912150391AB65A67E52883D81CE2D15",
    );
    ok(
        &[
            "pin",
            "decode",
            "--format",
            "4",
            "--block",
            "A912150391AB65A67E52883D81CE2D15",
            "--pan",
            pan4,
            "--key",
            k4,
        ],
        "1234",
    );
    // Random fill: decodes back, and two runs differ.
    let (_, a, _) = run(&[
        "pin", "encode", "--format", "3", "--pin", "1234", "--pan", PAN,
    ]);
    let (_, b, _) = run(&[
        "pin", "encode", "--format", "3", "--pin", "1234", "--pan", PAN,
    ]);
    assert_ne!(a, b);
    ok(
        &[
            "pin",
            "decode",
            "--format",
            "3",
            "--block",
            a.trim(),
            "--pan",
            PAN,
        ],
        "1234",
    );
}

#[test]
fn pin_bad_input() {
    bad(
        &[
            "pin", "encode", "--format", "0", "--pin", "12a4", "--pan", PAN,
        ],
        "not a decimal digit",
    );
    bad(
        &[
            "pin", "encode", "--format", "0", "--pin", "123", "--pan", PAN,
        ],
        "PIN of 3 digits",
    );
    bad(
        &["pin", "encode", "--format", "5", "--pin", "1234"],
        "format 5",
    );
    bad(
        &["pin", "encode", "--format", "0", "--pin", "1234"],
        "needs a PAN",
    );
    bad(
        &[
            "pin",
            "encode",
            "--format",
            "3",
            "--pin",
            "1234",
            "--pan",
            PAN,
            "--fill",
            "0123456789ABCDEF",
        ],
        "fill",
    );
    bad(
        &[
            "pin",
            "decode",
            "--format",
            "0",
            "--block",
            "041274EDCBA9876",
            "--pan",
            PAN,
        ],
        "odd number",
    );
    bad(
        &[
            "pin",
            "decode",
            "--format",
            "3",
            "--block",
            "041274EDCBA9876F",
            "--pan",
            PAN,
        ],
        "control field",
    );
    bad(
        &[
            "pin",
            "decode",
            "--format",
            "4",
            "--block",
            "041274EDCBA9876F",
        ],
        "16 bytes",
    );
    bad(
        &[
            "pin", "encode", "--format", "0", "--pin", "1234", "--pan", PAN, "--key", "0011",
        ],
        "2 bytes",
    );
}

#[test]
fn dukpt_keys() {
    let bdk = "0123456789ABCDEFFEDCBA9876543210";
    let ksn = "FFFF9876543210E00001";
    let t = |key: &str, expected: &str| {
        ok(
            &["dukpt", "tdes", "--bdk", bdk, "--ksn", ksn, "--key", key],
            expected,
        )
    };
    t("ipek", "6AC292FAA1315B4D858AB3A3D7D5933A");
    t("transaction", "042666B49184CFA368DE9628D0397BC9");
    t("pin", "042666B49184CF5C68DE9628D0397B36");
    t("mac-request", "042666B4918430A368DE9628D03984C9");
    t("mac-response", "042666B46E84CFA368DE96282F397BC9");
    t("data-request", "448D3F076D8304036A55A3D7E0055A78");
    t("data-response", "AD7BFC8B06AD3A08A560B4105CF8D9E5");
    ok(
        &["dukpt", "tdes", "--bdk", bdk, "--ksn", ksn],
        "042666B49184CF5C68DE9628D0397B36",
    );
    ok(
        &[
            "dukpt",
            "tdes",
            "--ipek",
            "6AC292FAA1315B4D858AB3A3D7D5933A",
            "--ksn",
            ksn,
            "--key",
            "pin",
        ],
        "042666B49184CF5C68DE9628D0397B36",
    );
    let abdk = "FEDCBA9876543210F1F1F1F1F1F1F1F1";
    let aksn = "123456789012345600000001";
    let a = |usage: &str, ty: Option<&str>, expected: &str| {
        let mut args = vec![
            "dukpt", "aes", "--bdk", abdk, "--ksn", aksn, "--usage", usage,
        ];
        if let Some(ty) = ty {
            args.extend(["--key-type", ty]);
        }
        ok(&args, expected);
    };
    a("initial", None, "1273671EA26AC29AFA4D1084127652A1");
    a("transaction", None, "4F21B565BAD9835E112B6465635EAE44");
    a("pin", None, "AF8CB133A78F8DC2D1359F18527593FB");
    a("pin", Some("aes128"), "AF8CB133A78F8DC2D1359F18527593FB");
    a("mac-gen", None, "A2DC23DE6FDE0824A2BC321E08E4B8B7");
    a("data-encrypt", None, "A35C412EFD41FDB98B69797C02DCD08F");
    a("update", None, "9A9770AEE1ACD1B13473D0463A1883B9");
    a("update", Some("tdes2"), "4744A5ECBC62B5C4BB76FBEAE1E244A3");
    ok(
        &[
            "dukpt",
            "aes",
            "--ik",
            "1273671EA26AC29AFA4D1084127652A1",
            "--ksn",
            aksn,
            "--usage",
            "pin",
        ],
        "AF8CB133A78F8DC2D1359F18527593FB",
    );
    // Every other usage runs and gives a key of the right length.
    for usage in [
        "mac-verify",
        "mac-both",
        "data-decrypt",
        "data-both",
        "kek",
        "hmac",
    ] {
        let (code, out, err) = run(&[
            "dukpt", "aes", "--bdk", abdk, "--ksn", aksn, "--usage", usage,
        ]);
        assert_eq!((code, out.trim().len()), (0, 32), "{usage}: {err}");
    }
}

#[test]
fn dukpt_bad_input() {
    let bdk = "0123456789ABCDEFFEDCBA9876543210";
    bad(
        &[
            "dukpt",
            "tdes",
            "--bdk",
            bdk,
            "--ksn",
            "FFFF9876543210EFFE00",
        ],
        "one-bits",
    );
    bad(
        &["dukpt", "tdes", "--bdk", bdk, "--ksn", "FFFF9876543210E000"],
        "KSN",
    );
    bad(
        &[
            "dukpt",
            "tdes",
            "--bdk",
            bdk,
            "--ksn",
            "FFFF9876543210E00001",
            "--key",
            "other",
        ],
        "--key",
    );
    bad(
        &[
            "dukpt",
            "tdes",
            "--bdk",
            "0123456789ABCDEF",
            "--ksn",
            "FFFF9876543210E00001",
        ],
        "8 bytes",
    );
    let abdk = "FEDCBA9876543210F1F1F1F1F1F1F1F1";
    bad(
        &[
            "dukpt",
            "aes",
            "--bdk",
            abdk,
            "--ksn",
            "12345678901234560001FFFF",
            "--usage",
            "pin",
        ],
        "one-bits",
    );
    bad(
        &[
            "dukpt",
            "aes",
            "--bdk",
            abdk,
            "--ksn",
            "123456789012345600000001",
            "--usage",
            "pin",
            "--key-type",
            "aes256",
        ],
        "too weak",
    );
    bad(
        &[
            "dukpt",
            "aes",
            "--bdk",
            abdk,
            "--ksn",
            "123456789012345600000001",
            "--usage",
            "nope",
        ],
        "--usage",
    );
}

#[test]
fn macs_and_check_values() {
    // X9.24-1 A.4 request MAC (X9.19 over the zero-padded ASCII data).
    let data = "3430313233343536373839303944393837";
    ok(
        &[
            "mac",
            "--alg",
            "iso9797-1-alg3",
            "--key",
            "042666B4918430A368DE9628D03984C9",
            "--data",
            data,
        ],
        "9CCC78173FC4FB64",
    );
    // psec docstring vectors.
    ok(
        &[
            "mac",
            "--alg",
            "iso9797-1-alg1",
            "--padding",
            "2",
            "--key",
            "0123456789ABCDEFFEDCBA9876543210",
            "--data",
            "1234567890ABCDEF",
        ],
        "925B1737EF681AD3",
    );
    // RFC 4493 example 2 and NIST SP 800-38B example 14.
    ok(
        &[
            "mac",
            "--alg",
            "cmac-aes",
            "--key",
            "2B7E151628AED2A6ABF7158809CF4F3C",
            "--data",
            "6BC1BEE22E409F96E93D7E117393172A",
        ],
        "070A16B46B4D4144F79BDD9DD04A287C",
    );
    ok(
        &[
            "mac",
            "--alg",
            "cmac-tdes",
            "--key",
            "8AA83BF8CBDA10620BC1BF19FBB6CD58BC313D4A371CA8B5",
            "--data",
            "6BC1BEE22E409F96",
        ],
        "8E8F293136283797",
    );
    // The CUPS purchase of spec-vectors/cups.json: X9.9 and the "ECB" MAC (field 64 = 8A9E91B8).
    let mab = "0200302004C020C0981100000000000000005100183402100006324392260009942820D1312101120084393136363838303134303030303030303030303030303031313536ACF46E73838A82F92600000000000000000822000001";
    ok(
        &[
            "mac",
            "--alg",
            "x9.9",
            "--key",
            "C24A8FB57AA20123",
            "--data",
            mab,
        ],
        "756FED7EEB9F572C",
    );
    ok(
        &[
            "mac",
            "--alg",
            "cups-ecb",
            "--key",
            "C24A8FB57AA20123",
            "--data",
            mab,
        ],
        "8A9E91B88D839AC5",
    );
    ok(
        &["kcv", "--key", "0123456789ABCDEFFEDCBA9876543210"],
        "08D7B4",
    );
    ok(
        &[
            "kcv",
            "--key",
            "3F419E1CB7079442AA37474C2EFBF8B8",
            "--alg",
            "aes-cmac",
        ],
        "08793E",
    );
    ok(
        &[
            "kcv",
            "--key",
            "3F419E1CB7079442AA37474C2EFBF8B8",
            "--alg",
            "aes-ecb",
        ],
        "E5E07C",
    );
    bad(
        &["mac", "--alg", "md5", "--key", "00", "--data", "00"],
        "--alg",
    );
    bad(
        &[
            "mac",
            "--alg",
            "cmac-aes",
            "--padding",
            "2",
            "--key",
            "2B7E151628AED2A6ABF7158809CF4F3C",
            "--data",
            "00",
        ],
        "padding",
    );
    bad(
        &[
            "mac",
            "--alg",
            "iso9797-1-alg1",
            "--padding",
            "4",
            "--key",
            "0123456789ABCDEF",
            "--data",
            "00",
        ],
        "padding",
    );
    bad(
        &[
            "mac",
            "--alg",
            "x9.9",
            "--key",
            "0123456789ABCDEFFEDCBA9876543210",
            "--data",
            "00",
        ],
        "16 bytes",
    );
    bad(
        &[
            "kcv",
            "--key",
            "0123456789ABCDEFFEDCBA98765432100123456789ABCDEF0123456789ABCDEF",
        ],
        "aes-cmac",
    );
}

#[test]
fn tr31_unwrap_and_wrap() {
    // TR-31:2018 A.7.3.1 (version C with a KS optional block).
    let (code, out, err) = run(&[
        "tr31",
        "unwrap",
        "--kbpk",
        "B8ED59E0A279A295E9F5ED7944FD06B9",
        "C0096B0TX12S0100KS1800604B120F9292800000BFB9B689CB567E66FC3FEE5AD5F52161FC6545B9D60989015D02155C",
    ]);
    assert_eq!(code, 0, "{err}");
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    let keys: Vec<&str> = json
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "version",
            "usage",
            "algorithm",
            "mode",
            "key_version",
            "exportability",
            "optional_blocks",
            "key"
        ]
    );
    assert_eq!(json["version"], "C");
    assert_eq!(json["usage"], "B0");
    assert_eq!(json["algorithm"], "T");
    assert_eq!(json["mode"], "X");
    assert_eq!(json["key_version"], "12");
    assert_eq!(json["exportability"], "S");
    assert_eq!(
        json["optional_blocks"],
        serde_json::json!([{ "id": "KS", "data": "00604B120F9292800000" }])
    );
    assert_eq!(json["key"], "EDB380DD340BC2620247D445F5B8D678");

    // Wrap fills in the length digits; the block unwraps to the same key.
    let kbpk = "88E1AB2A2E3DD38C1FA039A536500CC8A87AB9D62DC92C01058FA79F44657DE6";
    for header in [
        "B0000P0TE00N0000",
        "D0000P0AE00N0000",
        "D0000B0TX12S0100KS1800604B120F9292800000",
        "E0000P0AE00N0000",
    ] {
        let kbpk = if header.starts_with('B') {
            &kbpk[..48]
        } else {
            kbpk
        };
        let (code, block, err) = run(&[
            "tr31",
            "wrap",
            "--kbpk",
            kbpk,
            "--header",
            header,
            "--key",
            "3F419E1CB7079442AA37474C2EFBF8B8",
        ]);
        assert_eq!(code, 0, "{header}: {err}");
        let block = block.trim();
        assert_eq!(block.len(), block[1..5].parse::<usize>().unwrap());
        let (code, out, err) = run(&["tr31", "unwrap", "--kbpk", kbpk, block]);
        assert_eq!(code, 0, "{err}");
        assert!(
            out.contains("\"key\": \"3F419E1CB7079442AA37474C2EFBF8B8\""),
            "{out}"
        );
    }
    bad(
        &[
            "tr31",
            "unwrap",
            "--kbpk",
            "DD7515F2BFC17F85CE48F3CA25CB21F6",
            "B0080P0TE00E000094B420079CC80BA3461F86FE26EFC4A3B8E4FA4C5F5341176EED7B727B8A248F",
        ],
        "verification failed",
    );
    bad(
        &[
            "tr31",
            "unwrap",
            "--kbpk",
            "DD7515F2BFC17F85CE48F3CA25CB21F6",
            "B0081P0TE00E0000",
        ],
        "announces 81",
    );
    bad(
        &[
            "tr31",
            "unwrap",
            "--kbpk",
            "DD7515F2BFC17F85",
            "B0080P0TE00E000094B420079CC80BA3461F86FE26EFC4A3B8E4FA4C5F5341176EED7B727B8A248E",
        ],
        "8 bytes",
    );
    bad(
        &[
            "tr31",
            "wrap",
            "--kbpk",
            "DD7515F2BFC17F85CE48F3CA25CB21F6",
            "--header",
            "X0000P0TE00N0000",
            "--key",
            "00112233445566778899AABBCCDDEEFF",
        ],
        "version",
    );
}

#[test]
fn card_values() {
    let key = "0123456789ABCDEFFEDCBA9876543210";
    ok(
        &[
            "cvv",
            "--cvk",
            key,
            "--pan",
            "1234567890123456",
            "--expiry",
            "9912",
            "--service-code",
            "220",
        ],
        "170",
    );
    ok(
        &[
            "cvv",
            "--cvk",
            key,
            "--pan",
            "1234567890123456",
            "--expiry",
            "9912",
            "--service-code",
            "000",
        ],
        "852",
    );
    ok(
        &[
            "pvv",
            "--pvk",
            key,
            "--pan",
            "1122334455667788",
            "--pvki",
            "3",
            "--pin",
            "4524",
        ],
        "4021",
    );
    bad(
        &[
            "cvv",
            "--cvk",
            key,
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
            "0123456789ABCDEF",
            "--pan",
            "1234567890123456",
            "--expiry",
            "9912",
            "--service-code",
            "220",
        ],
        "8 bytes",
    );
    bad(
        &[
            "pvv",
            "--pvk",
            key,
            "--pan",
            "1122334455667788",
            "--pvki",
            "12",
            "--pin",
            "4524",
        ],
        "PVKI",
    );
}
