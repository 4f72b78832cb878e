//! The reconciliation's memory is bounded by the open transactions, not by the rows: the
//! peak heap of a million rows a side is that of a hundred thousand (counting allocator).

use std::io::Read;

use cardwire_merchant::reconcile::{ReconcileConfig, Reconciler};
use cardwire_merchant::{FeeRate, RateTable};

/// A journal or a statement of `rows` purchases, one every three seconds over 50
/// terminals, written as it is read.
pub struct Generated {
    rows: usize,
    next: usize,
    statement: bool,
    line: Vec<u8>,
    pos: usize,
}

impl Generated {
    pub fn new(rows: usize, statement: bool) -> Self {
        let header: &[u8] = if statement {
            b"time,terminal_id,merchant_no,merchant_name,mcc,amount,fee,card,type,rrn\n"
        } else {
            b"time,terminal_id,merchant_no,batch,stan,rrn,type,amount,fee\n"
        };
        Self {
            rows,
            next: 0,
            statement,
            line: header.to_vec(),
            pos: 0,
        }
    }

    fn row(&self, i: usize) -> String {
        let seconds = 1_793_577_600 + 3 * i as i64; // 2026-11-02 00:00:00 onwards
        let day = seconds / 86_400;
        let (y, m, d) = civil(day);
        let s = seconds % 86_400;
        let time = format!(
            "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
            s / 3600,
            s / 60 % 60,
            s % 60
        );
        let t = i % 50;
        let amount = 100 + i % 500_000;
        // Every 997th statement row is booked a fen higher: a finding, counted, not kept.
        let booked = if self.statement && i.is_multiple_of(997) {
            amount + 1
        } else {
            amount
        };
        let fee = FeeRate::from_bps(60).fee(booked as u64);
        let yuan = |fen: usize| format!("{}.{:02}", fen / 100, fen % 100);
        if self.statement {
            format!(
                "{time},{:08},1055840581200{t:02},shop,5812,{},{},622848******1234,purchase,{i:012}\n",
                10_000_000 + t,
                yuan(booked),
                yuan(fee as usize)
            )
        } else {
            format!(
                "{time},{:08},1055840581200{t:02},{:06},{:06},{i:012},purchase,{},\n",
                10_000_000 + t,
                i / 1000 % 1_000_000,
                i % 1_000_000,
                yuan(amount)
            )
        }
    }
}

/// Days since 1970-01-01 to (year, month, day).
fn civil(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

impl Read for Generated {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.pos == self.line.len() {
            if self.next == self.rows {
                return Ok(0);
            }
            self.line = self.row(self.next).into_bytes();
            self.next += 1;
            self.pos = 0;
        }
        let n = buf.len().min(self.line.len() - self.pos);
        buf[..n].copy_from_slice(&self.line[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

#[test]
fn generated_rows_are_what_the_reconciler_reads() {
    let mut text = String::new();
    Generated::new(2, true).read_to_string(&mut text).unwrap();
    assert_eq!(
        text.lines().nth(1),
        Some(
            "2026-11-02 00:00:00,10000000,105584058120000,shop,5812,1.01,0.01,622848******1234,purchase,000000000000"
        )
    );
}

#[test]
fn peak_memory_is_flat_from_100k_to_1m_rows() {
    let peak = |rows: usize| {
        let mut findings = 0u64;
        let mut summary = None;
        let info = allocation_counter::measure(|| {
            let config = ReconcileConfig {
                rates: Some(RateTable::flat(FeeRate::from_bps(60))),
                ..ReconcileConfig::default()
            };
            let mut r = Reconciler::new(config, |_| findings += 1);
            r.check_settlement();
            summary = Some(
                r.read_csv(Generated::new(rows, false), Generated::new(rows, true))
                    .unwrap(),
            );
        });
        let s = summary.unwrap();
        assert_eq!(s.journal_rows, rows as u64);
        assert_eq!(s.matched, rows as u64);
        let mismatches = rows.div_ceil(997) as u64;
        // amount-mismatch and fee-rate-mismatch where the fee moved, one settlement-short per
        // day (no credits were given).
        assert!(s.findings.definitive >= mismatches, "{s:?}");
        assert_eq!(findings, s.findings.definitive + s.findings.suspicious);
        (info.bytes_max, s.peak_open)
    };
    let (small, open_small) = peak(100_000);
    let (large, open_large) = peak(1_000_000);
    assert_eq!(open_small, open_large);
    assert!(
        large < small + small / 5,
        "100k rows: {small} B peak, 1M rows: {large} B peak"
    );
    eprintln!(
        "peak heap: 100k rows {small} B, 1M rows {large} B, {open_large} transactions open at most"
    );
}
