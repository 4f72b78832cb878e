//! The replies the `terminal_reply` fuzz target starts from: one per scenario of the target
//! (purchase, settlement, reversal, sign-in, balance in flight), approved and declined, each
//! checked to be accepted here. With `CARDWIRE_FUZZ_SEEDS=<corpus dir>` set (as
//! `fuzz/seed_corpus.py` does) they are written there as `<dir>/terminal_reply/*`.

use cardwire_crypto::pin::Pin;
use cardwire_pos::card::CardData;
use cardwire_testkit::Fixtures;
use cardwire_testkit::fake_host::*;

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
    let f = Fixtures::load().unwrap();
    let dir = std::env::var_os("CARDWIRE_FUZZ_SEEDS")
        .map(|d| std::path::PathBuf::from(d).join("terminal_reply"));
    if let Some(d) = &dir {
        std::fs::create_dir_all(d).unwrap();
    }
    let names = ["purchase", "settlement", "reversal", "sign-in", "balance"];
    for (which, name) in names.iter().enumerate() {
        let which = u8::try_from(which).unwrap();
        for code in ["00", "51"] {
            let mut t = f.pos_terminal::<16>("noodle-1");
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

/// Records what the simulated card answers, in the `card_read` target's input format.
struct Recorder<'c> {
    card: &'c mut cardwire_pos::card::sim::SimCard,
    log: Vec<u8>,
}

impl cardwire_pos::card::CardReader for Recorder<'_> {
    fn transmit(&mut self, command: &[u8], response: &mut [u8]) -> cardwire_pos::Result<usize> {
        let n = self.card.transmit(command, response)?;
        self.log.extend(u16::try_from(n).unwrap().to_be_bytes());
        self.log.extend(&response[..n]);
        Ok(n)
    }
}

#[test]
fn card_seeds_replay_to_the_same_card_data() {
    use cardwire_pos::card::Interface;
    use cardwire_pos::card::chip;
    let f = Fixtures::load().unwrap();
    let dir = std::env::var_os("CARDWIRE_FUZZ_SEEDS")
        .map(|d| std::path::PathBuf::from(d).join("card_read"));
    if let Some(d) = &dir {
        std::fs::create_dir_all(d).unwrap();
    }
    let params = chip::Params {
        amount: 12_345,
        amount_other: 0,
        transaction_type: 0,
        when: now(),
        unpredictable: [0x12, 0x34, 0x56, 0x78],
        sequence: 2,
        ifd_serial: *b"POS-0001",
        no_cvm_limit: 100_000,
    };
    for (id, interface, selector) in [
        ("debit-chip", Interface::Contact, 2u8),
        ("long-pan", Interface::Contact, 0),
        ("credit-chip", Interface::Contactless, 1),
    ] {
        let mut card = f.sim_card(id, interface);
        let mut rec = Recorder {
            card: &mut card,
            log: vec![selector],
        };
        let mut session = chip::read(&mut rec, interface, &params).unwrap();
        if selector & 2 != 0 {
            let arpc = [0u8; 10];
            session
                .complete(&mut rec, true, Some(&arpc), *b"00")
                .unwrap();
        }
        let seed = rec.log;
        // Replaying the recording reads the same card.
        struct Replay<'a>(&'a [u8]);
        impl cardwire_pos::card::CardReader for Replay<'_> {
            fn transmit(&mut self, _: &[u8], response: &mut [u8]) -> cardwire_pos::Result<usize> {
                let n = usize::from(u16::from_be_bytes([self.0[0], self.0[1]]));
                response[..n].copy_from_slice(&self.0[2..2 + n]);
                self.0 = &self.0[2 + n..];
                Ok(n)
            }
        }
        let again = chip::read(&mut Replay(&seed[1..]), interface, &params).unwrap();
        assert_eq!(again.card(), session.card());
        if let Some(d) = &dir {
            std::fs::write(d.join(format!("{id}-{}", interface_name(interface))), &seed).unwrap();
        }
    }
    // A consumer-presented code and a track 2, as scanned text.
    let mut wallet = f.sim_card("credit-chip", Interface::Contact);
    let mut buf = [0u8; 512];
    let code = wallet
        .consumer_qr([9, 8, 7, 6], now(), &mut buf)
        .unwrap()
        .to_owned();
    if let Some(d) = &dir {
        let mut seed = vec![0u8];
        seed.extend(code.as_bytes());
        std::fs::write(d.join("cpm-credit-chip"), seed).unwrap();
        let mut seed = vec![0u8];
        seed.extend(SWIPE.as_bytes());
        std::fs::write(d.join("track2-debit"), seed).unwrap();
    }
}
