//! Any bytes as a journal, a statement and a settlement (three CSV documents, headers
//! included, separated by NUL bytes), reconciled with and without a window: never a panic;
//! the totals agree with the findings; a card number in the card column is never shown.
#![no_main]

use cardwire_merchant::reconcile::{ReconcileConfig, reconcile};
use cardwire_merchant::{FeeRate, RateTable, Rule};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut parts = data.splitn(3, |&b| b == 0);
    let journal = parts.next().unwrap_or_default();
    let statement = parts.next().unwrap_or_default();
    let settlement = parts.next();
    for window in [Some(60), None] {
        let config = ReconcileConfig {
            rates: Some(RateTable::flat(FeeRate::from_bps(60))),
            window,
            ..ReconcileConfig::default()
        };
        let mut credits = settlement;
        let result = reconcile(
            journal,
            statement,
            credits.as_mut().map(|c| c as &mut dyn std::io::Read),
            &config,
        );
        let Ok(r) = result else {
            let e = result.unwrap_err();
            assert!(e.input().is_some(), "{e:?}");
            let _ = e.to_string();
            continue;
        };
        let s = &r.summary;
        let count = |rule: Rule| r.findings.iter().filter(|f| f.rule() == rule).count() as u64;
        assert_eq!(count(Rule::MissingOnStatement), s.missing_on_statement);
        assert_eq!(count(Rule::MissingOnJournal), s.missing_on_journal);
        assert_eq!(
            s.findings.info + s.findings.suspicious + s.findings.definitive,
            r.findings.len() as u64
        );
        assert!(s.matched + s.missing_on_journal <= s.statement.rows);
        assert!(s.peak_open <= s.journal_rows + s.statement.rows);
        let cards = card_numbers(statement, &[journal, settlement.unwrap_or_default()]);
        for f in &r.findings {
            let text = f.to_string();
            // The card column is never read: a card number there reaches no finding (unless
            // the same digits stand in a column that is read).
            for card in &cards {
                assert!(!text.contains(card.as_str()), "{card} in {text}");
            }
            f.evidence().fields(&mut |_, v| {
                let _ = format!("{v:?}");
            });
        }
    }
});

/// The card numbers (13 or more digits) of the statement's `card` column whose digits appear
/// in no other field of the statement and nowhere in the other inputs.
fn card_numbers(statement: &[u8], others: &[&[u8]]) -> Vec<String> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(statement);
    let mut records = reader.byte_records().map_while(Result::ok);
    let Some(header) = records.next() else {
        return Vec::new();
    };
    let Some(col) = header
        .iter()
        .position(|h| h.trim_ascii().eq_ignore_ascii_case(b"card"))
    else {
        return Vec::new();
    };
    let rows: Vec<csv::ByteRecord> = records.collect();
    let mut cards = Vec::new();
    for row in &rows {
        let Some(card) = row.get(col) else { continue };
        let card = card.trim_ascii();
        if card.len() < 13 || !card.iter().all(u8::is_ascii_digit) {
            continue;
        }
        let contains = |hay: &[u8]| hay.windows(card.len()).any(|w| w == card);
        let elsewhere = others.iter().any(|o| contains(o))
            || rows
                .iter()
                .any(|r| r.iter().enumerate().any(|(i, f)| i != col && contains(f)));
        if !elsewhere {
            cards.push(String::from_utf8_lossy(card).into_owned());
        }
    }
    cards
}
