//! Reading the user's input: hex with optional whitespace, or `-` for standard input (also
//! what a command reads when its positional input is left out). In `--batch` mode `-` is the
//! current line of standard input instead.

use std::cell::RefCell;
use std::io::{IsTerminal, Read};

thread_local! {
    /// The line `--batch` is working on: what `-` means while it is set.
    static BATCH_LINE: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Makes `-` mean `line` (batch mode) until [`clear_line`].
pub fn set_line(line: &str) {
    BATCH_LINE.with(|l| *l.borrow_mut() = Some(line.to_owned()));
}

/// Makes `-` mean standard input again.
pub fn clear_line() {
    BATCH_LINE.with(|l| *l.borrow_mut() = None);
}

/// The text of an argument, or standard input when it is `-`.
pub fn text(arg: &str) -> Result<String, String> {
    if arg != "-" {
        return Ok(arg.to_owned());
    }
    if let Some(line) = BATCH_LINE.with(|l| l.borrow().clone()) {
        return Ok(line);
    }
    let mut s = String::new();
    stdin()?
        .read_to_string(&mut s)
        .map_err(|e| format!("reading stdin: {e}"))?;
    if s.trim().is_empty() {
        return Err("no input: the argument was left out and standard input is empty".to_owned());
    }
    Ok(s)
}

/// Standard input, to read a whole document from; refused when it is a terminal: waiting
/// there for input the user did not know was wanted looks like a hang.
pub fn stdin() -> Result<std::io::StdinLock<'static>, String> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        return Err(
            "no input: give it as an argument, or pipe it on standard input (`-`)".to_owned(),
        );
    }
    Ok(stdin.lock())
}

/// The text of an argument or of standard input, without surrounding whitespace (a
/// merchant number, an MCC: one value, often piped with its newline).
pub fn word(arg: &str) -> Result<String, String> {
    Ok(text(arg)?.trim().to_owned())
}

/// Hex bytes from an argument (or stdin with `-`); spaces and newlines are ignored.
pub fn hex(arg: &str) -> Result<Vec<u8>, String> {
    let text: String = text(arg)?.chars().filter(|c| !c.is_whitespace()).collect();
    cardwire_emv::hex::decode_to_vec(&text).map_err(|e| match e.kind() {
        cardwire_emv::ErrorKind::InvalidHex if text.len() % 2 == 1 => {
            format!("hex input has an odd number of digits ({})", text.len())
        }
        _ => format!("invalid hex at character {}", e.offset()),
    })
}
