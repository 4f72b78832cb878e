//! `cardwire emv icc-mk | session-key | ac | arpc`, chained as an issuer host would run
//! them, against pyemv's published known answers (knovichikhin/pyemv tests/test_kd_hsm.py,
//! test_ac_hsm.py, test_cvn_hsm.py); exit status 2 and one line on bad input.

use crate::common::{bad, run};

/// The command succeeds; returns its one output line.
fn ok(args: &[&str]) -> String {
    let (code, out, err) = run(args);
    assert_eq!(code, 0, "{args:?}: {err}");
    assert!(
        out.ends_with('\n') && out.lines().count() == 1,
        "{args:?}: {out}"
    );
    out.trim_end().to_owned()
}

fn kcv2(key: &str) -> String {
    ok(&["kcv", "--key", key])[..4].to_owned()
}

const IMK: &str = "0123456789ABCDEFFEDCBA9876543210";
const DATA: &str = "0123456789ABCDEF0123456789ABCDEF";

#[test]
fn option_a_chain_to_arqc_and_arpc() {
    let mk = ok(&[
        "emv",
        "icc-mk",
        "--imk",
        IMK,
        "--pan",
        "12345678901234567",
        "--psn",
        "45",
    ]);
    assert_eq!(mk.len(), 32);
    assert_eq!(mk, mk.to_uppercase());
    assert_eq!(kcv2(&mk), "FF08");
    let sk = ok(&["emv", "session-key", "--mk", &mk, "--r", "1234567890123456"]);
    assert_eq!(kcv2(&sk), "DF82");
    let arqc = ok(&["emv", "ac", "--key", &sk, "--data", DATA]);
    assert_eq!(arqc, "19C1FBC83EBDC0D5");
    let arpc = [
        "emv", "arpc", "--arqc", &arqc, "--method", "1", "--arc", "0000", "--key",
    ];
    assert_eq!(ok(&[&arpc[..], &[&mk]].concat()), "78A372523FA35A03");
    assert_eq!(ok(&[&arpc[..], &[&sk]].concat()), "C3620580668E5B65");
}

#[test]
fn option_b_chain_to_arpc_method_2() {
    let mk = ok(&[
        "emv",
        "icc-mk",
        "--imk",
        IMK,
        "--pan",
        "000000000000000005",
        "--psn",
        "23",
        "--option",
        "b",
    ]);
    assert_eq!(kcv2(&mk), "DD73");
    let sk = ok(&[
        "emv",
        "session-key",
        "--mk",
        &mk,
        "--atc",
        "001C",
        "--method",
        "common",
    ]);
    assert_eq!(kcv2(&sk), "04F8");
    let data = "0000000040000000000000000124800004800001241911050152BF45851800001C06011203A0B800";
    let arqc = ok(&["emv", "ac", "--key", &sk, "--data", data, "--padding", "80"]);
    assert_eq!(arqc, "8CAD6F2489C640B1");
    let arpc = ok(&[
        "emv", "arpc", "--key", &sk, "--arqc", &arqc, "--method", "2", "--csu", "00000000",
        "--pad", "12345678",
    ]);
    assert_eq!(arpc, "E39F1876");
    // Option b on a 16-digit PAN is option a; no --psn counts as 00.
    let b16 = ok(&[
        "emv",
        "icc-mk",
        "--imk",
        IMK,
        "--pan",
        "1234567890123456",
        "--option",
        "b",
    ]);
    let a16 = ok(&[
        "emv",
        "icc-mk",
        "--imk",
        IMK,
        "--pan",
        "1234567890123456",
        "--psn",
        "00",
    ]);
    assert_eq!(b16, a16);
    assert_eq!(kcv2(&a16), "BAB0");
}

#[test]
fn visa_padding_and_mastercard_session_key() {
    let mk = ok(&[
        "emv",
        "icc-mk",
        "--imk",
        IMK,
        "--pan",
        "9901234567890123",
        "--psn",
        "45",
    ]);
    let sk = ok(&["emv", "session-key", "--mk", &mk, "--r", "1234567890123456"]);
    assert_eq!(kcv2(&sk), "0995");
    let visa = ok(&[
        "emv",
        "ac",
        "--key",
        &sk,
        "--data",
        &format!("{DATA}01"),
        "--padding",
        "00",
    ]);
    assert_eq!(visa, "2E141C6BC4A20DA8");
    // Mastercard CVN 16: SKD from ATC and UN, then the AC over CDOL1 data, AIP, ATC, CVR.
    let mk = ok(&[
        "emv",
        "icc-mk",
        "--imk",
        IMK,
        "--pan",
        "1234567890123456",
        "--psn",
        "00",
    ]);
    let sk = ok(&[
        "emv",
        "session-key",
        "--mk",
        &mk,
        "--atc",
        "001C",
        "--un",
        "ABCDEF12",
        "--method",
        "mastercard",
    ]);
    assert_eq!(kcv2(&sk), "2FD5");
    let data = "000000009999000000000000012480000000000124209906\
                00ABCDEF121800001CA00003220000";
    let arqc = ok(&["emv", "ac", "--key", &sk, "--data", data]);
    assert_eq!(arqc, "24CCF3DEE3158C70");
    let arpc = ok(&[
        "emv", "arpc", "--key", &mk, "--arqc", &arqc, "--method", "1", "--arc", "0010",
    ]);
    assert_eq!(arpc, "73F6BBF389A6586C");
}

#[test]
fn bad_input_exits_2_with_one_line() {
    let key = IMK;
    bad(
        &[
            "emv", "icc-mk", "--imk", key, "--pan", "12345X", "--psn", "00",
        ],
        "digit",
    );
    bad(
        &[
            "emv",
            "icc-mk",
            "--imk",
            key,
            "--pan",
            "12345678901234567890",
        ],
        "PAN of 20",
    );
    bad(
        &[
            "emv", "icc-mk", "--imk", key, "--pan", "1234", "--psn", "100",
        ],
        "--psn",
    );
    bad(
        &["emv", "icc-mk", "--imk", "0123", "--pan", "1234"],
        "--imk",
    );
    bad(
        &["emv", "session-key", "--mk", key, "--r", "1234"],
        "--r: 2 bytes given, 8 expected",
    );
    bad(
        &["emv", "session-key", "--mk", key, "--atc", "001C"],
        "--method",
    );
    bad(
        &[
            "emv",
            "session-key",
            "--mk",
            key,
            "--atc",
            "001C",
            "--method",
            "mastercard",
        ],
        "--un",
    );
    bad(&["emv", "session-key", "--mk", key], "--r");
    bad(
        &[
            "emv",
            "session-key",
            "--mk",
            key,
            "--r",
            "1234567890123456",
            "--atc",
            "0001",
        ],
        "not both",
    );
    bad(&["emv", "ac", "--key", key, "--data", "0G"], "hex");
    bad(
        &["emv", "ac", "--key", key, "--data", "00", "--padding", "20"],
        "--padding",
    );
    let arqc = "19C1FBC83EBDC0D5";
    bad(
        &[
            "emv", "arpc", "--key", key, "--arqc", "19C1", "--method", "1", "--arc", "00",
        ],
        "--arqc",
    );
    bad(
        &["emv", "arpc", "--key", key, "--arqc", arqc, "--method", "1"],
        "--arc",
    );
    bad(
        &["emv", "arpc", "--key", key, "--arqc", arqc, "--method", "2"],
        "--csu",
    );
    bad(
        &["emv", "arpc", "--key", key, "--arqc", arqc, "--method", "3"],
        "--method 3",
    );
    bad(
        &[
            "emv",
            "arpc",
            "--key",
            key,
            "--arqc",
            arqc,
            "--method",
            "2",
            "--csu",
            "00000000",
            "--pad",
            "000000000000000000",
        ],
        "--pad",
    );
}
