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

/// A pool of hosts is bounded, and refused over a ledger each host would cache (each would
/// answer from its own copy of sessions and counts).
#[test]
fn a_pool_needs_a_shared_ledger_and_a_size_within_its_bound() {
    let fx = Fixtures::load().unwrap();
    let host = || {
        Arc::new(Mutex::new(
            Host::new(fx.registry.clone(), MemoryLedger::new()).unwrap(),
        ))
    };
    let listener = || TcpListener::bind("127.0.0.1:0").unwrap();
    let spawn = |hosts| {
        Server::spawn_pool(
            listener(),
            hosts,
            ServerConfig::default(),
            Arc::new(|_, _| {}),
        )
    };
    let err = spawn(vec![host(), host()]).unwrap_err();
    assert_eq!(err.kind(), cardwire_acquirer::ErrorKind::Config, "{err}");
    let err = spawn(Vec::new()).unwrap_err();
    assert_eq!(err.kind(), cardwire_acquirer::ErrorKind::Config, "{err}");
    let one = spawn(vec![host()]).unwrap();
    assert_eq!(one.metrics().pool_size(), 1);
    one.stop();
}

#[test]
fn many_terminals_concurrently_on_sqlite_group_commits_survive_a_restart() {
    let dir = TempDir::new("server");
    let path = dir.join("ledger.db");
    drop(concurrent(
        SqliteLedger::open(
            &path,
            Durability::Normal,
            &cardwire_testkit::test_key_store(),
        )
        .unwrap(),
    ));
    let mut ledger = SqliteLedger::open(
        &path,
        Durability::Normal,
        &cardwire_testkit::test_key_store(),
    )
    .unwrap();
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
                fx.terminal("noodle-1").tmk.clone(),
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

/// A served host on MemoryLedger with `config`, under the `tracing` dispatcher `log`, with
/// the request callback `callback`.
fn served(
    config: ServerConfig,
    log: Option<&tracing::Dispatch>,
    callback: Arc<cardwire_acquirer::server::Log>,
) -> (Server, Fixtures) {
    let fx = Fixtures::load().unwrap();
    let host = Arc::new(Mutex::new(
        Host::new(fx.registry.clone(), MemoryLedger::new()).unwrap(),
    ));
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let _guard = log.map(tracing::dispatcher::set_default);
    let server = Server::spawn(listener, host, config, callback).unwrap();
    (server, fx)
}

/// Issue 12, outage: the idle timeout was per read, so one byte a second held a
/// connection forever. Now a frame must arrive whole within the frame timeout.
#[test]
fn a_trickling_client_is_cut_at_the_frame_deadline() {
    let config = ServerConfig {
        frame_timeout: Duration::from_millis(400),
        ..ServerConfig::default()
    };
    let (server, _) = served(config, None, Arc::new(|_, _| {}));
    let mut s = std::net::TcpStream::connect(server.addr()).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let started = std::time::Instant::now();
    // Announces 60 bytes, sends one every 100 ms: each read is quick, the frame never whole.
    let mut cut = false;
    for b in [0u8, 60].into_iter().chain(std::iter::repeat_n(0x30, 60)) {
        if std::io::Write::write_all(&mut s, &[b]).is_err() {
            cut = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
        if started.elapsed() > Duration::from_secs(3) {
            break;
        }
    }
    if !cut {
        let mut buf = [0u8; 8];
        // The server closed it: end of stream (or a reset).
        cut = matches!(std::io::Read::read(&mut s, &mut buf), Ok(0) | Err(_));
    }
    assert!(cut, "the connection was cut");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(server.metrics().frame_deadline_cuts(), 1);
}

/// Issue 12, outage: connections were unlimited (a thread each). Over the cap, a connection
/// is closed at once and the ones within it go on being served.
#[test]
fn a_connection_over_the_cap_is_refused_and_the_others_are_served() {
    let config = ServerConfig {
        max_connections: 2,
        ..ServerConfig::default()
    };
    let (server, fx) = served(config, None, Arc::new(|_, _| {}));
    let mut first = Client::connect(server.addr(), Duration::from_secs(5)).unwrap();
    let _second = std::net::TcpStream::connect(server.addr()).unwrap();
    // Wait until both are counted, then try a third.
    while server.metrics().open_connections() < 2 {
        std::thread::sleep(Duration::from_millis(5));
    }
    let mut third = std::net::TcpStream::connect(server.addr()).unwrap();
    third
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut buf = [0u8; 8];
    assert!(matches!(
        std::io::Read::read(&mut third, &mut buf),
        Ok(0) | Err(_)
    ));
    assert_eq!(server.metrics().refused_connections(), 1);
    let mut t = fx.test_terminal("noodle-1");
    t.dated_today();
    let mut buf = [0u8; 512];
    let n = t.sign_in(&mut buf);
    assert_eq!(
        t.accept_sign_in(first.send(&buf[..n]).unwrap()).unwrap(),
        ResponseCode::Approved
    );
}

/// A log output that never takes a byte (a pipe nobody reads).
struct Stuck;
impl std::io::Write for Stuck {
    fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
        loop {
            std::thread::park();
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A log output that is closed (stdout of a process whose reader went away).
struct Closed;
impl std::io::Write for Closed {
    fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
        Err(std::io::ErrorKind::BrokenPipe.into())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Err(std::io::ErrorKind::BrokenPipe.into())
    }
}

/// A request callback that never returns.
fn stuck_callback(
    _: std::net::SocketAddr,
    _: Result<&cardwire_acquirer::Answer, &cardwire_acquirer::Error>,
) {
    loop {
        std::thread::park();
    }
}

/// A request callback that panics.
fn failing_callback(
    _: std::net::SocketAddr,
    _: Result<&cardwire_acquirer::Answer, &cardwire_acquirer::Error>,
) {
    panic!("a callback that fails");
}

/// 1000 chip purchases from one terminal, each answered.
fn thousand_purchases(server: &Server, fx: &Fixtures) {
    let mut c = Client::connect(server.addr(), Duration::from_secs(5)).unwrap();
    let mut t = fx.test_terminal("noodle-1");
    t.dated_today();
    let card = fx.card("credit-chip").clone();
    let mut buf = [0u8; 512];
    let n = t.sign_in(&mut buf);
    assert_eq!(
        t.accept_sign_in(c.send(&buf[..n]).unwrap()).unwrap(),
        ResponseCode::Approved
    );
    for i in 0..1000u64 {
        let (n, _) = t.request(
            &Req::purchase(&card, Entry::Chip, Some("246810"), 1 + i),
            &mut buf,
        );
        let r = t.read_reply(c.send(&buf[..n]).unwrap()).unwrap();
        assert_eq!(r.code, Some(ResponseCode::Approved), "request {i}");
    }
}

/// Issue 12, outage: the request log ran on the worker, so an undrained stdout stopped every
/// answer after 575 requests, and a closed one panicked the worker. Now logs go through a
/// small lossy queue (16 lines here) and the request callback through its own; neither a
/// stuck nor a closed output, nor a stuck or panicking callback, stops the answers.
#[test]
fn a_stuck_or_closed_log_output_does_not_stop_answers() {
    for (name, out, callback) in [
        (
            "stuck",
            Box::new(Stuck) as Box<dyn std::io::Write + Send>,
            Arc::new(stuck_callback) as Arc<cardwire_acquirer::server::Log>,
        ),
        ("closed", Box::new(Closed), Arc::new(failing_callback)),
    ] {
        let (dispatch, _guard) =
            cardwire_acquirer::server::log::dispatcher_with_queue(out, true, 16);
        let (server, fx) = served(ServerConfig::default(), Some(&dispatch), callback);
        let started = std::time::Instant::now();
        thousand_purchases(&server, &fx);
        assert!(started.elapsed() < Duration::from_secs(60), "{name}");
        server.stop();
    }
}

/// A ledger that panics on one amount: a bug reached by one request.
struct Panicky(MemoryLedger);

impl Ledger for Panicky {
    fn session(
        &mut self,
        t: &str,
    ) -> cardwire_acquirer::Result<Option<cardwire_acquirer::ledger::TerminalSession>> {
        self.0.session(t)
    }
    fn save_session(
        &mut self,
        t: &str,
        s: &cardwire_acquirer::ledger::TerminalSession,
    ) -> cardwire_acquirer::Result<()> {
        self.0.save_session(t, s)
    }
    fn balance(&mut self, a: &str) -> cardwire_acquirer::Result<Option<i64>> {
        self.0.balance(a)
    }
    fn open_account(&mut self, a: &str, b: i64) -> cardwire_acquirer::Result<()> {
        self.0.open_account(a, b)
    }
    fn transaction(
        &mut self,
        k: &cardwire_acquirer::ledger::TxKey,
    ) -> cardwire_acquirer::Result<Option<cardwire_acquirer::ledger::TxRecord>> {
        self.0.transaction(k)
    }
    fn by_rrn(
        &mut self,
        r: &str,
    ) -> cardwire_acquirer::Result<Option<cardwire_acquirer::ledger::TxRecord>> {
        self.0.by_rrn(r)
    }
    fn last_seq(&mut self) -> cardwire_acquirer::Result<u64> {
        self.0.last_seq()
    }
    fn post(&mut self, p: &cardwire_acquirer::ledger::Posting) -> cardwire_acquirer::Result<()> {
        assert_ne!(p.record.amount, 1313, "a bug reached by one request");
        self.0.post(p)
    }
    fn reverse(
        &mut self,
        k: &cardwire_acquirer::ledger::TxKey,
        m: &cardwire_acquirer::ledger::TxRecord,
    ) -> cardwire_acquirer::Result<cardwire_acquirer::ledger::Reversed> {
        self.0.reverse(k, m)
    }
    fn batch(
        &mut self,
        t: &str,
        b: u32,
    ) -> cardwire_acquirer::Result<Vec<cardwire_acquirer::ledger::TxRecord>> {
        self.0.batch(t, b)
    }
    fn settle(
        &mut self,
        s: &cardwire_acquirer::ledger::SettlementRecord,
    ) -> cardwire_acquirer::Result<()> {
        self.0.settle(s)
    }
    fn settlements(
        &mut self,
    ) -> cardwire_acquirer::Result<Vec<cardwire_acquirer::ledger::SettlementRecord>> {
        self.0.settlements()
    }
    fn for_each(
        &mut self,
        each: &mut dyn FnMut(&cardwire_acquirer::ledger::TxRecord) -> cardwire_acquirer::Result<()>,
    ) -> cardwire_acquirer::Result<()> {
        self.0.for_each(each)
    }
    fn strikes(
        &mut self,
        t: &str,
    ) -> cardwire_acquirer::Result<Option<cardwire_acquirer::ledger::Strikes>> {
        self.0.strikes(t)
    }
    fn add_strike(&mut self, t: &str) -> cardwire_acquirer::Result<u32> {
        self.0.add_strike(t)
    }
    fn lock_out(&mut self, t: &str, until: i64) -> cardwire_acquirer::Result<()> {
        self.0.lock_out(t, until)
    }
    fn clear_strikes(&mut self, t: &str) -> cardwire_acquirer::Result<()> {
        self.0.clear_strikes(t)
    }
}

/// A request whose handling panics closes its own connection; the server goes on answering
/// (the same terminal on a new connection, and others).
#[test]
fn a_panicking_request_is_isolated() {
    let fx = Fixtures::load().unwrap();
    let host = Arc::new(Mutex::new(
        Host::new(fx.registry.clone(), Panicky(MemoryLedger::new())).unwrap(),
    ));
    let server = Server::spawn(
        TcpListener::bind("127.0.0.1:0").unwrap(),
        host,
        ServerConfig::default(),
        Arc::new(|_, _| {}),
    )
    .unwrap();
    let card = fx.card("credit-chip").clone();
    let mut t = fx.test_terminal("noodle-1");
    t.dated_today();
    let mut buf = [0u8; 512];
    let mut c = Client::connect(server.addr(), Duration::from_secs(5)).unwrap();
    let n = t.sign_in(&mut buf);
    assert_eq!(
        t.accept_sign_in(c.send(&buf[..n]).unwrap()).unwrap(),
        ResponseCode::Approved
    );
    let (n, _) = t.request(
        &Req::purchase(&card, Entry::Chip, Some("246810"), 1313),
        &mut buf,
    );
    assert!(
        c.send(&buf[..n]).is_err(),
        "no reply to the request that panicked"
    );
    assert_eq!(server.metrics().panics(), 1);
    let mut c = Client::connect(server.addr(), Duration::from_secs(5)).unwrap();
    let (n, _) = t.request(
        &Req::purchase(&card, Entry::Chip, Some("246810"), 1314),
        &mut buf,
    );
    let r = t.read_reply(c.send(&buf[..n]).unwrap()).unwrap();
    assert_eq!(r.code, Some(ResponseCode::Approved));
}
