//! Reading a message: the head, then the fields. Two walks read the same messages:
//!
//! - the **fast walk** (`fast.rs`) goes through the spec's plans, checks the characters of
//!   consecutive fields of one class together, and answers only whether the message is
//!   well-formed;
//! - the **precise walk** (here) reads field by field through the generic reader and the
//!   generic check, and names the field, offset and cause of the first problem.
//!
//! Decoding runs the fast walk and, when it does not vouch for the message, the precise walk.
//! Both accept exactly the same messages (the `iso8583_walks_agree` fuzz target checks it).

use super::Message;
use super::fast::fast_walk;
use super::head::{read_head, truncated};
use super::validate::check_field_value;
use crate::bitmap::{Bitmap, WORD_BASE, pop_first};
use crate::error::{Error, ErrorKind, FieldPath, at};
use crate::spec::{FieldSpec, Length, LengthUnit, MessageSpec};
use crate::text::read_prefix;

/// Which walk reads the fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Walk {
    /// The fast walk, then the precise walk if the fast one finds a problem.
    Fast,
    /// The fast walk alone: no message when it finds a problem.
    #[cfg(any(fuzzing, test))]
    FastOnly,
    /// The precise walk alone.
    #[cfg(any(fuzzing, test))]
    Precise,
}

/// A message offset as stored in a view: messages longer than 65 535 bytes are refused
/// before any field is read, so every offset inside one fits.
#[inline(always)]
fn offset16(off: usize) -> Result<u16, Error> {
    u16::try_from(off).map_err(|_| at(ErrorKind::MessageTooLong, 0))
}

impl Message<'_, '_> {
    /// Reads the message: the head, then the fields. `FULL` adds content validation; `stop`
    /// ends the walk after that field (skipping the trailing-bytes check).
    #[inline(always)]
    pub(super) fn read<const FULL: bool>(&mut self, stop: usize, walk: Walk) -> Result<(), Error> {
        let spec = self.spec;
        let buf = self.buf;
        if buf.len() > usize::from(u16::MAX) {
            return Err(at(ErrorKind::MessageTooLong, 0));
        }
        let head = read_head(spec, buf)?;
        self.mti = head.mti;
        self.bitmap = head.bitmap;
        self.body = offset16(head.body)?;
        self.end = self.body;
        let data = head.data(spec);
        let fast = match walk {
            Walk::Fast => stop == usize::MAX,
            #[cfg(any(fuzzing, test))]
            Walk::FastOnly => true,
            #[cfg(any(fuzzing, test))]
            Walk::Precise => false,
        };
        if fast {
            let [w0, w1, w2] = data.words();
            if fast_walk::<FULL>(spec, buf, head.body, (w0, w1, w2), &mut self.ends) {
                self.present = data;
                self.end = offset16(buf.len())?;
                return Ok(());
            }
            #[cfg(any(fuzzing, test))]
            if walk == Walk::FastOnly {
                return Err(at(
                    ErrorKind::InvalidSpec("the fast walk found a problem"),
                    0,
                ));
            }
        }
        self.walk_precise::<FULL>(data, head.body, stop)
    }

    /// The precise walk: field by field, the generic reader and (when `FULL`) the generic
    /// check. Keeps the fields read before an error.
    #[inline(never)]
    fn walk_precise<const FULL: bool>(
        &mut self,
        data: Bitmap,
        body: usize,
        stop: usize,
    ) -> Result<(), Error> {
        let spec = self.spec;
        let buf = self.buf;
        let mut off = body;
        let mut read = Bitmap::EMPTY;
        for (base, mut word) in WORD_BASE.into_iter().zip(data.words()) {
            while let Some(lz) = pop_first(&mut word) {
                // At most 129 + 63 = 192.
                let n = base + lz;
                if usize::from(n) > stop {
                    self.present = read;
                    return Ok(());
                }
                let step = precise_field::<FULL>(spec, buf, off, n).and_then(|end| {
                    // The fields of a bitmap nibble end where its last one does (`n <= 192`:
                    // one of the 48 nibbles).
                    if let Some(e) = self.ends.get_mut(usize::from(n - 1) / 4) {
                        *e = offset16(end)?;
                    }
                    Ok(end)
                });
                match step {
                    Ok(end) => off = end,
                    Err(e) => {
                        self.present = read;
                        return Err(e);
                    }
                }
                read.insert(usize::from(n));
                self.end = offset16(off)?;
            }
        }
        self.present = read;
        if off != buf.len() {
            return Err(at(
                ErrorKind::TrailingBytes {
                    count: buf.len() - off,
                },
                off,
            ));
        }
        Ok(())
    }
}

/// Reads field `n` at `off` (and checks it when `FULL`); returns where it ends.
#[inline(always)]
fn precise_field<const FULL: bool>(
    spec: &MessageSpec,
    buf: &[u8],
    off: usize,
    n: u8,
) -> Result<usize, Error> {
    let f = spec.field(usize::from(n)).ok_or(Error::new(
        ErrorKind::UndefinedField,
        off,
        FieldPath::field(n),
    ))?;
    let (start, chars, end) = read_structure(f, buf, off)?;
    if FULL {
        let value = buf
            .get(start..end)
            .ok_or_else(|| truncated(buf, end, start, FieldPath::field(n)))?;
        check_field_value(f, value, chars, start)?;
    }
    Ok(end)
}

/// Reads one field's structure at `off`: its prefix and bounds. Returns where its value
/// starts, its length in characters, and where it ends (within `buf`).
#[inline(never)]
pub(super) fn read_structure(
    f: &FieldSpec,
    buf: &[u8],
    off: usize,
) -> Result<(usize, usize, usize), Error> {
    let fmt = &f.format;
    let path = FieldPath::field(f.number);
    let (start, chars) = match fmt.length {
        Length::Fixed => (off, usize::from(fmt.max)),
        Length::Var(_) => {
            let pl = fmt.prefix_len();
            let raw = buf
                .get(off..off + pl)
                .ok_or_else(|| truncated(buf, off + pl, off, path))?;
            let v = read_prefix(fmt, raw).ok_or(Error::new(ErrorKind::InvalidPrefix, off, path))?;
            let chars = match fmt.unit {
                LengthUnit::Chars => v,
                LengthUnit::Bytes => fmt.chars_in(v).ok_or(Error::new(
                    ErrorKind::InvalidLength {
                        max: fmt.max,
                        found: v,
                    },
                    off,
                    path,
                ))?,
            };
            if chars > usize::from(fmt.max) {
                return Err(Error::new(
                    ErrorKind::InvalidLength {
                        max: fmt.max,
                        found: chars,
                    },
                    off,
                    path,
                ));
            }
            (off + pl, chars)
        }
    };
    let end = start + fmt.wire_len(chars);
    if end > buf.len() {
        return Err(truncated(buf, end, start, path));
    }
    Ok((start, chars, end))
}
