//! EMV QR codes at the terminal.
//!
//! - **Merchant-presented** ([`merchant_qr`]): the terminal shows an EMV MPM payload the
//!   cardholder's wallet scans and pays through its issuer; the acquirer tells the terminal
//!   the result out of band.
//! - **Consumer-presented** ([`from_consumer_qr`]): the terminal scans the cardholder's EMV
//!   CPM code (base64 BER-TLV) and turns it into card data — track 2 equivalent data, PAN,
//!   PSN and the wallet's ARQC in field 55 — for an ordinary authorisation request with entry
//!   mode `03`. The wallet verified the cardholder on the phone, so no PIN is asked.

use cardwire_emv::qr::{Cpm, MpmBuilder};
use cardwire_emv::tags;
use cardwire_emv::tlv::Tag;
use cardwire_merchant::Fen;

use crate::card::chip::{Params, bcd_digits, terminal_data, value};
use crate::card::{CardData, Entry, Interface, Track2, field55, track2};
use crate::config::Config;
use crate::error::{ErrorKind, Result};
use crate::text::{Bytes, Text};

/// Writes a merchant-presented EMV QR payload for the terminal's merchant into `out`:
/// payload format, point of initiation (`12` dynamic with an amount, `11` static without),
/// UnionPay merchant account information (ID 15: the acquirer's 8-digit IIN twice — acquirer
/// and forwarding — then the merchant number), MCC (52, from the merchant number), currency
/// 156, amount (54), country CN, merchant name (59), city (60), and the additional data
/// template (62) with the bill reference (05) and the terminal ID (07).
///
/// # Errors
/// [`ErrorKind::InvalidInput`] when the merchant has no city, the IIN is not 8 digits or the
/// reference is empty or longer than 25 characters; an EMV error (buffer too small).
pub fn merchant_qr<'o>(
    config: &Config,
    acquirer_iin: &str,
    amount: Option<u64>,
    reference: &str,
    out: &'o mut [u8],
) -> Result<&'o str> {
    let ok = !config.city().is_empty()
        && acquirer_iin.len() == 8
        && acquirer_iin.bytes().all(|c| c.is_ascii_digit())
        && (1..=25).contains(&reference.len());
    if !ok {
        return Err(ErrorKind::InvalidInput.into());
    }
    let mut account = Bytes::<31>::new();
    account.extend(acquirer_iin.as_bytes())?;
    account.extend(acquirer_iin.as_bytes())?;
    account.extend(config.merchant_no().as_bytes())?;
    let account = core::str::from_utf8(account.as_slice()).map_err(|_| ErrorKind::InvalidText)?;
    let mut amount_text = Text::<20>::new();
    if let Some(a) = amount {
        use core::fmt::Write;
        let fen = i64::try_from(a).map_err(|_| ErrorKind::InvalidInput)?;
        let mut w = TextWriter(&mut amount_text);
        write!(w, "{}", Fen(fen)).map_err(|_| ErrorKind::InvalidInput)?;
    }
    let mut b = MpmBuilder::new(out);
    b.value(0, "01")?
        .value(1, if amount.is_some() { "12" } else { "11" })?
        .value(15, account)?
        .value(52, config.mcc())?
        .value(53, "156")?;
    if amount.is_some() {
        b.value(54, amount_text.as_str())?;
    }
    b.value(58, "CN")?
        .value(59, config.merchant_name())?
        .value(60, config.city())?
        .template(62, |t| {
            t.value(5, reference)?.value(7, config.terminal_id())?;
            Ok(())
        })?;
    Ok(b.finish()?)
}

struct TextWriter<'t, const N: usize>(&'t mut Text<N>);

impl<const N: usize> core::fmt::Write for TextWriter<'_, N> {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        let mut joined =
            Bytes::<N>::from_slice(self.0.as_str().as_bytes()).map_err(|_| core::fmt::Error)?;
        joined.extend(s.as_bytes()).map_err(|_| core::fmt::Error)?;
        *self.0 = Text::from_utf8(joined.as_slice()).map_err(|_| core::fmt::Error)?;
        Ok(())
    }
}

/// Card data from a scanned consumer-presented code `text` (base64).
///
/// The first application template gives the track 2 equivalent data (or PAN), PSN, AID and
/// label; its transparent template (`63`, or the common data template's `64`) gives the
/// cryptogram and the objects it covers. Field 55 carries the code's values where it has them
/// (the code's amount 0, date and unpredictable number, which its ARQC covers) and the
/// terminal's (`params`) otherwise.
///
/// # Errors
/// An EMV error for a payload that is not valid CPM, [`ErrorKind::CardData`] without a PAN or
/// an ARQC.
pub fn from_consumer_qr(text: &str, params: &Params) -> Result<CardData> {
    let mut buf = [0u8; 512];
    let cpm = Cpm::decode(text, &mut buf)?;
    let app = cpm.applications().next().ok_or(ErrorKind::CardData)?;
    let app = app.value();
    // The application's objects first, then the common data.
    // A code without common data has none to add (no objects, not a default value).
    let common = cpm.common_data().map(|t| t.value()).unwrap_or_default();
    let get = |tag: Tag| value(app, tag).or_else(|| value(common, tag));

    let mut card = CardData::empty_chip(Entry::Qr);
    if let Some(t2) = get(tags::TRACK_2_EQUIVALENT_DATA) {
        let text = track2::from_nibbles(t2)?;
        let t = Track2::parse(text.as_str())?;
        let from_track = CardData::from_track2(Entry::Qr, &t)?;
        card.pan = from_track.pan;
        card.expiry = from_track.expiry;
        card.service_code = from_track.service_code;
        card.track2 = from_track.track2;
    } else if let Some(pan) = get(tags::PAN) {
        card.pan = bcd_digits::<19>(pan)?;
    }
    if card.pan.len() < 12 || get(tags::AC).is_none_or(|ac| ac.len() != 8) {
        return Err(ErrorKind::CardData.into());
    }
    card.sequence = get(tags::APPLICATION_PAN_SEQUENCE_NUMBER)
        .and_then(|p| p.first())
        .map(|b| (b >> 4) * 10 + (b & 0x0F));
    // The label is for display only: a code without one (or with one that is not text)
    // prints none.
    card.label = get(tags::APPLICATION_LABEL)
        .and_then(|l| Text::from_utf8(l).ok())
        .unwrap_or_default();
    card.pin_required = false;

    // A code has no contactless kernel: the terminal's data as for a contact card.
    let terminal = terminal_data(params, Interface::Contact)?;
    let term = terminal.as_slice();
    // The wallet verified the cardholder: no CVM at the terminal.
    const NO_CVM: [u8; 3] = [0x1F, 0x00, 0x02];
    // A code without its cryptogram information data carries an ARQC.
    const ARQC: [u8; 1] = [0x80];
    card.icc = field55::build(|tag| match tag {
        // The cryptogram and what only the code knows.
        t if [
            tags::AC,
            tags::IAD,
            tags::ATC,
            tags::AIP,
            tags::APPLICATION_PAN_SEQUENCE_NUMBER,
        ]
        .contains(&t) =>
        {
            get(t)
        }
        t if t == tags::CID => get(t).or(Some(&ARQC[..])),
        t if t == tags::CARDHOLDER_VERIFICATION_METHOD_RESULTS => Some(&NO_CVM[..]),
        t if t == tags::DEDICATED_FILE_NAME => get(tags::APPLICATION_DEDICATED_FILE_NAME),
        // The terminal's own objects.
        t if [
            tags::TERMINAL_TYPE,
            tags::INTERFACE_DEVICE_SERIAL_NUMBER,
            tags::APPLICATION_VERSION_NUMBER_TERMINAL,
            tags::TRANSACTION_SEQUENCE_COUNTER,
            tags::TTQ,
        ]
        .contains(&t) =>
        {
            value(term, t)
        }
        // The objects the cryptogram covers: the code's values where it has them (its amount
        // 0, date and unpredictable number), the terminal's otherwise.
        t => get(t).or_else(|| value(term, t)),
    })?;
    Ok(card)
}
