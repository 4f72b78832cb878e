//! The reusable `StatementReader` reads statements exactly as the `csv` crate's reader did
//! (the same records, fields and line numbers), whether the input is a slice or comes in
//! small reads, and a reader reused after any statement — one cut by an I/O error included —
//! gives what a new one gives.

use std::io::{BufReader, Read};

use cardwire_merchant::{
    AuditConfig, AuditReport, Auditor, Error, ErrorKind, StatementReader, StatementRow, audit,
};

const HEADER: &[u8] = b"time,terminal_id,merchant_no,merchant_name,mcc,amount,fee,card,type,rrn\n";

/// Rows, per-terminal (id, rows, merchant numbers), the number of findings, errors as
/// (line, kind).
type Summary = (
    u64,
    Vec<(String, u64, Vec<String>)>,
    usize,
    Vec<(u64, ErrorKind)>,
);

/// The audit as it was written on the `csv` crate's reader (the columns of `HEADER`):
/// row count, per-terminal rows and merchant numbers, findings, and errors as (line, kind).
fn reference(input: &[u8]) -> Summary {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(input);
    let mut record = csv::ByteRecord::new();
    assert!(reader.read_byte_record(&mut record).unwrap());
    assert_eq!(
        record.len(),
        10,
        "the reference knows the columns of HEADER only"
    );
    let mut auditor = Auditor::new(AuditConfig::default());
    let (mut malformed, mut errors) = (0, Vec::new());
    while reader.read_byte_record(&mut record).unwrap() {
        let line = record.position().unwrap().line();
        if record.len() != 10 {
            malformed += 1;
            errors.push((
                line,
                ErrorKind::FieldCount {
                    expected: 10,
                    found: record.len(),
                },
            ));
            continue;
        }
        let f = |i: usize| record.get(i).unwrap().trim_ascii();
        let row = StatementRow {
            time: f(0),
            terminal_id: f(1),
            merchant_no: f(2),
            mcc: Some(f(4)),
            amount: f(5),
        };
        if let Err(e) = auditor.row(line, &row) {
            errors.push((e.line().unwrap(), e.kind()));
        }
    }
    let report = auditor.finish();
    let terminals = report
        .terminals
        .iter()
        .map(|t| (t.terminal_id.to_string(), t.rows, t.merchant_nos.clone()))
        .collect();
    (
        report.rows + malformed,
        terminals,
        report.findings.len(),
        errors,
    )
}

fn summary(report: &AuditReport) -> Summary {
    let terminals = report
        .terminals
        .iter()
        .map(|t| (t.terminal_id.to_string(), t.rows, t.merchant_nos.clone()))
        .collect();
    let errors = report
        .errors
        .iter()
        .map(|e: &Error| (e.line().unwrap(), e.kind()))
        .collect();
    (report.rows, terminals, report.findings.len(), errors)
}

/// Deterministic statements built from pieces that move the CSV parser's line count and
/// record boundaries: quoted newlines, CRLF, lone CR, blank lines, short and long rows, fields
/// longer than the reader's first buffers, a missing last newline.
fn statements() -> Vec<Vec<u8>> {
    const PIECES: &[&[u8]] = &[
        b"2026-11-02 09:15,12345678,105584070110001,A,5812,880.00,0,6222,purchase,1\n",
        b"2026-11-02 09:40,12345678,105290054110007,B,5411,12.00,0,6222,purchase,2\r\n",
        b"2026-11-02 09:41,87654321,\"105290054110007\",\"a\nquoted\r\nname\",5411,1.00,0,x,y,3\n",
        b"\n",
        b"\r\n",
        b"\r",
        b"2026-11-02,1234,oops,n,1,2,3\n",
        b"\"\"\"\",12345678,105584070110001,q,5812,1.0,0,c,t,4\n",
        b"2026-11-03 10:00,12345678,105584070110001,A,5812,-5.00,0,6222,refund,5",
        b",,,,,,,,,\n",
        b"a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q,r,s,t,u,v,w,x,y,z\n",
        b"\"unterminated,12345678\n",
    ];
    let long = {
        let mut row = b"2026-11-04 11:00,11112222,105584070110001,".to_vec();
        row.extend(std::iter::repeat_n(b'N', 700));
        row.extend_from_slice(b",5812,3.00,0,c,t,6\n");
        row
    };
    let mut out = vec![
        HEADER.to_vec(),
        [HEADER, b"\n\n"].concat(),
        [b"\xEF\xBB\xBF", HEADER].concat(),
    ];
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    for n in 0..600 {
        let mut s = if n % 7 == 0 {
            HEADER.trim_ascii_end().to_vec()
        } else {
            HEADER.to_vec()
        };
        if n % 7 == 0 {
            s.extend_from_slice(b"\r\n");
        }
        for _ in 0..(n % 9) {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            match (seed % (PIECES.len() as u64 + 1)) as usize {
                i if i == PIECES.len() => s.extend_from_slice(&long),
                i => s.extend_from_slice(PIECES[i]),
            }
        }
        out.push(s);
    }
    out
}

/// A reader that hands out at most `n` bytes per read.
struct Trickle<'a>(&'a [u8], usize);

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.0.len().min(self.1).min(buf.len());
        buf[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        Ok(n)
    }
}

/// Fails after `n` bytes.
struct Broken<'a>(&'a [u8], usize);

impl Read for Broken<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.1 == 0 {
            return Err(std::io::Error::other("cable cut"));
        }
        let n = self.0.len().min(self.1).min(buf.len());
        buf[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        self.1 -= n;
        Ok(n)
    }
}

#[test]
fn reads_as_the_csv_crate_does_from_slices_and_small_reads() {
    let config = AuditConfig::default();
    let mut reused = StatementReader::new();
    for (i, s) in statements().iter().enumerate() {
        let expected = reference(s);
        let from_slice = reused.audit(&s[..], &config).unwrap();
        assert_eq!(
            summary(&from_slice),
            expected,
            "statement {i}: {:?}",
            String::from_utf8_lossy(s)
        );
        let from_read = audit(&s[..], &config).unwrap();
        assert_eq!(from_read, from_slice, "statement {i}");
        let trickled = StatementReader::new()
            .audit(BufReader::with_capacity(3, Trickle(s, 2)), &config)
            .unwrap();
        assert_eq!(
            trickled, from_slice,
            "statement {i}, read 2 bytes at a time"
        );
    }
}

#[test]
fn a_reader_reused_after_an_io_error_starts_afresh() {
    let config = AuditConfig::default();
    let statements = statements();
    let mut reused = StatementReader::new();
    for (i, s) in statements
        .iter()
        .enumerate()
        .filter(|(_, s)| s.len() > HEADER.len() + 10)
    {
        // Cut inside the first row: the statement cannot be read, and says so.
        let cut = Broken(s, HEADER.len() + 5);
        let error = reused
            .audit(BufReader::with_capacity(4, cut), &config)
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Unreadable, "statement {i}");
        // The same reader then reads the next statement as a new one would.
        let next = &statements[(i + 1) % statements.len()];
        assert_eq!(
            reused.audit(&next[..], &config).unwrap(),
            StatementReader::new().audit(&next[..], &config).unwrap(),
            "statement {i}"
        );
    }
}

#[test]
fn an_empty_statement_has_no_header() {
    let error = StatementReader::new()
        .audit(&b""[..], &AuditConfig::default())
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::MissingColumn);
}
