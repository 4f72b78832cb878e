//! Usage mistakes are bad input like any other: one line on stderr, exit status 2.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may fail loudly

mod common;

use common::cardwire as run;

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
