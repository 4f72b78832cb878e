//! Reading the card: what a reader driver implements ([`CardReader`]), magstripe track 2
//! ([`track2`]), the contact and contactless chip flows ([`chip`]), EMV QR ([`qr`]), the
//! field 55 the chip and QR flows write ([`field55`]) and, with the `sim` feature, an
//! APDU-level simulated card (`sim`) to test them against. The flows never use the simulated
//! card: it stands on them, not the other way round.
//!
//! Every way of reading ends in a [`CardData`]: the PAN, expiry, track 2 (or its chip
//! equivalent), the card sequence number, field 55 for chip and QR cards, and whether an
//! online PIN is needed. The terminal turns it into a request.

use core::fmt;

use cardwire_emv::mask::{Masking, write_masked};

use crate::error::{ErrorKind, Result};
use crate::text::{Bytes, Text};

pub mod apdu;
pub mod chip;
pub mod field55;
pub mod qr;
#[cfg(feature = "sim")]
#[cfg_attr(docsrs, doc(cfg(feature = "sim")))]
pub mod sim;
pub mod track2;

pub use track2::Track2;

/// The contact payment directory (PSE).
pub const PSE: &[u8] = b"1PAY.SYS.DDF01";
/// The contactless payment directory (PPSE).
pub const PPSE: &[u8] = b"2PAY.SYS.DDF01";

/// Which interface a chip card is presented on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Interface {
    /// Inserted: contact.
    Contact,
    /// Tapped: contactless.
    Contactless,
}

impl Interface {
    /// The payment directory a terminal selects first on this interface.
    pub const fn directory(self) -> &'static [u8] {
        match self {
            Self::Contact => PSE,
            Self::Contactless => PPSE,
        }
    }
}

/// What a card reader driver implements: send a command APDU, receive the response.
///
/// The chip flows of [`chip`] drive any reader through this trait; with the `sim` feature,
/// `sim::SimCard` is a simulated card behind it.
pub trait CardReader {
    /// Sends `command` (`CLA INS P1 P2 [Lc data] [Le]`) and writes the response, data then SW1
    /// SW2, into `response`. Returns the response length (at least 2).
    ///
    /// # Errors
    /// [`ErrorKind::Card`] with `sw: 0` when the card does not answer (removed, no field),
    /// [`ErrorKind::BufferTooSmall`].
    fn transmit(&mut self, command: &[u8], response: &mut [u8]) -> Result<usize>;
}

impl<R: CardReader + ?Sized> CardReader for &mut R {
    fn transmit(&mut self, command: &[u8], response: &mut [u8]) -> Result<usize> {
        (**self).transmit(command, response)
    }
}

/// How the card was presented: the first two digits of field 22.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Entry {
    /// PAN keyed in (a void or refund without the card): `01`.
    Keyed,
    /// Magnetic stripe swiped: `02`.
    Swipe,
    /// Consumer-presented QR code scanned: `03` (bar code).
    Qr,
    /// Contact chip: `05`.
    Chip,
    /// Contactless chip (qPBOC, QuickPass): `07`.
    Contactless,
}

impl Entry {
    /// The two digits of field 22's PAN entry mode.
    pub const fn code(self) -> &'static str {
        match self {
            Self::Keyed => "01",
            Self::Swipe => "02",
            Self::Qr => "03",
            Self::Chip => "05",
            Self::Contactless => "07",
        }
    }

    /// Field 22: the entry mode and the PIN digit (`1` PIN entered, `2` no PIN), e.g. `051`.
    pub const fn field22(self, pin: bool) -> &'static str {
        match (self, pin) {
            (Self::Keyed, true) => "011",
            (Self::Keyed, false) => "012",
            (Self::Swipe, true) => "021",
            (Self::Swipe, false) => "022",
            (Self::Qr, true) => "031",
            (Self::Qr, false) => "032",
            (Self::Chip, true) => "051",
            (Self::Chip, false) => "052",
            (Self::Contactless, true) => "071",
            (Self::Contactless, false) => "072",
        }
    }

    /// A one-letter mark for receipts: `M` keyed, `S` swiped, `Q` QR, `I` chip, `C`
    /// contactless.
    pub const fn mark(self) -> char {
        match self {
            Self::Keyed => 'M',
            Self::Swipe => 'S',
            Self::Qr => 'Q',
            Self::Chip => 'I',
            Self::Contactless => 'C',
        }
    }
}

/// Bytes of field 55 the terminal keeps (CUPS allows 255).
pub const ICC_CAPACITY: usize = 255;

/// What the terminal read from the card, ready for a request.
#[derive(Clone, PartialEq, Eq)]
pub struct CardData {
    pub(crate) entry: Entry,
    pub(crate) pan: Text<19>,
    pub(crate) expiry: Option<Text<4>>,
    pub(crate) service_code: Option<Text<3>>,
    pub(crate) sequence: Option<u8>,
    pub(crate) track2: Option<Text<37>>,
    pub(crate) icc: Bytes<ICC_CAPACITY>,
    pub(crate) pin_required: bool,
    pub(crate) label: Text<16>,
}

impl CardData {
    pub(crate) fn empty_chip(entry: Entry) -> Self {
        Self::empty(entry)
    }

    fn empty(entry: Entry) -> Self {
        Self {
            entry,
            pan: Text::new(),
            expiry: None,
            service_code: None,
            sequence: None,
            track2: None,
            icc: Bytes::new(),
            pin_required: false,
            label: Text::new(),
        }
    }

    /// A swiped card from its track 2 characters (`=` or `D` separator). The PIN is
    /// required when the service code's third digit says so (`0`, `3`, `5`, `6`, `7`) —
    /// China UnionPay debit cards carry `0`.
    ///
    /// # Errors
    /// [`ErrorKind::Track2`].
    pub fn swipe(track2: &str) -> Result<Self> {
        let t = Track2::parse(track2)?;
        let mut card = Self::from_track2(Entry::Swipe, &t)?;
        card.pin_required = matches!(
            t.service_code().as_bytes().get(2),
            Some(b'0' | b'3' | b'5' | b'6' | b'7')
        );
        Ok(card)
    }

    /// A card keyed in by PAN and expiry (YYMM), for a void or refund without the card.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`] unless the PAN has 12–19 digits and the expiry 4.
    pub fn keyed(pan: &str, expiry: Option<&str>) -> Result<Self> {
        let ok = (12..=19).contains(&pan.len())
            && pan.bytes().all(|c| c.is_ascii_digit())
            && expiry.is_none_or(|e| e.len() == 4 && e.bytes().all(|c| c.is_ascii_digit()));
        if !ok {
            return Err(ErrorKind::InvalidInput.into());
        }
        let mut card = Self::empty(Entry::Keyed);
        card.pan = Text::copy_from(pan)?;
        card.expiry = expiry.map(Text::copy_from).transpose()?;
        Ok(card)
    }

    pub(crate) fn from_track2(entry: Entry, t: &Track2<'_>) -> Result<Self> {
        let mut card = Self::empty(entry);
        card.pan = Text::copy_from(t.pan())?;
        card.expiry = Some(Text::copy_from(t.expiry())?);
        card.service_code = Some(Text::copy_from(t.service_code())?);
        // Field 35 travels with `D` (BCD nibble 0xD) as separator.
        let mut chars = [0u8; 37];
        for (o, c) in chars.iter_mut().zip(t.as_str().bytes()) {
            *o = if c == b'=' {
                b'D'
            } else {
                c.to_ascii_uppercase()
            };
        }
        let n = t.as_str().len().min(37);
        // `n` ≤ 37 = `chars.len()`: the range is always there.
        card.track2 = Some(Text::from_utf8(chars.get(..n).unwrap_or_default())?);
        Ok(card)
    }

    /// How the card was presented.
    pub fn entry(&self) -> Entry {
        self.entry
    }

    /// The PAN, clear: the caller asks for it explicitly (use [`CardData::masked_pan`] for
    /// display).
    pub fn pan(&self) -> &str {
        self.pan.as_str()
    }

    /// The PAN masked, first 6 and last 4 digits shown.
    pub fn masked_pan(&self) -> MaskedPan<'_> {
        MaskedPan(self.pan.as_str())
    }

    /// Expiry YYMM, when the card gave one.
    pub fn expiry(&self) -> Option<&str> {
        self.expiry.as_ref().map(Text::as_str)
    }

    /// Service code, when the card gave track 2.
    pub fn service_code(&self) -> Option<&str> {
        self.service_code.as_ref().map(Text::as_str)
    }

    /// The card sequence number (tag `5F34`), chip cards only.
    pub fn sequence(&self) -> Option<u8> {
        self.sequence
    }

    /// Track 2 (or the chip's track 2 equivalent) with `D` as separator, clear.
    pub fn track2(&self) -> Option<&str> {
        self.track2.as_ref().map(Text::as_str)
    }

    /// Field 55 for the authorisation request (empty for magstripe and keyed cards).
    pub fn icc(&self) -> &[u8] {
        self.icc.as_slice()
    }

    /// Whether an online PIN must be entered (the card's service code or CVM, or an amount
    /// above the contactless no-CVM limit).
    pub fn pin_required(&self) -> bool {
        self.pin_required
    }

    /// The application label (chip cards), e.g. `UnionPay Debit`.
    pub fn label(&self) -> &str {
        self.label.as_str()
    }
}

impl fmt::Debug for CardData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CardData")
            .field("entry", &self.entry)
            .field("pan", &format_args!("{}", self.masked_pan()))
            .field("icc_len", &self.icc.len())
            .field("pin_required", &self.pin_required)
            .finish_non_exhaustive()
    }
}

/// A PAN shown with the first 6 and last 4 digits, the rest as `*`.
#[derive(Clone, Copy, Debug)]
pub struct MaskedPan<'a>(pub &'a str);

impl fmt::Display for MaskedPan<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_masked(f, self.0.chars(), Masking::Pan)
    }
}

pub(crate) fn card_error(sw: u16) -> crate::Error {
    ErrorKind::Card { sw }.into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;
    use alloc::string::ToString;

    #[test]
    fn swipe_reads_track2_and_pin_need() {
        let card = CardData::swipe("6214830012345673=29122201234").unwrap();
        assert_eq!(card.pan(), "6214830012345673");
        assert_eq!(card.expiry(), Some("2912"));
        assert_eq!(card.track2(), Some("6214830012345673D29122201234"));
        assert!(card.pin_required());
        assert_eq!(card.masked_pan().to_string(), "621483******5673");
        assert!(!format!("{card:?}").contains("0012345"));
        let no_pin = CardData::swipe("6225880012345675=2806201").unwrap();
        assert!(!no_pin.pin_required());
        assert_eq!(Entry::Chip.field22(true), "051");
        assert_eq!(Entry::Contactless.field22(false), "072");
        for e in [
            Entry::Keyed,
            Entry::Swipe,
            Entry::Qr,
            Entry::Chip,
            Entry::Contactless,
        ] {
            for pin in [true, false] {
                let f22 = e.field22(pin);
                assert!(f22.starts_with(e.code()), "{f22}");
                assert_eq!(f22.ends_with('1'), pin, "{f22}");
            }
        }
        assert!(CardData::keyed("12345", None).is_err());
    }
}
