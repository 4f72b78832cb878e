//! Card reading against the simulated card, through the terminal to a scripted host that
//! checks the ARQC with the fixtures' issuer key: chip with PIN, tap under and over the
//! no-CVM limit, swipe, consumer- and merchant-presented QR, issuer authentication.

use cardwire_crypto::pin::Pin;
use cardwire_emv::qr::Mpm;
use cardwire_emv::tlv::{Reader, Tag};
use cardwire_pos::card::Interface;
use cardwire_pos::card::sim::track2;
use cardwire_pos::card::{CardData, CardReader, Entry, chip, qr};
use cardwire_pos::receipt::{Copy, Receipt};
use cardwire_pos::terminal::Outcome;
use cardwire_pos::{ErrorKind, Terminal};
use cardwire_testkit::Fixtures;
use cardwire_testkit::fake_host::*;

const UN: [u8; 4] = [0x12, 0x34, 0x56, 0x78];

fn tag(v: u32) -> Tag {
    Tag::from_u32(v).unwrap()
}

fn find(f55: &[u8], t: u32) -> Option<Vec<u8>> {
    Reader::new(f55)
        .find(tag(t))
        .unwrap()
        .map(|x| x.value().to_vec())
}

/// The terminal capabilities and TVR of a chip transaction's field 55: online PIN, signature
/// and no CVM, no offline PIN and no offline data authentication (the terminal performs
/// neither), and the TVR saying offline data authentication was not performed.
fn advertises_only_what_it_performs(f55: &[u8]) {
    use cardwire_emv::bits::{
        BitField, TerminalCapabilities, Tvr, terminal_capabilities as c, tvr,
    };
    let caps = TerminalCapabilities::from_array(find(f55, 0x9F33).unwrap().try_into().unwrap());
    let offered: Vec<_> = caps.flags().map(|f| f.key()).collect();
    assert_eq!(
        offered,
        [
            c::MANUAL_KEY_ENTRY.key(),
            c::MAGNETIC_STRIPE.key(),
            c::IC_WITH_CONTACTS.key(),
            c::ENCIPHERED_PIN_ONLINE.key(),
            c::SIGNATURE.key(),
            c::NO_CVM.key(),
        ]
    );
    for performed_nowhere in [
        c::SDA,
        c::DDA,
        c::CDA,
        c::PLAINTEXT_PIN_ICC,
        c::ENCIPHERED_PIN_OFFLINE,
    ] {
        assert!(!caps.contains(performed_nowhere), "{performed_nowhere:?}");
    }
    let tvr_value = Tvr::from_array(find(f55, 0x95).unwrap().try_into().unwrap());
    let set: Vec<_> = tvr_value.flags().collect();
    assert_eq!(set, [tvr::OFFLINE_DATA_AUTHENTICATION_NOT_PERFORMED]);
}

fn setup() -> (Fixtures, Terminal<16>, FakeHost) {
    let f = Fixtures::load().unwrap();
    let mut t = f.pos_terminal::<16>("noodle-1");
    let mut host = FakeHost::new(&f);
    sign_in(&mut t, &mut host);
    (f, t, host)
}

#[test]
fn chip_purchase_with_pin_and_issuer_authentication() {
    let (f, mut t, mut host) = setup();
    let mut card = f.sim_card("debit-chip", Interface::Contact);
    let params = t.emv_params(12_345, 0x00, now(), UN);
    let mut session = chip::read(&mut card, Interface::Contact, &params).unwrap();
    let data = session.card();
    assert_eq!(data.entry(), Entry::Chip);
    assert_eq!(data.pan(), "6214830012345673");
    assert_eq!(data.expiry(), Some("4912"));
    assert_eq!(data.sequence(), Some(1));
    assert_eq!(data.label(), "UnionPay Debit");
    assert!(data.pin_required());
    let f55 = data.icc().to_vec();
    // The brief's field 55 objects, in the usual order.
    let tags: Vec<u32> = Reader::new(&f55)
        .map(|t| t.unwrap().tag().to_u32())
        .collect();
    assert_eq!(
        tags,
        [
            0x9F26, 0x9F27, 0x9F10, 0x9F37, 0x9F36, 0x95, 0x9A, 0x9C, 0x9F02, 0x5F2A, 0x82, 0x9F1A,
            0x9F03, 0x9F33, 0x9F34, 0x9F35, 0x9F1E, 0x84, 0x9F09, 0x9F41, 0x5F34
        ]
    );
    assert_eq!(find(&f55, 0x9F02).unwrap(), [0, 0, 0, 1, 0x23, 0x45]);
    assert_eq!(find(&f55, 0x9F37).unwrap(), UN);
    assert_eq!(find(&f55, 0x9F36).unwrap(), [0, 1]);
    assert_eq!(find(&f55, 0x9F27).unwrap(), [0x80]);
    assert_eq!(find(&f55, 0x9F34).unwrap(), [0x02, 0x00, 0x00]);
    assert_eq!(
        find(&f55, 0x84).unwrap(),
        hex_literal::hex!("A000000333010101")
    );
    assert_eq!(find(&f55, 0x9F1E).unwrap(), b"POS-0001");
    advertises_only_what_it_performs(&f55);
    // The ARQC verifies with the issuer master key of the fixtures.
    host.verify_arqc(data.pan(), Some(1), &f55).unwrap();
    let mut tampered = f55.clone();
    let at = tampered.windows(2).position(|w| w == [0x9F, 0x02]).unwrap() + 7;
    tampered[at] ^= 1;
    assert!(host.verify_arqc(data.pan(), Some(1), &tampered).is_err());
    assert!(host.verify_arqc(data.pan(), Some(2), &f55).is_err());
    // Cross-checked with the pyemv 1.5.0 oracle (derive_icc_mk_a, derive_common_sk with
    // R = 0001000000000000, generate_ac over CDOL1 data ‖ 5800 ‖ 0001 ‖ 06010A03A00000; the
    // CDOL1 data carries TVR 8000000000).
    assert_eq!(
        find(&f55, 0x9F26).unwrap(),
        hex_literal::hex!("01D9B072B47EA600")
    );

    let mut out = [0u8; 512];
    let card_data = session.card().clone();
    assert_eq!(
        t.purchase(&card_data, 12_345, None, now(), &mut out)
            .unwrap_err()
            .kind(),
        ErrorKind::PinRequired
    );
    let s = t
        .purchase(
            &card_data,
            12_345,
            Some(&Pin::new("123456").unwrap()),
            now(),
            &mut out,
        )
        .unwrap();
    let msg = decode(&out[..s.len]);
    assert_eq!(msg.get(22).unwrap().to_string(), "051");
    assert_eq!(msg.get(23).unwrap().to_string(), "001");
    assert_eq!(msg.field(55).unwrap().value(), &f55[..]);
    let f60 = msg.field(60).unwrap();
    assert_eq!(f60.subfield(4).unwrap().to_string(), "6");
    let reply = host.answer(&out[..s.len]);
    assert_eq!(host.arqcs_verified, 1);
    let Outcome::Approved(a) = t.on_reply(&reply).unwrap() else {
        panic!()
    };
    let issuer_auth = a.issuer_authentication().unwrap().to_vec();
    assert_eq!(issuer_auth.len(), 10);
    assert_eq!(&issuer_auth[8..], b"00");
    let done = session
        .complete(&mut card, true, Some(&issuer_auth), *b"00")
        .unwrap();
    assert!(done.accepted);
    assert_eq!(done.issuer_authenticated, Some(true));
    assert_eq!(done.cryptogram.unwrap().1, 0x40);
    assert_eq!(card.issuer_authenticated(), Some(true));

    // Receipts mask the PAN.
    let record = t.journal().find(s.stan).unwrap();
    for copy in [Copy::Merchant, Copy::Cardholder] {
        let text = Receipt::new(t.config(), record, copy).to_string();
        assert!(text.contains("621483******5673 (I)"), "{text}");
        assert!(!text.contains("6214830012345673"));
        assert!(
            text.contains("A Noodle Shop")
                && text.contains("898310058121234")
                && text.contains("10580001")
        );
        assert!(text.contains("RMB 123.45"));
        assert!(text.contains("UnionPay Debit") && text.contains("SALE"));
        assert!(text.contains(record.rrn.as_str()) && text.contains(record.auth_code.as_str()));
        assert!(text.contains(&format!("{:06}", s.stan)));
        assert!(text.contains("2026-11-26 01:23:46"), "{text}");
        assert_eq!(text.contains("SIGNATURE"), copy == Copy::Merchant);
    }
}

#[test]
fn a_wrong_arpc_makes_the_card_refuse_and_the_terminal_reverse() {
    let (f, mut t, mut host) = setup();
    host.bad_arpc = true;
    let mut card = f.sim_card("credit-chip", Interface::Contact);
    let params = t.emv_params(5000, 0x00, now(), UN);
    let mut session = chip::read(&mut card, Interface::Contact, &params).unwrap();
    // Service code 201: the credit card's CVM list asks no PIN.
    assert!(!session.card().pin_required());
    let mut out = [0u8; 512];
    let data = session.card().clone();
    let s = t.purchase(&data, 5000, None, now(), &mut out).unwrap();
    assert_eq!(decode(&out[..s.len]).get(22).unwrap().to_string(), "052");
    let reply = host.answer(&out[..s.len]);
    let Outcome::Approved(a) = t.on_reply(&reply).unwrap() else {
        panic!()
    };
    let done = session
        .complete(&mut card, true, a.issuer_authentication(), *b"00")
        .unwrap();
    assert!(!done.accepted);
    assert_eq!(done.issuer_authenticated, Some(false));
    assert_eq!(done.cryptogram.unwrap().1, 0x00);
    t.card_declined(s.stan).unwrap();
    assert!(t.journal().is_empty());
    let s2 = t.purchase(&data, 5000, None, now(), &mut out).unwrap();
    assert!(s2.reversal);
    let msg = decode(&out[..s2.len]);
    assert_eq!(msg.get(39).unwrap().to_string(), "06");
    assert_eq!(msg.get(11).unwrap().to_u64(), Some(u64::from(s.stan)));
    let reply = host.answer(&out[..s2.len]);
    assert!(matches!(
        t.on_reply(&reply).unwrap(),
        Outcome::Reversed { .. }
    ));
}

#[test]
fn tap_under_and_over_the_no_cvm_limit() {
    let (f, mut t, mut host) = setup();
    let limit = f.floor_limit;
    let mut card = f.sim_card("debit-chip", Interface::Contactless);
    for (amount, pin_needed, entry) in [(limit, false, "072"), (limit + 1, true, "071")] {
        card.present(Interface::Contactless).unwrap();
        let params = t.emv_params(amount, 0x00, now(), UN);
        let mut session = chip::read(&mut card, Interface::Contactless, &params).unwrap();
        let data = session.card().clone();
        assert_eq!(data.entry(), Entry::Contactless);
        assert_eq!(data.pin_required(), pin_needed, "{amount}");
        let f55 = data.icc();
        assert_eq!(find(f55, 0x9F66).unwrap(), chip::TTQ_ONLINE);
        advertises_only_what_it_performs(f55);
        host.verify_arqc(data.pan(), data.sequence(), f55).unwrap();
        let pin = Pin::new("123456").unwrap();
        let mut out = [0u8; 512];
        let s = t
            .purchase(&data, amount, pin_needed.then_some(&pin), now(), &mut out)
            .unwrap();
        assert_eq!(decode(&out[..s.len]).get(22).unwrap().to_string(), entry);
        let reply = host.answer(&out[..s.len]);
        let Outcome::Approved(a) = t.on_reply(&reply).unwrap() else {
            panic!()
        };
        // The card has left the field: the host's answer ends the transaction.
        let done = session
            .complete(&mut card, true, a.issuer_authentication(), *b"00")
            .unwrap();
        assert!(done.accepted && done.cryptogram.is_none());
    }
    assert_eq!(card.atc(), 2);
    assert_eq!(host.arqcs_verified, 2);
}

#[test]
fn swipe_of_the_same_card() {
    let (f, mut t, mut host) = setup();
    let t2 = track2(&f.account("poor-debit")).unwrap();
    let data = CardData::swipe(t2.as_str()).unwrap();
    assert_eq!(data.entry(), Entry::Swipe);
    let mut out = [0u8; 512];
    let s = t
        .purchase(
            &data,
            100,
            Some(&Pin::new("135790").unwrap()),
            now(),
            &mut out,
        )
        .unwrap();
    let msg = decode(&out[..s.len]);
    assert_eq!(msg.get(22).unwrap().to_string(), "021");
    assert_eq!(
        msg.get(35).unwrap().to_string(),
        "6217000098765437D49052200000000000"
    );
    assert!(msg.field(55).is_none());
    let reply = host.answer(&out[..s.len]);
    assert!(matches!(t.on_reply(&reply).unwrap(), Outcome::Approved(_)));
}

#[test]
fn long_pan_uses_option_b() {
    let (f, t, host) = setup();
    let mut card = f.sim_card("long-pan", Interface::Contact);
    let params = t.emv_params(100, 0x00, now(), UN);
    let session = chip::read(&mut card, Interface::Contact, &params).unwrap();
    assert_eq!(session.card().pan(), "6217990000123456788");
    host.verify_arqc(session.card().pan(), Some(2), session.card().icc())
        .unwrap();
}

#[test]
fn consumer_presented_qr() {
    let (f, mut t, mut host) = setup();
    let mut wallet = f.sim_card("credit-chip", Interface::Contact);
    let mut buf = [0u8; 512];
    let code = wallet
        .consumer_qr([9, 8, 7, 6], now(), &mut buf)
        .unwrap()
        .to_owned();
    assert!(!code.contains("6225880012345675"));
    let params = t.emv_params(3000, 0x00, now(), UN);
    let data = qr::from_consumer_qr(&code, &params).unwrap();
    assert_eq!(data.entry(), Entry::Qr);
    assert_eq!(data.pan(), "6225880012345675");
    assert!(!data.pin_required());
    // The code's own unpredictable number and amount 0 travel, so the ARQC verifies.
    assert_eq!(find(data.icc(), 0x9F37).unwrap(), [9, 8, 7, 6]);
    assert_eq!(find(data.icc(), 0x9F02).unwrap(), [0; 6]);
    host.verify_arqc(data.pan(), data.sequence(), data.icc())
        .unwrap();
    let mut out = [0u8; 512];
    let s = t.purchase(&data, 3000, None, now(), &mut out).unwrap();
    let msg = decode(&out[..s.len]);
    assert_eq!(msg.get(22).unwrap().to_string(), "032");
    assert_eq!(msg.get(4).unwrap().to_u64(), Some(3000));
    let reply = host.answer(&out[..s.len]);
    let Outcome::Approved(a) = t.on_reply(&reply).unwrap() else {
        panic!()
    };
    assert_eq!(a.record.entry, Entry::Qr);
    assert!(qr::from_consumer_qr("hQVDUFYwMQ==", &params).is_err());
    assert!(qr::from_consumer_qr("not base64!", &params).is_err());
}

#[test]
fn merchant_presented_qr() {
    let (_, t, _) = setup();
    let mut buf = [0u8; 512];
    let payload =
        qr::merchant_qr(t.config(), "48020000", Some(12_345), "000123", &mut buf).unwrap();
    let mpm = Mpm::parse(payload).unwrap();
    assert!(mpm.crc_valid());
    assert_eq!(mpm.point_of_initiation(), Some("12"));
    assert_eq!(mpm.get(52).unwrap().value(), "5812");
    assert_eq!(mpm.get(59).unwrap().value(), "A Noodle Shop");
    assert_eq!(mpm.get(60).unwrap().value(), "Shanghai");
    assert_eq!(mpm.get(54).unwrap().value(), "123.45");
    assert_eq!(
        mpm.unionpay_account(),
        Some("4802000048020000898310058121234")
    );
    assert_eq!(mpm.get(62).unwrap().get(7).unwrap().value(), "10580001");
    let static_code = qr::merchant_qr(t.config(), "48020000", None, "x", &mut buf).unwrap();
    assert_eq!(
        Mpm::parse(static_code).unwrap().point_of_initiation(),
        Some("11")
    );
    assert!(qr::merchant_qr(t.config(), "4802", None, "x", &mut buf).is_err());
}

#[test]
fn the_simulated_card_refuses_what_a_card_refuses() {
    let f = Fixtures::load().unwrap();
    let mut card = f.sim_card("debit-chip", Interface::Contact);
    let mut rsp = [0u8; 258];
    let sw = |r: &[u8], n: usize| u16::from_be_bytes([r[n - 2], r[n - 1]]);
    // GPO before SELECT, unknown AID, unknown instruction, short command.
    let n = card
        .transmit(&[0x80, 0xA8, 0, 0, 2, 0x83, 0, 0], &mut rsp)
        .unwrap();
    assert_eq!(sw(&rsp, n), 0x6985);
    let n = card
        .transmit(&[0x00, 0xA4, 4, 0, 2, 0xA0, 0, 0], &mut rsp)
        .unwrap();
    assert_eq!(sw(&rsp, n), 0x6A82);
    let n = card
        .transmit(&[0x00, 0xCA, 0x9F, 0x13, 0], &mut rsp)
        .unwrap();
    assert_eq!(sw(&rsp, n), 0x6D00);
    let n = card.transmit(&[0x00], &mut rsp).unwrap();
    assert_eq!(sw(&rsp, n), 0x6700);
    // Removed: no answer.
    card.remove();
    let params = chip::Params {
        amount: 1,
        amount_other: 0,
        transaction_type: 0,
        when: now(),
        unpredictable: UN,
        sequence: 1,
        ifd_serial: *b"00000001",
        no_cvm_limit: 0,
    };
    let err = chip::read(&mut card, Interface::Contact, &params).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Card { sw: 0 });
    // A contact card tapped answers the contactless directory only when presented so.
    card.present(Interface::Contact).unwrap();
    let err = chip::read(&mut card, Interface::Contactless, &params).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Card { sw: 0x6A82 });
}

/// The simulated card with its CDOL2 (`8D`) renamed to a private tag in every response: a
/// contact card that leaves out a mandatory object.
struct WithoutCdol2(cardwire_pos::card::sim::SimCard);

impl CardReader for WithoutCdol2 {
    fn transmit(&mut self, command: &[u8], response: &mut [u8]) -> cardwire_pos::Result<usize> {
        let n = self.0.transmit(command, response)?;
        let cdol2 = [0x8D, 0x07, 0x8A, 0x02];
        if let Some(at) = response[..n].windows(4).position(|w| w == cdol2) {
            response[at] = 0xC1;
        }
        Ok(n)
    }
}

#[test]
fn a_contact_card_without_cdol2_is_a_card_data_error() {
    let (f, t, _) = setup();
    let mut card = WithoutCdol2(f.sim_card("debit-chip", Interface::Contact));
    let params = t.emv_params(12_345, 0x00, now(), UN);
    let err = chip::read(&mut card, Interface::Contact, &params).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::CardData);
}
