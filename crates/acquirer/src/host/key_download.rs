//! Remote key download at activation, the acquirer's side: a device of the SM4 profile that
//! the registry knows by its SM2 public key gets its terminal master key sealed to that key
//! and signed with the acquirer's SM2 key (`cardwire_crypto::sm::rkd`), in the reply's field
//! 62. The message is the 0800 with 60.3 `399` (`Transaction::KeyDownload`, whose
//! documentation gives the layout and why the code is this project's).
//!
//! Refused alike with `03` and no field 62, whatever failed (so the answers tell nobody
//! which terminals and keys exist): no signing key configured; a terminal not registered,
//! activated, bound to the merchant of field 42, or framed otherwise than its profile says;
//! a profile other than SM4; no device key registered, or field 62 carrying another public
//! key or serial number than the registered ones, or no signature by the registered device
//! key over the request (field 62 ends with the device's SM2 signature `r ‖ s` over the
//! message before it: the public key and serial are no secrets, the private key is); a
//! lockout. A registered terminal's
//! failures count towards its lockout, as sign-in's do.

use alloc::vec::Vec;

use cardwire_crypto::sm::cups::MasterKey;
use cardwire_crypto::sm::rkd::{MAX_ENVELOPE_LEN, Recipient, seal};
use cardwire_crypto::sm::sm2::{DEFAULT_ID, PUBLIC_KEY_LEN, PrivateKey, SIGNATURE_LEN, Signature};
use cardwire_iso8583::cups::ResponseCode;
use rand_core::TryCryptoRng;

use super::guard::Check;
use super::reply::ReplyParts;
use super::sign_in::framed_as_profiled;
use super::{Answer, Head, Host, Io};
use crate::error::Result;
use crate::ledger::Ledger;

/// The key version the envelope carries: the registry keeps one master key per terminal,
/// registered once, so a device downloads version 1 (a device that already holds it refuses
/// it again, as the envelope's rule says).
const KEY_VERSION: u32 = 1;

impl<L: Ledger> Host<L> {
    /// With the acquirer's SM2 key that signs remote key downloads (the terminals are loaded
    /// with its public key). The key is the caller's to keep: at rest under the key store's
    /// KEK (`RegistryStore::acquirer_sm2_key` with SQLite).
    #[must_use]
    pub fn with_key_download_signer(mut self, key: PrivateKey) -> Self {
        self.rkd_signer = Some(key);
        self
    }

    pub(super) fn key_download<R: TryCryptoRng + ?Sized>(
        &mut self,
        head: &Head,
        io: &mut Io<'_, '_, '_, '_>,
        rng: &mut R,
    ) -> Result<Answer> {
        let check = self.lockout(head, io.now)?;
        if check == Check::Locked {
            return self.refuse(head, io, ResponseCode::InvalidMerchant, true);
        }
        let Some(envelope) = self.sealed_master_key(head, io, rng)? else {
            return self.refuse(head, io, ResponseCode::InvalidMerchant, false);
        };
        self.guard
            .succeeded(&mut self.ledger, &head.terminal_id, check)?;
        io.answer(
            head,
            ReplyParts {
                code: Some(ResponseCode::Approved),
                field62: Some(&envelope),
                ..ReplyParts::at(io.now)
            },
        )
    }

    /// The envelope for the device the request comes from, or `None` when it is not a
    /// registered SM4 device asking with its registered key and serial number.
    fn sealed_master_key<R: TryCryptoRng + ?Sized>(
        &self,
        head: &Head,
        io: &Io<'_, '_, '_, '_>,
        rng: &mut R,
    ) -> Result<Option<Vec<u8>>> {
        let Some(signer) = &self.rkd_signer else {
            return Ok(None);
        };
        let Some(entry) = self
            .bound(head)
            .filter(|e| framed_as_profiled(e, io) && e.profile.mac.is_sm4())
        else {
            return Ok(None);
        };
        let Some(registered) = &entry.device_key else {
            return Ok(None);
        };
        let Some(field62) = io.msg.field(62) else {
            return Ok(None);
        };
        let Some((key, serial, signature)) = field62
            .bytes()
            .and_then(|b| b.split_at_checked(PUBLIC_KEY_LEN))
            .and_then(|(key, rest)| {
                let (serial, sig) =
                    rest.split_at_checked(rest.len().checked_sub(SIGNATURE_LEN)?)?;
                Some((key, serial, sig))
            })
        else {
            return Ok(None);
        };
        if key != registered.as_bytes() || serial != entry.serial.as_bytes() {
            return Ok(None);
        }
        // The device's signature over the message up to the signature (field 62 is last).
        let signed_len = field62.value_offset() + field62.value().len() - SIGNATURE_LEN;
        let signed = io.msg.as_bytes().get(..signed_len);
        let verified = Signature::from_bytes(signature)
            .ok()
            .zip(signed)
            .is_some_and(|(sig, signed)| registered.verify(DEFAULT_ID, signed, &sig).is_ok());
        if !verified {
            return Ok(None);
        }
        let MasterKey::Sm4(tmk) = entry.master_key()? else {
            return Ok(None);
        };
        let recipient = Recipient {
            device_id: serial,
            public_key: registered,
        };
        let mut out = [0u8; MAX_ENVELOPE_LEN];
        let n = seal(
            rng,
            &tmk,
            KEY_VERSION,
            &recipient,
            signer,
            DEFAULT_ID,
            &mut out,
        )?;
        Ok(Some(out.get(..n).unwrap_or_default().to_vec()))
    }
}
