//! The parts of a spec's field table: field and subfield specs, how a value divides into
//! subfields, and the holders of a spec's texts and lists (borrowed for built-in specs, owned
//! for specs loaded at run time).

use core::fmt;
use core::ops::Deref;

use cardwire_emv::tlv::Mode;

use super::format::{Class, Format, Mask};

/// Text held by a spec: `'static` for built-in and `const` specs, owned for specs loaded at
/// run time.
#[derive(Clone)]
pub enum SpecStr {
    /// Borrowed for the whole program (built-in specs).
    Static(&'static str),
    /// Owned (specs loaded from JSON).
    #[cfg(feature = "alloc")]
    Owned(alloc::boxed::Box<str>),
}

impl Deref for SpecStr {
    type Target = str;
    fn deref(&self) -> &str {
        match self {
            Self::Static(s) => s,
            #[cfg(feature = "alloc")]
            Self::Owned(s) => s,
        }
    }
}

impl PartialEq for SpecStr {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}
impl Eq for SpecStr {}

impl fmt::Debug for SpecStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl fmt::Display for SpecStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self)
    }
}

/// A list held by a spec: `'static` for built-in and `const` specs, owned for loaded specs.
#[derive(Clone)]
pub enum SpecList<T: 'static> {
    /// Borrowed for the whole program (built-in specs).
    Static(&'static [T]),
    /// Owned (specs loaded from JSON).
    #[cfg(feature = "alloc")]
    Owned(alloc::boxed::Box<[T]>),
}

impl<T> Deref for SpecList<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        match self {
            Self::Static(s) => s,
            #[cfg(feature = "alloc")]
            Self::Owned(s) => s,
        }
    }
}

impl<T: PartialEq> PartialEq for SpecList<T> {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}
impl<T: Eq> Eq for SpecList<T> {}

impl<T: fmt::Debug> fmt::Debug for SpecList<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

/// One subfield of a positional or bitmap-driven composite field.
///
/// Lengths count the parent's characters (bytes for a class `b` parent).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubfieldSpec {
    /// Name for describe output.
    pub name: SpecStr,
    /// Content class of the subfield's characters.
    pub class: Class,
    /// Length (for a `var` subfield: the most it may take).
    pub len: u16,
    /// Takes whatever is left of the field, up to `len` (only as the last subfield).
    pub var: bool,
    /// The fewest length units a fixed subfield may have when the field ends inside it;
    /// `len` for one that is always whole. (CUPS field 63.1, the operator number, is 3
    /// characters by the book and 2 on many terminals.)
    pub min: u16,
}

/// How a field's value divides further.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Subfields {
    /// An atomic value.
    None,
    /// Subfields one after another; trailing subfields may be absent.
    Positional(SpecList<SubfieldSpec>),
    /// A 64-bit bitmap (8 bytes for class `b`, 16 hex characters for text) announces which
    /// subfields follow, in order; bit 1 is subfield 1.
    Bitmap(SpecList<SubfieldSpec>),
    /// BER-TLV data objects (class `b`), read strictly or leniently.
    Tlv(Mode),
}

/// One field of a message spec.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldSpec {
    /// Field number, 2–192 (1 and 65 are bitmap indicators when the spec has more bitmaps).
    pub number: u8,
    /// Name for describe output.
    pub name: SpecStr,
    /// Wire format.
    pub format: Format,
    /// Masking in describe output and masked JSON.
    pub mask: Mask,
    /// Composite structure, if any.
    pub subfields: Subfields,
}
