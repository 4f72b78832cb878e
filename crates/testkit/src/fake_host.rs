//! The test suite's scripted acquirer host for the terminal's tests: it answers a
//! terminal's requests with correct MACs, checks PINs and ARQCs (with the independent
//! [`oracle`]) and answers the ARPC — built from cardwire-iso8583 and
//! cardwire-crypto, not from cardwire-acquirer, so the terminal is not tested against the
//! host it will meet.

use cardwire_crypto::TdesKey;
use cardwire_crypto::cups::{MacAlgorithm, encrypt_field62};
use cardwire_crypto::emv::arpc_method1;
use cardwire_crypto::pin::{PinBlock, PinFormat};
use cardwire_emv::dol::Dol;
use cardwire_emv::hex::decode_to_vec as hex;
use cardwire_emv::tags;
use cardwire_emv::tlv::{Builder, Reader, Tag};
use cardwire_iso8583::cups::{SettlementTotals, Transaction};
use cardwire_iso8583::frame::{FrameFormat, Progress};
use cardwire_iso8583::time::DateTime;
use cardwire_iso8583::{Encoder, Message, Mti, specs};
use cardwire_pos::Terminal;
use cardwire_pos::card::Interface;

use crate::fixtures::Fixtures;
use crate::oracle;

/// A key from hex.
pub fn key(hex_text: &str) -> TdesKey {
    TdesKey::new(&hex(hex_text).unwrap()).unwrap()
}

/// The terminal's clock in the terminal tests: 2026-11-26 01:23:45.
pub fn now() -> DateTime {
    DateTime::new(2026, 11, 26, 1, 23, 45).unwrap()
}

/// A decoded request frame.
pub fn decode(frame: &[u8]) -> Message<'_, 'static> {
    let Progress::Complete(f) = FrameFormat::CUPS.read(frame).unwrap() else {
        panic!("incomplete frame")
    };
    assert_eq!(f.len, frame.len());
    assert_eq!(f.header, &[0x60, 0x31, 0x00, 0x31, 0x02, 0x08]);
    Message::decode(&specs::CUPS, f.message).unwrap()
}

/// A scripted acquirer host: approves what it can check, with MACs under its MAK.
#[derive(Debug)]
pub struct FakeHost {
    /// The terminal's master key.
    pub tmk: TdesKey,
    /// The PIN key it hands out at sign-in.
    pub pik: TdesKey,
    /// The MAC key it hands out at sign-in.
    pub mak: TdesKey,
    /// The issuer master key for AC.
    pub imk: TdesKey,
    /// The cards' CDOL1.
    pub cdol1: Vec<u8>,
    /// PAN and PIN of every cardholder.
    pub pins: Vec<(String, String)>,
    /// The last RRN given.
    pub rrn: u64,
    /// Batch number a sign-in reply gives.
    pub batch: u32,
    /// Field 48 result digit of a settlement reply (1 balanced, 2 unbalanced).
    pub settle_result: u8,
    /// The ARQCs verified so far.
    pub arqcs_verified: usize,
    /// Corrupt the ARPC (the card must then refuse).
    pub bad_arpc: bool,
    /// The merchant number replies carry in field 42 instead of the request's (an acquirer
    /// that rotates merchant numbers).
    pub merchant_no: Option<String>,
    /// The MAC algorithm of the terminal's profile.
    pub mac: MacAlgorithm,
}

impl FakeHost {
    /// The host of the noodle shop's terminal (`noodle-1`): fixed working keys, the issuer
    /// master key and the cardholders' PINs of `f`.
    pub fn new(f: &Fixtures) -> Self {
        Self {
            tmk: f.terminal("noodle-1").tmk.clone(),
            pik: key("0123456789ABCDEF1032547698BADCFE"),
            mak: key("F1E2D3C4B5A69788796A5B4C3D2E1F00"),
            imk: f.imk_ac.clone(),
            cdol1: f.profile.cdol1.clone(),
            pins: f
                .cards
                .iter()
                .map(|c| (c.pan.clone(), c.pin.clone()))
                .collect(),
            rrn: 100_000_000_000,
            batch: 7,
            settle_result: 1,
            arqcs_verified: 0,
            bad_arpc: false,
            merchant_no: None,
            mac: f.terminal("noodle-1").profile.mac,
        }
    }

    /// Checks the ARQC of field 55 against the fixtures' card profile; returns the session
    /// key and the ARQC.
    pub fn verify_arqc(
        &self,
        pan: &str,
        psn: Option<u8>,
        f55: &[u8],
    ) -> Result<(TdesKey, [u8; 8]), String> {
        let r = Reader::lenient(f55);
        let get = |t: Tag| {
            r.find(t)
                .unwrap()
                .map(|x| x.value().to_vec())
                .ok_or(format!("tag {t:?} missing"))
        };
        let dol = Dol::new(&self.cdol1).unwrap();
        let mut cdol_data = vec![0u8; dol.data_len()];
        dol.build_from(&r, &mut cdol_data).unwrap();
        let atc: [u8; 2] = get(tags::ATC)?.try_into().unwrap();
        let sk = oracle::session_key(&self.imk, pan, psn, atc);
        let ac = get(tags::AC)?;
        let expected = oracle::cryptogram(&sk, &cdol_data, &get(tags::AIP)?, atc, &get(tags::IAD)?);
        if expected[..] != ac[..] {
            return Err(format!("ARQC: {ac:02X?} is not {expected:02X?}"));
        }
        Ok((sk, ac.try_into().unwrap()))
    }

    /// The field 62 of a sign-in reply.
    pub fn field62(&self) -> Vec<u8> {
        let mut out = [0u8; 84];
        let n = encrypt_field62(&self.tmk, &self.pik, &self.mak, None, &mut out).unwrap();
        out[..n].to_vec()
    }

    /// Answers a request frame: checks its MAC, PIN and ARQC and approves.
    pub fn answer(&mut self, frame: &[u8]) -> Vec<u8> {
        let msg = decode(frame);
        let t = Transaction::of(&msg).expect("a CUPS transaction");
        let mut code = "00";
        if msg.mti().to_u16() != 800 {
            self.mac
                .verify_field64(&self.mak, msg.mab().unwrap(), msg.mac().unwrap().value())
                .expect("request MAC");
        }
        let pan = msg.get(2).map(|c| c.to_string());
        if let (Some(block), Some(pan)) = (msg.field(52), pan.as_deref()) {
            let clear = PinBlock::decipher(block.value().try_into().unwrap(), &self.pik);
            let pin = clear.decode_as(PinFormat::Iso0, Some(pan)).unwrap();
            let want = &self.pins.iter().find(|(p, _)| p == pan).unwrap().1;
            if pin.as_str() != want {
                code = "55";
            }
        }
        let mut extra: Vec<(usize, Vec<u8>)> = Vec::new();
        let reversal = msg.mti().to_u16() == 400;
        if let (Some(f55), Some(pan), false) = (msg.field(55), pan.as_deref(), reversal)
            && matches!(
                t,
                Transaction::Purchase | Transaction::PreAuth | Transaction::Balance
            )
        {
            let psn = msg
                .get(23)
                .map(|c| u8::try_from(c.to_u64().unwrap()).unwrap());
            let (sk, arqc) = self.verify_arqc(pan, psn, f55.value()).unwrap();
            self.arqcs_verified += 1;
            let arc = [code.as_bytes()[0], code.as_bytes()[1]];
            let mut arpc = arpc_method1(&sk, &arqc, arc);
            if self.bad_arpc {
                arpc[0] ^= 1;
            }
            let mut v = arpc.to_vec();
            v.extend(arc);
            let mut buf = [0u8; 32];
            let mut b = Builder::new(&mut buf);
            b.primitive(tags::ISSUER_AUTHENTICATION_DATA, &v).unwrap();
            let n = b.finish();
            extra.push((55, buf[..n].to_vec()));
        }
        match t {
            Transaction::SignIn if !reversal => extra.push((62, self.field62())),
            Transaction::Balance if code == "00" => {
                extra.push((54, b"1002156C000000123456".to_vec()))
            }
            Transaction::Settlement => {
                let mut totals = SettlementTotals::from_message(&msg).unwrap();
                totals.domestic.result = self.settle_result;
                extra.push((48, totals.to_digits().to_vec()));
            }
            _ => {}
        }
        self.reply(&msg, code, &extra, msg.mti().to_u16() != 800)
    }

    /// The reply to `req` with response code `code`, echoing its identifying fields, plus
    /// `extra`; with a MAC under the host's MAK when `mac`.
    pub fn reply(
        &mut self,
        req: &Message<'_, '_>,
        code: &str,
        extra: &[(usize, Vec<u8>)],
        mac: bool,
    ) -> Vec<u8> {
        let mut buf = vec![0u8; 1024];
        let mti = Mti::from_u16(req.mti().to_u16() + 10).unwrap();
        let mut e = Encoder::new(&specs::CUPS, &mut buf, mti).unwrap();
        self.rrn += 1;
        let rrn = format!("{:012}", self.rrn);
        let auth = format!("{:06}", self.rrn % 1_000_000);
        let mut fields: Vec<(usize, Option<Vec<u8>>)> = vec![
            (12, Some(b"012346".to_vec())),
            (13, Some(b"1126".to_vec())),
            (37, Some(rrn.into_bytes())),
            (38, Some(auth.into_bytes())),
            (39, Some(code.as_bytes().to_vec())),
        ];
        let sign_in = req.mti().to_u16() == 800;
        if sign_in {
            fields.push((60, Some(format!("00{:06}003", self.batch).into_bytes())));
        }
        if let Some(m) = &self.merchant_no {
            fields.push((42, Some(m.clone().into_bytes())));
        }
        for n in [2, 3, 4, 11, 25, 41, 42, 49, 60] {
            if (n == 60 && sign_in) || (n == 42 && self.merchant_no.is_some()) {
                continue;
            }
            if req.field(n).is_some() {
                fields.push((n, None));
            }
        }
        for (n, v) in extra {
            fields.push((*n, Some(v.clone())));
        }
        fields.sort_by_key(|(n, _)| *n);
        for (n, v) in &fields {
            match v {
                Some(v) => e.field(*n, v).unwrap(),
                None => e.copy(&req.field(*n).unwrap()).unwrap(),
            };
        }
        if mac {
            e.field(64, &[0; 8]).unwrap();
        }
        let done = e.finish().unwrap();
        if let (Some(m), Some(mab)) = (done.mac.clone(), done.mab()) {
            let v = self.mac.field64(&self.mak, &buf[mab]).unwrap();
            buf[m].copy_from_slice(&v);
        }
        let mut frame = vec![0u8; done.len + 13];
        let tpdu = cardwire_iso8583::frame::Tpdu::new([0, 3], [0, 0]).reply();
        let n = FrameFormat::CUPS
            .write(
                Some(tpdu),
                &[0x60, 0x31, 0x00, 0x31, 0x02, 0x08],
                &buf[..done.len],
                &mut frame,
            )
            .unwrap();
        frame.truncate(n);
        frame
    }
}

/// Signs `t` in with `host`.
pub fn sign_in<const J: usize>(t: &mut Terminal<J>, host: &mut FakeHost) {
    let mut out = [0u8; 512];
    let sent = t.sign_in(now(), &mut out).unwrap();
    let reply = host.answer(&out[..sent.len]);
    t.on_reply(&reply).unwrap();
    assert!(t.is_signed_in());
}

/// A name for an interface, for seed file names.
pub fn interface_name(i: Interface) -> &'static str {
    match i {
        Interface::Contact => "contact",
        Interface::Contactless => "contactless",
    }
}
