//! Columns by header name (case-insensitive, a byte-order mark and spaces ignored, any order,
//! extra columns ignored), and the CSV reader every input is read with.

use std::io::Read;

use super::entry::{JournalFields, SettlementFields, StatementFields};
use crate::error::{Column, Error, ErrorKind, Input};

pub(super) use crate::header::find;

/// A required column's position.
pub(super) fn need(header: &csv::ByteRecord, column: Column) -> Result<usize, Error> {
    find(header, column.name()).ok_or(Error::new(ErrorKind::MissingColumn, 0).in_column(column))
}

/// A CSV reader over `input` and its header (`comments`: `#` starts a comment).
pub(super) fn open_csv<R: Read>(
    input: R,
    which: Input,
    comments: bool,
) -> Result<(csv::Reader<R>, csv::ByteRecord), Error> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .comment(comments.then_some(b'#'))
        .from_reader(input);
    let mut header = csv::ByteRecord::new();
    let found = reader.read_byte_record(&mut header).map_err(|_| {
        Error::new(ErrorKind::Unreadable, 0)
            .in_input(which)
            .at_line(1)
    })?;
    if !found {
        return Err(Error::new(ErrorKind::MissingColumn, 0)
            .in_column(Column::Time)
            .in_input(which)
            .at_line(1));
    }
    Ok((reader, header))
}

/// A field of a record whose length was checked against the header; trimmed.
fn field(record: &csv::ByteRecord, i: usize) -> &[u8] {
    // `i` is a header position and the record has the header's length, so the field is
    // there; an empty field is what a broken invariant would read, never a panic.
    record.get(i).map(<[u8]>::trim_ascii).unwrap_or_default()
}

/// Where the journal's columns are.
#[derive(Clone, Copy, Debug)]
pub(super) struct JournalColumns {
    time: usize,
    terminal_id: usize,
    merchant_no: usize,
    batch: usize,
    stan: usize,
    rrn: usize,
    kind: usize,
    amount: usize,
    fee: Option<usize>,
    card_type: Option<usize>,
}

impl JournalColumns {
    pub(super) fn from_header(h: &csv::ByteRecord) -> Result<Self, Error> {
        Ok(Self {
            time: need(h, Column::Time)?,
            terminal_id: need(h, Column::TerminalId)?,
            merchant_no: need(h, Column::MerchantNo)?,
            batch: need(h, Column::Batch)?,
            stan: need(h, Column::Stan)?,
            rrn: need(h, Column::Rrn)?,
            kind: need(h, Column::Type)?,
            amount: need(h, Column::Amount)?,
            fee: find(h, Column::Fee.name()),
            card_type: find(h, Column::CardType.name()),
        })
    }

    pub(super) fn fields<'r>(&self, r: &'r csv::ByteRecord) -> JournalFields<'r> {
        JournalFields {
            time: field(r, self.time),
            terminal_id: field(r, self.terminal_id),
            merchant_no: field(r, self.merchant_no),
            batch: field(r, self.batch),
            stan: field(r, self.stan),
            rrn: field(r, self.rrn),
            kind: field(r, self.kind),
            amount: field(r, self.amount),
            fee: self.fee.map(|i| field(r, i)),
            card_type: self.card_type.map(|i| field(r, i)),
        }
    }
}

/// Where the statement's columns are.
#[derive(Clone, Copy, Debug)]
pub(super) struct StatementColumns {
    time: usize,
    terminal_id: usize,
    merchant_no: usize,
    kind: usize,
    amount: usize,
    fee: usize,
    rrn: usize,
    batch: Option<usize>,
    stan: Option<usize>,
    card_type: Option<usize>,
}

impl StatementColumns {
    pub(super) fn from_header(h: &csv::ByteRecord) -> Result<Self, Error> {
        Ok(Self {
            time: need(h, Column::Time)?,
            terminal_id: need(h, Column::TerminalId)?,
            merchant_no: need(h, Column::MerchantNo)?,
            kind: need(h, Column::Type)?,
            amount: need(h, Column::Amount)?,
            fee: need(h, Column::Fee)?,
            rrn: need(h, Column::Rrn)?,
            batch: find(h, Column::Batch.name()),
            stan: find(h, Column::Stan.name()),
            card_type: find(h, Column::CardType.name()),
        })
    }

    pub(super) fn fields<'r>(&self, r: &'r csv::ByteRecord) -> StatementFields<'r> {
        StatementFields {
            time: field(r, self.time),
            terminal_id: field(r, self.terminal_id),
            merchant_no: field(r, self.merchant_no),
            kind: field(r, self.kind),
            amount: field(r, self.amount),
            fee: field(r, self.fee),
            rrn: field(r, self.rrn),
            batch: self.batch.map(|i| field(r, i)),
            stan: self.stan.map(|i| field(r, i)),
            card_type: self.card_type.map(|i| field(r, i)),
        }
    }
}

/// Where the settlement's columns are.
#[derive(Clone, Copy, Debug)]
pub(super) struct SettlementColumns {
    date: usize,
    merchant_no: usize,
    gross: usize,
    fee: usize,
    net: usize,
}

impl SettlementColumns {
    pub(super) fn from_header(h: &csv::ByteRecord) -> Result<Self, Error> {
        Ok(Self {
            date: need(h, Column::Date)?,
            merchant_no: need(h, Column::MerchantNo)?,
            gross: need(h, Column::Gross)?,
            fee: need(h, Column::Fee)?,
            net: need(h, Column::Net)?,
        })
    }

    pub(super) fn fields<'r>(&self, r: &'r csv::ByteRecord) -> SettlementFields<'r> {
        SettlementFields {
            date: field(r, self.date),
            merchant_no: field(r, self.merchant_no),
            gross: field(r, self.gross),
            fee: field(r, self.fee),
            net: field(r, self.net),
        }
    }
}
