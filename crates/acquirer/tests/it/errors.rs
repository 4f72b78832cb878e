//! The ledger's errors keep their cause and say what went wrong where.

use std::error::Error as _;
use std::path::PathBuf;

use cardwire_acquirer::ErrorKind;
use cardwire_acquirer::ledger::{Durability, SqliteLedger};

/// A directory of its own under the temporary directory, removed at the end.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("cardwire-acquirer-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn a_missing_directory_and_a_corrupt_file_are_told_apart() {
    let scratch = Scratch::new("errors");
    let missing = scratch.0.join("no-such-directory").join("ledger.db");
    let e = SqliteLedger::open(
        &missing,
        Durability::Normal,
        &cardwire_acquirer::keystore::SoftwareKeyStore::new([7; 32]),
    )
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::LedgerUnavailable);
    assert_eq!(e.operation(), Some("opening the ledger"));
    assert_eq!(e.subject(), Some(missing.display().to_string().as_str()));
    let cause = e.source().unwrap().downcast_ref::<rusqlite::Error>();
    assert_eq!(
        cause.and_then(rusqlite::Error::sqlite_error_code),
        Some(rusqlite::ErrorCode::CannotOpen),
        "{e:?}"
    );
    let missing_text = e.to_string();
    assert!(missing_text.contains("no-such-directory"), "{missing_text}");
    assert!(missing_text.contains("directory"), "{missing_text}");

    let corrupt = scratch.0.join("corrupt.db");
    std::fs::write(&corrupt, vec![0x5A; 8192]).unwrap();
    let e = SqliteLedger::open(
        &corrupt,
        Durability::Normal,
        &cardwire_acquirer::keystore::SoftwareKeyStore::new([7; 32]),
    )
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::LedgerCorrupt);
    let cause = e.source().unwrap().downcast_ref::<rusqlite::Error>();
    assert_eq!(
        cause.and_then(rusqlite::Error::sqlite_error_code),
        Some(rusqlite::ErrorCode::NotADatabase),
        "{e:?}"
    );
    let corrupt_text = e.to_string();
    assert!(corrupt_text.contains("corrupt.db"), "{corrupt_text}");
    assert_ne!(missing_text, corrupt_text);

    // A good file opens, and again after a restart.
    let good = scratch.0.join("ledger.db");
    drop(
        SqliteLedger::open(
            &good,
            Durability::Normal,
            &cardwire_acquirer::keystore::SoftwareKeyStore::new([7; 32]),
        )
        .unwrap(),
    );
    drop(
        SqliteLedger::open(
            &good,
            Durability::Full,
            &cardwire_acquirer::keystore::SoftwareKeyStore::new([7; 32]),
        )
        .unwrap(),
    );
}

#[test]
fn errors_compose_kind_place_and_cause() {
    let io = std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the pipe broke");
    let e = cardwire_acquirer::Error::from(io).during("writing the statement");
    assert_eq!(e.kind(), ErrorKind::Io);
    assert_eq!(e.to_string(), "writing the statement: input/output failed");
    let cause = e
        .source()
        .unwrap()
        .downcast_ref::<std::io::Error>()
        .unwrap();
    assert_eq!(cause.kind(), std::io::ErrorKind::BrokenPipe);
    let e = cardwire_acquirer::Error::new(ErrorKind::Message(
        cardwire_iso8583::ErrorKind::InvalidFrameLength,
    ))
    .at_field(4);
    assert!(e.to_string().starts_with("field 4: message: "), "{e}");
    assert!(e.source().is_none());
}
