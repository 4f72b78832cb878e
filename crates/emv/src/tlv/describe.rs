//! A human-readable dump of a TLV tree, masked unless the caller asks for clear values.

use core::fmt;

use super::{Mode, Reader, Tag};
use crate::Error;
use crate::mask::MaskedValue;

/// Names a tag for the dump; `None` leaves the line without a name.
pub type TagNamer = fn(Tag) -> Option<&'static str>;

/// A validated TLV tree ready to print, one data object per line, children indented:
///
/// ```text
/// 70 [12]
///   5A [8] 476173******0119
///   5F24 [3] 221231
/// ```
#[derive(Clone, Copy)]
pub struct Describe<'a> {
    input: &'a [u8],
    mode: Mode,
    clear: bool,
    namer: Option<TagNamer>,
}

impl<'a> Describe<'a> {
    /// Checks `input` completely, so printing cannot fail half-way.
    ///
    /// # Errors
    /// The first malformation in `input`.
    pub fn new(input: &'a [u8], mode: Mode) -> Result<Self, Error> {
        Reader::with_mode(input, mode).validate()?;
        Ok(Self {
            input,
            mode,
            clear: false,
            namer: None,
        })
    }

    /// Shows sensitive values in clear.
    #[must_use]
    pub fn clear(mut self, clear: bool) -> Self {
        self.clear = clear;
        self
    }

    /// Adds a name after each tag.
    #[must_use]
    pub fn with_names(mut self, namer: TagNamer) -> Self {
        self.namer = Some(namer);
        self
    }
}

impl fmt::Debug for Describe<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Describe")
            .field("len", &self.input.len())
            .field("mode", &self.mode)
            .field("clear", &self.clear)
            .finish()
    }
}

impl fmt::Display for Describe<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for tlv in Reader::with_mode(self.input, self.mode).walk() {
            let tlv = tlv.map_err(|_| fmt::Error)?;
            for _ in 0..tlv.depth() {
                f.write_str("  ")?;
            }
            write!(f, "{} [{}]", tlv.tag(), tlv.len())?;
            if let Some(name) = self.namer.and_then(|n| n(tlv.tag())) {
                write!(f, " {name}")?;
            }
            if !tlv.is_constructed() {
                write!(f, " {}", MaskedValue::new(&tlv, self.clear))?;
            }
            f.write_str("\n")?;
        }
        Ok(())
    }
}
