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
//!
//! The slots are the caller's ([`Slot`], plain data without a lifetime): one array kept by a
//! connection or a terminal serves every message, is never copied, and nothing is allocated.

use super::{Mode, Tag, Tlv, Walk};
use crate::{Error, ErrorKind};

/// Room for one data object in an index: a caller's array of these (`[Slot::EMPTY; 32]`) is
/// what [`Reader::index`](super::Reader::index) fills. Its content is private: only a
/// validating walk writes it.
#[derive(Clone, Copy, Default)]
pub struct Slot {
    /// Offset of the tag's first byte in the input indexed.
    offset: usize,
    /// Offset just past the value.
    end: usize,
    /// The tag's stored form ([`Tag::parts`]).
    tag: u32,
    tag_meta: u8,
    /// Tag and length field, in bytes (2 to 9).
    header: u8,
    depth: u8,
}

impl Slot {
    /// A slot not filled yet (all zeros: an array of them is cleared, not copied, into place).
    pub const EMPTY: Slot = Slot {
        offset: 0,
        end: 0,
        tag: 0,
        tag_meta: 0,
        header: 0,
        depth: 0,
    };

    /// The slot for `tlv`, whose header is `header` bytes long, read from the input whose
    /// byte 0 is at address `base`.
    #[inline(always)]
    fn of(tlv: &Tlv<'_>, base: usize, header: u8) -> Slot {
        let raw = tlv.raw();
        let offset = raw.as_ptr().addr().wrapping_sub(base);
        let (tag, tag_meta) = tlv.tag().parts();
        Slot {
            offset,
            end: offset + raw.len(),
            tag,
            tag_meta,
            header,
            depth: tlv.depth_u8(),
        }
    }

    #[inline(always)]
    fn tag(&self) -> Tag {
        Tag::from_parts(self.tag, self.tag_meta)
    }
}

impl core::fmt::Debug for Slot {
    // Positions only: the values stay in the input.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Slot")
            .field("offset", &self.offset)
            .field("end", &self.end)
            .finish_non_exhaustive()
    }
}

/// A TLV tree read and fully validated once, with every data object's position kept in the
/// caller's slots (no allocation, nothing copied on return).
///
/// Built by [`Reader::index`](super::Reader::index), which runs the validating
/// [`Walk`](super::Walk): every check of the walk (tag continuation bits, lengths in their
/// shortest form in strict mode, values within their template, depth) has passed. Walking the
/// index ([`Indexed::iter`]) yields the same objects as that walk, in the same pre-order,
/// without reading a header again; [`Indexed::find`] looks a tag up among them.
///
/// A tree of more objects than there are slots is refused with
/// [`ErrorKind::TooManyObjects`] (when it is otherwise well formed; a malformed one is
/// refused with the walk's error): 32 slots hold a field 55 of an ARQC, 64 a card's records.
///
/// ```
/// use cardwire_emv::tags;
/// use cardwire_emv::tlv::{Reader, Slot};
/// // Amount, authorised (9F02) and the transaction currency code (5F2A).
/// let data = [0x9F, 0x02, 0x06, 0, 0, 0, 0, 0x10, 0, 0x5F, 0x2A, 0x02, 0x01, 0x56];
/// let mut slots = [Slot::EMPTY; 32];
/// let index = Reader::new(&data).index(&mut slots)?;
/// assert_eq!(index.len(), 2);
/// let currency = index.find(tags::TRANSACTION_CURRENCY_CODE).map(|t| t.value());
/// assert_eq!(currency, Some(&[0x01, 0x56][..]));
/// // Too few slots is an error, not a truncation.
/// assert!(Reader::new(&data).index(&mut [Slot::EMPTY; 1]).is_err());
/// # Ok::<(), cardwire_emv::Error>(())
/// ```
#[derive(Clone, Copy)]
pub struct Indexed<'a, 's> {
    /// Everything the walk read; the slots' offsets are positions in it.
    input: &'a [u8],
    /// Address of byte 0 of the outermost input (see [`Tlv`]).
    origin: usize,
    mode: Mode,
    /// The filled slots, in pre-order.
    slots: &'s [Slot],
}

impl<'a, 's> Indexed<'a, 's> {
    /// Walks `input` (whose byte 0 is at `origin`, its objects at `depth`) to its end and
    /// records every object in `slots`; the walk's first error, or
    /// [`ErrorKind::TooManyObjects`] if the tree is sound but holds more objects than `slots`.
    #[inline]
    pub(super) fn build(
        input: &'a [u8],
        origin: usize,
        depth: u8,
        mode: Mode,
        slots: &'s mut [Slot],
    ) -> Result<Self, Error> {
        // The walk is made here, a local: passed in by value it would live behind a pointer
        // (too large for registers in the call's ABI), and every step would store it back.
        let walk = Walk::new(input, origin, depth, mode);
        let len = fill(walk, input.as_ptr().addr(), slots)?;
        let (filled, _) = slots.split_at(len);
        Ok(Self {
            input,
            origin,
            mode,
            slots: filled,
        })
    }

    /// The object recorded in `slot`, as the walk yielded it. (`None` cannot happen: the slot
    /// was filled from this input by the walk; it would end an iteration, not invent data.)
    #[inline(always)]
    fn tlv(&self, slot: &Slot) -> Option<Tlv<'a>> {
        let raw = self.input.get(slot.offset..slot.end)?;
        let value = raw.get(usize::from(slot.header)..)?;
        Some(Tlv::from_parts(
            raw,
            value,
            self.origin,
            slot.tag(),
            slot.depth,
            self.mode,
        ))
    }

    /// Every object, in the walk's pre-order (each template, then its children).
    #[inline]
    pub fn iter(&self) -> IndexedIter<'a, 's> {
        IndexedIter {
            index: *self,
            slots: self.slots.iter(),
        }
    }

    /// The `i`-th object in pre-order.
    #[inline]
    pub fn get(&self, i: usize) -> Option<Tlv<'a>> {
        self.tlv(self.slots.get(i)?)
    }

    /// The first object with `tag`, anywhere in the tree (what [`Reader::find`] finds, without
    /// reading the input again).
    ///
    /// [`Reader::find`]: super::Reader::find
    #[inline]
    pub fn find(&self, tag: Tag) -> Option<Tlv<'a>> {
        let (value, _) = tag.parts();
        // The value alone identifies a tag read from the wire (its length and form follow from
        // its bytes), so the search compares one word per slot.
        let slot = self.slots.iter().find(|s| s.tag == value)?;
        self.tlv(slot)
    }

    /// Every object with `tag`, in order (duplicates kept).
    #[inline]
    pub fn find_all(&self, tag: Tag) -> impl Iterator<Item = Tlv<'a>> + use<'a, 's> {
        let (value, _) = tag.parts();
        let index = *self;
        self.slots
            .iter()
            .filter(move |s| s.tag == value)
            .filter_map(move |s| index.tlv(s))
    }

    /// The number of objects (templates and their children).
    #[inline]
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// Whether the tree holds no object (empty input, or padding alone in lenient mode).
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// The mode the tree was read in.
    pub fn mode(&self) -> Mode {
        self.mode
    }
}

/// Records what `walk` (over the input whose byte 0 is at address `base`) yields in `slots`;
/// how many it filled.
#[inline(always)]
fn fill(mut walk: Walk<'_>, base: usize, slots: &mut [Slot]) -> Result<usize, Error> {
    for (filled, slot) in slots.iter_mut().enumerate() {
        match walk.next() {
            None => return Ok(filled),
            Some(Err(e)) => return Err(e),
            Some(Ok(tlv)) => {
                // Tag (at most 4 bytes) and length field (at most 5): a longer header is
                // refused by the walk, and would be a length field too long.
                let Ok(header) = u8::try_from(tlv.raw().len() - tlv.len()) else {
                    return Err(header_too_long(tlv.offset(), tlv.tag()));
                };
                *slot = Slot::of(&tlv, base, header);
            }
        }
    }
    // Every slot is filled: the tree must end here.
    match walk.next() {
        None => Ok(slots.len()),
        Some(Err(e)) => Err(e),
        Some(Ok(tlv)) => Err(overflow(tlv.offset(), walk, slots.len())),
    }
}

/// The error for a header of more than 255 bytes, which the walk never yields. (Given values,
/// not the object: a reference would make the loop store every object to memory.)
#[cold]
#[inline(never)]
fn header_too_long(at: usize, tag: Tag) -> Error {
    Error::new(ErrorKind::LengthTooLong, at, Some(tag))
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

impl core::fmt::Debug for Indexed<'_, '_> {
    // Values may be card data: each object is shown through `Tlv`'s own `Debug`, which masks.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Indexed")
            .field("mode", &self.mode)
            .field("objects", &Objects(*self))
            .finish()
    }
}

/// The objects of an index, listed for its `Debug` (formatted in turn, nothing collected).
struct Objects<'a, 's>(Indexed<'a, 's>);

impl core::fmt::Debug for Objects<'_, '_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_list().entries(self.0.iter()).finish()
    }
}

/// The objects of an [`Indexed`] tree in pre-order; see [`Indexed::iter`].
#[derive(Clone)]
pub struct IndexedIter<'a, 's> {
    index: Indexed<'a, 's>,
    slots: core::slice::Iter<'s, Slot>,
}

impl core::fmt::Debug for IndexedIter<'_, '_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("IndexedIter")
            .field("left", &self.slots.len())
            .finish()
    }
}

impl<'a> Iterator for IndexedIter<'a, '_> {
    type Item = Tlv<'a>;

    #[inline(always)]
    fn next(&mut self) -> Option<Tlv<'a>> {
        self.index.tlv(self.slots.next()?)
    }

    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, Some(self.slots.len()))
    }
}

impl DoubleEndedIterator for IndexedIter<'_, '_> {
    #[inline]
    fn next_back(&mut self) -> Option<Self::Item> {
        self.index.tlv(self.slots.next_back()?)
    }
}

impl<'a, 's> IntoIterator for &Indexed<'a, 's> {
    type Item = Tlv<'a>;
    type IntoIter = IndexedIter<'a, 's>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl<'a, 's> IntoIterator for Indexed<'a, 's> {
    type Item = Tlv<'a>;
    type IntoIter = IndexedIter<'a, 's>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}
