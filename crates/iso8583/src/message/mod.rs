//! Decoding: [`Message`] is a borrowed view of a message; [`Field`] a borrowed view of one field.
//! Nothing here allocates: the view stores where the fields of each bitmap nibble end, and
//! finds a field from there.
//!
//! `head` reads the MTI and the bitmaps; `walk` the fields, `fast` through the spec's plans
//! or precisely one by one; `validate` checks one field's content; `field` and `subfield` are
//! the views handed out.

mod fast;
mod field;
mod head;
mod subfield;
#[cfg(all(test, feature = "alloc"))]
mod tests;
mod validate;
mod walk;

use core::fmt;
use core::ops::Range;

pub use field::Field;
pub use subfield::{Subfield, SubfieldError, SubfieldIter};
pub(crate) use validate::{check_field_value, positional_lengths_fit};
use walk::Walk;

use crate::bitmap::Bitmap;
use crate::chars::Chars;
use crate::error::Error;
use crate::mti::Mti;
use crate::plan::GROUPS;
use crate::spec::MessageSpec;

/// A decoded message: the MTI, the bitmap and where each field lies in the borrowed bytes.
///
/// ```
/// use cardwire_iso8583::{Message, specs};
/// let bytes = cardwire_emv::hex::decode_to_vec(
///     "0200302004C020C0981100000000000000005100183402100006324392260009942820D1312101120084\
///      393136363838303134303030303030303030303030303031313536ACF46E73838A82F926000000000000\
///      000008220000013841394539314238",
/// ).unwrap();
/// let msg = Message::decode(&specs::CUPS, &bytes)?;
/// assert_eq!(msg.mti().as_str(), "0200");
/// assert_eq!(msg.get(4).and_then(|a| a.to_u64()), Some(51));
/// assert_eq!(msg.field(60).unwrap().subfield(2).unwrap().to_string(), "000001");
/// assert_eq!(msg.mab().unwrap().len(), 91);
/// # Ok::<(), cardwire_iso8583::Error>(())
/// ```
#[derive(Clone)]
pub struct Message<'a, 's> {
    spec: &'s MessageSpec,
    buf: &'a [u8],
    mti: Mti,
    bitmap: Bitmap,
    present: Bitmap,
    /// Where the first field starts.
    body: u16,
    /// Where the last field read ends.
    end: u16,
    /// Per bitmap nibble (fields 1–4, 5–8, …): where its last field read ends. Meaningful
    /// for the nibbles that hold a field of `present` only.
    ends: [u16; GROUPS],
}

/// The outcome of [`Message::decode_partial`]: the fields read before the first error.
#[derive(Clone, Debug)]
pub struct Partial<'a, 's> {
    /// Every field read (and validated) before the error; all of them if there was none.
    pub message: Message<'a, 's>,
    /// The first error, if any.
    pub error: Option<Error>,
}

impl<'a, 's> Message<'a, 's> {
    fn empty(spec: &'s MessageSpec, buf: &'a [u8]) -> Self {
        Self {
            spec,
            buf,
            mti: Mti::UNSET,
            bitmap: Bitmap::EMPTY,
            present: Bitmap::EMPTY,
            body: 0,
            end: 0,
            ends: [0; GROUPS],
        }
    }

    /// Decodes and fully validates `buf`: structure, lengths, every character against its
    /// class, BCD nibbles and pads, subfields and field 55's TLV. Decoding allocates nothing.
    ///
    /// # Errors
    /// The first problem, with its field path and byte offset. Use
    /// [`Message::decode_partial`] to keep the fields read before it.
    #[inline]
    pub fn decode(spec: &'s MessageSpec, buf: &'a [u8]) -> Result<Self, Error> {
        // Built inside the result so that the view is not copied out of a local.
        let mut out = Ok(Self::empty(spec, buf));
        if let Ok(msg) = &mut out
            && let Err(e) = msg.read::<true>(usize::MAX, Walk::Fast)
        {
            return Err(e);
        }
        out
    }

    /// Decodes the structure only (MTI, bitmaps, length prefixes, bounds); field contents are
    /// checked when read with [`Field::validate`] or all at once with [`Message::validate`].
    /// Safe on untrusted input: every access is bounds-checked.
    ///
    /// # Errors
    /// The first structural problem.
    pub fn decode_lazy(spec: &'s MessageSpec, buf: &'a [u8]) -> Result<Self, Error> {
        let mut msg = Self::empty(spec, buf);
        msg.read::<false>(usize::MAX, Walk::Fast)?;
        Ok(msg)
    }

    /// Decodes and validates as far as possible: the message holds every field read before
    /// the first error, so a host can still answer a malformed request with its fields 11
    /// and 41.
    pub fn decode_partial(spec: &'s MessageSpec, buf: &'a [u8]) -> Partial<'a, 's> {
        let mut message = Self::empty(spec, buf);
        let error = message.read::<true>(usize::MAX, Walk::Fast).err();
        Partial { message, error }
    }

    /// Reads only as far as field `n` (structure of the fields before it, full validation of
    /// field `n`) and returns it: the on-demand path for a router that needs one field.
    ///
    /// # Errors
    /// A structural problem before field `n`, or a problem in field `n`.
    pub fn peek(
        spec: &'s MessageSpec,
        buf: &'a [u8],
        n: usize,
    ) -> Result<Option<Field<'a, 's>>, Error> {
        let mut msg = Self::empty(spec, buf);
        msg.read::<false>(n, Walk::Fast)?;
        match msg.field(n) {
            Some(field) => {
                field.validate()?;
                Ok(Some(field))
            }
            None => Ok(None),
        }
    }

    /// The spec the message was decoded with.
    pub fn spec(&self) -> &'s MessageSpec {
        self.spec
    }

    /// The MTI.
    pub fn mti(&self) -> Mti {
        self.mti
    }

    /// The bitmap as on the wire (bitmap indicator bits included).
    pub fn bitmap(&self) -> Bitmap {
        self.bitmap
    }

    /// The data fields decoded (for a partial decode: those read before the error).
    pub fn present(&self) -> Bitmap {
        self.present
    }

    /// The whole message as given.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.buf
    }

    /// Bytes the message takes (through its last field read).
    pub fn len(&self) -> usize {
        usize::from(self.end)
    }

    /// Whether no field was read.
    pub fn is_empty(&self) -> bool {
        self.present.is_empty()
    }

    /// Where field `n` lies: start of its length prefix .. end of its value. From where the
    /// fields of the nibbles before its own end, the fields of its nibble before it are
    /// stepped over.
    fn span(&self, n: usize) -> Option<Range<usize>> {
        if !self.present.contains(n) {
            return None;
        }
        let first = (n - 1) / 4 * 4 + 1;
        let mut off = match self.present.below(first).last() {
            Some(m) => usize::from(*self.ends.get((m - 1) / 4)?),
            None => usize::from(self.body),
        };
        for k in first..n {
            if self.present.contains(k) {
                off = fast::field_end(self.spec, k, self.buf, off)?;
            }
        }
        Some(off..fast::field_end(self.spec, n, self.buf, off)?)
    }

    /// Field `n`, if present.
    pub fn field(&self, n: usize) -> Option<Field<'a, 's>> {
        let spec = self.spec.field(n)?;
        let span = self.span(n)?;
        Field::at(spec, self.buf, span)
    }

    /// The characters of field `n` (binary fields as hex), if present.
    pub fn get(&self, n: usize) -> Option<Chars<'a>> {
        self.field(n).map(|f| f.chars())
    }

    /// Every field present, in order.
    pub fn fields(&self) -> impl Iterator<Item = Field<'a, 's>> + '_ {
        // One after the other: each starts where the one before ends. (Every field present
        // was read by a walk, so none fails; were one to, the iteration would stop there.)
        let mut off = usize::from(self.body);
        self.present.iter().map_while(move |n| {
            let end = fast::field_end(self.spec, n, self.buf, off)?;
            let field = Field::at(self.spec.field(n)?, self.buf, off..end)?;
            off = end;
            Some(field)
        })
    }

    /// Validates every field's content (after [`Message::decode_lazy`]).
    ///
    /// # Errors
    /// The first invalid field.
    pub fn validate(&self) -> Result<(), Error> {
        self.fields().try_for_each(|f| f.validate())
    }

    /// The MAC field (64, or 128 / 192 in multi-bitmap messages) when it is the last field.
    pub fn mac(&self) -> Option<Field<'a, 's>> {
        let last = self.present.last()?;
        if last % 64 == 0 {
            self.field(last)
        } else {
            None
        }
    }

    /// The byte range the MAC is computed over: from the MTI up to (not including) the MAC
    /// field — for CUPS, MTI through field 63.
    pub fn mab_range(&self) -> Option<Range<usize>> {
        Some(0..self.mac()?.offset())
    }

    /// The MAC input block: the message bytes from the MTI up to the MAC field.
    pub fn mab(&self) -> Option<&'a [u8]> {
        self.buf.get(self.mab_range()?)
    }
}

/// Internals for the fuzz targets (`--cfg fuzzing`) and the crate's tests: each walk alone.
#[cfg(any(fuzzing, test))]
#[doc(hidden)]
impl<'a, 's> Message<'a, 's> {
    /// Decodes with the fast walk alone (fully validated when `full`); `None` when it finds a
    /// problem.
    pub fn decode_fast_walk(spec: &'s MessageSpec, buf: &'a [u8], full: bool) -> Option<Self> {
        let mut msg = Self::empty(spec, buf);
        let read = if full {
            msg.read::<true>(usize::MAX, Walk::FastOnly)
        } else {
            msg.read::<false>(usize::MAX, Walk::FastOnly)
        };
        read.ok().map(|()| msg)
    }

    /// Decodes with the precise walk alone (field by field, the generic reader and checks;
    /// fully validated when `full`).
    pub fn decode_precise_walk(
        spec: &'s MessageSpec,
        buf: &'a [u8],
        full: bool,
    ) -> Partial<'a, 's> {
        let mut message = Self::empty(spec, buf);
        let error = if full {
            message.read::<true>(usize::MAX, Walk::Precise)
        } else {
            message.read::<false>(usize::MAX, Walk::Precise)
        }
        .err();
        Partial { message, error }
    }
}

impl fmt::Debug for Message<'_, '_> {
    // Field values may be card data: `Debug` names the fields, `Describe` shows them masked.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Message")
            .field("spec", &self.spec.name())
            .field("mti", &self.mti)
            .field("fields", &self.present)
            .field("len", &self.len())
            .finish()
    }
}
