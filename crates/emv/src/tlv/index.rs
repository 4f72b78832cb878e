//! A TLV tree validated once and indexed: [`Indexed`] records where every data object lies,
//! so that walking it again, or looking up tags in it, reads no header.
//!
//! Why: a [`Walk`](super::Walk) checks each header as it reads it, and each object's position
//! is the length byte just loaded plus a constant — a chain of dependent loads that bounds a
//! walk's time whatever the code does around it. A host or terminal reads one field 55 once
//! and then asks it for ten or twenty tags; with the index, that validation is paid once, and
//! each later walk or lookup is a loop over recorded positions whose loads do not depend on
//! each other. The index can only be built by the validating walk, so what it holds is proved
//! well formed by its type, and nothing read through it is checked again.

use super::{Mode, Tag, Tlv, Walk};
use crate::{Error, ErrorKind};

/// A TLV tree read and fully validated once, with every data object's position kept in an
/// index of capacity `N` held inside the value (no allocation).
///
/// Built by [`Reader::index`](super::Reader::index), which runs the validating
/// [`Walk`](super::Walk): every check of the walk (tag continuation bits, lengths in their
/// shortest form in strict mode, values within their template, depth) has passed. Walking the
/// index ([`Indexed::iter`]) yields the same objects as that walk, in the same pre-order,
/// without reading a header again; [`Indexed::find`] looks a tag up among them.
///
/// A tree of more than `N` objects is refused with [`ErrorKind::TooManyObjects`] (when it is
/// otherwise well formed; a malformed one is refused with the walk's error). The value holds
/// `N` slots of a few machine words each: choose `N` for the data expected (32 holds a
/// field 55 of an ARQC, 64 a card's whole record set).
///
/// ```
/// use cardwire_emv::tags;
/// use cardwire_emv::tlv::{Indexed, Reader};
/// // Amount, authorised (9F02) and the transaction currency code (5F2A).
/// let data = [0x9F, 0x02, 0x06, 0, 0, 0, 0, 0x10, 0, 0x5F, 0x2A, 0x02, 0x01, 0x56];
/// let index: Indexed<'_, 32> = Reader::new(&data).index()?;
/// assert_eq!(index.len(), 2);
/// let currency = index.find(tags::TRANSACTION_CURRENCY_CODE).map(|t| t.value());
/// assert_eq!(currency, Some(&[0x01, 0x56][..]));
/// // Too small an index is an error, not a truncation.
/// assert!(Reader::new(&data).index::<1>().is_err());
/// # Ok::<(), cardwire_emv::Error>(())
/// ```
#[derive(Clone)]
pub struct Indexed<'a, const N: usize> {
    /// Address of byte 0 of the outermost input (see [`Tlv`]).
    origin: usize,
    mode: Mode,
    /// Slots filled, in pre-order; at most `N`.
    len: usize,
    entries: [Entry<'a>; N],
}

/// One object as the validating walk read it: everything a [`Tlv`] holds but the fields the
/// whole index shares.
#[derive(Clone, Copy)]
struct Entry<'a> {
    raw: &'a [u8],
    value: &'a [u8],
    tag: Tag,
    depth: u8,
}

impl Entry<'_> {
    /// A slot not filled yet: never read (only the first `len` slots are).
    const UNUSED: Entry<'static> = Entry {
        raw: &[],
        value: &[],
        tag: Tag::short(0x01, None),
        depth: 0,
    };
}

impl<'a, const N: usize> Indexed<'a, N> {
    /// Runs `walk` to its end and records every object; the walk's first error, or
    /// [`ErrorKind::TooManyObjects`] if the tree is sound but holds more than `N` objects.
    #[inline]
    pub(super) fn build(walk: Walk<'a>, origin: usize, mode: Mode) -> Result<Self, Error> {
        // Built inside the result, so that the index is not copied out of a local on return.
        let mut out = Ok(Self {
            origin,
            mode,
            len: 0,
            entries: [Entry::UNUSED; N],
        });
        if let Ok(index) = &mut out
            && let Err(e) = index.fill(walk)
        {
            return Err(e);
        }
        out
    }

    /// Records what `walk` yields.
    #[inline]
    fn fill(&mut self, mut walk: Walk<'a>) -> Result<(), Error> {
        let mut len = 0;
        while let Some(item) = walk.next() {
            let tlv = item?;
            let Some(slot) = self.entries.get_mut(len) else {
                return Err(overflow(tlv.offset(), walk, N));
            };
            *slot = Entry {
                raw: tlv.raw(),
                value: tlv.value(),
                tag: tlv.tag(),
                depth: tlv.depth_u8(),
            };
            len += 1;
        }
        self.len = len;
        Ok(())
    }

    /// The object in slot `entry`, as the walk yielded it.
    #[inline(always)]
    fn tlv(&self, entry: &Entry<'a>) -> Tlv<'a> {
        Tlv::from_parts(
            entry.raw,
            entry.value,
            self.origin,
            entry.tag,
            entry.depth,
            self.mode,
        )
    }

    /// The filled slots: the first `len` (never more than `N`, as `fill` stops at the last).
    #[inline(always)]
    fn filled(&self) -> core::iter::Take<core::slice::Iter<'_, Entry<'a>>> {
        self.entries.iter().take(self.len)
    }

    /// Every object, in the walk's pre-order (each template, then its children).
    #[inline]
    pub fn iter(&self) -> IndexedIter<'_, 'a, N> {
        IndexedIter {
            index: self,
            entries: self.filled(),
        }
    }

    /// The `i`-th object in pre-order.
    #[inline]
    pub fn get(&self, i: usize) -> Option<Tlv<'a>> {
        self.filled().nth(i).map(|e| self.tlv(e))
    }

    /// The first object with `tag`, anywhere in the tree (what [`Reader::find`] finds, without
    /// reading the input again).
    ///
    /// [`Reader::find`]: super::Reader::find
    #[inline]
    pub fn find(&self, tag: Tag) -> Option<Tlv<'a>> {
        self.filled().find(|e| e.tag == tag).map(|e| self.tlv(e))
    }

    /// Every object with `tag`, in order (duplicates kept).
    #[inline]
    pub fn find_all(&self, tag: Tag) -> impl Iterator<Item = Tlv<'a>> + '_ {
        self.iter().filter(move |t| t.tag() == tag)
    }

    /// The number of objects (templates and their children).
    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the tree holds no object (empty input, or padding alone in lenient mode).
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The capacity, `N`.
    pub const CAPACITY: usize = N;

    /// The mode the tree was read in.
    pub fn mode(&self) -> Mode {
        self.mode
    }
}

/// The error for a sound tree that does not fit: the rest of the walk still runs, so that a
/// malformed tree is reported as malformed rather than as too large.
#[cold]
#[inline(never)]
fn overflow(at: usize, walk: Walk<'_>, capacity: usize) -> Error {
    for item in walk {
        if let Err(e) = item {
            return e;
        }
    }
    Error::new(ErrorKind::TooManyObjects { capacity }, at, None)
}

impl<const N: usize> core::fmt::Debug for Indexed<'_, N> {
    // Values may be card data: each object is shown through `Tlv`'s own `Debug`, which masks.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Indexed")
            .field("mode", &self.mode)
            .field("objects", &Objects(self))
            .finish()
    }
}

/// The objects of an index, listed for its `Debug` (formatted in turn, nothing collected).
struct Objects<'x, 'a, const N: usize>(&'x Indexed<'a, N>);

impl<const N: usize> core::fmt::Debug for Objects<'_, '_, N> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_list().entries(self.0.iter()).finish()
    }
}

/// The objects of an [`Indexed`] tree in pre-order; see [`Indexed::iter`].
#[derive(Clone)]
pub struct IndexedIter<'i, 'a, const N: usize> {
    index: &'i Indexed<'a, N>,
    entries: core::iter::Take<core::slice::Iter<'i, Entry<'a>>>,
}

impl<const N: usize> core::fmt::Debug for IndexedIter<'_, '_, N> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("IndexedIter")
            .field("left", &self.entries.len())
            .finish()
    }
}

impl<'a, const N: usize> Iterator for IndexedIter<'_, 'a, N> {
    type Item = Tlv<'a>;

    #[inline(always)]
    fn next(&mut self) -> Option<Tlv<'a>> {
        self.entries.next().map(|e| self.index.tlv(e))
    }

    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.entries.size_hint()
    }
}

impl<const N: usize> DoubleEndedIterator for IndexedIter<'_, '_, N> {
    #[inline]
    fn next_back(&mut self) -> Option<Self::Item> {
        self.entries.next_back().map(|e| self.index.tlv(e))
    }
}

impl<const N: usize> ExactSizeIterator for IndexedIter<'_, '_, N> {}

impl<const N: usize> core::iter::FusedIterator for IndexedIter<'_, '_, N> {}

impl<'i, 'a, const N: usize> IntoIterator for &'i Indexed<'a, N> {
    type Item = Tlv<'a>;
    type IntoIter = IndexedIter<'i, 'a, N>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}
