//! Card checks the host makes as issuer of its cardholders: card number and track 2, expiry,
//! PIN (format 0 under the PIK, checked against the PVV), and the chip's ARQC.
//!
//! Each check answers `Err(code)` with the response code to decline with.

use alloc::string::String;

use cardwire_crypto::TdesKey;
use cardwire_crypto::block::TdesCipher;
use cardwire_crypto::card::verify_pvv_with;
use cardwire_crypto::emv::CdolProfile;
use cardwire_crypto::pin::{PinBlock, PinFormat};
use cardwire_crypto::sm::{PinCipher, SessionCiphers};
use cardwire_crypto::track::{self, MAX_TRACK_LEN, TrackKey};
use cardwire_emv::dol::Dol;
use cardwire_emv::tags;
use cardwire_emv::tlv::{Reader, Tag};
use cardwire_iso8583::Message;

use crate::registry::{Cardholder, IssuerKeys, Registry};
use cardwire_iso8583::cups::ResponseCode;
use cardwire_iso8583::time::DateTime;
use zeroize::Zeroizing;

/// The card data of a request: PAN and, from track 2, expiry and service code.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct CardData {
    pub pan: String,
    pub track2_expiry: Option<String>,
    pub service_code: Option<String>,
}

/// Reads the PAN (field 2, or the start of track 2 in field 35). `tdk` is the session's
/// track data key when the terminal's profile enciphers its tracks (field 53.3 `1`,
/// checked by `fields::check`): track 2 is deciphered before use, and a track 3 must
/// decipher too; a track that does not (changed, or under another key) declines as an
/// invalid card. The clear track is wiped after use.
pub(crate) fn card_data(
    msg: &Message<'_, '_>,
    tdk: Option<TrackKey<'_>>,
) -> Result<CardData, ResponseCode> {
    let field2: Option<String> = msg.get(2).map(|c| c.chars().collect());
    let mut data = CardData::default();
    let clear_track = |n: usize| -> Result<Option<Zeroizing<String>>, ResponseCode> {
        let Some(value) = msg.get(n) else {
            return Ok(None);
        };
        let text: Zeroizing<String> = Zeroizing::new(value.chars().collect());
        let Some(key) = tdk else {
            return Ok(Some(text));
        };
        let mut clear = Zeroizing::new([0u8; MAX_TRACK_LEN]);
        let len = track::decrypt(key, text.as_bytes(), clear.as_mut_slice())
            .map_err(|_| ResponseCode::InvalidCard)?;
        let clear = clear.get(..len).ok_or(ResponseCode::InvalidCard)?;
        let clear = core::str::from_utf8(clear).map_err(|_| ResponseCode::InvalidCard)?;
        Ok(Some(Zeroizing::new(clear.into())))
    };
    // Track 3 is not read for money, but an enciphered one that does not decipher is a
    // request changed before its MAC: declined like track 2.
    drop(clear_track(36)?);
    if let Some(text) = clear_track(35)? {
        let sep = text.find(['D', '=']).ok_or(ResponseCode::InvalidCard)?;
        data.pan = text.get(..sep).unwrap_or_default().into();
        let rest = text.get(sep + 1..).unwrap_or_default();
        data.track2_expiry = rest.get(..4).map(Into::into);
        data.service_code = rest.get(4..7).map(Into::into);
        if field2.as_ref().is_some_and(|p| *p != data.pan) {
            return Err(ResponseCode::InvalidCard);
        }
    } else {
        data.pan = field2.ok_or(ResponseCode::FormatError)?;
    }
    Ok(data)
}

/// Finds the cardholder and checks track 2 and expiry against the card file.
pub(crate) fn check_card<'r>(
    registry: &'r Registry,
    msg: &Message<'_, '_>,
    data: &CardData,
    now: DateTime,
) -> Result<&'r Cardholder, ResponseCode> {
    let card = registry
        .cardholder(&data.pan)
        .ok_or(ResponseCode::InvalidCard)?;
    let keyed_expiry: Option<String> = msg.get(14).map(|c| c.chars().collect());
    for (given, on_file) in [
        (data.track2_expiry.as_deref(), card.expiry.as_str()),
        (keyed_expiry.as_deref(), card.expiry.as_str()),
        (data.service_code.as_deref(), card.service_code.as_str()),
    ] {
        if given.is_some_and(|g| g != on_file) {
            return Err(ResponseCode::InvalidCard);
        }
    }
    let expiry: u16 = card.expiry.parse().map_err(|_| ResponseCode::InvalidCard)?;
    if expiry < now.yymm() {
        return Err(ResponseCode::ExpiredCard);
    }
    Ok(card)
}

/// Checks the PIN of field 52, when there is one, against the PVV: format 0 under a TDES
/// PIK, format 4 (16 bytes) under an SM4 PIK.
pub(crate) fn check_pin(
    issuer: &IssuerKeys,
    pvk: &TdesCipher,
    keys: &SessionCiphers,
    card: &Cardholder,
    msg: &Message<'_, '_>,
) -> Result<(), ResponseCode> {
    let Some(field) = msg.field(52) else {
        return Ok(());
    };
    let bytes = field.bytes().ok_or(ResponseCode::FormatError)?;
    let pin = match keys.pin() {
        PinCipher::Tdes(pik) => {
            let block: [u8; 8] = bytes.try_into().map_err(|_| ResponseCode::FormatError)?;
            PinBlock::decipher_with(&block, pik).decode_as(PinFormat::Iso0, Some(&card.pan))
        }
        PinCipher::Sm4(pik) => {
            let block: [u8; 16] = bytes.try_into().map_err(|_| ResponseCode::FormatError)?;
            cardwire_crypto::sm::pin::decipher_with(&block, pik, &card.pan)
                .and_then(|field| field.decode())
        }
    }
    .map_err(|_| ResponseCode::IncorrectPin)?;
    verify_pvv_with(pvk, &card.pan, issuer.pvki, &pin, &card.pvv)
        .map_err(|_| ResponseCode::IncorrectPin)
}

/// A verified ARQC: what the ARPC is computed from.
pub(crate) struct Arqc {
    profile: CdolProfile,
    session_key: TdesKey,
    arqc: [u8; 8],
}

impl Arqc {
    /// The ARPC by the card's profile, with the response code as ARC.
    pub(crate) fn arpc(&self, code: ResponseCode) -> ([u8; 8], [u8; 2]) {
        let arc = code.code();
        (self.profile.arpc(&self.session_key, &self.arqc, arc), arc)
    }
}

/// The chip data that must agree with the message, and that the ARQC must cover.
const BOUND_TO_MESSAGE: [Tag; 5] = [
    tags::AMOUNT_AUTHORISED_NUMERIC,
    tags::TRANSACTION_CURRENCY_CODE,
    tags::TRANSACTION_DATE,
    tags::TRANSACTION_TYPE,
    tags::UNPREDICTABLE_NUMBER,
];

/// `n` as `N` bytes of BCD (modulo 10^(2N)).
fn bcd<const N: usize>(mut n: u64) -> [u8; N] {
    let mut out = [0u8; N];
    for b in out.iter_mut().rev() {
        // Each digit is below 10: the casts cannot truncate.
        #[allow(clippy::cast_possible_truncation)]
        let (lo, hi) = ((n % 10) as u8, ((n / 10) % 10) as u8);
        *b = (hi << 4) | lo;
        n /= 100;
    }
    out
}

/// A `YYMMDD` BCD date as a date of 2000–2099.
fn emv_date(v: &[u8]) -> Option<DateTime> {
    let [y, m, d] = <[u8; 3]>::try_from(v).ok()?;
    let dec = |b: u8| (b >> 4 < 10 && b & 0xF < 10).then_some((b >> 4) * 10 + (b & 0xF));
    DateTime::new(2000 + u16::from(dec(y)?), dec(m)?, dec(d)?, 0, 0, 0)
}

/// Checks that field 55's amount, currency, date, transaction type and unpredictable
/// number agree with fields 4, 49, 13 (or the host's date, ± `days`: the terminal's clock) and
/// 3, and that the issuer's CDOL1 has the ARQC cover them. A message whose chip data says
/// something else than its fields is forged or broken: it is never approved.
fn check_bound_to_message(
    reader: &Reader<'_>,
    dol: &Dol<'_>,
    msg: &Message<'_, '_>,
    (now, days): (DateTime, u32),
) -> Result<(), ResponseCode> {
    let refuse = ResponseCode::SecurityFailure;
    if !BOUND_TO_MESSAGE
        .iter()
        .all(|t| dol.iter().any(|e| e.tag() == *t))
    {
        // The issuer's configuration leaves the ARQC blind to one of them.
        return Err(ResponseCode::SystemError);
    }
    let value = |t: Tag| reader.find(t).ok().flatten().map(|t| t.value());
    let amount = match msg.get(4) {
        Some(c) => c.to_u64().ok_or(ResponseCode::FormatError)?,
        None => 0,
    };
    // A consumer-presented QR code (entry mode 03) is made before the amount is known: its
    // cryptogram covers an amount of zero, and the amount is field 4's alone.
    let qr = msg
        .get(22)
        .and_then(|c| c.slice(0, 2))
        .is_some_and(|m| m.eq_str("03"));
    let chip_amount = value(tags::AMOUNT_AUTHORISED_NUMERIC);
    let zero = [0u8; 6];
    if chip_amount != Some(&bcd::<6>(amount)[..]) && !(qr && chip_amount == Some(&zero[..])) {
        return Err(refuse);
    }
    let currency = msg
        .get(49)
        .and_then(|c| c.to_u64())
        .ok_or(ResponseCode::FormatError)?;
    if value(tags::TRANSACTION_CURRENCY_CODE) != Some(&bcd::<2>(currency)[..]) {
        return Err(refuse);
    }
    let date = value(tags::TRANSACTION_DATE)
        .and_then(emv_date)
        .ok_or(refuse)?;
    if super::guard::days_between(date, now).unsigned_abs() > u64::from(days) {
        return Err(refuse);
    }
    if let Some(mmdd) = msg.get(13).and_then(|c| c.to_u64())
        && mmdd != u64::from(date.mmdd())
    {
        return Err(refuse);
    }
    // 9C is field 3's first two digits; a pre-authorisation's (03) may say goods (00).
    let processing = msg
        .get(3)
        .and_then(|c| c.slice(0, 2))
        .and_then(|c| c.to_u64())
        .ok_or(ResponseCode::FormatError)?;
    let kind = value(tags::TRANSACTION_TYPE).and_then(|v| <[u8; 1]>::try_from(v).ok());
    let expected = bcd::<1>(processing);
    let ok = kind == Some(expected) || (processing == 3 && kind == Some([0x00]));
    if !ok {
        return Err(refuse);
    }
    if value(tags::UNPREDICTABLE_NUMBER).map(<[u8]>::len) != Some(4) {
        return Err(refuse);
    }
    Ok(())
}

/// Verifies the ARQC of field 55, when there is one, by the issuer's card profile
/// ([`CdolProfile`], the definition the cards compute it with) over the CDOL1 data the
/// terminal sent, the AIP, the ATC and the IAD — once the chip data is known to agree with
/// the message's fields.
pub(crate) fn check_arqc(
    issuer: &IssuerKeys,
    imk_ac: &TdesCipher,
    card: &Cardholder,
    msg: &Message<'_, '_>,
    today: (DateTime, u32),
) -> Result<Option<Arqc>, ResponseCode> {
    let Some(field) = msg.field(55) else {
        return Ok(None);
    };
    let icc = field.bytes().ok_or(ResponseCode::FormatError)?;
    let reader = Reader::new(icc);
    let value = |t: Tag| -> Result<&[u8], ResponseCode> {
        reader
            .find(t)
            .ok()
            .flatten()
            .map(|t| t.value())
            .ok_or(ResponseCode::FormatError)
    };
    let wrong = |_| ResponseCode::FormatError;
    let arqc: [u8; 8] = value(tags::AC)?.try_into().map_err(wrong)?;
    let atc: [u8; 2] = value(tags::ATC)?.try_into().map_err(wrong)?;
    let aip: [u8; 2] = value(tags::AIP)?.try_into().map_err(wrong)?;
    let iad = value(tags::IAD)?;
    // The issuer's CDOL1 is configuration: one that does not parse is the host's fault.
    let dol = Dol::new(&issuer.cdol1).map_err(|_| ResponseCode::SystemError)?;
    check_bound_to_message(&reader, &dol, msg, today)?;
    let mut data = [0u8; 255];
    let n = dol
        .build_from(&reader, &mut data)
        .map_err(|_| ResponseCode::FormatError)?;
    let dol_data = data.get(..n).ok_or(ResponseCode::SystemError)?;
    let profile = issuer.profile;
    let mk = profile
        .icc_master_key_with(imk_ac, card.pan.as_bytes(), Some(card.psn))
        .map_err(|_| ResponseCode::SecurityFailure)?;
    let session_key = profile.session_key(&mk, atc);
    profile
        .verify(&session_key, dol_data, aip, atc, iad, &arqc)
        .map_err(|_| ResponseCode::SecurityFailure)?;
    Ok(Some(Arqc {
        profile,
        session_key,
        arqc,
    }))
}
