//! A terminal of the SM4 (国密) profile against the acquirer host: SM4 master key, SM4
//! working keys in field 62, field 64 by the SM4 CBC-MAC, the 16-byte ISO 9564 format 4 PIN
//! block under the SM4 PIK in field 52 (the `cups-sm4` spec) and field 53 of the profile —
//! sign-in, chip purchase with PIN, reversal, void and settlement end to end; and what the
//! host refuses of it.

use cardwire_acquirer::ledger::{Ledger, MemoryLedger};
use cardwire_acquirer::{Host, OsRng, ResponseCode, TerminalEntry, TerminalProfile};
use cardwire_crypto::TdesKey;
use cardwire_crypto::cups::MacAlgorithm;
use cardwire_crypto::sm::Sm4Key;
use cardwire_crypto::sm::cups::{AnyWorkingKeys, MasterKey};
use cardwire_crypto::track::{self, MAX_TRACK_LEN};
use cardwire_iso8583::cups::SECURITY_CONTROL_SM4;
use cardwire_iso8583::frame::{FrameFormat, Progress};
use cardwire_iso8583::{Message, specs};
use cardwire_pos::card::{Interface, chip};
use cardwire_pos::terminal::Outcome;
use cardwire_pos::{Config, ErrorKind, Terminal};
use cardwire_testkit::{Fixtures, HOST_TIME as NOW};

/// The SM4 terminal: its identifiers and its SM4 master key (GB/T 32907's example key).
const TID: &str = "SM400001";
const SERIAL: &str = "SM4-SN-0001";
const TMK: [u8; 16] = [
    0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF, 0xFE, 0xDC, 0xBA, 0x98, 0x76, 0x54, 0x32, 0x10,
];
const UN: [u8; 4] = [0x0B, 0xAD, 0xF0, 0x0D];

struct Bench {
    fx: Fixtures,
    host: Host<MemoryLedger>,
    t: Terminal<16>,
}

/// The noodle shop's merchant number, and its config for terminal `TID` of the SM4 profile.
fn sm4_config(fx: &Fixtures) -> Config {
    let m = fx.merchant("noodle-shop");
    Config::new(TID, &m.merchant_no, &m.name)
        .and_then(|c| c.with_serial(SERIAL))
        .unwrap()
        .with_fee_rate(m.fee_rate)
        .with_mac(MacAlgorithm::Sm4CbcMac)
}

/// The host with the SM4 terminal registered, activated and bound to the noodle shop, and
/// the terminal with its SM4 master key and its PIN fill seeded.
fn bench() -> Bench {
    let fx = Fixtures::load().unwrap();
    let mut registry = fx.registry.clone();
    registry.terminals.push(TerminalEntry {
        terminal_id: TID.into(),
        serial: SERIAL.into(),
        tmk: MasterKey::Sm4(Sm4Key::new(&TMK).unwrap()),
        activated: true,
        merchant_no: Some(fx.merchant("noodle-shop").merchant_no.clone()),
        pool: Vec::new(),
        profile: TerminalProfile::SM4,
        device_key: None,
    });
    let host = Host::new(registry, MemoryLedger::new()).unwrap();
    let tmk = MasterKey::Sm4(Sm4Key::new(&TMK).unwrap());
    let mut t = Terminal::with_master_key(sm4_config(&fx), tmk).unwrap();
    t.seed_pin_fill(&[0x5E; 16]).unwrap();
    Bench { fx, host, t }
}

/// The message of a frame.
fn message<'a>(
    frame: &'a [u8],
    spec: &'static cardwire_iso8583::MessageSpec,
) -> Message<'a, 'static> {
    let Progress::Complete(f) = FrameFormat::CUPS.read(frame).unwrap() else {
        panic!("a whole frame")
    };
    Message::decode(spec, f.message).unwrap()
}

impl Bench {
    /// The host's reply frame to `frame`.
    fn answer(&mut self, frame: &[u8]) -> Vec<u8> {
        let mut out = [0u8; 512];
        let a = self.host.handle(frame, NOW, &mut OsRng, &mut out).unwrap();
        out[..a.len].to_vec()
    }

    /// Sends what `start` writes and gives the terminal the reply; returns the request frame
    /// too.
    fn run(
        &mut self,
        start: impl FnOnce(&mut Terminal<16>, &mut [u8]) -> cardwire_pos::Result<cardwire_pos::Sent>,
    ) -> (Outcome, Vec<u8>) {
        let mut out = [0u8; 1024];
        let sent = start(&mut self.t, &mut out).unwrap();
        let request = out[..sent.len].to_vec();
        let reply = self.answer(&request);
        (self.t.on_reply(&reply).unwrap(), request)
    }

    fn signed_in(mut self) -> Self {
        let (outcome, _) = self.run(|t, out| t.sign_in(NOW, out));
        assert!(matches!(outcome, Outcome::SignedIn { .. }), "{outcome:?}");
        self
    }

    fn balance(&mut self, card: &str) -> i64 {
        let pan = self.fx.card(card).pan.clone();
        self.host.ledger().balance(&pan).unwrap().unwrap()
    }
}

fn approved(outcome: Outcome) -> cardwire_pos::terminal::Approval {
    match outcome {
        Outcome::Approved(a) => a,
        other => panic!("expected an approval: {other:?}"),
    }
}

#[test]
fn an_sm4_terminal_signs_in_buys_by_chip_with_pin_reverses_voids_and_settles() {
    let mut b = bench().signed_in();
    let opening = b.balance("credit-chip");

    // Chip purchase with PIN: ARQC online, the ARPC back to the card.
    let mut card = b.fx.sim_card("credit-chip", Interface::Contact);
    let pin = b.fx.pin("credit-chip");
    let params = b.t.emv_params(26_800, 0x00, NOW, UN);
    let mut session = chip::read(&mut card, Interface::Contact, &params).unwrap();
    let (outcome, request) =
        b.run(|t, out| t.purchase(session.card(), 26_800, Some(&pin), NOW, out));
    let sale = approved(outcome);
    let done = session
        .complete(&mut card, true, sale.issuer_authentication(), *b"00")
        .unwrap();
    assert!(done.accepted && done.issuer_authenticated == Some(true));
    assert_eq!(b.balance("credit-chip"), opening - 26_800);

    // On the wire: field 52 is the 16-byte SM4 PIN block of the cups-sm4 spec (the cups
    // spec's 8 bytes do not read it), field 53 the profile's, field 64 the SM4 CBC-MAC.
    let msg = message(&request, &specs::CUPS_SM4);
    assert_eq!(msg.field(52).unwrap().value().len(), 16);
    assert!(msg.get(53).unwrap().eq_str(SECURITY_CONTROL_SM4));

    // A purchase whose reply is lost: the terminal reverses it before the next request.
    let swipe = b.fx.swipe("credit-chip");
    let mut out = [0u8; 1024];
    let sent =
        b.t.purchase(&swipe, 1_500, Some(&pin), NOW, &mut out)
            .unwrap();
    let _lost = b.answer(&out[..sent.len]);
    assert!(b.t.on_timeout().unwrap());
    assert_eq!(b.balance("credit-chip"), opening - 26_800 - 1_500);
    let (outcome, _) = b.run(|t, out| t.void(sale.record.stan, None, Some(&pin), NOW, out));
    assert!(
        matches!(outcome, Outcome::Reversed { stan, .. } if stan == sent.stan),
        "{outcome:?}"
    );
    assert_eq!(b.balance("credit-chip"), opening - 26_800);

    // The void of the chip purchase, with the PIN again.
    let (outcome, _) = b.run(|t, out| t.void(sale.record.stan, None, Some(&pin), NOW, out));
    approved(outcome);
    assert_eq!(b.balance("credit-chip"), opening);

    // Settlement: the host's totals agree with the journal's.
    let (outcome, _) = b.run(|t, out| t.settle(NOW, out));
    assert!(
        matches!(outcome, Outcome::Settled { balanced: true, .. }),
        "{outcome:?}"
    );
}

#[test]
fn a_wrong_pin_under_sm4_is_declined_55_and_a_flipped_mac_is_refused_a0() {
    let mut b = bench().signed_in();
    let swipe = b.fx.swipe("debit-chip");
    let wrong = cardwire_crypto::pin::Pin::new("999999").unwrap();
    let (outcome, _) = b.run(|t, out| t.purchase(&swipe, 1_000, Some(&wrong), NOW, out));
    assert!(
        matches!(
            outcome,
            Outcome::Declined {
                code: ResponseCode::IncorrectPin,
                ..
            }
        ),
        "{outcome:?}"
    );
    // Any byte of the MAC'd message changed: the host cannot verify the SM4 MAC.
    let pin = b.fx.pin("debit-chip");
    let mut out = [0u8; 1024];
    let sent =
        b.t.purchase(&swipe, 1_000, Some(&pin), NOW, &mut out)
            .unwrap();
    let mut frame = out[..sent.len].to_vec();
    let at = FrameFormat::CUPS.head_len()
        + message(&frame, &specs::CUPS_SM4)
            .field(52)
            .unwrap()
            .value_offset();
    frame[at + 15] ^= 0x01;
    let reply = b.answer(&frame);
    let code = message(&reply, &specs::CUPS)
        .get(39)
        .unwrap()
        .chars()
        .collect::<String>();
    assert_eq!(code, "A0");
}

#[test]
fn the_sm4_profile_takes_only_sm4_keys_and_its_own_sign_in_proof() {
    let fx = Fixtures::load().unwrap();
    // A TDES master key for a terminal of the SM4 profile, and the other way round.
    let tdes = MasterKey::Tdes(TdesKey::new(&TMK).unwrap());
    assert_eq!(
        Terminal::<16>::with_master_key(sm4_config(&fx), tdes)
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidInput
    );
    let sm4 = MasterKey::Sm4(Sm4Key::new(&TMK).unwrap());
    assert!(Terminal::<16>::with_master_key(fx.config("noodle-1"), sm4).is_err());

    // A terminal holding the same 16 bytes as a TDES key, under a TDES MAC, cannot sign in
    // as the SM4 terminal: its proof is not the SM4 profile's.
    let mut b = bench();
    let impostor_config = sm4_config(&fx).with_mac(MacAlgorithm::RetailX919);
    b.t = Terminal::new(impostor_config, TdesKey::new(&TMK).unwrap());
    let (outcome, _) = b.run(|t, out| t.sign_in(NOW, out));
    assert!(
        matches!(
            outcome,
            Outcome::Declined {
                code: ResponseCode::InvalidMerchant,
                ..
            }
        ),
        "{outcome:?}"
    );

    // An SM4 terminal needs its PIN fill seeded before its first PIN.
    let mut b = bench();
    b.t = Terminal::with_master_key(sm4_config(&fx), MasterKey::Sm4(Sm4Key::new(&TMK).unwrap()))
        .unwrap();
    let mut b = b.signed_in();
    let swipe = b.fx.swipe("debit-chip");
    let pin = b.fx.pin("debit-chip");
    let err =
        b.t.purchase(&swipe, 1_000, Some(&pin), NOW, &mut [0u8; 1024])
            .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
}

/// The host's working keys of the bench's last sign-in, as the test (which knows the TMK)
/// reads them from the sign-in reply: the MAK to forge a MAC over a changed request, the TDK
/// to read the enciphered track.
fn signed_in_with_keys() -> (Bench, AnyWorkingKeys) {
    let mut b = bench();
    let mut out = [0u8; 1024];
    let sent = b.t.sign_in(NOW, &mut out).unwrap();
    let reply = b.answer(&out[..sent.len]);
    assert!(matches!(
        b.t.on_reply(&reply).unwrap(),
        Outcome::SignedIn { .. }
    ));
    let field62 = message(&reply, &specs::CUPS)
        .field(62)
        .unwrap()
        .value()
        .to_vec();
    let tmk = MasterKey::Sm4(Sm4Key::new(&TMK).unwrap());
    (b, tmk.open_field62(&field62).unwrap())
}

/// `frame` with `change` applied to its message and field 64 recomputed under `keys`: what a
/// terminal holding the MAK (or a bug in one) could send.
fn remac(frame: &[u8], keys: &AnyWorkingKeys, change: impl FnOnce(&mut [u8])) -> Vec<u8> {
    let head = FrameFormat::CUPS.head_len();
    let mut frame = frame.to_vec();
    change(&mut frame[head..]);
    let end = frame.len() - 8;
    let mac = keys
        .field64(MacAlgorithm::Sm4CbcMac, &frame[head..end])
        .unwrap();
    frame[end..].copy_from_slice(&mac);
    frame
}

/// The response code of a reply frame.
fn code_of(reply: &[u8]) -> String {
    message(reply, &specs::CUPS)
        .get(39)
        .unwrap()
        .chars()
        .collect()
}

/// Packed BCD of track characters (`=` as `D`), an odd count padded with 0.
fn packed(track: &str) -> Vec<u8> {
    let mut digits: Vec<u8> = track
        .bytes()
        .map(|c| {
            if c == b'=' || c == b'D' {
                0x0D
            } else {
                c - b'0'
            }
        })
        .collect();
    if digits.len() % 2 == 1 {
        digits.push(0);
    }
    digits.chunks(2).map(|p| (p[0] << 4) | p[1]).collect()
}

#[test]
fn an_sm4_swipe_travels_enciphered_under_the_tdk_and_never_in_clear() {
    let (mut b, keys) = signed_in_with_keys();
    let opening = b.balance("credit-chip");
    let swipe = b.fx.swipe("credit-chip");
    let clear = swipe.track2().unwrap().replace('=', "D");
    let pin = b.fx.pin("credit-chip");
    for (amount, pin) in [(1_200, Some(&pin)), (300, None)] {
        let (outcome, request) = b.run(|t, out| t.purchase(&swipe, amount, pin, NOW, out));
        approved(outcome);
        // Field 53 comes with the track even without a PIN, 53.3 = 1.
        let msg = message(&request, &specs::CUPS_SM4);
        assert!(msg.get(53).unwrap().eq_str(SECURITY_CONTROL_SM4));
        assert_eq!(msg.field(52).is_some(), pin.is_some());
        // Field 35 is the track enciphered in place under the SM4 TDK: the host's TDK reads
        // it back; the PAN's first digits before the block stay as they were.
        let field35: String = msg.get(35).unwrap().chars().collect();
        assert_eq!(field35.len(), clear.len());
        assert_ne!(field35, clear);
        let mut back = [0u8; MAX_TRACK_LEN];
        let n = track::decrypt(keys.track_key().unwrap(), field35.as_bytes(), &mut back).unwrap();
        assert_eq!(std::str::from_utf8(&back[..n]).unwrap(), clear);
        // Scan the whole frame: no 6 bytes of the packed track from its separator on (the
        // expiry and service code, which field 14 does not carry whole, and the
        // discretionary data) appear anywhere, at either nibble alignment, nor the track as
        // text. (The PAN travels in field 2 and before the block, by design.)
        let sep = clear.find('D').unwrap();
        let tail = &clear[sep..clear.len() - 1];
        for t in [tail, &tail[1..]] {
            let needle = packed(&t[..t.len() / 2 * 2]);
            assert!(needle.len() >= 8);
            for w in needle.windows(6) {
                assert!(!request.windows(6).any(|r| r == w), "{w:02X?} in the frame");
            }
        }
        assert!(!request.windows(tail.len()).any(|w| w == tail.as_bytes()));
    }
    assert_eq!(b.balance("credit-chip"), opening - 1_500);
}

#[test]
fn a_track_changed_before_its_mac_is_declined_and_53_3_must_match_the_profile() {
    let (mut b, keys) = signed_in_with_keys();
    let opening = b.balance("credit-chip");
    let swipe = b.fx.swipe("credit-chip");
    let pin = b.fx.pin("credit-chip");
    let request = |b: &mut Bench| {
        let mut out = [0u8; 1024];
        let sent =
            b.t.purchase(&swipe, 1_000, Some(&pin), NOW, &mut out)
                .unwrap();
        // The terminal gets no answer from the host for this one: drop it as lost.
        let frame = out[..sent.len].to_vec();
        b.t = Terminal::with_master_key(
            sm4_config(&b.fx),
            MasterKey::Sm4(Sm4Key::new(&TMK).unwrap()),
        )
        .unwrap();
        frame
    };
    let frame = request(&mut b);
    let head = FrameFormat::CUPS.head_len();
    let msg = message(&frame, &specs::CUPS_SM4);
    let (at35, at53) = (
        msg.field(35).unwrap().value_offset(),
        msg.field(53).unwrap().value_offset(),
    );
    assert!(frame[head..].len() > at53);

    // One nibble of the enciphered block changed, the MAC made good: the track does not
    // decipher to a track, so the host declines it as an invalid card and moves no money.
    let tampered = remac(&frame, &keys, |m| m[at35 + 6] ^= 0x10);
    assert_eq!(code_of(&b.answer(&tampered)), "14");
    assert_eq!(b.balance("credit-chip"), opening);

    // Field 53.3 saying "in clear" (0) for a profile that enciphers: refused as a format
    // error, never read the other way; so is 53 left out beside the track.
    let clear_flag = remac(&frame, &keys, |m| m[at53 + 1] = 0x00);
    assert_eq!(code_of(&b.answer(&clear_flag)), "30");
    assert_eq!(b.balance("credit-chip"), opening);
}

#[test]
fn a_tdes_profile_that_asks_for_it_gets_its_tracks_under_the_tdes_tdk() {
    let fx = Fixtures::load().unwrap();
    let mut registry = fx.registry.clone();
    let noodle = fx.terminal("noodle-1");
    let entry = registry
        .terminals
        .iter_mut()
        .find(|e| e.terminal_id == noodle.terminal_id)
        .unwrap();
    entry.profile.security_control = *b"2610000000000000";
    assert!(entry.profile.encrypts_tracks());
    assert!(core::ptr::eq(entry.profile.spec(), &specs::CUPS_ENC_TRACK));
    let swipe = fx.swipe("debit-chip");
    let pin = fx.pin("debit-chip");
    let clear = swipe.track2().unwrap().replace('=', "D");
    for encrypts in [true, false] {
        // A host of its own each time: the same sign-in twice would be a replay.
        let mut host = Host::new(registry.clone(), MemoryLedger::new()).unwrap();
        let config = fx.config("noodle-1").with_track_encryption(encrypts);
        let mut t: Terminal<16> = Terminal::new(config, noodle.tmk.clone());
        let mut exchange = |t: &mut Terminal<16>, purchase: bool| {
            let mut out = [0u8; 1024];
            let sent = if purchase {
                t.purchase(&swipe, 800, Some(&pin), NOW, &mut out)
            } else {
                t.sign_in(NOW, &mut out)
            }
            .unwrap();
            let mut reply = [0u8; 512];
            let a = host
                .handle(&out[..sent.len], NOW, &mut OsRng, &mut reply)
                .unwrap();
            (
                t.on_reply(&reply[..a.len]).unwrap(),
                out[..sent.len].to_vec(),
            )
        };
        assert!(matches!(
            exchange(&mut t, false).0,
            Outcome::SignedIn { .. }
        ));
        let (outcome, request) = exchange(&mut t, true);
        if encrypts {
            approved(outcome);
            let msg = message(&request, &specs::CUPS_ENC_TRACK);
            assert!(msg.get(53).unwrap().eq_str("2610000000000000"));
            let field35: String = msg.get(35).unwrap().chars().collect();
            assert_eq!(field35.len(), clear.len());
            assert_ne!(field35, clear);
        } else {
            // A terminal sending its track in clear (53.3 = 0) to a profile that enciphers:
            // refused as a format error.
            assert!(
                matches!(
                    outcome,
                    Outcome::Declined {
                        code: ResponseCode::FormatError,
                        ..
                    }
                ),
                "{outcome:?}"
            );
        }
    }
}
