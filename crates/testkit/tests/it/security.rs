//! The host and the terminal tried as an attacker would: cross-merchant originals, MAC
//! forgeries under the CUPS "ECB" MAC (its XOR of blocks lets a flip in one field be
//! compensated by the same flip in another at the same offset modulo 8), replays, tampered
//! replies, unauthenticated sign-ins, enumeration, lockout, and batches past 999.

use cardwire_acquirer::host::SecurityEvent;
use cardwire_acquirer::ledger::{Ledger, MemoryLedger};
use cardwire_acquirer::{DateTime, Host, Lockout, OsRng, ResponseCode, TerminalProfile};
use cardwire_crypto::cups::MacAlgorithm;
use cardwire_iso8583::cups::{Original, SettlementTotals, Totals, Transaction};
use cardwire_iso8583::frame::FrameFormat;
use cardwire_pos::Terminal;
use cardwire_pos::terminal::Outcome;
use cardwire_testkit::fake_host::now;
use cardwire_testkit::request::message;
use cardwire_testkit::{CardFixture, Entry, Fixtures, ReplyView, Req, TestTerminal};

use cardwire_testkit::HOST_TIME as NOW;

struct Bench {
    host: Host<MemoryLedger>,
    fx: Fixtures,
}

fn bench() -> Bench {
    let fx = Fixtures::load().unwrap();
    let host = Host::new(fx.registry.clone(), MemoryLedger::new()).unwrap();
    Bench { host, fx }
}

impl Bench {
    fn answer(&mut self, frame: &[u8]) -> Vec<u8> {
        let mut out = [0u8; 512];
        let a = self.host.handle(frame, NOW, &mut OsRng, &mut out).unwrap();
        out[..a.len].to_vec()
    }

    fn send(&mut self, t: &mut TestTerminal, frame: &[u8]) -> ReplyView {
        let reply = self.answer(frame);
        t.read_reply(&reply).unwrap()
    }

    fn sign_in_as(&mut self, t: &mut TestTerminal) -> ResponseCode {
        let mut buf = [0u8; 512];
        let n = t.sign_in(&mut buf);
        let reply = self.answer(&buf[..n]);
        t.accept_sign_in(&reply).unwrap()
    }

    /// The response code to a sign-in (the attacker cannot read field 62's keys anyway).
    fn sign_in_code(&mut self, t: &mut TestTerminal) -> Option<String> {
        let mut buf = [0u8; 512];
        let n = t.sign_in(&mut buf);
        let reply = self.answer(&buf[..n]);
        message(&reply)
            .unwrap()
            .get(39)
            .map(|c| c.chars().collect())
    }

    fn sign_in(&mut self, id: &str) -> TestTerminal {
        let mut t = self.fx.test_terminal(id);
        assert_eq!(self.sign_in_as(&mut t), ResponseCode::Approved);
        t
    }

    /// Signs terminal `id` in under `profile` (the host's registry and the test terminal).
    fn sign_in_with(&mut self, id: &str, profile: TerminalProfile) -> TestTerminal {
        let tid = self.fx.terminal(id).terminal_id.clone();
        let entry = self
            .host
            .registry_mut()
            .terminals
            .iter_mut()
            .find(|e| e.terminal_id == tid)
            .unwrap();
        entry.profile = profile;
        let mut t = self.fx.test_terminal(id);
        t.mac = profile.mac;
        assert_eq!(self.sign_in_as(&mut t), ResponseCode::Approved);
        t
    }

    fn run(&mut self, t: &mut TestTerminal, req: &Req<'_>) -> (ReplyView, u32) {
        let mut buf = [0u8; 512];
        let (n, stan) = t.request(req, &mut buf);
        (self.send(t, &buf[..n]), stan)
    }

    fn balance(&mut self, card: &str) -> i64 {
        let pan = self.fx.card(card).pan.clone();
        self.host.ledger().balance(&pan).unwrap().unwrap()
    }
}

/// Where the message starts in a frame (length, TPDU, header before it).
fn head() -> usize {
    FrameFormat::CUPS.head_len()
}

/// The offset in the message of field `n`'s value, and its length.
fn field_at(frame: &[u8], n: usize) -> (usize, usize) {
    let msg = message(frame).unwrap();
    let f = msg.field(n).unwrap_or_else(|| panic!("field {n}"));
    (f.value_offset(), f.value().len())
}

/// XORs `delta` into the byte at message offset `at`, and the same `delta` into field
/// `compensate` at the offset congruent modulo 8: the CUPS "ECB" MAC (an XOR of the 8-byte
/// blocks of the message) of the frame does not change.
fn flip_compensated(frame: &mut [u8], at: usize, delta: u8, compensate: usize) {
    let (start, len) = field_at(frame, compensate);
    let offset = (start..start + len)
        .find(|o| o % 8 == at % 8)
        .expect("a compensating byte");
    frame[head() + at] ^= delta;
    frame[head() + offset] ^= delta;
}

/// The 1.00 → 1001.00 forgery: field 4 `000000000100` becomes `000000100100`, compensated in
/// field 53 (16 digits: every offset modulo 8 is available there).
fn forge_1001(frame: &mut [u8]) {
    let (at, len) = field_at(frame, 4);
    assert_eq!(&frame[head() + at..head() + at + len], [0, 0, 0, 0, 1, 0]);
    flip_compensated(frame, at + 3, 0x10, 53);
}

/// Under the legacy ECB MAC `forged` still verifies (the attack is real); under the retail
/// MAC it does not.
fn assert_mac_verifies_only_if_legacy(t: &TestTerminal, forged: &[u8]) {
    let mut remaced = forged.to_vec();
    t.remac(&mut remaced);
    assert_eq!(
        remaced == forged,
        t.mac == MacAlgorithm::CupsEcbLegacy,
        "the compensated flip keeps only the ECB MAC"
    );
}

/// The profiles every forgery is tried under: the standard one (X9.19 retail MAC) and the
/// declared legacy one (CUPS ECB MAC), where the field checks must catch what the MAC cannot.
const PROFILES: [TerminalProfile; 2] = [TerminalProfile::STANDARD, TerminalProfile::LEGACY_ECB];

fn pin_purchase<'a>(card: &'a CardFixture, entry: Entry, amount: u64) -> Req<'a> {
    Req::purchase(card, entry, Some(&card.pin), amount)
}

// ----- 1. cross-merchant originals -----

#[test]
fn refund_from_another_merchants_terminal_is_refused() {
    let mut b = bench();
    let mut noodle = b.sign_in("noodle-1");
    let mut hotel = b.sign_in("hotel-1");
    let card = b.fx.card("credit-chip").clone();
    let (p, stan) = b.run(&mut noodle, &pin_purchase(&card, Entry::Swipe, 10_000));
    assert_eq!(p.code, Some(ResponseCode::Approved));
    let rrn = p.rrn.unwrap();
    let refund = Req {
        card: Some(&card),
        amount: Some(10_000),
        original: Some(Original {
            batch: noodle.batch,
            stan,
            date: 0,
        }),
        rrn: Some(&rrn),
        ..Req::new(Transaction::Refund)
    };
    let (r, _) = b.run(&mut hotel, &refund);
    assert_eq!(r.code, Some(ResponseCode::OriginalNotFound));
    assert_eq!(b.balance("credit-chip"), 2_000_000 - 10_000);
    // The merchant's own terminal may.
    let (r, _) = b.run(&mut noodle, &refund);
    assert_eq!(r.code, Some(ResponseCode::Approved));
    assert_eq!(b.balance("credit-chip"), 2_000_000);
}

// ----- 2. forgery under the ECB MAC -----

fn forged_purchase_is_refused(entry: Entry) {
    for profile in PROFILES {
        let mut b = bench();
        let mut t = b.sign_in_with("noodle-1", profile);
        let card = b.fx.card("debit-chip").clone();
        let mut buf = [0u8; 512];
        let (n, _) = t.request(&pin_purchase(&card, entry, 100), &mut buf);
        let frame = &mut buf[..n];
        forge_1001(frame);
        assert_mac_verifies_only_if_legacy(&t, frame);
        let r = b.send(&mut t, frame);
        assert_ne!(r.code, Some(ResponseCode::Approved), "{profile:?}: {r:?}");
        assert_eq!(b.balance("debit-chip"), 500_000);
    }
}

#[test]
fn forged_amount_swipe_is_refused() {
    forged_purchase_is_refused(Entry::Swipe);
}

#[test]
fn forged_amount_chip_is_refused() {
    forged_purchase_is_refused(Entry::Chip);
}

#[test]
fn approved_purchase_replayed_under_another_stan_is_refused() {
    for profile in PROFILES {
        replayed_under_another_stan(profile);
    }
}

fn replayed_under_another_stan(profile: TerminalProfile) {
    let mut b = bench();
    let mut t = b.sign_in_with("noodle-1", profile);
    let card = b.fx.card("debit-chip").clone();
    let mut buf = [0u8; 512];
    let (n, stan) = t.request(&pin_purchase(&card, Entry::Swipe, 1_000), &mut buf);
    let original = buf[..n].to_vec();
    assert_eq!(b.send(&mut t, &original).code, Some(ResponseCode::Approved));
    // STAN 00000s → 00001s: the middle byte of field 11 gains 0x01.
    assert!(stan < 10);
    let mut replay = original.clone();
    let (at, _) = field_at(&replay, 11);
    flip_compensated(&mut replay, at + 1, 0x01, 53);
    assert_mac_verifies_only_if_legacy(&t, &replay);
    let r = b.send(&mut t, &replay);
    assert_ne!(r.code, Some(ResponseCode::Approved), "{r:?}");
    assert_eq!(b.balance("debit-chip"), 499_000);
}

/// A `55` decline of the real host, turned into `00` on the way back (compensated in the
/// RRN of field 37): the terminal must not read it as an approval.
#[test]
fn tampered_decline_never_reads_as_approval() {
    for profile in PROFILES {
        tampered_decline(profile);
    }
}

fn tampered_decline(profile: TerminalProfile) {
    let mut b = bench();
    b.sign_in_with("noodle-1", profile);
    let config = b.fx.config("noodle-1").with_mac(profile.mac);
    let mut t: Terminal<16> = Terminal::new(config, b.fx.terminal("noodle-1").tmk.clone());
    let mut out = [0u8; 512];
    let mut reply = [0u8; 512];
    let o = t
        .transact(
            &mut out,
            &mut reply,
            // The device signs in again a minute after the test terminal did (a sign-in
            // must be newer than the last one accepted, and near the host's clock).
            |t, out| t.sign_in(DateTime::new(2026, 11, 26, 10, 1, 0).unwrap(), out),
            |req, rep| {
                let a = b.host.handle(req, NOW, &mut OsRng, rep).unwrap();
                Ok(Some(a.len))
            },
        )
        .unwrap();
    assert!(matches!(o, Outcome::SignedIn { .. }), "{o:?}");
    let swipe = b.fx.swipe("debit-chip");
    let wrong = cardwire_crypto::pin::Pin::new("654321").unwrap();
    let result = t.transact(
        &mut out,
        &mut reply,
        |t, out| t.purchase(&swipe, 100, Some(&wrong), now(), out),
        |req, rep| {
            let a = b.host.handle(req, NOW, &mut OsRng, rep).unwrap();
            let frame = &mut rep[..a.len];
            let (at, _) = field_at(frame, 39);
            assert_eq!(&frame[head() + at..head() + at + 2], b"55");
            flip_compensated(frame, at, b'5' ^ b'0', 37);
            flip_compensated(frame, at + 1, b'5' ^ b'0', 37);
            assert_eq!(&frame[head() + at..head() + at + 2], b"00");
            Ok(Some(a.len))
        },
    );
    assert!(
        !matches!(result, Ok(Outcome::Approved(_))),
        "{profile:?}: a tampered decline read as approval: {result:?}"
    );
    assert!(t.journal().is_empty());
}

#[test]
fn repeated_a0_locks_the_terminal_out_for_a_while() {
    let mut b = bench();
    let mut t = b.sign_in("noodle-1");
    let card = b.fx.card("debit-chip").clone();
    let mut buf = [0u8; 512];
    for _ in 0..5 {
        let (n, _) = t.request(&pin_purchase(&card, Entry::Swipe, 100), &mut buf);
        buf[n - 1] ^= 0x01;
        assert_eq!(
            b.send(&mut t, &buf[..n]).code,
            Some(ResponseCode::MacFailed)
        );
    }
    // Locked out: even a good MAC is refused, alike.
    let (r, _) = b.run(&mut t, &pin_purchase(&card, Entry::Swipe, 100));
    assert_eq!(r.code, Some(ResponseCode::MacFailed));
    assert!(!r.mac);
    assert_eq!(b.balance("debit-chip"), 500_000);
    // Counted, and told in the answer the log line is made of.
    let counts = b.host.security_counts();
    assert_eq!(
        (
            counts.auth_failures,
            counts.lockouts,
            counts.refused_while_locked
        ),
        (5, 1, 1)
    );
    let (n, _) = t.request(&pin_purchase(&card, Entry::Swipe, 100), &mut buf);
    let mut out = [0u8; 512];
    let a = b.host.handle(&buf[..n], NOW, &mut OsRng, &mut out).unwrap();
    assert_eq!(a.security, Some(SecurityEvent::RefusedWhileLocked));
    assert!(a.to_string().contains("locked out"), "{a}");
    // After the lockout (15 minutes by default) the terminal is served again.
    let later = DateTime::new(2026, 11, 26, 10, 15, 0).unwrap();
    let (n, _) = t.request(&pin_purchase(&card, Entry::Swipe, 100), &mut buf);
    let a = b
        .host
        .handle(&buf[..n], later, &mut OsRng, &mut out)
        .unwrap();
    assert_eq!(a.response, Some(ResponseCode::Approved));
}

#[test]
fn lockout_is_configurable() {
    let fx = Fixtures::load().unwrap();
    let host = Host::new(fx.registry.clone(), MemoryLedger::new())
        .unwrap()
        .with_lockout(Lockout {
            failures: 2,
            seconds: 60,
        });
    let mut b = Bench { host, fx };
    let mut t = b.sign_in("noodle-1");
    let card = b.fx.card("debit-chip").clone();
    let mut buf = [0u8; 512];
    for _ in 0..2 {
        let (n, _) = t.request(&pin_purchase(&card, Entry::Swipe, 100), &mut buf);
        buf[n - 1] ^= 0x01;
        b.send(&mut t, &buf[..n]);
    }
    let (r, _) = b.run(&mut t, &pin_purchase(&card, Entry::Swipe, 100));
    assert_eq!(r.code, Some(ResponseCode::MacFailed));
    assert_eq!(b.host.security_counts().lockouts, 1);
}

#[test]
fn chip_data_must_agree_with_the_message() {
    let mut b = bench();
    let mut t = b.sign_in("noodle-1");
    let card = b.fx.card("debit-chip").clone();
    // A chip dated three days before the host's day.
    t.date = DateTime::new(2026, 11, 23, 10, 0, 0).unwrap();
    let (r, _) = b.run(&mut t, &pin_purchase(&card, Entry::Chip, 100));
    assert_eq!(r.code, Some(ResponseCode::SecurityFailure));
    // Today's, but field 4 changed by the terminal itself (a good MAC): 9F02 disagrees.
    t.date = NOW;
    let mut buf = [0u8; 512];
    let (n, _) = t.request(&pin_purchase(&card, Entry::Chip, 100), &mut buf);
    let (at, _) = field_at(&buf[..n], 4);
    buf[head() + at + 3] ^= 0x10;
    t.remac(&mut buf[..n]);
    assert_eq!(
        b.send(&mut t, &buf[..n]).code,
        Some(ResponseCode::SecurityFailure)
    );
    // And the honest one.
    let (r, _) = b.run(&mut t, &pin_purchase(&card, Entry::Chip, 100));
    assert_eq!(r.code, Some(ResponseCode::Approved));
    assert_eq!(b.balance("debit-chip"), 500_000 - 100);
}

#[test]
fn field_53_is_the_profiles_and_comes_with_a_pin_only() {
    let mut b = bench();
    let mut t = b.sign_in("noodle-1");
    let card = b.fx.card("debit-chip").clone();
    let mut buf = [0u8; 512];
    // Another field 53 (format 1 instead of 2), under a good MAC: 30, nothing moves.
    let (n, _) = t.request(&pin_purchase(&card, Entry::Swipe, 100), &mut buf);
    let (at, _) = field_at(&buf[..n], 53);
    buf[head() + at] ^= 0x30;
    t.remac(&mut buf[..n]);
    let r = b.send(&mut t, &buf[..n]);
    assert_eq!(r.code, Some(ResponseCode::FormatError));
    assert!(r.mac, "an authenticated request's refusal is MAC'd");
    // Entry mode "PIN entered" without a PIN block.
    let (n, _) = t.request(&Req::purchase(&card, Entry::Swipe, None, 100), &mut buf);
    let (at, _) = field_at(&buf[..n], 22);
    buf[head() + at + 1] ^= 0x30; // 022 -> 021 (left-justified BCD: 02 20 -> 02 10)
    t.remac(&mut buf[..n]);
    assert_eq!(
        b.send(&mut t, &buf[..n]).code,
        Some(ResponseCode::FormatError)
    );
    assert_eq!(b.balance("debit-chip"), 500_000);
}

// ----- 3. sign-in -----

#[test]
fn sign_in_without_serial_or_proof_is_refused_and_keeps_the_keys() {
    let mut b = bench();
    let mut real = b.sign_in("noodle-1");
    let card = b.fx.card("debit-chip").clone();
    let noodle = b.fx.terminal("noodle-1").clone();
    // No serial number (and a TMK the attacker guessed).
    let guessed = cardwire_crypto::TdesKey::new(&[0x42; 16]).unwrap();
    let mut attacker = TestTerminal::new(&noodle.terminal_id, &noodle.merchant_no, guessed, &b.fx);
    assert_eq!(b.sign_in_code(&mut attacker).as_deref(), Some("03"));
    // The serial number is printed on the device: with it, but without the TMK.
    attacker.serial = Some(noodle.serial.clone());
    assert_eq!(b.sign_in_code(&mut attacker).as_deref(), Some("03"));
    // The real terminal's keys still work.
    let (r, _) = b.run(&mut real, &pin_purchase(&card, Entry::Swipe, 100));
    assert_eq!(r.code, Some(ResponseCode::Approved));
}

/// A recorded sign-in sent again (same time, same STAN) is refused: it would draw new keys
/// and knock the real terminal out until it signed in again. So is one older than the last
/// accepted, and one whose clock is outside the host's window.
#[test]
fn replayed_sign_in_does_not_rotate_keys() {
    let mut b = bench();
    let card = b.fx.card("debit-chip").clone();
    let mut real = b.fx.test_terminal("noodle-1");
    let mut buf = [0u8; 512];
    let n = real.sign_in(&mut buf);
    let recorded = buf[..n].to_vec();
    let reply = b.answer(&recorded);
    assert_eq!(real.accept_sign_in(&reply).unwrap(), ResponseCode::Approved);
    let replayed = b.answer(&recorded);
    assert_eq!(
        message(&replayed)
            .unwrap()
            .get(39)
            .map(|c| c.chars().collect::<String>())
            .as_deref(),
        Some("03")
    );
    assert!(
        message(&replayed).unwrap().field(62).is_none(),
        "no new keys"
    );
    let (r, _) = b.run(&mut real, &pin_purchase(&card, Entry::Swipe, 100));
    assert_eq!(
        r.code,
        Some(ResponseCode::Approved),
        "the real terminal keeps its keys"
    );

    // The terminal signs in again a minute later; the first recording is older still.
    real.date = DateTime::new(2026, 11, 26, 10, 1, 0).unwrap();
    assert_eq!(b.sign_in_as(&mut real), ResponseCode::Approved);
    let replayed = b.answer(&recorded);
    assert!(
        message(&replayed).unwrap().field(62).is_none(),
        "no new keys"
    );
    let (r, _) = b.run(&mut real, &pin_purchase(&card, Entry::Swipe, 100));
    assert_eq!(r.code, Some(ResponseCode::Approved));
}

/// A sign-in whose clock is more than the window away from the host's is refused, even
/// from the real device that never signed in before; within the window it is accepted.
#[test]
fn sign_in_outside_the_clock_window_is_refused() {
    let mut b = bench();
    let mut t = b.fx.test_terminal("noodle-1");
    t.date = DateTime::new(2026, 11, 26, 10, 10, 1).unwrap();
    assert_eq!(b.sign_in_code(&mut t).as_deref(), Some("03"));
    t.date = DateTime::new(2026, 11, 26, 9, 49, 59).unwrap();
    assert_eq!(b.sign_in_code(&mut t).as_deref(), Some("03"));
    t.date = DateTime::new(2026, 11, 26, 9, 50, 0).unwrap();
    assert_eq!(b.sign_in_as(&mut t), ResponseCode::Approved);
    // A wider window, as the configuration may set it.
    let mut b = bench();
    b.host = Host::new(b.fx.registry.clone(), MemoryLedger::new())
        .unwrap()
        .with_sign_in_window(3_600);
    let mut t = b.fx.test_terminal("noodle-1");
    t.date = DateTime::new(2026, 11, 26, 10, 59, 0).unwrap();
    assert_eq!(b.sign_in_as(&mut t), ResponseCode::Approved);
}

// ----- 4. enumeration -----

#[test]
fn unauthenticated_requests_are_answered_alike() {
    let mut b = bench();
    let card = b.fx.card("debit-chip").clone();
    let noodle = b.fx.terminal("noodle-1").clone();
    let mut codes = Vec::new();
    for (terminal_id, merchant_no) in [
        (noodle.terminal_id.as_str(), noodle.merchant_no.as_str()),
        (noodle.terminal_id.as_str(), "898440170115678"),
        ("10581234", noodle.merchant_no.as_str()),
        ("10589999", noodle.merchant_no.as_str()),
    ] {
        // An attacker's terminal with keys of its own: a MAC the host cannot verify.
        let mut t = b.fx.test_terminal("noodle-1");
        let mut own = bench();
        own.sign_in_as(&mut t);
        t.terminal_id = terminal_id.into();
        t.merchant_no = merchant_no.into();
        let mut buf = [0u8; 512];
        let (n, _) = t.request(&pin_purchase(&card, Entry::Swipe, 100), &mut buf);
        let reply = b.answer(&buf[..n]);
        let msg = message(&reply).unwrap();
        codes.push((
            msg.get(39).map(|c| c.chars().collect::<String>()),
            msg.field(64).is_some(),
        ));
    }
    assert!(codes.iter().all(|c| *c == codes[0]), "an oracle: {codes:?}");
}

#[test]
fn unknown_transaction_type_is_answered_only_after_the_mac() {
    let mut b = bench();
    let mut t = b.sign_in("noodle-1");
    let card = b.fx.card("debit-chip").clone();
    let mut buf = [0u8; 512];
    let (n, _) = t.request(&pin_purchase(&card, Entry::Swipe, 100), &mut buf);
    let (at, _) = field_at(&buf[..n], 3);
    buf[head() + at] = 0x99; // processing code 99xxxx: no transaction
    let r = b.send(&mut t, &buf[..n]);
    assert_eq!(r.code, Some(ResponseCode::MacFailed));
    assert!(!r.mac);
}

#[test]
fn header_and_tpdu_are_checked_against_the_profile() {
    let mut b = bench();
    let mut t = b.sign_in("noodle-1");
    let card = b.fx.card("debit-chip").clone();
    let mut buf = [0u8; 512];
    // Header byte 3 (terminal status) and the TPDU destination changed: both outside the MAC.
    for at in [2 + 5 + 3, 2 + 1] {
        let (n, _) = t.request(&pin_purchase(&card, Entry::Swipe, 100), &mut buf);
        buf[at] ^= 0x01;
        let r = b.send(&mut t, &buf[..n]);
        assert_eq!(r.code, Some(ResponseCode::MacFailed), "byte {at}");
    }
    assert_eq!(b.balance("debit-chip"), 500_000);
}

// ----- 5. batches over 999 -----

#[test]
fn batch_of_1200_purchases_balances() {
    let mut b = bench();
    let mut t = b.sign_in("noodle-1");
    let card = b.fx.card("credit-chip").clone();
    let count = 1_200u16;
    for _ in 0..count {
        let (r, _) = b.run(&mut t, &Req::purchase(&card, Entry::Swipe, None, 1));
        assert_eq!(r.code, Some(ResponseCode::Approved));
    }
    let totals = SettlementTotals {
        domestic: Totals {
            debit_amount: u64::from(count),
            debit_count: count,
            ..Totals::default()
        },
        ..SettlementTotals::default()
    };
    let req = Req {
        totals: Some(totals),
        ..Req::new(Transaction::Settlement)
    };
    let (r, _) = b.run(&mut t, &req);
    assert_eq!(r.code, Some(ResponseCode::Approved));
    assert_eq!(r.settlement.unwrap().domestic.result, 1, "balanced");
}

/// Five forged MACs of `t` at `host`.
fn five_forgeries<L: Ledger>(host: &mut Host<L>, t: &mut TestTerminal, card: &CardFixture) {
    let mut buf = [0u8; 512];
    let mut out = [0u8; 512];
    for _ in 0..5 {
        let (n, _) = t.request(&pin_purchase(card, Entry::Swipe, 100), &mut buf);
        buf[n - 1] ^= 0x01;
        let a = host.handle(&buf[..n], NOW, &mut OsRng, &mut out).unwrap();
        assert_eq!(a.response, Some(ResponseCode::MacFailed));
    }
}

/// A good request of `t` at `host`: its response code.
fn good_request<L: Ledger>(
    host: &mut Host<L>,
    t: &mut TestTerminal,
    card: &CardFixture,
) -> Option<ResponseCode> {
    let mut buf = [0u8; 512];
    let mut out = [0u8; 512];
    let (n, _) = t.request(&pin_purchase(card, Entry::Swipe, 100), &mut buf);
    host.handle(&buf[..n], NOW, &mut OsRng, &mut out)
        .unwrap()
        .response
}

fn signed_in_at<L: Ledger>(host: &mut Host<L>, fx: &Fixtures) -> TestTerminal {
    let mut t = fx.test_terminal("noodle-1");
    let mut buf = [0u8; 512];
    let mut out = [0u8; 512];
    let n = t.sign_in(&mut buf);
    let a = host.handle(&buf[..n], NOW, &mut OsRng, &mut out).unwrap();
    assert_eq!(
        t.accept_sign_in(&out[..a.len]).unwrap(),
        ResponseCode::Approved
    );
    t
}

/// The lockout is kept by the ledger: a restart of the host does not forgive it, nor does
/// another node sharing the ledger.
#[test]
fn a_lockout_outlives_a_restart_and_holds_at_every_node() {
    use cardwire_acquirer::ledger::{Durability, PgLedger, PgOptions, SqliteLedger};
    let fx = Fixtures::load().unwrap();
    let card = fx.card("debit-chip").clone();
    let keys = cardwire_testkit::test_key_store();
    let dir = cardwire_testkit::TempDir::new("lockout");
    let open = || SqliteLedger::open(dir.join("ledger.db"), Durability::Normal, &keys).unwrap();
    let mut host = Host::new(fx.registry.clone(), open()).unwrap();
    let mut t = signed_in_at(&mut host, &fx);
    five_forgeries(&mut host, &mut t, &card);
    drop(host);
    let mut host = Host::new(fx.registry.clone(), open()).unwrap();
    assert_eq!(
        good_request(&mut host, &mut t, &card),
        Some(ResponseCode::MacFailed),
        "locked out after the restart"
    );

    let Some(db) = crate::pg_db("lockout") else {
        return;
    };
    let node = || {
        let ledger = PgLedger::connect(db.url(), PgOptions::default(), &keys).unwrap();
        Host::new(fx.registry.clone(), ledger).unwrap()
    };
    let (mut a, mut b) = (node(), node());
    let mut t = signed_in_at(&mut a, &fx);
    assert_eq!(
        good_request(&mut b, &mut t, &card),
        Some(ResponseCode::Approved)
    );
    five_forgeries(&mut a, &mut t, &card);
    assert_eq!(
        good_request(&mut b, &mut t, &card),
        Some(ResponseCode::MacFailed),
        "locked out at the other node"
    );
}
