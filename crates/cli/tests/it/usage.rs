//! How the command behaves whatever it computes: usage mistakes are bad input like any other
//! (one line on stderr naming what was wrong, exit status 2); standard input when the input
//! is left out; `--compact`, `--batch`; a closed standard output; completions and man page.

use crate::common;

use crate::common::cardwire as run;

#[test]
fn unknown_flags_and_bad_values_give_one_line_and_exit_2() {
    for args in [
        &["tlv", "decode", "--bogus", "00"][..],
        &["emv", "arpc", "--method", "x"],
        &["nosuchcommand"],
        &["pin", "encode", "--format", "0"],
    ] {
        let out = run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.starts_with("error: "), "{args:?}: {err}");
    }
}

#[test]
fn help_and_version_still_print_and_succeed() {
    let out = run(&["--version"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        String::from_utf8(out.stdout)
            .unwrap()
            .starts_with("cardwire ")
    );
    let out = run(&["tlv", "--help"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8(out.stdout).unwrap().contains("decode"));
}

#[test]
fn a_missing_argument_is_named() {
    let err = common::rejected(&["mac"]);
    assert!(err.contains("--key") && err.contains("--data"), "{err}");
    let err = common::rejected(&["pin", "decode", "--format", "0"]);
    assert!(err.contains("--block"), "{err}");
}

#[test]
fn a_closed_standard_output_ends_the_run_quietly() {
    for args in [
        &["tlv", "decode", "9F0206000000000100"][..],
        &["man"],
        &["completions", "bash"],
    ] {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader); // nobody reads: every write fails with a broken pipe
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_cardwire"))
            .args(args)
            .stdout(writer)
            .stderr(std::process::Stdio::piped())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        assert!(
            out.stderr.is_empty(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn standard_input_is_read_when_the_input_is_left_out() {
    let hex = "9F0206000000000100";
    let (code, from_arg, _) = common::run(&["tlv", "decode", hex]);
    assert_eq!(code, 0);
    for args in [&["tlv", "decode"][..], &["tlv", "decode", "-"]] {
        let (code, from_stdin, err) = common::run_with_stdin(args, Some(&format!("{hex}\n")));
        assert_eq!((code, err.as_str()), (0, ""), "{args:?}");
        assert_eq!(from_stdin, from_arg, "{args:?}");
    }
    let (code, out, _) = common::run_with_stdin(&["mcc"], Some("5411\n"));
    assert_eq!(code, 0);
    assert!(out.contains("\"5411\""), "{out}");
    let (code, out, _) = common::run_with_stdin(&["luhn", "check"], Some("4111111111111111\n"));
    assert_eq!(code, 0);
    assert!(out.contains("\"valid\": true"), "{out}");
    // Nothing given at all is bad input that says so, not an empty answer.
    let (code, out, err) = common::run_with_stdin(&["tlv", "decode"], Some(""));
    assert_eq!((code, out.as_str()), (2, ""));
    assert!(err.starts_with("error: no input"), "{err}");
}

#[test]
fn compact_prints_one_line_of_the_same_json() {
    let hex = "9F02060000000001009F0306000000000000";
    let (_, pretty, _) = common::run(&["tlv", "decode", hex]);
    let (code, compact, _) = common::run(&["tlv", "decode", "--compact", hex]);
    assert_eq!(code, 0);
    assert_eq!(compact.lines().count(), 1, "{compact}");
    assert!(pretty.lines().count() > 1);
    let a: serde_json::Value = serde_json::from_str(&pretty).unwrap();
    let b: serde_json::Value = serde_json::from_str(&compact).unwrap();
    assert_eq!(a, b);
    // Output that is not JSON is left as it is.
    let (_, digit, _) = common::run(&["luhn", "digit", "411111111111111", "--compact"]);
    assert_eq!(digit, "1\n");
}

#[test]
fn batch_decodes_one_input_per_line_into_ndjson() {
    let input = "9F0206000000000100\n\n9F03060000000000005A\nzz\n9F0306000000000000\n";
    let (code, out, err) = common::run_with_stdin(&["tlv", "decode", "--batch"], Some(input));
    assert_eq!(
        (code, err.as_str()),
        (2, ""),
        "a bad line makes the run fail"
    );
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 4, "{out}");
    assert_eq!(lines[0][0]["tag"], "9F02");
    assert_eq!(lines[1]["line"], 3);
    assert!(lines[1]["error"].as_str().unwrap().starts_with("TLV: "));
    assert_eq!(lines[2]["line"], 4);
    assert_eq!(lines[3][0]["tag"], "9F03");

    let (code, out, _) = common::run_with_stdin(
        &["luhn", "check", "--batch"],
        Some("4111111111111111\n4111111111111112\n"),
    );
    assert_eq!(code, 1, "a failed check in the batch: {out}");
    let valid: Vec<bool> = out
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["valid"] == true)
        .collect();
    assert_eq!(valid, [true, false]);

    let (code, out, _) = common::run_with_stdin(&["--batch", "mcc"], Some("5411\n0742\n"));
    assert_eq!(code, 0);
    assert_eq!(out.lines().count(), 2, "{out}");

    common::bad(&["kcv", "--batch", "--key", "00"], "--batch works with");
    common::bad(&["tlv", "decode", "--batch", "9F02"], "leave out");
}

#[test]
fn completions_and_the_man_page_come_from_the_commands() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let (code, out, _) = common::run(&["completions", shell]);
        assert_eq!(code, 0, "{shell}");
        assert!(
            out.contains("cardwire") && out.contains("iso8583"),
            "{shell}"
        );
    }
    common::bad(&["completions", "tcsh"], "tcsh");
    let (code, page, _) = common::run(&["man"]);
    assert_eq!(code, 0);
    assert!(page.contains(".TH cardwire 1"), "{page}");
    assert!(page.contains("iso8583"));
    let dir = std::env::temp_dir().join(format!("cardwire-man-{}", std::process::id()));
    let (code, _, _) = common::run(&["man", "--dir", dir.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert!(dir.join("cardwire.1").is_file());
    assert!(dir.join("cardwire-tlv-decode.1").is_file());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_bad_pan_is_reported_as_a_pan() {
    for args in [
        &[
            "pin",
            "encode",
            "--format",
            "0",
            "--pin",
            "1234",
            "--pan",
            "41111111x1111111",
        ][..],
        &[
            "pin",
            "encode",
            "--format",
            "0",
            "--pin",
            "1234",
            "--pan",
            "41111111111111111111",
        ],
        &[
            "pin",
            "decode",
            "--format",
            "0",
            "--block",
            "041234FFFFFFFFFE",
            "--pan",
            "12ab",
        ],
    ] {
        let err = common::rejected(args);
        assert!(err.starts_with("error: PAN: "), "{args:?}: {err}");
    }
    // Format 0 needs a PAN: its absence is the PAN's, not the block's.
    let err = common::rejected(&["pin", "encode", "--format", "0", "--pin", "1234"]);
    assert!(err.starts_with("error: PAN: "), "{err}");
}

#[test]
fn a_failing_standard_output_is_bad_output_not_success() {
    let Ok(full) = std::fs::OpenOptions::new().write(true).open("/dev/full") else {
        return; // no /dev/full on this system: nothing to write into that always fails
    };
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_cardwire"))
        .args(["tlv", "decode", "9F0206000000000100"])
        .stdout(full)
        .stderr(std::process::Stdio::piped())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.starts_with("error: writing standard output"), "{err}");
}
