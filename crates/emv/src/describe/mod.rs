//! A human-readable dump of a TLV tree, masked unless the caller asks for clear values, with
//! each tag named and each value shown by its format from the [dictionary](crate::dict).

use core::fmt;

use crate::Error;
use crate::mask::{MaskedValue, Masking, masking};
use crate::tags;
use crate::tlv::{Mode, Reader, Tag};

mod render;

pub use render::Rendered;

/// Names a tag for the dump; `None` leaves the line without a name.
pub type TagNamer = fn(Tag) -> Option<&'static str>;

/// A validated TLV tree ready to print, one data object per line, children indented:
///
/// ```text
/// 70 [12]
///   5A [8] 476173******0119
///   5F24 [3] 221231
/// ```
///
/// With [`Describe::with_dictionary`] each line names its tag from the
/// [tag dictionary](crate::dict) and shows the value by its format (see
/// [`Rendered`]):
///
/// ```text
/// 70 [12] READ RECORD Response Message Template
///   5A [8] Application Primary Account Number (PAN): 476173******0119
///   5F24 [3] Application Expiration Date: 221231 (2022-12-31)
/// ```
///
/// Amounts take their decimal places from the Transaction Currency Exponent (`5F36`) in the
/// same data, else the Application Currency Exponent (`9F44`), else 2.
#[derive(Clone, Copy)]
pub struct Describe<'a> {
    input: &'a [u8],
    mode: Mode,
    clear: bool,
    namer: Option<TagNamer>,
    dictionary: bool,
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
            dictionary: false,
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

    /// Names every tag from the tag dictionary and shows values by their EMV format.
    #[must_use]
    pub fn with_dictionary(mut self) -> Self {
        self.namer = Some(crate::dict::name);
        self.dictionary = true;
        self
    }

    /// The currency exponent for amounts: `5F36`, else `9F44`, else 2 (most currencies, CNY
    /// among them, have two decimals).
    fn exponent(&self) -> u8 {
        const MOST_CURRENCIES: u8 = 2;
        let reader = Reader::with_mode(self.input, self.mode);
        [
            tags::TRANSACTION_CURRENCY_EXPONENT,
            tags::APPLICATION_CURRENCY_EXPONENT,
        ]
        .into_iter()
        .find_map(|tag| {
            let tlv = reader.find(tag).ok().flatten()?;
            match *tlv.value() {
                [e] if e <= 0x09 => Some(e),
                _ => None,
            }
        })
        .unwrap_or(MOST_CURRENCIES)
    }
}

impl fmt::Debug for Describe<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Describe")
            .field("len", &self.input.len())
            .field("mode", &self.mode)
            .field("clear", &self.clear)
            .field("dictionary", &self.dictionary)
            .finish()
    }
}

impl fmt::Display for Describe<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Without the dictionary no value is shown as an amount.
        let exponent = if self.dictionary { self.exponent() } else { 0 };
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
                let masked = !self.clear && masking(tlv.tag(), tlv.value()) != Masking::Clear;
                if !self.dictionary {
                    write!(f, " {}", MaskedValue::new(&tlv, self.clear))?;
                } else if masked {
                    write!(f, ": {}", MaskedValue::new(&tlv, false))?;
                } else {
                    write!(f, ": {}", Rendered::new(tlv.tag(), tlv.value(), exponent))?;
                }
            }
            f.write_str("\n")?;
        }
        Ok(())
    }
}
