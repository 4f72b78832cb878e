#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::cast_possible_truncation
)] // tests may fail loudly
//! The whole flow over loopback TCP: the real `Terminal` with simulated cards, talking through
//! `transport::Client` to a `transport::Server` around the real `Host` with an `SqliteLedger`
//! in a temporary file. After every scenario the host ledger, the terminal's batch totals and
//! the merchant statement must agree to the fen ([`assert_books_agree`]).

mod common;

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cardwire_crypto::pin::Pin;
use cardwire_iso8583::cups::{Reply, SettlementTotals, Transaction};
use cardwire_pos::card::sim::{Interface, track2};
use cardwire_pos::card::{CardData, chip, qr};
use cardwire_pos::host::{Host, batch_totals};
use cardwire_pos::ledger::{Durability, Ledger, SqliteLedger, TxKey};
use cardwire_pos::receipt::{self, Receipt};
use cardwire_pos::terminal::quote;
use cardwire_pos::terminal::{Reference, Sent};
use cardwire_pos::testkit::{self, Fixtures};
use cardwire_pos::transport::{Client, Server, ServerConfig};
use cardwire_pos::{Config, ErrorKind, Outcome, ResponseCode, Terminal, statement};
use common::{account, card, fixtures, key, now, sim_card};
use serde_json::Value;

const NOODLE: &str = "898310058121234";

// ----- the acquirer: a real server around a real host on SQLite -----

/// A ledger file of its own under the temporary directory, removed (with its WAL) at the end.
struct TempDb(PathBuf);

impl TempDb {
    fn new(name: &str) -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let path = std::env::temp_dir().join(format!(
            "cardwire-flow-{}-{name}-{nanos}.db",
            std::process::id()
        ));
        let db = Self(path);
        db.remove();
        db
    }

    fn remove(&self) {
        for suffix in ["", "-wal", "-shm"] {
            let mut p = self.0.clone().into_os_string();
            p.push(suffix);
            let _ = std::fs::remove_file(p);
        }
    }
}

impl Drop for TempDb {
    fn drop(&mut self) {
        self.remove();
    }
}

struct Acquirer {
    fx: Fixtures,
    host: Arc<Mutex<Host<SqliteLedger>>>,
    server: Option<Server>,
}

impl Acquirer {
    /// Opens (or reopens) the ledger file and serves the host on a fresh loopback port.
    fn start(db: &Path) -> Self {
        let fx = testkit::fixtures().unwrap();
        let ledger = SqliteLedger::open(db, Durability::Normal).unwrap();
        let host = Arc::new(Mutex::new(Host::new(fx.registry.clone(), ledger).unwrap()));
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let server = Server::spawn(
            listener,
            Arc::clone(&host),
            ServerConfig::default(),
            Arc::new(|_, _| {}),
        )
        .unwrap();
        Self {
            fx,
            host,
            server: Some(server),
        }
    }

    fn addr(&self) -> SocketAddr {
        self.server.as_ref().unwrap().addr()
    }

    fn connect(&self) -> Link {
        Link {
            client: Client::connect(self.addr(), Duration::from_secs(5)).unwrap(),
            fault: Fault::None,
            sent: Vec::new(),
        }
    }

    /// Stops the server, waits until the host is released (every connection closed), closes
    /// the ledger file and starts a new host on it.
    fn restart(mut self, db: &Path) -> Self {
        self.server.take().unwrap().stop();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Arc::strong_count(&self.host) > 1 {
            assert!(Instant::now() < deadline, "host still held by the server");
            std::thread::sleep(Duration::from_millis(2));
        }
        let host = Arc::try_unwrap(self.host).ok().unwrap();
        drop(host.into_inner().unwrap().into_ledger());
        Self::start(db)
    }

    fn balance(&self, pan: &str) -> i64 {
        self.host
            .lock()
            .unwrap()
            .ledger()
            .balance(pan)
            .unwrap()
            .unwrap()
    }

    fn opening(&self, id: &str) -> i64 {
        self.fx.card(id).balance
    }
}

// ----- the terminal's side of the wire -----

/// What happens to the next frame a [`Link`] carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fault {
    None,
    /// The host answers, but the reply never reaches the terminal.
    DropReply,
    /// The amount (field 4) is changed on the way to the host.
    AlterAmount,
}

struct Link {
    client: Client,
    /// Applies to the next frame only.
    fault: Fault,
    /// Every frame the terminal sent, as it left the terminal.
    sent: Vec<Vec<u8>>,
}

impl Link {
    /// `Terminal::transact` over this connection: the reply is copied out of the client; a
    /// timeout is a missing reply.
    fn run<const J: usize>(
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
    fn resend(&mut self, frame: &[u8]) -> ResponseCode {
        let answer = self.client.send(frame).unwrap();
        let msg = testkit::message(answer).unwrap();
        ResponseCode::parse(Reply(&msg).response_code().unwrap()).unwrap()
    }

    /// The MTIs of the frames sent so far.
    fn mtis(&self) -> Vec<u16> {
        self.sent
            .iter()
            .map(|f| testkit::message(f).unwrap().mti().to_u16())
            .collect()
    }
}

/// Adds one fen to the amount of a request in transit (field 4, BCD, its last byte).
fn alter_amount(frame: &mut [u8]) {
    let msg = testkit::message(frame).unwrap();
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

/// The noodle shop's terminal (`terminals[0]` of the fixtures) or another terminal of the
/// fixtures claiming `merchant_no`.
fn terminal_of(f: &Value, index: usize, merchant_no: &str) -> Terminal<16> {
    let t = &f["terminals"][index];
    let m = f["merchants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["merchant_no"] == merchant_no)
        .unwrap();
    let config = Config::new(
        t["terminal_id"].as_str().unwrap(),
        merchant_no,
        m["name"].as_str().unwrap(),
    )
    .unwrap()
    .with_serial(t["serial"].as_str().unwrap())
    .unwrap()
    .with_fee_bps(u16::try_from(m["fee_bps"].as_u64().unwrap()).unwrap())
    .with_floor_limit(f["floor_limit_fen"].as_u64().unwrap());
    Terminal::new(config, key(t["tmk"].as_str().unwrap()))
}

fn swipe_of(f: &Value, id: &str) -> CardData {
    let c = card(f, id);
    CardData::swipe(track2(&account(&c)).unwrap().as_str()).unwrap()
}

fn pin_of(f: &Value, id: &str) -> Pin {
    Pin::new(card(f, id)["pin"].as_str().unwrap()).unwrap()
}

fn sign_in<const J: usize>(link: &mut Link, t: &mut Terminal<J>) -> u32 {
    match link.run(t, |t, out| t.sign_in(now(), out)) {
        Outcome::SignedIn { batch } => batch,
        other => panic!("sign-in: {other:?}"),
    }
}

fn approved(o: Outcome) -> cardwire_pos::terminal::Approval {
    match o {
        Outcome::Approved(a) => a,
        other => panic!("expected an approval, got {other:?}"),
    }
}

fn declined(o: &Outcome) -> ResponseCode {
    match o {
        Outcome::Declined { code, .. } => *code,
        other => panic!("expected a decline, got {other:?}"),
    }
}

/// Purchase of `amount` fen swiped with the right PIN; returns the approval.
fn swipe_purchase<const J: usize>(
    link: &mut Link,
    t: &mut Terminal<J>,
    f: &Value,
    id: &str,
    amount: u64,
) -> cardwire_pos::terminal::Approval {
    let (card, pin) = (swipe_of(f, id), pin_of(f, id));
    approved(link.run(t, |t, out| {
        t.purchase(&card, amount, Some(&pin), now(), out)
    }))
}

// ----- the books -----

/// What the terminal approved in the batches it already closed: their net (debits − credits)
/// and the merchant fee its quotes showed, taken from its journal before settling.
#[derive(Debug, Default)]
struct Tally {
    net: i64,
    fee: i64,
}

impl Tally {
    /// Adds a journal about to be settled (or lost).
    fn close<const J: usize>(&mut self, t: &Terminal<J>) {
        let (net, fee) = journal_figures(t);
        self.net += net;
        self.fee += fee;
    }
}

fn net(t: &SettlementTotals) -> i64 {
    let side = |x: &cardwire_iso8583::cups::Totals| x.debit_amount as i64 - x.credit_amount as i64;
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
        .map(|r| quote::fee(r.amount, t.config().fee_bps()) as i64)
        .sum();
    (net(&t.journal().totals()), fee)
}

fn counts(t: &SettlementTotals) -> [(u64, u16, u64, u16); 2] {
    let c = |x: &cardwire_iso8583::cups::Totals| {
        (
            x.debit_amount,
            x.debit_count,
            x.credit_amount,
            x.credit_count,
        )
    };
    [c(&t.domestic), c(&t.foreign)]
}

/// The host ledger, the terminal's batch totals and the statement agree to the fen:
/// - the host's totals of the open batch are the terminal journal's;
/// - the statement's rows of this terminal sum to the host's totals over all its batches,
///   and to what the terminal approved (closed batches in `tally`, plus the open journal);
/// - the statement's fees are the fees the terminal quoted;
/// - every card account moved by exactly its live transactions, which are the statement's
///   amounts plus the pre-authorisations still holding money.
fn assert_books_agree<const J: usize>(acq: &Acquirer, t: &Terminal<J>, tally: &Tally) {
    let tid = t.config().terminal_id();
    let mut host = acq.host.lock().unwrap();
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
        tally.net + journal_net,
        "statement vs terminal"
    );
    assert_eq!(statement_fee, tally.fee + journal_fee, "fees");

    // Accounts: the whole ledger (every terminal).
    let mut moved = std::collections::BTreeMap::<String, i64>::new();
    let mut held = 0i64;
    ledger
        .for_each(&mut |r| {
            if r.is_live() {
                *moved.entry(r.account.clone()).or_default() += r.balance_delta;
                if r.transaction == Transaction::PreAuth && !r.state.voided && !r.state.completed {
                    held += r.amount as i64;
                }
            }
            Ok(())
        })
        .unwrap();
    for c in &acq.fx.cards {
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

/// Settles the open batch, expecting the host to agree.
fn settle_balanced<const J: usize>(link: &mut Link, t: &mut Terminal<J>, tally: &mut Tally) {
    let batch = t.batch();
    tally.close(t);
    let totals = t.journal().totals();
    match link.run(t, |t, out| t.settle(now(), out)) {
        Outcome::Settled {
            balanced: true,
            totals: sent,
        } => assert_eq!(sent, totals),
        other => panic!("settlement: {other:?}"),
    }
    assert_eq!(t.batch(), batch + 1);
    assert!(t.journal().is_empty());
}

// ----- the scenarios -----

#[test]
fn every_transaction_type_over_loopback() {
    let f = fixtures();
    let db = TempDb::new("every");
    let acq = Acquirer::start(&db.0);
    let mut link = acq.connect();
    let mut t = terminal_of(&f, 0, NOODLE);
    let mut tally = Tally::default();
    assert_eq!(sign_in(&mut link, &mut t), 1);
    assert!(t.is_signed_in());

    let swipe = swipe_of(&f, "debit-chip");
    let pin = pin_of(&f, "debit-chip");

    // Balance inquiry: the host's figure is the account's.
    let o = link.run(&mut t, |t, out| t.balance(&swipe, Some(&pin), now(), out));
    assert_eq!(
        o,
        Outcome::Balance {
            balance: Some(acq.opening("debit-chip"))
        }
    );

    // Swipe with PIN, after the quote.
    let q = t.quote(12_345);
    assert_eq!((q.amount, q.fee, q.total), (12_345, 74, 12_345));
    let by_swipe = swipe_purchase(&mut link, &mut t, &f, "debit-chip", q.total);
    let slip = Receipt::new(t.config(), &by_swipe.record, receipt::Copy::Cardholder).to_string();
    assert!(slip.contains("621483******5673"), "{slip}");
    assert!(!slip.contains("6214830012345673"));
    assert!(slip.contains(by_swipe.record.rrn.as_str()));

    // Contact chip with PIN: the host's ARPC authenticates it, the card answers a TC.
    let mut chip_card = sim_card(&f, "debit-chip", Interface::Contact);
    let params = t.emv_params(2_000, 0x00, now(), [1, 2, 3, 4]);
    let mut session = chip::read(&mut chip_card, Interface::Contact, &params).unwrap();
    let by_chip = approved(link.run(&mut t, |t, out| {
        t.purchase(session.card(), 2_000, Some(&pin), now(), out)
    }));
    let done = session
        .complete(
            &mut chip_card,
            true,
            by_chip.issuer_authentication(),
            *b"00",
        )
        .unwrap();
    assert_eq!(done.issuer_authenticated, Some(true));
    assert!(done.accepted);
    assert_eq!(done.cryptogram.unwrap().1 & 0xC0, 0x40, "TC");

    // The issuer script result advice (0620) for the chip transaction: acknowledged.
    let o = link.run(&mut t, |t, out| {
        t.script_result(
            by_chip.record.stan,
            &[0xDF, 0x31, 0x05, 0x20, 0, 0, 0, 0],
            now(),
            out,
        )
    });
    assert_eq!(o, Outcome::Acknowledged);

    // Contactless: under the floor limit no PIN, above it the online PIN.
    for (amount, with_pin) in [(50_000u64, false), (150_000, true)] {
        chip_card.present(Interface::Contactless).unwrap();
        let params = t.emv_params(amount, 0x00, now(), [5, 6, 7, 8]);
        let mut session = chip::read(&mut chip_card, Interface::Contactless, &params).unwrap();
        assert_eq!(session.card().pin_required(), with_pin, "tap of {amount}");
        let p = with_pin.then_some(&pin);
        let a = approved(link.run(&mut t, |t, out| {
            t.purchase(session.card(), amount, p, now(), out)
        }));
        let sent = testkit::message(link.sent.last().unwrap()).unwrap();
        let f22 = sent.get(22).unwrap().to_string();
        assert_eq!(f22, if with_pin { "071" } else { "072" });
        assert!(
            session
                .complete(&mut chip_card, true, a.issuer_authentication(), *b"00")
                .unwrap()
                .accepted
        );
    }

    // A consumer-presented QR code from a wallet with the credit card: no PIN.
    let mut wallet = sim_card(&f, "credit-chip", Interface::Contact);
    let mut buf = [0u8; 512];
    let code = wallet
        .consumer_qr([9, 9, 9, 9], now(), &mut buf)
        .unwrap()
        .to_owned();
    let params = t.emv_params(3_000, 0x00, now(), [1, 1, 1, 1]);
    let by_qr = qr::from_consumer_qr(&code, &params).unwrap();
    approved(link.run(&mut t, |t, out| t.purchase(&by_qr, 3_000, None, now(), out)));
    assert_eq!(
        acq.balance(card(&f, "credit-chip")["pan"].as_str().unwrap()),
        acq.opening("credit-chip") - 3_000
    );

    // Void of the swiped purchase; refund of part of the chip purchase.
    approved(link.run(&mut t, |t, out| {
        t.void(by_swipe.record.stan, Some(&swipe), Some(&pin), now(), out)
    }));
    let chip_ref = Reference::of(&by_chip.record);
    approved(link.run(&mut t, |t, out| {
        t.refund(&chip_ref, &swipe, 500, Some(&pin), now(), out)
    }));

    // Pre-authorisation, its completion for less, the completion's void.
    let pre = approved(link.run(&mut t, |t, out| {
        t.pre_auth(&swipe, 9_000, Some(&pin), now(), out)
    }));
    let pre_ref = Reference::of(&pre.record);
    let completion = approved(link.run(&mut t, |t, out| {
        t.pre_auth_completion(&pre_ref, &swipe, 8_000, Some(&pin), now(), out)
    }));
    approved(link.run(&mut t, |t, out| {
        t.completion_void(completion.record.stan, Some(&swipe), Some(&pin), now(), out)
    }));
    // A second pre-authorisation, voided.
    let pre2 = approved(link.run(&mut t, |t, out| {
        t.pre_auth(&swipe, 100, Some(&pin), now(), out)
    }));
    let pre2_ref = Reference::of(&pre2.record);
    approved(link.run(&mut t, |t, out| {
        t.pre_auth_void(&pre2_ref, &swipe, 100, Some(&pin), now(), out)
    }));

    // Card account: the chip purchase less its refund, both taps; the swipe was voided, the
    // first pre-authorisation was completed and the completion voided, the second voided.
    assert_eq!(
        acq.balance(card(&f, "debit-chip")["pan"].as_str().unwrap()),
        acq.opening("debit-chip") - 2_000 + 500 - 50_000 - 150_000
    );
    assert_books_agree(&acq, &t, &tally);

    // Settlement: balanced, the batch closes on both sides.
    settle_balanced(&mut link, &mut t, &mut tally);
    assert_books_agree(&acq, &t, &tally);
    let settlements = acq.host.lock().unwrap().ledger().settlements().unwrap();
    assert_eq!(settlements.len(), 1);
    assert!(settlements[0].balanced);
    assert_eq!(
        (
            settlements[0].host.domestic.debit_amount,
            settlements[0].host.domestic.credit_amount
        ),
        (2_000 + 50_000 + 150_000 + 3_000, 500)
    );

    // Network management: echo test, sign-out (the keys are dropped).
    let o = link.run(&mut t, |t, out| t.echo_test(now(), out));
    assert_eq!(o, Outcome::Acknowledged);
    let o = link.run(&mut t, |t, out| t.sign_out(now(), out));
    assert_eq!(o, Outcome::SignedOut);
    assert!(!t.is_signed_in());
    assert_books_agree(&acq, &t, &tally);
    assert_eq!(
        link.mtis(),
        [
            800, 200, 200, 200, 620, 200, 200, 200, 200, 220, 100, 200, 200, 100, 100, 500, 820,
            820
        ]
    );
}

#[test]
fn lost_replies_of_a_void_and_a_completion_are_reversed() {
    let f = fixtures();
    let db = TempDb::new("lost2");
    let acq = Acquirer::start(&db.0);
    let mut link = acq.connect();
    let mut t = terminal_of(&f, 0, NOODLE);
    let mut tally = Tally::default();
    sign_in(&mut link, &mut t);
    let pan = card(&f, "debit-chip")["pan"].as_str().unwrap().to_owned();
    let opening = acq.opening("debit-chip");
    let (swipe, pin) = (swipe_of(&f, "debit-chip"), pin_of(&f, "debit-chip"));

    // A void whose reply is lost: its reversal restores the sale (and its fee).
    let sale = swipe_purchase(&mut link, &mut t, &f, "debit-chip", 3_000);
    link.fault = Fault::DropReply;
    let o = link.run(&mut t, |t, out| {
        t.void(sale.record.stan, Some(&swipe), Some(&pin), now(), out)
    });
    assert!(
        matches!(
            o,
            Outcome::NoReply {
                reversal_pending: true,
                ..
            }
        ),
        "{o:?}"
    );
    assert_eq!(acq.balance(&pan), opening, "the host did void it");
    assert_eq!(
        t.pending_reversal().map(|p| p.0),
        Some(Transaction::PurchaseVoid)
    );

    // A pre-authorisation (the void's reversal goes first), then its completion, whose reply
    // is lost.
    let pre = approved(link.run(&mut t, |t, out| {
        t.pre_auth(&swipe, 10_000, Some(&pin), now(), out)
    }));
    assert_eq!(acq.balance(&pan), opening - 3_000 - 10_000);
    assert_books_agree(&acq, &t, &tally);
    let pre_ref = Reference::of(&pre.record);
    link.fault = Fault::DropReply;
    let o = link.run(&mut t, |t, out| {
        t.pre_auth_completion(&pre_ref, &swipe, 7_000, Some(&pin), now(), out)
    });
    assert!(
        matches!(
            o,
            Outcome::NoReply {
                reversal_pending: true,
                ..
            }
        ),
        "{o:?}"
    );
    assert_eq!(
        acq.balance(&pan),
        opening - 3_000 - 7_000,
        "completed at the host"
    );

    // The completion's reversal puts the hold back; the pre-authorisation can be completed
    // again.
    let done = approved(link.run(&mut t, |t, out| {
        t.pre_auth_completion(&pre_ref, &swipe, 6_000, Some(&pin), now(), out)
    }));
    assert_eq!(done.record.amount, 6_000);
    assert_eq!(acq.balance(&pan), opening - 3_000 - 6_000);
    assert_eq!(link.mtis(), [800, 200, 200, 400, 100, 200, 400, 200]);
    assert_books_agree(&acq, &t, &tally);
    settle_balanced(&mut link, &mut t, &mut tally);
    assert_books_agree(&acq, &t, &tally);
}

#[test]
fn unbalanced_settlement_then_batch_upload() {
    let f = fixtures();
    let db = TempDb::new("upload");
    let acq = Acquirer::start(&db.0);
    let mut link = acq.connect();
    let mut tally = Tally::default();

    // The terminal approves two purchases, then restarts without its journal (kept in RAM):
    // it keeps its batch and STAN, as terminals do, but the host knows two purchases it does
    // not.
    let mut before = terminal_of(&f, 0, NOODLE);
    sign_in(&mut link, &mut before);
    swipe_purchase(&mut link, &mut before, &f, "debit-chip", 1_111);
    swipe_purchase(&mut link, &mut before, &f, "credit-chip", 2_222);
    tally.close(&before);
    let mut t = terminal_of(&f, 0, NOODLE);
    t.resume(before.batch(), before.stan()).unwrap();
    drop(before);
    sign_in(&mut link, &mut t);
    swipe_purchase(&mut link, &mut t, &f, "debit-chip", 3_333);

    // Settlement: unbalanced; the terminal uploads its batch (one 0320 per record, then the
    // end of the upload) and the batch closes.
    tally.close(&t);
    match link.run(&mut t, |t, out| t.settle(now(), out)) {
        Outcome::Settled {
            balanced: false,
            totals,
        } => assert_eq!(totals.domestic.debit_amount, 3_333),
        other => panic!("settlement: {other:?}"),
    }
    let mut uploads = 0;
    loop {
        match link.run(&mut t, |t, out| t.batch_upload(now(), out)) {
            Outcome::Uploaded { remaining } => {
                uploads += 1;
                assert_eq!(remaining, 0);
            }
            Outcome::BatchClosed { batch } => {
                assert_eq!(batch, 2);
                break;
            }
            other => panic!("upload: {other:?}"),
        }
    }
    assert_eq!(uploads, 1);
    let settlement = acq.host.lock().unwrap().ledger().settlements().unwrap()[0].clone();
    assert!(!settlement.balanced);
    assert_eq!(settlement.terminal.domestic.debit_amount, 3_333);
    assert_eq!(settlement.host.domestic.debit_amount, 1_111 + 2_222 + 3_333);
    assert_eq!(settlement.host.domestic.debit_count, 3);
    assert_books_agree(&acq, &t, &tally);

    // The next batch settles balanced again.
    swipe_purchase(&mut link, &mut t, &f, "debit-chip", 4_444);
    settle_balanced(&mut link, &mut t, &mut tally);
    assert_books_agree(&acq, &t, &tally);
    let mtis = link.mtis();
    assert_eq!(&mtis[mtis.len() - 5..], [500, 320, 320, 200, 500]);
}

#[test]
fn lost_reply_is_reversed_without_double_charge() {
    let f = fixtures();
    let db = TempDb::new("lost");
    let acq = Acquirer::start(&db.0);
    let mut link = acq.connect();
    let mut t = terminal_of(&f, 0, NOODLE);
    let tally = Tally::default();
    sign_in(&mut link, &mut t);
    let pan = card(&f, "debit-chip")["pan"].as_str().unwrap().to_owned();
    let opening = acq.opening("debit-chip");
    let (swipe, pin) = (swipe_of(&f, "debit-chip"), pin_of(&f, "debit-chip"));

    // The host approves and charges; the reply is lost.
    link.fault = Fault::DropReply;
    let o = link.run(&mut t, |t, out| {
        t.purchase(&swipe, 7_700, Some(&pin), now(), out)
    });
    let Outcome::NoReply {
        transaction: Transaction::Purchase,
        reversal: false,
        stan: lost,
        reversal_pending: true,
    } = o
    else {
        panic!("{o:?}")
    };
    assert_eq!(acq.balance(&pan), opening - 7_700, "the host did charge");
    assert_eq!(t.pending_reversal(), Some((Transaction::Purchase, lost)));

    // The next transaction sends the reversal first, then itself.
    let next = swipe_purchase(&mut link, &mut t, &f, "debit-chip", 1_200);
    assert_eq!(t.pending_reversal(), None);
    assert_eq!(link.mtis(), [800, 200, 400, 200]);
    assert_eq!(acq.balance(&pan), opening - 1_200, "one charge");
    assert!(t.journal().find(lost).is_none());
    assert!(t.journal().find(next.record.stan).is_some());
    let key = TxKey {
        terminal_id: t.config().terminal_id().into(),
        batch: t.batch(),
        stan: lost,
    };
    let record = acq
        .host
        .lock()
        .unwrap()
        .ledger()
        .transaction(&key)
        .unwrap()
        .unwrap();
    assert!(record.state.reversed);
    assert_books_agree(&acq, &t, &tally);

    // The reversal again (its reply lost too, say): approved, nothing changes.
    let reversal = link.sent[2].clone();
    assert_eq!(link.resend(&reversal), ResponseCode::Approved);
    assert_eq!(acq.balance(&pan), opening - 1_200);
    // The lost purchase again, late: its trace number is used.
    let late = link.sent[1].clone();
    assert_eq!(link.resend(&late), ResponseCode::Duplicate);
    assert_eq!(acq.balance(&pan), opening - 1_200);
    assert_books_agree(&acq, &t, &tally);
}

#[test]
fn wrong_pin_is_55_and_nothing_moves() {
    let f = fixtures();
    let db = TempDb::new("pin");
    let acq = Acquirer::start(&db.0);
    let mut link = acq.connect();
    let mut t = terminal_of(&f, 0, NOODLE);
    let tally = Tally::default();
    sign_in(&mut link, &mut t);
    let swipe = swipe_of(&f, "debit-chip");
    let wrong = Pin::new("654321").unwrap();
    let o = link.run(&mut t, |t, out| {
        t.purchase(&swipe, 5_000, Some(&wrong), now(), out)
    });
    assert_eq!(declined(&o), ResponseCode::IncorrectPin);
    assert_eq!(t.pending_reversal(), None);
    assert!(t.journal().is_empty());
    assert_eq!(
        acq.balance(card(&f, "debit-chip")["pan"].as_str().unwrap()),
        acq.opening("debit-chip")
    );
    assert_books_agree(&acq, &t, &tally);
}

#[test]
fn tampered_request_is_a0_and_nothing_moves() {
    let f = fixtures();
    let db = TempDb::new("mac");
    let acq = Acquirer::start(&db.0);
    let mut link = acq.connect();
    let mut t = terminal_of(&f, 0, NOODLE);
    let tally = Tally::default();
    sign_in(&mut link, &mut t);
    let (swipe, pin) = (swipe_of(&f, "debit-chip"), pin_of(&f, "debit-chip"));
    link.fault = Fault::AlterAmount;
    let o = link.run(&mut t, |t, out| {
        t.purchase(&swipe, 5_000, Some(&pin), now(), out)
    });
    assert_eq!(declined(&o), ResponseCode::MacFailed);
    assert!(t.journal().is_empty());
    assert_eq!(
        acq.balance(card(&f, "debit-chip")["pan"].as_str().unwrap()),
        acq.opening("debit-chip")
    );
    assert_books_agree(&acq, &t, &tally);
    // The terminal carries on with the same keys.
    swipe_purchase(&mut link, &mut t, &f, "debit-chip", 5_000);
    assert_books_agree(&acq, &t, &tally);
}

#[test]
fn unbound_terminal_is_refused_until_activated() {
    let f = fixtures();
    let db = TempDb::new("unbound");
    let acq = Acquirer::start(&db.0);
    let mut link = acq.connect();
    assert_eq!(f["terminals"][2]["activated"], false);
    let mut t = terminal_of(&f, 2, NOODLE);
    let tally = Tally::default();
    let o = link.run(&mut t, |t, out| t.sign_in(now(), out));
    assert_eq!(declined(&o), ResponseCode::InvalidMerchant);
    assert!(!t.is_signed_in());

    let tid = t.config().terminal_id().to_owned();
    acq.host
        .lock()
        .unwrap()
        .registry_mut()
        .activate(&tid, NOODLE)
        .unwrap();
    assert_eq!(sign_in(&mut link, &mut t), 1);
    let a = swipe_purchase(&mut link, &mut t, &f, "credit-chip", 880);
    assert_eq!(a.record.merchant_no.as_str(), NOODLE);
    assert_books_agree(&acq, &t, &tally);
}

#[test]
fn duplicate_stan_is_94() {
    let f = fixtures();
    let db = TempDb::new("dup");
    let acq = Acquirer::start(&db.0);
    let mut link = acq.connect();
    let mut t = terminal_of(&f, 0, NOODLE);
    let tally = Tally::default();
    sign_in(&mut link, &mut t);
    swipe_purchase(&mut link, &mut t, &f, "debit-chip", 4_321);
    let frame = link.sent.last().unwrap().clone();
    assert_eq!(link.resend(&frame), ResponseCode::Duplicate);
    assert_eq!(
        acq.balance(card(&f, "debit-chip")["pan"].as_str().unwrap()),
        acq.opening("debit-chip") - 4_321
    );
    assert_books_agree(&acq, &t, &tally);
}

#[test]
fn void_or_refund_of_an_unknown_original_is_25() {
    let f = fixtures();
    let db = TempDb::new("unknown");
    let acq = Acquirer::start(&db.0);
    let mut link = acq.connect();
    let mut t = terminal_of(&f, 0, NOODLE);
    let tally = Tally::default();
    sign_in(&mut link, &mut t);
    let (swipe, pin) = (swipe_of(&f, "debit-chip"), pin_of(&f, "debit-chip"));
    let sale = swipe_purchase(&mut link, &mut t, &f, "debit-chip", 6_000);

    // A purchase void names its original from the journal: an unknown STAN never leaves the
    // terminal.
    let err = t.void(999, Some(&swipe), Some(&pin), now(), &mut [0u8; 512]);
    assert_eq!(err.unwrap_err().kind(), ErrorKind::NotFound);

    // A pre-authorisation void and a refund name theirs by reference: the host finds none.
    let ghost = Reference {
        stan: 999,
        rrn: cardwire_pos::text::Text::copy_from("000000099999").unwrap(),
        ..Reference::of(&sale.record)
    };
    let o = link.run(&mut t, |t, out| {
        t.pre_auth_void(&ghost, &swipe, 6_000, Some(&pin), now(), out)
    });
    assert_eq!(declined(&o), ResponseCode::OriginalNotFound);
    let o = link.run(&mut t, |t, out| {
        t.refund(&ghost, &swipe, 1_000, Some(&pin), now(), out)
    });
    assert_eq!(declined(&o), ResponseCode::OriginalNotFound);
    // The real sale under another card: not its original either.
    let credit = swipe_of(&f, "credit-chip");
    let credit_pin = pin_of(&f, "credit-chip");
    let o = link.run(&mut t, |t, out| {
        t.refund(
            &Reference::of(&sale.record),
            &credit,
            1_000,
            Some(&credit_pin),
            now(),
            out,
        )
    });
    assert_eq!(declined(&o), ResponseCode::OriginalNotFound);
    assert_eq!(t.pending_reversal(), None);
    assert_eq!(
        acq.balance(card(&f, "debit-chip")["pan"].as_str().unwrap()),
        acq.opening("debit-chip") - 6_000
    );
    assert_books_agree(&acq, &t, &tally);
}

#[test]
fn host_restart_between_request_and_reversal() {
    let f = fixtures();
    let db = TempDb::new("restart");
    let acq = Acquirer::start(&db.0);
    let mut link = acq.connect();
    let mut t = terminal_of(&f, 0, NOODLE);
    let mut tally = Tally::default();
    sign_in(&mut link, &mut t);
    let pan = card(&f, "debit-chip")["pan"].as_str().unwrap().to_owned();
    let opening = acq.opening("debit-chip");
    let kept = swipe_purchase(&mut link, &mut t, &f, "debit-chip", 2_500);
    let (swipe, pin) = (swipe_of(&f, "debit-chip"), pin_of(&f, "debit-chip"));

    // The purchase is answered and committed, the reply lost; then the host goes down.
    link.fault = Fault::DropReply;
    let o = link.run(&mut t, |t, out| {
        t.purchase(&swipe, 9_900, Some(&pin), now(), out)
    });
    assert!(
        matches!(
            o,
            Outcome::NoReply {
                reversal_pending: true,
                ..
            }
        ),
        "{o:?}"
    );
    assert_eq!(acq.balance(&pan), opening - 2_500 - 9_900);
    let old = acq.addr();
    drop(link);
    let acq = acq.restart(&db.0);
    assert_ne!(acq.addr(), old);
    assert_eq!(
        acq.balance(&pan),
        opening - 2_500 - 9_900,
        "the file kept it"
    );

    // The terminal reconnects; its pending reversal goes first, under the same keys (the host
    // read the session back from the ledger), and settles.
    let mut link = acq.connect();
    let (_, lost) = t.pending_reversal().unwrap();
    let o = link.run(&mut t, |t, out| t.balance(&swipe, Some(&pin), now(), out));
    assert_eq!(link.mtis(), [400, 200]);
    assert_eq!(
        o,
        Outcome::Balance {
            balance: Some(opening - 2_500)
        }
    );
    assert_eq!(t.pending_reversal(), None);
    let key = TxKey {
        terminal_id: t.config().terminal_id().into(),
        batch: t.batch(),
        stan: lost,
    };
    let mut host = acq.host.lock().unwrap();
    let record = host.ledger().transaction(&key).unwrap().unwrap();
    assert!(record.state.reversed);
    let rows = statement::rows(host.ledger()).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].rrn, kept.record.rrn.as_str());
    drop(host);
    assert_books_agree(&acq, &t, &tally);

    // A reversal of it again: nothing changes.
    let again = link.sent[0].clone();
    assert_eq!(link.resend(&again), ResponseCode::Approved);
    assert_eq!(acq.balance(&pan), opening - 2_500);
    settle_balanced(&mut link, &mut t, &mut tally);
    assert_books_agree(&acq, &t, &tally);
}
