//! The pre-order walk over a whole TLV tree: each constructed object is yielded, then its
//! children, without recursion or allocation.
//!
//! Every header is checked as it is read (see [`super::header`]); the walk adds the
//! tree's bounds: a value stays within its template, templates nest at most [`MAX_DEPTH`]
//! deep. Per object the hot path is one short-header split (no mode test: padding is never a
//! short header) and a few predicted branches; entering and leaving templates is the only
//! bookkeeping, and primitives — most of EMV data — need none.
//!
//! The walk is written for the caller's loop: `next` is inlined there, and nothing takes a
//! reference to the walk into a call or indexes it at run time (the stack of template ends
//! goes to its helpers by value), so the compiler keeps the walk's fields in registers. A
//! `&mut self` reaching one non-inlined function made the `field55-arqc-17` walk cost
//! 40 % more instructions.

use super::header::{self, is_padding, skip_padding};
use super::reader::{offset_of, refused, too_deep};
use super::{MAX_DEPTH, Mode, Tlv};
use crate::Error;

/// Pre-order walk over a whole TLV tree without recursion or allocation: each constructed
/// object is yielded, then its children. Depth is bounded by [`MAX_DEPTH`]. After an error it
/// yields nothing more.
#[derive(Clone, Debug)]
pub struct Walk<'a> {
    /// Unread bytes of the innermost open template (or of the input); emptied after an error.
    rest: &'a [u8],
    /// Address of byte 0 of the outermost input (see [`Tlv`]).
    origin: usize,
    /// Depth of the objects in `rest`.
    depth: u8,
    /// Templates entered and not yet finished: the used part of `ends`.
    open: u8,
    mode: Mode,
    /// Everything the walk reads: `rest` is a part of it, the stacked ends positions in it.
    input: &'a [u8],
    /// Where each enclosing level ends, as a position in `input`, outermost first.
    ends: [usize; MAX_DEPTH],
    /// An error to report once nothing is left to read.
    pending: Option<Error>,
}

impl<'a> Walk<'a> {
    /// A walk over `input`, whose objects sit at `depth`.
    #[inline]
    pub(super) fn new(input: &'a [u8], origin: usize, depth: u8, mode: Mode) -> Self {
        let mut walk = Self {
            rest: input,
            origin,
            depth,
            open: 0,
            mode,
            input,
            ends: [0; MAX_DEPTH],
            pending: None,
        };
        // Objects at this level would already be too deep (a reader from `children()` of the
        // deepest template): the walk reports that instead of reading.
        if usize::from(depth) >= MAX_DEPTH {
            walk.rest = &[];
            let at = offset_of(input, origin);
            walk.pending = first_object(input, at, mode).map(too_deep);
        }
        walk
    }

    /// Leaves the finished innermost template: reading goes on after it, one level up.
    /// `false` when no template is open.
    #[inline]
    fn leave(&mut self) -> bool {
        let Some(open) = self.open.checked_sub(1) else {
            return false;
        };
        // `open` counts the filled slots of `ends`, and `rest`, empty, sits where the template
        // ended; anything else would be an internal fault, reported as the end of the tree
        // rather than invented.
        let Some(after) = stack::get(self.ends, open)
            .and_then(|end| self.input.get(self.position_of(self.rest)..end))
        else {
            return false;
        };
        self.open = open;
        self.depth = self.depth.saturating_sub(1);
        self.rest = after;
        true
    }

    /// Enters the template `tlv`, whose value is not empty and after which `after` follows:
    /// its children come next. Children at depth [`MAX_DEPTH`] are refused (a value of
    /// lenient padding alone is fine: the template is then yielded without entering it).
    #[inline]
    fn enter(&mut self, tlv: &Tlv<'a>, after: &'a [u8]) -> Result<(), Error> {
        if usize::from(self.depth) + 1 < MAX_DEPTH {
            let end = self.position_of(after) + after.len();
            self.ends = stack::set(self.ends, self.open, end);
            self.open += 1;
            self.depth += 1;
            self.rest = tlv.value();
            return Ok(());
        }
        match first_object(tlv.value(), tlv.value_offset(), self.mode) {
            Some(at) => Err(too_deep(at)),
            None => Ok(()),
        }
    }

    /// The position of `bytes`, a part of `input`, in `input`.
    #[inline(always)]
    fn position_of(&self, bytes: &[u8]) -> usize {
        bytes
            .as_ptr()
            .addr()
            .wrapping_sub(self.input.as_ptr().addr())
    }

    /// The next object when it has no short header at the front of `rest`: after lenient
    /// padding and finished templates, in any form. `Err` holds what [`Walk::next`] returns
    /// instead: the end of the walk or its error.
    #[inline(always)]
    fn next_other(&mut self) -> Result<header::Split<'a>, Option<Result<Tlv<'a>, Error>>> {
        loop {
            if self.mode == Mode::Lenient {
                skip_padding(&mut self.rest);
            }
            if !self.rest.is_empty() {
                break;
            }
            if !self.leave() {
                return Err(self.pending.take().map(Err));
            }
        }
        match header::split(self.rest, self.mode) {
            Some(split) => Ok(split),
            None => Err(self.fail(refused(self.rest, self.origin, self.mode))),
        }
    }

    /// Ends the walk with `e`. Inlined, so that no reference to the walk escapes into a call
    /// and its state can stay in registers.
    #[inline(always)]
    fn fail(&mut self, e: Error) -> Option<Result<Tlv<'a>, Error>> {
        self.open = 0;
        self.rest = &[];
        Some(Err(e))
    }
}

impl<'a> Iterator for Walk<'a> {
    type Item = Result<Tlv<'a>, Error>;

    #[inline(always)]
    fn next(&mut self) -> Option<Self::Item> {
        // The short forms need no word about the mode: padding is never one of them.
        let split = match header::split_short(self.rest) {
            Some(split) => split,
            None => match self.next_other() {
                Ok(split) => split,
                Err(end) => return end,
            },
        };
        let tlv = Tlv::new(split, self.origin, self.depth, self.mode);
        self.rest = split.rest;
        if split.tag.is_constructed()
            && !split.value.is_empty()
            && let Err(e) = self.enter(&tlv, split.rest)
        {
            return self.fail(e);
        }
        Some(Ok(tlv))
    }
}

impl core::iter::FusedIterator for Walk<'_> {}

/// The stack of enclosing levels, read and written by value: no reference into the walk
/// reaches a call or a computed index, so the walk's other fields can live in registers while
/// it runs inlined in the caller's loop. Both run only when a template starts or ends.
mod stack {
    use super::MAX_DEPTH;

    /// Slot `i`.
    #[inline(never)]
    pub(super) fn get(ends: [usize; MAX_DEPTH], i: u8) -> Option<usize> {
        ends.get(usize::from(i)).copied()
    }

    /// `ends` with slot `i` (below [`MAX_DEPTH`]) set to `end`.
    #[inline(never)]
    pub(super) fn set(mut ends: [usize; MAX_DEPTH], i: u8, end: usize) -> [usize; MAX_DEPTH] {
        if let Some(slot) = ends.get_mut(usize::from(i)) {
            *slot = end;
        }
        ends
    }
}

/// Offset of the first byte of `value` that is not lenient padding, if any.
#[cold]
pub(super) fn first_object(value: &[u8], offset: usize, mode: Mode) -> Option<usize> {
    let skip = match mode {
        Mode::Strict => 0,
        Mode::Lenient => value.iter().take_while(|&&b| is_padding(b)).count(),
    };
    (skip < value.len()).then_some(offset + skip)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;
    use crate::tlv::Reader;

    #[test]
    fn depth_is_bounded() {
        // 16 nested 70 templates hold objects down to depth 15; a 17th level is refused.
        let mut data = [0u8; 2 * MAX_DEPTH + 2];
        for (i, pair) in data.chunks_exact_mut(2).enumerate() {
            let inner = 2 * MAX_DEPTH + 2 - 2 * (i + 1);
            pair.copy_from_slice(&[0x70, u8::try_from(inner).unwrap()]);
        }
        let last = data.len() - 2;
        data[last..].copy_from_slice(&[0x5A, 0x00]);
        let err = Reader::new(&data).validate().unwrap_err();
        assert_eq!(
            (err.kind(), err.offset()),
            (ErrorKind::TooDeep, 2 * MAX_DEPTH)
        );
        let ok = &mut data[2..];
        for (i, pair) in ok.chunks_exact_mut(2).enumerate() {
            let inner = 2 * MAX_DEPTH - 2 * (i + 1);
            pair.copy_from_slice(&[0x70, u8::try_from(inner).unwrap()]);
        }
        let depths: usize = Reader::new(&data[2..])
            .walk()
            .map(|t| t.unwrap().depth())
            .max()
            .unwrap();
        assert_eq!(depths, MAX_DEPTH - 1);
    }
}
