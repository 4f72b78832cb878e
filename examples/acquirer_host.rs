//! Runs the acquirer host on a TCP port until stopped (Ctrl-C, or the end of standard input),
//! printing one line per request.
//!
//! ```text
//! cargo run --example acquirer_host -- --port 5858 --db acquirer.db
//! ```
//!
//! Options: `--port N` (default 5858; 0 picks a free one), `--bind ADDR` (default 127.0.0.1),
//! `--db PATH` (SQLite ledger, default `acquirer.db`; reopening it keeps every answered
//! transaction), `--fixtures PATH` (merchants, terminals, cardholders and issuer keys; default
//! `spec-vectors/pos-fixtures.json`), `--sync full` (flush the WAL at every commit),
//! `--forever` (ignore standard input; stop with a signal), `--statement PATH` (write the
//! merchant statement CSV there when stopping).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::cast_possible_truncation
)] // examples may fail loudly

use std::io::Read;
use std::net::TcpListener;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use cardwire::acquirer::ledger::{Durability, SqliteLedger};
use cardwire::acquirer::server::{Server, ServerConfig};
use cardwire::acquirer::{Answer, Host, statement};
use cardwire::merchant::Fen;
use cardwire_testkit::Fixtures;

struct Options {
    bind: String,
    port: u16,
    db: String,
    fixtures: String,
    sync: Durability,
    forever: bool,
    statement: Option<String>,
}

fn options() -> Result<Options, String> {
    let mut o = Options {
        bind: "127.0.0.1".into(),
        port: 5858,
        db: "acquirer.db".into(),
        fixtures: format!(
            "{}/spec-vectors/pos-fixtures.json",
            env!("CARGO_MANIFEST_DIR")
        ),
        sync: Durability::Normal,
        forever: false,
        statement: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = || args.next().ok_or(format!("{a} needs a value"));
        match a.as_str() {
            "--port" => o.port = value()?.parse().map_err(|e| format!("--port: {e}"))?,
            "--bind" => o.bind = value()?,
            "--db" => o.db = value()?,
            "--fixtures" => o.fixtures = value()?,
            "--statement" => o.statement = Some(value()?),
            "--sync" => {
                o.sync = match value()?.as_str() {
                    "normal" => Durability::Normal,
                    "full" => Durability::Full,
                    other => return Err(format!("--sync: normal or full, not {other}")),
                }
            }
            "--forever" => o.forever = true,
            other => return Err(format!("unknown option {other}")),
        }
    }
    Ok(o)
}

fn run() -> Result<(), String> {
    let o = options()?;
    let text = std::fs::read_to_string(&o.fixtures).map_err(|e| format!("{}: {e}", o.fixtures))?;
    let fx = Fixtures::from_json(&text)?;
    let ledger = SqliteLedger::open(&o.db, o.sync, &cardwire_testkit::test_key_store())
        .map_err(|e| with_causes(&e))?;
    let host = Arc::new(Mutex::new(
        Host::new(fx.registry, ledger).map_err(|e| e.to_string())?,
    ));
    let listener = TcpListener::bind((o.bind.as_str(), o.port)).map_err(|e| e.to_string())?;
    let log = Arc::new(
        |peer, outcome: Result<&Answer, &cardwire::acquirer::Error>| match outcome {
            Ok(a) => println!("{peer} {a}"),
            Err(e) => println!("{peer} closed: {}", with_causes(e)),
        },
    );
    let server = Server::spawn(listener, Arc::clone(&host), ServerConfig::default(), log)
        .map_err(|e| e.to_string())?;
    println!(
        "acquirer host listening on {} (ledger {}, WAL)",
        server.addr(),
        o.db
    );
    if o.forever {
        loop {
            std::thread::park();
        }
    }
    println!("end of standard input (Ctrl-D) stops it");
    let mut sink = Vec::new();
    let _ = std::io::stdin().read_to_end(&mut sink);
    server.stop();
    let mut host = host.lock().map_err(|_| "host poisoned")?;
    if let Some(path) = &o.statement {
        let file = std::fs::File::create(path).map_err(|e| format!("{path}: {e}"))?;
        statement::write_csv(host.ledger(), file).map_err(|e| e.to_string())?;
        println!("statement written to {path}");
    }
    let rows = statement::rows(host.ledger()).map_err(|e| e.to_string())?;
    let total: i64 = rows.iter().map(|r| r.amount).sum();
    println!(
        "stopped: {} statement rows, {} yuan",
        rows.len(),
        Fen(total)
    );
    Ok(())
}

/// An error and the causes under it, `: `-separated.
fn with_causes(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        text.push_str(&format!(": {c}"));
        cause = c.source();
    }
    text
}

/// What `--help` prints.
const HELP: &str = "\
Runs the acquirer host until the end of standard input (or, with --forever, a signal).

Usage: acquirer_host [--port N] [--bind ADDR] [--db PATH] [--fixtures PATH] [--sync normal|full]
                     [--forever] [--statement PATH]

Defaults: --port 5858 (0 picks a free port), --bind 127.0.0.1, --db acquirer.db,
--fixtures spec-vectors/pos-fixtures.json, --sync normal.";

fn main() -> ExitCode {
    if std::env::args().any(|a| a == "--help" || a == "-h") {
        println!("{HELP}");
        return ExitCode::SUCCESS;
    }
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}
