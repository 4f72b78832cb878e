//! A statement reader that is built once and audits many statements: the CSV parser's state
//! machine (a table of states × 256 bytes, the costly part of building a CSV reader) and the
//! record buffers are kept between statements, and a statement already in memory is read in
//! place, without a copy into a read buffer.
//!
//! It reads exactly as the `csv` crate's reader configured by [`audit`](crate::audit) did
//! (no header handling by the parser, rows of any length, the same line numbers): both are the
//! same `csv-core` parser underneath.

use alloc::vec;
use alloc::vec::Vec;
use std::io::{self, BufRead};

use csv_core::ReadRecordResult;

use crate::audit::{AuditConfig, AuditReport, Auditor, Columns};
use crate::error::{Column, Error, ErrorKind};

/// Audits statements one after the other, reusing its parser and buffers.
///
/// [`audit`](crate::audit) builds one per call; a caller auditing many small statements (a
/// server receiving uploads, a fuzzer) keeps one instead.
///
/// ```
/// use cardwire_merchant::{AuditConfig, StatementReader};
///
/// let mut reader = StatementReader::new();
/// for statement in [
///     &b"time,terminal_id,merchant_no,amount\n2026-11-02 09:15,12345678,105584070110001,880.00\n"[..],
///     &b"time,terminal_id,merchant_no,amount\n2026-11-03 10:00,12345678,105584070110001,1.00\n"[..],
/// ] {
///     let report = reader.audit(statement, &AuditConfig::default())?;
///     assert_eq!(report.rows, 1);
/// }
/// # Ok::<(), cardwire_merchant::Error>(())
/// ```
#[derive(Debug)]
pub struct StatementReader {
    core: csv_core::Reader,
    /// The current record's field bytes (quotes removed), end to end, in `fields[..used.0]`;
    /// the rest is room for the parser.
    fields: Vec<u8>,
    /// Where each field of the current record ends in `fields`, in `ends[..used.1]`.
    ends: Vec<usize>,
    /// How much of `fields` and `ends` the current record fills.
    used: (usize, usize),
}

impl Default for StatementReader {
    fn default() -> Self {
        Self::new()
    }
}

/// A record read: `len` fields, their bytes in the reader's buffers.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Record<'a> {
    fields: &'a [u8],
    ends: &'a [usize],
}

impl<'a> Record<'a> {
    /// The number of fields.
    pub(crate) fn len(&self) -> usize {
        self.ends.len()
    }

    /// Field `i`, or `None` past the last.
    pub(crate) fn get(&self, i: usize) -> Option<&'a [u8]> {
        let end = *self.ends.get(i)?;
        let start = match i.checked_sub(1) {
            Some(before) => *self.ends.get(before)?,
            None => 0,
        };
        self.fields.get(start..end)
    }

    /// Every field, in order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &'a [u8]> + '_ {
        (0..self.len()).map_while(|i| self.get(i))
    }
}

/// What reading one record gave.
enum Read {
    /// A record is in the buffers; it started on this line.
    Record(u64),
    /// The input ended.
    End,
}

impl StatementReader {
    /// A reader with the parser built and empty buffers.
    pub fn new() -> Self {
        Self {
            core: csv_core::Reader::new(),
            fields: vec![0; 256],
            ends: vec![0; 16],
            used: (0, 0),
        }
    }

    /// Audits the statement in `input` like [`audit`](crate::audit), collecting malformed
    /// rows in [`AuditReport::errors`]. A byte slice is read in place.
    ///
    /// # Errors
    /// A header without a required column, or an I/O failure.
    pub fn audit<B: BufRead>(
        &mut self,
        input: B,
        config: &AuditConfig,
    ) -> Result<AuditReport, Error> {
        let mut errors = Vec::new();
        let mut report = self.audit_with(input, config, |e| errors.push(e))?;
        report.errors = errors;
        Ok(report)
    }

    /// Audits the statement in `input` like [`audit_with`](crate::audit_with), passing each
    /// malformed row's error to `on_error` as it is found.
    ///
    /// # Errors
    /// A header without a required column, or an I/O failure.
    pub fn audit_with<B: BufRead>(
        &mut self,
        mut input: B,
        config: &AuditConfig,
        mut on_error: impl FnMut(Error),
    ) -> Result<AuditReport, Error> {
        let unreadable = |line: u64| Error::new(ErrorKind::Unreadable, 0).at_line(line);
        // A reader left in the middle of a statement (an I/O error) starts afresh.
        self.core.reset();
        let columns = match self.read(&mut input).map_err(|_| unreadable(1))? {
            Read::Record(line) => {
                Columns::from_header(&self.record()).map_err(|e| e.at_line(line))?
            }
            // An empty input has no header at all: the first required column is missing.
            Read::End => {
                return Err(Error::new(ErrorKind::MissingColumn, 0).in_column(Column::Time));
            }
        };
        let mut auditor = Auditor::new(*config);
        // An I/O error has no position in the `csv` crate either: line 0.
        while let Read::Record(line) = self.read(&mut input).map_err(|_| unreadable(0))? {
            let record = self.record();
            if record.len() != columns.count {
                auditor.count_malformed();
                on_error(
                    Error::new(
                        ErrorKind::FieldCount {
                            expected: columns.count,
                            found: record.len(),
                        },
                        0,
                    )
                    .at_line(line),
                );
                continue;
            }
            if let Err(e) = auditor.row(line, &columns.row(&record)) {
                on_error(e);
            }
        }
        Ok(auditor.finish())
    }

    fn record(&self) -> Record<'_> {
        let (fields, ends) = self.used;
        Record {
            fields: self.fields.get(..fields).unwrap_or_default(),
            ends: self.ends.get(..ends).unwrap_or_default(),
        }
    }

    /// Reads the next record into `fields` and `ends`. The line is where the parser stood
    /// when the record was asked for, as the `csv` crate's record position gives it.
    fn read(&mut self, input: &mut impl BufRead) -> io::Result<Read> {
        let line = self.core.line();
        let (mut out, mut end) = (0, 0);
        self.used = (0, 0);
        loop {
            let bytes = loop {
                match input.fill_buf() {
                    Ok(bytes) => break bytes,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            };
            let (result, nin, nout, nend) = self.core.read_record(
                bytes,
                self.fields.get_mut(out..).unwrap_or_default(),
                self.ends.get_mut(end..).unwrap_or_default(),
            );
            input.consume(nin);
            out = out.saturating_add(nout);
            end = end.saturating_add(nend);
            match result {
                ReadRecordResult::InputEmpty => {}
                ReadRecordResult::OutputFull => grow(&mut self.fields),
                ReadRecordResult::OutputEndsFull => grow(&mut self.ends),
                ReadRecordResult::Record => {
                    self.used = (out, end);
                    return Ok(Read::Record(line));
                }
                ReadRecordResult::End => return Ok(Read::End),
            }
        }
    }
}

/// Doubles a buffer's length (the parser writes into the new part).
fn grow<T: Default + Clone>(buffer: &mut Vec<T>) {
    let len = buffer.len().saturating_mul(2).max(8);
    buffer.resize(len, T::default());
}
