//! The terminal's side of a chip transaction, over any [`CardReader`]:
//!
//! 1. SELECT the payment directory (`1PAY.SYS.DDF01` contact, `2PAY.SYS.DDF01` contactless)
//!    and take the first application; SELECT its AID and read the PDOL;
//! 2. GET PROCESSING OPTIONS with the PDOL data (built with [`cardwire_emv::dol`]);
//! 3. READ RECORD for every record the AFL names;
//! 4. contact: GENERATE AC asking for an ARQC with the CDOL1 data; contactless (qPBOC): the
//!    ARQC came with GET PROCESSING OPTIONS;
//! 5. the cardholder verification: the card's CVM list (online PIN or none) for contact, the
//!    no-CVM limit for contactless (a PIN above it);
//! 6. field 55 assembled with [`cardwire_emv::tlv::Builder`].
//!
//! After the host answers, [`Session::complete`] gives the card the issuer authentication
//! data (tag `91`, EXTERNAL AUTHENTICATE) and asks for the final cryptogram (second GENERATE
//! AC: TC when approved and authenticated, AAC otherwise). A contactless card has left the
//! field by then: its transaction ends with the host's answer.

use cardwire_emv::dol::Dol;
use cardwire_emv::tags;
use cardwire_emv::tlv::{Builder, Reader, Tag, Tlv};

use cardwire_iso8583::time::DateTime;

use crate::card::apdu::{Command, MAX_RESPONSE, exchange};
use crate::card::{CardData, CardReader, Entry, Interface, Track2, field55, track2};
use crate::error::{Error, ErrorKind, Result};
use crate::text::{Bytes, Text, bcd};

/// Terminal capabilities (`9F33`): IC, magstripe and key entry; enciphered online PIN,
/// signature, no CVM. Only what the terminal performs: no offline PIN (the PIN goes online)
/// and no offline data authentication (SDA, DDA, CDA: the terminal is online only and
/// checks no card certificates), so a card is never told to rely on either.
pub const TERMINAL_CAPABILITIES: [u8; 3] = [0xE0, 0x68, 0x00];
/// Terminal verification results (`95`) as every transaction starts: byte 1 bit 8, offline
/// data authentication was not performed (see [`TERMINAL_CAPABILITIES`]).
pub const TVR_INITIAL: [u8; 5] = [0x80, 0, 0, 0, 0];
/// Terminal type (`9F35`): attended, online only, operated by the merchant.
pub const TERMINAL_TYPE_ATTENDED_ONLINE: u8 = 0x22;
/// Terminal transaction qualifiers (`9F66`): qPBOC, contact EMV, online PIN and signature
/// supported; an online cryptogram is required.
pub const TTQ_ONLINE: [u8; 4] = [0x36, 0x80, 0x00, 0x00];
/// Application version number of the terminal (`9F09`).
pub const APP_VERSION_NUMBER: [u8; 2] = [0x00, 0x30];
/// China: country (`9F1A`) and currency (`5F2A`) code 156.
pub const CHINA: [u8; 2] = [0x01, 0x56];

/// What the terminal brings to one chip transaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Params {
    /// Amount authorised, fen (`9F02`).
    pub amount: u64,
    /// Amount other, fen (`9F03`, cashback; 0).
    pub amount_other: u64,
    /// Transaction type (`9C`): `00` goods and services, `20` refund, `31` balance inquiry.
    pub transaction_type: u8,
    /// Local date and time (`9A`, `9F21`).
    pub when: DateTime,
    /// The terminal's unpredictable number (`9F37`), from its random source.
    pub unpredictable: [u8; 4],
    /// Transaction sequence counter (`9F41`).
    pub sequence: u32,
    /// Interface device serial number (`9F1E`), 8 characters.
    pub ifd_serial: [u8; 8],
    /// Contactless no-CVM limit in fen: a tap above it needs the online PIN.
    pub no_cvm_limit: u64,
}

/// The card's answer at the end of the transaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Completion {
    /// Whether the card accepted the transaction (a TC at the second GENERATE AC; for
    /// contactless, the host's approval).
    pub accepted: bool,
    /// Whether issuer authentication succeeded (`None` when the host sent no tag `91` or the
    /// card was tapped).
    pub issuer_authenticated: Option<bool>,
    /// The final cryptogram (TC or AAC) and its CID, contact only.
    pub cryptogram: Option<([u8; 8], u8)>,
}

/// A chip transaction between the first and the second GENERATE AC.
#[derive(Clone, Debug)]
pub struct Session {
    card: CardData,
    interface: Interface,
    terminal: Bytes<160>,
    cdol2: Bytes<64>,
    tvr: [u8; 5],
}

fn find<'a>(data: &'a [u8], tag: Tag) -> Option<Tlv<'a>> {
    Reader::lenient(data).find(tag).ok().flatten()
}

pub(crate) fn value(data: &[u8], tag: Tag) -> Option<&[u8]> {
    find(data, tag).map(|t| t.value())
}

/// Digits of BCD `data` up to the first `F` nibble.
pub(crate) fn bcd_digits<const N: usize>(data: &[u8]) -> Result<Text<N>> {
    let mut out = [0u8; N];
    let mut n = 0;
    for nibble in data.iter().flat_map(|b| [b >> 4, b & 0x0F]) {
        match nibble {
            0..=9 => {
                *out.get_mut(n).ok_or(ErrorKind::CardData)? = b'0' + nibble;
                n += 1;
            }
            0xF => break,
            _ => return Err(ErrorKind::CardData.into()),
        }
    }
    Text::from_utf8(out.split_at(n.min(N)).0)
}

/// The terminal's data objects for this transaction, as TLV.
pub(crate) fn terminal_data(params: &Params, interface: Interface) -> Result<Bytes<160>> {
    let mut buf = [0u8; 160];
    let mut b = Builder::new(&mut buf);
    b.primitive(tags::AMOUNT_AUTHORISED_NUMERIC, &bcd::<6>(params.amount))?
        .primitive(tags::AMOUNT_OTHER_NUMERIC, &bcd::<6>(params.amount_other))?
        .primitive(tags::TERMINAL_COUNTRY_CODE, &CHINA)?
        .primitive(tags::TVR, &TVR_INITIAL)?
        .primitive(tags::TRANSACTION_CURRENCY_CODE, &CHINA)?
        .primitive(tags::TRANSACTION_DATE, &params.when.emv_date())?
        .primitive(tags::TRANSACTION_TYPE, &[params.transaction_type])?
        .primitive(tags::UNPREDICTABLE_NUMBER, &params.unpredictable)?
        .primitive(tags::TRANSACTION_TIME, &params.when.emv_time())?
        .primitive(tags::TERMINAL_CAPABILITIES, &TERMINAL_CAPABILITIES)?
        .primitive(tags::TERMINAL_TYPE, &[TERMINAL_TYPE_ATTENDED_ONLINE])?
        .primitive(
            tags::APPLICATION_VERSION_NUMBER_TERMINAL,
            &APP_VERSION_NUMBER,
        )?
        .primitive(tags::INTERFACE_DEVICE_SERIAL_NUMBER, &params.ifd_serial)?
        .primitive(
            tags::TRANSACTION_SEQUENCE_COUNTER,
            &bcd::<4>(u64::from(params.sequence)),
        )?;
    if interface == Interface::Contactless {
        b.primitive(tags::TTQ, &TTQ_ONLINE)?;
    }
    let n = b.finish();
    Bytes::from_slice(buf.split_at(n.min(buf.len())).0)
}

/// Builds the data of `dol` from the terminal's objects, then the card's.
fn dol_data(dol: &[u8], terminal: &[u8], card: &[u8], out: &mut [u8]) -> Result<usize> {
    let dol = Dol::new(dol)?;
    Ok(dol.build(|tag| value(terminal, tag).or_else(|| value(card, tag)), out)?)
}

/// Reads the card on `interface` and asks it for an ARQC: the session up to the
/// authorisation request, with the [`CardData`] (and its field 55) for the terminal.
///
/// # Errors
/// [`ErrorKind::Card`] with the status word of a refused command, [`ErrorKind::CardData`]
/// when the card's data is incomplete (no AID, PAN, ARQC) or the card declined offline (AAC),
/// an EMV error for malformed responses.
pub fn read<R: CardReader + ?Sized>(
    reader: &mut R,
    interface: Interface,
    params: &Params,
) -> Result<Session> {
    let mut rsp = [0u8; MAX_RESPONSE];
    let fci = exchange(reader, &Command::select(interface.directory())?, &mut rsp)?;
    let aid = Bytes::<16>::from_slice(
        value(fci, tags::APPLICATION_DEDICATED_FILE_NAME).ok_or(ErrorKind::CardData)?,
    )
    .map_err(|_| Error::from(ErrorKind::CardData))?;

    let fci = exchange(reader, &Command::select(aid.as_slice())?, &mut rsp)?;
    // The label is for display only: a card without one (or with one that is not text)
    // prints none.
    let label = value(fci, tags::APPLICATION_LABEL)
        .and_then(|l| Text::<16>::from_utf8(l).ok())
        .unwrap_or_default();
    // No PDOL: GET PROCESSING OPTIONS goes with empty data (EMV Book 3, 10.1).
    let pdol = Bytes::<64>::from_slice(value(fci, tags::PDOL).unwrap_or_default())?;
    // The DF name of the FCI is the AID just selected; a card that leaves it out is named by
    // that AID.
    let df_name =
        Bytes::<16>::from_slice(value(fci, tags::DEDICATED_FILE_NAME).unwrap_or(aid.as_slice()))?;

    let terminal = terminal_data(params, interface)?;
    let mut pdol_data = [0u8; 128];
    let n = dol_data(pdol.as_slice(), terminal.as_slice(), &[], &mut pdol_data)?;
    let gpo = exchange(
        reader,
        &Command::gpo(pdol_data.get(..n).ok_or(ErrorKind::BufferTooSmall)?)?,
        &mut rsp,
    )?;
    // Everything the card said, as TLV: GPO response, records, then GENERATE AC.
    let mut card = Bytes::<1024>::new();
    let afl = match gpo {
        // Format 1: AIP ‖ AFL in template 80.
        [0x80, len, rest @ ..] if usize::from(*len) == rest.len() && rest.len() >= 2 => {
            let (aip, afl) = rest.split_at(2);
            let mut b = [0u8; 80];
            let mut w = Builder::new(&mut b);
            w.primitive(tags::AIP, aip)?.primitive(tags::AFL, afl)?;
            let n = w.finish();
            card.extend(b.get(..n).ok_or(ErrorKind::BufferTooSmall)?)?;
            Bytes::<64>::from_slice(afl)?
        }
        _ => {
            Reader::new(gpo).validate()?;
            card.extend(gpo)?;
            if value(gpo, tags::AIP).is_none() {
                return Err(ErrorKind::CardData.into());
            }
            // A qPBOC card may answer with everything online needs and no records to read;
            // what is then missing (the PAN) is a card data error below.
            Bytes::<64>::from_slice(value(gpo, tags::AFL).unwrap_or_default())?
        }
    };
    for entry in afl.as_slice().chunks(4) {
        let &[sfi, first, last, _] = entry else {
            return Err(ErrorKind::CardData.into());
        };
        let sfi = sfi >> 3;
        if sfi == 0 || sfi > 30 || first == 0 || last < first {
            return Err(ErrorKind::CardData.into());
        }
        for record in first..=last {
            let data = exchange(reader, &Command::read_record(sfi, record)?, &mut rsp)?;
            Reader::new(data).validate()?;
            card.extend(data)
                .map_err(|_| Error::from(ErrorKind::CardData))?;
        }
    }
    if interface == Interface::Contact {
        let cdol1 = value(card.as_slice(), tags::CDOL1).ok_or(ErrorKind::CardData)?;
        let mut data = [0u8; 255];
        let n = dol_data(cdol1, terminal.as_slice(), card.as_slice(), &mut data)?;
        let gac = exchange(
            reader,
            &Command::generate_ac(0x80, data.get(..n).ok_or(ErrorKind::BufferTooSmall)?)?,
            &mut rsp,
        )?;
        match gac {
            // Format 1: CID ‖ ATC ‖ AC ‖ IAD.
            [0x80, len, rest @ ..] if usize::from(*len) == rest.len() && rest.len() >= 11 => {
                let (cid, rest) = rest.split_at(1);
                let (atc, rest) = rest.split_at(2);
                let (ac, iad) = rest.split_at(8);
                let mut b = [0u8; 80];
                let mut w = Builder::new(&mut b);
                w.primitive(tags::CID, cid)?
                    .primitive(tags::ATC, atc)?
                    .primitive(tags::AC, ac)?;
                if !iad.is_empty() {
                    w.primitive(tags::IAD, iad)?;
                }
                let n = w.finish();
                card.extend(b.get(..n).ok_or(ErrorKind::BufferTooSmall)?)?;
            }
            _ => {
                Reader::new(gac).validate()?;
                card.extend(gac)?;
            }
        }
    }
    let card = card.as_slice();
    // A qPBOC card's GET PROCESSING OPTIONS answer may leave out the CID: it answers the
    // online cryptogram the TTQ asked for (an ARQC); a contact card's GENERATE AC always
    // names it (format 1 is read into tag 9F27 above).
    let cid = value(card, tags::CID)
        .and_then(|c| c.first().copied())
        .unwrap_or(0x80);
    if cid & 0xC0 != 0x80 || value(card, tags::AC).is_none_or(|ac| ac.len() != 8) {
        // An AAC (declined offline) or no cryptogram: nothing to send online.
        return Err(ErrorKind::CardData.into());
    }

    let mut data = CardData::empty_chip(if interface == Interface::Contact {
        Entry::Chip
    } else {
        Entry::Contactless
    });
    data.label = label;
    if let Some(t2) = value(card, tags::TRACK_2_EQUIVALENT_DATA) {
        let text = track2::from_nibbles(t2)?;
        let t = Track2::parse(text.as_str())?;
        let from_track = CardData::from_track2(data.entry, &t)?;
        data.pan = from_track.pan;
        data.expiry = from_track.expiry;
        data.service_code = from_track.service_code;
        data.track2 = from_track.track2;
    }
    if let Some(pan) = value(card, tags::PAN) {
        data.pan = bcd_digits::<19>(pan)?;
    }
    if let Some(e) = value(card, tags::APPLICATION_EXPIRATION_DATE).filter(|e| e.len() == 3) {
        let yymm = bcd_digits::<6>(e)?;
        data.expiry = Some(Text::copy_from(
            yymm.as_str().get(..4).ok_or(ErrorKind::CardData)?,
        )?);
    }
    if data.pan.len() < 12 {
        return Err(ErrorKind::CardData.into());
    }
    data.sequence = value(card, tags::APPLICATION_PAN_SEQUENCE_NUMBER)
        .and_then(|p| p.first())
        .map(|b| (b >> 4) * 10 + (b & 0x0F));

    // Cardholder verification.
    let (pin, cvm_results) = match interface {
        Interface::Contactless => {
            if params.amount > params.no_cvm_limit {
                (true, [0x02, 0x00, 0x00])
            } else {
                (false, [0x1F, 0x00, 0x02])
            }
        }
        Interface::Contact => match value(card, tags::CARDHOLDER_VERIFICATION_METHOD_LIST)
            .and_then(|l| l.get(8..10))
        {
            Some(&[method, condition]) if method & 0x3F == 0x02 => {
                (true, [method, condition, 0x00])
            }
            Some(&[method, condition]) => (false, [method, condition, 0x02]),
            _ => {
                let pin = matches!(
                    data.service_code
                        .as_ref()
                        .and_then(|s| s.as_str().as_bytes().get(2).copied()),
                    Some(b'0' | b'3' | b'5' | b'6' | b'7')
                );
                (
                    pin,
                    if pin {
                        [0x02, 0x00, 0x00]
                    } else {
                        [0x1F, 0x00, 0x02]
                    },
                )
            }
        },
    };
    data.pin_required = pin;

    // Field 55: the card's cryptogram and objects, the terminal's data around them.
    let term = terminal.as_slice();
    let cid = [cid];
    data.icc = field55::build(|tag| match tag {
        t if t == tags::CID => Some(&cid[..]),
        t if t == tags::CARDHOLDER_VERIFICATION_METHOD_RESULTS => Some(&cvm_results[..]),
        t if t == tags::DEDICATED_FILE_NAME => Some(df_name.as_slice()),
        t if [
            tags::AC,
            tags::IAD,
            tags::ATC,
            tags::AIP,
            tags::APPLICATION_PAN_SEQUENCE_NUMBER,
        ]
        .contains(&t) =>
        {
            value(card, t)
        }
        t => value(term, t),
    })?;

    Ok(Session {
        card: data,
        interface,
        terminal,
        cdol2: match interface {
            // CDOL2 is mandatory on a contact card (EMV Book 3, 7.2): without it the second
            // GENERATE AC could only send made-up data.
            Interface::Contact => {
                Bytes::from_slice(value(card, tags::CDOL2).ok_or(ErrorKind::CardData)?)?
            }
            // A contactless transaction ends with the host's answer: no second GENERATE AC.
            Interface::Contactless => Bytes::new(),
        },
        tvr: TVR_INITIAL,
    })
}

impl Session {
    /// The card data for the authorisation request.
    pub fn card(&self) -> &CardData {
        &self.card
    }

    /// The interface the card was read on.
    pub fn interface(&self) -> Interface {
        self.interface
    }

    /// Ends the transaction on the card: issuer authentication with `issuer_auth` (tag `91`
    /// of the reply, if any), then the second GENERATE AC with the ARC (field 39's two
    /// characters) asking for a TC when `approved`, an AAC otherwise. A card that refuses
    /// (AAC after an approval) means the terminal must reverse the transaction
    /// ([`crate::Terminal::card_declined`]).
    ///
    /// # Errors
    /// [`ErrorKind::Card`] for a status word other than `9000` / `6300`, an EMV error.
    pub fn complete<R: CardReader + ?Sized>(
        &mut self,
        reader: &mut R,
        approved: bool,
        issuer_auth: Option<&[u8]>,
        arc: [u8; 2],
    ) -> Result<Completion> {
        if self.interface == Interface::Contactless {
            return Ok(Completion {
                accepted: approved,
                issuer_authenticated: None,
                cryptogram: None,
            });
        }
        let mut rsp = [0u8; MAX_RESPONSE];
        let mut authenticated = None;
        if let Some(data) = issuer_auth {
            let n = reader.transmit(Command::external_authenticate(data)?.as_bytes(), &mut rsp)?;
            let (_, sw) = crate::card::apdu::split(rsp.get(..n).ok_or(ErrorKind::BufferTooSmall)?)?;
            authenticated = match sw {
                0x9000 => Some(true),
                0x6300 => Some(false),
                sw => return Err(ErrorKind::Card { sw }.into()),
            };
            if authenticated == Some(false) {
                // TVR byte 5 bit 7: issuer authentication failed.
                if let Some(b) = self.tvr.get_mut(4) {
                    *b |= 0x40;
                }
            }
        }
        let mut objects = [0u8; 32];
        let mut b = Builder::new(&mut objects);
        b.primitive(tags::AUTHORISATION_RESPONSE_CODE, &arc)?
            .primitive(tags::TVR, &self.tvr)?;
        let n = b.finish();
        let mut data = [0u8; 128];
        let cdol2 = self.cdol2.as_slice();
        let len = dol_data(
            cdol2,
            objects.get(..n).ok_or(ErrorKind::BufferTooSmall)?,
            self.terminal.as_slice(),
            &mut data,
        )?;
        let p1 = if approved && authenticated != Some(false) {
            0x40
        } else {
            0x00
        };
        let gac = exchange(
            reader,
            &Command::generate_ac(p1, data.get(..len).ok_or(ErrorKind::BufferTooSmall)?)?,
            &mut rsp,
        )?;
        // The second GENERATE AC must say which cryptogram it is: a card that does not
        // answered nothing the terminal may read as an acceptance or a refusal.
        let cid = value(gac, tags::CID)
            .and_then(|c| c.first().copied())
            .ok_or(ErrorKind::CardData)?;
        let ac = value(gac, tags::AC)
            .and_then(|a| <[u8; 8]>::try_from(a).ok())
            .ok_or(ErrorKind::CardData)?;
        Ok(Completion {
            accepted: approved && cid & 0xC0 == 0x40,
            issuer_authenticated: authenticated,
            cryptogram: Some((ac, cid)),
        })
    }
}
