//! The test suite's own terminal: a request builder that speaks to the host the way a
//! terminal does (sign-in, MAC, format-0 PIN under the PIK, field 55 with an ARQC computed by
//! the independent [`oracle`]), written apart from `cardwire-pos` so that the
//! host's tests do not rest on the terminal they serve.

use cardwire_acquirer::ResponseCode;
use cardwire_crypto::TdesKey;
use cardwire_crypto::cups::{Field62, MacAlgorithm, WorkingKeys, sign_in_proof};
use cardwire_crypto::emv::verify_arpc_method1;
use cardwire_crypto::pin::{Pin, PinBlock, PinFormat};
use cardwire_emv::tags;
use cardwire_emv::tlv::{Builder, Reader};
use cardwire_iso8583::cups::{Original, Reply, Request, SettlementTotals, Transaction};
use cardwire_iso8583::frame::{FrameFormat, Progress, Tpdu};
use cardwire_iso8583::time::DateTime;
use cardwire_iso8583::{Message, specs};

use crate::fixtures::{CardFixture, Fixtures};
use crate::oracle;

/// How the card is presented.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Entry {
    /// Magnetic stripe: track 2 (field 35).
    Swipe,
    /// Contact chip: field 2, 23, 35 (track 2 equivalent) and 55 with an ARQC.
    Chip,
    /// Contactless: as chip, entry mode 07.
    Tap,
}

/// One request to build.
#[derive(Clone, Debug)]
pub struct Req<'a> {
    /// The transaction.
    pub transaction: Transaction,
    /// The card, if the transaction carries one.
    pub card: Option<&'a CardFixture>,
    /// How it is presented.
    pub entry: Entry,
    /// The PIN entered (field 52), if any.
    pub pin: Option<&'a str>,
    /// Amount in fen.
    pub amount: Option<u64>,
    /// Field 61.
    pub original: Option<Original>,
    /// Field 37.
    pub rrn: Option<&'a str>,
    /// Field 38.
    pub auth_code: Option<&'a str>,
    /// Field 48.
    pub totals: Option<SettlementTotals>,
    /// The ATC the card uses for its ARQC.
    pub atc: u16,
}

impl<'a> Req<'a> {
    /// A request for `transaction` with nothing else set.
    pub fn new(transaction: Transaction) -> Self {
        Self {
            transaction,
            card: None,
            entry: Entry::Swipe,
            pin: None,
            amount: None,
            original: None,
            rrn: None,
            auth_code: None,
            totals: None,
            atc: 1,
        }
    }

    /// A purchase of `amount` fen with `card` presented as `entry`, PIN `pin`.
    pub fn purchase(
        card: &'a CardFixture,
        entry: Entry,
        pin: Option<&'a str>,
        amount: u64,
    ) -> Self {
        Self {
            card: Some(card),
            entry,
            pin,
            amount: Some(amount),
            ..Self::new(Transaction::Purchase)
        }
    }
}

/// What a reply said.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReplyView {
    /// The reply MTI.
    pub mti: u16,
    /// Field 39.
    pub code: Option<ResponseCode>,
    /// Field 37.
    pub rrn: Option<String>,
    /// Field 38.
    pub auth_code: Option<String>,
    /// Field 42.
    pub merchant_no: Option<String>,
    /// Field 54's balance.
    pub balance: Option<i64>,
    /// Field 48.
    pub settlement: Option<SettlementTotals>,
    /// Whether field 64 was present (and verified: a reply whose MAC fails is an error).
    pub mac: bool,
    /// Tag 91 verified against the ARQC sent.
    pub arpc_ok: Option<bool>,
    /// Field 60.2.
    pub batch: Option<u32>,
}

/// A request builder with a terminal's identity and keys.
#[derive(Clone, Debug)]
pub struct TestTerminal {
    /// Field 41.
    pub terminal_id: String,
    /// Field 42.
    pub merchant_no: String,
    tmk: TdesKey,
    keys: Option<WorkingKeysHeld>,
    imk_ac: TdesKey,
    aip: Vec<u8>,
    iad: Vec<u8>,
    /// The batch.
    pub batch: u32,
    /// The last STAN used.
    pub stan: u32,
    /// The device serial number sent in field 62 at sign-in, if any.
    pub serial: Option<String>,
    /// How field 64 is computed (the terminal profile's algorithm).
    pub mac: MacAlgorithm,
    /// The terminal's date, for tag `9A` (the test host's [`crate::HOST_TIME`] unless set).
    pub date: DateTime,
    /// The TPDU its frames carry (the terminal profile's; [`TPDU`] unless set).
    pub tpdu: Tpdu,
    /// The CUPS header its frames carry ([`HEADER`] unless set).
    pub header: [u8; 6],
    last_arqc: Option<([u8; 8], TdesKey)>,
}

#[derive(Clone)]
struct WorkingKeysHeld(WorkingKeys);

impl core::fmt::Debug for WorkingKeysHeld {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("WorkingKeys")
    }
}

/// The CUPS header of the fixtures.
pub const HEADER: [u8; 6] = [0x60, 0x31, 0x00, 0x31, 0x02, 0x08];
/// The TPDU of the fixtures (`6000030000`).
pub const TPDU: Tpdu = Tpdu::new([0x00, 0x03], [0x00, 0x00]);

impl TestTerminal {
    /// A terminal with this identity; `fixtures` gives the card profile.
    pub fn new(terminal_id: &str, merchant_no: &str, tmk: TdesKey, fixtures: &Fixtures) -> Self {
        Self {
            terminal_id: terminal_id.into(),
            merchant_no: merchant_no.into(),
            tmk,
            keys: None,
            imk_ac: fixtures.imk_ac.clone(),
            aip: fixtures.profile.aip.to_vec(),
            iad: fixtures.profile.iad.clone(),
            batch: 1,
            stan: 0,
            serial: None,
            mac: MacAlgorithm::RetailX919,
            date: crate::HOST_TIME,
            tpdu: TPDU,
            header: HEADER,
            last_arqc: None,
        }
    }

    fn next_stan(&mut self) -> u32 {
        self.stan = self.stan % 999_999 + 1;
        self.stan
    }

    /// Frames a message that was encoded at `out[13..13 + len]`.
    fn frame(&self, out: &mut [u8], len: usize) -> usize {
        let head = FrameFormat::CUPS.head_len();
        FrameFormat::CUPS
            .write_head(Some(self.tpdu), &self.header, len, out)
            .map_or(0, |h| h + len.min(out.len().saturating_sub(head)))
    }

    /// A sign-in request frame: its [`TestTerminal::date`] in fields 12 and 13, the serial
    /// number (if set) in field 62, the proof under the key derived from the TMK in field 64.
    pub fn sign_in(&mut self, out: &mut [u8]) -> usize {
        let stan = self.next_stan();
        let head = FrameFormat::CUPS.head_len();
        let body = out.get_mut(head..).unwrap_or_default();
        let (time, date) = (self.date.field12(), self.date.field13());
        let (Ok(time), Ok(date)) = (core::str::from_utf8(&time), core::str::from_utf8(&date))
        else {
            return 0;
        };
        let mut r = Request::new(Transaction::SignIn, &self.terminal_id, &self.merchant_no)
            .stan(stan)
            .batch(self.batch)
            .operator("001")
            .time(time)
            .date(date)
            .with_mac();
        if let Some(serial) = &self.serial {
            r = r.private62(serial.as_bytes());
        }
        let Ok(done) = r.encode(body) else {
            return 0;
        };
        if let (Some(mab), Some(mac)) = (done.mab(), done.mac.clone()) {
            let proof = sign_in_proof(&self.tmk, body.get(mab).unwrap_or_default())
                .expect("a double-length TMK");
            if let Some(slot) = body.get_mut(mac) {
                slot.copy_from_slice(&proof);
            }
        }
        self.frame(out, done.len)
    }

    /// Takes the working keys and batch from a sign-in reply.
    ///
    /// # Errors
    /// A reply that does not decode, a decline, or field 62 that does not decrypt.
    pub fn accept_sign_in(&mut self, reply: &[u8]) -> Result<ResponseCode, String> {
        let msg = message(reply)?;
        let r = Reply(&msg);
        let code = r
            .response_code()
            .and_then(ResponseCode::parse)
            .ok_or("no field 39")?;
        if !code.is_approved() {
            return Ok(code);
        }
        let f62 = r.working_keys().ok_or("no field 62")?;
        let keys = Field62::parse(f62)
            .and_then(|f| f.decrypt(&self.tmk))
            .map_err(|e| e.to_string())?;
        self.keys = Some(WorkingKeysHeld(keys));
        if let Some(b) = r.batch() {
            self.batch = b;
        }
        Ok(code)
    }

    /// Whether the terminal holds working keys.
    pub fn signed_in(&self) -> bool {
        self.keys.is_some()
    }

    /// Builds `req` with the next STAN; returns the frame length and the STAN used.
    ///
    /// # Panics
    /// Before sign-in, or when the request does not encode (test support).
    pub fn request(&mut self, req: &Req<'_>, out: &mut [u8]) -> (usize, u32) {
        let stan = self.next_stan();
        (self.build(req, stan, false, out), stan)
    }

    /// Builds the reversal of `req` sent with STAN `stan`.
    pub fn reversal(&mut self, req: &Req<'_>, stan: u32, out: &mut [u8]) -> usize {
        self.build(req, stan, true, out)
    }

    /// Builds `req` with STAN `stan` (a repeat, for duplicate tests).
    pub fn request_with_stan(&mut self, req: &Req<'_>, stan: u32, out: &mut [u8]) -> usize {
        self.build(req, stan, false, out)
    }

    fn build(&mut self, req: &Req<'_>, stan: u32, reversal: bool, out: &mut [u8]) -> usize {
        let keys = self.keys.as_ref().expect("sign in first").0.clone();
        let t = req.transaction;
        let mut icc = [0u8; 200];
        let mut icc_len = 0;
        if let Some(card) = req.card
            && req.entry != Entry::Swipe
            && !reversal
        {
            icc_len = self.field55(card, req, &mut icc);
        }
        let mut r = Request::new(t, &self.terminal_id, &self.merchant_no)
            .stan(stan)
            .batch(self.batch)
            .with_mac();
        if reversal {
            r = r.reversal("98");
        }
        if let Some(a) = req.amount {
            r = r.amount(a);
        }
        let track2;
        let mut pin_block = [0u8; 8];
        let mut psn = String::new();
        if let Some(card) = req.card {
            track2 = format!(
                "{}D{}{}0000000000",
                card.pan, card.expiry, card.service_code
            );
            let entry_mode = match (req.entry, req.pin.is_some()) {
                (Entry::Swipe, true) => "021",
                (Entry::Swipe, false) => "022",
                (Entry::Chip, true) => "051",
                (Entry::Chip, false) => "052",
                (Entry::Tap, true) => "071",
                (Entry::Tap, false) => "072",
            };
            r = r.track2(&track2).currency("156");
            if let Some(pin) = req.pin {
                let pin = Pin::new(pin).expect("PIN");
                let block =
                    PinBlock::new(PinFormat::Iso0, &pin, Some(&card.pan), None).expect("PIN block");
                pin_block = block.encipher(&keys.pin);
                r = r.pin_capture("06").security("2600000000000000");
            }
            if req.entry != Entry::Swipe && !reversal {
                psn = format!("{:03}", card.psn);
            }
            r = r.entry_mode(entry_mode);
        }
        if req.pin.is_some() && req.card.is_some() {
            r = r.pin_block(&pin_block);
        }
        if let Some(card) = req.card
            && req.entry != Entry::Swipe
        {
            r = r.pan(&card.pan);
            if !reversal {
                r = r
                    .card_sequence(&psn)
                    .icc(icc.get(..icc_len).unwrap_or_default());
            }
        }
        if let Some(o) = req.original {
            r = r.original(o);
        }
        if let Some(rrn) = req.rrn {
            r = r.rrn(rrn);
        }
        if let Some(a) = req.auth_code {
            r = r.auth_code(a);
        }
        if let Some(t) = req.totals {
            r = r.settlement(t).currency("156");
        }
        let head = FrameFormat::CUPS.head_len();
        let body = out.get_mut(head..).unwrap_or_default();
        let done = r.encode(body).expect("request encodes");
        let mab = done.mab().expect("MAB");
        let mac = self
            .mac
            .field64(&keys.mac, body.get(mab).unwrap_or_default())
            .expect("a double-length MAK");
        if let Some(slot) = done.mac.clone().and_then(|m| body.get_mut(m)) {
            slot.copy_from_slice(&mac);
        }
        self.frame(out, done.len)
    }

    /// Field 55 with an ARQC by the card profile.
    fn field55(&mut self, card: &CardFixture, req: &Req<'_>, out: &mut [u8]) -> usize {
        let amount = req.amount.unwrap_or(0);
        let digits = format!("{amount:012}");
        let amount_bcd: [u8; 6] = cardwire_emv::hex::decode_to_vec(&digits)
            .expect("12 digits")
            .try_into()
            .expect("6 bytes");
        let atc = req.atc.to_be_bytes();
        let un = [0x12, 0x34, 0x56, 0x78];
        let tvr = [0u8; 5];
        let date = self.date.emv_date();
        let cdol_data: Vec<u8> = [
            &amount_bcd[..],
            &[0; 6],
            &[0x01, 0x56],
            &tvr,
            &[0x01, 0x56],
            &date,
            &[0x00],
            &un,
        ]
        .concat();
        let sk = oracle::session_key(&self.imk_ac, &card.pan, Some(card.psn), atc);
        let arqc = oracle::cryptogram(&sk, &cdol_data, &self.aip, atc, &self.iad);
        self.last_arqc = Some((arqc, sk));
        let mut b = Builder::new(out);
        b.primitive(tags::AC, &arqc)
            .and_then(|b| b.primitive(tags::CID, &[0x80]))
            .and_then(|b| b.primitive(tags::IAD, &self.iad))
            .and_then(|b| b.primitive(tags::UNPREDICTABLE_NUMBER, &un))
            .and_then(|b| b.primitive(tags::ATC, &atc))
            .and_then(|b| b.primitive(tags::TVR, &tvr))
            .and_then(|b| b.primitive(tags::TRANSACTION_DATE, &date))
            .and_then(|b| b.primitive(tags::TRANSACTION_TYPE, &[0x00]))
            .and_then(|b| b.primitive(tags::AMOUNT_AUTHORISED_NUMERIC, &amount_bcd))
            .and_then(|b| b.primitive(tags::TRANSACTION_CURRENCY_CODE, &[0x01, 0x56]))
            .and_then(|b| b.primitive(tags::AIP, &self.aip))
            .and_then(|b| b.primitive(tags::TERMINAL_COUNTRY_CODE, &[0x01, 0x56]))
            .and_then(|b| b.primitive(tags::AMOUNT_OTHER_NUMERIC, &[0; 6]))
            .expect("field 55");
        b.finish()
    }

    /// Reads a reply, verifying its MAC when it has one, and the ARPC of tag 91 against the
    /// last ARQC sent.
    ///
    /// # Errors
    /// A reply that does not decode or whose MAC does not verify.
    pub fn read_reply(&mut self, frame: &[u8]) -> Result<ReplyView, String> {
        let msg = message(frame)?;
        let mac = match (msg.mac(), msg.mab(), &self.keys) {
            (Some(m), Some(mab), Some(k)) => {
                self.mac
                    .verify_field64(&k.0.mac, mab, m.value())
                    .map_err(|_| "reply MAC fails")?;
                true
            }
            _ => false,
        };
        let r = Reply(&msg);
        let code = r.response_code().and_then(ResponseCode::parse);
        let arpc_ok = msg.field(55).and_then(|f| f.bytes()).and_then(|icc| {
            let tag91 = Reader::new(icc)
                .find(tags::ISSUER_AUTHENTICATION_DATA)
                .ok()??;
            let v = tag91.value();
            let (arqc, sk) = self.last_arqc.as_ref()?;
            let arc: [u8; 2] = v.get(8..10)?.try_into().ok()?;
            Some(
                verify_arpc_method1(sk, arqc, arc, v.get(..8)?).is_ok()
                    && code.map(|c| c.code()) == Some(arc),
            )
        });
        Ok(ReplyView {
            mti: msg.mti().to_u16(),
            code,
            rrn: r.rrn().map(Into::into),
            auth_code: r.auth_code().map(Into::into),
            merchant_no: msg.field(42).and_then(|f| f.as_str()).map(Into::into),
            balance: r.balance(),
            settlement: r.settlement(),
            mac,
            arpc_ok,
            batch: r.batch(),
        })
    }
}

/// Decodes the message of a reply frame.
///
/// # Errors
/// When the frame or the message does not decode.
pub fn message(frame: &[u8]) -> Result<Message<'_, 'static>, String> {
    let Ok(Progress::Complete(f)) = FrameFormat::CUPS.read(frame) else {
        return Err("not a whole frame".into());
    };
    Message::decode(&specs::CUPS, f.message).map_err(|e| e.to_string())
}

impl TestTerminal {
    /// Dates the terminal's chip data today (China time), as a terminal talking to a host that
    /// answers on the system clock must: the host refuses chip data dated far from its day.
    ///
    /// # Panics
    /// When the system clock is before 1970 (a test kit helper).
    #[allow(clippy::expect_used)]
    pub fn dated_today(&mut self) {
        self.date = DateTime::now(DateTime::CHINA).expect("a system clock after 1970");
    }

    /// Recomputes field 64 of a request frame under the terminal's MAK, when the frame holds
    /// a message that decodes and ends with a MAC (fuzzing reaches past the MAC check so).
    pub fn remac(&self, frame: &mut [u8]) {
        let Some(keys) = &self.keys else { return };
        let Ok(Progress::Complete(f)) = FrameFormat::CUPS.read(frame) else {
            return;
        };
        let offset = f.message_offset();
        let Ok(msg) = Message::decode(&specs::CUPS, f.message) else {
            return;
        };
        let (Some(mab), Some(mac)) = (msg.mab(), msg.mac()) else {
            return;
        };
        let Ok(value) = self.mac.field64(&keys.0.mac, mab) else {
            return;
        };
        let at = offset + mac.value_offset();
        if let Some(slot) = frame.get_mut(at..at + 8) {
            slot.copy_from_slice(&value);
        }
    }
}
