//! The terminal's journal export, read by cardwire-merchant's reconciliation against the
//! acquirer's statement of the same transactions: clean when both sides booked the same
//! money, a finding per rule when the acquirer books otherwise.

use cardwire_acquirer::statement;
use cardwire_merchant::reconcile::{JOURNAL_COLUMNS, ReconcileConfig, Reconciliation, reconcile};
use cardwire_merchant::{FeeRate, RateTable, Rule};
use cardwire_pos::terminal::Reference;
use cardwire_testkit::fake_host::now;
use cardwire_testkit::scenario::{Scenario, approved};

/// noodle-1's contracted rate in the fixtures (`fee_bps` 60).
const RATE: FeeRate = FeeRate::from_bps(60);

/// A batch with every journaled type: purchases, a void, a refund, a pre-authorisation with
/// its completion and the completion's void, a pre-authorisation voided.
fn every_type() -> Scenario {
    let mut s = Scenario::signed_in("noodle-1");
    let swipe = s.swipe("debit-chip");
    let pin = s.pin("debit-chip");
    let sale = s.purchase("debit-chip", 12_345);
    let kept = s.purchase("debit-chip", 5_850);
    approved(s.run(|t, out| t.void(sale.record.stan, Some(&swipe), Some(&pin), now(), out)));
    let kept_ref = Reference::of(&kept.record);
    approved(s.run(|t, out| t.refund(&kept_ref, &swipe, 2_000, Some(&pin), now(), out)));
    let pre = approved(s.run(|t, out| t.pre_auth(&swipe, 30_000, Some(&pin), now(), out)));
    let pre_ref = Reference::of(&pre.record);
    let completion = approved(
        s.run(|t, out| t.pre_auth_completion(&pre_ref, &swipe, 28_000, Some(&pin), now(), out)),
    );
    approved(s.run(|t, out| {
        t.completion_void(completion.record.stan, Some(&swipe), Some(&pin), now(), out)
    }));
    let pre2 = approved(s.run(|t, out| t.pre_auth(&swipe, 100, Some(&pin), now(), out)));
    let pre2_ref = Reference::of(&pre2.record);
    approved(s.run(|t, out| t.pre_auth_void(&pre2_ref, &swipe, 100, Some(&pin), now(), out)));
    s
}

fn journal_csv(s: &Scenario) -> String {
    let mut out = String::new();
    s.t.write_journal_csv(&mut out).unwrap();
    out
}

fn statement_csv(s: &Scenario) -> String {
    let mut out = Vec::new();
    statement::write_csv(s.acq.host.lock().unwrap().ledger(), &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

fn reconciled(journal: &str, statement: &str) -> Reconciliation {
    let config = ReconcileConfig {
        rates: Some(RateTable::flat(RATE)),
        ..ReconcileConfig::default()
    };
    reconcile(journal.as_bytes(), statement.as_bytes(), None, &config).unwrap()
}

#[test]
fn the_journal_export_reconciles_clean_against_the_statement() {
    let s = every_type();
    let journal = journal_csv(&s);
    let statement = statement_csv(&s);
    let r = reconciled(&journal, &statement);
    assert!(
        r.findings.is_empty(),
        "{:#?}\n{journal}\n{statement}",
        r.findings
    );
    // Purchase ×2, void, refund, completion, completion void: the booked ones; the two
    // pre-authorisations and the pre-authorisation void are the journal's alone.
    assert_eq!(r.summary.journal_rows, 9);
    assert_eq!(r.summary.matched, 6);
}

#[test]
fn the_export_writes_the_reconciliation_columns_signed_yuan_and_masked_cards() {
    let s = every_type();
    let journal = journal_csv(&s);
    let mut lines = journal.lines();
    assert_eq!(
        lines.next().unwrap(),
        format!("{},card", JOURNAL_COLUMNS.join(","))
    );
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    let tid = s.t.config().terminal_id();
    let merchant = s.t.config().merchant_no();
    for row in &rows {
        assert_eq!(row.len(), JOURNAL_COLUMNS.len() + 1, "{row:?}");
        assert_eq!((row[1], row[2]), (tid, merchant));
        assert_eq!(row[3].len(), 6);
        assert_eq!(row[4].len(), 6);
        assert_eq!(row[9], "621483******5673");
    }
    let by_type = |kind: &str| -> Vec<(&str, &str)> {
        rows.iter()
            .filter(|r| r[6] == kind)
            .map(|r| (r[7], r[8]))
            .collect()
    };
    // 0.60 % half up to the fen: 123.45 → 0.74, 58.50 → 0.35, 280.00 → 1.68.
    assert_eq!(by_type("purchase"), [("123.45", "0.74"), ("58.50", "0.35")]);
    assert_eq!(by_type("void"), [("-123.45", "-0.74")]);
    assert_eq!(by_type("refund"), [("-20.00", "0.00")]);
    assert_eq!(by_type("preauth"), [("300.00", ""), ("1.00", "")]);
    assert_eq!(by_type("preauth-void"), [("-1.00", "")]);
    assert_eq!(by_type("completion"), [("280.00", "1.68")]);
    assert_eq!(by_type("completion-void"), [("-280.00", "-1.68")]);
    // No clear card number anywhere.
    assert!(!journal.contains("6214830012345673"));
}

#[test]
fn a_statement_booking_more_or_another_rate_is_found() {
    let s = every_type();
    let journal = journal_csv(&s);
    let statement = statement_csv(&s);
    // The acquirer books the kept purchase 0.01 higher and charges it 0.78 %.
    let tampered: String = statement
        .lines()
        .map(|l| {
            if l.contains(",58.50,0.35,") {
                l.replace(",58.50,0.35,", ",58.51,0.46,")
            } else {
                l.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    assert_ne!(tampered, statement.trim_end());
    let r = reconciled(&journal, &tampered);
    let rules: Vec<Rule> = r.findings.iter().map(|f| f.rule()).collect();
    // And the rate the fees imply moves (0.60 %, 0.78 %, back) within the period.
    assert_eq!(
        rules,
        [
            Rule::AmountMismatch,
            Rule::FeeMismatch,
            Rule::FeeRateMismatch,
            Rule::FeeRateChanged,
        ],
        "{:#?}",
        r.findings
    );
}

#[test]
fn a_journal_too_large_for_the_buffer_is_an_error_not_a_cut_row() {
    struct Fixed<const N: usize>([u8; N], usize);
    impl<const N: usize> core::fmt::Write for Fixed<N> {
        fn write_str(&mut self, s: &str) -> core::fmt::Result {
            let end = self.1 + s.len();
            let slot = self.0.get_mut(self.1..end).ok_or(core::fmt::Error)?;
            slot.copy_from_slice(s.as_bytes());
            self.1 = end;
            Ok(())
        }
    }
    let s = every_type();
    let mut small = Fixed([0u8; 200], 0);
    assert_eq!(
        s.t.write_journal_csv(&mut small).unwrap_err().kind(),
        cardwire_pos::ErrorKind::BufferTooSmall
    );
    let mut enough = Fixed([0u8; 2048], 0);
    s.t.write_journal_csv(&mut enough).unwrap();
    assert_eq!(&enough.0[..enough.1], journal_csv(&s).as_bytes());
}
