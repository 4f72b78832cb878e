//! What the CLI tests share: running the binary, and the rule every command keeps for bad
//! input (nothing on stdout, one line on stderr starting `error: `, exit status 2).
#![allow(dead_code)] // each test module uses part of it

use std::io::Write;
use std::process::{Command, Output, Stdio};

/// Runs `cardwire` with `args`.
pub fn cardwire(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cardwire"))
        .args(args)
        .output()
        .expect("run cardwire")
}

/// Runs `cardwire` with `args`: exit status, stdout, stderr.
pub fn run(args: &[&str]) -> (i32, String, String) {
    run_with_stdin(args, None)
}

/// Runs `cardwire` with `args`, writing `stdin` (if any) to its standard input.
pub fn run_with_stdin(args: &[&str], stdin: Option<&str>) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_cardwire"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run cardwire");
    if let Some(text) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
    }
    drop(child.stdin.take());
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// Checks that `args` is refused as bad input and returns the one-line error.
pub fn rejected(args: &[&str]) -> String {
    let (code, out, err) = run(args);
    assert_eq!(code, 2, "{args:?}");
    assert!(out.is_empty(), "{args:?} printed {out}");
    assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
    assert!(err.starts_with("error: "), "{args:?}: {err}");
    err
}

/// As [`rejected`], and the error mentions `needle`.
pub fn bad(args: &[&str], needle: &str) {
    let err = rejected(args);
    assert!(err.contains(needle), "{args:?}: {err}");
}
