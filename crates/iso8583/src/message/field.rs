//! [`Field`]: one field of a decoded message, borrowed from its bytes.

use core::fmt;
use core::ops::Range;

use cardwire_emv::tlv::Reader;

use super::subfield::SubfieldIter;
use super::validate::check_field_value;
use crate::chars::Chars;
use crate::error::Error;
use crate::spec::{Encoding, FieldSpec, Length, LengthUnit, Subfields};
use crate::text::{hex_value, read_prefix};

/// One field of a decoded message.
#[derive(Clone, Copy)]
pub struct Field<'a, 's> {
    spec: &'s FieldSpec,
    /// Length prefix and value.
    raw: &'a [u8],
    /// The value, the end of `raw`.
    value: &'a [u8],
    offset: usize,
    chars: usize,
}

impl<'a, 's> Field<'a, 's> {
    /// The field of spec `spec` lying at `span` of `buf` (length prefix included).
    pub(super) fn at(spec: &'s FieldSpec, buf: &'a [u8], span: Range<usize>) -> Option<Self> {
        let offset = span.start;
        let raw = buf.get(span)?;
        let fmt = &spec.format;
        let (prefix, value) = raw.split_at_checked(fmt.prefix_len())?;
        let chars = match fmt.length {
            Length::Fixed => usize::from(fmt.max),
            Length::Var(_) => {
                let v = read_prefix(fmt, prefix)?;
                match fmt.unit {
                    LengthUnit::Chars => v,
                    LengthUnit::Bytes => fmt.chars_in(v)?,
                }
            }
        };
        Some(Self {
            spec,
            raw,
            value,
            offset,
            chars,
        })
    }

    /// The field number.
    pub fn number(&self) -> u8 {
        self.spec.number
    }

    /// The field's spec.
    pub fn spec(&self) -> &'s FieldSpec {
        self.spec
    }

    /// The field as on the wire: length prefix and value.
    pub fn raw(&self) -> &'a [u8] {
        self.raw
    }

    /// The value as on the wire (without the length prefix).
    pub fn value(&self) -> &'a [u8] {
        self.value
    }

    /// Offset of the field (its length prefix) in the message.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// Offset of the value in the message.
    pub fn value_offset(&self) -> usize {
        self.offset + (self.raw.len() - self.value.len())
    }

    /// Length in characters (bytes for binary fields).
    #[allow(clippy::len_without_is_empty)] // emptiness is `len() == 0`
    pub fn len(&self) -> usize {
        self.chars
    }

    /// The value's characters (binary fields as upper-case hex).
    pub fn chars(&self) -> Chars<'a> {
        Chars::of_value(&self.spec.format, self.value, self.chars)
    }

    /// The value as a number (numeric fields of up to 19 digits).
    pub fn to_u64(&self) -> Option<u64> {
        self.chars().to_u64()
    }

    /// The text without copying, when the field travels as ASCII.
    pub fn as_str(&self) -> Option<&'a str> {
        (self.spec.format.data == Encoding::Ascii)
            .then(|| self.chars().as_str())
            .flatten()
    }

    /// The bytes of a binary field travelling as raw bytes.
    pub fn bytes(&self) -> Option<&'a [u8]> {
        (self.spec.format.data == Encoding::Binary).then_some(self.value)
    }

    /// Copies the value's logical bytes into `out`: the characters of a text or numeric
    /// field, the bytes of a binary field. Returns how many were written; `None` if `out` is
    /// too small. What it writes is what [`Encoder::field`](crate::Encoder::field) takes.
    pub fn copy_value(&self, out: &mut [u8]) -> Option<usize> {
        self.value_into(out).map(<[u8]>::len)
    }

    /// [`Field::copy_value`], returning the part of `out` written.
    pub(crate) fn value_into<'o>(&self, out: &'o mut [u8]) -> Option<&'o [u8]> {
        let v = self.value;
        match self.spec.format.data {
            Encoding::Binary => {
                let (dst, _) = out.split_at_mut_checked(v.len())?;
                dst.copy_from_slice(v);
                Some(dst)
            }
            Encoding::Hex => {
                let (pairs, _) = v.as_chunks::<2>();
                let (dst, _) = out.split_at_mut_checked(pairs.len())?;
                for (d, &[h, l]) in dst.iter_mut().zip(pairs) {
                    *d = (hex_value(h)? << 4) | hex_value(l)?;
                }
                Some(dst)
            }
            _ => {
                let chars = self.chars();
                let (dst, _) = out.split_at_mut_checked(chars.len())?;
                chars.copy_to(dst)?;
                Some(dst)
            }
        }
    }

    /// Subfield `i` (1-based) of a positional or bitmap composite.
    pub fn subfield(&self, i: u8) -> Option<Chars<'a>> {
        self.subfields()
            .filter_map(Result::ok)
            .find(|s| s.index == i)
            .map(|s| s.chars)
    }

    /// The subfields of a positional or bitmap composite, in order (nothing for other fields).
    pub fn subfields(&self) -> SubfieldIter<'a, 's> {
        SubfieldIter::new(self.spec, self.chars())
    }

    /// A BER-TLV reader over a TLV field travelling as raw bytes.
    pub fn tlv(&self) -> Option<Reader<'a>> {
        match self.spec.subfields {
            Subfields::Tlv(mode) if self.spec.format.data == Encoding::Binary => {
                Some(Reader::with_mode(self.value, mode))
            }
            _ => None,
        }
    }

    /// Validates the content (for fields of a [`Message::decode_lazy`](super::Message::decode_lazy)
    /// message).
    ///
    /// # Errors
    /// The first invalid character, pad, subfield or data object.
    pub fn validate(&self) -> Result<(), Error> {
        check_field_value(self.spec, self.value, self.chars, self.value_offset())
    }

    /// The value for display, masked as the spec says unless `clear`.
    pub fn display(&self, clear: bool) -> crate::describe::FieldValue<'a, 's> {
        crate::describe::FieldValue::new(*self, clear)
    }
}

impl fmt::Debug for Field<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Field")
            .field("number", &self.spec.number)
            .field("offset", &self.offset)
            .field("len", &self.chars)
            .field("value", &format_args!("{}", self.display(false)))
            .finish()
    }
}
