//! Any bytes as the fields of a journal, statement and settlement row, and as the values
//! the reconciler parses (times, dates, types, RRNs, vouchers, a rate table): never a panic,
//! and what parses prints back to what it read.
#![no_main]

use cardwire_merchant::reconcile::{
    Credit, JournalEntry, JournalFields, SettlementFields, StatementEntry, StatementFields,
};
use cardwire_merchant::{CardType, Date, RateTable, Rrn, Timestamp, TxType, Voucher};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut fields = data.split(|&b| b == b',');
    let mut next = || fields.next().unwrap_or_default();
    let f: [&[u8]; 10] = std::array::from_fn(|_| next());
    let journal = JournalFields {
        time: f[0],
        terminal_id: f[1],
        merchant_no: f[2],
        batch: f[3],
        stan: f[4],
        rrn: f[5],
        kind: f[6],
        amount: f[7],
        fee: Some(f[8]),
        card_type: Some(f[9]),
    };
    if let Ok(e) = JournalEntry::parse(&journal) {
        assert_eq!(
            e.rrn.map(|r| r.as_str().as_bytes().to_vec()),
            (!f[5].is_empty()).then(|| f[5].to_vec())
        );
        assert_eq!(Timestamp::parse(e.time.to_string().as_bytes()), Ok(e.time));
    }
    let statement = StatementFields {
        time: f[0],
        terminal_id: f[1],
        merchant_no: f[2],
        kind: f[3],
        amount: f[4],
        fee: f[5],
        rrn: f[6],
        batch: Some(f[7]),
        stan: Some(f[8]),
        card_type: Some(f[9]),
    };
    if let Ok(e) = StatementEntry::parse(&statement) {
        assert!(e.kind.sign() != cardwire_merchant::AmountSign::Positive || e.amount.0 >= 0);
        assert!(e.kind.sign() != cardwire_merchant::AmountSign::Negative || e.amount.0 <= 0);
    }
    let settlement = SettlementFields {
        date: f[0],
        merchant_no: f[1],
        gross: f[2],
        fee: f[3],
        net: f[4],
    };
    if let Ok(c) = Credit::parse(&settlement) {
        assert_eq!(Date::parse(c.date.to_string().as_bytes()), Ok(c.date));
    }

    // Single values.
    if let Ok(t) = Timestamp::parse(data) {
        assert_eq!(Timestamp::parse(t.to_string().as_bytes()), Ok(t));
        assert_eq!(
            t.date(),
            Date::parse(t.to_string().as_bytes().get(..10).unwrap_or_default()).unwrap()
        );
    }
    if let Ok(d) = Date::parse(data) {
        assert_eq!(Date::parse(d.to_string().as_bytes()), Ok(d));
    }
    if let Ok(t) = TxType::parse(data) {
        assert_eq!(TxType::parse(t.id().as_bytes()), Ok(t));
    }
    if let Ok(c) = CardType::parse(data) {
        assert_eq!(CardType::parse(c.id().as_bytes()), Ok(c));
    }
    if let Ok(r) = Rrn::parse(data) {
        assert_eq!(r.as_str().as_bytes(), data);
    }
    if let Ok(n) = Voucher::parse_number(data) {
        assert!(n < 1_000_000);
    }
    if let Ok(table) = RateTable::from_csv(data) {
        let _ = table.to_string();
        for card in [None, Some(CardType::Debit), Some(CardType::Credit)] {
            if let Some(rate) = table.for_card(card) {
                let fee = rate.fee(u64::from(u32::MAX));
                assert!(rate.cap.is_none_or(|cap| fee <= cap));
            }
        }
    }
});
