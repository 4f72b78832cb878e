//! Data object lists (EMV 4.4 Book 3 §5.4): PDOL `9F38`, CDOL1 `8C`, CDOL2 `8D`, DDOL
//! `9F49`, TDOL `97`. A DOL is a list of tags with lengths; the terminal answers it with the
//! values concatenated, each fitted to its length:
//!
//! - format `n`: padded on the left with `00`, or cut keeping the rightmost bytes;
//! - format `cn`: padded on the right with `FF`, or cut keeping the leftmost bytes;
//! - any other format: padded on the right with `00`, or cut keeping the leftmost bytes;
//! - a tag without a value, or a constructed tag: that many `00` bytes.
//!
//! Formats come from the [tag dictionary](crate::dict); unknown tags count as binary.
//!
//! ```
//! use cardwire_emv::dol::Dol;
//! use cardwire_emv::tlv::Reader;
//!
//! // A CDOL1 asking for the amount (n 12), the terminal country code (n 3) and the
//! // unpredictable number (b 4).
//! let cdol1 = [0x9F, 0x02, 0x06, 0x9F, 0x1A, 0x02, 0x9F, 0x37, 0x04];
//! let dol = Dol::new(&cdol1)?;
//! assert_eq!(dol.data_len(), 12);
//!
//! // Known values, as TLV: the amount given in 4 bytes is padded on the left; the
//! // unpredictable number is missing and becomes zeros.
//! let known = [0x9F, 0x02, 0x04, 0x00, 0x01, 0x23, 0x45, 0x9F, 0x1A, 0x02, 0x01, 0x56];
//! let mut out = [0u8; 12];
//! let n = dol.build_from(&Reader::new(&known), &mut out)?;
//! assert_eq!(&out[..n], &[0, 0, 0, 1, 0x23, 0x45, 0x01, 0x56, 0, 0, 0, 0]);
//! # Ok::<(), cardwire_emv::Error>(())
//! ```

use core::fmt;

use crate::dict::{self, Format};
use crate::tlv::{Reader, Tag};
use crate::{Error, ErrorKind};

/// One entry of a DOL: a tag and the length the card wants for it.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct DolEntry {
    tag: Tag,
    len: u8,
}

impl DolEntry {
    /// An entry.
    pub const fn new(tag: Tag, len: u8) -> Self {
        Self { tag, len }
    }

    /// The tag.
    pub const fn tag(&self) -> Tag {
        self.tag
    }

    /// The length asked for, in bytes.
    #[allow(clippy::len_without_is_empty)] // a zero length is a valid request
    pub const fn len(&self) -> usize {
        self.len as usize
    }
}

impl fmt::Debug for DolEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}[{}]", self.tag, self.len)
    }
}

/// A validated data object list over borrowed bytes.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Dol<'a> {
    raw: &'a [u8],
    data_len: usize,
    count: usize,
}

/// Reads the entry at the start of `list`: the entry and the rest of the list, `None` at a
/// malformation.
fn entry(list: &[u8]) -> Option<(DolEntry, &[u8])> {
    if list.first() == Some(&0x00) {
        return None;
    }
    let (tag, after_tag) = Tag::split(list).ok()?;
    let (&len, rest) = after_tag.split_first()?;
    Some((DolEntry { tag, len }, rest))
}

impl<'a> Dol<'a> {
    /// Checks `raw`: each entry a tag of 1–4 bytes followed by a one-byte length.
    ///
    /// # Errors
    /// [`ErrorKind::Padding`] for a `00` where a tag belongs, [`ErrorKind::TagTooLong`], or
    /// [`ErrorKind::Truncated`] when the list ends inside an entry; the offset is within
    /// `raw`.
    pub fn new(raw: &'a [u8]) -> Result<Self, Error> {
        let mut rest = raw;
        let mut data_len = 0;
        let mut count = 0;
        while !rest.is_empty() {
            let Some((e, after)) = entry(rest) else {
                return Err(Self::diagnose(rest, raw.len() - rest.len()));
            };
            data_len += e.len();
            count += 1;
            rest = after;
        }
        Ok(Self {
            raw,
            data_len,
            count,
        })
    }

    #[cold]
    fn diagnose(rest: &[u8], pos: usize) -> Error {
        if rest.first() == Some(&0x00) {
            return Error::new(ErrorKind::Padding, pos, None);
        }
        match Tag::parse(rest) {
            Err(e) => Error::new(e.kind(), pos + e.offset(), None),
            Ok((tag, n)) => Error::new(ErrorKind::Truncated, pos + n, Some(tag)),
        }
    }

    /// The list as encoded.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.raw
    }

    /// The entries in order.
    pub fn iter(&self) -> impl Iterator<Item = DolEntry> + use<'a> {
        let mut rest = self.raw;
        core::iter::from_fn(move || {
            let (e, after) = entry(rest)?;
            rest = after;
            Some(e)
        })
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Whether the list has no entries.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Length of the DOL data: the sum of the lengths asked for.
    pub fn data_len(&self) -> usize {
        self.data_len
    }

    /// Assembles the DOL data into `out`, taking each value from `value` (which returns
    /// `None` for a value the terminal does not have), and returns [`Dol::data_len`].
    ///
    /// # Errors
    /// [`ErrorKind::BufferTooSmall`]; `out` is then untouched.
    pub fn build<'v, F>(&self, value: F, out: &mut [u8]) -> Result<usize, Error>
    where
        F: FnMut(Tag) -> Option<&'v [u8]>,
    {
        let dst =
            out.get_mut(..self.data_len)
                .ok_or(Error::new(ErrorKind::BufferTooSmall, 0, None))?;
        self.fill(value, dst);
        Ok(self.data_len)
    }

    /// Fills `dst`, of exactly [`Dol::data_len`] bytes, entry by entry.
    fn fill<'v, F>(&self, mut value: F, dst: &mut [u8])
    where
        F: FnMut(Tag) -> Option<&'v [u8]>,
    {
        let mut rest = dst;
        for e in self.iter() {
            // The entries' lengths add up to the data length, so each slot is there.
            let Some((slot, after)) = core::mem::take(&mut rest).split_at_mut_checked(e.len())
            else {
                return;
            };
            match value(e.tag).filter(|_| !e.tag.is_constructed()) {
                Some(v) => fit(dict::format(e.tag), v, slot),
                None => slot.fill(0),
            }
            rest = after;
        }
    }

    /// Assembles the DOL data from the data objects of `known` (the first primitive object
    /// with each tag, searched through templates).
    ///
    /// # Errors
    /// [`ErrorKind::BufferTooSmall`], or a malformation in `known`; `out` holds no reported
    /// data then.
    pub fn build_from(&self, known: &Reader<'_>, out: &mut [u8]) -> Result<usize, Error> {
        known.validate()?;
        self.build(
            |tag| {
                known
                    .find_all(tag)
                    .filter_map(Result::ok)
                    .find(|t| !t.is_constructed())
                    .map(|t| t.value())
            },
            out,
        )
    }

    /// Assembles the DOL data into a new vector (see [`Dol::build`]).
    #[cfg(feature = "alloc")]
    pub fn build_to_vec<'v, F>(&self, value: F) -> alloc::vec::Vec<u8>
    where
        F: FnMut(Tag) -> Option<&'v [u8]>,
    {
        let mut out = alloc::vec![0u8; self.data_len];
        self.fill(value, &mut out);
        out
    }
}

impl fmt::Debug for Dol<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// Fits `value` of `format` into `slot` by the Book 3 §5.4 rules.
pub fn fit(format: Format, value: &[u8], slot: &mut [u8]) {
    let (want, have) = (slot.len(), value.len());
    if have >= want {
        // Too long (or exact): numeric keeps the rightmost bytes, the rest the leftmost.
        let kept = match format {
            Format::N => value.split_at(have - want).1,
            _ => value.split_at(want).0,
        };
        slot.copy_from_slice(kept);
        return;
    }
    let (pad_at_start, pad) = match format {
        Format::N => (true, 0x00),
        Format::Cn => (false, 0xFF),
        _ => (false, 0x00),
    };
    let (head, tail) = slot.split_at_mut(if pad_at_start { want - have } else { have });
    if pad_at_start {
        head.fill(pad);
        tail.copy_from_slice(value);
    } else {
        head.copy_from_slice(value);
        tail.fill(pad);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tags;

    #[test]
    fn pad_and_cut_rules() {
        let mut s = [0u8; 4];
        fit(Format::N, &[0x12, 0x34], &mut s);
        assert_eq!(s, [0, 0, 0x12, 0x34]);
        fit(Format::N, &[0x01, 0x02, 0x03, 0x04, 0x05], &mut s);
        assert_eq!(s, [0x02, 0x03, 0x04, 0x05]);
        fit(Format::Cn, &[0x12, 0x34], &mut s);
        assert_eq!(s, [0x12, 0x34, 0xFF, 0xFF]);
        fit(Format::Cn, &[1, 2, 3, 4, 5], &mut s);
        assert_eq!(s, [1, 2, 3, 4]);
        fit(Format::Ans, b"AB", &mut s);
        assert_eq!(s, [b'A', b'B', 0, 0]);
        fit(Format::B, &[1, 2, 3, 4, 5], &mut s);
        assert_eq!(s, [1, 2, 3, 4]);
    }

    #[test]
    fn parse_errors_and_missing_values() {
        assert_eq!(Dol::new(&[0x9F]).unwrap_err().kind(), ErrorKind::Truncated);
        let e = Dol::new(&[0x9F, 0x02, 0x06, 0x95]).unwrap_err();
        assert_eq!(
            (e.kind(), e.offset(), e.tag()),
            (ErrorKind::Truncated, 4, Some(tags::TVR))
        );
        assert_eq!(
            Dol::new(&[0x00, 0x01]).unwrap_err().kind(),
            ErrorKind::Padding
        );
        let dol = Dol::new(&[0x70, 0x02, 0x5A, 0x0A, 0x9F, 0x1A, 0x02]).unwrap();
        assert_eq!(dol.len(), 3);
        let mut out = [0xEEu8; 14];
        // A constructed tag gets zeros even when a value is offered; cn pads with FF.
        let n = dol
            .build(
                |tag| match tag {
                    tags::READ_RECORD_RESPONSE_MESSAGE_TEMPLATE => Some(&[1, 2][..]),
                    tags::PAN => Some(&[0x62, 0x10]),
                    _ => None,
                },
                &mut out,
            )
            .unwrap();
        assert_eq!(
            &out[..n],
            &[
                0, 0, 0x62, 0x10, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0
            ]
        );
        let mut small = [0xEEu8; 13];
        assert_eq!(
            dol.build(|_| None, &mut small).unwrap_err().kind(),
            ErrorKind::BufferTooSmall
        );
        assert_eq!(small, [0xEE; 13]);
    }
}
