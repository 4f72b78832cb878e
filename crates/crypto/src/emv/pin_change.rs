//! Issuer scripts that change the card's offline PIN: the PIN blocks (VIS and ISO 9564-1
//! format 2), secure messaging for confidentiality (EMV 4.4 Book 2 9.3 and the schemes'
//! forms), and the whole PIN CHANGE/UNBLOCK command per cryptogram version.
//!
//! ```
//! use cardwire_crypto::TdesKey;
//! use cardwire_crypto::emv::vis_pin_block;
//! use cardwire_crypto::pin::Pin;
//!
//! // pyemv's sm.format_vis_pin_block example.
//! let mk_ac = TdesKey::from_hex("0123456789ABCDEFFEDCBA9876543210")?;
//! let block = vis_pin_block(&mk_ac, &Pin::new("1234")?, None);
//! assert_eq!(block, hex_literal::hex!("041234FF76543210"));
//! # Ok::<(), cardwire_crypto::Error>(())
//! ```

use core::fmt;

use zeroize::Zeroizing;

use super::Cvn;
use crate::buf::Len;
use crate::error::{Error, ErrorKind, Result};
use crate::key::TdesKey;
use crate::mac::{Padding, pad};
use crate::pin::{Pin, PinBlock, PinFormat};

/// How secure messaging enciphers command data (TDES under the SMC session key).
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SmEncryption {
    /// EMV Book 2 9.3: ISO/IEC 9797-1 padding method 2, then CBC with a zero IV.
    Emv,
    /// Visa: a length byte in front, padding method 2, then ECB.
    Visa,
    /// Mastercard: padding method 2 only when the data is not whole blocks, then CBC with
    /// a zero IV.
    Mastercard,
}

/// Longest command data enciphered here (an APDU's data, less the MAC and the padding).
pub const MAX_COMMAND_DATA: usize = 239;

/// The length of `data_len` bytes of command data once enciphered by `method`.
pub const fn encrypted_len(data_len: usize, method: SmEncryption) -> usize {
    match method {
        SmEncryption::Emv => (data_len / 8 + 1) * 8,
        SmEncryption::Visa => ((data_len + 1) / 8 + 1) * 8,
        SmEncryption::Mastercard if data_len.is_multiple_of(8) => data_len,
        SmEncryption::Mastercard => (data_len / 8 + 1) * 8,
    }
}

/// Enciphers issuer script command data under the SMC session key `sk_smc`, writes it to
/// `out` and returns its length ([`encrypted_len`]).
///
/// Errors: data longer than [`MAX_COMMAND_DATA`] ([`ErrorKind::Length`]), `out` too small.
pub fn encrypt_command_data(
    sk_smc: &TdesKey,
    data: &[u8],
    method: SmEncryption,
    out: &mut [u8],
) -> Result<usize> {
    let len = u8::try_from(data.len())
        .ok()
        .filter(|_| data.len() <= MAX_COMMAND_DATA)
        .ok_or(Error::new(ErrorKind::Length { len: data.len() }))?;
    let n = encrypted_len(data.len(), method);
    let dst = out
        .get_mut(..n)
        .ok_or(Error::new(ErrorKind::BufferTooSmall))?;
    let cipher = sk_smc.cipher();
    match method {
        SmEncryption::Visa => {
            let mut plain = Zeroizing::new([0u8; MAX_COMMAND_DATA + 1]);
            let (first, rest) = plain.split_at_mut(1);
            crate::buf::copy_prefix(first, &[len]);
            crate::buf::copy_prefix(rest, data);
            let body = plain.split_at(data.len() + 1).0;
            pad(body, Padding::Method2, 8, dst)?;
            cipher.encrypt_ecb(dst)?;
        }
        SmEncryption::Mastercard if n == data.len() => {
            dst.copy_from_slice(data);
            cipher.encrypt_cbc(&[0; 8], dst)?;
        }
        SmEncryption::Emv | SmEncryption::Mastercard => {
            pad(data, Padding::Method2, 8, dst)?;
            cipher.encrypt_cbc(&[0; 8], dst)?;
        }
    }
    Ok(n)
}

/// The VIS PIN block for a PIN change: the PIN length byte, the PIN and `F` fill, XORed
/// with the rightmost 4 bytes of the left half of the ICC master key for AC (in the right
/// half of the block), and with the current PIN (left-justified, zero-filled) when the
/// change needs it.
pub fn vis_pin_block(icc_mk_ac: &TdesKey, pin: &Pin, current: Option<&Pin>) -> [u8; 8] {
    let (left, _) = icc_mk_ac.halves();
    let key_part = left & 0xFFFF_FFFF;
    let block = pin
        .values()
        .chain(core::iter::repeat(0xF))
        .take(14)
        .fold(u64::from(pin.len_nibble()), |acc, d| {
            (acc << 4) | u64::from(d)
        });
    let current = current.map_or(0, |c| {
        c.values()
            .chain(core::iter::repeat(0))
            .take(16)
            .fold(0u64, |acc, d| (acc << 4) | u64::from(d))
    });
    (block ^ key_part ^ current).to_be_bytes()
}

/// Longest script command built here: header, 16 bytes of enciphered PIN block, MAC.
const MAX_COMMAND: usize = 5 + 16 + 8;

/// An issuer script command (APDU): header, enciphered data, MAC.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct ScriptCommand {
    bytes: [u8; MAX_COMMAND],
    len: Len<MAX_COMMAND>,
}

impl ScriptCommand {
    /// The command's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        self.len.of(&self.bytes)
    }
}

impl fmt::Debug for ScriptCommand {
    // It carries an enciphered PIN block: not printed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ScriptCommand({} bytes, ..)", self.len.get())
    }
}

/// The ICC master keys of one card (derived from the issuer's AC, SMI and SMC master keys,
/// for example with [`Cvn::icc_master_key`]).
#[derive(Clone, Copy, Debug)]
pub struct IccKeys<'a> {
    /// For application cryptograms (and the VIS PIN block).
    pub ac: &'a TdesKey,
    /// For secure messaging integrity (script MACs).
    pub smi: &'a TdesKey,
    /// For secure messaging confidentiality (enciphered command data).
    pub smc: &'a TdesKey,
}

impl Cvn {
    /// How this CVN enciphers script command data.
    pub const fn sm_encryption(self) -> SmEncryption {
        match self {
            Self::Visa10 | Self::Visa18 | Self::Visa22 => SmEncryption::Visa,
            Self::Mastercard16
            | Self::Mastercard17
            | Self::Mastercard20
            | Self::Mastercard21
            | Self::Interac133 => SmEncryption::Mastercard,
        }
    }

    /// The PIN CHANGE/UNBLOCK command (`84 24 00 P2 Lc`) that sets `new_pin`: the PIN block
    /// this CVN uses (VIS for Visa 10 and 18, and for Visa 22 when the current PIN is given;
    /// ISO 9564-1 format 2 otherwise), enciphered under the SMC session key, then the script
    /// MAC under the SMI session key. `P2` is `01` when `current_pin` is given, `02`
    /// otherwise; `atc` and `arqc` are those of the transaction the script answers.
    ///
    /// Errors: a current PIN for a CVN whose PIN block has no room for it
    /// ([`ErrorKind::NotInProfile`]).
    pub fn pin_change_command(
        self,
        keys: &IccKeys<'_>,
        atc: [u8; 2],
        arqc: &[u8; 8],
        new_pin: &Pin,
        current_pin: Option<&Pin>,
    ) -> Result<ScriptCommand> {
        let vis = match (self, current_pin) {
            (Self::Visa10 | Self::Visa18, _) | (Self::Visa22, Some(_)) => true,
            (_, None) => false,
            (_, Some(_)) => return Err(ErrorKind::NotInProfile.into()),
        };
        let block = Zeroizing::new(if vis {
            vis_pin_block(keys.ac, new_pin, current_pin)
        } else {
            *PinBlock::new(PinFormat::Iso2, new_pin, None, None)?.as_bytes()
        });
        let method = self.sm_encryption();
        let sk_smc = self.script_session_key(keys.smc, atc, arqc);
        let mut bytes = [0u8; MAX_COMMAND];
        let (header, rest) = bytes.split_at_mut(5);
        let n = encrypt_command_data(&sk_smc, block.as_slice(), method, rest)?;
        let lc = u8::try_from(n + 8).map_err(|_| ErrorKind::Length { len: n })?;
        let p2 = if current_pin.is_some() { 0x01 } else { 0x02 };
        header.copy_from_slice(&[0x84, 0x24, 0x00, p2, lc]);
        let (data, mac) = rest.split_at_mut(n);
        let m = self.script_mac(keys.smi, atc, arqc, header, data);
        crate::buf::copy_prefix(mac, &m);
        Ok(ScriptCommand {
            bytes,
            len: Len::clamped(5 + n + 8),
        })
    }
}
