//! Arbitrary frames to the acquirer host's handler (in-memory ledger, terminal `noodle-1`
//! signed in with the test kit's deterministic keys): it never panics, and every frame is
//! either answered with a reply that decodes or refused with an error.
//!
//! The sign-in is done once per process (keys drawn, field 62 enciphered, the terminal's keys
//! installed and opened by the host): each input starts from a copy of that host
//! (`Host::duplicate`: its ledger, accounts and cached session), so the fuzzer spends its time
//! on the frames, not on the setup.
//!
//! The first byte chooses whether the frames are re-MAC'd under the terminal's MAK before
//! they reach the host (so that mutated requests get past the MAC check into the card,
//! PIN, ARQC and ledger logic); the rest is a sequence of frames, each a 2-byte length and
//! its bytes, as on the wire.
#![no_main]

use std::sync::OnceLock;

use cardwire_acquirer::Host;
use cardwire_acquirer::ledger::{Ledger, MemoryLedger};
use cardwire_iso8583::frame::{FrameFormat, Progress};
use cardwire_iso8583::{Message, specs};
use cardwire_testkit::{CounterRng, Fixtures, HOST_TIME, TestTerminal, seed_session};
use libfuzzer_sys::fuzz_target;

fn fx() -> &'static Fixtures {
    static FX: OnceLock<Fixtures> = OnceLock::new();
    FX.get_or_init(|| {
        Fixtures::from_json(include_str!("../../spec-vectors/pos-fixtures.json")).expect("fixtures")
    })
}

/// The host and the terminal as `seed_session` leaves them: signed in.
struct SignedIn {
    host: Host<MemoryLedger>,
    terminal: TestTerminal,
}

fn signed_in() -> &'static SignedIn {
    static SIGNED_IN: OnceLock<SignedIn> = OnceLock::new();
    SIGNED_IN.get_or_init(|| {
        let (host, terminal) = seed_session(fx());
        SignedIn { host, terminal }
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, mut rest)) = data.split_first() else {
        return;
    };
    let SignedIn { host, terminal } = signed_in();
    let mut host = host.duplicate();
    let mut rng = CounterRng(u64::from(mode));
    let mut out = [0u8; 1024];
    let mut frames = 0;
    while !rest.is_empty() && frames < 16 {
        frames += 1;
        let n = match rest {
            [a, b, ..] => (2 + usize::from(u16::from_be_bytes([*a, *b]))).min(rest.len()),
            _ => rest.len(),
        };
        let (frame, tail) = rest.split_at(n);
        rest = tail;
        let mut frame = frame.to_vec();
        if mode & 1 == 1 {
            terminal.remac(&mut frame);
        }
        if let Ok(answer) = host.handle(&frame, HOST_TIME, &mut rng, &mut out) {
            let reply = &out[..answer.len];
            let Ok(Progress::Complete(f)) = FrameFormat::CUPS.read(reply) else {
                panic!("the reply is not a frame");
            };
            assert_eq!(f.len, reply.len());
            Message::decode(&specs::CUPS, f.message).expect("the reply decodes");
        }
    }
    // The ledger stays consistent: no account went below zero through the host.
    for c in &fx().cards {
        let balance = host.ledger().balance(&c.pan).unwrap().unwrap();
        assert!(balance >= 0, "{balance}");
    }
});
