//! Sign-in and the terminal sessions: a sign-in proves the bound device (its serial number and
//! a MAC under a key derived from its TMK) and that it is not a recording (the terminal's
//! date, time and STAN it covers are strictly after the last sign-in accepted from that
//! terminal, and the time is within the host's window); working keys drawn fresh at each sign-in, sent
//! under the terminal's TMK and kept by the ledger only so (field 62 as sent); every later
//! request is checked against the lockout, the binding, the profile's framing, the session and
//! its MAC by the profile's algorithm. Every refusal is answered alike.

use alloc::sync::Arc;
use cardwire_crypto::TdesKey;
use cardwire_crypto::cups::{MacAlgorithm, WorkingKeys, encrypt_field62};
use cardwire_crypto::sm::SessionCiphers;
use cardwire_crypto::sm::cups::{AnyWorkingKeys, MasterKey};
use cardwire_iso8583::cups::ResponseCode;
use rand_core::TryCryptoRng;
use zeroize::Zeroizing;

use cardwire_iso8583::time::DateTime;

use super::guard::{Check, days_between};
use super::reply::ReplyParts;
use super::{Answer, Head, Host, Io, SecurityEvent, Session, digits, simple};
use crate::error::{Error, ErrorKind, Result};
use crate::ledger::{Ledger, SignInStamp, TerminalSession};
use crate::registry::TerminalEntry;

/// Whether the request came framed as the terminal's profile says: its TPDU and header
/// (outside the MAC, so checked here).
pub(super) fn framed_as_profiled(entry: &TerminalEntry, io: &Io<'_, '_, '_, '_>) -> bool {
    io.tpdu == Some(entry.profile.tpdu) && io.header == entry.profile.header
}

impl<L: Ledger> Host<L> {
    /// The terminal's session: from the cache, else from the ledger (keys decrypted under
    /// the TMK).
    /// `read` is the session already read from the ledger, if it was.
    pub(super) fn session(
        &mut self,
        terminal_id: &str,
        tmk: &MasterKey,
        algorithm: MacAlgorithm,
        read: Option<Option<TerminalSession>>,
    ) -> Result<Option<Session>> {
        // A shared ledger's session may have changed at another node (a sign-in there drew
        // new keys): read each time, never cached.
        let cache = !self.ledger.shared();
        if let Some(s) = self.sessions.get_mut(terminal_id).filter(|_| cache) {
            // The profile may have changed since the session was cached.
            s.algorithm = algorithm;
            return Ok(Some(s.clone()));
        }
        let stored = match read {
            Some(stored) => stored,
            None => self.ledger.session(terminal_id)?,
        };
        let Some(stored) = stored else {
            return Ok(None);
        };
        let Ok(keys) = tmk.open_field62(&stored.field62) else {
            return Ok(None);
        };
        let s = Session {
            keys: Arc::new(SessionCiphers::new(keys)),
            batch: stored.batch,
            pool_next: stored.pool_next,
            algorithm,
        };
        if cache {
            self.sessions.insert(terminal_id.into(), s.clone());
        }
        Ok(Some(s))
    }

    pub(super) fn save_session(
        &mut self,
        terminal_id: &str,
        field62: &[u8],
        last_sign_in: Option<SignInStamp>,
        s: Session,
    ) -> Result<()> {
        self.ledger.save_session(
            terminal_id,
            &TerminalSession {
                field62: field62.into(),
                batch: s.batch,
                pool_next: s.pool_next,
                last_sign_in,
            },
        )?;
        if !self.ledger.shared() {
            self.sessions.insert(terminal_id.into(), s);
        }
        Ok(())
    }

    /// The refusal of a request that did not authenticate: `code` without a MAC, the same
    /// whatever failed; a registered terminal's failure counts towards its lockout.
    pub(super) fn refuse(
        &mut self,
        head: &Head,
        io: &mut Io<'_, '_, '_, '_>,
        code: ResponseCode,
        locked: bool,
    ) -> Result<Answer> {
        let event = if locked {
            Some(SecurityEvent::RefusedWhileLocked)
        } else if self.registry.terminal(&head.terminal_id).is_some() {
            Some(
                self.guard
                    .failed(&mut self.ledger, &head.terminal_id, io.now)?,
            )
        } else {
            None
        };
        let mut answer = io.answer(head, simple(code, io.now))?;
        answer.security = event;
        Ok(answer)
    }

    /// What the lockout rule finds of the requesting terminal (the copy of its count is kept
    /// only for a terminal the registry knows).
    pub(super) fn lockout(&mut self, head: &Head, now: DateTime) -> Result<Check> {
        let registered = self.registry.terminal(&head.terminal_id).is_some();
        self.guard
            .check(&mut self.ledger, &head.terminal_id, registered, now)
    }

    /// Checks lockout, binding, framing, session and MAC; `Err` is the refusal, answered.
    pub(super) fn verified(
        &mut self,
        head: &Head,
        io: &mut Io<'_, '_, '_, '_>,
    ) -> Result<Result<Session, Answer>> {
        // A shared ledger is read for the session at every request: read with the lockout
        // count, in one step.
        let (check, read) = if self.ledger.shared() {
            let (stored, strikes) = self.ledger.session_and_strikes(&head.terminal_id)?;
            let check = self
                .guard
                .judge(&mut self.ledger, &head.terminal_id, strikes, io.now)?;
            (check, Some(stored))
        } else {
            (self.lockout(head, io.now)?, None)
        };
        if check == Check::Locked {
            return self
                .refuse(head, io, ResponseCode::MacFailed, true)
                .map(Err);
        }
        let Some((tmk, algorithm)) = self
            .bound(head)
            .filter(|e| framed_as_profiled(e, io))
            .and_then(|e| Some((e.master_key().ok()?, e.profile.mac)))
        else {
            return self
                .refuse(head, io, ResponseCode::MacFailed, false)
                .map(Err);
        };
        let session = self.session(&head.terminal_id, &tmk, algorithm, read)?;
        let ok = match (&session, io.msg.mab(), io.msg.mac()) {
            (Some(s), Some(mab), Some(mac)) => {
                s.keys.verify_field64(algorithm, mab, mac.value()).is_ok()
            }
            _ => false,
        };
        match session {
            Some(s) if ok => {
                self.guard
                    .succeeded(&mut self.ledger, &head.terminal_id, check)?;
                Ok(Ok(s))
            }
            _ => self
                .refuse(head, io, ResponseCode::MacFailed, false)
                .map(Err),
        }
    }

    /// The TMK of the bound device a sign-in proves to come from, and the sign-in's stamp:
    /// its serial number in field 62, framed as its profile says, field 64 the proof under
    /// the key derived from its TMK (which only that device holds) over a message that
    /// carries the terminal's time (fields 12 and 13) and STAN. The stamp must lie within
    /// the window of the host's clock and after the last sign-in accepted from the terminal
    /// (`last`): a recorded sign-in sent again would draw keys the real terminal does not
    /// hold and knock it out until it signed in again.
    fn sign_in_proved(
        &self,
        head: &Head,
        io: &Io<'_, '_, '_, '_>,
        last: Option<SignInStamp>,
    ) -> Option<(MasterKey, SignInStamp)> {
        let entry = self.bound(head).filter(|e| framed_as_profiled(e, io))?;
        let serial = io.msg.field(62).and_then(|f| f.bytes())?;
        if serial != entry.serial.as_bytes() {
            return None;
        }
        let (mab, mac) = (io.msg.mab()?, io.msg.mac()?);
        let tmk = entry.master_key().ok()?;
        tmk.verify_sign_in_proof(mab, mac.value()).ok()?;
        let number = |n| {
            io.msg
                .get(n)
                .and_then(|c| c.to_u64())
                .and_then(|v| u32::try_from(v).ok())
        };
        let mmdd = number(13).and_then(|v| u16::try_from(v).ok())?;
        let time = io.now.with_reply_time(Some(mmdd), Some(number(12)?))?;
        if seconds_apart(time, io.now) > u64::from(self.sign_in_window_secs) {
            return None;
        }
        let stamp = SignInStamp {
            time,
            stan: head.stan,
        };
        if last.is_some_and(|l| stamp <= l) {
            return None;
        }
        Some((tmk, stamp))
    }

    pub(super) fn sign_in<R: TryCryptoRng + ?Sized>(
        &mut self,
        head: &Head,
        io: &mut Io<'_, '_, '_, '_>,
        rng: &mut R,
    ) -> Result<Answer> {
        let check = self.lockout(head, io.now)?;
        if check == Check::Locked {
            return self.refuse(head, io, ResponseCode::InvalidMerchant, true);
        }
        let stored = self.ledger.session(&head.terminal_id)?;
        let last = stored.as_ref().and_then(|s| s.last_sign_in);
        let Some((tmk, stamp)) = self.sign_in_proved(head, io, last) else {
            return self.refuse(head, io, ResponseCode::InvalidMerchant, false);
        };
        self.guard
            .succeeded(&mut self.ledger, &head.terminal_id, check)?;
        let algorithm = self
            .registry
            .terminal(&head.terminal_id)
            .map_or(MacAlgorithm::RetailX919, |e| e.profile.mac);
        let mut fresh = || -> Result<TdesKey> {
            let mut bytes = Zeroizing::new([0u8; 16]);
            rng.try_fill_bytes(bytes.as_mut_slice())
                .map_err(|_| Error::new(ErrorKind::Crypto(cardwire_crypto::ErrorKind::Random)))?;
            Ok(TdesKey::new(bytes.as_slice())?.with_odd_parity())
        };
        let mut field62 = [0u8; 60];
        let (keys, n) = match &tmk {
            MasterKey::Tdes(tmk) => {
                let (pik, mak, tdk) = (fresh()?, fresh()?, fresh()?);
                let n = encrypt_field62(tmk, &pik, &mak, Some(&tdk), &mut field62)?;
                let keys = WorkingKeys {
                    pin: pik,
                    mac: mak,
                    track: Some(tdk),
                };
                (AnyWorkingKeys::Tdes(keys), n)
            }
            // The SM4 profile: SM4 PIK, MAK and TDK under the SM4 master key.
            MasterKey::Sm4(_) => {
                let (keys, n) = tmk.issue_sm4_keys(rng, &mut field62)?;
                (AnyWorkingKeys::Sm4(keys), n)
            }
        };
        let field62 = field62.get(..n).unwrap_or_default();
        let (batch, pool_next) = match stored {
            Some(s) => (s.batch.max(1), s.pool_next),
            None => (1, 0),
        };
        // The batch as stored: a shared ledger keeps the one a settlement at another node
        // may have moved on since `stored` was read.
        let batch = self.ledger.save_sign_in(
            &head.terminal_id,
            &TerminalSession {
                field62: field62.into(),
                batch,
                pool_next,
                last_sign_in: Some(stamp),
            },
        )?;
        if !self.ledger.shared() {
            let session = Session {
                keys: Arc::new(SessionCiphers::new(keys)),
                batch,
                pool_next,
                algorithm,
            };
            self.sessions.insert(head.terminal_id.clone(), session);
        }
        let mut f60 = [0u8; 11];
        let (code, rest) = f60.split_at_mut(2);
        code.copy_from_slice(b"00");
        let (b, net) = rest.split_at_mut(6);
        b.copy_from_slice(&digits::<6>(u64::from(batch)));
        net.copy_from_slice(b"003");
        io.answer(
            head,
            ReplyParts {
                code: Some(ResponseCode::Approved),
                time: io.now,
                field60: Some(&f60),
                field62: Some(field62),
                ..ReplyParts::at(io.now)
            },
        )
    }

    /// Stores a session whose batch or pool position changed, under the field 62 its
    /// sign-in stored (a session being updated was signed in: its absence is a ledger fault).
    pub(super) fn update_session(&mut self, terminal_id: &str, s: Session) -> Result<()> {
        let stored = self.ledger.session(terminal_id)?.ok_or_else(|| {
            Error::new(ErrorKind::Ledger)
                .during("updating a terminal session")
                .about(terminal_id)
        })?;
        self.save_session(terminal_id, &stored.field62, stored.last_sign_in, s)
    }
}

/// How many seconds lie between two times of the same clock.
fn seconds_apart(a: DateTime, b: DateTime) -> u64 {
    let of_day = |t: DateTime| {
        i64::from(t.hour()) * 3_600 + i64::from(t.minute()) * 60 + i64::from(t.second())
    };
    (days_between(a, b) * 86_400 + of_day(b) - of_day(a)).unsigned_abs()
}
