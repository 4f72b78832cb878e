//! Zero-copy reading: [`Tlv`] views and the sibling iterator [`Reader`] (the tree walk is
//! [`super::Walk`]). Nothing here allocates; every value is a slice of the caller's
//! input.

use super::header::{self, skip_padding};
use super::{Indexed, MAX_DEPTH, Slot, Tag, Walk};
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
    /// Tag, length and value as encoded.
    raw: &'a [u8],
    /// The end of `raw`.
    value: &'a [u8],
    /// Address of byte 0 of the outermost input: offsets are computed from addresses when
    /// asked for, instead of being carried through every reader step.
    origin: usize,
    tag: Tag,
    depth: u8,
    mode: Mode,
}

impl<'a> Tlv<'a> {
    /// A data object split off by the header reader, at `depth`.
    #[inline(always)]
    pub(super) fn new(split: header::Split<'a>, origin: usize, depth: u8, mode: Mode) -> Self {
        Self {
            raw: split.raw,
            value: split.value,
            origin,
            tag: split.tag,
            depth,
            mode,
        }
    }

    /// A data object recorded by an index, as the walk yielded it.
    #[inline(always)]
    pub(super) fn from_parts(
        raw: &'a [u8],
        value: &'a [u8],
        origin: usize,
        tag: Tag,
        depth: u8,
        mode: Mode,
    ) -> Self {
        Self {
            raw,
            value,
            origin,
            tag,
            depth,
            mode,
        }
    }

    /// Nesting depth as stored (below [`MAX_DEPTH`]).
    #[inline(always)]
    pub(super) fn depth_u8(&self) -> u8 {
        self.depth
    }

    /// The tag.
    #[inline]
    pub fn tag(&self) -> Tag {
        self.tag
    }

    /// The value bytes (for a constructed object: its encoded children).
    #[inline]
    pub fn value(&self) -> &'a [u8] {
        self.value
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
        self.value.len()
    }

    /// Offset of the first tag byte within the outermost input given to the reader.
    #[inline]
    pub fn offset(&self) -> usize {
        offset_of(self.raw, self.origin)
    }

    /// Offset of the first value byte within the outermost input.
    #[inline]
    pub fn value_offset(&self) -> usize {
        offset_of(self.value, self.origin)
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
            rest: self.value,
            origin: self.origin,
            depth: self.depth.saturating_add(1),
            mode: self.mode,
        })
    }
}

/// Offset of `bytes` (a sub-slice of the outermost input) from the input's first byte.
#[inline(always)]
pub(super) fn offset_of(bytes: &[u8], origin: usize) -> usize {
    bytes.as_ptr().addr().wrapping_sub(origin)
}

/// The error for a header [`header::split`] refused at the start of `buf`, with its offset in
/// the outermost input.
#[cold]
#[inline(never)]
pub(super) fn refused(buf: &[u8], origin: usize, mode: Mode) -> Error {
    let e = header::diagnose(buf, mode);
    Error::new(e.kind(), e.offset() + offset_of(buf, origin), e.tag())
}

#[cold]
pub(super) fn too_deep(at: usize) -> Error {
    Error::new(ErrorKind::TooDeep, at, None)
}

/// Iterates over sibling data objects (one level; use [`Tlv::children`] to descend or
/// [`Reader::walk`] for the whole tree). After an error it yields nothing more.
///
/// ```
/// use cardwire_emv::tags;
/// use cardwire_emv::tlv::Reader;
///
/// // A SELECT answer: 6F (FCI) holding 84 (DF name) and A5 holding 50 (label) "UnionPay".
/// let fci = [
///     0x6F, 0x16, 0x84, 0x08, 0xA0, 0x00, 0x00, 0x03, 0x33, 0x01, 0x01, 0x01,
///     0xA5, 0x0A, 0x50, 0x08, b'U', b'n', b'i', b'o', b'n', b'P', b'a', b'y',
/// ];
/// let reader = Reader::new(&fci);
/// reader.validate()?; // the whole tree is well formed
///
/// // One level: the FCI template alone, its children read through `children`.
/// let top: Vec<_> = reader.clone().collect::<Result<_, _>>()?;
/// assert_eq!(top.len(), 1);
/// assert_eq!(top[0].tag(), tags::FILE_CONTROL_INFORMATION_TEMPLATE);
///
/// // Anywhere in the tree, without allocating: `find` walks it.
/// let label = reader.find(tags::APPLICATION_LABEL)?.map(|t| t.value());
/// assert_eq!(label, Some(&b"UnionPay"[..]));
/// # Ok::<(), cardwire_emv::Error>(())
/// ```
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
    #[inline]
    pub fn new(input: &'a [u8]) -> Self {
        Self::with_mode(input, Mode::Strict)
    }

    /// A lenient reader over `input` (skips `00`/`FF` padding).
    #[inline]
    pub fn lenient(input: &'a [u8]) -> Self {
        Self::with_mode(input, Mode::Lenient)
    }

    /// A reader over `input` in the given mode.
    #[inline]
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
    #[inline]
    pub fn walk(&self) -> Walk<'a> {
        Walk::new(self.rest, self.origin, self.depth, self.mode)
    }

    /// Validates the whole tree below this reader, as [`Reader::validate`] does, and records
    /// every object in `slots` (the caller's, reused from message to message): later walks
    /// and lookups through the returned [`Indexed`] read no header.
    ///
    /// # Errors
    /// The first malformation found, with its offset (the error [`Reader::walk`] yields);
    /// for a well-formed tree of more objects than `slots`, [`ErrorKind::TooManyObjects`] at
    /// the first object that did not fit.
    #[inline]
    pub fn index<'s>(&self, slots: &'s mut [Slot]) -> Result<Indexed<'a, 's>, Error> {
        Indexed::build(self.rest, self.origin, self.depth, self.mode, slots)
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
        // The short forms need no word about the mode: padding is never one of them.
        let split = match header::split_short(self.rest) {
            Some(split) if usize::from(self.depth) < MAX_DEPTH => split,
            _ => {
                if self.mode == Mode::Lenient {
                    skip_padding(&mut self.rest);
                }
                if self.rest.is_empty() {
                    return None;
                }
                match header::split(self.rest, self.mode) {
                    Some(split) if usize::from(self.depth) < MAX_DEPTH => split,
                    _ => return Some(Err(self.fail())),
                }
            }
        };
        self.rest = split.rest;
        Some(Ok(Tlv::new(split, self.origin, self.depth, self.mode)))
    }
}

impl Reader<'_> {
    /// The error at the front of `rest`, after which the reader yields nothing more.
    #[cold]
    #[inline(never)]
    fn fail(&mut self) -> Error {
        let rest = core::mem::take(&mut self.rest);
        if usize::from(self.depth) >= MAX_DEPTH {
            too_deep(offset_of(rest, self.origin))
        } else {
            refused(rest, self.origin, self.mode)
        }
    }
}

impl core::iter::FusedIterator for Reader<'_> {}
