//! Zero-copy reading: [`Tlv`] views, the sibling iterator [`Reader`] and the pre-order tree
//! walk [`Walk`]. Nothing here allocates; every value is a slice of the caller's input.
//!
//! The hot path reads a header with no error bookkeeping at all ([`header`]); only when it
//! fails does the cold [`diagnose`] read the same bytes again to say exactly what is wrong.

use core::fmt;

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
/// `Debug` and `Display` mask sensitive values (see [`crate::mask`]).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Tlv<'a> {
    raw: &'a [u8],
    offset: usize,
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
        self.offset
    }

    /// Offset of the first value byte within the outermost input.
    #[inline]
    pub fn value_offset(&self) -> usize {
        self.offset + usize::from(self.header_len)
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
            input: self.value(),
            pos: 0,
            base: self.value_offset(),
            depth: self.depth.saturating_add(1),
            mode: self.mode,
            failed: false,
        })
    }
}

impl fmt::Debug for Tlv<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tlv")
            .field("tag", &self.tag)
            .field("offset", &self.offset)
            .field("len", &self.len())
            .field(
                "value",
                &format_args!("{}", crate::mask::MaskedValue::new(self, false)),
            )
            .finish()
    }
}

impl fmt::Display for Tlv<'_> {
    /// `TAG [LEN] VALUE` with sensitive values masked.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let value = crate::mask::MaskedValue::new(self, false);
        write!(f, "{} [{}] {}", self.tag, self.len(), value)
    }
}

/// Reads the header at the start of `buf`: tag, header length, value length.
/// `None` for anything malformed in `mode`, including a value that runs past `buf`.
#[inline(always)]
fn header(buf: &[u8], mode: Mode) -> Option<(Tag, usize, usize)> {
    let (tag, tag_len) = Tag::parse_fast(buf)?;
    if buf.first() == Some(&0x00) {
        return None; // 00 is padding, never a tag
    }
    let (value_len, len_len) = match *buf.get(tag_len..)? {
        [b, ..] if b < 0x80 => (usize::from(b), 1),
        ref long => long_length(long, mode)?,
    };
    let header_len = tag_len + len_len;
    (value_len <= buf.len() - header_len).then_some((tag, header_len, value_len))
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
    let (tag, tag_len) = match Tag::parse(buf) {
        Ok(found) => found,
        Err(e) => return e,
    };
    let at = |kind, offset| Error::new(kind, offset, Some(tag));
    let field = buf.get(tag_len..).unwrap_or_default();
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
    let Some((needed, _)) = long_length(field, mode).or((len_len == 1).then_some((0, 1))) else {
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

/// Reads the object at `pos` of `window` (which ends where the enclosing template ends).
#[inline(always)]
fn read_at<'a>(
    window: &'a [u8],
    pos: usize,
    base: usize,
    depth: u8,
    mode: Mode,
) -> Result<Tlv<'a>, Error> {
    let buf = window.get(pos..).unwrap_or_default();
    match header(buf, mode) {
        Some((tag, header_len, value_len)) => Ok(Tlv {
            raw: buf.get(..header_len + value_len).unwrap_or_default(),
            offset: base + pos,
            tag,
            // A header is at most 4 tag bytes and 5 length bytes.
            header_len: u8::try_from(header_len).unwrap_or(u8::MAX),
            depth,
            mode,
        }),
        None => Err(relocate(diagnose(buf, mode), base + pos)),
    }
}

#[cold]
fn relocate(e: Error, by: usize) -> Error {
    Error::new(e.kind(), e.offset() + by, e.tag())
}

#[cold]
fn too_deep(at: usize) -> Error {
    Error::new(ErrorKind::TooDeep, at, None)
}

/// Iterates over sibling data objects (one level; use [`Tlv::children`] to descend or
/// [`Reader::walk`] for the whole tree). After an error it yields nothing more.
#[derive(Clone, Debug)]
pub struct Reader<'a> {
    input: &'a [u8],
    pos: usize,
    base: usize,
    depth: u8,
    mode: Mode,
    failed: bool,
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
            input,
            pos: 0,
            base: 0,
            depth: 0,
            mode,
            failed: false,
        }
    }

    /// The reading mode.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// A pre-order walk over every object at and below this level.
    pub fn walk(&self) -> Walk<'a> {
        Walk {
            input: self.input,
            pos: self.pos,
            end: self.input.len(),
            base: self.base,
            depth: self.depth,
            ends: [0; MAX_DEPTH],
            open: 0,
            mode: self.mode,
            failed: false,
        }
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
        let mut stack = [Tag::PAN; MAX_DEPTH];
        self.walk().filter(move |r| {
            let Ok(tlv) = r else { return true };
            let level = usize::from(tlv.depth.saturating_sub(top));
            if let Some(slot) = stack.get_mut(level) {
                *slot = tlv.tag;
            }
            let tags = path.tags();
            level + 1 == tags.len() && stack.get(..=level) == Some(tags)
        })
    }
}

impl<'a> Iterator for Reader<'a> {
    type Item = Result<Tlv<'a>, Error>;

    #[inline(always)]
    fn next(&mut self) -> Option<Self::Item> {
        if self.mode == Mode::Lenient {
            while self.input.get(self.pos).is_some_and(|&b| is_padding(b)) {
                self.pos += 1;
            }
        }
        if self.pos >= self.input.len() || self.failed {
            return None;
        }
        let result = if usize::from(self.depth) < MAX_DEPTH {
            read_at(self.input, self.pos, self.base, self.depth, self.mode)
        } else {
            Err(too_deep(self.base + self.pos))
        };
        match result {
            Ok(tlv) => {
                self.pos += tlv.raw.len();
                Some(Ok(tlv))
            }
            Err(e) => {
                self.failed = true;
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
    input: &'a [u8],
    pos: usize,
    /// End of the innermost open template (or of the input).
    end: usize,
    base: usize,
    /// Depth of the objects being read now.
    depth: u8,
    /// Ends of the enclosing templates, outermost first; `open` of them are in use.
    ends: [usize; MAX_DEPTH],
    open: usize,
    mode: Mode,
    failed: bool,
}

impl Walk<'_> {
    /// Leaves finished templates; `false` when the whole input is consumed.
    #[inline(always)]
    fn advance_to_object(&mut self) -> bool {
        loop {
            if self.mode == Mode::Lenient {
                while self.pos < self.end
                    && self.input.get(self.pos).is_some_and(|&b| is_padding(b))
                {
                    self.pos += 1;
                }
            }
            if self.pos < self.end {
                return true;
            }
            let Some(outer) = self.open.checked_sub(1) else {
                return false;
            };
            self.open = outer;
            self.end = self.ends.get(outer).copied().unwrap_or(self.input.len());
            self.depth = self.depth.saturating_sub(1);
        }
    }
}

impl<'a> Iterator for Walk<'a> {
    type Item = Result<Tlv<'a>, Error>;

    #[inline(always)]
    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || !self.advance_to_object() {
            return None;
        }
        let window = self.input.get(..self.end).unwrap_or_default();
        let result = if usize::from(self.depth) < MAX_DEPTH {
            read_at(window, self.pos, self.base, self.depth, self.mode)
        } else {
            Err(too_deep(self.base + self.pos))
        };
        let tlv = match result {
            Ok(tlv) => tlv,
            Err(e) => {
                self.failed = true;
                return Some(Err(e));
            }
        };
        let next = self.pos + tlv.raw.len();
        if tlv.is_constructed() && tlv.len() > 0 {
            // Enter the template: its children come next. `open` stays below MAX_DEPTH
            // because objects are only read at depths below it.
            let Some(slot) = self.ends.get_mut(self.open) else {
                self.failed = true;
                return Some(Err(too_deep(tlv.value_offset())));
            };
            *slot = self.end;
            self.open += 1;
            self.end = next;
            self.depth = self.depth.saturating_add(1);
            self.pos += usize::from(tlv.header_len);
            return Some(Ok(tlv));
        }
        self.pos = next;
        Some(Ok(tlv))
    }
}

impl core::iter::FusedIterator for Walk<'_> {}
