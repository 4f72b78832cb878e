//! The cardwire POS demo: a personal POS terminal and an acquirer host, assembled from the
//! crates, talking China UnionPay POS ISO 8583 over loopback TCP.
//!
//! ```text
//! cargo run --example pos_demo
//! ```
//!
//! The host runs with an SQLite ledger (WAL) in a temporary file. A new terminal is refused
//! until the acquirer activates it and binds it to its merchant; then it signs in and takes a
//! swipe, a chip card with PIN (ARQC checked by the host, ARPC checked by the card), a tap
//! under the floor limit, a consumer-presented QR code, a purchase whose reply is lost (the
//! terminal reverses it before the next transaction), a void, a refund and the settlement.
//! The merchant's statement (对账单) follows, and the merchant reconciles the terminal's
//! journal against it (cardwire-merchant's reconcile): clean, then against a statement that
//! booked one purchase 0.01 higher at 0.78 % instead of 0.60 %. Then a hotel's terminal whose acquirer rotates it
//! through a pool of supermarket merchant numbers (跳码): the hotel audits its statement with
//! cardwire-merchant and the code jumping is flagged. Last, a terminal of the SM4 (国密)
//! profile: it generates its SM2 key pair, the acquirer registers the public key and the
//! terminal downloads its SM4 master key sealed to it and signed by the acquirer (remote key
//! download), then signs in for SM4 working keys and takes a chip purchase with PIN (a
//! 16-byte format 4 PIN block under SM4, the SM4 CBC-MAC), a purchase whose reply is lost
//! and its reversal, a void and the settlement. Exits 0 when every step behaved as told.
//!
//! Keys, cardholders, merchants and terminals come from `spec-vectors/pos-fixtures.json`
//! (test keys; made-up cards).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::cast_possible_truncation
)] // examples may fail loudly

use std::error::Error;
use std::net::TcpListener;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cardwire::acquirer::host::{self, Host};
use cardwire::acquirer::ledger::{Durability, SqliteLedger};
use cardwire::acquirer::server::{Server, ServerConfig};
use cardwire::acquirer::statement;
use cardwire::acquirer::{OsRng, TerminalEntry, TerminalProfile};
use cardwire::crypto::cups::MacAlgorithm;
use cardwire::crypto::pin::Pin;
use cardwire::crypto::sm::Sm4Key;
use cardwire::crypto::sm::cups::MasterKey;
use cardwire::crypto::sm::sm2::{DEFAULT_ID, PrivateKey};
use cardwire::merchant::reconcile::{ReconcileConfig, Reconciliation, reconcile};
use cardwire::merchant::{AuditConfig, Expectation, FeeRate, Fen, RateTable, audit};
use cardwire::pos::Config;
use cardwire::pos::card::sim::{SimCard, track2};
use cardwire::pos::card::{CardData, Interface, chip, qr};
use cardwire::pos::key_download::{AcquirerKey, Downloaded, KeyDownload};
use cardwire::pos::receipt::{Copy, Receipt};
use cardwire::pos::terminal::{Approval, Outcome, Reference, Sent};
use cardwire::pos::transport::Client;
use cardwire::pos::{DateTime, Terminal};
use cardwire_testkit::Fixtures as TestFixtures;

type Res<T = ()> = Result<T, Box<dyn Error>>;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("pos_demo: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Fails the demo unless `ok`: the demo checks what it shows.
fn expect(ok: bool, what: &str) -> Res {
    if ok {
        Ok(())
    } else {
        Err(format!("unexpected: {what}").into())
    }
}

fn title(text: &str) {
    println!("\n━━ {text}");
}

/// The fixtures (`spec-vectors/pos-fixtures.json`), read by the test kit's loader.
struct Fixtures(TestFixtures);

impl Fixtures {
    fn load() -> Res<Self> {
        Ok(Self(TestFixtures::load()?))
    }

    /// The terminal `id`, configured for its merchant (the one it is sold to).
    fn terminal(&self, id: &str) -> Terminal<64> {
        self.0.pos_terminal(id)
    }

    /// A cardholder's card, simulated at the APDU level, its stripe and its PIN.
    fn card(&self, id: &str, interface: Interface) -> Res<(SimCard, String, Pin)> {
        let stripe = track2(&self.0.account(id))?.as_str().to_owned();
        Ok((self.0.sim_card(id, interface), stripe, self.0.pin(id)))
    }
}

/// The terminal's clock: China Standard Time from the system clock.
fn now() -> DateTime {
    DateTime::now(DateTime::CHINA).expect("a clock between 2000 and 2099")
}

/// A terminal with its connection to the host.
struct Pos {
    terminal: Terminal<64>,
    client: Client,
}

impl Pos {
    fn connect(terminal: Terminal<64>, server: &Server) -> Res<Self> {
        let client = Client::connect(server.addr(), Duration::from_secs(5))?;
        Ok(Self { terminal, client })
    }

    /// Sends what `start` writes and hands the reply to the terminal. A pending reversal goes
    /// first (the terminal writes it in place of the transaction): it is shown, and then the
    /// transaction is started again.
    fn run(
        &mut self,
        mut start: impl FnMut(&mut Terminal<64>, &mut [u8]) -> Res<Sent>,
    ) -> Res<Outcome> {
        let mut out = [0u8; 1024];
        loop {
            let sent = start(&mut self.terminal, &mut out)?;
            if sent.reversal {
                println!(
                    "  terminal: a reversal is pending — 0400 for STAN {:06} ({}) goes first",
                    sent.stan, sent.transaction
                );
            }
            let reply = self.client.send(&out[..sent.len])?.to_vec();
            let outcome = self.terminal.on_reply(&reply)?;
            if let Outcome::Reversed { transaction, stan } = &outcome {
                println!("  host: reversal of {transaction} STAN {stan:06} confirmed");
                continue;
            }
            return Ok(outcome);
        }
    }

    /// As [`Pos::run`], but the reply never reaches the terminal (the network drops it after
    /// the host answered): the terminal times out and keeps a reversal pending.
    fn run_reply_lost(
        &mut self,
        mut start: impl FnMut(&mut Terminal<64>, &mut [u8]) -> Res<Sent>,
    ) -> Res<bool> {
        let mut out = [0u8; 1024];
        let sent = start(&mut self.terminal, &mut out)?;
        let _dropped = self.client.send(&out[..sent.len])?;
        Ok(self.terminal.on_timeout()?)
    }
}

fn approved(outcome: Outcome, what: &str) -> Res<Approval> {
    match outcome {
        Outcome::Approved(a) => Ok(a),
        other => Err(format!("{what}: expected an approval, got {other:?}").into()),
    }
}

fn show_approval(pos: &Pos, a: &Approval, receipts: bool) {
    let r = &a.record;
    println!(
        "  approved: STAN {:06}  RRN {}  auth {}  RMB {}.{:02}  card {}",
        r.stan,
        r.rrn.as_str(),
        r.auth_code.as_str(),
        r.amount / 100,
        r.amount % 100,
        r.masked_pan()
    );
    if receipts {
        for copy in [Copy::Merchant, Copy::Cardholder] {
            let slip = Receipt::new(pos.terminal.config(), r, copy).to_string();
            println!();
            for line in slip.lines() {
                println!("    │ {line}");
            }
        }
    }
}

fn quote(pos: &Pos, amount: u64) {
    println!("  screen: {}", pos.terminal.quote(amount));
}

fn run() -> Res {
    let fx = Fixtures::load()?;
    let registry = fx.0.registry.clone();

    // ── the acquirer host ──────────────────────────────────────────────────────────────
    title("Acquirer host");
    let db = std::env::temp_dir().join(format!("cardwire-pos-demo-{}.db", std::process::id()));
    let ledger = SqliteLedger::open(&db, Durability::Normal, &cardwire_testkit::test_key_store())?;
    let mut registry = registry;
    // The noodle shop's terminal is a new device in this story: not activated yet.
    let noodle_tid = fx.0.terminal("noodle-1").terminal_id.clone();
    let noodle_no = fx.0.merchant("noodle-shop").merchant_no.clone();
    for t in registry
        .terminals
        .iter_mut()
        .filter(|t| t.terminal_id == noodle_tid)
    {
        t.activated = false;
        t.merchant_no = None;
    }
    // The acquirer's SM2 key that signs remote key downloads (at rest under the KEK in the
    // service: `RegistryStore::acquirer_sm2_key`).
    let acquirer_sm2 = PrivateKey::generate(&mut OsRng)?;
    let host = Arc::new(Mutex::new(
        Host::new(registry, ledger)?.with_key_download_signer(acquirer_sm2.clone()),
    ));
    let log = Arc::new(
        |_peer, outcome: Result<&host::Answer, &cardwire::acquirer::Error>| match outcome {
            Ok(a) => println!("  host ▸ {a}"),
            Err(e) => println!("  host ▸ connection closed: {e}"),
        },
    );
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let server = Server::spawn(listener, Arc::clone(&host), ServerConfig::default(), log)?;
    println!(
        "  listening on {}, ledger {} (SQLite, WAL; every answer committed before it is sent)",
        server.addr(),
        db.display()
    );

    // ── a new terminal: refused, activated, signed in ──────────────────────────────────
    title("A new terminal for a noodle shop in Shanghai");
    let mut pos = Pos::connect(fx.terminal("noodle-1"), &server)?;
    let c = pos.terminal.config();
    println!(
        "  terminal {} (serial {}) for {} {}",
        c.terminal_id(),
        c.serial(),
        c.merchant_no(),
        c.merchant_name()
    );
    let outcome = pos.run(|t, out| Ok(t.sign_in(now(), out)?))?;
    let Outcome::Declined { code, .. } = outcome else {
        return Err(format!("sign-in before activation: {outcome:?}").into());
    };
    println!("  sign-in before activation refused: {code}");
    expect(
        code.code() == *b"03",
        "an unactivated terminal must be refused with 03",
    )?;
    host.lock()
        .unwrap()
        .registry_mut()
        .activate(&noodle_tid, &noodle_no)?;
    println!("  acquirer: terminal {noodle_tid} activated and bound to merchant {noodle_no}");
    let outcome = pos.run(|t, out| Ok(t.sign_in(now(), out)?))?;
    expect(
        matches!(outcome, Outcome::SignedIn { .. }),
        "sign-in after activation",
    )?;
    println!(
        "  signed in: PIK and MAK from field 62, check values verified; batch {:06}",
        pos.terminal.batch()
    );

    // ── swipe ─────────────────────────────────────────────────────────────────────────
    title("Swipe: a debit card's magnetic stripe, PIN on the pad");
    let (_, stripe, pin) = fx.card("debit-chip", Interface::Contact)?;
    let swipe = CardData::swipe(&stripe)?;
    quote(&pos, 3_850);
    let swiped = approved(
        pos.run(|t, out| Ok(t.purchase(&swipe, 3_850, Some(&pin), now(), out)?))?,
        "swipe purchase",
    )?;
    show_approval(&pos, &swiped, true);

    // ── chip with PIN ─────────────────────────────────────────────────────────────────
    title("Chip: SELECT PPSE/AID, GPO, READ RECORD, GENERATE AC → ARQC; the host returns the ARPC");
    let (mut card, _, pin) = fx.card("credit-chip", Interface::Contact)?;
    quote(&pos, 26_800);
    let params = pos
        .terminal
        .emv_params(26_800, 0x00, now(), [0x1A, 0x2B, 0x3C, 0x4D]);
    let mut session = chip::read(&mut card, Interface::Contact, &params)?;
    println!(
        "  card read: {} {}",
        session.card().label(),
        session.card().masked_pan()
    );
    let dipped = approved(
        pos.run(|t, out| Ok(t.purchase(session.card(), 26_800, Some(&pin), now(), out)?))?,
        "chip purchase",
    )?;
    let done = session.complete(&mut card, true, dipped.issuer_authentication(), *b"00")?;
    println!(
        "  card: issuer authentication {}, second GENERATE AC → {}",
        match done.issuer_authenticated {
            Some(true) => "passed (ARPC verified)",
            Some(false) => "FAILED",
            None => "not performed",
        },
        if done.accepted {
            "TC (accepted)"
        } else {
            "AAC (declined)"
        }
    );
    expect(
        done.accepted && done.issuer_authenticated == Some(true),
        "the card accepts the ARPC",
    )?;
    show_approval(&pos, &dipped, false);

    // ── tap ───────────────────────────────────────────────────────────────────────────
    title("Tap under the floor limit: contactless, no PIN");
    let (mut card, _, _) = fx.card("debit-chip", Interface::Contactless)?;
    card.present(Interface::Contactless)?;
    quote(&pos, 1_600);
    let params = pos
        .terminal
        .emv_params(1_600, 0x00, now(), [0x55, 0x66, 0x77, 0x88]);
    let session = chip::read(&mut card, Interface::Contactless, &params)?;
    expect(
        !session.card().pin_required(),
        "no PIN under the floor limit",
    )?;
    let tapped = approved(
        pos.run(|t, out| Ok(t.purchase(session.card(), 1_600, None, now(), out)?))?,
        "tap",
    )?;
    show_approval(&pos, &tapped, false);

    // ── QR ────────────────────────────────────────────────────────────────────────────
    title("QR: the terminal shows its code; the cardholder's wallet shows one back");
    let mut qr_buf = [0u8; 512];
    let shown = qr::merchant_qr(
        pos.terminal.config(),
        "48020000",
        Some(4_200),
        "NOODLE-0042",
        &mut qr_buf,
    )?;
    println!("  merchant-presented (EMV MPM): {shown}");
    let (mut wallet, _, _) = fx.card("credit-chip", Interface::Contact)?;
    let mut code_buf = [0u8; 512];
    let code = wallet
        .consumer_qr([0x0C, 0x0D, 0x0E, 0x0F], now(), &mut code_buf)?
        .to_owned();
    println!("  consumer-presented (EMV CPM, base64): {code}");
    let params = pos.terminal.emv_params(4_200, 0x00, now(), [0; 4]);
    let scanned = qr::from_consumer_qr(&code, &params)?;
    quote(&pos, 4_200);
    let by_qr = approved(
        pos.run(|t, out| Ok(t.purchase(&scanned, 4_200, None, now(), out)?))?,
        "QR purchase",
    )?;
    show_approval(&pos, &by_qr, false);

    // ── reply lost → reversal ─────────────────────────────────────────────────────────
    title("A purchase whose reply is lost on the way back");
    let pending = pos.run_reply_lost(|t, out| {
        Ok(t.purchase(&swipe, 9_900, Some(&pin_of(&fx, "debit-chip")?), now(), out)?)
    })?;
    println!("  terminal: no reply in time — reversal pending: {pending}");
    expect(pending, "a lost reply leaves a reversal pending")?;
    quote(&pos, 2_000);
    let after = approved(
        pos.run(|t, out| {
            Ok(t.purchase(&swipe, 2_000, Some(&pin_of(&fx, "debit-chip")?), now(), out)?)
        })?,
        "purchase after the reversal",
    )?;
    expect(
        pos.terminal.pending_reversal().is_none(),
        "the reversal is cleared",
    )?;
    show_approval(&pos, &after, false);

    // ── void and refund ───────────────────────────────────────────────────────────────
    title("Void of the swipe purchase, refund of part of the chip purchase");
    let pin = pin_of(&fx, "debit-chip")?;
    let voided = approved(
        pos.run(|t, out| Ok(t.void(swiped.record.stan, Some(&swipe), Some(&pin), now(), out)?))?,
        "void",
    )?;
    show_approval(&pos, &voided, false);
    let (card, _, credit_pin) = fx.card("credit-chip", Interface::Contact)?;
    let credit_stripe = CardData::swipe(card.track2())?;
    let refunded = approved(
        pos.run(|t, out| {
            Ok(t.refund(
                &Reference::of(&dipped.record),
                &credit_stripe,
                6_800,
                Some(&credit_pin),
                now(),
                out,
            )?)
        })?,
        "refund",
    )?;
    show_approval(&pos, &refunded, false);

    // ── settlement ────────────────────────────────────────────────────────────────────
    title("Settlement (0500 with field 48 totals)");
    // The terminal's journal, exported before settlement empties it: the merchant reconciles
    // it against the acquirer's statement below.
    let mut journal_csv = String::new();
    pos.terminal.write_journal_csv(&mut journal_csv)?;
    let contracted = pos.terminal.config().fee_rate();
    let terminal_totals = pos.terminal.journal().totals();
    let batch = pos.terminal.batch();
    let outcome = pos.run(|t, out| Ok(t.settle(now(), out)?))?;
    let Outcome::Settled { balanced, totals } = outcome else {
        return Err(format!("settlement: {outcome:?}").into());
    };
    println!(
        "  terminal totals: {} debits RMB {}, {} credits RMB {} — host says {}",
        totals.domestic.debit_count,
        yuan(totals.domestic.debit_amount as i64),
        totals.domestic.credit_count,
        yuan(totals.domestic.credit_amount as i64),
        if balanced {
            "balanced (对账平)"
        } else {
            "unbalanced (对账不平)"
        }
    );
    expect(balanced, "the noodle shop's batch balances")?;

    // The three views of the money agree to the fen.
    let (host_totals, rows) = {
        let mut h = host.lock().unwrap();
        let t = host::batch_totals(h.ledger(), &noodle_tid, batch)?;
        (t, statement::rows(h.ledger())?)
    };
    let statement_net: i64 = rows
        .iter()
        .filter(|r| r.terminal_id == noodle_tid)
        .map(|r| r.amount)
        .sum();
    let terminal_net = terminal_totals.domestic.debit_amount as i64
        - terminal_totals.domestic.credit_amount as i64;
    let host_net =
        host_totals.domestic.debit_amount as i64 - host_totals.domestic.credit_amount as i64;
    println!(
        "  net RMB {} — terminal journal {}, host ledger {}, statement {}",
        yuan(terminal_net),
        yuan(terminal_net),
        yuan(host_net),
        yuan(statement_net)
    );
    expect(
        terminal_net == host_net && host_net == statement_net,
        "journal, ledger and statement agree to the fen",
    )?;

    // ── the merchant's statement ──────────────────────────────────────────────────────
    title("The noodle shop's statement (对账单)");
    print_statement(&rows, &noodle_tid);

    // ── 对账: the terminal's journal against the statement ──────────────────────────────
    title("The noodle shop reconciles its terminal's journal against the statement");
    print!("{}", indent(&journal_csv));
    let statement = statement_csv(&rows, &noodle_tid);
    let clean = reconcile_noodle(&journal_csv, &statement, contracted)?;
    expect(
        clean.findings.is_empty(),
        "the journal reconciles clean against the statement",
    )?;

    title("The same journal against a statement that booked one purchase 0.01 higher at 0.78 %");
    let (tampered, line) = overcharged(&statement)?;
    println!("  the acquirer's row: {line}");
    let found = reconcile_noodle(&journal_csv, &tampered, contracted)?;
    let rules: Vec<String> = found
        .findings
        .iter()
        .map(|f| f.rule().to_string())
        .collect();
    for rule in ["amount-mismatch", "fee-mismatch", "fee-rate-mismatch"] {
        expect(
            rules.iter().any(|r| r == rule),
            &format!("the reconciliation flags {rule}"),
        )?;
    }

    // ── 跳码: a hotel's terminal rotated through supermarket numbers ────────────────────
    title("A hotel in Guangzhou: its acquirer rotates the terminal through supermarket numbers");
    let hotel_tid = fx.0.terminal("hotel-1").terminal_id.clone();
    let hotel = fx.0.merchant("riverside-hotel");
    let mut hotel_pos = Pos::connect(fx.terminal("hotel-1"), &server)?;
    let outcome = hotel_pos.run(|t, out| Ok(t.sign_in(now(), out)?))?;
    expect(
        matches!(outcome, Outcome::SignedIn { .. }),
        "the hotel terminal signs in",
    )?;
    let guests = [
        "debit-chip",
        "credit-chip",
        "long-pan",
        "debit-chip",
        "credit-chip",
    ];
    for (i, guest) in guests.iter().enumerate() {
        let (card, _, pin) = fx.card(guest, Interface::Contact)?;
        let stay = 38_800 + 10_000 * i as u64;
        let data = CardData::swipe(card.track2())?;
        let a = approved(
            hotel_pos.run(|t, out| Ok(t.purchase(&data, stay, Some(&pin), now(), out)?))?,
            "hotel stay",
        )?;
        println!(
            "  room charge RMB {}: slip shows merchant {} (the hotel is {})",
            yuan(stay as i64),
            a.record.merchant_no.as_str(),
            hotel.merchant_no
        );
    }

    title("The hotel downloads its statement and audits it with cardwire-merchant");
    let rows = statement::rows(host.lock().unwrap().ledger())?;
    let csv = statement_csv(&rows, &hotel_tid);
    print!("{}", indent(&csv));
    let config = AuditConfig {
        expectation: Expectation {
            group: Some("hotel".parse()?),
            region: Some(hotel.region.parse()?),
            ..Expectation::default()
        },
        ..AuditConfig::default()
    };
    let report = audit(csv.as_bytes(), &config)?;
    println!("  {} rows audited; findings:", report.rows);
    let mut rules = Vec::new();
    for f in report
        .terminals
        .iter()
        .flat_map(|t| &t.findings)
        .chain(&report.findings)
    {
        println!("  • [{}] {}: {}", f.severity(), f.rule(), f);
        rules.push(f.rule().to_string());
    }
    for rule in [
        "terminal-merchant-changed",
        "many-merchants-per-terminal",
        "mcc-not-expected",
    ] {
        expect(
            rules.iter().any(|r| r == rule),
            &format!("the audit flags {rule}"),
        )?;
    }

    sm4_terminal(&fx, &server, &host, &acquirer_sm2, &noodle_no)?;

    // ── done ──────────────────────────────────────────────────────────────────────────
    server.stop();
    drop(host);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
    title("Done: every step behaved as shown");
    Ok(())
}

/// The SM4 (国密) terminal: remote key download at activation, then sign-in, chip purchase
/// with PIN, a swipe purchase whose track travels under the SM4 TDK, a lost reply and its
/// reversal, a void and settlement under SM4 keys.
fn sm4_terminal<L: cardwire::acquirer::ledger::Ledger>(
    fx: &Fixtures,
    server: &Server,
    host: &Mutex<Host<L>>,
    acquirer_sm2: &PrivateKey,
    merchant_no: &str,
) -> Res {
    title("国密: a terminal of the SM4 profile gets its master key by remote key download");
    let (tid, serial) = ("SM400001", "GM-SN-20261126");
    // Generated inside the device; only the public key leaves it.
    let device = PrivateKey::generate(&mut OsRng)?;
    // The acquirer registers the device with its public key and draws its SM4 master key
    // (nobody types or sees it); activated and bound to the noodle shop.
    let tmk = Sm4Key::generate(&mut OsRng)?;
    host.lock()
        .unwrap()
        .registry_mut()
        .terminals
        .push(TerminalEntry {
            terminal_id: tid.into(),
            serial: serial.into(),
            tmk: MasterKey::Sm4(tmk.clone()),
            activated: true,
            merchant_no: Some(merchant_no.into()),
            pool: Vec::new(),
            profile: TerminalProfile::SM4,
            device_key: Some(*device.public_key()),
        });
    drop(tmk);
    let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02X}")).collect::<String>();
    println!(
        "  device {serial}: SM2 key pair generated inside it; public key {}… registered with terminal {tid}",
        &hex(device.public_key().as_bytes())[..16]
    );
    let name = &fx.0.merchant("noodle-shop").name;
    let config = Config::new(tid, merchant_no, name)?
        .with_serial(serial)?
        .with_mac(MacAlgorithm::Sm4CbcMac);
    let trusted = AcquirerKey {
        public_key: acquirer_sm2.public_key(),
        id: DEFAULT_ID,
    };
    let download = KeyDownload::new(&config, &device, trusted);
    let mut client = Client::connect(server.addr(), Duration::from_secs(5))?;
    let mut out = [0u8; 512];
    let n = download.request(&mut OsRng, 1, &mut out)?;
    let reply = client.send(&out[..n])?.to_vec();
    let (tmk, version) = match download.accept(1, &reply)? {
        Downloaded::Installed { tmk, version } => (tmk, version),
        other => return Err(format!("key download: {other:?}").into()),
    };
    println!(
        "  0800 key download (60.3 399) → 0810: the acquirer's SM2 signature verified, the envelope names this device,"
    );
    println!(
        "  the SM2 ciphertext (C1‖C3‖C2) opened with the device's key, the check value matches: SM4 TMK version {version} installed"
    );

    let mut terminal: Terminal<64> = Terminal::with_master_key(config, tmk)?;
    let mut seed = [0u8; 16];
    rand_core::TryRng::try_fill_bytes(&mut OsRng, &mut seed).map_err(|e| format!("{e:?}"))?;
    terminal.seed_pin_fill(&seed)?;
    terminal.resume(1, 1)?;
    let mut pos = Pos { terminal, client };
    let outcome = pos.run(|t, out| Ok(t.sign_in(now(), out)?))?;
    expect(
        matches!(outcome, Outcome::SignedIn { .. }),
        "the SM4 terminal signs in",
    )?;
    println!(
        "  signed in: SM4 PIK, MAK and TDK from field 62 under the SM4 TMK, check values verified"
    );

    let (mut card, _, pin) = fx.card("credit-chip", Interface::Contact)?;
    let params = pos
        .terminal
        .emv_params(18_800, 0x00, now(), [0x6D, 0x5E, 0x4F, 0x30]);
    let mut session = chip::read(&mut card, Interface::Contact, &params)?;
    let sale = approved(
        pos.run(|t, out| Ok(t.purchase(session.card(), 18_800, Some(&pin), now(), out)?))?,
        "SM4 chip purchase",
    )?;
    let done = session.complete(&mut card, true, sale.issuer_authentication(), *b"00")?;
    expect(
        done.accepted && done.issuer_authenticated == Some(true),
        "the card accepts the ARPC",
    )?;
    println!(
        "  chip purchase with PIN: field 52 the 16-byte ISO 9564 format 4 block under the SM4 PIK, field 64 the SM4 CBC-MAC"
    );
    show_approval(&pos, &sale, false);

    let (_, stripe, _) = fx.card("debit-chip", Interface::Contact)?;
    let swipe = CardData::swipe(&stripe)?;
    let debit_pin = fx.0.pin("debit-chip");
    let swiped = approved(
        pos.run(|t, out| Ok(t.purchase(&swipe, 1_200, Some(&debit_pin), now(), out)?))?,
        "SM4 swipe purchase",
    )?;
    println!(
        "  swipe purchase with PIN: field 35 track 2 enciphered in place under the SM4 TDK, field 53 {} (53.3 = 1); the host deciphers it before use",
        cardwire::iso8583::cups::SECURITY_CONTROL_SM4
    );
    show_approval(&pos, &swiped, false);
    let pending = pos
        .run_reply_lost(|t, out| Ok(t.purchase(&swipe, 2_600, Some(&debit_pin), now(), out)?))?;
    expect(pending, "a lost reply leaves a reversal pending")?;
    println!("  a purchase's reply is lost: the terminal keeps its reversal");
    let void = approved(
        pos.run(|t, out| Ok(t.void(sale.record.stan, None, Some(&pin), now(), out)?))?,
        "SM4 void",
    )?;
    println!(
        "  void of STAN {:06} approved (STAN {:06})",
        sale.record.stan, void.record.stan
    );
    let outcome = pos.run(|t, out| Ok(t.settle(now(), out)?))?;
    expect(
        matches!(outcome, Outcome::Settled { balanced: true, .. }),
        "the SM4 terminal's settlement balances",
    )?;
    println!(
        "  settled: the host's totals agree — the SM4 terminal ran sign-in, chip and swipe purchases with PIN, reversal, void and settlement under SM4 keys"
    );
    Ok(())
}

fn pin_of(fx: &Fixtures, card: &str) -> Res<Pin> {
    Ok(fx.0.pin(card))
}

/// The statement CSV of one terminal's rows, in the layout `statement::write_csv` uses.
fn statement_csv(rows: &[statement::Row], terminal_id: &str) -> String {
    let mut out = statement::HEADER.join(",");
    out.push('\n');
    for r in rows.iter().filter(|r| r.terminal_id == terminal_id) {
        let line = [
            r.time.as_str(),
            &r.terminal_id,
            &r.merchant_no,
            &r.merchant_name,
            &r.mcc,
            &yuan(r.amount),
            &yuan(r.fee),
            &r.card,
            r.kind,
            &r.rrn,
        ];
        out.push_str(&line.join(","));
        out.push('\n');
    }
    out
}

/// Reconciles the noodle shop's journal with its statement at the contracted rate, printing
/// the summary and each finding.
fn reconcile_noodle(journal: &str, statement: &str, rate: FeeRate) -> Res<Reconciliation> {
    let config = ReconcileConfig {
        rates: Some(RateTable::flat(rate)),
        ..ReconcileConfig::default()
    };
    let r = reconcile(journal.as_bytes(), statement.as_bytes(), None, &config)?;
    let s = &r.summary;
    println!(
        "  journal {} rows RMB {} (fees {}), statement {} rows RMB {} (fees {}), matched {} at {rate}",
        s.journal_rows,
        s.journal.gross,
        s.journal.fee,
        s.statement.rows,
        s.statement.gross,
        s.statement.fee,
        s.matched,
    );
    if r.findings.is_empty() {
        println!("  findings: none (对账平)");
    }
    for f in &r.findings {
        println!("  • [{}] {}: {}", f.severity(), f.rule(), f);
    }
    Ok(r)
}

/// The statement with its first purchase booked 0.01 higher and charged 0.78 %: the
/// statement and the tampered row.
fn overcharged(statement: &str) -> Res<(String, String)> {
    let higher = FeeRate::from_bps(78);
    let mut changed = None;
    let mut out = String::new();
    for line in statement.lines() {
        let mut cols: Vec<String> = line.split(',').map(str::to_owned).collect();
        if changed.is_none() && cols.get(8).map(String::as_str) == Some("purchase") {
            let amount = Fen::parse_yuan(cols[5].as_bytes())?.0 + 1;
            cols[5] = yuan(amount);
            cols[6] = yuan(higher.fee(amount as u64) as i64);
            changed = Some(cols.join(","));
        }
        out.push_str(&cols.join(","));
        out.push('\n');
    }
    let line = changed.ok_or("the statement has a purchase")?;
    Ok((out, line))
}

fn print_statement(rows: &[statement::Row], terminal_id: &str) {
    print!("{}", indent(&statement_csv(rows, terminal_id)));
}

/// Fen as yuan.
fn yuan(fen: i64) -> String {
    Fen(fen).to_string()
}

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("    {l}\n")).collect()
}
