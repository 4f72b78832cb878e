//! Writing a request: the pending reversal in its place when one waits, the CUPS message with
//! its MAC, framed with the terminal's TPDU and header.

use cardwire_crypto::track::{self, MAX_TRACK_LEN};
use cardwire_iso8583::cups::{Request, Transaction, profile_spec};
use cardwire_iso8583::frame::FrameFormat;

use super::{Pending, READ_CAPABILITY, Sent, Terminal};
use crate::error::{ErrorKind, Result};
use crate::text::{Bytes, digits};

impl<const J: usize> Terminal<J> {
    /// Writes `p` (or the pending reversal in its place) and puts it in flight.
    pub(super) fn start(&mut self, mut p: Pending, out: &mut [u8]) -> Result<Sent> {
        if self.in_flight.is_some() {
            return Err(ErrorKind::Busy.into());
        }
        if !p.transaction.is_network_management() {
            if self.keys.is_none() {
                return Err(ErrorKind::NotSignedIn.into());
            }
            if let Some(rev) = &self.reversal {
                let mut r = rev.clone();
                r.reversal = true;
                let len = self.encode(&r, out)?;
                let sent = Sent {
                    len,
                    transaction: r.transaction,
                    reversal: true,
                    stan: r.stan,
                };
                self.in_flight = Some(r);
                return Ok(sent);
            }
        }
        if p.transaction.is_journaled() && self.journal.is_full() {
            return Err(ErrorKind::Full.into());
        }
        p.stan = self.next_stan();
        p.batch = self.batch;
        let len = self.encode(&p, out)?;
        self.stan = p.stan;
        let sent = Sent {
            len,
            transaction: p.transaction,
            reversal: false,
            stan: p.stan,
        };
        self.in_flight = Some(p);
        Ok(sent)
    }

    /// Encodes `p` framed into `out`, with its MAC.
    pub(super) fn encode(&self, p: &Pending, out: &mut [u8]) -> Result<usize> {
        let format = FrameFormat::CUPS;
        let head = format.head_len();
        let body = out.get_mut(head..).ok_or(ErrorKind::BufferTooSmall)?;
        let c = &self.config;
        // The SM4 profile's PIN block is 16 bytes and enciphered tracks are hex nibbles: the
        // profile's spec variant holds them, and field 53 says so.
        let encrypts_tracks = c.encrypts_tracks();
        let (spec, security) = profile_spec(c.mac().is_sm4(), encrypts_tracks);
        let mut enciphered = [0u8; MAX_TRACK_LEN];
        let mut with_track = false;
        let mut r = Request::new(p.transaction, c.terminal_id(), c.merchant_no())
            .spec(spec)
            .stan(p.stan)
            .batch(p.batch);
        let psn;
        let icc = p.icc.as_ref().map(Bytes::as_slice);
        if let Some(card) = &p.card {
            r = r.pan(card.pan());
            if let Some(e) = card.expiry() {
                r = r.expiry(e);
            }
            let with_pin = p.pin_block.is_some() && !p.reversal;
            r = r.entry_mode(card.entry.field22(with_pin));
            if let Some(s) = card.sequence {
                psn = digits::<3>(u64::from(s));
                r = r
                    .card_sequence(core::str::from_utf8(&psn).map_err(|_| ErrorKind::InvalidText)?);
            }
            // The track goes with the authorisation only, never with a reversal or advice.
            let advice = p.transaction.is_advice();
            if let Some(t2) = card.track2().filter(|_| !p.reversal && !advice) {
                with_track = true;
                r = if encrypts_tracks {
                    // Under the TDK of the sign-in; a session without one sends no track.
                    let keys = self.keys.as_ref().ok_or(ErrorKind::NotSignedIn)?;
                    let tdk = keys.track_key().ok_or(ErrorKind::NotSignedIn)?;
                    let n = track::encrypt(tdk, t2.as_bytes(), &mut enciphered)?;
                    let text = enciphered.get(..n).ok_or(ErrorKind::BufferTooSmall)?;
                    r.track2(core::str::from_utf8(text).map_err(|_| ErrorKind::InvalidText)?)
                } else {
                    r.track2(t2)
                };
            }
            // The caller's field 55 (an advice's own) in place of the card's.
            let data = icc.unwrap_or(card.icc());
            if !data.is_empty() {
                r = r.icc(data);
            }
            if !advice {
                r = r.read_capability(READ_CAPABILITY).ic_condition(0);
            }
        }
        if let Some(a) = p.amount {
            r = r.amount(a).currency("156");
        }
        if let Some(block) = p.pin_block.as_ref().filter(|_| !p.reversal) {
            r = r
                .pin_capture("06")
                .pin_block(block.as_slice())
                .security(security);
            if let Some(ksn) = &p.ksn {
                r = r.private62(ksn);
            }
        } else if with_track && encrypts_tracks {
            // Field 53.3 tells the host the track is enciphered, PIN or not.
            r = r.security(security);
        }
        if let Some(o) = p.original {
            r = r.original(o);
        }
        if let Some(rrn) = &p.rrn {
            r = r.rrn(rrn.as_str());
        }
        if let Some(a) = &p.auth_code {
            r = r.auth_code(a.as_str());
        }
        if let Some(t) = p.totals {
            r = r.settlement(t);
        }
        let (time, date) = (p.when.field12(), p.when.field13());
        if p.transaction == Transaction::SignIn {
            // The serial number and field 64, the proof under the key derived from the TMK:
            // the host knows the sign-in comes from the device it bound. The proof covers the
            // clock and STAN, which the host wants newer than the last sign-in it accepted:
            // a recording sent again rotates no keys.
            r = r
                .operator(c.operator())
                .time(core::str::from_utf8(&time).map_err(|_| ErrorKind::InvalidText)?)
                .date(core::str::from_utf8(&date).map_err(|_| ErrorKind::InvalidText)?)
                .with_mac();
            if !c.serial().is_empty() {
                r = r.private62(c.serial().as_bytes());
            }
        } else if !p.transaction.is_network_management() {
            r = r.with_mac();
        }
        if p.reversal {
            r = r.reversal(p.reason);
        }
        let encoded = r.encode(body)?;
        if let (Some(mac), Some(mab)) = (encoded.mac.clone(), encoded.mab()) {
            // The MAC covers exactly what the encoder says; a range outside the message is a
            // bug, never an empty MAC input.
            let mab = body.get(mab).ok_or(ErrorKind::BufferTooSmall)?;
            let value = if p.transaction == Transaction::SignIn && !p.reversal {
                self.tmk.sign_in_proof(mab)?
            } else {
                let keys = self.keys.as_ref().ok_or(ErrorKind::NotSignedIn)?;
                keys.field64(c.mac(), mab)?
            };
            body.get_mut(mac)
                .ok_or(ErrorKind::BufferTooSmall)?
                .copy_from_slice(&value);
        }
        format.write_head(Some(c.tpdu()), &c.header(), encoded.len, out)?;
        Ok(head + encoded.len)
    }
}
