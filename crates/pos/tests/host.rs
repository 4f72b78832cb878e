#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic, clippy::cast_possible_truncation)] // tests may fail loudly
//! The acquirer host answering requests built by the test kit, over an in-memory ledger.

use cardwire_iso8583::cups::{Original, SettlementTotals, Totals, Transaction};
use cardwire_pos::host::{Host, OsRng};
use cardwire_pos::ledger::{Ledger, LocalTime, MemoryLedger, Reversed};
use cardwire_pos::testkit::{Entry, Fixtures, Req, ReplyView, TestTerminal, fixtures};
use cardwire_pos::ResponseCode;

const NOW: LocalTime = LocalTime { year: 2026, month: 11, day: 26, hour: 10, minute: 0, second: 0 };

struct Bench<L: Ledger> {
    host: Host<L>,
    fx: Fixtures,
}

impl<L: Ledger> Bench<L> {
    fn send(&mut self, t: &mut TestTerminal, frame: &[u8]) -> ReplyView {
        let mut out = [0u8; 512];
        let a = self.host.handle(frame, NOW, &mut OsRng, &mut out).unwrap();
        t.read_reply(&out[..a.len]).unwrap()
    }

    fn sign_in(&mut self, id: &str) -> TestTerminal {
        let mut t = self.fx.terminal(id);
        let mut buf = [0u8; 512];
        let n = t.sign_in(&mut buf);
        let mut out = [0u8; 512];
        let a = self.host.handle(&buf[..n], NOW, &mut OsRng, &mut out).unwrap();
        assert_eq!(t.accept_sign_in(&out[..a.len]).unwrap(), ResponseCode::Approved);
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
    let fx = fixtures().unwrap();
    let host = Host::new(fx.registry.clone(), MemoryLedger::new()).unwrap();
    Bench { host, fx }
}

#[test]
fn swipe_purchase_with_pin_is_approved_and_debited() {
    let mut b = memory();
    let mut t = b.sign_in("noodle-1");
    let card = b.fx.card("debit-chip").clone();
    let (r, _) = b.run(&mut t, &Req::purchase(&card, Entry::Swipe, Some("123456"), 12_345));
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
        let (r, _) = b.run(&mut t, &Req::purchase(&card, Entry::Chip, Some(&pin), 2_000));
        assert_eq!(r.code, Some(ResponseCode::Approved), "{id}");
        assert_eq!(r.arpc_ok, Some(true), "{id}");
    }
}
