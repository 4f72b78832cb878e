//! The deterministic session the fuzz target and its seed requests share.

use cardwire_acquirer::Host;
use cardwire_acquirer::ledger::MemoryLedger;
use cardwire_iso8583::cups::{Original, SettlementTotals, Transaction};

use crate::fixtures::Fixtures;
use crate::request::{Entry, Req, TestTerminal};
use crate::rng::CounterRng;

/// The seed used for [`CounterRng`] by [`seed_session`].
pub const SEED: u64 = 0x00C0_FFEE;

/// A host over a memory ledger with terminal `noodle-1` signed in under [`CounterRng`]`(SEED)`,
/// the same way every time: the fuzz target and the seed requests share its keys.
///
/// # Panics
/// When the fixtures are broken (test support).
pub fn seed_session(fx: &Fixtures) -> (Host<MemoryLedger>, TestTerminal) {
    let mut host = Host::new(fx.registry.clone(), MemoryLedger::new()).expect("host");
    let mut t = fx.test_terminal("noodle-1");
    let mut buf = [0u8; 512];
    let n = t.sign_in(&mut buf);
    let mut out = [0u8; 512];
    let a = host
        .handle(
            buf.get(..n).unwrap_or_default(),
            crate::HOST_TIME,
            &mut CounterRng(SEED),
            &mut out,
        )
        .expect("sign-in");
    t.accept_sign_in(out.get(..a.len).unwrap_or_default())
        .expect("keys");
    (host, t)
}

/// Requests of every kind from the terminal of [`seed_session`], in an order where each
/// original exists before its void, refund or completion: `(name, frame)`.
pub fn seed_requests(fx: &Fixtures) -> Vec<(String, Vec<u8>)> {
    let (_, mut t) = seed_session(fx);
    let debit = fx.card("debit-chip");
    let credit = fx.card("credit-chip");
    let long = fx.card("long-pan");
    let mut out = Vec::new();
    let mut push = |name: &str, t: &mut TestTerminal, req: &Req<'_>| -> u32 {
        let mut buf = [0u8; 512];
        let (n, stan) = t.request(req, &mut buf);
        out.push((name.into(), buf.get(..n).unwrap_or_default().to_vec()));
        stan
    };
    let swipe = Req::purchase(debit, Entry::Swipe, Some("123456"), 12_345);
    let s1 = push("purchase-swipe-pin", &mut t, &swipe);
    push(
        "purchase-chip-pin",
        &mut t,
        &Req::purchase(credit, Entry::Chip, Some("246810"), 8_800),
    );
    push(
        "purchase-tap",
        &mut t,
        &Req::purchase(credit, Entry::Tap, None, 990),
    );
    push(
        "purchase-long-pan",
        &mut t,
        &Req::purchase(long, Entry::Chip, Some("8642"), 100),
    );
    push(
        "purchase-wrong-pin",
        &mut t,
        &Req::purchase(debit, Entry::Swipe, Some("000000"), 1),
    );
    let original = Original {
        batch: t.batch,
        stan: s1,
        date: 0,
    };
    push(
        "void",
        &mut t,
        &Req {
            card: Some(debit),
            amount: Some(12_345),
            original: Some(original),
            rrn: Some("000000000001"),
            ..Req::new(Transaction::PurchaseVoid)
        },
    );
    push(
        "refund",
        &mut t,
        &Req {
            card: Some(credit),
            amount: Some(800),
            original: Some(Original {
                date: 1126,
                stan: s1 + 1,
                ..original
            }),
            rrn: Some("000000000002"),
            ..Req::new(Transaction::Refund)
        },
    );
    let pa = push(
        "preauth",
        &mut t,
        &Req {
            card: Some(credit),
            amount: Some(50_000),
            ..Req::new(Transaction::PreAuth)
        },
    );
    push(
        "preauth-completion",
        &mut t,
        &Req {
            card: Some(credit),
            amount: Some(40_000),
            original: Some(Original {
                stan: pa,
                ..original
            }),
            ..Req::new(Transaction::PreAuthCompletion)
        },
    );
    push(
        "balance",
        &mut t,
        &Req {
            card: Some(debit),
            pin: Some("123456"),
            ..Req::new(Transaction::Balance)
        },
    );
    let mut buf = [0u8; 512];
    let n = t.reversal(&swipe, s1, &mut buf);
    let reversal = buf.get(..n).unwrap_or_default().to_vec();
    push(
        "settlement",
        &mut t,
        &Req {
            totals: Some(SettlementTotals::default()),
            ..Req::new(Transaction::Settlement)
        },
    );
    push(
        "batch-upload-end",
        &mut t,
        &Req::new(Transaction::BatchUploadEnd),
    );
    out.push(("reversal".into(), reversal));
    out
}
