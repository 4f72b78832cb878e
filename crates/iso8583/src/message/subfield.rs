//! The subfields of a positional or bitmap-driven composite field, cut from its characters.

use crate::bitmap::pop_first;
use crate::chars::Chars;
use crate::error::{Error, ErrorKind, FieldPath};
use crate::spec::{Class, Encoding, FieldSpec, Format, SubfieldSpec, Subfields};
use crate::text::hex_value;

/// The most subfields a composite field may have (`MessageSpec::check`): one per bit of its
/// bitmap.
const MAX_SUBFIELDS: usize = 64;

/// One subfield of a composite field.
#[derive(Clone, Copy, Debug)]
pub struct Subfield<'a, 's> {
    /// Subfield number, 1-based (`60.2` is 2).
    pub index: u8,
    /// Its spec.
    pub spec: &'s SubfieldSpec,
    /// Its characters (bytes of a binary field as hex).
    pub chars: Chars<'a>,
    /// Position of its first character in the parent's characters.
    pub start: usize,
}

/// A subfield that could not be cut: which, where (in parent characters), and why.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SubfieldError {
    index: u8,
    pos: usize,
    kind: ErrorKind,
}

impl SubfieldError {
    /// The error in the message: field `f`, whose value starts at byte `start`.
    pub(super) fn into_error(self, f: &FieldSpec, fmt: &Format, start: usize) -> Error {
        Error::new(
            self.kind,
            start + byte_of(fmt, self.pos),
            FieldPath::subfield(f.number, self.index),
        )
    }
}

/// Byte offset inside the value of character `pos` of the value's characters.
pub(super) fn byte_of(fmt: &Format, pos: usize) -> usize {
    match fmt.data {
        Encoding::Ascii | Encoding::Ebcdic | Encoding::Hex => pos,
        Encoding::Binary | Encoding::Bcd | Encoding::BcdRight => pos / 2,
    }
}

/// Iterator over the subfields of a composite field.
#[derive(Clone, Debug)]
pub struct SubfieldIter<'a, 's> {
    list: &'s [SubfieldSpec],
    /// `list.len()` when it is at most [`MAX_SUBFIELDS`].
    count: Option<u8>,
    chars: Chars<'a>,
    /// Characters per subfield length unit: 2 for binary fields (shown as hex).
    scale: usize,
    pos: usize,
    /// For positional composites: the next subfield (0-based).
    next: u8,
    /// For bitmap composites: the bits still to visit.
    bits: Option<u64>,
    done: bool,
}

impl<'a, 's> SubfieldIter<'a, 's> {
    pub(super) fn new(f: &'s FieldSpec, chars: Chars<'a>) -> Self {
        let (list, bitmap): (&'s [SubfieldSpec], bool) = match &f.subfields {
            Subfields::Positional(l) => (l, false),
            Subfields::Bitmap(l) => (l, true),
            _ => (&[], false),
        };
        // A spec with more subfields than a bitmap has bits is refused by its check; were
        // one used unchecked, its subfields are not cut (`next` names the problem).
        let count = u8::try_from(list.len())
            .ok()
            .filter(|&c| usize::from(c) <= MAX_SUBFIELDS);
        Self {
            list,
            count,
            chars,
            scale: if f.format.class == Class::B { 2 } else { 1 },
            pos: 0,
            next: 0,
            bits: bitmap.then_some(0),
            done: list.is_empty(),
        }
    }

    fn fail(
        &mut self,
        index: u8,
        kind: ErrorKind,
    ) -> Option<Result<Subfield<'a, 's>, SubfieldError>> {
        self.done = true;
        Some(Err(SubfieldError {
            index,
            pos: self.pos,
            kind,
        }))
    }

    /// Whether the characters are all cut; an error for characters left over.
    fn end(&mut self, index: u8) -> Option<Result<Subfield<'a, 's>, SubfieldError>> {
        let remaining = self.chars.len() - self.pos;
        if remaining > 0 {
            return self.fail(
                index,
                ErrorKind::TrailingBytes {
                    count: remaining / self.scale,
                },
            );
        }
        self.done = true;
        None
    }

    /// Reads the composite's own bitmap: 16 hex characters.
    fn read_bitmap(&mut self) -> Result<u64, ErrorKind> {
        let Some(head) = self.chars.slice(0, 16) else {
            return Err(ErrorKind::Truncated {
                needed: 16 - self.chars.len().min(16),
            });
        };
        head.iter().try_fold(0u64, |w, c| match hex_value(c) {
            Some(v) => Ok((w << 4) | u64::from(v)),
            None => Err(ErrorKind::InvalidBitmap),
        })
    }
}

impl<'a, 's> Iterator for SubfieldIter<'a, 's> {
    type Item = Result<Subfield<'a, 's>, SubfieldError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let Some(count) = self.count else {
            return self.fail(
                0,
                ErrorKind::InvalidSpec("a composite field has 1 to 64 subfields"),
            );
        };
        // Which subfield comes next (0-based).
        let index = match self.bits {
            None => {
                if self.next >= count || self.pos == self.chars.len() {
                    return self.end(count);
                }
                self.next
            }
            Some(0) if self.pos == 0 => {
                match self.read_bitmap() {
                    Ok(w) => self.bits = Some(w),
                    Err(kind) => return self.fail(0, kind),
                }
                self.pos = 16;
                return self.next();
            }
            Some(mut w) => {
                let Some(lz) = pop_first(&mut w) else {
                    return self.end(0);
                };
                self.bits = Some(w);
                lz
            }
        };
        // `index` is below 64 (a bitmap bit, or a position in a list of at most 64).
        let number = index + 1;
        let Some(spec) = self.list.get(usize::from(index)) else {
            return self.fail(number, ErrorKind::UndefinedField);
        };
        let remaining = self.chars.len() - self.pos;
        let want = usize::from(spec.len) * self.scale;
        let take = if spec.var { want.min(remaining) } else { want };
        // A fixed subfield the field ends inside of is whole, or at least its `min`.
        let take = if take > remaining && remaining >= usize::from(spec.min) * self.scale {
            remaining
        } else {
            take
        };
        if take > remaining {
            return self.fail(
                number,
                ErrorKind::InvalidLength {
                    max: spec.len,
                    found: remaining / self.scale,
                },
            );
        }
        let Some(chars) = self.chars.slice(self.pos, take) else {
            return self.fail(number, ErrorKind::Truncated { needed: take });
        };
        let start = self.pos;
        self.pos += take;
        self.next = number;
        Some(Ok(Subfield {
            index: number,
            spec,
            chars,
            start,
        }))
    }
}
