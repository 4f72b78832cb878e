//! The registry in PostgreSQL when the ledger is: nodes on two machines (two data
//! directories) share the operators' changes, and an import on PostgreSQL gives the registry
//! and the statement an import into the SQLite file gives. Skipped, saying so, without
//! `CARDWIRE_PG_URL`.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use cardwire_acquirer::keystore::SoftwareKeyStore;
use cardwire_acquirer::ledger::{Durability, PgLedger, PgOptions, SqliteLedger};
use cardwire_acquirer::store::{Location, RegistryStore};
use cardwire_acquirer::{Host, Registry};
use cardwire_testkit::{Fixtures, TempDir};

use super::service::{binary, operator_changes_reach};

/// Runs `cardwire-acquirer` on the data directory `dir` (with the KEK of `temp`, and the
/// PostgreSQL URL when given); its standard output.
fn at(temp: &TempDir, dir: &str, url: Option<&str>, args: &[&str], env: &[(&str, &str)]) -> String {
    let mut cmd = Command::new(binary());
    cmd.args(args)
        .args(["--data-dir", temp.join(dir).to_str().unwrap()])
        .args(["--kek-file", temp.join("kek.hex").to_str().unwrap()])
        .envs(env.iter().copied());
    if let Some(url) = url {
        cmd.args(["--ledger", url]);
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn with_kek() -> TempDir {
    let temp = TempDir::new("pg-registry");
    assert!(
        Command::new(binary())
            .args(["kek", temp.join("kek.hex").to_str().unwrap()])
            .status()
            .unwrap()
            .success()
    );
    temp
}

struct Node {
    child: Child,
    addr: String,
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(temp: &TempDir, dir: &str, url: &str) -> Node {
    let mut child = Command::new(binary())
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--metrics-listen",
            "127.0.0.1:0",
        ])
        .args(["--data-dir", temp.join(dir).to_str().unwrap()])
        .args(["--kek-file", temp.join("kek.hex").to_str().unwrap()])
        .args(["--ledger", url])
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(temp.join(&format!("{dir}.log"))).unwrap())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let addr = loop {
        let line = lines
            .next()
            .expect("serve printed its address (see its log)")
            .unwrap();
        if let Some(a) = line.strip_prefix("listening on ") {
            break a.to_string();
        }
    };
    std::thread::spawn(move || lines.for_each(drop));
    Node { child, addr }
}

#[test]
fn an_operator_change_at_one_node_reaches_a_serving_node_on_another_machine() {
    let Some(db) = crate::pg_db("registry_nodes") else {
        return;
    };
    let fx = Fixtures::load().unwrap();
    let temp = with_kek();
    let url = Some(db.url());
    let fixtures = cardwire_testkit::fixtures::fixtures_path();
    at(
        &temp,
        "a",
        url,
        &["import", fixtures.to_str().unwrap()],
        &[],
    );
    // Node B's machine has a data directory of its own, empty: everything it knows comes
    // from the database.
    let b = serve(&temp, "b", db.url());
    // The operator works at node A while B serves.
    operator_changes_reach(&fx, &b.addr, &mut |args, env| {
        at(&temp, "a", url, args, env);
    });
    // Neither machine keeps a registry file: the database is the one place.
    for dir in ["a", "b"] {
        assert!(
            !temp.join(dir).join("acquirer.db").exists(),
            "{dir} has an acquirer.db"
        );
    }
    drop(b);
    let log = std::fs::read_to_string(temp.join("b.log")).unwrap();
    assert!(log.contains("registry reloaded"), "{log}");
}

/// The registry's content, keys in clear, in a form to compare.
fn content(r: &Registry) -> String {
    let mut out = format!("{:?}\n{:?}\n", r.merchants, r.cardholders);
    for c in &r.cardholders {
        out.push_str(&format!(
            "{} {} {} {} {}\n",
            c.pan, c.psn, c.expiry, c.pvv, c.balance
        ));
    }
    for t in &r.terminals {
        out.push_str(&format!(
            "{t:?} {:02x?} {:?}\n",
            t.tmk.expose(),
            t.device_key.map(|k| k.as_bytes().to_vec())
        ));
    }
    let i = &r.issuer;
    out.push_str(&format!(
        "{:02x?} {:02x?} {} {:02x?}\n",
        i.imk_ac.expose(),
        i.pvk.expose(),
        i.pvki,
        i.cdol1
    ));
    out
}

#[test]
fn an_import_and_its_statement_are_the_same_on_sqlite_and_postgres() {
    let Some(db) = crate::pg_db("registry_import") else {
        return;
    };
    let fx = Fixtures::load().unwrap();
    let temp = with_kek();
    let fixtures = cardwire_testkit::fixtures::fixtures_path();
    let fixtures = fixtures.to_str().unwrap();
    at(&temp, "sqlite", None, &["import", fixtures], &[]);
    at(&temp, "pg", Some(db.url()), &["import", fixtures], &[]);
    let keys = SoftwareKeyStore::from_file(temp.join("kek.hex")).unwrap();
    let file = Location::File(temp.join("sqlite").join("acquirer.db"));
    let shared = Location::Postgres(db.url().into());
    let load = |l: &Location| RegistryStore::open_at(l, &keys).unwrap().load().unwrap();
    let (a, b) = (load(&file), load(&shared));
    assert!(!a.terminals.is_empty() && !a.cardholders.is_empty());
    assert_eq!(content(&a), content(&b), "the registries differ");
    assert_eq!(a.terminals.len(), fx.registry.terminals.len());

    // The same day of business on each, from the registry as stored.
    let mut on_file = Host::new(
        a,
        SqliteLedger::open(
            temp.join("sqlite").join("acquirer.db"),
            Durability::Normal,
            &keys,
        )
        .unwrap(),
    )
    .unwrap();
    let mut on_pg = Host::new(
        b,
        PgLedger::connect(db.url(), PgOptions::default(), &keys).unwrap(),
    )
    .unwrap();
    let csv = super::ledger::day(&mut on_file, &fx);
    assert_eq!(csv, super::ledger::day(&mut on_pg, &fx));
    drop((on_file, on_pg));
    // And the operator's statement command writes the same bytes from both.
    let text = String::from_utf8(csv).unwrap();
    let month = &text.lines().nth(1).expect("a statement row")[..7];
    let statement =
        |dir: &str, url: Option<&str>| at(&temp, dir, url, &["statement", "--month", month], &[]);
    let (s, p) = (statement("sqlite", None), statement("pg", Some(db.url())));
    assert!(s.lines().count() > 5, "{s}");
    assert_eq!(s, p);
    assert!(!Path::new(&temp.join("pg").join("acquirer.db")).exists());
}
