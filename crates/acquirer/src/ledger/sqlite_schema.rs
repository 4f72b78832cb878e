//! The SQLite ledger's schema changes since files were first written.

use rusqlite::Connection;

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
