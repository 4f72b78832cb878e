//! Sign-in and the terminal sessions: working keys drawn fresh at each sign-in, sent under the
//! terminal's TMK and kept by the ledger only so (field 62 as sent); every later request is
//! checked against the binding, the session and its MAC.

use cardwire_crypto::TdesKey;
use cardwire_crypto::cups::{Field62, WorkingKeys, encrypt_field62, verify_field64};
use cardwire_iso8583::Message;
use cardwire_iso8583::cups::ResponseCode;
use rand_core::TryCryptoRng;
use zeroize::Zeroizing;

use super::reply::ReplyParts;
use super::{Answer, Head, Host, Io, Session, digits, simple};
use crate::error::{Error, ErrorKind, Result};
use crate::ledger::{Ledger, TerminalSession};

impl<L: Ledger> Host<L> {
    /// The terminal's session: from the cache, else from the ledger (keys decrypted under
    /// the TMK).
    pub(super) fn session(&mut self, terminal_id: &str, tmk: &TdesKey) -> Result<Option<Session>> {
        if let Some(s) = self.sessions.get(terminal_id) {
            return Ok(Some(s.clone()));
        }
        let Some(stored) = self.ledger.session(terminal_id)? else {
            return Ok(None);
        };
        let Ok(keys) = Field62::parse(&stored.field62).and_then(|f| f.decrypt(tmk)) else {
            return Ok(None);
        };
        let s = Session {
            keys,
            batch: stored.batch,
            pool_next: stored.pool_next,
        };
        self.sessions.insert(terminal_id.into(), s.clone());
        Ok(Some(s))
    }

    pub(super) fn save_session(
        &mut self,
        terminal_id: &str,
        field62: &[u8],
        s: Session,
    ) -> Result<()> {
        self.ledger.save_session(
            terminal_id,
            &TerminalSession {
                field62: field62.into(),
                batch: s.batch,
                pool_next: s.pool_next,
            },
        )?;
        self.sessions.insert(terminal_id.into(), s);
        Ok(())
    }

    /// Checks binding, session and MAC; `Err` carries the refusal to send.
    pub(super) fn verified(
        &mut self,
        head: &Head,
        msg: &Message<'_, '_>,
    ) -> Result<Result<Session, ResponseCode>> {
        let tmk = match self.bound(head) {
            Ok(entry) => entry.tmk.clone(),
            Err(code) => return Ok(Err(code)),
        };
        let Some(session) = self.session(&head.terminal_id, &tmk)? else {
            return Ok(Err(ResponseCode::MacFailed));
        };
        let ok = match (msg.mab(), msg.mac()) {
            (Some(mab), Some(mac)) => verify_field64(&session.keys.mac, mab, mac.value()).is_ok(),
            _ => false,
        };
        Ok(if ok {
            Ok(session)
        } else {
            Err(ResponseCode::MacFailed)
        })
    }

    pub(super) fn sign_in<R: TryCryptoRng + ?Sized>(
        &mut self,
        head: &Head,
        io: &mut Io<'_, '_, '_, '_>,
        rng: &mut R,
    ) -> Result<Answer> {
        let tmk = match self.bound(head) {
            // A sign-in that names the device (field 62, its serial number) must come from
            // the device the terminal id was bound to.
            Ok(entry)
                if io
                    .msg
                    .field(62)
                    .and_then(|f| f.bytes())
                    .is_none_or(|serial| serial == entry.serial.as_bytes()) =>
            {
                entry.tmk.clone()
            }
            Ok(_) => return io.answer(head, simple(ResponseCode::InvalidMerchant, io.now)),
            Err(code) => return io.answer(head, simple(code, io.now)),
        };
        let mut fresh = || -> Result<TdesKey> {
            let mut bytes = Zeroizing::new([0u8; 16]);
            rng.try_fill_bytes(bytes.as_mut_slice())
                .map_err(|_| Error::new(ErrorKind::Crypto(cardwire_crypto::ErrorKind::Random)))?;
            Ok(TdesKey::new(bytes.as_slice())?.with_odd_parity())
        };
        let (pik, mak, tdk) = (fresh()?, fresh()?, fresh()?);
        let mut field62 = [0u8; 60];
        let n = encrypt_field62(&tmk, &pik, &mak, Some(&tdk), &mut field62)?;
        let field62 = field62.get(..n).unwrap_or_default();
        let (batch, pool_next) = match self.ledger.session(&head.terminal_id)? {
            Some(s) => (s.batch.max(1), s.pool_next),
            None => (1, 0),
        };
        let session = Session {
            keys: WorkingKeys {
                pin: pik,
                mac: mak,
                track: Some(tdk),
            },
            batch,
            pool_next,
        };
        self.save_session(&head.terminal_id, field62, session)?;
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
        self.save_session(terminal_id, &stored.field62, s)
    }
}
