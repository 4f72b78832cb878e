//! Writing a reply frame: the request's TPDU swapped, its header echoed, the reply message with
//! the fields a CUPS POS expects back, and field 64 when the reply is MAC'd.

use cardwire_emv::tags;
use cardwire_emv::tlv::Builder;
use cardwire_iso8583::cups::{ResponseCode, SettlementTotals};
use cardwire_iso8583::frame::{FrameFormat, Tpdu};
use cardwire_iso8583::time::DateTime;
use cardwire_iso8583::{Encoder, Message, specs};

use super::Mac;
use crate::error::{Error, ErrorKind, Result};

/// The parts of a reply that are not echoed from the request.
pub(crate) struct ReplyParts<'a> {
    pub code: Option<ResponseCode>,
    pub time: DateTime,
    pub rrn: Option<&'a str>,
    pub auth_code: Option<&'a str>,
    /// Field 42 of the reply (the merchant number settled under); the request's when `None`.
    pub merchant_no: Option<&'a str>,
    pub balance: Option<i64>,
    /// Tag 91 of field 55: ARPC and ARC.
    pub issuer_auth: Option<([u8; 8], [u8; 2])>,
    pub settlement: Option<SettlementTotals>,
    /// Field 60 digits; the request's when `None`.
    pub field60: Option<&'a [u8]>,
    pub field62: Option<&'a [u8]>,
    /// The MAK and its algorithm when the reply carries a MAC.
    pub mac: Option<Mac<'a>>,
}

impl ReplyParts<'_> {
    /// Nothing but the time (fields 12 and 13): everything else echoed or left out.
    pub(crate) fn at(time: DateTime) -> Self {
        Self {
            code: None,
            time,
            rrn: None,
            auth_code: None,
            merchant_no: None,
            balance: None,
            issuer_auth: None,
            settlement: None,
            field60: None,
            field62: None,
            mac: None,
        }
    }
}

/// Field 54 for a balance: account type `10`, amount type `01` (ledger balance), currency
/// 156, sign `C`/`D`, 12 digits.
fn balance_field(balance: i64) -> [u8; 20] {
    let mut out = *b"1001156C000000000000";
    if balance < 0
        && let Some(s) = out.get_mut(7)
    {
        *s = b'D';
    }
    let digits = super::digits::<12>(balance.unsigned_abs());
    if let Some(amount) = out.get_mut(8..) {
        amount.copy_from_slice(&digits);
    }
    out
}

/// Writes the reply to `request` (its frame's TPDU and header given) into `out`; returns the
/// frame's length.
pub(crate) fn write_reply(
    request: &Message<'_, '_>,
    tpdu: Option<Tpdu>,
    header: &[u8],
    parts: &ReplyParts<'_>,
    out: &mut [u8],
) -> Result<usize> {
    let format = FrameFormat::CUPS;
    let head = format.head_len();
    let body = out
        .get_mut(head..)
        .ok_or(Error::new(ErrorKind::BufferTooSmall))?;
    let mti = request
        .mti()
        .response()
        .ok_or(Error::new(ErrorKind::NotARequest))?;
    let mut e = Encoder::new(&specs::CUPS, body, mti)?;
    let echo = |e: &mut Encoder<'_, '_>, n: usize| -> Result<()> {
        if let Some(f) = request.field(n) {
            e.copy(&f)?;
        }
        Ok(())
    };
    for n in [2, 3, 4, 11] {
        echo(&mut e, n)?;
    }
    let t = parts.time;
    e.field(12, &t.field12())?;
    e.field(13, &t.field13())?;
    if request.field(4).is_some() {
        // Settlement date of a financial transaction: the host's business day.
        e.field(15, &t.field13())?;
    }
    echo(&mut e, 25)?;
    if let Some(rrn) = parts.rrn {
        e.field(37, rrn.as_bytes())?;
    }
    if let Some(auth) = parts.auth_code {
        e.field(38, auth.as_bytes())?;
    }
    if let Some(code) = parts.code {
        e.field(39, &code.code())?;
    }
    echo(&mut e, 41)?;
    match parts.merchant_no {
        Some(m) => {
            e.field(42, m.as_bytes())?;
        }
        None => echo(&mut e, 42)?,
    }
    if let Some(totals) = parts.settlement {
        e.field(48, &totals.to_digits())?;
    }
    echo(&mut e, 49)?;
    if let Some(b) = parts.balance {
        e.field(54, &balance_field(b))?;
    }
    if let Some((arpc, arc)) = parts.issuer_auth {
        let mut value = [0u8; 10];
        let (a, b) = value.split_at_mut(8);
        a.copy_from_slice(&arpc);
        b.copy_from_slice(&arc);
        let mut tlv = [0u8; 16];
        let mut builder = Builder::new(&mut tlv);
        builder.primitive(tags::ISSUER_AUTHENTICATION_DATA, &value)?;
        let n = builder.finish();
        e.field(55, tlv.get(..n).ok_or(ErrorKind::BufferTooSmall)?)?;
    }
    match parts.field60 {
        Some(f) => {
            e.field(60, f)?;
        }
        None => echo(&mut e, 60)?,
    }
    echo(&mut e, 61)?;
    if let Some(k) = parts.field62 {
        e.field(62, k)?;
    }
    if parts.mac.is_some() {
        e.field(64, &[0; 8])?;
    }
    let done = e.finish()?;
    if let (Some(mak), Some(mac), Some(mab)) = (parts.mac, done.mac.clone(), done.mab()) {
        // The MAC covers exactly what the encoder says; a range outside the message is a
        // bug, never an empty MAC input.
        let mab = body.get(mab).ok_or(ErrorKind::BufferTooSmall)?;
        let value = mak.keys.field64(mak.algorithm, mab)?;
        body.get_mut(mac)
            .ok_or(Error::new(ErrorKind::BufferTooSmall))?
            .copy_from_slice(&value);
    }
    let tpdu = tpdu.map(|t| t.reply());
    format.write_head(tpdu, header, done.len, out)?;
    Ok(head + done.len)
}
