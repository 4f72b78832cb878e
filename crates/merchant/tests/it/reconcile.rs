//! The reconciliation's behaviour beyond the scenarios: errors that name input, line and
//! column, the window, voucher matching, settlement edge cases, and card numbers.

use cardwire_merchant::reconcile::{
    JournalEntry, JournalFields, ReconcileConfig, Reconciler, RefundFee, reconcile,
};
use cardwire_merchant::{Column, ErrorKind, FeeRate, Input, RateTable, Rule, Severity};

const J: &str = "time,terminal_id,merchant_no,batch,stan,rrn,type,amount,fee\n";
const S: &str = "time,terminal_id,merchant_no,merchant_name,mcc,amount,fee,card,type,rrn\n";
const M: &str = "105584058120001";

fn jrow(time: &str, stan: u32, rrn: &str, kind: &str, amount: &str, fee: &str) -> String {
    format!("{time},10000001,{M},000001,{stan:06},{rrn},{kind},{amount},{fee}\n")
}

fn srow(time: &str, rrn: &str, kind: &str, amount: &str, fee: &str) -> String {
    format!("{time},10000001,{M},A shop,5812,{amount},{fee},622848******1234,{kind},{rrn}\n")
}

fn run(journal: &str, statement: &str, config: &ReconcileConfig) -> Vec<Rule> {
    reconcile(journal.as_bytes(), statement.as_bytes(), None, config)
        .unwrap()
        .findings
        .iter()
        .map(|f| f.rule())
        .collect()
}

#[test]
fn the_published_headers_are_the_ones_read() {
    use cardwire_merchant::reconcile::{JOURNAL_COLUMNS, SETTLEMENT_COLUMNS};
    assert_eq!(format!("{}\n", JOURNAL_COLUMNS.join(",")), J);
    let clean = std::fs::read_to_string(crate::spec("reconcile/clean/settlement.csv")).unwrap();
    assert_eq!(
        clean.lines().next(),
        Some(SETTLEMENT_COLUMNS.join(",").as_str())
    );
}

#[test]
fn a_malformed_row_names_input_line_and_column() {
    let journal = format!(
        "{J}{}{}",
        jrow("2026-11-02 09:00:00", 1, "1", "purchase", "1.00", ""),
        jrow("2026-11-02 09:01:00", 2, "2", "purchase", "1.0x", "")
    );
    let e = reconcile(
        journal.as_bytes(),
        S.as_bytes(),
        None,
        &ReconcileConfig::default(),
    )
    .unwrap_err();
    assert_eq!(e.input(), Some(Input::Journal));
    assert_eq!(e.line(), Some(3));
    assert_eq!(e.column(), Some(Column::Amount));
    assert_eq!(e.kind(), ErrorKind::NotAnAmount);
    assert_eq!(e.offset(), 3);

    let statement = format!(
        "{S}{}",
        srow("2026-11-02 09:00:00", "1", "refund", "5.00", "0")
    );
    let e = reconcile(
        J.as_bytes(),
        statement.as_bytes(),
        None,
        &ReconcileConfig::default(),
    )
    .unwrap_err();
    assert_eq!(
        (e.input(), e.line(), e.column()),
        (Some(Input::Statement), Some(2), Some(Column::Amount))
    );
    assert_eq!(e.kind(), ErrorKind::WrongSign);

    let statement = format!("{S}2026-11-02 09:00:00,10000001,{M},x\n");
    let e = reconcile(
        J.as_bytes(),
        statement.as_bytes(),
        None,
        &ReconcileConfig::default(),
    )
    .unwrap_err();
    assert_eq!(
        e.kind(),
        ErrorKind::FieldCount {
            expected: 10,
            found: 4
        }
    );
    assert_eq!(e.line(), Some(2));

    let e = reconcile(
        "time,terminal_id\n".as_bytes(),
        S.as_bytes(),
        None,
        &ReconcileConfig::default(),
    )
    .unwrap_err();
    assert_eq!(
        (e.input(), e.kind(), e.column()),
        (
            Some(Input::Journal),
            ErrorKind::MissingColumn,
            Some(Column::MerchantNo)
        )
    );
    let e = reconcile(
        J.as_bytes(),
        "".as_bytes(),
        None,
        &ReconcileConfig::default(),
    )
    .unwrap_err();
    assert_eq!((e.input(), e.line()), (Some(Input::Statement), Some(1)));

    let mut settlement = format!("date,merchant_no,gross,fee,net\n2026-11-32,{M},1.00,0.00,1.00\n");
    let e = reconcile(
        J.as_bytes(),
        S.as_bytes(),
        Some(&mut settlement.as_bytes()),
        &ReconcileConfig::default(),
    )
    .unwrap_err();
    assert_eq!(
        (e.input(), e.line(), e.column(), e.kind()),
        (
            Some(Input::Settlement),
            Some(2),
            Some(Column::Date),
            ErrorKind::OutOfRange
        )
    );
    settlement.clear();
}

#[test]
fn a_card_number_in_the_wrong_column_is_refused_not_shown() {
    let journal = format!(
        "{J}{}",
        jrow(
            "2026-11-02 09:00:00",
            1,
            "6228480000001234",
            "purchase",
            "1.00",
            ""
        )
    );
    let e = reconcile(
        journal.as_bytes(),
        S.as_bytes(),
        None,
        &ReconcileConfig::default(),
    )
    .unwrap_err();
    assert_eq!(e.column(), Some(Column::Rrn));
    assert!(!format!("{e} {e:?}").contains("6228480000001234"));
}

#[test]
fn rows_out_of_order_beyond_the_window_are_an_error_and_none_without_a_window() {
    let journal = format!(
        "{J}{}{}",
        jrow("2026-11-02 12:00:00", 1, "1", "purchase", "1.00", ""),
        jrow("2026-11-02 10:59:59", 2, "2", "purchase", "2.00", "")
    );
    let statement = format!(
        "{S}{}{}",
        srow("2026-11-02 10:59:59", "2", "purchase", "2.00", "0.01"),
        srow("2026-11-02 12:00:00", "1", "purchase", "1.00", "0.01")
    );
    let e = reconcile(
        journal.as_bytes(),
        statement.as_bytes(),
        None,
        &ReconcileConfig::default(),
    )
    .unwrap_err();
    assert_eq!(
        (e.kind(), e.input(), e.line()),
        (ErrorKind::OutOfOrder, Some(Input::Journal), Some(3))
    );
    let unbounded = ReconcileConfig {
        window: None,
        ..ReconcileConfig::default()
    };
    assert_eq!(run(&journal, &statement, &unbounded), []);
    // Within the window, disorder is fine.
    let journal = journal.replace("10:59:59", "11:00:01");
    let statement = statement.replace("10:59:59", "11:00:01");
    assert_eq!(run(&journal, &statement, &ReconcileConfig::default()), []);
}

#[test]
fn rows_further_apart_than_the_window_do_not_match() {
    let journal = format!(
        "{J}{}",
        jrow("2026-11-02 09:00:00", 1, "1", "purchase", "1.00", "")
    );
    let statement = format!(
        "{S}{}",
        srow("2026-11-02 10:00:01", "1", "purchase", "1.00", "0.01")
    );
    let config = ReconcileConfig {
        window: Some(3600),
        ..ReconcileConfig::default()
    };
    // Both are still held when the other comes: a window of an hour matches within an
    // hour, and may match up to two.
    assert_eq!(run(&journal, &statement, &config), []);
    let statement = format!(
        "{S}{}{}",
        srow("2026-11-02 11:00:01", "1", "purchase", "1.00", "0.01"),
        srow("2026-11-02 11:00:02", "9", "purchase", "1.00", "0.01")
    );
    assert_eq!(
        run(&journal, &statement, &config),
        [
            Rule::MissingOnStatement,
            Rule::MissingOnJournal,
            Rule::MissingOnJournal
        ]
    );
}

#[test]
fn refund_fees_are_kept_or_returned_as_configured() {
    let journal = format!(
        "{J}{}",
        jrow("2026-11-02 09:00:00", 1, "1", "refund", "-100.00", "")
    );
    let kept = format!(
        "{S}{}",
        srow("2026-11-02 09:00:00", "1", "refund", "-100.00", "0.00")
    );
    let returned = format!(
        "{S}{}",
        srow("2026-11-02 09:00:00", "1", "refund", "-100.00", "-0.60")
    );
    let mut config = ReconcileConfig {
        rates: Some(RateTable::flat(FeeRate::from_bps(60))),
        ..ReconcileConfig::default()
    };
    assert_eq!(run(&journal, &kept, &config), []);
    assert_eq!(run(&journal, &returned, &config), [Rule::FeeRateMismatch]);
    config.refund_fee = RefundFee::Returned;
    assert_eq!(run(&journal, &returned, &config), []);
    assert_eq!(run(&journal, &kept, &config), [Rule::FeeRateMismatch]);
}

#[test]
fn a_card_type_without_a_rate_is_counted_unchecked() {
    let statement = format!(
        "time,terminal_id,merchant_no,amount,fee,type,rrn,card_type\n\
         2026-11-02 09:00:00,10000001,{M},100.00,0.60,purchase,1,credit\n\
         2026-11-02 09:01:00,10000001,{M},100.00,0.50,purchase,2,debit\n"
    );
    let table = RateTable::from_csv("card_type,rate\ndebit,0.5\n".as_bytes()).unwrap();
    let config = ReconcileConfig {
        rates: Some(table),
        window: None,
        ..ReconcileConfig::default()
    };
    let r = reconcile(J.as_bytes(), statement.as_bytes(), None, &config).unwrap();
    assert_eq!(r.summary.fee_unchecked, 1);
    assert!(
        r.findings
            .iter()
            .all(|f| f.rule() == Rule::MissingOnJournal)
    );
}

#[test]
fn rate_tables_are_checked_line_by_line() {
    let bad = |csv: &str| RateTable::from_csv(csv.as_bytes()).unwrap_err();
    let e = bad("card_type,rate\ndebit,0.5\ndebit,0.6\n");
    assert_eq!(
        (e.kind(), e.line(), e.column(), e.input()),
        (
            ErrorKind::Duplicate,
            Some(3),
            Some(Column::CardType),
            Some(Input::RateTable)
        )
    );
    let e = bad("card_type,rate\nprepaid,0.5\n");
    assert_eq!(
        (e.kind(), e.column()),
        (ErrorKind::UnknownName, Some(Column::CardType))
    );
    let e = bad("card_type,rate\n*,abc\n");
    assert_eq!(
        (e.kind(), e.column()),
        (ErrorKind::NotAnAmount, Some(Column::Rate))
    );
    let e = bad("card_type,rate,cap\n*,0.6,-1\n");
    assert_eq!(
        (e.kind(), e.column()),
        (ErrorKind::WrongSign, Some(Column::Cap))
    );
    let e = bad("card_type,rate\n");
    assert_eq!(e.kind(), ErrorKind::Empty);
    let e = bad("rate\n0.6\n");
    assert_eq!(
        (e.kind(), e.column()),
        (ErrorKind::MissingColumn, Some(Column::CardType))
    );
    let t =
        RateTable::from_csv("# contract\nCard_Type , Rate\n 借记卡 , 0.5% \n*,0.6\n".as_bytes())
            .unwrap();
    assert_eq!(t.debit.unwrap().rate, FeeRate::from_bps(50));
    assert_eq!(t.any.unwrap().rate, FeeRate::from_bps(60));
    assert_eq!(t.to_string(), "debit 0.50%, other 0.60%");
}

#[test]
fn settlement_days_without_bookings_or_credits_are_reported() {
    let journal = format!(
        "{J}{}{}",
        jrow("2026-11-02 09:00:00", 1, "1", "purchase", "100.00", "0.60"),
        jrow("2026-11-04 09:00:00", 2, "2", "purchase", "50.00", "0.30")
    );
    let statement = format!(
        "{S}{}{}",
        srow("2026-11-02 09:00:00", "1", "purchase", "100.00", "0.60"),
        srow("2026-11-04 09:00:00", "2", "purchase", "50.00", "0.30")
    );
    let mut settlement = format!(
        "date,merchant_no,gross,fee,net\n2026-11-02,{M},100.00,0.60,99.40\n2026-11-03,{M},10.00,0.00,10.00\n"
    );
    let r = reconcile(
        journal.as_bytes(),
        statement.as_bytes(),
        Some(&mut settlement.as_bytes()),
        &ReconcileConfig::default(),
    )
    .unwrap();
    let shown: Vec<String> = r.findings.iter().map(ToString::to_string).collect();
    assert_eq!(
        shown,
        [
            format!(
                "{M} on 2026-11-03: 0 booked rows net 0.00 (gross 0.00 less fees 0.00), credited 10.00 (settlement line 3)"
            ),
            format!(
                "{M} on 2026-11-04: 1 booked rows net 49.70 (gross 50.00 less fees 0.30), no settlement credit"
            ),
        ]
    );
    assert!(
        r.findings
            .iter()
            .all(|f| f.severity() == Severity::Definitive)
    );
    assert_eq!(r.summary.credited.unwrap().net.0, 10_940);
    settlement.clear();
}

#[test]
fn duplicates_in_the_journal_are_suspicious_and_voids_match_on_their_own_rrn() {
    let row = jrow("2026-11-02 09:00:00", 1, "1", "purchase", "100.00", "0.60");
    let journal = format!(
        "{J}{row}{row}{}",
        jrow("2026-11-02 09:05:00", 2, "2", "void", "-100.00", "-0.60")
    );
    let statement = format!(
        "{S}{}{}",
        srow("2026-11-02 09:00:00", "1", "purchase", "100.00", "0.60"),
        srow("2026-11-02 09:05:00", "2", "void", "-100.00", "-0.60")
    );
    let r = reconcile(
        journal.as_bytes(),
        statement.as_bytes(),
        None,
        &ReconcileConfig::default(),
    )
    .unwrap();
    assert_eq!(r.findings.len(), 1);
    assert_eq!(r.findings[0].rule(), Rule::DuplicateBooking);
    assert_eq!(r.findings[0].severity(), Severity::Suspicious);
    assert_eq!(r.summary.matched, 2);
    assert_eq!(r.summary.journal.gross.0, 0);
    assert_eq!(r.summary.statement.net().0, 0);
}

#[test]
fn the_streaming_api_takes_rows_one_by_one() {
    let mut found = Vec::new();
    let mut r = Reconciler::new(ReconcileConfig::default(), |f| found.push(f.rule()));
    let entry = JournalEntry::parse(&JournalFields {
        time: b"2026-11-02 09:00:00",
        terminal_id: b"10000001",
        merchant_no: M.as_bytes(),
        batch: b"1",
        stan: b"7",
        rrn: b"",
        kind: "消费".as_bytes(),
        amount: b"12.00",
        fee: None,
        card_type: None,
    })
    .unwrap();
    r.journal(2, &entry).unwrap();
    r.end(Input::Statement);
    let later = JournalEntry {
        time: cardwire_merchant::Timestamp::parse(b"2026-11-02 12:00:00").unwrap(),
        ..entry
    };
    r.journal(3, &later).unwrap_or_else(|e| panic!("{e:?}"));
    // The first is released as soon as the window has passed on the journal (the statement
    // has ended): before finish.
    assert_eq!(r.summary().missing_on_statement, 1);
    let summary = r.finish();
    assert_eq!(summary.journal_rows, 2);
    assert_eq!(found, [Rule::MissingOnStatement, Rule::MissingOnStatement]);
}
