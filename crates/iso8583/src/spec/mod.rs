//! Message specs: what each field of a dialect looks like on the wire.
//!
//! A [`MessageSpec`] is plain data. The built-in specs are `static`s generated from the JSON
//! files in `specs/`; the same JSON loads at run time through serde (feature `serde`), so a
//! host can add or edit a dialect without recompiling. A spec can also be written as Rust
//! `const` data with [`MessageSpec::from_static`].

#[cfg(feature = "json")]
mod base;
mod field;
#[cfg(feature = "serde")]
mod file;
mod format;

pub use field::{FieldSpec, SpecList, SpecStr, SubfieldSpec, Subfields};
pub use format::{
    BitmapEncoding, Class, Encoding, Format, Length, LengthUnit, Mask, MtiEncoding, PrefixEncoding,
    default_pad,
};

use crate::plan::{Plan, Plans, Shape};

/// The largest field number: three bitmaps of 64 bits.
pub const MAX_FIELD: usize = 192;

/// A dialect: MTI and bitmap encoding, how many bitmaps, and the field table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageSpec {
    name: SpecStr,
    note: SpecStr,
    mti: MtiEncoding,
    bitmap: BitmapEncoding,
    bitmaps: u8,
    fields: SpecList<FieldSpec>,
    /// Per field number: where its spec is and how the codec's fast paths read and write it.
    plans: Plans,
}

impl MessageSpec {
    /// A spec from `'static` data, usable in `const` and `static` items.
    ///
    /// `fields` must be sorted by number without duplicates; [`MessageSpec::check`] says
    /// whether a spec is coherent (the codec never panics on an incoherent one, it just
    /// rejects messages).
    pub const fn from_static(
        name: &'static str,
        note: &'static str,
        mti: MtiEncoding,
        bitmap: BitmapEncoding,
        bitmaps: u8,
        fields: &'static [FieldSpec],
    ) -> Self {
        Self {
            name: SpecStr::Static(name),
            note: SpecStr::Static(note),
            mti,
            bitmap,
            bitmaps,
            plans: Plans::of(fields),
            fields: SpecList::Static(fields),
        }
    }

    /// A spec from owned parts (used by the JSON loader).
    #[cfg(feature = "alloc")]
    pub fn from_parts(
        name: &str,
        note: &str,
        mti: MtiEncoding,
        bitmap: BitmapEncoding,
        bitmaps: u8,
        fields: alloc::vec::Vec<FieldSpec>,
    ) -> Self {
        Self {
            name: SpecStr::Owned(name.into()),
            note: SpecStr::Owned(note.into()),
            mti,
            bitmap,
            bitmaps,
            plans: Plans::of(&fields),
            fields: SpecList::Owned(fields.into_boxed_slice()),
        }
    }

    /// The spec's name, e.g. `cups`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A sentence on the dialect and the source of its field table.
    pub fn note(&self) -> &str {
        &self.note
    }

    /// MTI encoding.
    pub const fn mti_encoding(&self) -> MtiEncoding {
        self.mti
    }

    /// Bitmap encoding.
    pub const fn bitmap_encoding(&self) -> BitmapEncoding {
        self.bitmap
    }

    /// How many bitmaps a message may carry (1–3).
    pub const fn bitmaps(&self) -> u8 {
        self.bitmaps
    }

    /// Every field spec, by number.
    pub fn fields(&self) -> &[FieldSpec] {
        &self.fields
    }

    /// The spec of field `n`.
    #[inline]
    pub fn field(&self, n: usize) -> Option<&FieldSpec> {
        self.fields.get(self.plans.position(n)?)
    }

    /// The codec's plan for field `n`; `None` when the spec does not define it.
    #[inline(always)]
    pub(crate) fn plan(&self, n: usize) -> Option<&Plan> {
        self.plans.get(n).filter(|p| p.shape != Shape::Undefined)
    }

    /// Every plan, by field number.
    #[inline(always)]
    pub(crate) fn plans(&self) -> &Plans {
        &self.plans
    }

    /// Bytes one bitmap takes on the wire.
    pub const fn bitmap_len(&self) -> usize {
        match self.bitmap {
            BitmapEncoding::Binary => 8,
            BitmapEncoding::Hex => 16,
        }
    }

    /// Bytes the MTI takes on the wire.
    pub const fn mti_len(&self) -> usize {
        match self.mti {
            MtiEncoding::Ascii | MtiEncoding::Ebcdic => 4,
            MtiEncoding::Bcd => 2,
        }
    }

    /// Whether field `n` is a bitmap indicator rather than data (1 with a secondary bitmap
    /// allowed, 65 with a tertiary one).
    pub const fn is_indicator(&self, n: usize) -> bool {
        (n == 1 && self.bitmaps >= 2) || (n == 65 && self.bitmaps >= 3)
    }

    /// Checks that the spec is coherent.
    ///
    /// # Errors
    /// The field number (0 for the message level) and a sentence naming the problem.
    pub fn check(&self) -> Result<(), (u8, &'static str)> {
        if !(1..=3).contains(&self.bitmaps) {
            return Err((0, "bitmaps must be 1, 2 or 3"));
        }
        let mut last = 0u8;
        for f in self.fields.iter() {
            let n = usize::from(f.number);
            if f.number <= last {
                return Err((
                    f.number,
                    "fields must be sorted by number, without duplicates",
                ));
            }
            last = f.number;
            if n < 2 || n > 64 * usize::from(self.bitmaps) || self.is_indicator(n) {
                return Err((f.number, "field number outside the spec's bitmaps"));
            }
            f.format.check().map_err(|e| (f.number, e))?;
            check_subfields(f).map_err(|e| (f.number, e))?;
        }
        Ok(())
    }
}

fn check_subfields(f: &FieldSpec) -> Result<(), &'static str> {
    match &f.subfields {
        Subfields::None => Ok(()),
        Subfields::Tlv(_) if f.format.class == Class::B => Ok(()),
        Subfields::Tlv(_) => Err("TLV subfields need class b"),
        Subfields::Positional(list) | Subfields::Bitmap(list) => {
            if list.is_empty() || list.len() > 64 {
                return Err("a composite field has 1 to 64 subfields");
            }
            for (i, s) in list.iter().enumerate() {
                if s.len == 0 {
                    return Err("a subfield needs a length of at least 1");
                }
                if s.var && i + 1 != list.len() {
                    return Err("only the last subfield may be variable");
                }
                if s.min == 0 || s.min > s.len {
                    return Err("a subfield's min is 1 to its length");
                }
                if s.min < s.len && (s.var || matches!(f.subfields, Subfields::Bitmap(_))) {
                    return Err("only a fixed positional subfield may be cut short");
                }
                if s.class == Class::B && f.format.class != Class::B {
                    return Err("binary subfields need a binary field");
                }
            }
            Ok(())
        }
    }
}
