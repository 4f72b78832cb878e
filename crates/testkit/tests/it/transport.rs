//! The host over loopback TCP: many terminals at once, and the client's timeout.

use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cardwire_acquirer::ledger::{Durability, Ledger, MemoryLedger, SqliteLedger};
use cardwire_acquirer::server::{Server, ServerConfig};
use cardwire_acquirer::{Host, TerminalEntry};
use cardwire_pos::transport::Client;
use cardwire_pos::{ErrorKind, ResponseCode};
use cardwire_testkit::{Entry, Fixtures, Req, TempDir, TestTerminal};

#[test]
fn many_terminals_concurrently() {
    let host = concurrent(MemoryLedger::new());
    let card = Fixtures::load().unwrap().card("credit-chip").clone();
    let balance = host
        .lock()
        .unwrap()
        .ledger()
        .balance(&card.pan)
        .unwrap()
        .unwrap();
    assert_eq!(balance, card.balance - SPENT);
}

#[test]
fn many_terminals_concurrently_on_sqlite_group_commits_survive_a_restart() {
    let dir = TempDir::new("server");
    let path = dir.join("ledger.db");
    drop(concurrent(
        SqliteLedger::open(&path, Durability::Normal).unwrap(),
    ));
    let mut ledger = SqliteLedger::open(&path, Durability::Normal).unwrap();
    let card = Fixtures::load().unwrap().card("credit-chip").clone();
    assert_eq!(
        ledger.balance(&card.pan).unwrap(),
        Some(card.balance - SPENT)
    );
    let mut rows = 0;
    ledger
        .for_each(&mut |_| {
            rows += 1;
            Ok(())
        })
        .unwrap();
    assert_eq!(rows, 8 * 25);
}

/// What the terminals of [`concurrent`] spend together.
const SPENT: i64 = 8 * (100 * 25 + 24 * 25 / 2);

/// 8 terminals × 25 chip purchases at once through the server; returns the host.
fn concurrent<L: Ledger + Send + 'static>(ledger: L) -> Arc<Mutex<Host<L>>> {
    let fx = Fixtures::load().unwrap();
    let mut registry = fx.registry.clone();
    let noodle = registry.terminal("10580001").unwrap().clone();
    let ids: Vec<String> = (0..8).map(|i| format!("2058{i:04}")).collect();
    for id in &ids {
        registry.terminals.push(TerminalEntry {
            terminal_id: id.clone(),
            ..noodle.clone()
        });
    }
    let host = Arc::new(Mutex::new(Host::new(registry, ledger).unwrap()));
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let server = Server::spawn(
        listener,
        Arc::clone(&host),
        ServerConfig::default(),
        Arc::new(|_, _| {}),
    )
    .unwrap();
    let addr = server.addr();
    let card = fx.card("credit-chip").clone();
    let threads: Vec<_> = ids
        .iter()
        .map(|id| {
            let mut t = TestTerminal::new(
                id,
                noodle.merchant_no.as_deref().unwrap(),
                noodle.tmk.clone(),
                &fx,
            );
            t.serial = Some(noodle.serial.clone());
            t.mac = noodle.profile.mac;
            // The server answers on the system clock: the chips' dates must be today's.
            t.date = cardwire_iso8583::time::DateTime::now(cardwire_iso8583::time::DateTime::CHINA)
                .unwrap();
            let card = card.clone();
            std::thread::spawn(move || {
                let mut c = Client::connect(addr, Duration::from_secs(10)).unwrap();
                let mut buf = [0u8; 512];
                let n = t.sign_in(&mut buf);
                assert_eq!(
                    t.accept_sign_in(c.send(&buf[..n]).unwrap()).unwrap(),
                    ResponseCode::Approved
                );
                for i in 0..25u64 {
                    let (n, _) = t.request(
                        &Req::purchase(&card, Entry::Chip, Some("246810"), 100 + i),
                        &mut buf,
                    );
                    let r = t.read_reply(c.send(&buf[..n]).unwrap()).unwrap();
                    assert_eq!(r.code, Some(ResponseCode::Approved));
                    assert_eq!(r.arpc_ok, Some(true));
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    server.stop();
    host
}

#[test]
fn a_missing_reply_is_a_timeout_and_a_closed_connection_is_not() {
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = silent.local_addr().unwrap();
    let hold = std::thread::spawn(move || {
        let (s, _) = silent.accept().unwrap();
        std::thread::sleep(Duration::from_millis(800));
        drop(s);
    });
    let mut c = Client::connect(addr, Duration::from_millis(200)).unwrap();
    let frame = [0x00, 0x02, 0x08, 0x00];
    assert_eq!(c.send(&frame).unwrap_err().kind(), ErrorKind::Timeout);
    hold.join().unwrap();

    let closing = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = closing.local_addr().unwrap();
    let close = std::thread::spawn(move || drop(closing.accept().unwrap()));
    let mut c = Client::connect(addr, Duration::from_secs(5)).unwrap();
    close.join().unwrap();
    assert_eq!(c.send(&frame).unwrap_err().kind(), ErrorKind::Transport);
}
