//! The SQLite ledger's schema changes since files were first written, and the text form of
//! what those columns hold.

use alloc::string::String;

use cardwire_iso8583::time::DateTime;
use rusqlite::Connection;

use super::SignInStamp;
use crate::error::{Error, ErrorKind, Result};

fn db(operation: &'static str) -> impl Fn(rusqlite::Error) -> Error {
    move |e| Error::new(ErrorKind::Ledger).during(operation).caused_by(e)
}

/// Brings a file made by an older version to the ledger's schema: `sessions.last_sign_in` (no
/// sign-in recorded yet: the next one is accepted if its clock is within the window).
pub(super) fn migrate(conn: &Connection) -> Result<()> {
    let has: bool = conn
        .query_row(
            "SELECT COUNT(*) FROM pragma_table_info('sessions') WHERE name = 'last_sign_in'",
            [],
            |row| row.get(0),
        )
        .map_err(db("migrating the ledger"))?;
    if !has {
        conn.execute_batch("ALTER TABLE sessions ADD COLUMN last_sign_in TEXT")
            .map_err(db("migrating the ledger (sessions.last_sign_in)"))?;
    }
    Ok(())
}

/// A sign-in stamp as stored: `YYYY-MM-DD hh:mm:ss NNNNNN` (time, STAN).
pub(super) fn stamp_text(s: &SignInStamp) -> String {
    alloc::format!("{} {:06}", s.time, s.stan)
}

/// Reads [`stamp_text`]; `None` for anything else.
pub(super) fn parse_stamp(text: &str) -> Option<SignInStamp> {
    let (time, stan) = text.rsplit_once(' ')?;
    Some(SignInStamp {
        time: DateTime::parse(time)?,
        stan: stan.parse().ok()?,
    })
}
