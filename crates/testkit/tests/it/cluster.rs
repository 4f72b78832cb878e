//! Several `cardwire-acquirer serve` nodes on one PostgreSQL ledger: whichever node a
//! terminal reaches answers it, and the database alone makes each request count once — the
//! same purchase sent to both nodes at once, a reversal at the node that did not approve, two
//! refunds of one sale at two nodes at once. Skipped, saying so, without `CARDWIRE_PG_URL`.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use cardwire_acquirer::keystore::SoftwareKeyStore;
use cardwire_acquirer::ledger::{Ledger, PgLedger, PgOptions, TxKey};
use cardwire_iso8583::cups::{Original, Transaction};
use cardwire_pos::ResponseCode;
use cardwire_pos::transport::Client;
use cardwire_testkit::{Entry, Fixtures, PgDb, Req, TempDir, TestTerminal};

use super::service::binary;

/// A data directory with a KEK and the fixtures imported, the ledger in `db`.
struct Cluster {
    temp: TempDir,
    url: String,
}

impl Cluster {
    fn new(db: &PgDb) -> Self {
        let temp = TempDir::new("cluster");
        let c = Self {
            temp,
            url: db.url().into(),
        };
        let kek = c.temp.join("kek.hex");
        let ok = Command::new(binary())
            .args(["kek", kek.to_str().unwrap()])
            .status()
            .unwrap()
            .success();
        assert!(ok);
        let fixtures = cardwire_testkit::fixtures::fixtures_path();
        c.run(&["migrate"]);
        c.run(&["import", fixtures.to_str().unwrap()]);
        c
    }

    fn common(&self, cmd: &mut Command) {
        let dir = self.temp.path();
        cmd.args(["--data-dir", dir.join("data").to_str().unwrap()])
            .args(["--kek-file", dir.join("kek.hex").to_str().unwrap()])
            .args(["--ledger", &self.url]);
    }

    fn run(&self, args: &[&str]) -> String {
        let mut cmd = Command::new(binary());
        cmd.args(args);
        self.common(&mut cmd);
        let out = cmd.output().unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// A node: `serve` on a port of its own.
    fn node(&self, name: &str) -> Node {
        self.node_with(name, &[])
    }

    /// A node started with `extra` arguments.
    fn node_with(&self, name: &str, extra: &[&str]) -> Node {
        let mut cmd = Command::new(binary());
        cmd.args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--metrics-listen",
            "127.0.0.1:0",
        ])
        .args(extra);
        self.common(&mut cmd);
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(self.temp.join(&format!("{name}.log"))).unwrap())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut next = |prefix: &str| loop {
            let line = lines.next().expect("serve printed its addresses").unwrap();
            if let Some(a) = line.strip_prefix(prefix) {
                break a.to_string();
            }
        };
        let addr = next("listening on ");
        let metrics = next("metrics on ");
        std::thread::spawn(move || lines.for_each(drop));
        Node {
            child,
            addr,
            metrics,
        }
    }

    /// The ledger, read directly.
    fn ledger(&self) -> PgLedger {
        let keys = SoftwareKeyStore::from_file(self.temp.join("kek.hex")).unwrap();
        PgLedger::connect(&self.url, PgOptions::default(), &keys).unwrap()
    }
}

struct Node {
    child: Child,
    addr: String,
    metrics: String,
}

impl Node {
    /// The value of the metric `name` on the node's `GET /metrics`.
    fn metric(&self, name: &str) -> String {
        use std::io::{Read, Write};
        let mut c = std::net::TcpStream::connect(&self.metrics).unwrap();
        write!(
            c,
            "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut page = String::new();
        c.read_to_string(&mut page).unwrap();
        let line = page
            .lines()
            .find(|l| l.split(' ').next() == Some(name))
            .unwrap_or_else(|| panic!("{name} on /metrics"));
        line.split(' ').nth(1).unwrap().to_string()
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Sends `frame` to `addr` on a connection of its own; the reply frame.
fn send(addr: &str, frame: &[u8]) -> Vec<u8> {
    let mut c = Client::connect(addr, Duration::from_secs(5)).unwrap();
    c.send(frame).unwrap().to_vec()
}

/// Sends each frame to its node, all at once; the replies in the same order.
fn at_once(sends: Vec<(String, Vec<u8>)>) -> Vec<Vec<u8>> {
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(sends.len()));
    let threads: Vec<_> = sends
        .into_iter()
        .map(|(addr, frame)| {
            let barrier = std::sync::Arc::clone(&barrier);
            std::thread::spawn(move || {
                let mut c = Client::connect(addr.as_str(), Duration::from_secs(5)).unwrap();
                barrier.wait();
                c.send(&frame).unwrap().to_vec()
            })
        })
        .collect();
    threads.into_iter().map(|t| t.join().unwrap()).collect()
}

fn signed_in(fx: &Fixtures, id: &str, addr: &str) -> TestTerminal {
    let mut t = fx.test_terminal(id);
    t.dated_today();
    let mut buf = [0u8; 512];
    let n = t.sign_in(&mut buf);
    let reply = send(addr, &buf[..n]);
    assert_eq!(t.accept_sign_in(&reply).unwrap(), ResponseCode::Approved);
    t
}

fn refund<'a>(
    card: &'a cardwire_testkit::CardFixture,
    amount: u64,
    (batch, stan): (u32, u32),
    rrn: &'a str,
) -> Req<'a> {
    Req {
        card: Some(card),
        amount: Some(amount),
        original: Some(Original {
            batch,
            stan,
            date: 0,
        }),
        rrn: Some(rrn),
        ..Req::new(Transaction::Refund)
    }
}

#[test]
fn two_nodes_on_one_database_count_each_request_once() {
    let Some(db) = crate::pg_db("two_nodes") else {
        return;
    };
    let cluster = Cluster::new(&db);
    let (a, b) = (cluster.node("a"), cluster.node("b"));
    count_each_request_once(&cluster, &a, &b);
}

/// One node whose pool of 4 workers (each its own host and connection) answers requests sent
/// at once: as safe as two nodes. Which worker takes which request is the queue's; the two
/// hosts on two connections of `races` make each interleaving certain.
#[test]
fn one_node_with_a_pool_counts_each_request_once() {
    let Some(db) = crate::pg_db("pool_node") else {
        return;
    };
    let cluster = Cluster::new(&db);
    let a = cluster.node_with("a", &["--pool-size", "4"]);
    assert_eq!(a.metric("cardwire_ledger_pool_size"), "4");
    count_each_request_once(&cluster, &a, &a);
    let refused = Command::new(binary())
        .args(["serve", "--listen", "127.0.0.1:0", "--pool-size", "0"])
        .args(["--data-dir", cluster.temp.join("data").to_str().unwrap()])
        .args(["--kek-file", cluster.temp.join("kek.hex").to_str().unwrap()])
        .args(["--ledger", &cluster.url])
        .output()
        .unwrap();
    assert!(!refused.status.success(), "a pool of none is refused");
}

/// The same purchase at both nodes at once, a reversal at the node that did not approve, two
/// refunds of one sale at once: each counted once (`a` and `b` may be one node).
fn count_each_request_once(cluster: &Cluster, a: &Node, b: &Node) {
    let fx = Fixtures::load().unwrap();
    // Signed in at A, the terminal is known at B too: its session is in the database.
    let mut t = signed_in(&fx, "noodle-1", &a.addr);
    let card = fx.card("debit-chip").clone();
    let opening = card.balance;
    let mut buf = [0u8; 512];

    // The same purchase (same terminal, batch, STAN) to both nodes at once: one posting, one
    // duplicate.
    let (n, stan1) = t.request(
        &Req::purchase(&card, Entry::Chip, Some("123456"), 1_000),
        &mut buf,
    );
    let frame = buf[..n].to_vec();
    let replies = at_once(vec![
        (a.addr.clone(), frame.clone()),
        (b.addr.clone(), frame),
    ]);
    let mut codes: Vec<_> = replies
        .iter()
        .map(|r| t.read_reply(r).unwrap().code.unwrap())
        .collect();
    codes.sort_by_key(|c| c.code());
    assert_eq!(
        codes,
        vec![ResponseCode::Approved, ResponseCode::Duplicate],
        "one posting and one duplicate"
    );

    // A purchase approved at A, reversed at B: applied once, the second reversal (at A)
    // changes nothing.
    let sale = Req::purchase(&card, Entry::Chip, Some("123456"), 2_000);
    let (n, stan2) = t.request(&sale, &mut buf);
    let r = t.read_reply(&send(&a.addr, &buf[..n])).unwrap();
    assert_eq!(r.code, Some(ResponseCode::Approved));
    let n = t.reversal(&sale, stan2, &mut buf);
    let reversal = buf[..n].to_vec();
    let r = t.read_reply(&send(&b.addr, &reversal)).unwrap();
    assert_eq!(r.code, Some(ResponseCode::Approved));
    let r = t.read_reply(&send(&a.addr, &reversal)).unwrap();
    assert_eq!(r.code, Some(ResponseCode::Approved));

    // A sale of 10.00 and two refunds of 6.00, one at each node at once: never more back
    // than the sale.
    let (n, stan3) = t.request(
        &Req::purchase(&card, Entry::Chip, Some("123456"), 10_000),
        &mut buf,
    );
    let r = t.read_reply(&send(&a.addr, &buf[..n])).unwrap();
    assert_eq!(r.code, Some(ResponseCode::Approved));
    let rrn = r.rrn.unwrap();
    let (n, _) = t.request(&refund(&card, 6_000, (t.batch, stan3), &rrn), &mut buf);
    let first = buf[..n].to_vec();
    let (n, _) = t.request(&refund(&card, 6_000, (t.batch, stan3), &rrn), &mut buf);
    let second = buf[..n].to_vec();
    let replies = at_once(vec![(a.addr.clone(), first), (b.addr.clone(), second)]);
    let codes: Vec<_> = replies
        .iter()
        .map(|r| t.read_reply(r).unwrap().code.unwrap())
        .collect();
    assert_eq!(
        codes
            .iter()
            .filter(|c| **c == ResponseCode::Approved)
            .count(),
        1,
        "{codes:?}"
    );
    assert!(codes.contains(&ResponseCode::InvalidAmount), "{codes:?}");

    let mut ledger = cluster.ledger();
    let key = |stan| TxKey {
        terminal_id: t.terminal_id.clone(),
        batch: t.batch,
        stan,
    };
    assert!(ledger.transaction(&key(stan1)).unwrap().unwrap().is_live());
    assert!(
        ledger
            .transaction(&key(stan2))
            .unwrap()
            .unwrap()
            .state
            .reversed
    );
    let sale = ledger.transaction(&key(stan3)).unwrap().unwrap();
    assert_eq!(sale.state.refunded, 6_000);
    // The balance: the opening less the live postings, each once.
    let mut live = 0i64;
    ledger
        .for_each(&mut |r| {
            if r.is_live() {
                live += r.balance_delta;
            }
            Ok(())
        })
        .unwrap();
    assert_eq!(live, -1_000 - 10_000 + 6_000);
    assert_eq!(ledger.balance(&card.pan).unwrap(), Some(opening + live));
}

/// Terminals added by the operator to the cluster (activated, bound to the noodle shop):
/// their ids and the TMK they share.
fn add_terminals(cluster: &Cluster, n: usize) -> (Vec<String>, &'static str) {
    let tmk = "0123456789ABCDEFFEDCBA9876543210";
    let ids: Vec<String> = (0..n).map(|i| format!("7700{i:04}")).collect();
    for id in &ids {
        let mut cmd = Command::new(binary());
        cmd.args([
            "terminal",
            "add",
            "--terminal-id",
            id,
            "--serial",
            &format!("SN{id}"),
        ])
        .args(["--tmk-env", "CARDWIRE_TEST_TMK"])
        .env("CARDWIRE_TEST_TMK", tmk);
        cluster.common(&mut cmd);
        assert!(cmd.status().unwrap().success());
        cluster.run(&[
            "terminal",
            "activate",
            "--terminal-id",
            id,
            "--merchant-no",
            "898310058121234",
        ]);
    }
    (ids, tmk)
}

/// What one terminal saw: the approvals it received (STAN, RRN, amount) and the STANs it
/// reversed after losing their reply.
#[derive(Default)]
struct Seen {
    approved: Vec<(u32, String, u64)>,
    reversed: Vec<u32>,
}

/// `kill -9` of one node under the load of many terminals: they fail over to the other node,
/// their reversals land there, and afterwards every approval a terminal received is in the
/// ledger once, each terminal's batch totals are the ledger's, and every card's balance is its
/// opening balance plus the live postings.
#[test]
fn kill_9_of_one_node_under_load_loses_and_doubles_nothing() {
    let Some(db) = crate::pg_db("kill9") else {
        return;
    };
    let fx = Fixtures::load().unwrap();
    let cluster = Cluster::new(&db);
    let (ids, tmk) = add_terminals(&cluster, 6);
    let (mut a, b) = (cluster.node("a"), cluster.node("b"));
    let card = fx.card("credit-chip").clone();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let loads: Vec<_> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| {
            let mut t = TestTerminal::new(
                id,
                "898310058121234",
                cardwire_crypto::TdesKey::from_hex(tmk).unwrap(),
                &fx,
            );
            t.serial = Some(format!("SN{id}"));
            t.dated_today();
            // Half the terminals start at each node.
            let mut hosts = vec![a.addr.clone(), b.addr.clone()];
            hosts.rotate_left(i % 2);
            let card = card.clone();
            let stop = std::sync::Arc::clone(&stop);
            std::thread::spawn(move || {
                let mut wire =
                    cardwire_pos::transport::Failover::new(hosts, Duration::from_secs(2));
                let mut buf = [0u8; 512];
                let n = t.sign_in(&mut buf);
                let reply = wire.send(&buf[..n]).unwrap().to_vec();
                assert_eq!(t.accept_sign_in(&reply).unwrap(), ResponseCode::Approved);
                let mut seen = Seen::default();
                let mut i = 0u64;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    i += 1;
                    let amount = 1 + i % 97;
                    let req = Req::purchase(&card, Entry::Chip, Some("246810"), amount);
                    let (n, stan) = t.request(&req, &mut buf);
                    if let Ok(reply) = wire.send(&buf[..n]) {
                        let r = t.read_reply(reply).unwrap();
                        assert_eq!(r.code, Some(ResponseCode::Approved));
                        seen.approved.push((stan, r.rrn.unwrap(), amount));
                        continue;
                    }
                    // No reply: the request may have been answered. Reverse it at whichever
                    // node answers, until one does.
                    let n = t.reversal(&req, stan, &mut buf);
                    loop {
                        if let Ok(reply) = wire.send(&buf[..n]) {
                            let r = t.read_reply(reply).unwrap();
                            assert_eq!(r.code, Some(ResponseCode::Approved));
                            seen.reversed.push(stan);
                            break;
                        }
                    }
                }
                (t, seen)
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(800));
    a.child.kill().unwrap();
    a.child.wait().unwrap();
    std::thread::sleep(Duration::from_millis(800));
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let seen: Vec<(TestTerminal, Seen)> = loads.into_iter().map(|l| l.join().unwrap()).collect();
    drop(b);

    let mut ledger = cluster.ledger();
    let mut live_delta = 0i64;
    let mut rows: Vec<(String, u32, bool, String)> = Vec::new();
    ledger
        .for_each(&mut |r| {
            if r.is_live() {
                live_delta += r.balance_delta;
            }
            rows.push((
                r.key.terminal_id.clone(),
                r.key.stan,
                r.is_live(),
                r.rrn.clone(),
            ));
            Ok(())
        })
        .unwrap();
    let mut approvals = 0;
    let mut reversals = 0;
    for (t, s) in &seen {
        approvals += s.approved.len();
        reversals += s.reversed.len();
        for (stan, rrn, _) in &s.approved {
            let found: Vec<_> = rows
                .iter()
                .filter(|r| r.0 == t.terminal_id && r.1 == *stan)
                .collect();
            assert_eq!(found.len(), 1, "approval {rrn} of {} once", t.terminal_id);
            assert!(found[0].2 && found[0].3 == *rrn, "approval {rrn} live");
        }
        for stan in &s.reversed {
            let r = rows
                .iter()
                .find(|r| r.0 == t.terminal_id && r.1 == *stan)
                .unwrap();
            assert!(
                !r.2,
                "reversed trace {stan} of {} moved no money",
                t.terminal_id
            );
        }
        // The terminal's batch totals (what it received) are the ledger's.
        let host =
            cardwire_acquirer::host::batch_totals(&mut ledger, &t.terminal_id, t.batch).unwrap();
        let sum: u64 = s.approved.iter().map(|a| a.2).sum();
        assert_eq!(host.domestic.debit_amount, sum, "{}", t.terminal_id);
        assert_eq!(
            usize::from(host.domestic.debit_count),
            s.approved.len() % 1000,
            "{}",
            t.terminal_id
        );
    }
    assert!(approvals > 50, "the load ran: {approvals} approvals");
    assert!(
        reversals >= 1,
        "the kill cut requests in flight at node a: {reversals} reversals"
    );
    let balance = ledger.balance(&card.pan).unwrap().unwrap();
    assert_eq!(
        balance,
        card.balance + live_delta,
        "balance = opening + live postings"
    );
    let spent: u64 = seen
        .iter()
        .flat_map(|(_, s)| s.approved.iter().map(|a| a.2))
        .sum();
    assert_eq!(-live_delta, i64::try_from(spent).unwrap());
}

/// Two hosts in one process, each on its own connection to the same database, so that one's
/// group can be held open while the other answers: the races the nodes run, made certain.
mod races {
    use std::sync::mpsc;
    use std::time::Duration;

    use cardwire_acquirer::ledger::{
        Ledger, PgLedger, PgOptions, Posted, Posting, TxKey, TxRecord,
    };
    use cardwire_acquirer::{ErrorKind, Host, OsRng, ResponseCode};
    use cardwire_iso8583::cups::{SettlementTotals, Transaction};
    use cardwire_testkit::HOST_TIME as NOW;
    use cardwire_testkit::{Entry, Fixtures, PgDb, ReplyView, Req, TestTerminal};

    fn host(fx: &Fixtures, db: &PgDb) -> Host<PgLedger> {
        let keys = cardwire_testkit::test_key_store();
        let ledger = PgLedger::connect(db.url(), PgOptions::default(), &keys).unwrap();
        Host::new(fx.registry.clone(), ledger).unwrap()
    }

    fn answer(host: &mut Host<PgLedger>, frame: &[u8]) -> Vec<u8> {
        let mut out = [0u8; 512];
        let a = host.handle(frame, NOW, &mut OsRng, &mut out).unwrap();
        out[..a.len].to_vec()
    }

    /// Host `b` answers `frame` on a thread while `a`'s group (holding the rows) is open;
    /// `a` commits once `b` is seen waiting. `b`'s reply.
    fn while_held(a: &mut Host<PgLedger>, b: Host<PgLedger>, frame: Vec<u8>) -> Vec<u8> {
        let (done, finished) = mpsc::channel();
        let thread = std::thread::spawn(move || {
            let mut b = b;
            b.ledger().begin_group().unwrap();
            let reply = answer(&mut b, &frame);
            b.ledger().commit_group().unwrap();
            done.send(()).unwrap();
            reply
        });
        // `b` cannot finish while `a` holds the rows it needs.
        assert!(
            finished.recv_timeout(Duration::from_millis(500)).is_err(),
            "the other host did not wait for the open group"
        );
        a.ledger().commit_group().unwrap();
        thread.join().unwrap()
    }

    /// A race's cast: two hosts on a fresh database, terminal `a`'s terminal signed in at
    /// host `a`.
    struct Race {
        fx: Fixtures,
        a: Host<PgLedger>,
        b: Host<PgLedger>,
        t: TestTerminal,
        db: PgDb,
    }

    /// An empty batch's settlement under the keys of the terminal's first sign-in, then a
    /// second sign-in: the two frames the settlement/sign-in races send to two hosts.
    fn settlement_then_sign_in(t: &mut TestTerminal) -> (Vec<u8>, Vec<u8>) {
        let mut buf = [0u8; 512];
        let settle = Req {
            totals: Some(SettlementTotals::default()),
            ..Req::new(Transaction::Settlement)
        };
        let (n, _) = t.request(&settle, &mut buf);
        let settlement = buf[..n].to_vec();
        let n = t.sign_in(&mut buf);
        (settlement, buf[..n].to_vec())
    }

    /// A chip purchase of 7.00 by the fixtures' debit card, answered by `host`: the reply as
    /// the terminal read it, and its STAN.
    fn purchase_at(
        fx: &Fixtures,
        host: &mut Host<PgLedger>,
        t: &mut TestTerminal,
    ) -> (ReplyView, u32) {
        let mut buf = [0u8; 512];
        let card = fx.card("debit-chip").clone();
        let (n, stan) = t.request(
            &Req::purchase(&card, Entry::Chip, Some("123456"), 700),
            &mut buf,
        );
        (t.read_reply(&answer(host, &buf[..n])).unwrap(), stan)
    }

    /// `None` (the reason printed) without a PostgreSQL server.
    fn race(name: &str, terminal: &str) -> Option<Race> {
        let db = crate::pg_db(name)?;
        let fx = Fixtures::load().unwrap();
        let (mut a, b) = (host(&fx, &db), host(&fx, &db));
        let mut t = fx.test_terminal(terminal);
        let mut buf = [0u8; 512];
        let n = t.sign_in(&mut buf);
        let reply = answer(&mut a, &buf[..n]);
        assert_eq!(t.accept_sign_in(&reply).unwrap(), ResponseCode::Approved);
        Some(Race { fx, a, b, t, db })
    }

    #[test]
    fn a_purchase_another_host_is_committing_is_a_duplicate() {
        let Some(Race {
            fx,
            mut a,
            b,
            mut t,
            db: _db,
        }) = race("race_duplicate", "noodle-1")
        else {
            return;
        };
        let card = fx.card("debit-chip").clone();
        let mut buf = [0u8; 512];
        let (n, stan) = t.request(
            &Req::purchase(&card, Entry::Chip, Some("123456"), 4_200),
            &mut buf,
        );
        let frame = buf[..n].to_vec();
        a.ledger().begin_group().unwrap();
        let first = answer(&mut a, &frame);
        let second = while_held(&mut a, b, frame);
        assert_eq!(
            t.read_reply(&first).unwrap().code,
            Some(ResponseCode::Approved)
        );
        assert_eq!(
            t.read_reply(&second).unwrap().code,
            Some(ResponseCode::Duplicate)
        );
        let balance = a.ledger().balance(&card.pan).unwrap().unwrap();
        assert_eq!(balance, card.balance - 4_200, "debited once");
        let key = TxKey {
            terminal_id: t.terminal_id.clone(),
            batch: t.batch,
            stan,
        };
        assert!(a.ledger().transaction(&key).unwrap().unwrap().is_live());
    }

    #[test]
    fn a_refund_racing_another_at_another_host_never_exceeds_the_sale() {
        let Some(Race {
            fx,
            mut a,
            b,
            mut t,
            db: _db,
        }) = race("race_refund", "noodle-1")
        else {
            return;
        };
        let card = fx.card("debit-chip").clone();
        let mut buf = [0u8; 512];
        let (n, stan) = t.request(
            &Req::purchase(&card, Entry::Chip, Some("123456"), 10_000),
            &mut buf,
        );
        let sale = t.read_reply(&answer(&mut a, &buf[..n])).unwrap();
        let rrn = sale.rrn.unwrap();
        let (n, _) = t.request(
            &super::refund(&card, 6_000, (t.batch, stan), &rrn),
            &mut buf,
        );
        let first = buf[..n].to_vec();
        let (n, _) = t.request(
            &super::refund(&card, 6_000, (t.batch, stan), &rrn),
            &mut buf,
        );
        let second = buf[..n].to_vec();
        a.ledger().begin_group().unwrap();
        let first = answer(&mut a, &first);
        let second = while_held(&mut a, b, second);
        assert_eq!(
            t.read_reply(&first).unwrap().code,
            Some(ResponseCode::Approved)
        );
        assert_eq!(
            t.read_reply(&second).unwrap().code,
            Some(ResponseCode::InvalidAmount),
            "the second refund would exceed the sale"
        );
        let key = TxKey {
            terminal_id: t.terminal_id.clone(),
            batch: t.batch,
            stan,
        };
        assert_eq!(
            a.ledger()
                .transaction(&key)
                .unwrap()
                .unwrap()
                .state
                .refunded,
            6_000
        );
        let balance = a.ledger().balance(&card.pan).unwrap().unwrap();
        assert_eq!(balance, card.balance - 10_000 + 6_000);
    }

    #[test]
    fn a_reversal_at_one_host_refuses_the_late_original_at_another() {
        let Some(Race {
            fx,
            mut a,
            mut b,
            mut t,
            db: _db,
        }) = race("race_reversal", "noodle-1")
        else {
            return;
        };
        let card = fx.card("debit-chip").clone();
        let mut buf = [0u8; 512];
        let sale = Req::purchase(&card, Entry::Chip, Some("123456"), 3_300);
        let (n, stan) = t.request(&sale, &mut buf);
        let original = buf[..n].to_vec();
        let n = t.reversal(&sale, stan, &mut buf);
        let r = t.read_reply(&answer(&mut b, &buf[..n])).unwrap();
        assert_eq!(r.code, Some(ResponseCode::Approved));
        let r = t.read_reply(&answer(&mut a, &original)).unwrap();
        assert_eq!(r.code, Some(ResponseCode::Duplicate), "the late original");
        assert_eq!(a.ledger().balance(&card.pan).unwrap(), Some(card.balance));
    }

    #[test]
    fn two_hosts_rotating_one_terminal_take_different_pool_positions() {
        let Some(Race {
            fx,
            mut a,
            b,
            mut t,
            db: _db,
        }) = race("race_pool", "hotel-1")
        else {
            return;
        };
        let mut buf = [0u8; 512];
        let card = fx.card("credit-chip").clone();
        let (n, _) = t.request(&Req::purchase(&card, Entry::Swipe, None, 1_000), &mut buf);
        let first = buf[..n].to_vec();
        let (n, _) = t.request(&Req::purchase(&card, Entry::Swipe, None, 2_000), &mut buf);
        let second = buf[..n].to_vec();
        // `a` takes a position in an open group; `b` rotates the same terminal meanwhile.
        a.ledger().begin_group().unwrap();
        let first = t.read_reply(&answer(&mut a, &first)).unwrap();
        let second = t.read_reply(&while_held(&mut a, b, second)).unwrap();
        assert_eq!(first.code, Some(ResponseCode::Approved));
        assert_eq!(second.code, Some(ResponseCode::Approved));
        assert_eq!(first.merchant_no.as_deref(), Some("898310054110001"));
        assert_eq!(
            second.merchant_no.as_deref(),
            Some("898330054110002"),
            "the second host took the next position, not the same one"
        );
        let session = a.ledger().session(&t.terminal_id).unwrap().unwrap();
        assert_eq!(session.pool_next, 2);
    }

    #[test]
    fn a_settlement_racing_a_sign_in_at_another_host_keeps_the_new_keys() {
        let Some(Race {
            fx,
            mut a,
            b,
            mut t,
            db: _db,
        }) = race("race_settle_sign_in", "noodle-1")
        else {
            return;
        };
        let (settlement, sign_in) = settlement_then_sign_in(&mut t);
        // `a` signs the terminal in again (new keys) in an open group; `b` settles meanwhile.
        a.ledger().begin_group().unwrap();
        let signed = answer(&mut a, &sign_in);
        let settled = while_held(&mut a, b, settlement);
        let settled = t.read_reply(&settled).unwrap();
        assert_eq!(settled.code, Some(ResponseCode::Approved));
        assert_eq!(t.accept_sign_in(&signed).unwrap(), ResponseCode::Approved);
        let session = a.ledger().session(&t.terminal_id).unwrap().unwrap();
        assert_eq!(session.batch, 2, "the settlement closed batch 1");
        // The terminal holds the second sign-in's keys: the ledger must too.
        let (r, _) = purchase_at(&fx, &mut a, &mut t);
        assert_eq!(
            r.code,
            Some(ResponseCode::Approved),
            "the settlement wrote back the old working keys"
        );
    }

    /// The reverse of the race above: a sign-in that read the session (batch 1) before a
    /// settlement at another host committed 1 → 2 must not write batch 1 back, and its reply
    /// must give the terminal the batch open now.
    #[test]
    fn a_sign_in_racing_a_settlement_at_another_host_keeps_the_new_batch() {
        let Some(Race {
            fx,
            a,
            mut b,
            mut t,
            db: _db,
        }) = race("race_sign_in_settle", "noodle-1")
        else {
            return;
        };
        let (settlement, sign_in) = settlement_then_sign_in(&mut t);
        // `b` settles batch 1 in an open group; `a` signs in meanwhile: it reads the
        // committed session (batch 1), then waits on `b`'s row until `b` commits.
        b.ledger().begin_group().unwrap();
        let settled = t.read_reply(&answer(&mut b, &settlement)).unwrap();
        assert_eq!(settled.code, Some(ResponseCode::Approved));
        let signed = while_held(&mut b, a, sign_in);
        assert_eq!(t.accept_sign_in(&signed).unwrap(), ResponseCode::Approved);
        let session = b.ledger().session(&t.terminal_id).unwrap().unwrap();
        assert_eq!(session.batch, 2, "the sign-in wrote the closed batch back");
        assert_eq!(t.batch, 2, "the sign-in's reply named the closed batch");
        // The terminal's next purchase, in batch 2 under the new keys, is approved.
        let (r, stan) = purchase_at(&fx, &mut b, &mut t);
        assert_eq!(r.code, Some(ResponseCode::Approved));
        let key = TxKey {
            terminal_id: t.terminal_id.clone(),
            batch: 2,
            stan,
        };
        assert!(b.ledger().transaction(&key).unwrap().unwrap().is_live());
    }

    /// A posting `cardwire_post` refuses (no account) leaves no row, and the group it is in
    /// commits the others.
    #[test]
    fn a_refused_posting_leaves_nothing_and_its_group_commits_the_rest() {
        let Some(db) = crate::pg_db("post_refused") else {
            return;
        };
        let keys = cardwire_testkit::test_key_store();
        let mut l = PgLedger::connect(db.url(), PgOptions::default(), &keys).unwrap();
        l.open_account("6200000000000001", 1_000).unwrap();
        let mut record = |stan: u32, account: &str| {
            let key = TxKey {
                terminal_id: "10580001".into(),
                batch: 1,
                stan,
            };
            let seq = l.next_seq().unwrap().unwrap();
            TxRecord {
                response: Some(ResponseCode::Approved),
                amount: 100,
                balance_delta: -100,
                account: account.into(),
                rrn: format!("{seq:012}"),
                state: Default::default(),
                ..TxRecord::mark(key, Transaction::Purchase, seq, NOW)
            }
        };
        let (none, one) = (record(1, "6200000000000099"), record(2, "6200000000000001"));
        let decline = ResponseCode::InsufficientFunds;
        l.begin_group().unwrap();
        let refused = l.post_decided(
            &Posting {
                record: none.clone(),
                change: None,
            },
            decline,
        );
        assert_eq!(refused.unwrap_err().kind(), ErrorKind::Ledger);
        let posted = l.post_decided(
            &Posting {
                record: one.clone(),
                change: None,
            },
            decline,
        );
        assert_eq!(posted.unwrap(), Posted::AsDecided);
        l.commit_group().unwrap();
        assert!(l.transaction(&none.key).unwrap().is_none(), "no row left");
        assert!(l.transaction(&one.key).unwrap().unwrap().is_live());
        assert_eq!(l.balance("6200000000000001").unwrap(), Some(900));
    }

    #[test]
    fn a_lost_connection_answers_nothing_and_the_next_group_reconnects() {
        let Some(Race {
            fx,
            mut a,
            mut t,
            db,
            ..
        }) = race("outage", "noodle-1")
        else {
            return;
        };
        let card = fx.card("debit-chip").clone();
        let mut buf = [0u8; 512];
        // A group is open when the database drops every connection of this ledger (a
        // restart, a failover).
        a.ledger().begin_group().unwrap();
        let mut admin = postgres::Client::connect(db.url(), postgres::NoTls).unwrap();
        admin
            .execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                 WHERE datname = current_database() AND pid <> pg_backend_pid()",
                &[],
            )
            .unwrap();
        let (n, stan) = t.request(
            &Req::purchase(&card, Entry::Chip, Some("123456"), 500),
            &mut buf,
        );
        let mut out = [0u8; 512];
        let e = a.handle(&buf[..n], NOW, &mut OsRng, &mut out).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::LedgerUnavailable, "{e}");
        assert!(a.ledger().commit_group().is_err());
        // Nothing was stored; the terminal's reversal comes to a reconnected ledger.
        a.ledger().begin_group().unwrap();
        let sale = Req::purchase(&card, Entry::Chip, Some("123456"), 500);
        let n = t.reversal(&sale, stan, &mut buf);
        let r = t.read_reply(&answer(&mut a, &buf[..n])).unwrap();
        a.ledger().commit_group().unwrap();
        assert_eq!(r.code, Some(ResponseCode::Approved));
        assert_eq!(a.ledger().balance(&card.pan).unwrap(), Some(card.balance));
        let mark: Vec<TxRecord> = a.ledger().batch(&t.terminal_id, t.batch).unwrap();
        assert!(mark.iter().all(|r| !r.is_live()));
    }
}
