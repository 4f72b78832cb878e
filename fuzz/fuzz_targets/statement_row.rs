//! Any bytes as the rows of a statement under the POS export header, and as one row's fields:
//! the audit never panics, never stops on a bad row, and accounts for every row.
//!
//! One `StatementReader` serves every input, as a server auditing uploads keeps one: the
//! CSV parser is built once per process, not per input.
#![no_main]

use std::cell::RefCell;
use std::io::{Read, Write};

use cardwire_merchant::{AuditConfig, Auditor, StatementReader, StatementRow};
use libfuzzer_sys::fuzz_target;

thread_local! {
    static READER: RefCell<StatementReader> = RefCell::new(StatementReader::new());
}

const HEADER: &[u8] = b"time,terminal_id,merchant_no,merchant_name,mcc,amount,fee,card,type,rrn\n";

fuzz_target!(|data: &[u8]| {
    // Header and rows read in turn: no copy of the input per run.
    let report = READER
        .with_borrow_mut(|r| r.audit(HEADER.chain(data), &AuditConfig::default()))
        .expect("header is present");
    let in_terminals: u64 = report.terminals.iter().map(|t| t.rows).sum();
    assert_eq!(in_terminals + report.errors.len() as u64, report.rows);
    for f in report
        .findings
        .iter()
        .chain(report.terminals.iter().flat_map(|t| &t.findings))
    {
        // Displayed without keeping the text: the formatting runs, nothing is allocated.
        write!(std::io::sink(), "{f}").expect("a finding displays");
    }
    for e in &report.errors {
        assert!(e.line().is_some());
        write!(std::io::sink(), "{e}").expect("an error displays");
    }

    // The same bytes as one row's fields, straight into the streaming API.
    let mut fields = data.splitn(5, |&b| b == b',');
    let mut next = || fields.next().unwrap_or_default();
    let row = StatementRow {
        time: next(),
        terminal_id: next(),
        merchant_no: next(),
        mcc: Some(next()),
        amount: next(),
    };
    let mut auditor = Auditor::new(AuditConfig::default());
    let _ = auditor.row(2, &row);
    let _ = auditor.row(3, &row);
    let _ = auditor.finish();
});
