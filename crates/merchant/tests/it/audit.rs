//! The statement audit: columns by name, malformed rows with line numbers, terminal and
//! merchant findings, and memory that does not grow with the number of rows.

use std::io::Read;

use cardwire_merchant::{
    AuditConfig, AuditReport, Column, ErrorKind, Expectation, MccGroup, Rule, audit, audit_with,
};

fn run(csv: &str) -> AuditReport {
    audit(csv.as_bytes(), &AuditConfig::default()).unwrap()
}

fn terminal_rules(r: &AuditReport, tid: &str) -> Vec<Rule> {
    r.terminals
        .iter()
        .find(|t| t.terminal_id.as_str() == tid)
        .unwrap()
        .findings
        .iter()
        .map(|f| f.rule())
        .collect()
}

const HEADER: &str = "time,terminal_id,merchant_no,merchant_name,mcc,amount,fee,card,type,rrn\n";

#[test]
fn columns_are_found_by_name_in_any_order() {
    let csv = "\u{feff}RRN,Amount,Card,Merchant_No,extra,Terminal_ID,TIME\n\
               1,10.00,622848******1234,105584058120001,x,10000001,2026-11-02 09:00\n\
               2,\"1,0\",622848******1234,105584058120001,x,10000001,2026-11-02 09:01\n";
    let r = run(csv);
    assert_eq!(r.rows, 2);
    assert_eq!(r.terminals.len(), 1);
    assert_eq!(r.terminals[0].amount_fen, 1000);
    assert_eq!(r.errors.len(), 1);
    assert_eq!(r.errors[0].line(), Some(3));
    assert_eq!(r.errors[0].column(), Some(Column::Amount));
}

#[test]
fn a_missing_required_column_stops_the_audit() {
    let e = audit(
        "time,terminal_id,amount\n2026,10000001,1.00\n".as_bytes(),
        &AuditConfig::default(),
    )
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::MissingColumn);
    assert_eq!(e.column(), Some(Column::MerchantNo));
    assert!(audit("".as_bytes(), &AuditConfig::default()).is_err());
}

#[test]
fn malformed_rows_are_reported_and_the_audit_goes_on() {
    let csv = format!(
        "{HEADER}\
         ,10000001,105584058120001,a,5812,1.00,0,,purchase,1\n\
         t,10000001,105584058120001,a,5812,1.00\n\
         t,,105584058120001,a,5812,1.00,0,,purchase,1\n\
         t,10000001,,a,5812,1.00,0,,purchase,1\n\
         t,10000001,105584058120001,a,5812,,0,,purchase,1\n\
         t,10000001,105584058120001,a,581,1.00,0,,purchase,1\n\
         t,10000001,105584058120001,a,5812,2.50,0,,purchase,1\n"
    );
    let r = run(&csv);
    assert_eq!(r.rows, 7);
    let lines: Vec<_> = r.errors.iter().map(|e| e.line().unwrap()).collect();
    assert_eq!(lines, [2, 3, 4, 5, 6, 7]);
    assert_eq!(r.terminals[0].rows, 1);
    assert_eq!(r.terminals[0].amount_fen, 250);
}

#[test]
fn errors_can_be_streamed_instead_of_collected() {
    let csv = format!("{HEADER}t,10000001,105584058120001,a,5812,x,0,,purchase,1\n");
    let mut seen = Vec::new();
    let r = audit_with(csv.as_bytes(), &AuditConfig::default(), |e| seen.push(e)).unwrap();
    assert!(r.errors.is_empty());
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].line(), Some(2));
}

#[test]
fn honest_terminal_is_silent() {
    let mut csv = String::from(HEADER);
    for i in 0..50 {
        csv += &format!("t{i},10000001,105584058120001,a,5812,{i}.00,0,,purchase,{i}\n");
    }
    let r = run(&csv);
    assert!(r.terminals[0].findings.is_empty());
    assert!(r.findings.is_empty());
    assert!(r.errors.is_empty());
    assert_eq!(r.terminals[0].merchant_nos, ["105584058120001"]);
}

#[test]
fn code_pool_terminal_raises_every_terminal_rule() {
    let pool = [
        "105584070110001",
        "105290054110007",
        "822651080620003",
        "836584053000011",
    ];
    let mut csv = String::from(HEADER);
    for i in 0..20 {
        let no = pool[i % pool.len()];
        csv += &format!("t,20000002,{no},a,,1.00,0,,purchase,{i}\n");
    }
    let r = run(&csv);
    assert_eq!(
        terminal_rules(&r, "20000002"),
        [
            Rule::TerminalMerchantChanged,
            Rule::ManyMerchantsPerTerminal,
            Rule::MccDrift,
            Rule::RegionDrift
        ]
    );
    let changed = &r.terminals[0].findings[0];
    assert_eq!(changed.first_line(), Some(3));
    assert_eq!(changed.occurrences(), 19);
}

#[test]
fn a_few_numbers_on_one_terminal_stay_below_the_threshold() {
    let mut csv = String::from(HEADER);
    for (i, no) in ["105584070110001", "105584070110002", "105584070110001"]
        .iter()
        .enumerate()
    {
        csv += &format!("t,20000002,{no},a,,1.00,0,,purchase,{i}\n");
    }
    let r = run(&csv);
    assert_eq!(
        terminal_rules(&r, "20000002"),
        [Rule::TerminalMerchantChanged]
    );
}

#[test]
fn merchant_findings_use_the_expectation_and_the_mcc_column() {
    let csv = format!(
        "{HEADER}\
         t,20000002,105290054110007,a,7011,1.00,0,,purchase,1\n\
         t,20000002,105290054110007,a,7011,1.00,0,,purchase,2\n\
         t,10000001,105584070110001,a,7011,1.00,0,,purchase,3\n\
         t,30000003,1055840701100,a,,1.00,0,,purchase,4\n"
    );
    let config = AuditConfig {
        expectation: Expectation {
            group: Some(MccGroup::Hotel),
            ..Expectation::default()
        },
        ..AuditConfig::default()
    };
    let r = audit(csv.as_bytes(), &config).unwrap();
    let got: Vec<(Rule, Option<String>)> = r
        .findings
        .iter()
        .map(|f| (f.rule(), f.merchant().map(|m| m.to_string())))
        .collect();
    let market = Some("105290054110007".to_owned());
    assert_eq!(
        got,
        [
            (Rule::InconsistentFields, market.clone()),
            (Rule::MccNotExpected, market.clone()),
            (Rule::CheaperTier, market.clone()),
            (Rule::NoPointsCategory, market),
            (Rule::MalformedMerchantNo, None),
        ]
    );
    assert_eq!(r.findings[0].occurrences(), 2);
    assert!(r.findings[4].to_string().contains("\"1055840701100\""));
}

/// A statement generated on the fly: `rows` rows over 1 000 terminals, every tenth of them a
/// code-pool terminal cycling through four merchant numbers.
struct Generated {
    rows: usize,
    next: usize,
    line: Vec<u8>,
    pos: usize,
}

impl Generated {
    fn new(rows: usize) -> Self {
        Self {
            rows,
            next: 0,
            line: HEADER.as_bytes().to_vec(),
            pos: 0,
        }
    }
}

impl Read for Generated {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.pos == self.line.len() {
            if self.next == self.rows {
                return Ok(0);
            }
            let i = self.next;
            self.next += 1;
            let t = i % 1000;
            let mcc = if t.is_multiple_of(10) {
                [7011, 5411, 8062, 5300][i / 1000 % 4]
            } else {
                5812
            };
            self.line = format!(
                "2026-11-02 09:00:00,{:08},1055840{mcc:04}{t:04},shop,{mcc},12.34,0.07,622848******1234,purchase,{i:012}\n",
                10_000_000 + t
            )
            .into_bytes();
            self.pos = 0;
        }
        let n = buf.len().min(self.line.len() - self.pos);
        buf[..n].copy_from_slice(&self.line[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

#[test]
fn memory_does_not_grow_with_rows() {
    let peak = |rows: usize| {
        let mut report = None;
        let info = allocation_counter::measure(|| {
            report = Some(audit(Generated::new(rows), &AuditConfig::default()).unwrap());
        });
        let report = report.unwrap();
        assert_eq!(report.rows, rows as u64);
        assert!(report.errors.is_empty(), "{:?}", report.errors.first());
        assert_eq!(report.terminals.len(), 1000);
        assert!(
            report
                .findings
                .iter()
                .all(|f| f.rule() == Rule::NoPointsCategory)
        );
        let pools = report
            .terminals
            .iter()
            .filter(|t| !t.findings.is_empty())
            .count();
        assert_eq!(pools, 100);
        info.bytes_max
    };
    let small = peak(20_000);
    let large = peak(200_000);
    // Ten times the rows, the same terminals and merchant numbers: the same peak, give or take
    // the growth of a few small vectors.
    assert!(
        large < small + small / 4,
        "20k rows: {small} B, 200k rows: {large} B"
    );
}
