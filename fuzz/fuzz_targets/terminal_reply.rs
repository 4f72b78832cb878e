//! Any bytes as the host's reply to a terminal's request: `Terminal::on_reply` never panics,
//! and afterwards the terminal still works (times out, starts the next transaction).
//!
//! Input: a scenario byte (what is in flight: purchase, settlement, reversal, sign-in,
//! balance), a flags byte (bit 0: re-compute the reply's MAC under the session MAK first, so
//! the fuzzer reaches what lies behind the MAC check), then the reply frame. The setup is the
//! one of `crates/testkit/tests/it/fuzz_seeds.rs`, which writes the seeds.
//!
//! The setup is done once per process: for each scenario a terminal is signed in and its
//! request put in flight, and each input starts from a copy of it (`Terminal::try_clone`),
//! so the fuzzer's time goes to the reply, not to the sign-in's and the request's
//! cryptography.
#![no_main]

use std::borrow::Cow;
use std::sync::OnceLock;

use cardwire_crypto::TdesKey;
use cardwire_crypto::cups::encrypt_field62;
use cardwire_crypto::mac::{Padding, RetailMacKey};
use cardwire_crypto::pin::Pin;
use cardwire_iso8583::frame::{FrameFormat, Progress, Tpdu};
use cardwire_iso8583::{Encoder, Message, Mti, specs};
use cardwire_merchant::FeeRate;
use cardwire_pos::card::CardData;
use cardwire_pos::{Config, DateTime, Terminal};
use libfuzzer_sys::fuzz_target;

const TMK: [u8; 16] = [
    0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22,
];
const PIK: [u8; 16] = [
    0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF, 0x10, 0x32, 0x54, 0x76, 0x98, 0xBA, 0xDC, 0xFE,
];
const MAK: [u8; 16] = [
    0xF1, 0xE2, 0xD3, 0xC4, 0xB5, 0xA6, 0x97, 0x88, 0x79, 0x6A, 0x5B, 0x4C, 0x3D, 0x2E, 0x1F, 0x00,
];
const SWIPE: &str = "6214830012345673=29122200000000000";
const HEADER: [u8; 6] = [0x60, 0x31, 0x00, 0x31, 0x02, 0x08];

fn now() -> DateTime {
    DateTime::new(2026, 11, 26, 1, 23, 45).expect("date")
}

/// The sign-in reply to the terminal's first request (STAN 1): batch 7, PIK and MAK.
fn sign_in_reply() -> &'static [u8] {
    static REPLY: OnceLock<Vec<u8>> = OnceLock::new();
    REPLY.get_or_init(|| {
        let tmk = TdesKey::new(&TMK).expect("tmk");
        let mut f62 = [0u8; 40];
        let n = encrypt_field62(
            &tmk,
            &TdesKey::new(&PIK).expect("pik"),
            &TdesKey::new(&MAK).expect("mak"),
            None,
            &mut f62,
        )
        .expect("field 62");
        let mut msg = [0u8; 256];
        let mut e = Encoder::new(&specs::CUPS, &mut msg, Mti::from_u16(810).expect("mti"))
            .expect("encoder");
        e.field(11, b"000001").expect("11");
        e.field(39, b"00").expect("39");
        e.field(41, b"10580001").expect("41");
        e.field(42, b"898310058121234").expect("42");
        e.field(60, b"00000007003").expect("60");
        e.field(62, &f62[..n]).expect("62");
        let len = e.finish().expect("finish").len;
        let mut frame = vec![0u8; len + 13];
        let n = FrameFormat::CUPS
            .write(
                Some(Tpdu::new([0, 0], [0, 3])),
                &HEADER,
                &msg[..len],
                &mut frame,
            )
            .expect("frame");
        frame.truncate(n);
        frame
    })
}

fn terminal() -> Terminal<16> {
    let config = Config::new("10580001", "898310058121234", "A Noodle Shop")
        .and_then(|c| c.with_serial("CWPOS-0001"))
        .and_then(|c| c.with_city("Shanghai"))
        .expect("config")
        .with_fee_rate(FeeRate::from_bps(60));
    let mut t = Terminal::new(config, TdesKey::new(&TMK).expect("tmk"));
    let mut out = [0u8; 512];
    t.sign_in(now(), &mut out).expect("sign-in");
    t.on_reply(sign_in_reply()).expect("signed in");
    t
}

/// Puts the scenario's request in flight.
fn scenario(t: &mut Terminal<16>, which: u8) {
    let mut out = [0u8; 512];
    let card = CardData::swipe(SWIPE).expect("card");
    let pin = Pin::new("123456").expect("pin");
    // Refusals (busy, not signed in) are fine: the reply handler is what is fuzzed.
    match which % 5 {
        0 => {
            let _ = t.purchase(&card, 1234, Some(&pin), now(), &mut out);
        }
        1 => {
            let _ = t.settle(now(), &mut out);
        }
        2 => {
            let _ = t.purchase(&card, 1234, Some(&pin), now(), &mut out);
            let _ = t.on_timeout();
            let _ = t.purchase(&card, 1234, Some(&pin), now(), &mut out);
        }
        3 => {
            let _ = t.sign_in(now(), &mut out);
        }
        _ => {
            let _ = t.balance(&card, Some(&pin), now(), &mut out);
        }
    }
}

/// For each scenario, a signed-in terminal with its request in flight.
fn waiting() -> &'static [Terminal<16>; 5] {
    static WAITING: OnceLock<[Terminal<16>; 5]> = OnceLock::new();
    WAITING.get_or_init(|| {
        core::array::from_fn(|which| {
            let mut t = terminal();
            scenario(&mut t, u8::try_from(which).expect("five scenarios"));
            t
        })
    })
}

/// The card swiped and the PIN entered after each reply.
fn card_and_pin() -> &'static (CardData, Pin) {
    static CARD_AND_PIN: OnceLock<(CardData, Pin)> = OnceLock::new();
    CARD_AND_PIN.get_or_init(|| {
        (
            CardData::swipe(SWIPE).expect("card"),
            Pin::new("123456").expect("pin"),
        )
    })
}

/// The session MAK, as the host holds it: its key schedules expanded once per process.
fn mak() -> &'static RetailMacKey {
    static MAK_KEY: OnceLock<RetailMacKey> = OnceLock::new();
    MAK_KEY.get_or_init(|| RetailMacKey::new(&TdesKey::new(&MAK).expect("mak")).expect("double"))
}

/// Writes the MAC the host would compute into the reply's field 64, when it decodes.
fn remac(frame: &mut [u8]) {
    let Ok(Progress::Complete(f)) = FrameFormat::CUPS.read(frame) else {
        return;
    };
    let offset = f.message_offset();
    let Ok(msg) = Message::decode(&specs::CUPS, f.message) else {
        return;
    };
    let (Some(mac), Some(mab)) = (msg.mac(), msg.mab()) else {
        return;
    };
    // The terminal's default profile MACs with the X9.19 retail MAC (padding method 1).
    let value = mak().mac(mab, Padding::Method1);
    let at = offset + mac.value_offset();
    if let Some(dst) = frame.get_mut(at..at + 8) {
        dst.copy_from_slice(&value);
    }
}

fuzz_target!(|data: &[u8]| {
    let [which, flags, reply @ ..] = data else {
        return;
    };
    let mut t = waiting()[usize::from(*which % 5)]
        .try_clone()
        .expect("no DUKPT register: the terminal copies");
    // Copied only when its MAC is rewritten.
    let reply = if flags & 1 != 0 {
        let mut copy = reply.to_vec();
        remac(&mut copy);
        Cow::Owned(copy)
    } else {
        Cow::Borrowed(reply)
    };
    let _ = t.on_reply(&reply);
    // Whatever happened, the terminal goes on.
    let _ = t.on_timeout();
    let mut out = [0u8; 512];
    let (card, pin) = card_and_pin();
    let _ = t.purchase(card, 1, Some(pin), now(), &mut out);
    let _ = t.journal().totals();
});
