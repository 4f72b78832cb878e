#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::cast_possible_truncation
)] // tests may fail loudly
//! The replies the `terminal_reply` fuzz target starts from: one per scenario of the target
//! (purchase, settlement, reversal, sign-in, balance in flight), approved and declined, each
//! checked to be accepted here. With `CARDWIRE_FUZZ_SEEDS=<corpus dir>` set (as
//! `fuzz/seed_corpus.py` does) they are written there as `<dir>/terminal_reply/*`.

mod common;

use cardwire_crypto::pin::Pin;
use cardwire_pos::card::CardData;
use common::*;

const SWIPE: &str = "6214830012345673=29122200000000000";

/// Puts scenario `which` in flight (as the fuzz target does) and returns the request frame.
fn scenario(t: &mut cardwire_pos::Terminal<16>, which: u8) -> Vec<u8> {
    let mut out = [0u8; 512];
    let card = CardData::swipe(SWIPE).unwrap();
    let pin = Pin::new("123456").unwrap();
    let sent = match which {
        0 => t
            .purchase(&card, 1234, Some(&pin), now(), &mut out)
            .unwrap(),
        1 => t.settle(now(), &mut out).unwrap(),
        2 => {
            t.purchase(&card, 1234, Some(&pin), now(), &mut out)
                .unwrap();
            t.on_timeout().unwrap();
            let s = t
                .purchase(&card, 1234, Some(&pin), now(), &mut out)
                .unwrap();
            assert!(s.reversal);
            s
        }
        3 => t.sign_in(now(), &mut out).unwrap(),
        _ => t.balance(&card, Some(&pin), now(), &mut out).unwrap(),
    };
    out[..sent.len].to_vec()
}

#[test]
fn seeds_are_replies_the_terminal_accepts() {
    let f = fixtures();
    let dir = std::env::var_os("CARDWIRE_FUZZ_SEEDS")
        .map(|d| std::path::PathBuf::from(d).join("terminal_reply"));
    if let Some(d) = &dir {
        std::fs::create_dir_all(d).unwrap();
    }
    let names = ["purchase", "settlement", "reversal", "sign-in", "balance"];
    for (which, name) in names.iter().enumerate() {
        let which = u8::try_from(which).unwrap();
        for code in ["00", "51"] {
            let mut t = terminal(&f);
            let mut host = FakeHost::new(&f);
            sign_in(&mut t, &mut host);
            let request = scenario(&mut t, which);
            let reply = if code == "00" {
                host.answer(&request)
            } else {
                let req = decode(&request);
                host.reply(&req, code, &[], which != 3)
            };
            t.on_reply(&reply)
                .unwrap_or_else(|e| panic!("{name} {code}: {e}"));
            if let Some(d) = &dir {
                for flags in [0u8, 1] {
                    let mut seed = vec![which, flags];
                    seed.extend(&reply);
                    std::fs::write(d.join(format!("{name}-{code}-{flags}")), seed).unwrap();
                }
            }
        }
    }
}
