//! The fast walk: reads a message through the spec's plans and answers only whether it is
//! well-formed (the precise walk names what is wrong when it is not).
//!
//! The bitmap is read a nibble at a time: the four fields of a nibble that are all fixed and
//! checked only as part of a run of one class (the usual case) take one step from a table of
//! the plan; other nibbles are read field by field. Characters are checked a run at a time:
//! consecutive fields of one class lie back to back, so a run is checked in one pass when
//! the next field is of another class. The view keeps where each nibble's fields end.

use super::validate::check_field_value;
use super::walk::read_structure;
use crate::plan::{Check, GROUPS, NOT_PLAIN, Plan, RUN_BCD, RUN_NONE, Shape, Step};
use crate::spec::{Class, MessageSpec};
use crate::text::{all_bcd_digits, ascii_ok};

/// Where the walk is: the offset, and the pending run of fields whose characters are checked
/// together (its key, class and start).
struct Cursor {
    off: usize,
    key: u8,
    class: Class,
    run_start: usize,
}

impl Cursor {
    /// Starts a run of `key` and `class` at the cursor, checking the pending one.
    #[inline(always)]
    fn start_run(&mut self, buf: &[u8], key: u8, class: Class) -> bool {
        if self.key != RUN_NONE && !run_ok(self.key, self.class, buf, self.run_start, self.off) {
            return false;
        }
        self.key = key;
        self.class = class;
        self.run_start = self.off;
        true
    }

    /// Reads the fields of bitmap nibble `g` holding `value` other than by a fixed length
    /// continuing the pending run: a run that begins, an ASCII LLVAR in front, or field by
    /// field.
    #[inline(never)]
    fn step<const FULL: bool>(
        &mut self,
        spec: &MessageSpec,
        buf: &[u8],
        g: usize,
        value: u64,
        step: &Step,
    ) -> bool {
        if step.run == NOT_PLAIN {
            return (0..4)
                .all(|i| value & (8 >> i) == 0 || self.field::<FULL>(spec, buf, 4 * g + i + 1));
        }
        if FULL && step.run != self.key && !self.start_run(buf, step.run, step.class) {
            return false;
        }
        if step.var_prefix != 0 {
            let pl = usize::from(step.var_prefix);
            match buf.get(self.off..self.off + pl).and_then(ascii_prefix) {
                Some(v) if v <= usize::from(step.var_max) => self.off += pl + v,
                _ => return false,
            }
        }
        self.off += usize::from(step.wire);
        true
    }

    /// Reads (and when `FULL` checks) field `n` at the cursor and moves past it.
    #[inline(always)]
    fn field<const FULL: bool>(&mut self, spec: &MessageSpec, buf: &[u8], n: usize) -> bool {
        let Some(p) = spec.plan(n) else {
            return false;
        };
        let (start, chars, end) = if p.shape == Shape::Fixed {
            (self.off, usize::from(p.max), self.off + usize::from(p.wire))
        } else {
            match var_structure(spec, p, n, buf, self.off) {
                Some(read) => read,
                None => return false,
            }
        };
        if FULL {
            if p.run != self.key && !self.start_run(buf, p.run, p.class) {
                return false;
            }
            if p.check > Check::Run && !check_alone(spec, p, n, buf, start, chars, end) {
                return false;
            }
        }
        self.off = end;
        true
    }
}

/// The fast walk over the data fields `words` of a message whose fields start at `body`;
/// `ends` receives where each bitmap nibble's fields end. `FULL` adds content validation.
// Out of line: with its own registers the loop keeps its state out of memory.
#[inline(never)]
pub(super) fn fast_walk<const FULL: bool>(
    spec: &MessageSpec,
    buf: &[u8],
    body: usize,
    // Three scalars rather than an array: the words were just written one by one, and an
    // array read back in wider pieces would stall on store forwarding.
    words: (u64, u64, u64),
    ends: &mut [u16; GROUPS],
) -> bool {
    // Every offset below fits the view's 16 bits (and the compiler knows it).
    if buf.len() > usize::from(u16::MAX) {
        return false;
    }
    let mut at = Cursor {
        off: body,
        key: RUN_NONE,
        class: Class::B,
        run_start: body,
    };
    let read = walk_word::<FULL, 0>(&mut at, spec, buf, words.0, ends)
        && walk_word::<FULL, 16>(&mut at, spec, buf, words.1, ends)
        && walk_word::<FULL, 32>(&mut at, spec, buf, words.2, ends);
    read && at.off == buf.len()
        && (!FULL || at.key == RUN_NONE || run_ok(at.key, at.class, buf, at.run_start, at.off))
}

/// The fast walk over one bitmap word, whose first nibble is nibble `FIRST` of the message.
#[inline(always)]
fn walk_word<const FULL: bool, const FIRST: usize>(
    at: &mut Cursor,
    spec: &MessageSpec,
    buf: &[u8],
    word: u64,
    ends: &mut [u16; GROUPS],
) -> bool {
    let plans = spec.plans();
    let mut bits = word;
    while bits != 0 {
        // The first nibble holding a field (below 16: the mask changes nothing), its value,
        // and the nibble taken off.
        let nibble = (bits.leading_zeros() / 4) as usize & 15;
        let shift = 60 - 4 * nibble;
        let value = (bits >> shift) & 0xF;
        bits ^= value << shift;
        let g = FIRST + nibble;
        let Some(step) = plans.step(g, value) else {
            return false;
        };
        if step.var_prefix == 0 && step.run != NOT_PLAIN {
            // Fixed fields checked by their run alone (the usual case): their lengths are all
            // there is to read, and a run other than the pending one begins with them.
            if FULL && step.run != at.key && !at.start_run(buf, step.run, step.class) {
                return false;
            }
            at.off += usize::from(step.wire);
        } else if !at.step::<FULL>(spec, buf, g, value, step) {
            return false;
        }
        // `off <= len <= u16::MAX`: the conversion cannot fail.
        let (true, Some(e), Ok(end16)) =
            (at.off <= buf.len(), ends.get_mut(g), u16::try_from(at.off))
        else {
            return false;
        };
        *e = end16;
    }
    true
}

/// Where field `n`, starting at `off`, ends: its structure read through its plan, without
/// checking its content (for fields a walk has read before).
#[inline]
pub(super) fn field_end(spec: &MessageSpec, n: usize, buf: &[u8], off: usize) -> Option<usize> {
    let p = spec.plan(n)?;
    let end = if p.shape == Shape::Fixed {
        off + usize::from(p.wire)
    } else {
        var_structure(spec, p, n, buf, off)?.2
    };
    (end <= buf.len()).then_some(end)
}

/// Checks the bytes `start..end` of a run of fields in one pass: packed BCD digits, or ASCII
/// of `class` (each check out of line: the walk's loop keeps its few values in registers).
#[inline(always)]
fn run_ok(key: u8, class: Class, buf: &[u8], start: usize, end: usize) -> bool {
    let Some(bytes) = buf.get(start..end) else {
        return false;
    };
    match key {
        RUN_NONE => true,
        RUN_BCD => all_bcd_digits(bytes),
        _ => ascii_ok(class, bytes),
    }
}

/// Reads the structure of a field that is not fixed through its plan (the generic reader for
/// unusual formats): where its value starts, its length in characters and where it ends
/// (which the caller compares with the message's length).
#[inline(always)]
fn var_structure(
    spec: &MessageSpec,
    p: &Plan,
    n: usize,
    buf: &[u8],
    off: usize,
) -> Option<(usize, usize, usize)> {
    let pl = usize::from(p.prefix_len);
    let (chars, wire) = match p.shape {
        Shape::AsciiChars => {
            let v = ascii_prefix(buf.get(off..off + pl)?)?;
            (v, v)
        }
        Shape::BcdDigits => {
            let v = bcd_prefix(buf.get(off..off + pl)?)?;
            (v, v.div_ceil(2))
        }
        Shape::BcdBytes => {
            let v = bcd_prefix(buf.get(off..off + pl)?)?;
            (v, v)
        }
        Shape::Generic => return read_structure(spec.field(n)?, buf, off).ok(),
        Shape::Fixed | Shape::Undefined => return None,
    };
    (chars <= usize::from(p.max)).then_some((off + pl, chars, off + pl + wire))
}

/// The checks of a field that are not a run's: its own ASCII text, the pad nibble of an odd
/// BCD count, or the generic check.
#[inline(never)]
fn check_alone(
    spec: &MessageSpec,
    p: &Plan,
    n: usize,
    buf: &[u8],
    start: usize,
    chars: usize,
    end: usize,
) -> bool {
    let Some(value) = buf.get(start..end) else {
        return false;
    };
    match p.check {
        Check::Nothing | Check::Run => true,
        Check::Ascii => ascii_ok(p.class, value),
        Check::PadLeft => chars.is_multiple_of(2) || value.first().is_none_or(|b| b >> 4 == 0),
        Check::PadRight => chars.is_multiple_of(2) || value.last().is_none_or(|b| b & 0x0F == 0),
        Check::Generic => spec
            .field(n)
            .is_some_and(|f| check_field_value(f, value, chars, start).is_ok()),
    }
}

/// A length prefix of ASCII decimal digits.
#[inline(always)]
fn ascii_prefix(raw: &[u8]) -> Option<usize> {
    raw.iter().try_fold(0usize, |v, &b| {
        let d = b.wrapping_sub(b'0');
        (d <= 9).then_some(v * 10 + usize::from(d))
    })
}

/// A length prefix of packed BCD digits.
#[inline(always)]
fn bcd_prefix(raw: &[u8]) -> Option<usize> {
    raw.iter().try_fold(0usize, |v, &b| {
        let (hi, lo) = (b >> 4, b & 0x0F);
        (hi <= 9 && lo <= 9).then_some(v * 100 + usize::from(hi) * 10 + usize::from(lo))
    })
}
