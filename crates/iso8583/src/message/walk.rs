//! Walking the fields. Two walks read the same messages:
//!
//! - the **fast walk** goes through the spec's plans, checks the characters of consecutive
//!   fields of one class together, and answers only whether the message is well-formed;
//! - the **precise walk** reads field by field through the generic reader and the generic
//!   check, and names the field, offset and cause of the first problem.
//!
//! Decoding runs the fast walk and, when it does not vouch for the message, the precise walk.
//! Both accept exactly the same messages (the `iso8583_walks_agree` fuzz target checks it).

use super::head::{read_head, truncated};
use super::validate::check_field_value;
use super::{MAX_PRESENT, Message};
use crate::bitmap::{Bitmap, WORD_BASE, pop_first};
use crate::error::{Error, ErrorKind, FieldPath, at};
use crate::plan::{Check, Plan, RUN_BCD, RUN_NONE, Shape};
use crate::spec::{Class, FieldSpec, Length, LengthUnit, MessageSpec};
use crate::text::{ascii_ok, first_bad_bcd_digit, read_prefix};

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
        let mut slot = 0usize;
        for (base, mut word) in WORD_BASE.into_iter().zip(data.words()) {
            while let Some(lz) = pop_first(&mut word) {
                // At most 129 + 63 = 192.
                let n = base + lz;
                if usize::from(n) > stop {
                    self.present = read;
                    return Ok(());
                }
                let step = precise_field::<FULL>(spec, buf, off, n).and_then(|end| {
                    let e = self
                        .ends
                        .get_mut(slot)
                        .ok_or(at(ErrorKind::TooManyFields { max: MAX_PRESENT }, off))?;
                    *e = offset16(end)?;
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
                slot += 1;
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

/// Checks a run of fields' characters in one pass.
#[inline(always)]
fn run_ok(key: u8, class: Class, bytes: &[u8]) -> bool {
    match key {
        RUN_NONE => true,
        RUN_BCD => first_bad_bcd_digit(bytes).is_none(),
        _ => ascii_ok(class, bytes),
    }
}

/// The fast walk: reads and (when `FULL`) checks every field through its plan and records
/// where each ends. Answers only whether the message is well-formed; the precise walk finds
/// out what is wrong when it is not.
// Out of line: with its own registers the loop keeps its state out of memory.
#[inline(never)]
fn fast_walk<const FULL: bool>(
    spec: &MessageSpec,
    buf: &[u8],
    body: usize,
    // Three scalars rather than an array: the words were just written one by one, and an
    // array read back in wider pieces would stall on store forwarding.
    words: (u64, u64, u64),
    ends: &mut [u16; MAX_PRESENT],
) -> bool {
    let plans = spec.plans();
    let len = buf.len();
    let mut off = body;
    let mut slot = 0usize;
    let mut key = RUN_NONE;
    let mut class = Class::B;
    let mut run_start = off;
    for (base, word) in [(1u8, words.0), (65, words.1), (129, words.2)] {
        let mut bits = word;
        while let Some(lz) = pop_first(&mut bits) {
            let n = usize::from(base + lz);
            let Some(p) = plans.get(n) else { return false };
            if p.slot == 0 {
                return false;
            }
            let Some((start, chars, end)) = fast_structure(spec, p, n, buf, off) else {
                return false;
            };
            if FULL {
                if p.run != key {
                    let Some(run) = buf.get(run_start..off) else {
                        return false;
                    };
                    if !run_ok(key, class, run) {
                        return false;
                    }
                    key = p.run;
                    class = p.class;
                    run_start = off;
                }
                let Some(value) = buf.get(start..end) else {
                    return false;
                };
                let ok = match p.check {
                    Check::Nothing | Check::Run => true,
                    Check::RunPad => pad_ok(p.pad_side, value, chars),
                    Check::Generic => spec
                        .field(n)
                        .is_some_and(|f| check_field_value(f, value, chars, start).is_ok()),
                };
                if !ok {
                    return false;
                }
            }
            let (Some(e), Ok(end16)) = (ends.get_mut(slot), u16::try_from(end)) else {
                return false;
            };
            *e = end16;
            slot += 1;
            off = end;
        }
    }
    if FULL {
        let Some(run) = buf.get(run_start..off) else {
            return false;
        };
        if !run_ok(key, class, run) {
            return false;
        }
    }
    off == len
}

/// Reads a field's structure through its plan (the generic reader for unusual formats):
/// where its value starts, its length in characters and where it ends (within `buf`).
#[inline(always)]
fn fast_structure(
    spec: &MessageSpec,
    p: &Plan,
    n: usize,
    buf: &[u8],
    off: usize,
) -> Option<(usize, usize, usize)> {
    let (start, chars, end) = match p.shape {
        Shape::Fixed => (off, usize::from(p.max), off + usize::from(p.wire)),
        Shape::Generic => return read_structure(spec.field(n)?, buf, off).ok(),
        shape => {
            let pl = usize::from(p.prefix_len);
            let v = prefix_value(buf.get(off..off + pl)?, shape != Shape::AsciiChars)?;
            if v > usize::from(p.max) {
                return None;
            }
            let wire = if shape == Shape::BcdDigits {
                v.div_ceil(2)
            } else {
                v
            };
            (off + pl, v, off + pl + wire)
        }
    };
    (end <= buf.len()).then_some((start, chars, end))
}

/// Whether the pad nibble of an odd-length BCD value is zero (the digits are checked by the
/// run): on the left (`pad_side` 1) or on the right (2).
#[inline(always)]
fn pad_ok(pad_side: u8, value: &[u8], chars: usize) -> bool {
    if chars.is_multiple_of(2) {
        return true;
    }
    match pad_side {
        1 => value.first().is_none_or(|b| b >> 4 == 0),
        2 => value.last().is_none_or(|b| b & 0x0F == 0),
        _ => true,
    }
}

/// Reads a decimal length prefix of ASCII digits (`bcd == false`) or packed BCD.
#[inline(always)]
fn prefix_value(raw: &[u8], bcd: bool) -> Option<usize> {
    let mut v = 0usize;
    for &b in raw {
        if bcd {
            let (hi, lo) = (b >> 4, b & 0x0F);
            if hi > 9 || lo > 9 {
                return None;
            }
            v = v * 100 + usize::from(hi) * 10 + usize::from(lo);
        } else {
            let d = b.wrapping_sub(b'0');
            if d > 9 {
                return None;
            }
            v = v * 10 + usize::from(d);
        }
    }
    Some(v)
}
