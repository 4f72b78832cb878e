//! Verification commands answer `{"verified": true}` or `{"verified": false}` and exit 1 on
//! a mismatch (0 when it matches, 2 for bad input), so that scripts can test the status.

use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::{Map, Value};

static FAILED: AtomicBool = AtomicBool::new(false);

/// The JSON verdict of a check, with `extra` fields; a failed check sets exit status 1.
pub fn report(key: &str, ok: bool, extra: Map<String, Value>) -> Result<String, String> {
    if !ok {
        FAILED.store(true, Ordering::Relaxed);
    }
    let mut out = Map::new();
    out.insert(key.to_owned(), Value::Bool(ok));
    out.extend(extra);
    serde_json::to_string_pretty(&Value::Object(out)).map_err(|e| e.to_string())
}

/// The verdict of a library verification: a mismatch is a verdict, any other error is bad
/// input (named by `what`).
pub fn verified(result: cardwire_crypto::Result<()>, what: &str) -> Result<String, String> {
    match result {
        Ok(()) => report("verified", true, Map::new()),
        Err(e) if e.kind() == cardwire_crypto::ErrorKind::Verification => {
            report("verified", false, Map::new())
        }
        Err(e) => Err(format!("{what}: {e}")),
    }
}

/// Whether a check printed a negative verdict.
pub fn failed() -> bool {
    FAILED.load(Ordering::Relaxed)
}
