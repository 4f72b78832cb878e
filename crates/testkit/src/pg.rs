//! Throw-away PostgreSQL databases for the tests: each test gets a database of its own on the
//! server of `CARDWIRE_PG_URL` (`.ci/pg start` prints one), dropped when it goes out of scope.
//! Without that variable a test that needs PostgreSQL says so and is skipped — never passed
//! silently as if it had run.

use std::sync::atomic::{AtomicU32, Ordering};

/// The variable naming the PostgreSQL server the tests use.
pub const PG_URL_VAR: &str = "CARDWIRE_PG_URL";

/// Why there is no PostgreSQL for the tests: `CARDWIRE_PG_URL` is not set.
#[derive(Clone, Copy, Debug)]
pub struct NoServer;

impl std::fmt::Display for NoServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{PG_URL_VAR} is not set (start a server with `.ci/pg start DIR` and export the URL it prints)"
        )
    }
}

/// A database of its own on the tests' PostgreSQL server, dropped on drop.
#[derive(Debug)]
pub struct PgDb {
    admin: String,
    name: String,
    url: String,
}

impl PgDb {
    /// A new, empty database whose name contains `name`, the process id and a counter.
    ///
    /// # Errors
    /// [`NoServer`] when `CARDWIRE_PG_URL` is not set: the caller prints it as the reason
    /// the test is skipped.
    ///
    /// # Panics
    /// When the server cannot be reached or the database not made (test support).
    pub fn new(name: &str) -> Result<Self, NoServer> {
        let admin = std::env::var(PG_URL_VAR).map_err(|_| NoServer)?;
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let name = format!("cw_{}_{n}_{name}", std::process::id()).to_lowercase();
        let mut client = postgres::Client::connect(&admin, postgres::NoTls)
            .unwrap_or_else(|e| panic!("{PG_URL_VAR}: {e}"));
        // One statement each: CREATE DATABASE runs outside any transaction.
        for sql in [
            format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
            format!("CREATE DATABASE {name}"),
        ] {
            client
                .batch_execute(&sql)
                .unwrap_or_else(|e| panic!("{sql}: {e:?}"));
        }
        let url = with_database(&admin, &name);
        Ok(Self { admin, name, url })
    }

    /// Its URL.
    pub fn url(&self) -> &str {
        &self.url
    }
}

/// `url` with its database name replaced by `db`.
fn with_database(url: &str, db: &str) -> String {
    let (base, query) = url.split_once('?').map_or((url, ""), |(b, q)| (b, q));
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let base = match base[scheme_end..].find('/') {
        Some(i) => &base[..scheme_end + i],
        None => base,
    };
    if query.is_empty() {
        format!("{base}/{db}")
    } else {
        format!("{base}/{db}?{query}")
    }
}

impl Drop for PgDb {
    fn drop(&mut self) {
        if let Ok(mut client) = postgres::Client::connect(&self.admin, postgres::NoTls) {
            let _ = client.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn the_database_name_is_replaced() {
        assert_eq!(
            with_database("postgres://u@h:5/cardwire", "t1"),
            "postgres://u@h:5/t1"
        );
        assert_eq!(
            with_database("postgres://u@h:5/cardwire?sslmode=disable", "t1"),
            "postgres://u@h:5/t1?sslmode=disable"
        );
        assert_eq!(with_database("postgres://u@h", "t1"), "postgres://u@h/t1");
    }
}
