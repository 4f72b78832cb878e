//! Load benchmark of the acquirer host (not a timed test): N terminals × M chip purchases over
//! loopback TCP against the real server, with MAC, PIN (format 0 → PVV) and ARQC verification
//! and the SQLite ledger in WAL mode (a file in the temporary directory). Prints throughput and
//! latency percentiles.
//!
//! `cargo bench -p cardwire-benches --bench pos_host` — environment: `POS_BENCH_TERMINALS` (default 8),
//! `POS_BENCH_PURCHASES` per terminal (default 2500), `POS_BENCH_SYNC` (`normal` or `full`),
//! `POS_BENCH_LEDGER` (`sqlite`, `memory` or `postgres`: a fresh database on the server of
//! `CARDWIRE_PG_URL`), `POS_BENCH_NODES` (PostgreSQL only: host nodes, each a server with its
//! own ledger connection, the terminals spread over them; default 1), `POS_BENCH_POOL`
//! (PostgreSQL only: host workers per node, each with its own connection; default 4, as
//! `serve`), `POS_BENCH_CARDS` (how many cards the terminals buy with, terminal i with card
//! i mod N: copies of the fixtures' credit chip card under other card numbers; default 1, so
//! every posting updates the one account row).
//!
//! The requests are built before the clock starts (each terminal's frames carry their own
//! STAN, PIN block, ARQC and MAC), so the figures are the host's: read, verify, decide, commit,
//! reply. No peer: no Rust acquirer host was found to measure beside it.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::cast_possible_truncation
)] // benches may fail loudly

use std::net::TcpListener;
use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, Instant};

use cardwire::acquirer::ledger::{
    Durability, Ledger, MemoryLedger, PgLedger, PgOptions, SqliteLedger,
};
use cardwire::acquirer::server::{Server, ServerConfig};
use cardwire::acquirer::{Host, ResponseCode, TerminalEntry};
use cardwire::pos::transport::Client;
use cardwire_testkit::{Entry, Fixtures, PgDb, Req, TempDir, TestTerminal};

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let terminals = env("POS_BENCH_TERMINALS", 8);
    let purchases = env("POS_BENCH_PURCHASES", 2500);
    let sync = match std::env::var("POS_BENCH_SYNC").as_deref() {
        Ok("full") => Durability::Full,
        _ => Durability::Normal,
    };
    let kind = std::env::var("POS_BENCH_LEDGER").unwrap_or_else(|_| "sqlite".into());
    let nodes = env("POS_BENCH_NODES", 1).max(1);
    let pool = env("POS_BENCH_POOL", 4).max(1);
    let fx = Fixtures::load().unwrap();
    let mut registry = fx.registry.clone();
    let noodle = registry.terminal("10580001").unwrap().clone();
    let ids: Vec<String> = (0..terminals).map(|i| format!("3{i:07}")).collect();
    for id in &ids {
        registry.terminals.push(TerminalEntry {
            terminal_id: id.clone(),
            ..noodle.clone()
        });
    }
    let card = fx.card("credit-chip").clone();
    let cards: Vec<_> = (0..env("POS_BENCH_CARDS", 1).max(1))
        .map(|i| {
            let mut c = card.clone();
            if i > 0 {
                // Another card number of the same issuer: the fixture's with its account
                // digits replaced, the Luhn digit made again.
                let body = &card.pan[..card.pan.len() - 1];
                let body = format!("{}{:06}", &body[..body.len() - 6], i);
                c.pan = format!("{body}{}", luhn(&body));
                registry
                    .add_cardholder(&c.pan, c.psn, &c.expiry, &c.service_code, &c.pin, 0)
                    .unwrap();
            }
            c
        })
        .collect();
    // Enough credit for every purchase.
    for c in &mut registry.cardholders {
        c.balance = i64::MAX / 4;
    }
    let dir = TempDir::new("pos-bench");
    let db = dir.join("ledger.db");
    let pg = (kind == "postgres").then(|| PgDb::new("pos_bench").unwrap_or_else(|e| panic!("{e}")));
    let label = match kind.as_str() {
        "memory" => "memory".to_string(),
        "postgres" => format!("PostgreSQL, {nodes} node(s) x {pool} connection(s)"),
        _ => format!("SQLite WAL, durability {sync:?}"),
    };
    println!(
        "pos_host: {terminals} terminals x {purchases} chip purchases with PIN, ledger {label}"
    );
    let servers: Vec<(Server, std::net::SocketAddr)> = match kind.as_str() {
        "memory" => vec![serve(Host::new(registry, MemoryLedger::new()).unwrap())],
        "postgres" => {
            let url = pg.as_ref().unwrap().url();
            (0..nodes)
                .map(|_| {
                    let hosts = (0..pool)
                        .map(|_| {
                            let keys = cardwire_testkit::test_key_store();
                            let ledger =
                                PgLedger::connect(url, PgOptions::default(), &keys).unwrap();
                            Arc::new(Mutex::new(Host::new(registry.clone(), ledger).unwrap()))
                        })
                        .collect();
                    serve_pool(hosts)
                })
                .collect()
        }
        _ => vec![serve(
            Host::new(
                registry,
                SqliteLedger::open(&db, sync, &cardwire_testkit::test_key_store()).unwrap(),
            )
            .unwrap(),
        )],
    };
    // Sign in and build every frame before the clock starts.
    let mut prepared = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        let addr = servers[i % servers.len()].1;
        let mut t = TestTerminal::new(
            id,
            noodle.merchant_no.as_deref().unwrap(),
            fx.terminal("noodle-1").tmk.clone(),
            &fx,
        );
        t.serial = Some(noodle.serial.clone());
        t.mac = noodle.profile.mac;
        // The server answers on the system clock: the chips' dates must be today's.
        t.date =
            cardwire_iso8583::time::DateTime::now(cardwire_iso8583::time::DateTime::CHINA).unwrap();
        let mut c = Client::connect(addr, Duration::from_secs(30)).unwrap();
        let mut buf = [0u8; 512];
        let n = t.sign_in(&mut buf);
        assert_eq!(
            t.accept_sign_in(c.send(&buf[..n]).unwrap()).unwrap(),
            ResponseCode::Approved
        );
        let card = &cards[i % cards.len()];
        let frames: Vec<Vec<u8>> = (0..purchases)
            .map(|i| {
                let req = Req {
                    atc: (i % 0xFFFF) as u16 + 1,
                    ..Req::purchase(card, Entry::Chip, Some("246810"), 100 + (i as u64 % 900))
                };
                let (n, _) = t.request(&req, &mut buf);
                buf[..n].to_vec()
            })
            .collect();
        prepared.push((t, c, frames));
    }
    let barrier = Arc::new(Barrier::new(terminals + 1));
    let threads: Vec<_> = prepared
        .into_iter()
        .map(|(t, mut c, frames)| {
            let barrier = Arc::clone(&barrier);
            std::thread::spawn(move || {
                let mut latencies = Vec::with_capacity(frames.len());
                let mut replies = Vec::with_capacity(frames.len());
                barrier.wait();
                for f in &frames {
                    let start = Instant::now();
                    let reply = c.send(f).unwrap().to_vec();
                    latencies.push(start.elapsed());
                    replies.push(reply);
                }
                (t, latencies, replies)
            })
        })
        .collect();
    barrier.wait();
    let start = Instant::now();
    let results: Vec<_> = threads.into_iter().map(|h| h.join().unwrap()).collect();
    let elapsed = start.elapsed();
    for (server, _) in servers {
        server.stop();
    }
    let mut latencies = Vec::new();
    let mut approved = 0;
    for (mut t, l, replies) in results {
        latencies.extend(l);
        for r in replies {
            let v = t.read_reply(&r).unwrap();
            assert!(v.mac);
            if v.code == Some(ResponseCode::Approved) {
                approved += 1;
            }
        }
    }
    let total = terminals * purchases;
    assert_eq!(approved, total, "every purchase approved");
    latencies.sort();
    let pct = |p: f64| latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)];
    println!(
        "{total} purchases in {:.3} s: {:.0} purchases/s; latency p50 {:?}, p99 {:?}, max {:?}",
        elapsed.as_secs_f64(),
        total as f64 / elapsed.as_secs_f64(),
        pct(0.50),
        pct(0.99),
        latencies[latencies.len() - 1],
    );
    let mut rows = 0;
    let mut count = |ledger: &mut dyn Ledger| {
        ledger
            .for_each(&mut |_| {
                rows += 1;
                Ok(())
            })
            .unwrap();
    };
    match kind.as_str() {
        "memory" => rows = total,
        "postgres" => count(
            &mut PgLedger::connect(
                pg.as_ref().unwrap().url(),
                PgOptions::default(),
                &cardwire_testkit::test_key_store(),
            )
            .unwrap(),
        ),
        _ => {
            count(&mut SqliteLedger::open(&db, sync, &cardwire_testkit::test_key_store()).unwrap())
        }
    }
    assert_eq!(rows, total, "every purchase committed");
    drop(dir);
}

/// The Luhn check digit of `body`.
fn luhn(body: &str) -> char {
    let sum: u32 = body
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 0 {
                let d2 = d * 2;
                if d2 > 9 { d2 - 9 } else { d2 }
            } else {
                d
            }
        })
        .sum();
    char::from(b'0' + ((10 - sum % 10) % 10) as u8)
}

fn serve<L: Ledger + Send + 'static>(host: Host<L>) -> (Server, std::net::SocketAddr) {
    serve_pool(vec![Arc::new(Mutex::new(host))])
}

fn serve_pool<L: Ledger + Send + 'static>(
    hosts: Vec<Arc<Mutex<Host<L>>>>,
) -> (Server, std::net::SocketAddr) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let server = Server::spawn_pool(
        listener,
        hosts,
        ServerConfig::default(),
        Arc::new(|_, _| {}),
    )
    .unwrap();
    let addr = server.addr();
    (server, addr)
}
