//! One transaction from the command line against a running acquirer host: a terminal of the
//! fixtures signs in, shows the quote, runs the transaction (a pending reversal first) with a
//! simulated card of the fixtures, and prints the outcome and the cardholder's receipt.
//!
//! ```text
//! cardwire-acquirer serve --data-dir DIR --listen 127.0.0.1:5858 --metrics-listen 127.0.0.1:0 &
//! cargo run --example terminal -- --host 127.0.0.1:5858 --card debit-chip --entry chip \
//!     --amount 12.34 --pin 123456
//! ```
//!
//! Options: `--host ADDR[,ADDR…]` (default 127.0.0.1:5858; several host nodes on one ledger:
//! a node that does not accept the connection is passed over for the next, and a reversal
//! after a lost reply goes to the next), `--terminal ID` (default 10580001, a
//! terminal of `spec-vectors/pos-fixtures.json`, whose TMK it loads), `--card ID` (a card of the
//! fixtures, default debit-chip), `--entry swipe|chip|tap|qr` (default chip), `--type
//! purchase|balance|refund|preauth` (default purchase), `--amount YUAN` (e.g. 12.34),
//! `--pin PIN`, `--void` (void the purchase right after its approval, as a cashier cancelling
//! it), for a refund the original's `--rrn R --orig-stan N --orig-batch N [--orig-date MMDD]`
//! (printed on its receipt), `--timeout SECONDS` (default 10), `--fixtures PATH`.
//!
//! The host refuses a trace number (STAN) it has answered in the batch (94), so the terminal
//! keeps its last STAN and batch in a state file between runs, as a terminal keeps them across
//! power cycles: `--state PATH` (default `cardwire-terminal-ID.state` in the temporary
//! directory); `--stan N` continues after trace number N instead. The batch is the one the
//! host gives at sign-in.
//!
//! Exit status: 0 approved (or the balance answered), 1 declined, no reply or the host
//! unreachable, 2 a usage error.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::cast_possible_truncation
)] // examples may fail loudly

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use cardwire::crypto::pin::Pin;
use cardwire::merchant::Fen;
use cardwire::pos::card::sim::SimCard;
use cardwire::pos::card::{CardData, Interface, chip, qr};
use cardwire::pos::receipt::{self, Receipt};
use cardwire::pos::terminal::{Approval, Reference};
use cardwire::pos::text::Text;
use cardwire::pos::transport::Failover;
use cardwire::pos::{DateTime, ErrorKind, Outcome, Sent, Terminal};
use cardwire_testkit::Fixtures;

/// Yuan of an amount in fen (amounts here have at most 12 digits).
fn yuan(fen: i64) -> Fen {
    Fen(fen)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Entry {
    Swipe,
    Chip,
    Tap,
    Qr,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Purchase,
    Balance,
    Refund,
    PreAuth,
}

struct Options {
    host: String,
    terminal: String,
    card: String,
    entry: Entry,
    kind: Kind,
    amount: Option<u64>,
    pin: Option<String>,
    void: bool,
    rrn: Option<String>,
    orig_stan: Option<u32>,
    orig_batch: Option<u32>,
    orig_date: Option<u16>,
    timeout: Duration,
    fixtures: String,
    state: Option<PathBuf>,
    stan: Option<u32>,
}

/// `12.34` → 1234 fen; at most two decimals.
fn fen(text: &str) -> Result<u64, String> {
    let bad = || format!("--amount: yuan with at most two decimals, not {text}");
    let (whole, part) = text.split_once('.').unwrap_or((text, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !digits(whole) || !digits(part) || part.len() > 2 {
        return Err(bad());
    }
    let cents = format!("{part:0<2}").parse::<u64>().map_err(|_| bad())?;
    let amount = whole
        .parse::<u64>()
        .ok()
        .and_then(|y| y.checked_mul(100))
        .and_then(|f| f.checked_add(cents))
        .ok_or_else(bad)?;
    if amount == 0 {
        return Err("--amount: more than zero".into());
    }
    Ok(amount)
}

fn options() -> Result<Options, String> {
    let mut o = Options {
        host: "127.0.0.1:5858".into(),
        terminal: "10580001".into(),
        card: "debit-chip".into(),
        entry: Entry::Chip,
        kind: Kind::Purchase,
        amount: None,
        pin: None,
        void: false,
        rrn: None,
        orig_stan: None,
        orig_batch: None,
        orig_date: None,
        timeout: Duration::from_secs(10),
        fixtures: format!(
            "{}/spec-vectors/pos-fixtures.json",
            env!("CARGO_MANIFEST_DIR")
        ),
        state: None,
        stan: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = || args.next().ok_or(format!("{a} needs a value"));
        let number = |v: String, name: &str| -> Result<u32, String> {
            v.parse::<u32>()
                .ok()
                .filter(|n| *n <= 999_999)
                .ok_or(format!("{name}: a number up to 999999, not {v}"))
        };
        match a.as_str() {
            "--host" => o.host = value()?,
            "--terminal" => o.terminal = value()?,
            "--card" => o.card = value()?,
            "--entry" => {
                o.entry = match value()?.as_str() {
                    "swipe" => Entry::Swipe,
                    "chip" => Entry::Chip,
                    "tap" => Entry::Tap,
                    "qr" => Entry::Qr,
                    other => return Err(format!("--entry: swipe, chip, tap or qr, not {other}")),
                }
            }
            "--type" => {
                o.kind = match value()?.as_str() {
                    "purchase" => Kind::Purchase,
                    "balance" => Kind::Balance,
                    "refund" => Kind::Refund,
                    "preauth" => Kind::PreAuth,
                    "void" => {
                        return Err("--type void: a terminal voids a purchase of its own \
                                    journal; use --type purchase --void"
                            .into());
                    }
                    other => {
                        return Err(format!(
                            "--type: purchase, balance, refund or preauth, not {other}"
                        ));
                    }
                }
            }
            "--amount" => o.amount = Some(fen(&value()?)?),
            "--pin" => o.pin = Some(value()?),
            "--void" => o.void = true,
            "--rrn" => o.rrn = Some(value()?),
            "--orig-stan" => o.orig_stan = Some(number(value()?, "--orig-stan")?),
            "--orig-batch" => o.orig_batch = Some(number(value()?, "--orig-batch")?),
            "--orig-date" => {
                let v = value()?;
                o.orig_date = Some(
                    v.parse::<u16>()
                        .ok()
                        .filter(|d| v.len() == 4 && (101..=1231).contains(d))
                        .ok_or(format!("--orig-date: MMDD, not {v}"))?,
                );
            }
            "--timeout" => {
                let v = value()?;
                let s = v
                    .parse::<u64>()
                    .ok()
                    .filter(|s| *s > 0)
                    .ok_or(format!("--timeout: seconds, not {v}"))?;
                o.timeout = Duration::from_secs(s);
            }
            "--fixtures" => o.fixtures = value()?,
            "--state" => o.state = Some(value()?.into()),
            "--stan" => o.stan = Some(number(value()?, "--stan")?),
            other => return Err(format!("unknown option {other}")),
        }
    }
    match o.kind {
        Kind::Balance if o.amount.is_some() => {
            return Err("--type balance takes no --amount".into());
        }
        Kind::Balance => {}
        _ if o.amount.is_none() => return Err("--amount is needed".into()),
        _ => {}
    }
    if o.void && o.kind != Kind::Purchase {
        return Err("--void goes with --type purchase".into());
    }
    if o.kind == Kind::Refund
        && (o.rrn.is_none() || o.orig_stan.is_none() || o.orig_batch.is_none())
    {
        return Err("--type refund needs --rrn, --orig-stan and --orig-batch".into());
    }
    if o.kind != Kind::Refund
        && (o.rrn.is_some() || o.orig_stan.is_some() || o.orig_batch.is_some())
    {
        return Err("--rrn, --orig-stan and --orig-batch go with --type refund".into());
    }
    Ok(o)
}

/// What went wrong: the arguments (exit 2) or the transaction (exit 1).
enum Failure {
    Usage(String),
    Declined(String),
}

fn usage(e: impl ToString) -> Failure {
    Failure::Usage(e.to_string())
}

fn failed(e: impl ToString) -> Failure {
    Failure::Declined(e.to_string())
}

/// The simulated card of fixture `id`.
fn sim_card(fx: &Fixtures, id: &str, interface: Interface) -> Result<SimCard, Failure> {
    if !fx.cards.iter().any(|c| c.id == id) {
        return Err(usage(format!("--card: no card {id} in the fixtures")));
    }
    Ok(fx.sim_card(id, interface))
}

fn now() -> DateTime {
    DateTime::now(DateTime::CHINA).expect("a clock between 2000 and 2099")
}

/// The terminal's connection: `Terminal::transact`'s exchange over a `Failover` among the
/// hosts given, which passes over a host it cannot connect to and sends what follows a lost
/// reply (the reversal) to the next.
struct Wire {
    hosts: Failover,
}

impl Wire {
    fn exchange(&mut self, frame: &[u8], reply: &mut [u8]) -> cardwire::pos::Result<Option<usize>> {
        match self.hosts.send(frame) {
            Ok(answer) => {
                let slot = reply
                    .get_mut(..answer.len())
                    .ok_or(cardwire::pos::Error::from(ErrorKind::BufferTooSmall))?;
                slot.copy_from_slice(answer);
                Ok(Some(answer.len()))
            }
            // The reply may still come on that connection: the next exchange goes elsewhere.
            Err(e) if e.kind() == ErrorKind::Timeout => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// Where the last STAN and batch are kept.
struct State(PathBuf);

impl State {
    fn load(&self) -> Option<(u32, u32)> {
        let text = std::fs::read_to_string(&self.0).ok()?;
        let mut it = text.split_whitespace().map(str::parse::<u32>);
        Some((it.next()?.ok()?, it.next()?.ok()?))
    }

    fn save<const J: usize>(&self, t: &Terminal<J>) {
        if let Err(e) = std::fs::write(&self.0, format!("{} {}\n", t.batch(), t.stan())) {
            eprintln!("warning: {}: {e}", self.0.display());
        }
    }
}

/// Runs `start` through `transact`; after a missing reply, sends the pending reversal at once
/// (a one-shot terminal cannot keep it for its next transaction).
fn run<S>(
    t: &mut Terminal<8>,
    wire: &mut Wire,
    state: &State,
    mut start: S,
) -> Result<Outcome, Failure>
where
    S: FnMut(&mut Terminal<8>, &mut [u8]) -> cardwire::pos::Result<Sent>,
{
    let mut out = [0u8; 1024];
    let mut reply = [0u8; 1024];
    let outcome = t.transact(&mut out, &mut reply, &mut start, |f, r| wire.exchange(f, r));
    state.save(t);
    let outcome = match outcome {
        Ok(o) => o,
        Err(e) => {
            // The connection failed with the request perhaps delivered: reverse it.
            if let Some((_, stan)) = t.pending_reversal() {
                println!("connection failed during trace {stan:06}: reversing it");
                if let Err(Failure::Declined(r) | Failure::Usage(r)) =
                    reverse(t, wire, state, &mut start)
                {
                    eprintln!("error: {r}");
                }
            }
            return Err(failed(format!("host {}: {e}", wire.hosts.host())));
        }
    };
    if let Outcome::NoReply {
        reversal_pending: true,
        stan,
        ..
    } = outcome
    {
        println!("no reply to trace {stan:06}: reversing it");
        reverse(t, wire, state, &mut start)?;
    }
    Ok(outcome)
}

/// Sends the pending reversal (written by `start` in place of its transaction) until the host
/// confirms it, three tries at most.
fn reverse<S>(
    t: &mut Terminal<8>,
    wire: &mut Wire,
    state: &State,
    start: &mut S,
) -> Result<(), Failure>
where
    S: FnMut(&mut Terminal<8>, &mut [u8]) -> cardwire::pos::Result<Sent>,
{
    let mut out = [0u8; 1024];
    let mut reply = [0u8; 1024];
    for _ in 0..3 {
        let sent = start(t, &mut out).map_err(failed)?;
        if !sent.reversal {
            // Nothing pending any more: the transaction would start again.
            return Err(failed("internal: no reversal pending"));
        }
        let answered = wire.exchange(&out[..sent.len], &mut reply);
        let outcome = match answered {
            Ok(Some(n)) => t.on_reply(&reply[..n]).map_err(failed),
            Ok(None) | Err(_) => t
                .on_timeout()
                .map(|_| Outcome::Acknowledged)
                .map_err(failed),
        };
        state.save(t);
        if let Ok(Outcome::Reversed { stan, .. }) = outcome {
            println!("reversal of trace {stan:06} confirmed: nothing was charged");
            return Ok(());
        }
    }
    Err(failed(
        "the reversal is still unconfirmed: the charge may stand until the host is reached",
    ))
}

fn show(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Approved(a) => format!(
            "approved: {} trace {:06} rrn {} auth {}",
            a.record.transaction,
            a.record.stan,
            a.record.rrn.as_str(),
            a.record.auth_code.as_str()
        ),
        Outcome::Balance { balance } => match balance {
            Some(b) => format!("balance: {} yuan", yuan(*b)),
            None => "balance: not given".into(),
        },
        Outcome::Declined {
            transaction,
            stan,
            code,
            ..
        } => format!("declined: {transaction} trace {stan:06} -> {code}"),
        Outcome::NoReply {
            transaction, stan, ..
        } => {
            format!("no reply: {transaction} trace {stan:06}")
        }
        other => format!("{other:?}"),
    }
}

/// What `--help` prints.
const HELP: &str = "\
One transaction against a running acquirer host (cardwire-acquirer serve).

Usage: terminal [--host ADDR[,ADDR...]] [--terminal ID] [--card ID] [--entry swipe|chip|tap|qr]
                [--type purchase|balance|refund|preauth] [--amount YUAN] [--pin PIN] [--void]
                [--rrn R --orig-stan N --orig-batch N [--orig-date MMDD]]
                [--timeout SECONDS] [--fixtures PATH] [--state PATH] [--stan N]

Defaults: --host 127.0.0.1:5858, --terminal 10580001, --card debit-chip, --entry chip,
--type purchase. Terminals and cards are those of spec-vectors/pos-fixtures.json.
Exit status: 0 approved, 1 declined or no reply, 2 usage error.";

fn main() -> ExitCode {
    if std::env::args().any(|a| a == "--help" || a == "-h") {
        println!("{HELP}");
        return ExitCode::SUCCESS;
    }
    let code = match run_main() {
        Ok(true) => 0,
        Ok(false) => 1,
        Err(Failure::Declined(e)) => {
            eprintln!("error: {e}");
            1
        }
        Err(Failure::Usage(e)) => {
            eprintln!("error: {e}");
            2
        }
    };
    ExitCode::from(code)
}

fn run_main() -> Result<bool, Failure> {
    let o = options().map_err(Failure::Usage)?;
    let text =
        std::fs::read_to_string(&o.fixtures).map_err(|e| usage(format!("{}: {e}", o.fixtures)))?;
    let fx = Fixtures::from_json(&text).map_err(usage)?;

    // The terminal as the acquirer activated it: TMK, merchant, fee rate, serial.
    let tf = fx
        .terminals
        .iter()
        .find(|t| t.terminal_id == o.terminal)
        .ok_or_else(|| {
            usage(format!(
                "--terminal: no terminal {} in the fixtures",
                o.terminal
            ))
        })?;
    let merchant = fx
        .registry
        .merchant(&tf.merchant_no)
        .cloned()
        .unwrap_or_default();
    let mut t: Terminal<8> = fx.pos_terminal(&tf.id);

    let state = State(o.state.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!("cardwire-terminal-{}.state", o.terminal))
    }));
    let (batch, last) = state.load().unwrap_or((1, 0));
    t.resume(batch, o.stan.unwrap_or(last)).map_err(usage)?;
    let pin = o
        .pin
        .as_deref()
        .map(Pin::new)
        .transpose()
        .map_err(|e| usage(format!("--pin: {e}")))?;

    let mut wire = Wire {
        hosts: Failover::new(o.host.split(',').map(str::trim), o.timeout),
    };
    println!(
        "terminal {} of {} ({}) -> {}",
        o.terminal, tf.merchant_no, merchant.name, o.host
    );
    match run(&mut t, &mut wire, &state, |t, out| t.sign_in(now(), out))? {
        Outcome::SignedIn { batch } => {
            println!("signed in: batch {batch:06}, trace {:06}", t.stan())
        }
        other => {
            println!("sign-in {}", show(&other));
            return Ok(false);
        }
    }

    // The quote, before the cardholder confirms.
    let amount = o.amount.unwrap_or(0);
    if o.kind == Kind::Refund {
        println!(
            "refund {} yuan to the card (the merchant's fee on the sale is not returned)",
            yuan(amount as i64)
        );
    } else if o.kind != Kind::Balance {
        // The fee is charged on a purchase, and on a pre-authorisation's completion.
        let q = t.quote(amount);
        let bps = t.config().fee_rate().millionths() / 100;
        println!(
            "amount {} yuan, merchant fee {} yuan ({}.{:02} %), cardholder pays {} yuan",
            yuan(q.amount as i64),
            yuan(q.fee as i64),
            bps / 100,
            bps % 100,
            yuan(q.total as i64)
        );
    }

    // Read the card.
    let when = now();
    let emv_type = match o.kind {
        Kind::Balance => 0x31,
        Kind::Refund => 0x20,
        Kind::Purchase | Kind::PreAuth => 0x00,
    };
    let mut un = [0u8; 4];
    unpredictable_number(&mut un);
    let interface = if o.entry == Entry::Tap {
        Interface::Contactless
    } else {
        Interface::Contact
    };
    let mut card = sim_card(&fx, &o.card, interface)?;
    let mut session = None;
    let data: CardData = match o.entry {
        Entry::Swipe => CardData::swipe(card.track2()).map_err(usage)?,
        Entry::Chip | Entry::Tap => {
            let params = t.emv_params(amount, emv_type, when, un);
            let s = chip::read(&mut card, interface, &params).map_err(failed)?;
            let d = s.card().clone();
            session = Some(s);
            d
        }
        Entry::Qr => {
            let mut buf = [0u8; 512];
            let code = card
                .consumer_qr(un, when, &mut buf)
                .map_err(failed)?
                .to_owned();
            println!("scanned the cardholder's code: {code}");
            qr::from_consumer_qr(&code, &t.emv_params(amount, emv_type, when, un))
                .map_err(failed)?
        }
    };
    println!(
        "card {} ({:?}){}",
        data.masked_pan(),
        o.entry,
        if data.pin_required() { ", PIN" } else { "" }
    );
    let pin = match (data.pin_required() || o.kind == Kind::Balance, pin) {
        (true, None) => return Err(usage("this card needs --pin here")),
        (true, p) => p,
        (false, p) => p.filter(|_| o.entry != Entry::Qr),
    };

    let outcome = match o.kind {
        Kind::Purchase => run(&mut t, &mut wire, &state, |t, out| {
            t.purchase(&data, amount, pin.as_ref(), when, out)
        })?,
        Kind::PreAuth => run(&mut t, &mut wire, &state, |t, out| {
            t.pre_auth(&data, amount, pin.as_ref(), when, out)
        })?,
        Kind::Balance => run(&mut t, &mut wire, &state, |t, out| {
            t.balance(&data, pin.as_ref(), when, out)
        })?,
        Kind::Refund => {
            let original = Reference {
                batch: o.orig_batch.unwrap_or(0),
                stan: o.orig_stan.unwrap_or(0),
                date: o.orig_date.unwrap_or(0),
                rrn: Text::copy_from(o.rrn.as_deref().unwrap_or_default())
                    .map_err(|_| usage("--rrn: 12 characters"))?,
                auth_code: Text::default(),
            };
            run(&mut t, &mut wire, &state, |t, out| {
                t.refund(&original, &data, amount, pin.as_ref(), when, out)
            })?
        }
    };
    println!("{}", show(&outcome));

    // A chip card has the last word: issuer authentication and the second GENERATE AC.
    if let (Some(s), Outcome::Approved(a)) = (session.as_mut(), &outcome) {
        let done = s
            .complete(&mut card, true, a.issuer_authentication(), *b"00")
            .map_err(failed)?;
        if let Some(ok) = done.issuer_authenticated {
            println!(
                "card: issuer authentication {}",
                if ok { "passed" } else { "FAILED" }
            );
        }
        if !done.accepted {
            println!("card: refused the approved transaction: reversing it");
            t.card_declined(a.record.stan).map_err(failed)?;
            // Any financial request writes the pending reversal in its place.
            reverse(
                &mut t,
                &mut wire,
                &state,
                &mut |t: &mut Terminal<8>, out: &mut [u8]| {
                    t.purchase(&data, amount, pin.as_ref(), when, out)
                },
            )?;
            return Ok(false);
        }
    }

    match &outcome {
        Outcome::Approved(a) => {
            println!();
            println!("{}", slip(&t, a));
            if o.void {
                let void = run(&mut t, &mut wire, &state, |t, out| {
                    t.void(a.record.stan, Some(&data), pin.as_ref(), now(), out)
                })?;
                println!("void: {}", show(&void));
                let Outcome::Approved(v) = void else {
                    return Ok(false);
                };
                println!();
                println!("{}", slip(&t, &v));
            }
            Ok(true)
        }
        Outcome::Balance { .. } => Ok(true),
        _ => Ok(false),
    }
}

fn slip(t: &Terminal<8>, a: &Approval) -> String {
    Receipt::new(t.config(), &a.record, receipt::Copy::Cardholder).to_string()
}

/// The terminal's unpredictable number for the card, from the clock's nanoseconds (a real
/// terminal draws it from its secure random source).
fn unpredictable_number(un: &mut [u8; 4]) {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos() ^ (d.as_secs() as u32))
        .unwrap_or(0);
    *un = nanos.to_be_bytes();
}
