//! The terminal against a scripted host: every request type under the CUPS spec, MACs,
//! sign-in keys, reversal, journal and settlement.

use cardwire_crypto::cups::{MacAlgorithm, verify_sign_in_proof};
use cardwire_crypto::pin::Pin;
use cardwire_iso8583::cups::{Reply, SettlementTotals, Transaction};
use cardwire_pos::card::CardData;
use cardwire_pos::terminal::{Outcome, Reference};
use cardwire_pos::{ErrorKind, ResponseCode};
use cardwire_testkit::Fixtures;
use cardwire_testkit::fake_host::*;

const SWIPE: &str = "6214830012345673=29122200000000000";

fn pin(p: &str) -> Pin {
    Pin::new(p).unwrap()
}

fn signed_in() -> (cardwire_pos::Terminal<16>, FakeHost) {
    let f = Fixtures::load().unwrap();
    let mut t = f.pos_terminal::<16>("noodle-1");
    let mut host = FakeHost::new(&f);
    sign_in(&mut t, &mut host);
    (t, host)
}

/// Sends what the terminal wrote to the host and hands the reply back.
fn round_trip(t: &mut cardwire_pos::Terminal<16>, host: &mut FakeHost, out: &[u8]) -> Outcome {
    let reply = host.answer(out);
    t.on_reply(&reply).unwrap()
}

fn approved(o: Outcome) -> cardwire_pos::terminal::Approval {
    match o {
        Outcome::Approved(a) => a,
        other => panic!("not approved: {other:?}"),
    }
}

#[test]
fn sign_in_request_and_working_keys() {
    let f = Fixtures::load().unwrap();
    let mut t = f.pos_terminal::<16>("noodle-1");
    let mut host = FakeHost::new(&f);
    let mut out = [0u8; 256];
    // Nothing financial before sign-in.
    let card = CardData::swipe(SWIPE).unwrap();
    let err = t
        .purchase(&card, 100, Some(&pin("123456")), now(), &mut out)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotSignedIn);

    let sent = t.sign_in(now(), &mut out).unwrap();
    let msg = decode(&out[..sent.len]);
    assert_eq!(msg.mti().to_u16(), 800);
    assert_eq!(Transaction::of(&msg), Some(Transaction::SignIn));
    assert_eq!(msg.get(41).unwrap().to_string(), "10580001");
    assert_eq!(msg.get(42).unwrap().to_string(), "898310058121234");
    let f60 = msg.field(60).unwrap();
    assert_eq!(f60.subfield(1).unwrap().to_string(), "00");
    assert_eq!(f60.subfield(2).unwrap().to_string(), "000001");
    assert_eq!(f60.subfield(3).unwrap().to_string(), "003");
    assert_eq!(msg.field(62).unwrap().bytes(), Some(&b"CWPOS-0001"[..]));
    let frame = cardwire_iso8583::frame::FrameFormat::CUPS
        .read(&out[..sent.len])
        .unwrap();
    let cardwire_iso8583::frame::Progress::Complete(frame) = frame else {
        panic!()
    };
    assert_eq!(
        frame.tpdu.unwrap().to_bytes(),
        [0x60, 0x00, 0x03, 0x00, 0x00]
    );
    // Field 64 proves the device: the retail MAC under the key derived from its TMK.
    verify_sign_in_proof(&host.tmk, msg.mab().unwrap(), msg.mac().unwrap().value()).unwrap();

    // A field 62 with a wrong check value is refused: still not signed in.
    let mut bad = host.field62();
    bad[16] ^= 1;
    let reply = host.reply(&msg, "00", &[(62, bad)], false);
    let err = t.on_reply(&reply).unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Crypto(_)), "{err}");
    assert_eq!(err.field(), Some(62));
    assert!(!t.is_signed_in());

    let sent = t.sign_in(now(), &mut out).unwrap();
    let reply = host.answer(&out[..sent.len]);
    assert_eq!(t.on_reply(&reply).unwrap(), Outcome::SignedIn { batch: 7 });
    assert_eq!(t.batch(), 7);
}

#[test]
fn every_request_type_has_its_codes_and_a_valid_mac() {
    let (mut t, mut host) = signed_in();
    let mut out = [0u8; 512];
    let card = CardData::swipe(SWIPE).unwrap();
    let p = pin("123456");
    let check = |out: &[u8],
                 want: Transaction,
                 mti: u16,
                 f3: Option<&str>,
                 f25: Option<&str>,
                 t60: &str,
                 host: &FakeHost| {
        let msg = decode(out);
        assert_eq!(Transaction::of(&msg), Some(want), "{want:?}");
        assert_eq!(msg.mti().to_u16(), mti, "{want:?}");
        assert_eq!(msg.get(3).map(|c| c.to_string()).as_deref(), f3, "{want:?}");
        assert_eq!(
            msg.get(25).map(|c| c.to_string()).as_deref(),
            f25,
            "{want:?}"
        );
        assert_eq!(
            msg.field(60).unwrap().subfield(1).unwrap().to_string(),
            t60,
            "{want:?}"
        );
        MacAlgorithm::RetailX919
            .verify_field64(&host.mak, msg.mab().unwrap(), msg.mac().unwrap().value())
            .unwrap();
    };

    let s = t.balance(&card, Some(&p), now(), &mut out).unwrap();
    check(
        &out[..s.len],
        Transaction::Balance,
        200,
        Some("310000"),
        Some("00"),
        "01",
        &host,
    );
    let o = round_trip(&mut t, &mut host, &out[..s.len]);
    assert_eq!(
        o,
        Outcome::Balance {
            balance: Some(123_456)
        }
    );

    let s = t.purchase(&card, 1234, Some(&p), now(), &mut out).unwrap();
    check(
        &out[..s.len],
        Transaction::Purchase,
        200,
        Some("000000"),
        Some("00"),
        "22",
        &host,
    );
    let msg = decode(&out[..s.len]);
    assert_eq!(msg.get(22).unwrap().to_string(), "021");
    assert_eq!(
        msg.get(35).unwrap().to_string(),
        "6214830012345673D29122200000000000"
    );
    assert_eq!(msg.get(53).unwrap().to_string(), "2600000000000000");
    assert_eq!(msg.get(4).unwrap().to_u64(), Some(1234));
    let purchase = approved(round_trip(&mut t, &mut host, &out[..s.len])).record;

    let s = t
        .void(purchase.stan, Some(&card), Some(&p), now(), &mut out)
        .unwrap();
    check(
        &out[..s.len],
        Transaction::PurchaseVoid,
        200,
        Some("200000"),
        Some("00"),
        "23",
        &host,
    );
    let msg = decode(&out[..s.len]);
    assert_eq!(msg.get(37).unwrap().to_string(), purchase.rrn.as_str());
    let f61 = msg.field(61).unwrap();
    assert_eq!(
        f61.subfield(2).unwrap().to_u64(),
        Some(u64::from(purchase.stan))
    );
    approved(round_trip(&mut t, &mut host, &out[..s.len]));
    assert!(t.journal().find(purchase.stan).unwrap().voided);
    // A second void of the same purchase is refused before anything is sent.
    assert_eq!(
        t.void(purchase.stan, None, None, now(), &mut out)
            .unwrap_err()
            .kind(),
        ErrorKind::NotFound
    );

    let r = Reference::of(&purchase);
    let s = t.refund(&r, &card, 500, Some(&p), now(), &mut out).unwrap();
    check(
        &out[..s.len],
        Transaction::Refund,
        220,
        Some("200000"),
        Some("00"),
        "25",
        &host,
    );
    assert_eq!(
        decode(&out[..s.len])
            .field(61)
            .unwrap()
            .subfield(3)
            .unwrap()
            .to_string(),
        "1126"
    );
    approved(round_trip(&mut t, &mut host, &out[..s.len]));

    let s = t.pre_auth(&card, 9000, Some(&p), now(), &mut out).unwrap();
    check(
        &out[..s.len],
        Transaction::PreAuth,
        100,
        Some("030000"),
        Some("06"),
        "10",
        &host,
    );
    let auth = approved(round_trip(&mut t, &mut host, &out[..s.len])).record;
    let r = Reference::of(&auth);

    let s = t
        .pre_auth_completion(&r, &card, 8000, Some(&p), now(), &mut out)
        .unwrap();
    check(
        &out[..s.len],
        Transaction::PreAuthCompletion,
        200,
        Some("000000"),
        Some("06"),
        "20",
        &host,
    );
    assert_eq!(
        decode(&out[..s.len]).get(38).unwrap().to_string(),
        auth.auth_code.as_str()
    );
    let completion = approved(round_trip(&mut t, &mut host, &out[..s.len])).record;

    let s = t
        .completion_void(completion.stan, Some(&card), Some(&p), now(), &mut out)
        .unwrap();
    check(
        &out[..s.len],
        Transaction::PreAuthCompletionVoid,
        200,
        Some("200000"),
        Some("06"),
        "21",
        &host,
    );
    approved(round_trip(&mut t, &mut host, &out[..s.len]));

    let s = t
        .pre_auth_void(&r, &card, 9000, Some(&p), now(), &mut out)
        .unwrap();
    check(
        &out[..s.len],
        Transaction::PreAuthVoid,
        100,
        Some("200000"),
        Some("06"),
        "11",
        &host,
    );
    approved(round_trip(&mut t, &mut host, &out[..s.len]));

    let s = t
        .script_result(
            purchase.stan,
            &[0xDF, 0x31, 0x05, 0x20, 0, 0, 0, 0],
            now(),
            &mut out,
        )
        .unwrap();
    check(
        &out[..s.len],
        Transaction::ScriptResult,
        620,
        Some("190000"),
        Some("00"),
        "22",
        &host,
    );
    assert_eq!(
        round_trip(&mut t, &mut host, &out[..s.len]),
        Outcome::Acknowledged
    );

    // Settlement: the journal's totals in field 48; the host says unbalanced → batch upload.
    host.settle_result = 2;
    let s = t.settle(now(), &mut out).unwrap();
    check(
        &out[..s.len],
        Transaction::Settlement,
        500,
        None,
        None,
        "00",
        &host,
    );
    let sent_totals = SettlementTotals::from_message(&decode(&out[..s.len])).unwrap();
    // The purchase and the completion were voided: they and their voids count nowhere; the
    // refund of 500 is the one credit.
    let d = sent_totals.domestic;
    assert_eq!((d.debit_amount, d.debit_count), (0, 0));
    assert_eq!((d.credit_amount, d.credit_count), (500, 1));
    match round_trip(&mut t, &mut host, &out[..s.len]) {
        Outcome::Settled {
            balanced: false,
            totals,
        } => assert_eq!(totals, sent_totals),
        other => panic!("{other:?}"),
    }
    let records = t.journal().len();
    for i in 0..records {
        let s = t.batch_upload(now(), &mut out).unwrap();
        check(
            &out[..s.len],
            Transaction::BatchUpload,
            320,
            None,
            None,
            "00",
            &host,
        );
        let msg = decode(&out[..s.len]);
        assert_eq!(
            msg.field(60).unwrap().subfield(3).unwrap().to_string(),
            "201"
        );
        assert_eq!(
            round_trip(&mut t, &mut host, &out[..s.len]),
            Outcome::Uploaded {
                remaining: records - i - 1
            }
        );
    }
    let batch = t.batch();
    let s = t.batch_upload(now(), &mut out).unwrap();
    check(
        &out[..s.len],
        Transaction::BatchUploadEnd,
        320,
        None,
        None,
        "00",
        &host,
    );
    assert_eq!(
        round_trip(&mut t, &mut host, &out[..s.len]),
        Outcome::BatchClosed { batch: batch + 1 }
    );
    assert!(t.journal().is_empty());
}

#[test]
fn balanced_settlement_closes_the_batch() {
    let (mut t, mut host) = signed_in();
    let mut out = [0u8; 512];
    let card = CardData::swipe(SWIPE).unwrap();
    let s = t
        .purchase(&card, 2500, Some(&pin("123456")), now(), &mut out)
        .unwrap();
    approved(round_trip(&mut t, &mut host, &out[..s.len]));
    let s = t.settle(now(), &mut out).unwrap();
    let o = round_trip(&mut t, &mut host, &out[..s.len]);
    assert!(
        matches!(o, Outcome::Settled { balanced: true, .. }),
        "{o:?}"
    );
    assert_eq!(t.batch(), 8);
    assert!(t.journal().is_empty());
    assert_eq!(
        t.batch_upload(now(), &mut out).unwrap_err().kind(),
        ErrorKind::NothingPending
    );
}

#[test]
fn a_reply_with_a_bad_mac_is_not_accepted_and_the_purchase_is_reversed() {
    let (mut t, mut host) = signed_in();
    let mut out = [0u8; 512];
    let card = CardData::swipe(SWIPE).unwrap();
    let s = t
        .purchase(&card, 777, Some(&pin("123456")), now(), &mut out)
        .unwrap();
    let mut reply = host.answer(&out[..s.len]);
    let last = reply.len() - 1;
    reply[last] ^= 0x01; // one MAC character
    let err = t.on_reply(&reply).unwrap_err();
    assert_eq!((err.kind(), err.field()), (ErrorKind::Mac, Some(64)));
    assert!(t.journal().is_empty());
    assert_eq!(t.pending_reversal(), Some((Transaction::Purchase, s.stan)));

    // A tampered amount with the old MAC fails the same way.
    let s2 = t
        .purchase(&card, 777, Some(&pin("123456")), now(), &mut out)
        .unwrap();
    assert!(s2.reversal);
    let msg = decode(&out[..s2.len]);
    assert_eq!(msg.mti().to_u16(), 400);
    assert_eq!(msg.get(39).unwrap().to_string(), "A0");
    assert_eq!(msg.get(11).unwrap().to_u64(), Some(u64::from(s.stan)));
    assert!(msg.field(52).is_none() && msg.field(35).is_none());
    let mut reply = host.answer(&out[..s2.len]);
    // The amount is in the echoed field 4: change one digit, keep the MAC.
    let msg_at = 13;
    let reply_msg = decode(&reply);
    let f4 = reply_msg.field(4).unwrap().value_offset();
    reply[msg_at + f4 + 5] ^= 0x01;
    assert_eq!(t.on_reply(&reply).unwrap_err().kind(), ErrorKind::Mac);
    // The reversal is still pending.
    assert_eq!(t.pending_reversal(), Some((Transaction::Purchase, s.stan)));
}

#[test]
fn timeout_then_the_next_transaction_sends_the_reversal_first() {
    let (mut t, mut host) = signed_in();
    let mut out = [0u8; 512];
    let card = CardData::swipe(SWIPE).unwrap();
    let p = pin("123456");
    assert_eq!(
        t.on_timeout().unwrap_err().kind(),
        ErrorKind::NothingPending
    );
    let lost = t.purchase(&card, 4321, Some(&p), now(), &mut out).unwrap();
    assert_eq!(
        t.purchase(&card, 1, Some(&p), now(), &mut out)
            .unwrap_err()
            .kind(),
        ErrorKind::Busy
    );
    assert!(t.on_timeout().unwrap());
    assert!(t.journal().is_empty());

    let s = t.purchase(&card, 1000, Some(&p), now(), &mut out).unwrap();
    assert!(s.reversal);
    assert_eq!((s.transaction, s.stan), (Transaction::Purchase, lost.stan));
    let msg = decode(&out[..s.len]);
    assert_eq!(msg.mti().to_u16(), 400);
    assert_eq!(Transaction::of(&msg), Some(Transaction::Purchase));
    assert_eq!(msg.get(39).unwrap().to_string(), "98");
    assert_eq!(msg.get(4).unwrap().to_u64(), Some(4321));
    assert_eq!(msg.get(3).unwrap().to_string(), "000000");

    // The reversal times out too: still pending, sent again.
    assert!(t.on_timeout().unwrap());
    let s = t.purchase(&card, 1000, Some(&p), now(), &mut out).unwrap();
    assert!(s.reversal);
    // Declined: still pending.
    let req = decode(&out[..s.len]);
    let declined = host.reply(&req, "96", &[], true);
    assert!(matches!(
        t.on_reply(&declined).unwrap(),
        Outcome::Declined {
            reversal: true,
            code: ResponseCode::SystemError,
            ..
        }
    ));
    assert!(t.pending_reversal().is_some());
    let s = t.purchase(&card, 1000, Some(&p), now(), &mut out).unwrap();
    assert!(s.reversal);
    assert_eq!(
        round_trip(&mut t, &mut host, &out[..s.len]),
        Outcome::Reversed {
            transaction: Transaction::Purchase,
            stan: lost.stan
        }
    );
    assert_eq!(t.pending_reversal(), None);

    // Now the purchase itself, with a new STAN.
    let s = t.purchase(&card, 1000, Some(&p), now(), &mut out).unwrap();
    assert!(!s.reversal);
    assert_eq!(s.stan, lost.stan + 1);
    let a = approved(round_trip(&mut t, &mut host, &out[..s.len]));
    assert_eq!(a.record.amount, 1000);
    assert_eq!(t.journal().len(), 1);

    // A refund that times out is not reversed (it is an advice).
    let r = Reference::of(&a.record);
    t.refund(&r, &card, 10, Some(&p), now(), &mut out).unwrap();
    assert!(!t.on_timeout().unwrap());
}

#[test]
fn a_reply_to_something_else_is_refused_and_the_request_keeps_waiting() {
    let (mut t, mut host) = signed_in();
    let mut out = [0u8; 512];
    let card = CardData::swipe(SWIPE).unwrap();
    let s = t
        .purchase(&card, 10, Some(&pin("123456")), now(), &mut out)
        .unwrap();
    let reply = host.answer(&out[..s.len]);
    // Same reply under another STAN: rebuild from a request with STAN + 1.
    let msg = decode(&out[..s.len]);
    let mut other = out[..s.len].to_vec();
    let stan_at = 13 + msg.field(11).unwrap().value_offset();
    other[stan_at + 2] ^= 0x01;
    let other_msg = decode(&other);
    let wrong = host.reply(&other_msg, "00", &[], true);
    assert_eq!(
        t.on_reply(&wrong).unwrap_err().kind(),
        ErrorKind::UnexpectedReply
    );
    assert_eq!(
        t.on_reply(&reply[..reply.len() - 1]).unwrap_err().kind(),
        ErrorKind::UnexpectedReply
    );
    assert!(matches!(
        t.on_reply(&[0, 3, 1, 2, 3]).unwrap_err().kind(),
        ErrorKind::Message(_)
    ));
    assert_eq!(t.waiting(), Some((Transaction::Purchase, s.stan)));
    approved(t.on_reply(&reply).unwrap());
    assert_eq!(
        t.on_reply(&reply).unwrap_err().kind(),
        ErrorKind::NothingPending
    );
}

#[test]
fn declines_and_wrong_pin() {
    let (mut t, mut host) = signed_in();
    let mut out = [0u8; 512];
    let card = CardData::swipe(SWIPE).unwrap();
    let s = t
        .purchase(&card, 10, Some(&pin("654321")), now(), &mut out)
        .unwrap();
    let o = round_trip(&mut t, &mut host, &out[..s.len]);
    assert_eq!(
        o,
        Outcome::Declined {
            transaction: Transaction::Purchase,
            reversal: false,
            stan: s.stan,
            code: ResponseCode::IncorrectPin
        }
    );
    assert!(t.journal().is_empty());
    assert_eq!(t.pending_reversal(), None);
    // A debit card needs its PIN.
    assert_eq!(
        t.purchase(&card, 10, None, now(), &mut out)
            .unwrap_err()
            .kind(),
        ErrorKind::PinRequired
    );
    assert_eq!(
        t.purchase(&card, 0, Some(&pin("123456")), now(), &mut out)
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidInput
    );
    // An A0 decline may come without a MAC.
    let s = t
        .purchase(&card, 10, Some(&pin("123456")), now(), &mut out)
        .unwrap();
    let req = decode(&out[..s.len]);
    let a0 = host.reply(&req, "A0", &[], false);
    assert!(matches!(
        t.on_reply(&a0).unwrap(),
        Outcome::Declined {
            code: ResponseCode::MacFailed,
            ..
        }
    ));
    // So may a 03: the host does not know the terminal.
    let s = t
        .purchase(&card, 10, Some(&pin("123456")), now(), &mut out)
        .unwrap();
    let req = decode(&out[..s.len]);
    let unknown = host.reply(&req, "03", &[], false);
    assert!(matches!(
        t.on_reply(&unknown).unwrap(),
        Outcome::Declined {
            code: ResponseCode::InvalidMerchant,
            ..
        }
    ));
    // Any other reply without a MAC is not accepted.
    let s = t
        .purchase(&card, 10, Some(&pin("123456")), now(), &mut out)
        .unwrap();
    let req = decode(&out[..s.len]);
    let bare = host.reply(&req, "00", &[], false);
    assert_eq!(t.on_reply(&bare).unwrap_err().kind(), ErrorKind::Mac);
    assert!(t.pending_reversal().is_some());
}

#[test]
fn stan_wraps_and_the_journal_fills() {
    let (mut t, mut host) = signed_in();
    let mut out = [0u8; 512];
    t.resume(3, 999_998).unwrap();
    let card = CardData::swipe(SWIPE).unwrap();
    let p = pin("123456");
    let mut stans = Vec::new();
    for _ in 0..16 {
        let s = t.purchase(&card, 100, Some(&p), now(), &mut out).unwrap();
        stans.push(s.stan);
        approved(round_trip(&mut t, &mut host, &out[..s.len]));
    }
    assert_eq!(&stans[..3], &[999_999, 1, 2]);
    assert_eq!(t.journal().totals().domestic.debit_amount, 1600);
    // Sixteen records fill this journal: settle first.
    assert_eq!(
        t.purchase(&card, 100, Some(&p), now(), &mut out)
            .unwrap_err()
            .kind(),
        ErrorKind::Full
    );
    assert!(t.resume(0, 1).is_err());
    let s = t.settle(now(), &mut out).unwrap();
    let o = round_trip(&mut t, &mut host, &out[..s.len]);
    assert!(matches!(o, Outcome::Settled { balanced: true, .. }));
    let reply_batch = decode(&out[..s.len])
        .field(60)
        .unwrap()
        .subfield(2)
        .unwrap()
        .to_u64();
    assert_eq!(reply_batch, Some(3));
    assert_eq!(t.batch(), 4);
}

#[test]
fn quote_and_reply_fields() {
    let (t, _) = signed_in();
    let q = t.quote(12_345);
    assert_eq!((q.amount, q.fee, q.total), (12_345, 74, 12_345));
    let _ = Reply;
}

#[test]
fn dukpt_as_the_pin_key_source() {
    use cardwire_crypto::dukpt::tdes::{self, KeyVariant, Ksn};
    use cardwire_crypto::pin::{PinBlock, PinFormat};
    let (mut t, _) = signed_in();
    // The X9.24 test BDK and initial KSN (as in cardwire-crypto's DUKPT documentation).
    let bdk = key("0123456789ABCDEFFEDCBA9876543210");
    let iksn = Ksn::from_bytes(&hex_literal::hex!("FFFF9876543210E00000")).unwrap();
    t.use_dukpt(tdes::Terminal::new(&tdes::ipek(&bdk, &iksn).unwrap(), &iksn).unwrap());
    let card = CardData::swipe(SWIPE).unwrap();
    let mut out = [0u8; 512];
    let mut counters = Vec::new();
    for _ in 0..2 {
        let s = t
            .purchase(&card, 100, Some(&pin("123456")), now(), &mut out)
            .unwrap();
        let msg = decode(&out[..s.len]);
        let ksn = Ksn::from_bytes(msg.field(62).unwrap().bytes().unwrap()).unwrap();
        counters.push(ksn.counter());
        let pin_key = tdes::derive(&bdk, &ksn, KeyVariant::Pin).unwrap();
        let block: [u8; 8] = msg.field(52).unwrap().value().try_into().unwrap();
        let clear = PinBlock::decipher(&block, &pin_key);
        assert_eq!(
            clear
                .decode_as(PinFormat::Iso0, Some(card.pan()))
                .unwrap()
                .as_str(),
            "123456"
        );
        t.on_timeout().unwrap();
        t.discard_reversal();
    }
    assert_eq!(counters, [1, 2]);
    // A copy would reuse the register's next transaction keys: there is none.
    assert!(t.try_clone().is_none());
}

#[test]
fn a_copy_goes_on_from_the_same_state() {
    let (mut t, mut host) = signed_in();
    let card = CardData::swipe(SWIPE).unwrap();
    let mut out = [0u8; 512];
    let sent = t
        .purchase(&card, 100, Some(&pin("123456")), now(), &mut out)
        .unwrap();
    let request = out[..sent.len].to_vec();
    let mut copy = t.try_clone().unwrap();
    // Both wait for the same request's reply, under the same keys: both accept it.
    let reply = host.answer(&request);
    let a = approved(t.on_reply(&reply).unwrap());
    let b = approved(copy.on_reply(&reply).unwrap());
    assert_eq!((a.record.stan, a.record.rrn), (b.record.stan, b.record.rrn));
    // From there each keeps its own counters and journal.
    let next = copy
        .purchase(&card, 200, Some(&pin("123456")), now(), &mut out)
        .unwrap();
    assert_eq!(next.stan, sent.stan + 1);
    assert_eq!(t.journal().iter().count(), 1);
    assert!(copy.on_timeout().unwrap());
    assert!(t.on_timeout().is_err());
}

#[test]
fn receipts_print_the_merchant_number_the_host_settles_under() {
    use cardwire_pos::receipt::{Copy, Receipt};
    let (mut t, mut host) = signed_in();
    host.merchant_no = Some("898310054110001".into());
    let mut out = [0u8; 512];
    let card = CardData::swipe(SWIPE).unwrap();
    let s = t
        .purchase(&card, 880, Some(&pin("123456")), now(), &mut out)
        .unwrap();
    let a = approved(round_trip(&mut t, &mut host, &out[..s.len]));
    assert_eq!(a.record.merchant_no.as_str(), "898310054110001");
    let slip = Receipt::new(t.config(), &a.record, Copy::Merchant).to_string();
    assert!(
        slip.contains("898310054110001") && slip.contains("A Noodle Shop"),
        "{slip}"
    );
    assert!(slip.contains("621483******5673 (S)") && !slip.contains("6214830012345673"));
    assert!(slip.contains("RMB 8.80"));
}

#[test]
fn echo_test_and_sign_out() {
    let (mut t, mut host) = signed_in();
    let mut out = [0u8; 256];
    let s = t.echo_test(now(), &mut out).unwrap();
    let msg = decode(&out[..s.len]);
    assert_eq!(Transaction::of(&msg), Some(Transaction::EchoTest));
    assert_eq!(msg.mti().to_u16(), 820);
    assert_eq!(
        msg.field(60).unwrap().subfield(3).unwrap().to_string(),
        "301"
    );
    assert!(msg.mac().is_none());
    let reply = host.reply(&msg, "00", &[], false);
    assert_eq!(t.on_reply(&reply).unwrap(), Outcome::Acknowledged);
    let s = t.sign_out(now(), &mut out).unwrap();
    let msg = decode(&out[..s.len]);
    assert_eq!(Transaction::of(&msg), Some(Transaction::SignOut));
    let reply = host.reply(&msg, "00", &[], false);
    assert_eq!(t.on_reply(&reply).unwrap(), Outcome::SignedOut);
    assert!(!t.is_signed_in());
}

#[test]
fn transact_sends_the_reversal_first_then_the_transaction() {
    let (mut t, mut host) = signed_in();
    let card = CardData::swipe(SWIPE).unwrap();
    let p = pin("123456");
    let (mut out, mut reply) = ([0u8; 512], [0u8; 512]);
    // The host never answers the first purchase.
    let o = t
        .transact(
            &mut out,
            &mut reply,
            |t, out| t.purchase(&card, 300, Some(&p), now(), out),
            |_, _| Ok(None),
        )
        .unwrap();
    assert!(
        matches!(
            o,
            Outcome::NoReply {
                reversal: false,
                reversal_pending: true,
                ..
            }
        ),
        "{o:?}"
    );
    // The next one: reversal, then the purchase, in one call.
    let mut sent = Vec::new();
    let o = t
        .transact(
            &mut out,
            &mut reply,
            |t, out| t.purchase(&card, 400, Some(&p), now(), out),
            |req, rep| {
                sent.push(decode(req).mti().to_u16());
                let r = host.answer(req);
                rep[..r.len()].copy_from_slice(&r);
                Ok(Some(r.len()))
            },
        )
        .unwrap();
    assert_eq!(sent, [400, 200]);
    let a = approved(o);
    assert_eq!(a.record.amount, 400);
    assert_eq!(t.pending_reversal(), None);
    // A transport error: the request is treated as unanswered.
    let err = t
        .transact(
            &mut out,
            &mut reply,
            |t, out| t.purchase(&card, 500, Some(&p), now(), out),
            |_, _| Err(ErrorKind::Transport.into()),
        )
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Transport);
    assert!(t.pending_reversal().is_some());
}
