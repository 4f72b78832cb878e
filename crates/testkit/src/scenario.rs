//! The whole flow as a test reads it: the real `cardwire-pos` terminal, talking over loopback
//! TCP through its client to the real `cardwire-acquirer` server around the host on an SQLite
//! ledger in a temporary file. A [`Scenario`] holds all of it, so that a flow test reads as
//! its steps:
//!
//! ```no_run
//! use cardwire_testkit::Scenario;
//! let mut s = Scenario::signed_in("noodle-1");
//! let sale = s.purchase("debit-chip", 12_345);
//! s.settle_balanced();
//! s.assert_books_agree();
//! # let _ = sale;
//! ```
//!
//! After every step the host ledger, the terminal's batch totals and the merchant statement
//! can be checked to agree to the fen ([`Scenario::assert_books_agree`]).

use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cardwire_acquirer::host::batch_totals;
use cardwire_acquirer::ledger::{Durability, Ledger, SqliteLedger};
use cardwire_acquirer::server::{Server, ServerConfig};
use cardwire_acquirer::{Host, ResponseCode, statement};
use cardwire_iso8583::cups::{Reply, SettlementTotals, Totals, Transaction};
use cardwire_pos::card::CardData;
use cardwire_pos::terminal::{Approval, Outcome, Sent};
use cardwire_pos::transport::Client;
use cardwire_pos::{ErrorKind, Terminal};

use crate::fake_host::now;
use crate::fixtures::Fixtures;
use crate::request::message;
use crate::temp::TempDir;

/// The journal capacity of a scenario's terminal.
pub const JOURNAL: usize = 16;

/// The acquirer: a real server around a real host on SQLite.
#[derive(Debug)]
pub struct Acquirer {
    /// The host, shared with the server.
    pub host: Arc<Mutex<Host<SqliteLedger>>>,
    server: Option<Server>,
}

impl Acquirer {
    /// Opens (or reopens) the ledger file at `db` and serves the host of `fx` on a fresh
    /// loopback port.
    pub fn start(fx: &Fixtures, db: &Path) -> Self {
        let ledger = SqliteLedger::open(db, Durability::Normal, &crate::test_key_store()).unwrap();
        // The scenario's terminal keeps the fixed clock of `fake_host::now`, the server reads
        // the system's: the chip date check and the sign-in window allow the difference.
        let host = Host::new(fx.registry.clone(), ledger)
            .unwrap()
            .with_chip_date_tolerance(3_660)
            .with_sign_in_window(3_660 * 86_400);
        let host = Arc::new(Mutex::new(host));
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let server = Server::spawn(
            listener,
            Arc::clone(&host),
            ServerConfig::default(),
            Arc::new(|_, _| {}),
        )
        .unwrap();
        Self {
            host,
            server: Some(server),
        }
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.server.as_ref().unwrap().addr()
    }

    /// A terminal's connection to it.
    pub fn connect(&self) -> Link {
        Link {
            client: Client::connect(self.addr(), Duration::from_secs(5)).unwrap(),
            fault: Fault::None,
            sent: Vec::new(),
        }
    }

    /// Stops the server, waits until the host is released (every connection closed), closes
    /// the ledger file and starts a new host on it.
    pub fn restart(mut self, fx: &Fixtures, db: &Path) -> Self {
        self.server.take().unwrap().stop();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Arc::strong_count(&self.host) > 1 {
            assert!(Instant::now() < deadline, "host still held by the server");
            std::thread::sleep(Duration::from_millis(2));
        }
        let host = Arc::try_unwrap(self.host).ok().unwrap();
        drop(host.into_inner().unwrap().into_ledger());
        Self::start(fx, db)
    }

    /// The balance of a card account, fen.
    pub fn balance(&self, pan: &str) -> i64 {
        self.host
            .lock()
            .unwrap()
            .ledger()
            .balance(pan)
            .unwrap()
            .unwrap()
    }
}

/// What happens to the next frame a [`Link`] carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Nothing.
    None,
    /// The host answers, but the reply never reaches the terminal.
    DropReply,
    /// The amount (field 4) is changed on the way to the host.
    AlterAmount,
}

/// The terminal's side of the wire, with a fault to inject.
#[derive(Debug)]
pub struct Link {
    client: Client,
    /// Applies to the next frame only.
    pub fault: Fault,
    /// Every frame the terminal sent, as it left the terminal.
    pub sent: Vec<Vec<u8>>,
}

impl Link {
    /// `Terminal::transact` over this connection: the reply is copied out of the client; a
    /// timeout is a missing reply.
    pub fn run<const J: usize>(
        &mut self,
        t: &mut Terminal<J>,
        start: impl FnMut(&mut Terminal<J>, &mut [u8]) -> cardwire_pos::Result<Sent>,
    ) -> Outcome {
        let mut out = [0u8; 1024];
        let mut reply = [0u8; 1024];
        t.transact(&mut out, &mut reply, start, |frame, reply| {
            self.sent.push(frame.to_vec());
            let fault = std::mem::replace(&mut self.fault, Fault::None);
            let mut frame = frame.to_vec();
            if fault == Fault::AlterAmount {
                alter_amount(&mut frame);
            }
            match self.client.send(&frame) {
                Ok(answer) if fault == Fault::DropReply => {
                    assert!(!answer.is_empty());
                    Ok(None)
                }
                Ok(answer) => {
                    reply[..answer.len()].copy_from_slice(answer);
                    Ok(Some(answer.len()))
                }
                Err(e) if e.kind() == ErrorKind::Timeout => Ok(None),
                Err(e) => Err(e),
            }
        })
        .unwrap()
    }

    /// Sends a frame as it is and returns the host's response code.
    pub fn resend(&mut self, frame: &[u8]) -> ResponseCode {
        let answer = self.client.send(frame).unwrap();
        let msg = message(answer).unwrap();
        ResponseCode::parse(Reply(&msg).response_code().unwrap()).unwrap()
    }

    /// The MTIs of the frames sent so far.
    pub fn mtis(&self) -> Vec<u16> {
        self.sent
            .iter()
            .map(|f| message(f).unwrap().mti().to_u16())
            .collect()
    }
}

/// Adds one fen to the amount of a request in transit (field 4, BCD, its last byte).
fn alter_amount(frame: &mut [u8]) {
    let msg = message(frame).unwrap();
    let amount = msg.get(4).unwrap().to_u64().unwrap();
    let digits = format!("{amount:012}");
    let bcd: Vec<u8> = digits
        .as_bytes()
        .chunks(2)
        .map(|p| ((p[0] - b'0') << 4) | (p[1] - b'0'))
        .collect();
    let at: Vec<usize> = frame
        .windows(6)
        .enumerate()
        .filter(|(_, w)| *w == bcd.as_slice())
        .map(|(i, _)| i)
        .collect();
    assert_eq!(at.len(), 1, "field 4 found once");
    assert_ne!(amount % 10, 9, "the last digit can take one more");
    frame[at[0] + 5] += 1;
}

/// What the terminal approved in the batches it already closed: their net (debits − credits)
/// and the merchant fee its quotes showed, taken from its journal before settling.
#[derive(Debug, Default)]
pub struct Tally {
    /// Net of the closed batches, fen.
    pub net: i64,
    /// Fees the terminal quoted on them, fen.
    pub fee: i64,
}

impl Tally {
    /// Adds a journal about to be settled (or lost).
    pub fn close<const J: usize>(&mut self, t: &Terminal<J>) {
        let (net, fee) = journal_figures(t);
        self.net += net;
        self.fee += fee;
    }
}

fn net(t: &SettlementTotals) -> i64 {
    let side = |x: &Totals| x.debit_amount as i64 - x.credit_amount as i64;
    side(&t.domestic) + side(&t.foreign)
}

/// The open journal's net and the fee the terminal quoted on its unvoided purchases and
/// completions (the fee a void returns and a refund keeps).
fn journal_figures<const J: usize>(t: &Terminal<J>) -> (i64, i64) {
    let fee = t
        .journal()
        .iter()
        .filter(|r| {
            matches!(
                r.transaction,
                Transaction::Purchase | Transaction::PreAuthCompletion
            ) && !r.voided
        })
        .map(|r| t.quote(r.amount).fee as i64)
        .sum();
    (net(&t.journal().totals()), fee)
}

fn counts(t: &SettlementTotals) -> [(u64, u16, u64, u16); 2] {
    let c = |x: &Totals| {
        (
            x.debit_amount,
            x.debit_count,
            x.credit_amount,
            x.credit_count,
        )
    };
    [c(&t.domestic), c(&t.foreign)]
}

/// A terminal of the fixtures, its connection, and the acquirer it talks to.
#[derive(Debug)]
pub struct Scenario {
    /// The fixtures.
    pub fx: Fixtures,
    /// The acquirer.
    pub acq: Acquirer,
    /// The terminal's connection.
    pub link: Link,
    /// The terminal.
    pub t: Terminal<JOURNAL>,
    /// What the terminal's closed batches held.
    pub tally: Tally,
    db: TempDir,
}

impl Scenario {
    /// The acquirer running on a fresh ledger, and terminal `terminal` (a fixture id)
    /// connected to it, claiming merchant number `merchant_no`, not signed in.
    pub fn claiming(terminal: &str, merchant_no: &str) -> Self {
        let fx = Fixtures::load().unwrap();
        let db = TempDir::new(terminal);
        let acq = Acquirer::start(&fx, &db.join("ledger.db"));
        let link = acq.connect();
        let t = Terminal::new(
            fx.config_for(terminal, merchant_no),
            fx.terminal(terminal).tmk.clone(),
        );
        Self {
            fx,
            acq,
            link,
            t,
            tally: Tally::default(),
            db,
        }
    }

    /// As [`Scenario::claiming`] the terminal's own merchant number.
    pub fn start(terminal: &str) -> Self {
        let fx = Fixtures::load().unwrap();
        let merchant_no = fx.terminal(terminal).merchant_no.clone();
        Self::claiming(terminal, &merchant_no)
    }

    /// As [`Scenario::start`], then signed in.
    pub fn signed_in(terminal: &str) -> Self {
        let mut s = Self::start(terminal);
        s.sign_in();
        s
    }

    /// Signs the terminal in; returns the batch the host gave.
    ///
    /// # Panics
    /// Unless the host signs it in.
    pub fn sign_in(&mut self) -> u32 {
        match self.run(|t, out| t.sign_in(now(), out)) {
            Outcome::SignedIn { batch } => batch,
            other => panic!("sign-in: {other:?}"),
        }
    }

    /// One exchange of the terminal with the host (see [`Link::run`]).
    pub fn run(
        &mut self,
        start: impl FnMut(&mut Terminal<JOURNAL>, &mut [u8]) -> cardwire_pos::Result<Sent>,
    ) -> Outcome {
        self.link.run(&mut self.t, start)
    }

    /// Card `id`'s stripe.
    pub fn swipe(&self, id: &str) -> CardData {
        self.fx.swipe(id)
    }

    /// Card `id`'s PIN.
    pub fn pin(&self, id: &str) -> cardwire_crypto::pin::Pin {
        self.fx.pin(id)
    }

    /// A purchase of `amount` fen with card `id` swiped and its PIN; returns the approval.
    pub fn purchase(&mut self, id: &str, amount: u64) -> Approval {
        let (card, pin) = (self.swipe(id), self.pin(id));
        approved(self.run(|t, out| t.purchase(&card, amount, Some(&pin), now(), out)))
    }

    /// The balance of card `id`'s account at the host, fen.
    pub fn balance(&self, id: &str) -> i64 {
        self.acq.balance(&self.fx.card(id).pan)
    }

    /// Card `id`'s opening balance, fen.
    pub fn opening(&self, id: &str) -> i64 {
        self.fx.card(id).balance
    }

    /// Settles the open batch, expecting the host to agree and the batch to close.
    pub fn settle_balanced(&mut self) {
        let batch = self.t.batch();
        self.tally.close(&self.t);
        let totals = self.t.journal().totals();
        match self.run(|t, out| t.settle(now(), out)) {
            Outcome::Settled {
                balanced: true,
                totals: sent,
            } => assert_eq!(sent, totals),
            other => panic!("settlement: {other:?}"),
        }
        assert_eq!(self.t.batch(), batch + 1);
        assert!(self.t.journal().is_empty());
    }

    /// Stops the host and starts it again on the same ledger file; the terminal keeps its
    /// state and connects anew.
    pub fn restart_host(self) -> Self {
        let Self {
            fx,
            acq,
            link,
            t,
            tally,
            db,
        } = self;
        drop(link);
        let acq = acq.restart(&fx, &db.join("ledger.db"));
        let link = acq.connect();
        Self {
            fx,
            acq,
            link,
            t,
            tally,
            db,
        }
    }

    /// The host ledger, the terminal's batch totals and the statement agree to the fen:
    /// - the host's totals of the open batch are the terminal journal's;
    /// - the statement's rows of this terminal sum to the host's totals over all its batches,
    ///   and to what the terminal approved (closed batches in the tally, plus the open
    ///   journal);
    /// - the statement's fees are the fees the terminal quoted;
    /// - every card account moved by exactly its live transactions, which are the statement's
    ///   amounts plus the pre-authorisations still holding money.
    pub fn assert_books_agree(&self) {
        let t = &self.t;
        let tid = t.config().terminal_id();
        let mut host = self.acq.host.lock().unwrap();
        let ledger = host.ledger();

        let open = batch_totals(ledger, tid, t.batch()).unwrap();
        assert_eq!(
            counts(&open),
            counts(&t.journal().totals()),
            "open batch {}: host vs terminal",
            t.batch()
        );

        let host_net: i64 = (1..=t.batch())
            .map(|b| net(&batch_totals(ledger, tid, b).unwrap()))
            .sum();
        let rows: Vec<_> = statement::rows(ledger)
            .unwrap()
            .into_iter()
            .filter(|r| r.terminal_id == tid)
            .collect();
        let statement_net: i64 = rows.iter().map(|r| r.amount).sum();
        let statement_fee: i64 = rows.iter().map(|r| r.fee).sum();
        let (journal_net, journal_fee) = journal_figures(t);
        assert_eq!(statement_net, host_net, "statement vs host ledger");
        assert_eq!(
            statement_net,
            self.tally.net + journal_net,
            "statement vs terminal"
        );
        assert_eq!(statement_fee, self.tally.fee + journal_fee, "fees");

        // Accounts: the whole ledger (every terminal).
        let mut moved = std::collections::BTreeMap::<String, i64>::new();
        let mut held = 0i64;
        ledger
            .for_each(&mut |r| {
                if r.is_live() {
                    *moved.entry(r.account.clone()).or_default() += r.balance_delta;
                    if r.transaction == Transaction::PreAuth
                        && !r.state.voided
                        && !r.state.completed
                    {
                        held += r.amount as i64;
                    }
                }
                Ok(())
            })
            .unwrap();
        for c in &self.fx.cards {
            let now = ledger.balance(&c.pan).unwrap().unwrap();
            let delta = moved.get(&c.pan).copied().unwrap_or(0);
            assert_eq!(now, c.balance + delta, "account of card {}", c.id);
        }
        let all_rows: i64 = statement::rows(ledger)
            .unwrap()
            .iter()
            .map(|r| r.amount)
            .sum();
        assert_eq!(
            moved.values().sum::<i64>(),
            -all_rows - held,
            "accounts vs statement"
        );
    }
}

/// The approval an outcome must be.
///
/// # Panics
/// Unless it is one.
pub fn approved(o: Outcome) -> Approval {
    match o {
        Outcome::Approved(a) => a,
        other => panic!("expected an approval, got {other:?}"),
    }
}

/// The response code of a decline.
///
/// # Panics
/// Unless the outcome is one.
pub fn declined(o: &Outcome) -> ResponseCode {
    match o {
        Outcome::Declined { code, .. } => *code,
        other => panic!("expected a decline, got {other:?}"),
    }
}
