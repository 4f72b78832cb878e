//! The whole flow over loopback TCP: the real `Terminal` with simulated cards, talking through
//! `transport::Client` to the acquirer's `Server` around the real `Host` with an
//! `SqliteLedger` in a temporary file — a [`Scenario`] each. After every scenario the host
//! ledger, the terminal's batch totals and the merchant statement must agree to the fen
//! ([`Scenario::assert_books_agree`]).

use cardwire_acquirer::ledger::{Ledger, TxKey};
use cardwire_acquirer::{ResponseCode, statement};
use cardwire_crypto::pin::Pin;
use cardwire_iso8583::cups::Transaction;
use cardwire_pos::ErrorKind;
use cardwire_pos::card::{Interface, chip, qr};
use cardwire_pos::receipt::{self, Receipt};
use cardwire_pos::terminal::{Outcome, Reference};
use cardwire_testkit::fake_host::now;
use cardwire_testkit::scenario::{Fault, Scenario, approved, declined};

const NOODLE: &str = "898310058121234";

#[test]
fn every_transaction_type_over_loopback() {
    let mut s = Scenario::start("noodle-1");
    assert_eq!(s.sign_in(), 1);
    assert!(s.t.is_signed_in());

    let swipe = s.swipe("debit-chip");
    let pin = s.pin("debit-chip");

    // Balance inquiry: the host's figure is the account's.
    let o = s.run(|t, out| t.balance(&swipe, Some(&pin), now(), out));
    assert_eq!(
        o,
        Outcome::Balance {
            balance: Some(s.opening("debit-chip"))
        }
    );

    // Swipe with PIN, after the quote.
    let q = s.t.quote(12_345);
    assert_eq!((q.amount, q.fee, q.total), (12_345, 74, 12_345));
    let by_swipe = s.purchase("debit-chip", q.total);
    let slip = Receipt::new(s.t.config(), &by_swipe.record, receipt::Copy::Cardholder).to_string();
    assert!(slip.contains("621483******5673"), "{slip}");
    assert!(!slip.contains("6214830012345673"));
    assert!(slip.contains(by_swipe.record.rrn.as_str()));

    // Contact chip with PIN: the host's ARPC authenticates it, the card answers a TC.
    let mut chip_card = s.fx.sim_card("debit-chip", Interface::Contact);
    let params = s.t.emv_params(2_000, 0x00, now(), [1, 2, 3, 4]);
    let mut session = chip::read(&mut chip_card, Interface::Contact, &params).unwrap();
    let by_chip =
        approved(s.run(|t, out| t.purchase(session.card(), 2_000, Some(&pin), now(), out)));
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
    let o = s.run(|t, out| {
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
        let params = s.t.emv_params(amount, 0x00, now(), [5, 6, 7, 8]);
        let mut session = chip::read(&mut chip_card, Interface::Contactless, &params).unwrap();
        assert_eq!(session.card().pin_required(), with_pin, "tap of {amount}");
        let p = with_pin.then_some(&pin);
        let a = approved(s.run(|t, out| t.purchase(session.card(), amount, p, now(), out)));
        let sent = cardwire_testkit::message(s.link.sent.last().unwrap()).unwrap();
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
    let mut wallet = s.fx.sim_card("credit-chip", Interface::Contact);
    let mut buf = [0u8; 512];
    let code = wallet
        .consumer_qr([9, 9, 9, 9], now(), &mut buf)
        .unwrap()
        .to_owned();
    let params = s.t.emv_params(3_000, 0x00, now(), [1, 1, 1, 1]);
    let by_qr = qr::from_consumer_qr(&code, &params).unwrap();
    approved(s.run(|t, out| t.purchase(&by_qr, 3_000, None, now(), out)));
    assert_eq!(s.balance("credit-chip"), s.opening("credit-chip") - 3_000);

    // Void of the swiped purchase; refund of part of the chip purchase.
    approved(s.run(|t, out| t.void(by_swipe.record.stan, Some(&swipe), Some(&pin), now(), out)));
    let chip_ref = Reference::of(&by_chip.record);
    approved(s.run(|t, out| t.refund(&chip_ref, &swipe, 500, Some(&pin), now(), out)));

    // Pre-authorisation, its completion for less, the completion's void.
    let pre = approved(s.run(|t, out| t.pre_auth(&swipe, 9_000, Some(&pin), now(), out)));
    let pre_ref = Reference::of(&pre.record);
    let completion = approved(
        s.run(|t, out| t.pre_auth_completion(&pre_ref, &swipe, 8_000, Some(&pin), now(), out)),
    );
    approved(s.run(|t, out| {
        t.completion_void(completion.record.stan, Some(&swipe), Some(&pin), now(), out)
    }));
    // A second pre-authorisation, voided.
    let pre2 = approved(s.run(|t, out| t.pre_auth(&swipe, 100, Some(&pin), now(), out)));
    let pre2_ref = Reference::of(&pre2.record);
    approved(s.run(|t, out| t.pre_auth_void(&pre2_ref, &swipe, 100, Some(&pin), now(), out)));

    // Card account: the chip purchase less its refund, both taps; the swipe was voided, the
    // first pre-authorisation was completed and the completion voided, the second voided.
    assert_eq!(
        s.balance("debit-chip"),
        s.opening("debit-chip") - 2_000 + 500 - 50_000 - 150_000
    );
    s.assert_books_agree();

    // Settlement: balanced, the batch closes on both sides.
    s.settle_balanced();
    s.assert_books_agree();
    let settlements = s.acq.host.lock().unwrap().ledger().settlements().unwrap();
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
    let o = s.run(|t, out| t.echo_test(now(), out));
    assert_eq!(o, Outcome::Acknowledged);
    let o = s.run(|t, out| t.sign_out(now(), out));
    assert_eq!(o, Outcome::SignedOut);
    assert!(!s.t.is_signed_in());
    s.assert_books_agree();
    assert_eq!(
        s.link.mtis(),
        [
            800, 200, 200, 200, 620, 200, 200, 200, 200, 220, 100, 200, 200, 100, 100, 500, 820,
            820
        ]
    );
}

#[test]
fn lost_replies_of_a_void_and_a_completion_are_reversed() {
    let mut s = Scenario::signed_in("noodle-1");
    let pan = s.fx.card("debit-chip").pan.clone();
    let opening = s.opening("debit-chip");
    let (swipe, pin) = (s.swipe("debit-chip"), s.pin("debit-chip"));

    // A void whose reply is lost: its reversal restores the sale (and its fee).
    let sale = s.purchase("debit-chip", 3_000);
    s.link.fault = Fault::DropReply;
    let o = s.run(|t, out| t.void(sale.record.stan, Some(&swipe), Some(&pin), now(), out));
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
    assert_eq!(s.acq.balance(&pan), opening, "the host did void it");
    assert_eq!(
        s.t.pending_reversal().map(|p| p.0),
        Some(Transaction::PurchaseVoid)
    );

    // A pre-authorisation (the void's reversal goes first), then its completion, whose reply
    // is lost.
    let pre = approved(s.run(|t, out| t.pre_auth(&swipe, 10_000, Some(&pin), now(), out)));
    assert_eq!(s.acq.balance(&pan), opening - 3_000 - 10_000);
    s.assert_books_agree();
    let pre_ref = Reference::of(&pre.record);
    s.link.fault = Fault::DropReply;
    let o = s.run(|t, out| t.pre_auth_completion(&pre_ref, &swipe, 7_000, Some(&pin), now(), out));
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
        s.acq.balance(&pan),
        opening - 3_000 - 7_000,
        "completed at the host"
    );

    // The completion's reversal puts the hold back; the pre-authorisation can be completed
    // again.
    let done = approved(
        s.run(|t, out| t.pre_auth_completion(&pre_ref, &swipe, 6_000, Some(&pin), now(), out)),
    );
    assert_eq!(done.record.amount, 6_000);
    assert_eq!(s.acq.balance(&pan), opening - 3_000 - 6_000);
    assert_eq!(s.link.mtis(), [800, 200, 200, 400, 100, 200, 400, 200]);
    s.assert_books_agree();
    s.settle_balanced();
    s.assert_books_agree();
}

#[test]
fn unbalanced_settlement_then_batch_upload() {
    let mut s = Scenario::signed_in("noodle-1");

    // The terminal approves two purchases, then restarts without its journal (kept in RAM):
    // it keeps its batch and STAN, as terminals do, but the host knows two purchases it does
    // not.
    s.purchase("debit-chip", 1_111);
    s.purchase("credit-chip", 2_222);
    s.tally.close(&s.t);
    let mut restarted = s.fx.pos_terminal("noodle-1");
    restarted.resume(s.t.batch(), s.t.stan()).unwrap();
    s.t = restarted;
    s.sign_in();
    s.purchase("debit-chip", 3_333);

    // Settlement: unbalanced; the terminal uploads its batch (one 0320 per record, then the
    // end of the upload) and the batch closes.
    s.tally.close(&s.t);
    match s.run(|t, out| t.settle(now(), out)) {
        Outcome::Settled {
            balanced: false,
            totals,
        } => assert_eq!(totals.domestic.debit_amount, 3_333),
        other => panic!("settlement: {other:?}"),
    }
    let mut uploads = 0;
    loop {
        match s.run(|t, out| t.batch_upload(now(), out)) {
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
    let settlement = s.acq.host.lock().unwrap().ledger().settlements().unwrap()[0].clone();
    assert!(!settlement.balanced);
    assert_eq!(settlement.terminal.domestic.debit_amount, 3_333);
    assert_eq!(settlement.host.domestic.debit_amount, 1_111 + 2_222 + 3_333);
    assert_eq!(settlement.host.domestic.debit_count, 3);
    s.assert_books_agree();

    // The next batch settles balanced again.
    s.purchase("debit-chip", 4_444);
    s.settle_balanced();
    s.assert_books_agree();
    let mtis = s.link.mtis();
    assert_eq!(&mtis[mtis.len() - 5..], [500, 320, 320, 200, 500]);
}

#[test]
fn lost_reply_is_reversed_without_double_charge() {
    let mut s = Scenario::signed_in("noodle-1");
    let pan = s.fx.card("debit-chip").pan.clone();
    let opening = s.opening("debit-chip");
    let (swipe, pin) = (s.swipe("debit-chip"), s.pin("debit-chip"));

    // The host approves and charges; the reply is lost.
    s.link.fault = Fault::DropReply;
    let o = s.run(|t, out| t.purchase(&swipe, 7_700, Some(&pin), now(), out));
    let Outcome::NoReply {
        transaction: Transaction::Purchase,
        reversal: false,
        stan: lost,
        reversal_pending: true,
    } = o
    else {
        panic!("{o:?}")
    };
    assert_eq!(s.acq.balance(&pan), opening - 7_700, "the host did charge");
    assert_eq!(s.t.pending_reversal(), Some((Transaction::Purchase, lost)));

    // The next transaction sends the reversal first, then itself.
    let next = s.purchase("debit-chip", 1_200);
    assert_eq!(s.t.pending_reversal(), None);
    assert_eq!(s.link.mtis(), [800, 200, 400, 200]);
    assert_eq!(s.acq.balance(&pan), opening - 1_200, "one charge");
    assert!(s.t.journal().find(lost).is_none());
    assert!(s.t.journal().find(next.record.stan).is_some());
    let key = TxKey {
        terminal_id: s.t.config().terminal_id().into(),
        batch: s.t.batch(),
        stan: lost,
    };
    let record = s
        .acq
        .host
        .lock()
        .unwrap()
        .ledger()
        .transaction(&key)
        .unwrap()
        .unwrap();
    assert!(record.state.reversed);
    s.assert_books_agree();

    // The reversal again (its reply lost too, say): approved, nothing changes.
    let reversal = s.link.sent[2].clone();
    assert_eq!(s.link.resend(&reversal), ResponseCode::Approved);
    assert_eq!(s.acq.balance(&pan), opening - 1_200);
    // The lost purchase again, late: its trace number is used.
    let late = s.link.sent[1].clone();
    assert_eq!(s.link.resend(&late), ResponseCode::Duplicate);
    assert_eq!(s.acq.balance(&pan), opening - 1_200);
    s.assert_books_agree();
}

#[test]
fn wrong_pin_is_55_and_nothing_moves() {
    let mut s = Scenario::signed_in("noodle-1");
    let swipe = s.swipe("debit-chip");
    let wrong = Pin::new("654321").unwrap();
    let o = s.run(|t, out| t.purchase(&swipe, 5_000, Some(&wrong), now(), out));
    assert_eq!(declined(&o), ResponseCode::IncorrectPin);
    assert_eq!(s.t.pending_reversal(), None);
    assert!(s.t.journal().is_empty());
    assert_eq!(s.balance("debit-chip"), s.opening("debit-chip"));
    s.assert_books_agree();
}

#[test]
fn tampered_request_is_a0_and_nothing_moves() {
    let mut s = Scenario::signed_in("noodle-1");
    let (swipe, pin) = (s.swipe("debit-chip"), s.pin("debit-chip"));
    s.link.fault = Fault::AlterAmount;
    let o = s.run(|t, out| t.purchase(&swipe, 5_000, Some(&pin), now(), out));
    assert_eq!(declined(&o), ResponseCode::MacFailed);
    assert!(s.t.journal().is_empty());
    assert_eq!(s.balance("debit-chip"), s.opening("debit-chip"));
    s.assert_books_agree();
    // The terminal carries on with the same keys.
    s.purchase("debit-chip", 5_000);
    s.assert_books_agree();
}

#[test]
fn unbound_terminal_is_refused_until_activated() {
    let mut s = Scenario::claiming("unbound", NOODLE);
    assert!(!s.fx.terminal("unbound").activated);
    let o = s.run(|t, out| t.sign_in(now(), out));
    assert_eq!(declined(&o), ResponseCode::InvalidMerchant);
    assert!(!s.t.is_signed_in());

    let tid = s.t.config().terminal_id().to_owned();
    s.acq
        .host
        .lock()
        .unwrap()
        .registry_mut()
        .activate(&tid, NOODLE)
        .unwrap();
    assert_eq!(s.sign_in(), 1);
    let a = s.purchase("credit-chip", 880);
    assert_eq!(a.record.merchant_no.as_str(), NOODLE);
    s.assert_books_agree();
}

#[test]
fn duplicate_stan_is_94() {
    let mut s = Scenario::signed_in("noodle-1");
    s.purchase("debit-chip", 4_321);
    let frame = s.link.sent.last().unwrap().clone();
    assert_eq!(s.link.resend(&frame), ResponseCode::Duplicate);
    assert_eq!(s.balance("debit-chip"), s.opening("debit-chip") - 4_321);
    s.assert_books_agree();
}

#[test]
fn void_or_refund_of_an_unknown_original_is_25() {
    let mut s = Scenario::signed_in("noodle-1");
    let (swipe, pin) = (s.swipe("debit-chip"), s.pin("debit-chip"));
    let sale = s.purchase("debit-chip", 6_000);

    // A purchase void names its original from the journal: an unknown STAN never leaves the
    // terminal.
    let err =
        s.t.void(999, Some(&swipe), Some(&pin), now(), &mut [0u8; 512]);
    assert_eq!(err.unwrap_err().kind(), ErrorKind::NotFound);

    // A pre-authorisation void and a refund name theirs by reference: the host finds none.
    let ghost = Reference {
        stan: 999,
        rrn: cardwire_pos::text::Text::copy_from("000000099999").unwrap(),
        ..Reference::of(&sale.record)
    };
    let o = s.run(|t, out| t.pre_auth_void(&ghost, &swipe, 6_000, Some(&pin), now(), out));
    assert_eq!(declined(&o), ResponseCode::OriginalNotFound);
    let o = s.run(|t, out| t.refund(&ghost, &swipe, 1_000, Some(&pin), now(), out));
    assert_eq!(declined(&o), ResponseCode::OriginalNotFound);
    // The real sale under another card: not its original either.
    let credit = s.swipe("credit-chip");
    let credit_pin = s.pin("credit-chip");
    let o = s.run(|t, out| {
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
    assert_eq!(s.t.pending_reversal(), None);
    assert_eq!(s.balance("debit-chip"), s.opening("debit-chip") - 6_000);
    s.assert_books_agree();
}

#[test]
fn host_restart_between_request_and_reversal() {
    let mut s = Scenario::signed_in("noodle-1");
    let pan = s.fx.card("debit-chip").pan.clone();
    let opening = s.opening("debit-chip");
    let kept = s.purchase("debit-chip", 2_500);
    let (swipe, pin) = (s.swipe("debit-chip"), s.pin("debit-chip"));

    // The purchase is answered and committed, the reply lost; then the host goes down.
    s.link.fault = Fault::DropReply;
    let o = s.run(|t, out| t.purchase(&swipe, 9_900, Some(&pin), now(), out));
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
    assert_eq!(s.acq.balance(&pan), opening - 2_500 - 9_900);
    let old = s.acq.addr();
    let mut s = s.restart_host();
    assert_ne!(s.acq.addr(), old);
    assert_eq!(
        s.acq.balance(&pan),
        opening - 2_500 - 9_900,
        "the file kept it"
    );

    // The terminal reconnects; its pending reversal goes first, under the same keys (the host
    // read the session back from the ledger), and settles.
    let (_, lost) = s.t.pending_reversal().unwrap();
    let o = s.run(|t, out| t.balance(&swipe, Some(&pin), now(), out));
    assert_eq!(s.link.mtis(), [400, 200]);
    assert_eq!(
        o,
        Outcome::Balance {
            balance: Some(opening - 2_500)
        }
    );
    assert_eq!(s.t.pending_reversal(), None);
    let key = TxKey {
        terminal_id: s.t.config().terminal_id().into(),
        batch: s.t.batch(),
        stan: lost,
    };
    let mut host = s.acq.host.lock().unwrap();
    let record = host.ledger().transaction(&key).unwrap().unwrap();
    assert!(record.state.reversed);
    let rows = statement::rows(host.ledger()).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].rrn, kept.record.rrn.as_str());
    drop(host);
    s.assert_books_agree();

    // A reversal of it again: nothing changes.
    let again = s.link.sent[0].clone();
    assert_eq!(s.link.resend(&again), ResponseCode::Approved);
    assert_eq!(s.acq.balance(&pan), opening - 2_500);
    s.settle_balanced();
    s.assert_books_agree();
}
