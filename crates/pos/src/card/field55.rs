//! Field 55 of an authorisation request: the chip's (or the QR code's) cryptogram and the
//! objects it covers, the terminal's data around it, in the one order the terminal writes
//! them, whichever way the card was read.

use cardwire_emv::tags;
use cardwire_emv::tlv::{Builder, Tag};

use crate::card::ICC_CAPACITY;
use crate::error::Result;
use crate::text::Bytes;

/// The objects of field 55 in the order they are written: the cryptogram, its information
/// data and the issuer application data first, then the objects the cryptogram covers, the
/// CVM results, the terminal's type and serial number, the application (`84`), the versions
/// and counters, the PAN sequence number, and for a tap the terminal transaction qualifiers.
pub const ORDER: [Tag; 22] = [
    tags::AC,
    tags::CID,
    tags::IAD,
    tags::UNPREDICTABLE_NUMBER,
    tags::ATC,
    tags::TVR,
    tags::TRANSACTION_DATE,
    tags::TRANSACTION_TYPE,
    tags::AMOUNT_AUTHORISED_NUMERIC,
    tags::TRANSACTION_CURRENCY_CODE,
    tags::AIP,
    tags::TERMINAL_COUNTRY_CODE,
    tags::AMOUNT_OTHER_NUMERIC,
    tags::TERMINAL_CAPABILITIES,
    tags::CARDHOLDER_VERIFICATION_METHOD_RESULTS,
    tags::TERMINAL_TYPE,
    tags::INTERFACE_DEVICE_SERIAL_NUMBER,
    tags::DEDICATED_FILE_NAME,
    tags::APPLICATION_VERSION_NUMBER_TERMINAL,
    tags::TRANSACTION_SEQUENCE_COUNTER,
    tags::APPLICATION_PAN_SEQUENCE_NUMBER,
    tags::TTQ,
];

/// Writes field 55: every object of [`ORDER`] that `value` gives, in that order (an object
/// it has no value for is left out).
///
/// # Errors
/// An EMV error when the objects do not fit the 255 bytes of field 55.
pub fn build<'v>(mut value: impl FnMut(Tag) -> Option<&'v [u8]>) -> Result<Bytes<ICC_CAPACITY>> {
    let mut f55 = [0u8; ICC_CAPACITY];
    let mut b = Builder::new(&mut f55);
    for tag in ORDER {
        if let Some(v) = value(tag) {
            b.primitive(tag, v)?;
        }
    }
    let n = b.finish();
    Bytes::from_slice(f55.split_at(n.min(ICC_CAPACITY)).0)
}
