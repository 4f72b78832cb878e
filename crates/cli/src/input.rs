//! Reading the user's input: hex with optional whitespace, or `-` for standard input.

use std::io::Read;

/// The text of an argument, or standard input when it is `-`.
pub fn text(arg: &str) -> Result<String, String> {
    if arg == "-" {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .map_err(|e| format!("reading stdin: {e}"))?;
        Ok(s)
    } else {
        Ok(arg.to_owned())
    }
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
