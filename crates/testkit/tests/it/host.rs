//! The acquirer host answering requests built by the test kit, over an in-memory ledger.

use cardwire_acquirer::ResponseCode;
use cardwire_acquirer::ledger::{Ledger, MemoryLedger, Reversed};
use cardwire_acquirer::{Host, OsRng};
use cardwire_iso8583::cups::{Original, SettlementTotals, Totals, Transaction};
use cardwire_testkit::{Entry, Fixtures, ReplyView, Req, TestTerminal};

use cardwire_testkit::HOST_TIME as NOW;

struct Bench<L: Ledger> {
    host: Host<L>,
    fx: Fixtures,
}

impl<L: Ledger> Bench<L> {
    fn send(&mut self, t: &mut TestTerminal, frame: &[u8]) -> ReplyView {
        let mut out = [0u8; 512];
        let a = self.host.handle(frame, NOW, &mut OsRng, &mut out).unwrap();
        t.read_reply(&out[..a.len])
            .unwrap_or_else(|e| panic!("{e}: {}", cardwire_emv::hex::Hex(&out[..a.len])))
    }

    fn sign_in(&mut self, id: &str) -> TestTerminal {
        let mut t = self.fx.test_terminal(id);
        let mut buf = [0u8; 512];
        let n = t.sign_in(&mut buf);
        let mut out = [0u8; 512];
        let a = self
            .host
            .handle(&buf[..n], NOW, &mut OsRng, &mut out)
            .unwrap();
        assert_eq!(
            t.accept_sign_in(&out[..a.len]).unwrap(),
            ResponseCode::Approved
        );
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

fn memory() -> Bench<MemoryLedger> {
    let fx = Fixtures::load().unwrap();
    let host = Host::new(fx.registry.clone(), MemoryLedger::new()).unwrap();
    Bench { host, fx }
}

#[test]
fn swipe_purchase_with_pin_is_approved_and_debited() {
    let mut b = memory();
    let mut t = b.sign_in("noodle-1");
    let card = b.fx.card("debit-chip").clone();
    let (r, _) = b.run(
        &mut t,
        &Req::purchase(&card, Entry::Swipe, Some("123456"), 12_345),
    );
    assert_eq!(r.code, Some(ResponseCode::Approved));
    assert!(r.mac);
    assert_eq!(r.rrn.as_deref().map(str::len), Some(12));
    assert_eq!(r.auth_code.as_deref().map(str::len), Some(6));
    assert_eq!(r.merchant_no.as_deref(), Some("898310058121234"));
    assert_eq!(b.balance("debit-chip"), 500_000 - 12_345);
}

#[test]
fn chip_purchase_returns_a_valid_arpc() {
    let mut b = memory();
    let mut t = b.sign_in("noodle-1");
    for id in ["debit-chip", "long-pan"] {
        let card = b.fx.card(id).clone();
        let pin = card.pin.clone();
        let (r, _) = b.run(
            &mut t,
            &Req::purchase(&card, Entry::Chip, Some(&pin), 2_000),
        );
        assert_eq!(r.code, Some(ResponseCode::Approved), "{id}");
        assert_eq!(r.arpc_ok, Some(true), "{id}");
    }
}

fn void_of<'a>(
    card: &'a cardwire_testkit::CardFixture,
    t: Transaction,
    amount: u64,
    batch: u32,
    stan: u32,
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
        ..Req::new(t)
    }
}

#[test]
fn unbound_terminal_is_refused_at_sign_in() {
    let mut b = memory();
    let mut t = b.fx.test_terminal("unbound");
    let mut buf = [0u8; 512];
    let n = t.sign_in(&mut buf);
    let mut out = [0u8; 512];
    let a = b.host.handle(&buf[..n], NOW, &mut OsRng, &mut out).unwrap();
    assert_eq!(
        t.accept_sign_in(&out[..a.len]).unwrap(),
        ResponseCode::InvalidMerchant
    );
    assert!(!t.signed_in());
    let r = t.read_reply(&out[..a.len]).unwrap();
    assert!(!r.mac, "a refusal carries no MAC");
}

#[test]
fn sign_in_from_another_device_is_refused() {
    let mut b = memory();
    for (serial, expected) in [
        ("CWPOS-0666", ResponseCode::InvalidMerchant),
        ("CWPOS-0001", ResponseCode::Approved),
    ] {
        let mut t = b.fx.test_terminal("noodle-1");
        t.serial = Some(serial.into());
        let mut buf = [0u8; 512];
        let n = t.sign_in(&mut buf);
        let mut out = [0u8; 512];
        let a = b.host.handle(&buf[..n], NOW, &mut OsRng, &mut out).unwrap();
        assert_eq!(
            t.accept_sign_in(&out[..a.len]).unwrap(),
            expected,
            "{serial}"
        );
    }
}

#[test]
fn terminal_claiming_another_merchant_is_refused() {
    let mut b = memory();
    let mut t = b.fx.test_terminal("hotel-1");
    t.merchant_no = "898310058121234".into();
    let mut buf = [0u8; 512];
    let n = t.sign_in(&mut buf);
    let mut out = [0u8; 512];
    let a = b.host.handle(&buf[..n], NOW, &mut OsRng, &mut out).unwrap();
    assert_eq!(
        t.accept_sign_in(&out[..a.len]).unwrap(),
        ResponseCode::InvalidMerchant
    );
}

#[test]
fn tampered_mac_is_answered_a0_without_mac_and_changes_nothing() {
    let mut b = memory();
    let mut t = b.sign_in("noodle-1");
    let card = b.fx.card("debit-chip").clone();
    let mut buf = [0u8; 512];
    let (n, _) = t.request(
        &Req::purchase(&card, Entry::Swipe, Some("123456"), 100),
        &mut buf,
    );
    buf[n - 1] ^= 0x01; // last MAC character
    let r = b.send(&mut t, &buf[..n]);
    assert_eq!(r.code, Some(ResponseCode::MacFailed));
    assert!(!r.mac);
    assert_eq!(b.balance("debit-chip"), 500_000);
    // A changed amount under the original MAC fails too.
    let (n, _) = t.request(
        &Req::purchase(&card, Entry::Swipe, Some("123456"), 100),
        &mut buf,
    );
    let amount_last = buf[..n].windows(2).position(|w| w == [0x01, 0x00]).unwrap();
    buf[amount_last] = 0x09;
    assert_eq!(
        b.send(&mut t, &buf[..n]).code,
        Some(ResponseCode::MacFailed)
    );
    assert_eq!(b.balance("debit-chip"), 500_000);
}

#[test]
fn request_from_a_terminal_the_host_has_no_keys_for_is_a0() {
    let mut b = memory();
    let mut t = b.sign_in("noodle-1");
    let mut other = memory();
    let card = b.fx.card("debit-chip").clone();
    let mut buf = [0u8; 512];
    let (n, _) = t.request(&Req::purchase(&card, Entry::Swipe, None, 100), &mut buf);
    assert_eq!(
        other.send(&mut t, &buf[..n]).code,
        Some(ResponseCode::MacFailed)
    );
}

#[test]
fn wrong_pin_is_55() {
    let mut b = memory();
    let mut t = b.sign_in("noodle-1");
    let card = b.fx.card("debit-chip").clone();
    let (r, _) = b.run(
        &mut t,
        &Req::purchase(&card, Entry::Chip, Some("654321"), 100),
    );
    assert_eq!(r.code, Some(ResponseCode::IncorrectPin));
    assert!(r.mac);
    assert_eq!(r.auth_code, None);
    assert_eq!(b.balance("debit-chip"), 500_000);
}

#[test]
fn duplicate_stan_is_94_and_charges_once() {
    let mut b = memory();
    let mut t = b.sign_in("noodle-1");
    let card = b.fx.card("debit-chip").clone();
    let req = Req::purchase(&card, Entry::Swipe, Some("123456"), 1_000);
    let (r, stan) = b.run(&mut t, &req);
    assert_eq!(r.code, Some(ResponseCode::Approved));
    let mut buf = [0u8; 512];
    let n = t.request_with_stan(&req, stan, &mut buf);
    assert_eq!(
        b.send(&mut t, &buf[..n]).code,
        Some(ResponseCode::Duplicate)
    );
    assert_eq!(b.balance("debit-chip"), 499_000);
}

#[test]
fn card_checks_14_54_51() {
    let mut b = memory();
    let mut t = b.sign_in("noodle-1");
    let mut unknown = b.fx.card("debit-chip").clone();
    unknown.pan = "6214830012345681".into();
    let (r, _) = b.run(&mut t, &Req::purchase(&unknown, Entry::Swipe, None, 100));
    assert_eq!(r.code, Some(ResponseCode::InvalidCard));
    let mut wrong_expiry = b.fx.card("debit-chip").clone();
    wrong_expiry.expiry = "3001".into();
    let (r, _) = b.run(
        &mut t,
        &Req::purchase(&wrong_expiry, Entry::Swipe, None, 100),
    );
    assert_eq!(r.code, Some(ResponseCode::InvalidCard));
    let expired = b.fx.card("expired").clone();
    let (r, _) = b.run(
        &mut t,
        &Req::purchase(&expired, Entry::Swipe, Some("111111"), 100),
    );
    assert_eq!(r.code, Some(ResponseCode::ExpiredCard));
    let poor = b.fx.card("poor-debit").clone();
    let (r, _) = b.run(
        &mut t,
        &Req::purchase(&poor, Entry::Chip, Some("135790"), 1_501),
    );
    assert_eq!(r.code, Some(ResponseCode::InsufficientFunds));
    assert_eq!(
        r.arpc_ok,
        Some(true),
        "a decline after a good ARQC still authenticates the issuer"
    );
    let (r, _) = b.run(
        &mut t,
        &Req::purchase(&poor, Entry::Chip, Some("135790"), 1_500),
    );
    assert_eq!(r.code, Some(ResponseCode::Approved));
    assert_eq!(b.balance("poor-debit"), 0);
    let (r, _) = b.run(&mut t, &Req::purchase(&poor, Entry::Swipe, None, 0));
    assert_eq!(r.code, Some(ResponseCode::InvalidAmount));
}

#[test]
fn wrong_arqc_is_a7() {
    let mut b = memory();
    let mut t = b.sign_in("noodle-1");
    // The card's cryptogram is computed for another PAN sequence number: it cannot verify.
    let mut card = b.fx.card("credit-chip").clone();
    card.psn = 7;
    let (r, _) = b.run(
        &mut t,
        &Req::purchase(&card, Entry::Chip, Some("246810"), 100),
    );
    assert_eq!(r.code, Some(ResponseCode::SecurityFailure));
    assert_eq!(b.balance("credit-chip"), 2_000_000);
}

#[test]
fn void_and_refund() {
    let mut b = memory();
    let mut t = b.sign_in("noodle-1");
    let card = b.fx.card("credit-chip").clone();
    let (p, stan) = b.run(
        &mut t,
        &Req::purchase(&card, Entry::Swipe, Some("246810"), 10_000),
    );
    let rrn = p.rrn.clone().unwrap();
    // Unknown original: 25.
    let (r, _) = b.run(
        &mut t,
        &void_of(
            &card,
            Transaction::PurchaseVoid,
            10_000,
            1,
            stan + 100,
            &rrn,
        ),
    );
    assert_eq!(r.code, Some(ResponseCode::OriginalNotFound));
    let (r, _) = b.run(
        &mut t,
        &void_of(&card, Transaction::Refund, 100, 1, stan, "000000999999"),
    );
    assert_eq!(r.code, Some(ResponseCode::OriginalNotFound));
    // A void for another amount: 13.
    let (r, _) = b.run(
        &mut t,
        &void_of(&card, Transaction::PurchaseVoid, 9_999, 1, stan, &rrn),
    );
    assert_eq!(r.code, Some(ResponseCode::InvalidAmount));
    let (r, _) = b.run(
        &mut t,
        &void_of(&card, Transaction::PurchaseVoid, 10_000, 1, stan, &rrn),
    );
    assert_eq!(r.code, Some(ResponseCode::Approved));
    assert_eq!(b.balance("credit-chip"), 2_000_000);
    // Voided twice: 12.
    let (r, _) = b.run(
        &mut t,
        &void_of(&card, Transaction::PurchaseVoid, 10_000, 1, stan, &rrn),
    );
    assert_eq!(r.code, Some(ResponseCode::InvalidTransaction));
    // Refunds: partial, then more than what is left.
    let (p, stan) = b.run(&mut t, &Req::purchase(&card, Entry::Swipe, None, 5_000));
    let rrn = p.rrn.clone().unwrap();
    let (r, _) = b.run(
        &mut t,
        &void_of(&card, Transaction::Refund, 3_000, 1, stan, &rrn),
    );
    assert_eq!(r.code, Some(ResponseCode::Approved));
    let (r, _) = b.run(
        &mut t,
        &void_of(&card, Transaction::Refund, 2_001, 1, stan, &rrn),
    );
    assert_eq!(r.code, Some(ResponseCode::InvalidAmount));
    let (r, _) = b.run(
        &mut t,
        &void_of(&card, Transaction::Refund, 2_000, 1, stan, &rrn),
    );
    assert_eq!(r.code, Some(ResponseCode::Approved));
    assert_eq!(b.balance("credit-chip"), 2_000_000);
}

#[test]
fn reversal_is_idempotent_and_refuses_a_late_original() {
    let mut b = memory();
    let mut t = b.sign_in("noodle-1");
    let card = b.fx.card("debit-chip").clone();
    let req = Req::purchase(&card, Entry::Swipe, Some("123456"), 7_700);
    let (r, stan) = b.run(&mut t, &req);
    assert_eq!(r.code, Some(ResponseCode::Approved));
    assert_eq!(b.balance("debit-chip"), 500_000 - 7_700);
    let mut buf = [0u8; 512];
    let mut out = [0u8; 512];
    for expected in [
        Reversed::Undone,
        Reversed::AlreadyDone,
        Reversed::AlreadyDone,
    ] {
        let n = t.reversal(&req, stan, &mut buf);
        let a = b.host.handle(&buf[..n], NOW, &mut OsRng, &mut out).unwrap();
        assert_eq!(a.reversed, Some(expected));
        let r = t.read_reply(&out[..a.len]).unwrap();
        assert_eq!(
            (r.mti, r.code, r.mac),
            (410, Some(ResponseCode::Approved), true)
        );
        assert_eq!(b.balance("debit-chip"), 500_000);
    }
    // A reversal of a request the host never saw: 00, and the request is refused if it comes.
    let stan = t.stan + 1;
    let n = t.reversal(&req, stan, &mut buf);
    let a = b.host.handle(&buf[..n], NOW, &mut OsRng, &mut out).unwrap();
    assert_eq!(a.reversed, Some(Reversed::NeverSeen));
    let n = t.request_with_stan(&req, stan, &mut buf);
    assert_eq!(
        b.send(&mut t, &buf[..n]).code,
        Some(ResponseCode::Duplicate)
    );
    assert_eq!(b.balance("debit-chip"), 500_000);
}

#[test]
fn reversing_a_void_restores_the_purchase() {
    let mut b = memory();
    let mut t = b.sign_in("noodle-1");
    let card = b.fx.card("debit-chip").clone();
    let (p, stan) = b.run(&mut t, &Req::purchase(&card, Entry::Swipe, None, 3_000));
    let rrn = p.rrn.unwrap();
    let void = void_of(&card, Transaction::PurchaseVoid, 3_000, 1, stan, &rrn);
    let (r, void_stan) = b.run(&mut t, &void);
    assert_eq!(r.code, Some(ResponseCode::Approved));
    assert_eq!(b.balance("debit-chip"), 500_000);
    let mut buf = [0u8; 512];
    let n = t.reversal(&void, void_stan, &mut buf);
    assert_eq!(b.send(&mut t, &buf[..n]).code, Some(ResponseCode::Approved));
    assert_eq!(b.balance("debit-chip"), 497_000);
    // The purchase can be voided again.
    let (r, _) = b.run(&mut t, &void);
    assert_eq!(r.code, Some(ResponseCode::Approved));
    assert_eq!(b.balance("debit-chip"), 500_000);
    // Reversing the voided purchase itself would pay back twice: refused, nothing changes.
    let n = t.reversal(
        &Req::purchase(&card, Entry::Swipe, None, 3_000),
        stan,
        &mut buf,
    );
    let mut out = [0u8; 512];
    let a = b.host.handle(&buf[..n], NOW, &mut OsRng, &mut out).unwrap();
    assert_eq!(a.reversed, Some(Reversed::Refused));
    assert_eq!(a.response, Some(ResponseCode::InvalidTransaction));
    assert_eq!(b.balance("debit-chip"), 500_000);
}

#[test]
fn pre_authorisation_family() {
    let mut b = memory();
    let mut t = b.sign_in("hotel-1");
    let card = b.fx.card("credit-chip").clone();
    let hold = Req {
        card: Some(&card),
        amount: Some(50_000),
        pin: Some("246810"),
        ..Req::new(Transaction::PreAuth)
    };
    let (r, pa) = b.run(&mut t, &hold);
    assert_eq!(r.code, Some(ResponseCode::Approved));
    assert_eq!(b.balance("credit-chip"), 1_950_000);
    let auth = r.auth_code.clone().unwrap();
    let mut complete = void_of(&card, Transaction::PreAuthCompletion, 60_000, 1, pa, "");
    complete.rrn = None;
    complete.auth_code = Some(&auth);
    let (r, _) = b.run(&mut t, &complete);
    assert_eq!(r.code, Some(ResponseCode::InvalidAmount), "more than held");
    complete.amount = Some(42_000);
    let (r, pc) = b.run(&mut t, &complete);
    assert_eq!(r.code, Some(ResponseCode::Approved));
    assert_eq!(b.balance("credit-chip"), 1_958_000);
    let rrn = r.rrn.unwrap();
    let (r, _) = b.run(
        &mut t,
        &void_of(
            &card,
            Transaction::PreAuthCompletionVoid,
            42_000,
            1,
            pc,
            &rrn,
        ),
    );
    assert_eq!(r.code, Some(ResponseCode::Approved));
    assert_eq!(b.balance("credit-chip"), 2_000_000);
    // A second hold, released by its void.
    let (r, pa) = b.run(&mut t, &hold);
    let rrn = r.rrn.unwrap();
    let (r, _) = b.run(
        &mut t,
        &void_of(&card, Transaction::PreAuthVoid, 50_000, 1, pa, &rrn),
    );
    assert_eq!(r.code, Some(ResponseCode::Approved));
    assert_eq!(b.balance("credit-chip"), 2_000_000);
}

#[test]
fn balance_inquiry_answers_field_54() {
    let mut b = memory();
    let mut t = b.sign_in("noodle-1");
    let card = b.fx.card("debit-chip").clone();
    let req = Req {
        card: Some(&card),
        pin: Some("123456"),
        ..Req::new(Transaction::Balance)
    };
    let (r, _) = b.run(&mut t, &req);
    assert_eq!(
        (r.code, r.balance),
        (Some(ResponseCode::Approved), Some(500_000))
    );
}

#[test]
fn settlement_balanced_then_unbalanced_with_batch_upload() {
    let mut b = memory();
    let mut t = b.sign_in("noodle-1");
    let card = b.fx.card("credit-chip").clone();
    let (p, stan) = b.run(&mut t, &Req::purchase(&card, Entry::Swipe, None, 1_000));
    b.run(&mut t, &Req::purchase(&card, Entry::Tap, None, 2_000));
    let rrn = p.rrn.unwrap();
    b.run(
        &mut t,
        &void_of(&card, Transaction::Refund, 400, 1, stan, &rrn),
    );
    let declined = b
        .run(
            &mut t,
            &Req::purchase(&card, Entry::Swipe, Some("000000"), 9_000),
        )
        .0;
    assert_eq!(declined.code, Some(ResponseCode::IncorrectPin));
    let totals = |debit_amount, debit_count, credit_amount, credit_count| SettlementTotals {
        domestic: Totals {
            debit_amount,
            debit_count,
            credit_amount,
            credit_count,
            result: 0,
        },
        foreign: Totals::default(),
    };
    let settle = Req {
        totals: Some(totals(3_000, 2, 400, 1)),
        ..Req::new(Transaction::Settlement)
    };
    let (r, _) = b.run(&mut t, &settle);
    assert_eq!(r.code, Some(ResponseCode::Approved));
    assert_eq!(r.settlement.unwrap().domestic.result, 1, "balanced");
    assert_eq!(b.host.ledger().settlements().unwrap().len(), 1);
    // The next batch: the terminal signs in again (its next STAN) and gets batch 2.
    let mut buf = [0u8; 512];
    let n = t.sign_in(&mut buf);
    let mut out = [0u8; 512];
    let a = b.host.handle(&buf[..n], NOW, &mut OsRng, &mut out).unwrap();
    assert_eq!(
        t.accept_sign_in(&out[..a.len]).unwrap(),
        ResponseCode::Approved
    );
    assert_eq!(t.batch, 2);
    b.run(&mut t, &Req::purchase(&card, Entry::Swipe, None, 500));
    let settle = Req {
        totals: Some(totals(600, 1, 0, 0)),
        ..Req::new(Transaction::Settlement)
    };
    let (r, _) = b.run(&mut t, &settle);
    assert_eq!(r.settlement.unwrap().domestic.result, 2, "unbalanced");
    for upload in [Transaction::BatchUpload, Transaction::BatchUploadEnd] {
        let (r, _) = b.run(&mut t, &Req::new(upload));
        assert_eq!((r.mti, r.code), (330, Some(ResponseCode::Approved)));
    }
    let s = b.host.ledger().settlements().unwrap();
    assert!(!s[1].balanced);
    assert_eq!(s[1].host.domestic.debit_amount, 500);
}

#[test]
fn rotating_terminal_settles_under_the_pool() {
    let mut b = memory();
    let mut t = b.sign_in("hotel-1");
    let card = b.fx.card("credit-chip").clone();
    let mut seen = Vec::new();
    for _ in 0..5 {
        let (r, _) = b.run(&mut t, &Req::purchase(&card, Entry::Swipe, None, 88_000));
        seen.push(r.merchant_no.unwrap());
    }
    assert_eq!(
        seen,
        [
            "898310054110001",
            "898330054110002",
            "898440054110003",
            "898110054110004",
            "898310054110001"
        ]
    );
}

#[test]
fn broken_frames_are_refused_or_answered_30() {
    let mut b = memory();
    let mut t = b.sign_in("noodle-1");
    let mut out = [0u8; 512];
    for junk in [
        &b""[..],
        b"\x00",
        b"\x00\x05\x60\x00\x03\x00\x00",
        b"\xff\xff\x60",
    ] {
        assert!(b.host.handle(junk, NOW, &mut OsRng, &mut out).is_err());
    }
    let card = b.fx.card("debit-chip").clone();
    let mut buf = [0u8; 512];
    let (n, _) = t.request(&Req::purchase(&card, Entry::Swipe, None, 100), &mut buf);
    let pristine = buf;
    // Field 60 (BCD) gets a nibble that is no digit: the message no longer validates, but
    // fields 11 and 41 before it can be echoed in a format-error reply.
    let at = buf[..n]
        .windows(4)
        .position(|w| w == [0x00, 0x08, 0x22, 0x00])
        .unwrap();
    buf[at + 2] = 0x2A;
    let r = b.send(&mut t, &buf[..n]);
    assert_eq!((r.code, r.mac), (Some(ResponseCode::FormatError), false));
    // Broken before field 41 (the amount): nothing to answer to, the frame is refused.
    let mut buf = pristine;
    let at = buf[..n]
        .windows(6)
        .position(|w| w == [0, 0, 0, 0, 1, 0])
        .unwrap();
    buf[at + 5] = 0xAA;
    assert!(b.host.handle(&buf[..n], NOW, &mut OsRng, &mut out).is_err());
    assert_eq!(b.balance("debit-chip"), 500_000);
}
