//! Remote key download at activation, the terminal's side: the terminal master key (TMK) of
//! the SM4 profile arrives sealed to the device's own SM2 key and signed by the acquirer, and
//! nobody types or carries it in clear.
//!
//! The device generates its SM2 key pair inside itself
//! ([`PrivateKey::generate`](cardwire_crypto::sm::sm2::PrivateKey::generate)); the acquirer
//! registers the public key with the terminal, and the device is loaded at manufacture with
//! the acquirer's public key and signer identifier ([`AcquirerKey`]). Then:
//!
//! 1. [`KeyDownload::request`] writes an 0800 with 60.3 `399`
//!    ([`Transaction::KeyDownload`]): field 62 is the device's public key (65 bytes,
//!    `04 ‖ x ‖ y`), its serial number (the device identifier the acquirer registered) and
//!    the device's SM2 signature (64 bytes `r ‖ s`, identifier
//!    [`DEFAULT_ID`]) over the message up to the
//!    signature — MTI, bitmap, STAN, terminal, merchant and field 62's key and serial. No MAC:
//!    there are no working keys yet. The signature is what lets the acquirer issue a key only
//!    to the device that holds the registered key: knowing the public key and serial (which
//!    are no secrets) is not enough to ask.
//! 2. The acquirer answers 0810 with field 39 and, when approved, field 62: the envelope of
//!    [`cardwire_crypto::sm::rkd`] — the TMK encrypted under the device's public key (SM2,
//!    `C1 ‖ C3 ‖ C2`), its check value, the device identifier and key version, signed by the
//!    acquirer's SM2 key.
//! 3. [`KeyDownload::accept`] checks the reply answers the request, then opens the envelope:
//!    the acquirer's signature, that it is for this device, that its key version is newer
//!    than the installed one, the decryption under the device's private key, and the check
//!    value. Only then is the key handed over, as the master key of
//!    [`Terminal::with_master_key`](crate::Terminal::with_master_key).

use cardwire_crypto::sm::cups::MasterKey;
use cardwire_crypto::sm::rkd::{Envelope, Host};
use cardwire_crypto::sm::sm2::{DEFAULT_ID, PUBLIC_KEY_LEN, PrivateKey, SIGNATURE_LEN};
use cardwire_iso8583::cups::{Reply, Request, ResponseCode, Transaction};
use cardwire_iso8583::frame::FrameFormat;
use cardwire_iso8583::{Message, specs};
use rand_core::TryCryptoRng;

use crate::config::Config;
use crate::error::{Error, ErrorKind, Result};

/// Longest field 62 of the request: the public key, a serial number of up to 20 characters
/// ([`Config::with_serial`]) and the device's signature.
const REQUEST62_MAX: usize = PUBLIC_KEY_LEN + 20 + SIGNATURE_LEN;

/// The acquirer as a terminal is loaded with it at manufacture: its SM2 public key and the
/// identifier it signs under.
pub type AcquirerKey<'a> = Host<'a>;

/// What the acquirer answered.
#[derive(Debug)]
#[non_exhaustive]
pub enum Downloaded {
    /// The envelope opened: the master key, verified, and its version (keep it: a later
    /// download must carry a newer one).
    Installed {
        /// The SM4 terminal master key.
        tmk: MasterKey,
        /// Its key version.
        version: u32,
    },
    /// The acquirer declined (`03`: it does not know this device and key).
    Declined(ResponseCode),
}

/// One key download: the device's configuration and key pair, and the acquirer it trusts.
#[derive(Debug)]
pub struct KeyDownload<'a> {
    config: &'a Config,
    device_key: &'a PrivateKey,
    acquirer: AcquirerKey<'a>,
    installed: Option<u32>,
}

impl<'a> KeyDownload<'a> {
    /// A download for the device of `config` (its terminal ID, merchant number and serial
    /// number), holding `device_key`, from the acquirer `acquirer`. No key installed yet.
    pub fn new(config: &'a Config, device_key: &'a PrivateKey, acquirer: AcquirerKey<'a>) -> Self {
        Self {
            config,
            device_key,
            acquirer,
            installed: None,
        }
    }

    /// The version of the master key the device holds: only a newer one is taken.
    #[must_use]
    pub fn replacing(mut self, version: u32) -> Self {
        self.installed = Some(version);
        self
    }

    /// Writes the request frame (0800, 60.3 `399`) with trace number `stan` into `out`,
    /// signed with the device key (`rng` draws the signature's nonce); returns its length.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`] when the configuration has no serial number; an encoding
    /// error; [`ErrorKind::Crypto`] when `rng` fails.
    pub fn request<R: TryCryptoRng + ?Sized>(
        &self,
        rng: &mut R,
        stan: u32,
        out: &mut [u8],
    ) -> Result<usize> {
        let c = self.config;
        let serial = c.serial().as_bytes();
        if serial.is_empty() {
            return Err(ErrorKind::InvalidInput.into());
        }
        // The key and serial, then room for the signature, written once the rest is encoded.
        let mut f62 = [0u8; REQUEST62_MAX];
        let len = PUBLIC_KEY_LEN + serial.len() + SIGNATURE_LEN;
        let dst = f62.get_mut(..len).ok_or(ErrorKind::InvalidInput)?;
        let (key, rest) = dst.split_at_mut(PUBLIC_KEY_LEN);
        key.copy_from_slice(self.device_key.public_key().as_bytes());
        let (id, _signature) = rest.split_at_mut(serial.len());
        id.copy_from_slice(serial);
        let format = FrameFormat::CUPS;
        let head = format.head_len();
        let body = out.get_mut(head..).ok_or(ErrorKind::BufferTooSmall)?;
        let encoded = Request::new(Transaction::KeyDownload, c.terminal_id(), c.merchant_no())
            .stan(stan)
            .private62(f62.get(..len).unwrap_or_default())
            .encode(body)?;
        // Field 62 is the message's last field: the signature is its last 64 bytes, and
        // covers everything before them.
        let signed_len = encoded
            .len
            .checked_sub(SIGNATURE_LEN)
            .ok_or(ErrorKind::BufferTooSmall)?;
        let (signed, tail) = body
            .get_mut(..encoded.len)
            .ok_or(ErrorKind::BufferTooSmall)?
            .split_at_mut(signed_len);
        let signature = self.device_key.sign(rng, DEFAULT_ID, signed)?;
        tail.copy_from_slice(signature.as_bytes());
        format.write_head(Some(c.tpdu()), &c.header(), encoded.len, out)?;
        Ok(head + encoded.len)
    }

    /// Reads the acquirer's reply to the request with trace number `stan`.
    ///
    /// # Errors
    /// [`ErrorKind::UnexpectedReply`] for a frame that does not answer it (framing, MTI,
    /// STAN, terminal); [`ErrorKind::MissingField`] for an approval without field 62;
    /// [`ErrorKind::Crypto`] at field 62 when the envelope does not open — not signed by the
    /// acquirer, for another device, not newer, not decryptable with this device's key, or a
    /// key whose check value differs — and no key is returned.
    pub fn accept(&self, stan: u32, frame: &[u8]) -> Result<Downloaded> {
        let c = self.config;
        let message = c.reply_message(frame)?;
        let msg = Message::decode(&specs::CUPS, message)?;
        let reply = Reply(&msg);
        let answers = msg.mti().to_u16() == Transaction::KeyDownload.response_mti()
            && reply.stan() == Some(stan)
            && msg
                .field(41)
                .and_then(|f| f.as_str())
                .is_some_and(|t| t == c.terminal_id());
        if !answers {
            return Err(ErrorKind::UnexpectedReply.into());
        }
        let code = reply
            .response_code()
            .and_then(ResponseCode::parse)
            .ok_or(Error::from(ErrorKind::MissingField { field: 39 }))?;
        if !code.is_approved() {
            return Ok(Downloaded::Declined(code));
        }
        let sealed = msg
            .field(62)
            .and_then(|f| f.bytes())
            .ok_or(Error::from(ErrorKind::MissingField { field: 62 }))?;
        let opened = Envelope::parse(sealed).and_then(|envelope| {
            let tmk = envelope.open(
                &self.acquirer,
                self.device_key,
                c.serial().as_bytes(),
                self.installed,
            )?;
            Ok((tmk, envelope.key_version()))
        });
        let (tmk, version) = opened.map_err(|e| Error::from(e).at_field(62))?;
        Ok(Downloaded::Installed {
            tmk: MasterKey::Sm4(tmk),
            version,
        })
    }
}
