//! Zero-copy reading: [`Tlv`] views, the sibling iterator [`Reader`] and the pre-order tree
//! walk [`Walk`]. Nothing here allocates; every value is a slice of the caller's input.
//!
//! The hot path reads a header with no error bookkeeping at all ([`header`]); only when it
//! fails does the cold [`diagnose`] read the same bytes again to say exactly what is wrong.

use super::{MAX_DEPTH, Tag};
use crate::{Error, ErrorKind};

/// How strictly to read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Mode {
    /// Every byte must belong to a well-formed data object with its length in the shortest
    /// form. Whatever reads strictly re-encodes to the same bytes.
    #[default]
    Strict,
    /// Also skips `00` and `FF` padding before, between and after data objects (EMV Book 3
    /// allows `00`; cards and UnionPay field 55 data carry both) and accepts long-form lengths
    /// that are not the shortest.
    Lenient,
}

/// One data object: its tag and a borrowed view of its value.
///
/// `Debug` and `Display` mask sensitive values (they are implemented in [`crate::mask`]).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Tlv<'a> {
    raw: &'a [u8],
    /// Address of byte 0 of the outermost input: offsets are computed from addresses when
    /// asked for, instead of being carried through every reader step.
    origin: usize,
    tag: Tag,
    header_len: u8,
    depth: u8,
    mode: Mode,
}

impl<'a> Tlv<'a> {
    /// The tag.
    #[inline]
    pub fn tag(&self) -> Tag {
        self.tag
    }

    /// The value bytes (for a constructed object: its encoded children).
    #[inline]
    pub fn value(&self) -> &'a [u8] {
        self.raw
            .get(usize::from(self.header_len)..)
            .unwrap_or_default()
    }

    /// The whole data object as encoded: tag, length and value.
    #[inline]
    pub fn raw(&self) -> &'a [u8] {
        self.raw
    }

    /// Length of the value in bytes.
    #[inline]
    #[allow(clippy::len_without_is_empty)] // the value's emptiness is `value().is_empty()`
    pub fn len(&self) -> usize {
        self.raw.len() - usize::from(self.header_len)
    }

    /// Offset of the first tag byte within the outermost input given to the reader.
    #[inline]
    pub fn offset(&self) -> usize {
        offset_of(self.raw, self.origin)
    }

    /// Offset of the first value byte within the outermost input.
    #[inline]
    pub fn value_offset(&self) -> usize {
        self.offset() + usize::from(self.header_len)
    }

    /// Nesting depth: 0 for top-level objects.
    #[inline]
    pub fn depth(&self) -> usize {
        usize::from(self.depth)
    }

    /// Whether the tag marks a constructed object.
    #[inline]
    pub fn is_constructed(&self) -> bool {
        self.tag.is_constructed()
    }

    /// The children of a constructed object, read in the same mode; `None` for a primitive.
    pub fn children(&self) -> Option<Reader<'a>> {
        self.is_constructed().then(|| Reader {
            rest: self.value(),
            origin: self.origin,
            depth: self.depth.saturating_add(1),
            mode: self.mode,
        })
    }
}

/// Reads the header at the start of `buf`: tag, header length, value length. `None` for a
/// malformed header in `mode`; whether the value fits is the caller's check.
#[inline(always)]
fn header(buf: &[u8], mode: Mode) -> Option<(Tag, u8, usize)> {
    // Most EMV objects have a one- or two-byte tag and a one-byte length: decode those from
    // bytes loaded together, so the next object's position waits on a single load.
    if let Some(&[b0, b1, b2]) = buf.first_chunk::<3>() {
        if b0 & 0x1F != 0x1F {
            if b0 != 0 && b1 < 0x80 {
                return Some((Tag::trusted(u32::from(b0), 1), 2, usize::from(b1)));
            }
        } else if b1 & 0x80 == 0 && b2 < 0x80 {
            let tag = Tag::trusted(u32::from(b0) << 8 | u32::from(b1), 2);
            return Some((tag, 3, usize::from(b2)));
        }
    }
    header_general(buf, mode)
}

/// Every other header form: longer tags, long-form lengths, short inputs.
#[inline(never)]
fn header_general(buf: &[u8], mode: Mode) -> Option<(Tag, u8, usize)> {
    let (tag, field) = Tag::split_fast(buf)?;
    if buf.first() == Some(&0x00) {
        return None; // 00 is padding, never a tag
    }
    let (value_len, len_len) = match *field {
        [b, ..] if b < 0x80 => (usize::from(b), 1),
        ref long => long_length(long, mode)?,
    };
    // At most 4 tag bytes and 5 length bytes.
    let header_len = u8::try_from(tag.len() + len_len).ok()?;
    Some((tag, header_len, value_len))
}

/// Long-form lengths `81`–`84`: value length and length-field size.
#[inline]
fn long_length(field: &[u8], mode: Mode) -> Option<(usize, usize)> {
    let minimal = |lead: u8| lead != 0 || mode == Mode::Lenient;
    let (value, len_len) = match *field {
        [0x81, b, ..] if b >= 0x80 || mode == Mode::Lenient => (u32::from(b), 2),
        [0x82, b1, b2, ..] if minimal(b1) => (u32::from(u16::from_be_bytes([b1, b2])), 3),
        [0x83, b1, b2, b3, ..] if minimal(b1) => (u32::from_be_bytes([0, b1, b2, b3]), 4),
        [0x84, b1, b2, b3, b4, ..] if minimal(b1) => (u32::from_be_bytes([b1, b2, b3, b4]), 5),
        _ => return None,
    };
    // A length that does not fit `usize` cannot fit the input either.
    Some((usize::try_from(value).unwrap_or(usize::MAX), len_len))
}

/// The cold path: explains why [`header`] refused `buf`. Offsets are relative to `buf`.
#[cold]
#[inline(never)]
fn diagnose(buf: &[u8], mode: Mode) -> Error {
    if buf.first() == Some(&0x00) {
        return Error::new(ErrorKind::Padding, 0, None);
    }
    let (tag, field) = match Tag::split(buf) {
        Ok(found) => found,
        Err(e) => return e,
    };
    let tag_len = tag.len();
    let at = |kind, offset| Error::new(kind, offset, Some(tag));
    let Some(&lead) = field.first() else {
        return at(ErrorKind::Truncated, buf.len());
    };
    let len_len = match lead {
        0x00..=0x7F => 1,
        0x80 => return at(ErrorKind::IndefiniteLength, tag_len),
        0x81..=0x84 => usize::from(lead - 0x80) + 1,
        _ => return at(ErrorKind::LengthTooLong, tag_len),
    };
    if field.len() < len_len {
        return at(ErrorKind::Truncated, buf.len());
    }
    let Some((needed, _)) =
        long_length(field, mode).or((len_len == 1).then_some((usize::from(lead), 1)))
    else {
        return at(ErrorKind::NonMinimalLength, tag_len);
    };
    let available = buf.len() - tag_len - len_len;
    at(
        ErrorKind::ValuePastEnd { needed, available },
        tag_len + len_len,
    )
}

/// Whether `b` is padding that lenient mode skips.
#[inline(always)]
fn is_padding(b: u8) -> bool {
    b == 0x00 || b == 0xFF
}

/// Offset of `bytes` (a sub-slice of the outermost input) from the input's first byte.
#[inline(always)]
fn offset_of(bytes: &[u8], origin: usize) -> usize {
    bytes.as_ptr().addr().wrapping_sub(origin)
}

/// Splits the object at the start of `buf` off the rest.
#[inline(always)]
fn split_object<'a>(
    buf: &'a [u8],
    origin: usize,
    depth: u8,
    mode: Mode,
) -> Result<(Tlv<'a>, &'a [u8]), Error> {
    let split = header(buf, mode).and_then(|(tag, header_len, value_len)| {
        let total = usize::from(header_len).checked_add(value_len)?;
        let (raw, rest) = buf.split_at_checked(total)?;
        Some((
            Tlv {
                raw,
                origin,
                tag,
                header_len,
                depth,
                mode,
            },
            rest,
        ))
    });
    split.ok_or_else(|| relocate(diagnose(buf, mode), offset_of(buf, origin)))
}

#[cold]
fn relocate(e: Error, by: usize) -> Error {
    Error::new(e.kind(), e.offset() + by, e.tag())
}

#[cold]
fn too_deep(at: usize) -> Error {
    Error::new(ErrorKind::TooDeep, at, None)
}

/// Skips lenient-mode padding at the start of `rest`.
#[inline(always)]
fn skip_padding(rest: &mut &[u8]) {
    while let [b, tail @ ..] = *rest {
        if !is_padding(*b) {
            break;
        }
        *rest = tail;
    }
}

/// Iterates over sibling data objects (one level; use [`Tlv::children`] to descend or
/// [`Reader::walk`] for the whole tree). After an error it yields nothing more.
#[derive(Clone, Debug)]
pub struct Reader<'a> {
    /// Bytes not read yet; emptied after an error.
    rest: &'a [u8],
    /// Address of byte 0 of the outermost input (see [`Tlv`]).
    origin: usize,
    depth: u8,
    mode: Mode,
}

impl<'a> Reader<'a> {
    /// A strict reader over `input`.
    pub fn new(input: &'a [u8]) -> Self {
        Self::with_mode(input, Mode::Strict)
    }

    /// A lenient reader over `input` (skips `00`/`FF` padding).
    pub fn lenient(input: &'a [u8]) -> Self {
        Self::with_mode(input, Mode::Lenient)
    }

    /// A reader over `input` in the given mode.
    pub fn with_mode(input: &'a [u8], mode: Mode) -> Self {
        Self {
            rest: input,
            origin: input.as_ptr().addr(),
            depth: 0,
            mode,
        }
    }

    /// The reading mode.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// A pre-order walk over every object at and below this level.
    pub fn walk(&self) -> Walk<'a> {
        let mut walk = Walk {
            rest: self.rest,
            origin: self.origin,
            base_depth: self.depth,
            open: 0,
            outer: [&[]; MAX_DEPTH],
            mode: self.mode,
            pending: None,
        };
        // Objects at this level would already be too deep (a reader from `children()` of the
        // deepest template): the walk reports that instead of reading.
        if usize::from(self.depth) >= MAX_DEPTH {
            walk.rest = &[];
            let at = offset_of(self.rest, self.origin);
            walk.pending = first_object(self.rest, at, self.mode).map(too_deep);
        }
        walk
    }

    /// Checks the whole tree below this reader, children included.
    ///
    /// # Errors
    /// The first malformation found, with its offset.
    pub fn validate(&self) -> Result<(), Error> {
        self.walk().try_for_each(|r| r.map(drop))
    }

    /// The first object with `tag`, searching the whole tree depth-first.
    ///
    /// # Errors
    /// A malformation met before the tag was found.
    pub fn find(&self, tag: Tag) -> Result<Option<Tlv<'a>>, Error> {
        for tlv in self.walk() {
            let tlv = tlv?;
            if tlv.tag == tag {
                return Ok(Some(tlv));
            }
        }
        Ok(None)
    }

    /// Every object with `tag` anywhere in the tree, in order (duplicates kept).
    pub fn find_all(&self, tag: Tag) -> impl Iterator<Item = Result<Tlv<'a>, Error>> + use<'a> {
        self.walk()
            .filter(move |r| r.as_ref().map_or(true, |t| t.tag == tag))
    }

    /// The first object reached by `path` from this level, e.g. `6F/A5/BF0C/61/4F`.
    /// When several templates match a step (duplicate `61`s), all are tried in order.
    ///
    /// # Errors
    /// A malformation met before the path was found.
    pub fn find_path(&self, path: &super::Path) -> Result<Option<Tlv<'a>>, Error> {
        self.find_path_all(path).next().transpose()
    }

    /// Every object reached by `path`, in order.
    pub fn find_path_all<'p>(
        &self,
        path: &'p super::Path,
    ) -> impl Iterator<Item = Result<Tlv<'a>, Error>> + use<'a, 'p> {
        let top = self.depth;
        let len = path.len();
        // The tags of the object at each level down to the current one.
        let mut ancestors = [None; MAX_DEPTH];
        self.walk().filter(move |r| {
            let Ok(tlv) = r else { return true };
            let level = usize::from(tlv.depth.saturating_sub(top));
            if let Some(slot) = ancestors.get_mut(level) {
                *slot = Some(tlv.tag);
            }
            level + 1 == len && path.tags().zip(ancestors).all(|(p, a)| Some(p) == a)
        })
    }
}

impl<'a> Iterator for Reader<'a> {
    type Item = Result<Tlv<'a>, Error>;

    #[inline(always)]
    fn next(&mut self) -> Option<Self::Item> {
        if self.mode == Mode::Lenient {
            skip_padding(&mut self.rest);
        }
        if self.rest.is_empty() {
            return None;
        }
        let result = if usize::from(self.depth) < MAX_DEPTH {
            split_object(self.rest, self.origin, self.depth, self.mode)
        } else {
            Err(too_deep(offset_of(self.rest, self.origin)))
        };
        match result {
            Ok((tlv, rest)) => {
                self.rest = rest;
                Some(Ok(tlv))
            }
            Err(e) => {
                self.rest = &[];
                Some(Err(e))
            }
        }
    }
}

impl core::iter::FusedIterator for Reader<'_> {}

/// Pre-order walk over a whole TLV tree without recursion or allocation: each constructed
/// object is yielded, then its children. Depth is bounded by [`MAX_DEPTH`].
#[derive(Clone, Debug)]
pub struct Walk<'a> {
    /// Unread bytes of the innermost open template (or of the input); emptied after an error.
    rest: &'a [u8],
    /// Address of byte 0 of the outermost input (see [`Tlv`]).
    origin: usize,
    /// Depth of the objects at the walk's first level.
    base_depth: u8,
    /// Templates entered and not yet finished.
    open: usize,
    /// What is left of each enclosing level after its open template, outermost first.
    outer: [&'a [u8]; MAX_DEPTH],
    mode: Mode,
    /// An error to report once nothing is left to read.
    pending: Option<Error>,
}

impl<'a> Iterator for Walk<'a> {
    type Item = Result<Tlv<'a>, Error>;

    #[inline(always)]
    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if self.mode == Mode::Lenient {
                skip_padding(&mut self.rest);
            }
            if !self.rest.is_empty() {
                break;
            }
            // This template is finished: continue after it, one level up.
            let Some(outer) = self.open.checked_sub(1) else {
                return self.pending.take().map(Err);
            };
            self.open = outer;
            self.rest = self.outer.get(outer).copied().unwrap_or_default();
        }
        // `open` < MAX_DEPTH - base_depth, so this never saturates.
        let depth = self
            .base_depth
            .saturating_add(u8::try_from(self.open).unwrap_or(u8::MAX));
        let (tlv, rest) = match split_object(self.rest, self.origin, depth, self.mode) {
            Ok(split) => split,
            Err(e) => {
                self.open = 0;
                self.rest = &[];
                return Some(Err(e));
            }
        };
        self.rest = rest;
        if tlv.is_constructed() && tlv.raw.len() > usize::from(tlv.header_len) {
            // Enter the template: its children come next, unless they would sit at depth
            // MAX_DEPTH — then the first of them is refused (lenient padding alone is fine).
            let room = usize::from(depth) + 1 < MAX_DEPTH;
            match self.outer.get_mut(self.open).filter(|_| room) {
                Some(slot) => {
                    *slot = rest;
                    self.open += 1;
                    self.rest = tlv.value();
                }
                None => {
                    if let Some(at) = first_object(tlv.value(), tlv.value_offset(), self.mode) {
                        self.open = 0;
                        self.rest = &[];
                        return Some(Err(too_deep(at)));
                    }
                }
            }
        }
        Some(Ok(tlv))
    }
}

/// Offset of the first byte of `value` that is not lenient padding, if any.
#[cold]
fn first_object(value: &[u8], offset: usize, mode: Mode) -> Option<usize> {
    let skip = match mode {
        Mode::Strict => 0,
        Mode::Lenient => value.iter().take_while(|&&b| is_padding(b)).count(),
    };
    (skip < value.len()).then_some(offset + skip)
}

impl core::iter::FusedIterator for Walk<'_> {}
