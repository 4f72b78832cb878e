//! The typed CUPS request builder reproduces the published purchase and the messages in
//! spec-vectors/iso8583-cups.json; replies read back typed.

use cardwire_emv::hex::{Hex, decode_to_vec};
use cardwire_iso8583::cups::{Original, Reply, Request, SettlementTotals, Totals, Transaction};
use cardwire_iso8583::{Message, specs};

use super::vector_hex;

const TID: &str = "16688014";
const MID: &str = "102581053110001";
const T2: &str = "4392260009942820D131210112008439";
const PAN: &str = "4392260009942820";
const PIN: [u8; 8] = [0xAC, 0xF4, 0x6E, 0x73, 0x83, 0x8A, 0x82, 0xF9];

fn vector(id: &str) -> Vec<u8> {
    vector_hex("iso8583-cups.json", id)
}

fn arqc() -> Vec<u8> {
    vector_hex("tlv.json", "field55-arqc-17")
}

/// Encodes, then copies the MAC of the vector into field 64 (the MAC itself is the crypto
/// crate's business): everything else must match byte for byte.
fn encode_like(req: Request<'_>, expected: &[u8]) -> Vec<u8> {
    let mut buf = [0u8; 512];
    let done = req.encode(&mut buf).unwrap();
    let mut out = buf[..done.len].to_vec();
    if let Some(mac) = done.mac.clone() {
        assert_eq!(done.mab(), Some(0..mac.start));
        out[mac.clone()].copy_from_slice(&expected[mac]);
    }
    out
}

fn check(req: Request<'_>, id: &str, t: Transaction) {
    let expected = vector(id);
    assert_eq!(
        Hex(&encode_like(req, &expected)).to_string(),
        Hex(&expected).to_string(),
        "{id}"
    );
    let msg = Message::decode(&specs::CUPS, &expected).unwrap();
    assert_eq!(Transaction::of(&msg), Some(t), "{id}");
}

#[test]
fn the_published_purchase_comes_out_of_the_builder() {
    let published = decode_to_vec(
        "0200302004C020C0981100000000000000005100183402100006324392260009942820D1312101120084\
         393136363838303134303030303030303030303030303031313536ACF46E73838A82F92600000000000000\
         00082200000138413945393142 38"
            .replace(' ', "")
            .as_str(),
    )
    .unwrap();
    let req = Request::new(Transaction::Purchase, "16688014", "000000000000001")
        .stan(1834)
        .batch(1)
        .amount(51)
        .entry_mode("021")
        .pin_capture("06")
        .track2(T2)
        .currency("156")
        .pin_block(&PIN)
        .security("2600000000000000")
        .with_mac();
    assert_eq!(encode_like(req, &published), published);
}

#[test]
fn every_transaction_type_builds_its_vector() {
    let icc = arqc();
    let mut icc_padded = icc.clone();
    icc_padded.push(0);
    check(
        Request::new(Transaction::SignIn, TID, MID)
            .stan(1)
            .batch(1)
            .operator("001"),
        "cups-sign-in",
        Transaction::SignIn,
    );
    check(
        Request::new(Transaction::SignOut, TID, MID)
            .stan(99)
            .batch(1),
        "cups-sign-out",
        Transaction::SignOut,
    );
    check(
        Request::new(Transaction::EchoTest, TID, MID)
            .stan(100)
            .batch(1),
        "cups-echo-test",
        Transaction::EchoTest,
    );
    let swiped = |t, stan| {
        Request::new(t, TID, MID)
            .stan(stan)
            .batch(1)
            .entry_mode("021")
            .pin_capture("06")
            .track2(T2)
            .currency("156")
            .pin_block(&PIN)
            .security("2600000000000000")
            .with_mac()
    };
    check(
        swiped(Transaction::Balance, 2),
        "cups-balance",
        Transaction::Balance,
    );
    check(
        Request::new(Transaction::Purchase, TID, MID)
            .pan(PAN)
            .amount(10000)
            .stan(3)
            .batch(1)
            .entry_mode("051")
            .card_sequence("001")
            .pin_capture("06")
            .track2(T2)
            .currency("156")
            .pin_block(&PIN)
            .security("2600000000000000")
            .icc(&icc_padded)
            .with_mac(),
        "cups-purchase-ic",
        Transaction::Purchase,
    );
    check(
        swiped(Transaction::PurchaseVoid, 4)
            .pan(PAN)
            .amount(10000)
            .rrn("112515304000")
            .original(Original {
                batch: 1,
                stan: 3,
                date: 0,
            }),
        "cups-purchase-void",
        Transaction::PurchaseVoid,
    );
    check(
        Request::new(Transaction::Refund, TID, MID)
            .pan(PAN)
            .amount(5000)
            .stan(5)
            .batch(1)
            .entry_mode("051")
            .card_sequence("001")
            .track2(T2)
            .rrn("112515304000")
            .currency("156")
            .original(Original {
                batch: 1,
                stan: 3,
                date: 1125,
            })
            .with_mac(),
        "cups-refund",
        Transaction::Refund,
    );
    check(
        Request::new(Transaction::PreAuth, TID, MID)
            .pan(PAN)
            .amount(50000)
            .stan(6)
            .batch(1)
            .expiry("3112")
            .entry_mode("051")
            .card_sequence("001")
            .pin_capture("06")
            .track2(T2)
            .currency("156")
            .pin_block(&PIN)
            .security("2600000000000000")
            .icc(&icc)
            .with_mac(),
        "cups-pre-auth",
        Transaction::PreAuth,
    );
    let pre = |t, stan, amount| {
        swiped(t, stan)
            .pan(PAN)
            .amount(amount)
            .expiry("3112")
            .auth_code("A12346")
    };
    check(
        pre(Transaction::PreAuthVoid, 7, 50000).original(Original {
            batch: 1,
            stan: 6,
            date: 1125,
        }),
        "cups-pre-auth-void",
        Transaction::PreAuthVoid,
    );
    check(
        pre(Transaction::PreAuthCompletion, 8, 48000).original(Original {
            batch: 1,
            stan: 6,
            date: 1125,
        }),
        "cups-pre-auth-completion",
        Transaction::PreAuthCompletion,
    );
    check(
        pre(Transaction::PreAuthCompletionVoid, 9, 48000)
            .rrn("112515310000")
            .original(Original {
                batch: 1,
                stan: 8,
                date: 0,
            }),
        "cups-pre-auth-completion-void",
        Transaction::PreAuthCompletionVoid,
    );
    check(
        Request::new(Transaction::Purchase, TID, MID)
            .reversal("98")
            .amount(10000)
            .stan(3)
            .batch(1)
            .entry_mode("051")
            .card_sequence("001")
            .track2(T2)
            .currency("156")
            .icc(&icc_padded)
            .original(Original {
                batch: 1,
                stan: 3,
                date: 1125,
            })
            .with_mac(),
        "cups-reversal",
        Transaction::Purchase,
    );
    let totals = SettlementTotals {
        domestic: Totals {
            debit_amount: 10000,
            debit_count: 1,
            credit_amount: 5000,
            credit_count: 1,
            result: 0,
        },
        foreign: Totals::default(),
    };
    check(
        Request::new(Transaction::Settlement, TID, MID)
            .stan(10)
            .batch(1)
            .settlement(totals)
            .currency("156")
            .operator("001"),
        "cups-settlement",
        Transaction::Settlement,
    );
    check(
        Request::new(Transaction::BatchUpload, TID, MID)
            .pan(PAN)
            .amount(10000)
            .stan(11)
            .batch(1)
            .currency("156"),
        "cups-batch-upload",
        Transaction::BatchUpload,
    );
    check(
        Request::new(Transaction::BatchUploadEnd, TID, MID)
            .stan(12)
            .batch(1),
        "cups-batch-upload-end",
        Transaction::BatchUploadEnd,
    );
    check(
        Request::new(Transaction::TcUpload, TID, MID)
            .pan(PAN)
            .amount(10000)
            .stan(13)
            .batch(1)
            .time("153040")
            .date("1125")
            .entry_mode("051")
            .card_sequence("001")
            .currency("156")
            .icc(&icc)
            .operator("CUP"),
        "cups-tc-upload",
        Transaction::TcUpload,
    );
    let script =
        decode_to_vec("9F3303E0F8C89F1A0201569F5B0520000000019F26088A4B12903C7155E2").unwrap();
    check(
        Request::new(Transaction::ScriptResult, TID, MID)
            .pan(PAN)
            .amount(10000)
            .stan(14)
            .batch(1)
            .entry_mode("051")
            .card_sequence("001")
            .rrn("112515304000")
            .currency("156")
            .icc(&script)
            .original(Original {
                batch: 1,
                stan: 3,
                date: 1125,
            })
            .with_mac(),
        "cups-script-result",
        Transaction::ScriptResult,
    );
}

#[test]
fn replies_read_back_typed() {
    let signin = vector("cups-sign-in-reply");
    let msg = Message::decode(&specs::CUPS, &signin).unwrap();
    let r = Reply(&msg);
    assert!(r.approved());
    assert_eq!(r.batch(), Some(2));
    assert_eq!(r.working_keys().unwrap().len(), 40);
    assert_eq!(
        Hex(&r.working_keys().unwrap()[20..28]).to_string(),
        "96D605EA176B7E9E"
    );
    let balance = vector("cups-balance-reply");
    let msg = Message::decode(&specs::CUPS, &balance).unwrap();
    assert_eq!(Reply(&msg).balance(), Some(123_456));
    assert_eq!(Transaction::of(&msg), Some(Transaction::Balance));
    let purchase = vector("cups-purchase-reply");
    let msg = Message::decode(&specs::CUPS, &purchase).unwrap();
    let r = Reply(&msg);
    assert_eq!(
        (r.rrn(), r.auth_code(), r.stan()),
        (Some("112515304000"), Some("A12345"), Some(3))
    );
    assert_eq!(
        msg.field(63).unwrap().subfield(1).unwrap().to_string(),
        "CUP"
    );
    let settle = vector("cups-settlement-reply");
    let msg = Message::decode(&specs::CUPS, &settle).unwrap();
    let totals = Reply(&msg).settlement().unwrap();
    assert_eq!(totals.domestic.debit_amount, 10000);
    assert_eq!(totals.domestic.credit_count, 1);
    assert_eq!((totals.domestic.result, totals.foreign.result), (1, 1));
    assert_eq!(
        SettlementTotals::from_message(&msg)
            .unwrap()
            .to_digits()
            .len(),
        62
    );
}

#[test]
fn codes_are_distinct_and_reversals_are_recognised() {
    for (i, a) in Transaction::ALL.iter().enumerate() {
        for b in &Transaction::ALL[i + 1..] {
            let (x, y) = (a.codes(), b.codes());
            assert!(
                (x.mti, x.processing, x.condition, x.type_code, x.network)
                    != (y.mti, y.processing, y.condition, y.type_code, y.network),
                "{a} and {b} share their codes"
            );
        }
    }
    let reversal = vector("cups-reversal");
    let msg = Message::decode(&specs::CUPS, &reversal).unwrap();
    assert!(cardwire_iso8583::cups::is_reversal(&msg));
    // A request whose field does not fit gives the field's path.
    let mut buf = [0u8; 256];
    let err = Request::new(Transaction::Purchase, "TOO-LONG-TID", MID)
        .encode(&mut buf)
        .unwrap_err();
    assert_eq!(err.path().to_string(), "41");
    let err = Request::new(Transaction::Purchase, TID, MID)
        .amount(10)
        .track2("4392X")
        .encode(&mut buf)
        .unwrap_err();
    assert_eq!(err.path().to_string(), "35");
}

#[test]
fn enciphered_tracks_travel_as_hex_nibbles_in_their_variants_only() {
    // A track enciphered in place: its nibbles are any of 0-F, its length still in digits.
    let enc = "4392260009942820D13A9F0C2E7B18B4E9";
    for spec in [&specs::CUPS_ENC_TRACK, &specs::CUPS_SM4] {
        let mut buf = [0u8; 256];
        let done = Request::new(Transaction::Purchase, TID, MID)
            .spec(spec)
            .stan(1)
            .batch(1)
            .track2(enc)
            .track3("99ABCDEF0123456789D")
            .encode(&mut buf)
            .unwrap();
        let msg = Message::decode(spec, &buf[..done.len]).unwrap();
        let read = |n| msg.get(n).unwrap().chars().collect::<String>();
        assert_eq!(read(35), enc);
        assert_eq!(read(36), "99ABCDEF0123456789D");
        // Packed as BCD nibbles behind a length in digits: 34 digits in 17 bytes.
        let at = buf[..done.len]
            .windows(2)
            .position(|w| w == [0x34, 0x43])
            .unwrap();
        assert_eq!(&buf[at + 9..at + 12], &[0xD1, 0x3A, 0x9F]);
    }
    // The clear-track spec refuses hex letters other than the separator.
    let mut buf = [0u8; 256];
    let refused = Request::new(Transaction::Purchase, TID, MID)
        .stan(1)
        .batch(1)
        .track2(enc)
        .encode(&mut buf);
    assert!(refused.is_err());
}
