//! Reading the CSV inputs: the settlement first (a row per day), then the journal and the
//! statement merged by time, one row read ahead on each, so that memory holds two rows and
//! the open transactions.

use std::io::Read;

use super::Summary;
use super::columns::{JournalColumns, SettlementColumns, StatementColumns, open_csv};
use super::entry::{Credit, JournalEntry, StatementEntry};
use super::matcher::Reconciler;
use crate::error::{Error, ErrorKind, Input};
use crate::finding::Finding;

/// The rows of one input.
struct Rows<R> {
    reader: csv::Reader<R>,
    record: csv::ByteRecord,
    input: Input,
    fields: usize,
}

impl<R: Read> Rows<R> {
    fn open(input: R, which: Input) -> Result<(Self, csv::ByteRecord), Error> {
        let (reader, header) = open_csv(input, which, false)?;
        let rows = Self {
            reader,
            record: csv::ByteRecord::new(),
            input: which,
            fields: header.len(),
        };
        Ok((rows, header))
    }

    /// Reads the next row; its line, or `None` at the end.
    fn next(&mut self) -> Result<Option<u64>, Error> {
        match self.reader.read_byte_record(&mut self.record) {
            Ok(true) => {}
            Ok(false) => return Ok(None),
            Err(e) => {
                let line = e.position().map_or(0, csv::Position::line);
                return Err(self.error(Error::new(ErrorKind::Unreadable, 0), line));
            }
        }
        let line = self.record.position().map_or(0, csv::Position::line);
        if self.record.len() != self.fields {
            let kind = ErrorKind::FieldCount {
                expected: self.fields,
                found: self.record.len(),
            };
            return Err(self.error(Error::new(kind, 0), line));
        }
        Ok(Some(line))
    }

    fn error(&self, e: Error, line: u64) -> Error {
        e.in_input(self.input).at_line(line)
    }
}

impl<F: FnMut(Finding)> Reconciler<F> {
    /// Reads the settlement credits CSV (`date, merchant_no, gross, fee, net`) and compares
    /// each day's booked net with them. Call it before [`Reconciler::read_csv`].
    ///
    /// # Errors
    /// An error naming [`Input::Settlement`], the line and the column.
    pub fn read_settlement_csv<R: Read>(&mut self, input: R) -> Result<(), Error> {
        let (mut rows, header) = Rows::open(input, Input::Settlement)?;
        let columns = SettlementColumns::from_header(&header).map_err(|e| rows.error(e, 1))?;
        self.check_settlement();
        while let Some(line) = rows.next()? {
            let credit =
                Credit::parse(&columns.fields(&rows.record)).map_err(|e| rows.error(e, line))?;
            self.credit(line, &credit)?;
        }
        Ok(())
    }

    /// Reads the journal and the statement CSVs, each in time order, and finishes.
    ///
    /// # Errors
    /// The first malformed row or header, naming its input, line and column (malformed
    /// rows stop the reconciliation: a skipped row would be reported missing on the other
    /// side); an input not in time order.
    pub fn read_csv<J: Read, S: Read>(
        mut self,
        journal: J,
        statement: S,
    ) -> Result<Summary, Error> {
        let (mut j, header) = Rows::open(journal, Input::Journal)?;
        let jc = JournalColumns::from_header(&header).map_err(|e| j.error(e, 1))?;
        let (mut s, header) = Rows::open(statement, Input::Statement)?;
        let sc = StatementColumns::from_header(&header).map_err(|e| s.error(e, 1))?;
        let next_journal = |j: &mut Rows<J>| -> Result<Option<(u64, JournalEntry)>, Error> {
            let Some(line) = j.next()? else {
                return Ok(None);
            };
            let entry = JournalEntry::parse(&jc.fields(&j.record)).map_err(|e| j.error(e, line))?;
            Ok(Some((line, entry)))
        };
        let next_statement = |s: &mut Rows<S>| -> Result<Option<(u64, StatementEntry)>, Error> {
            let Some(line) = s.next()? else {
                return Ok(None);
            };
            let entry =
                StatementEntry::parse(&sc.fields(&s.record)).map_err(|e| s.error(e, line))?;
            Ok(Some((line, entry)))
        };
        let mut jn = next_journal(&mut j)?;
        let mut sn = next_statement(&mut s)?;
        if jn.is_none() {
            self.end(Input::Journal);
        }
        if sn.is_none() {
            self.end(Input::Statement);
        }
        loop {
            let journal_first = match (&jn, &sn) {
                (Some((_, a)), Some((_, b))) => a.time <= b.time,
                (Some(_), None) => true,
                (None, Some(_)) => false,
                (None, None) => break,
            };
            if journal_first {
                if let Some((line, entry)) = jn {
                    self.journal(line, &entry)?;
                }
                jn = next_journal(&mut j)?;
                match &jn {
                    Some((_, next)) => self.not_before(Input::Journal, next.time),
                    None => self.end(Input::Journal),
                }
            } else {
                if let Some((line, entry)) = sn {
                    self.statement(line, &entry)?;
                }
                sn = next_statement(&mut s)?;
                match &sn {
                    Some((_, next)) => self.not_before(Input::Statement, next.time),
                    None => self.end(Input::Statement),
                }
            }
        }
        Ok(self.finish())
    }
}
