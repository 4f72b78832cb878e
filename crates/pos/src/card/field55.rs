//! Field 55 of an authorisation request: the chip's (or the QR code's) cryptogram and the
//! objects it covers, the terminal's data around it, in the one order the terminal writes
//! them, whichever way the card was read.

use cardwire_emv::tlv::{Builder, Tag};

use crate::card::ICC_CAPACITY;
use crate::card::tags::{
    AC, AIP, AMOUNT, AMOUNT_OTHER, APP_VERSION, ATC, CAPABILITIES, CID, COUNTRY, CURRENCY,
    CVM_RESULTS, DATE, DF_NAME, IAD, IFD_SERIAL, PSN, SEQUENCE, TERMINAL_TYPE, TTQ, TVR, TXN_TYPE,
    UN,
};
use crate::error::Result;
use crate::text::Bytes;

/// The objects of field 55 in the order they are written: the cryptogram, its information
/// data and the issuer application data first, then the objects the cryptogram covers, the
/// CVM results, the terminal's type and serial number, the application (`84`), the versions
/// and counters, the PAN sequence number, and for a tap the terminal transaction qualifiers.
pub const ORDER: [Tag; 22] = [
    AC,
    CID,
    IAD,
    UN,
    ATC,
    TVR,
    DATE,
    TXN_TYPE,
    AMOUNT,
    CURRENCY,
    AIP,
    COUNTRY,
    AMOUNT_OTHER,
    CAPABILITIES,
    CVM_RESULTS,
    TERMINAL_TYPE,
    IFD_SERIAL,
    DF_NAME,
    APP_VERSION,
    SEQUENCE,
    PSN,
    TTQ,
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
