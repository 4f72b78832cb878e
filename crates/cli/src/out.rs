//! Writing to standard output. A reader that goes away (`cardwire … | head`) is not an error
//! worth a panic or a message: the run just ends.

use std::io::{ErrorKind, Write};

/// Why standard output took no more.
#[derive(Debug)]
pub enum Stopped {
    /// Its reader went away: not an error.
    Closed,
    /// Writing failed otherwise (a full disk): reported on stderr, exit status 2.
    Failed,
}

/// Writes `text` and a newline to standard output.
pub fn line(text: &str) -> Result<(), Stopped> {
    let mut stdout = std::io::stdout().lock();
    match writeln!(stdout, "{text}").and_then(|()| stdout.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == ErrorKind::BrokenPipe => Err(Stopped::Closed),
        Err(e) => {
            eprintln!("error: writing standard output: {e}");
            Err(Stopped::Failed)
        }
    }
}

/// `text` as printed: with `compact`, a JSON document on one line; anything else (hex, a
/// human dump) as it is.
pub fn render(text: String, compact: bool) -> String {
    if !compact || !(text.starts_with('{') || text.starts_with('[')) {
        return text;
    }
    match serde_json::from_str::<serde_json::Value>(&text) {
        Ok(value) => value.to_string(),
        Err(_) => text,
    }
}
