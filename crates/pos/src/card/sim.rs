//! A simulated UnionPay chip card, at the APDU level, behind [`CardReader`]: the test double
//! of a real card in a real reader. Examples, tests and the acquirer host's tests drive the
//! terminal's chip flows against it.
//!
//! It answers SELECT of the payment directory (`1PAY.SYS.DDF01` contact, `2PAY.SYS.DDF01`
//! contactless) and of its AID, GET PROCESSING OPTIONS, READ RECORD per its AFL, GENERATE AC
//! and EXTERNAL AUTHENTICATE. Its cryptograms follow its [`Profile`]'s
//! [`CdolProfile`] — the one definition the acquirer host
//! verifies them with (the fixtures' cards of `spec-vectors/pos-fixtures.json` use
//! [`CdolProfile::STANDARD`]):
//!
//! - ICC master key from the issuer master key, Option A (Option B for PANs over 16 digits);
//! - the EMV common session key with R = ATC ‖ `000000000000`;
//! - AC = ISO 9797-1 MAC algorithm 3, padding method 2, over the CDOL1 data ‖ AIP ‖ ATC ‖ the
//!   whole IAD;
//! - issuer authentication: ARPC method 1 under the session key, ARC = field 39's two ASCII
//!   characters, sent as tag `91` = ARPC ‖ ARC.
//!
//! It stands on the terminal's card module (the reader trait, the interfaces, the tags); the
//! terminal's flows never use it.
//!
//! Over the contactless interface the card works qPBOC-style: its PDOL asks for every CDOL1
//! object, and GET PROCESSING OPTIONS returns the ARQC at once (no GENERATE AC).
//! [`SimCard::consumer_qr`] makes the same card present an EMV consumer-presented QR code.

use cardwire_emv::tags;
use core::fmt;

use cardwire_crypto::TdesKey;
use cardwire_crypto::emv::CdolProfile;
use cardwire_emv::dol::Dol;
use cardwire_emv::tlv::{Builder, Tag};
use cardwire_iso8583::time::DateTime;

use crate::card::{CardReader, Interface, MaskedPan};
use crate::error::{ErrorKind, Result};
use crate::text::{Bytes, Text, all_digits, bcd_byte, pack_digits};

/// CDOL2 of the simulated card: ARC, unpredictable number, TVR.
pub const CDOL2_LIST: &[u8] = &[0x8A, 0x02, 0x9F, 0x37, 0x04, 0x95, 0x05];

/// The PDOL objects the contactless interface adds to the profile's PDOL so that the ARQC of
/// GET PROCESSING OPTIONS covers the same CDOL1 data as a contact transaction: amount other,
/// country, TVR, date, transaction type.
const CONTACTLESS_EXTRA_PDOL: &[u8] = &[
    0x9F, 0x03, 0x06, 0x9F, 0x1A, 0x02, 0x95, 0x05, 0x9A, 0x03, 0x9C, 0x01,
];

/// The card's cryptogram profile (the fixtures' `issuer.card_profile`).
#[derive(Clone, Copy, Debug)]
pub struct Profile<'a> {
    /// Application identifier, e.g. `A000000333010101`.
    pub aid: &'a [u8],
    /// Application label.
    pub label: &'a str,
    /// Application interchange profile (tag `82`).
    pub aip: [u8; 2],
    /// Issuer application data (tag `9F10`).
    pub iad: &'a [u8],
    /// CDOL1 (tag `8C`).
    pub cdol1: &'a [u8],
    /// PDOL (tag `9F38`) of the contact interface.
    pub pdol: &'a [u8],
    /// How its cryptograms are computed (and verified by its issuer).
    pub cryptogram: CdolProfile,
}

/// The cardholder data on the card.
#[derive(Clone, Copy, Debug)]
pub struct Account<'a> {
    /// PAN, 12–19 digits.
    pub pan: &'a str,
    /// PAN sequence number (0–99).
    pub psn: u8,
    /// Expiry YYMM.
    pub expiry: &'a str,
    /// Service code, 3 digits.
    pub service_code: &'a str,
    /// Track 2 discretionary data (digits; may be empty).
    pub discretionary: &'a str,
}

/// Where the card is in the transaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Idle,
    Selected,
    /// After GET PROCESSING OPTIONS (contact).
    Processing,
    /// After the first GENERATE AC with an ARQC.
    Online {
        arqc: [u8; 8],
    },
    Done,
}

/// A simulated chip card.
pub struct SimCard {
    mk: TdesKey,
    method: CdolProfile,
    aid: Bytes<16>,
    label: Text<16>,
    aip: [u8; 2],
    iad: Bytes<32>,
    cdol1: Bytes<64>,
    pdol: Bytes<64>,
    pan: Text<19>,
    psn: u8,
    expiry: Text<4>,
    service_code: Text<3>,
    track2: Text<37>,
    interface: Interface,
    atc: u16,
    state: State,
    issuer_authenticated: Option<bool>,
    cdol1_data: Bytes<128>,
    removed: bool,
}

impl fmt::Debug for SimCard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SimCard")
            .field("pan", &format_args!("{}", MaskedPan(self.pan.as_str())))
            .field("interface", &self.interface)
            .field("atc", &self.atc)
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

/// Track 2 characters `PAN=YYMMSSS…` of an account (the stripe's form; the chip's form has
/// `D` instead of `=`).
///
/// # Errors
/// [`ErrorKind::InvalidInput`] for non-digits or lengths off the account's.
pub fn track2(account: &Account<'_>) -> Result<Text<37>> {
    let ok = (12..=19).contains(&account.pan.len())
        && all_digits(account.pan.as_bytes())
        && account.expiry.len() == 4
        && all_digits(account.expiry.as_bytes())
        && account.service_code.len() == 3
        && all_digits(account.service_code.as_bytes())
        && account.discretionary.bytes().all(|c| c.is_ascii_digit());
    if !ok {
        return Err(ErrorKind::InvalidInput.into());
    }
    let mut t = Bytes::<37>::new();
    for part in [
        account.pan.as_bytes(),
        b"=",
        account.expiry.as_bytes(),
        account.service_code.as_bytes(),
        account.discretionary.as_bytes(),
    ] {
        t.extend(part).map_err(|_| ErrorKind::InvalidInput)?;
    }
    Text::from_utf8(t.as_slice())
}

fn status(out: &mut [u8], data: &[u8], sw: u16) -> Result<usize> {
    let end = data.len() + 2;
    let dst = out.get_mut(..end).ok_or(ErrorKind::BufferTooSmall)?;
    let (d, s) = dst.split_at_mut(data.len());
    d.copy_from_slice(data);
    s.copy_from_slice(&sw.to_be_bytes());
    Ok(end)
}

impl SimCard {
    /// A card of `account` with `profile`, its ICC master key derived from the issuer master
    /// key `imk`, presented on `interface`. Its ATC starts at 0 (the first transaction uses 1).
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`] for account data that does not fit, a crypto error for a
    /// PAN the derivation refuses.
    pub fn new(
        profile: &Profile<'_>,
        account: &Account<'_>,
        imk: &TdesKey,
        interface: Interface,
    ) -> Result<Self> {
        if account.psn > 99 || Dol::new(profile.cdol1).is_err() || Dol::new(profile.pdol).is_err() {
            return Err(ErrorKind::InvalidInput.into());
        }
        let mk =
            profile
                .cryptogram
                .icc_master_key(imk, account.pan.as_bytes(), Some(account.psn))?;
        let mut pdol = Bytes::from_slice(profile.pdol)?;
        if interface == Interface::Contactless {
            pdol.extend(CONTACTLESS_EXTRA_PDOL)?;
        }
        let bad = |_| ErrorKind::InvalidInput;
        Ok(Self {
            mk,
            method: profile.cryptogram,
            aid: Bytes::from_slice(profile.aid).map_err(bad)?,
            label: Text::copy_from(profile.label).map_err(bad)?,
            aip: profile.aip,
            iad: Bytes::from_slice(profile.iad).map_err(bad)?,
            cdol1: Bytes::from_slice(profile.cdol1).map_err(bad)?,
            pdol,
            pan: Text::copy_from(account.pan).map_err(bad)?,
            psn: account.psn,
            expiry: Text::copy_from(account.expiry).map_err(bad)?,
            service_code: Text::copy_from(account.service_code).map_err(bad)?,
            track2: track2(account)?,
            interface,
            atc: 0,
            state: State::Idle,
            issuer_authenticated: None,
            cdol1_data: Bytes::new(),
            removed: false,
        })
    }

    /// Presents the card on `interface` for the next transaction (it is reset, as after a
    /// new insertion or tap).
    pub fn present(&mut self, interface: Interface) -> Result<()> {
        if interface != self.interface {
            let mut pdol = Bytes::new();
            let extra = if self.interface == Interface::Contactless {
                CONTACTLESS_EXTRA_PDOL.len()
            } else {
                0
            };
            let base = self.pdol.len().saturating_sub(extra);
            pdol.extend(
                self.pdol
                    .as_slice()
                    .get(..base)
                    .ok_or(ErrorKind::InvalidInput)?,
            )?;
            if interface == Interface::Contactless {
                pdol.extend(CONTACTLESS_EXTRA_PDOL)?;
            }
            self.pdol = pdol;
            self.interface = interface;
        }
        self.state = State::Idle;
        self.issuer_authenticated = None;
        self.removed = false;
        Ok(())
    }

    /// Takes the card away: it answers nothing until presented again.
    pub fn remove(&mut self) {
        self.removed = true;
    }

    /// The application transaction counter (the last one used).
    pub fn atc(&self) -> u16 {
        self.atc
    }

    /// Whether the last issuer authentication (EXTERNAL AUTHENTICATE) succeeded, if there
    /// was one in this transaction.
    pub fn issuer_authenticated(&self) -> Option<bool> {
        self.issuer_authenticated
    }

    /// The account's track 2 characters (for swiping the same card).
    pub fn track2(&self) -> &str {
        self.track2.as_str()
    }

    fn session_key(&self) -> TdesKey {
        self.method.session_key(&self.mk, self.atc.to_be_bytes())
    }

    /// The AC over `data` ‖ AIP ‖ ATC ‖ IAD under the current ATC's session key.
    fn cryptogram(&self, data: &[u8]) -> Result<[u8; 8]> {
        Ok(self.method.cryptogram(
            &self.session_key(),
            data,
            self.aip,
            self.atc.to_be_bytes(),
            self.iad.as_slice(),
        ))
    }

    fn next_atc(&mut self) -> Result<()> {
        self.atc = self
            .atc
            .checked_add(1)
            .ok_or(ErrorKind::Card { sw: 0x6985 })?;
        Ok(())
    }

    /// Track 2 equivalent data: BCD nibbles, `D` separator, `F` pad. (The track was checked
    /// to be digits and `=` of at most 37 characters when the card was made.)
    fn track2_nibbles(&self, out: &mut [u8; 19]) -> Result<usize> {
        pack_digits(self.track2.as_str().as_bytes(), 0xF, out).ok_or(ErrorKind::InvalidInput.into())
    }

    /// The PAN in BCD nibbles, `F` pad (checked to be 12–19 digits when the card was made).
    fn pan_nibbles(&self, out: &mut [u8; 10]) -> Result<usize> {
        pack_digits(self.pan.as_str().as_bytes(), 0xF, out).ok_or(ErrorKind::InvalidInput.into())
    }

    fn select(&mut self, name: &[u8], out: &mut [u8]) -> Result<usize> {
        let mut buf = [0u8; 128];
        let mut b = Builder::new(&mut buf);
        if name == self.interface.directory() {
            b.constructed(tags::FILE_CONTROL_INFORMATION_TEMPLATE, |b| {
                b.primitive(tags::DEDICATED_FILE_NAME, name)?;
                b.constructed(tags::FILE_CONTROL_INFORMATION_PROPRIETARY_TEMPLATE, |b| {
                    b.constructed(
                        tags::FILE_CONTROL_INFORMATION_ISSUER_DISCRETIONARY_DATA,
                        |b| {
                            b.constructed(tags::APPLICATION_TEMPLATE, |b| {
                                b.primitive(
                                    tags::APPLICATION_DEDICATED_FILE_NAME,
                                    self.aid.as_slice(),
                                )?;
                                b.primitive(
                                    tags::APPLICATION_LABEL,
                                    self.label.as_str().as_bytes(),
                                )?;
                                b.primitive(tags::APPLICATION_PRIORITY_INDICATOR, &[1])?;
                                Ok(())
                            })?;
                            Ok(())
                        },
                    )?;
                    Ok(())
                })?;
                Ok(())
            })?;
            self.state = State::Idle;
        } else if name == self.aid.as_slice() {
            b.constructed(tags::FILE_CONTROL_INFORMATION_TEMPLATE, |b| {
                b.primitive(tags::DEDICATED_FILE_NAME, name)?;
                b.constructed(tags::FILE_CONTROL_INFORMATION_PROPRIETARY_TEMPLATE, |b| {
                    b.primitive(tags::APPLICATION_LABEL, self.label.as_str().as_bytes())?;
                    b.primitive(tags::APPLICATION_PRIORITY_INDICATOR, &[1])?;
                    b.primitive(tags::PDOL, self.pdol.as_slice())?;
                    Ok(())
                })?;
                Ok(())
            })?;
            self.state = State::Selected;
            self.issuer_authenticated = None;
        } else {
            return status(out, &[], 0x6A82);
        }
        let n = b.finish();
        status(out, buf.get(..n).ok_or(ErrorKind::BufferTooSmall)?, 0x9000)
    }

    /// The CDOL1 data from the PDOL data (contactless: the PDOL holds every CDOL1 object).
    fn cdol1_from_pdol(&self, pdol_data: &[u8]) -> Result<Bytes<128>> {
        let pdol = Dol::new(self.pdol.as_slice())?;
        let cdol1 = Dol::new(self.cdol1.as_slice())?;
        let value = |tag: Tag| {
            let mut at = 0;
            for e in pdol.iter() {
                if e.tag() == tag {
                    return pdol_data.get(at..at + e.len());
                }
                at += e.len();
            }
            None
        };
        let mut out = [0u8; 128];
        let n = cdol1.build(value, &mut out)?;
        Bytes::from_slice(out.get(..n).ok_or(ErrorKind::BufferTooSmall)?)
    }

    fn gpo(&mut self, data: &[u8], out: &mut [u8]) -> Result<usize> {
        if self.state != State::Selected {
            return status(out, &[], 0x6985);
        }
        let want = Dol::new(self.pdol.as_slice())?.data_len();
        let pdol_data = match data {
            [0x83, len, rest @ ..] if usize::from(*len) == rest.len() && rest.len() == want => rest,
            _ => return status(out, &[], 0x6700),
        };
        self.next_atc()?;
        let afl = [0x08, 0x01, 0x02, 0x00];
        let mut buf = [0u8; 160];
        let mut b = Builder::new(&mut buf);
        match self.interface {
            Interface::Contact => {
                b.constructed(tags::RESPONSE_MESSAGE_TEMPLATE_FORMAT_2, |b| {
                    b.primitive(tags::AIP, &self.aip)?;
                    b.primitive(tags::AFL, &afl)?;
                    Ok(())
                })?;
                self.state = State::Processing;
            }
            Interface::Contactless => {
                let cdol1 = self.cdol1_from_pdol(pdol_data)?;
                let arqc = self.cryptogram(cdol1.as_slice())?;
                let mut t2 = [0u8; 19];
                let t2_len = self.track2_nibbles(&mut t2)?;
                let t2 = t2.get(..t2_len).ok_or(ErrorKind::BufferTooSmall)?;
                let t2 = t2.get(..t2_len).ok_or(ErrorKind::BufferTooSmall)?;
                b.constructed(tags::RESPONSE_MESSAGE_TEMPLATE_FORMAT_2, |b| {
                    b.primitive(tags::AIP, &self.aip)?;
                    b.primitive(tags::AFL, &afl)?;
                    b.primitive(tags::CID, &[0x80])?;
                    b.primitive(tags::ATC, &self.atc.to_be_bytes())?;
                    b.primitive(tags::AC, &arqc)?;
                    b.primitive(tags::IAD, self.iad.as_slice())?;
                    b.primitive(tags::TRACK_2_EQUIVALENT_DATA, t2)?;
                    b.primitive(tags::APPLICATION_PAN_SEQUENCE_NUMBER, &[bcd_byte(self.psn)])?;
                    Ok(())
                })?;
                self.cdol1_data = cdol1;
                self.state = State::Online { arqc };
            }
        }
        let n = b.finish();
        status(out, buf.get(..n).ok_or(ErrorKind::BufferTooSmall)?, 0x9000)
    }

    fn read_record(&mut self, p1: u8, p2: u8, out: &mut [u8]) -> Result<usize> {
        if self.state == State::Idle || p2 != 0x0C {
            return status(out, &[], 0x6A83);
        }
        let mut buf = [0u8; 200];
        let mut b = Builder::new(&mut buf);
        match p1 {
            1 => {
                let mut t2 = [0u8; 19];
                let n = self.track2_nibbles(&mut t2)?;
                let t2 = t2.get(..n).ok_or(ErrorKind::BufferTooSmall)?;
                b.constructed(tags::READ_RECORD_RESPONSE_MESSAGE_TEMPLATE, |b| {
                    b.primitive(tags::TRACK_2_EQUIVALENT_DATA, t2)?;
                    Ok(())
                })?;
            }
            2 => {
                let mut pan = [0u8; 10];
                let pan_len = self.pan_nibbles(&mut pan)?;
                let pan = pan.get(..pan_len).ok_or(ErrorKind::BufferTooSmall)?;
                let expiry = self.expiry_date()?;
                let mut service = [0u8; 2];
                let mut sc = *b"0000";
                if let Some(dst) = sc.get_mut(1..) {
                    dst.copy_from_slice(self.service_code.as_str().as_bytes());
                }
                pack_digits(&sc, 0, &mut service).ok_or(ErrorKind::InvalidInput)?;
                let cvm = self.cvm_list();
                b.constructed(tags::READ_RECORD_RESPONSE_MESSAGE_TEMPLATE, |b| {
                    b.primitive(tags::PAN, pan)?;
                    b.primitive(tags::APPLICATION_EXPIRATION_DATE, &expiry)?;
                    b.primitive(tags::SERVICE_CODE, &service)?;
                    b.primitive(tags::APPLICATION_PAN_SEQUENCE_NUMBER, &[bcd_byte(self.psn)])?;
                    b.primitive(tags::CDOL1, self.cdol1.as_slice())?;
                    b.primitive(tags::CDOL2, CDOL2_LIST)?;
                    b.primitive(tags::CARDHOLDER_VERIFICATION_METHOD_LIST, &cvm)?;
                    Ok(())
                })?;
            }
            _ => return status(out, &[], 0x6A83),
        }
        let n = b.finish();
        status(out, buf.get(..n).ok_or(ErrorKind::BufferTooSmall)?, 0x9000)
    }

    /// CVM list (tag `8E`): amounts X and Y zero, then one rule — online enciphered PIN when
    /// the service code's third digit asks for a PIN, otherwise no CVM.
    fn cvm_list(&self) -> [u8; 10] {
        let pin = matches!(
            self.service_code.as_str().as_bytes().get(2),
            Some(b'0' | b'3' | b'5' | b'6' | b'7')
        );
        let rule = if pin { 0x02 } else { 0x1F };
        [0, 0, 0, 0, 0, 0, 0, 0, rule, 0x00]
    }

    /// Tag `5F24`: YYMMDD with the last day of the month.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`] for an expiry month that does not exist (the expiry was
    /// checked to be 4 digits when the card was made, not its month).
    fn expiry_date(&self) -> Result<[u8; 3]> {
        let bad = || crate::Error::from(ErrorKind::InvalidInput);
        let &[y0, y1, m0, m1] = self.expiry.as_str().as_bytes() else {
            return Err(bad());
        };
        let num = |a: u8, b: u8| (a.wrapping_sub(b'0')) * 10 + b.wrapping_sub(b'0');
        let (yy, mm) = (num(y0, y1), num(m0, m1));
        let year = 2000 + u16::from(yy);
        let last = (28..=31)
            .rev()
            .find(|&d| DateTime::new(year, mm, d, 0, 0, 0).is_some())
            .ok_or_else(bad)?;
        Ok([bcd_byte(yy), bcd_byte(mm), bcd_byte(last)])
    }

    fn generate_ac(&mut self, p1: u8, data: &[u8], out: &mut [u8]) -> Result<usize> {
        let (cid, ac) = match self.state {
            State::Processing => {
                if data.len() != Dol::new(self.cdol1.as_slice())?.data_len() {
                    return status(out, &[], 0x6700);
                }
                self.cdol1_data = Bytes::from_slice(data)?;
                let ac = self.cryptogram(data)?;
                // The card always goes online for a first request of ARQC or TC; an AAC
                // request is honoured.
                if p1 & 0xC0 == 0x00 {
                    self.state = State::Done;
                    (0x00, ac)
                } else {
                    self.state = State::Online { arqc: ac };
                    (0x80, ac)
                }
            }
            State::Online { .. } if self.interface == Interface::Contact => {
                if data.len() != Dol::new(CDOL2_LIST)?.data_len() {
                    return status(out, &[], 0x6700);
                }
                let mut input = Bytes::<160>::new();
                input.extend(self.cdol1_data.as_slice())?;
                input.extend(data)?;
                let ac = self.cryptogram(input.as_slice())?;
                // A TC only when asked for and the issuer was authenticated (or did not try).
                let tc = p1 & 0xC0 == 0x40 && self.issuer_authenticated != Some(false);
                self.state = State::Done;
                (if tc { 0x40 } else { 0x00 }, ac)
            }
            _ => return status(out, &[], 0x6985),
        };
        let mut buf = [0u8; 64];
        let mut b = Builder::new(&mut buf);
        b.constructed(tags::RESPONSE_MESSAGE_TEMPLATE_FORMAT_2, |b| {
            b.primitive(tags::CID, &[cid])?;
            b.primitive(tags::ATC, &self.atc.to_be_bytes())?;
            b.primitive(tags::AC, &ac)?;
            b.primitive(tags::IAD, self.iad.as_slice())?;
            Ok(())
        })?;
        let n = b.finish();
        status(out, buf.get(..n).ok_or(ErrorKind::BufferTooSmall)?, 0x9000)
    }

    fn external_authenticate(&mut self, data: &[u8], out: &mut [u8]) -> Result<usize> {
        let State::Online { arqc } = self.state else {
            return status(out, &[], 0x6985);
        };
        let (Some(arpc), Some(&[a, b])) = (data.get(..8), data.get(8..10)) else {
            return status(out, &[], 0x6700);
        };
        let ok = self
            .method
            .verify_arpc(&self.session_key(), &arqc, [a, b], arpc)
            .is_ok();
        self.issuer_authenticated = Some(ok);
        status(out, &[], if ok { 0x9000 } else { 0x6300 })
    }

    /// The card as a consumer-presented QR code (EMV QRCPS, base64 into `out`): the
    /// application template with AID, label, track 2 equivalent data and PSN, and an
    /// application-specific transparent template (`63`) with an ARQC and the data it
    /// covers. The code is made before the amount is known, so the CDOL1 data carries amount
    /// 0, the date `today` and the wallet's unpredictable number `un`; the terminal forwards
    /// these values in field 55 for the host to check the ARQC.
    ///
    /// # Errors
    /// [`ErrorKind::BufferTooSmall`] (about 250 bytes are needed), a TLV error.
    pub fn consumer_qr<'o>(
        &mut self,
        un: [u8; 4],
        today: DateTime,
        out: &'o mut [u8],
    ) -> Result<&'o str> {
        self.next_atc()?;
        let values = CpmValues::new(un, today);
        let cdol1 = Dol::new(self.cdol1.as_slice())?;
        let mut data = [0u8; 128];
        let n = cdol1.build(|tag| values.get(tag), &mut data)?;
        let arqc = self.cryptogram(data.get(..n).ok_or(ErrorKind::BufferTooSmall)?)?;
        let mut t2 = [0u8; 19];
        let t2_len = self.track2_nibbles(&mut t2)?;
        let t2 = t2.get(..t2_len).ok_or(ErrorKind::BufferTooSmall)?;
        let mut tlv = [0u8; 256];
        let mut b = Builder::new(&mut tlv);
        b.primitive(tags::PAYLOAD_FORMAT_INDICATOR, b"CPV01")?;
        b.constructed(tags::APPLICATION_TEMPLATE, |b| {
            b.primitive(tags::APPLICATION_DEDICATED_FILE_NAME, self.aid.as_slice())?;
            b.primitive(tags::APPLICATION_LABEL, self.label.as_str().as_bytes())?;
            b.primitive(tags::TRACK_2_EQUIVALENT_DATA, t2)?;
            b.primitive(tags::APPLICATION_PAN_SEQUENCE_NUMBER, &[bcd_byte(self.psn)])?;
            b.constructed(tags::APPLICATION_SPECIFIC_TRANSPARENT_TEMPLATE, |b| {
                b.primitive(tags::AC, &arqc)?;
                b.primitive(tags::CID, &[0x80])?;
                b.primitive(tags::IAD, self.iad.as_slice())?;
                b.primitive(tags::ATC, &self.atc.to_be_bytes())?;
                b.primitive(tags::AIP, &self.aip)?;
                b.primitive(tags::UNPREDICTABLE_NUMBER, &un)?;
                for e in cdol1.iter() {
                    if e.tag() != tags::UNPREDICTABLE_NUMBER
                        && let Some(v) = values.get(e.tag())
                    {
                        b.primitive(e.tag(), v)?;
                    }
                }
                Ok(())
            })?;
            Ok(())
        })?;
        let len = b.finish();
        Ok(cardwire_emv::qr::encode_cpm(
            tlv.get(..len).ok_or(ErrorKind::BufferTooSmall)?,
            out,
        )?)
    }
}

/// The terminal-side values a consumer-presented code's cryptogram covers.
struct CpmValues {
    zero6: [u8; 6],
    country: [u8; 2],
    tvr: [u8; 5],
    date: [u8; 3],
    kind: [u8; 1],
    un: [u8; 4],
}

impl CpmValues {
    fn new(un: [u8; 4], today: DateTime) -> Self {
        Self {
            zero6: [0; 6],
            country: [0x01, 0x56],
            tvr: [0; 5],
            date: today.emv_date(),
            kind: [0x00],
            un,
        }
    }

    fn get(&self, tag: Tag) -> Option<&[u8]> {
        Some(match tag {
            t if t == tags::AMOUNT_AUTHORISED_NUMERIC || t == tags::AMOUNT_OTHER_NUMERIC => {
                &self.zero6
            }
            t if t == tags::TERMINAL_COUNTRY_CODE || t == tags::TRANSACTION_CURRENCY_CODE => {
                &self.country
            }
            t if t == tags::TVR => &self.tvr,
            t if t == tags::TRANSACTION_DATE => &self.date,
            t if t == tags::TRANSACTION_TYPE => &self.kind,
            t if t == tags::UNPREDICTABLE_NUMBER => &self.un,
            _ => return None,
        })
    }
}

impl CardReader for SimCard {
    fn transmit(&mut self, command: &[u8], response: &mut [u8]) -> Result<usize> {
        if self.removed {
            return Err(ErrorKind::Card { sw: 0 }.into());
        }
        let (header, body) = match command {
            [cla, ins, p1, p2, rest @ ..] => ([*cla, *ins, *p1, *p2], rest),
            _ => return status(response, &[], 0x6700),
        };
        // Case 1/2 (no data, optional Le) or case 3/4 (Lc, data, optional Le).
        let data: &[u8] = match body {
            [] | [_] => &[],
            [lc, rest @ ..] => {
                let n = usize::from(*lc);
                match rest.get(..n) {
                    Some(d) if rest.len() == n || rest.len() == n + 1 => d,
                    _ => return status(response, &[], 0x6700),
                }
            }
        };
        match header {
            [0x00, 0xA4, 0x04, 0x00] => self.select(data, response),
            [0x80, 0xA8, 0x00, 0x00] => self.gpo(data, response),
            [0x00, 0xB2, p1, p2] => self.read_record(p1, p2, response),
            [0x80, 0xAE, p1, 0x00] => self.generate_ac(p1, data, response),
            [0x00, 0x82, 0x00, 0x00] => self.external_authenticate(data, response),
            [cla, ..] if cla != 0x00 && cla != 0x80 => status(response, &[], 0x6E00),
            _ => status(response, &[], 0x6D00),
        }
    }
}
