//! What the acquirer knows before any message arrives: its merchants, the terminals it
//! activated and bound to them (with their master keys), and — as issuer of the simulated
//! cards — the cardholder table and the issuer keys.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use cardwire_crypto::TdesKey;
use cardwire_crypto::card::pvv;
use cardwire_crypto::cups::MacAlgorithm;
use cardwire_crypto::emv::CdolProfile;
use cardwire_crypto::pin::Pin;
use cardwire_crypto::sm::cups::MasterKey;
use cardwire_crypto::sm::sm2::PublicKey;
use cardwire_iso8583::MessageSpec;
use cardwire_iso8583::cups::{SECURITY_CONTROL_SM4, SECURITY_CONTROL_TDES};
use cardwire_iso8583::frame::Tpdu;
use cardwire_merchant::FeeRate;

use crate::error::{ErrorKind, Result};

/// A merchant the acquirer signed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Merchant {
    /// The 15-digit merchant number (field 42).
    pub merchant_no: String,
    /// Name (field 43 / the statement's `merchant_name`).
    pub name: String,
    /// Merchant category code, 4 digits.
    pub mcc: String,
    /// The fee rate the acquirer charges it (e.g. `FeeRate::from_bps(60)`, 0.60 %).
    pub fee_rate: FeeRate,
}

/// What a terminal's requests must look like beyond its working keys, fixed when the acquirer
/// deploys it: the MAC algorithm, the framing and field 53. A request that departs from it
/// is refused as unauthenticated (the TPDU and header lie outside the MAC: checking them is
/// what keeps them from being changed on the way).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TerminalProfile {
    /// How field 64 is computed (and the host's replies MAC'd).
    pub mac: MacAlgorithm,
    /// The TPDU of its requests.
    pub tpdu: Tpdu,
    /// The 6-byte CUPS message header of its requests.
    pub header: [u8; 6],
    /// Field 53 (security control) of its requests with a PIN or enciphered track data: PIN
    /// format, algorithm, track encryption (53.3, [`Self::encrypts_tracks`]), as 16 digits.
    pub security_control: [u8; 16],
}

impl TerminalProfile {
    /// The profile of new terminals: X9.19 retail MAC, TPDU `6000030000`, header
    /// `603100310208`, field 53 `2600000000000000` (format 0 with the PAN, double-length TDES,
    /// no track encryption).
    pub const STANDARD: Self = Self {
        mac: MacAlgorithm::RetailX919,
        tpdu: Tpdu::new([0x00, 0x03], [0x00, 0x00]),
        header: [0x60, 0x31, 0x00, 0x31, 0x02, 0x08],
        security_control: security_control(SECURITY_CONTROL_TDES),
    };

    /// The SM4 (国密) profile: SM4 master and working keys, field 64 by the SM4 CBC-MAC
    /// ([`MacAlgorithm::Sm4CbcMac`]), the 16-byte ISO 9564 format 4 PIN block under SM4 in
    /// field 52 and track data enciphered under the SM4 TDK
    /// ([`cardwire_iso8583::specs::CUPS_SM4`]), field 53 [`SECURITY_CONTROL_SM4`] (53.3 `1`);
    /// the framing of [`Self::STANDARD`].
    pub const SM4: Self = Self {
        mac: MacAlgorithm::Sm4CbcMac,
        security_control: security_control(SECURITY_CONTROL_SM4),
        ..Self::STANDARD
    };

    /// [`Self::STANDARD`] with the CUPS "ECB" MAC, for terminals that cannot compute another.
    /// That MAC is forgeable by compensated flips
    /// ([`MacAlgorithm::CupsEcbLegacy`]): such terminals rely on the host checking every
    /// field against the others and this profile.
    pub const LEGACY_ECB: Self = Self {
        mac: MacAlgorithm::CupsEcbLegacy,
        ..Self::STANDARD
    };

    /// [`Self::STANDARD`] with the MAC algorithm of this configuration name
    /// ([`MacAlgorithm::name`]), or [`Self::SM4`] for the SM4 MAC's; `None` for a name that
    /// is no algorithm.
    pub fn with_mac_name(name: &str) -> Option<Self> {
        MacAlgorithm::from_name(name).map(|mac| match mac {
            MacAlgorithm::Sm4CbcMac => Self::SM4,
            _ => Self {
                mac,
                ..Self::STANDARD
            },
        })
    }

    /// A profile from its text form (configuration file, database): the MAC algorithm's
    /// name, the TPDU as 10 hex digits (ID `60`), the header as 12 hex digits, field 53 as
    /// 16 digits.
    ///
    /// # Errors
    /// The name of the first part that does not read: `"mac"`, `"tpdu"`, `"header"` or
    /// `"security_control"`.
    pub fn from_text(
        mac: &str,
        tpdu: &str,
        header: &str,
        security_control: &str,
    ) -> core::result::Result<Self, &'static str> {
        let mac = MacAlgorithm::from_name(mac).ok_or("mac")?;
        let mut bytes = [0u8; 5];
        let tpdu = match cardwire_emv::hex::decode(tpdu, &mut bytes) {
            Ok(5) => Tpdu::parse(&bytes).map_err(|_| "tpdu")?,
            _ => return Err("tpdu"),
        };
        let mut head = [0u8; 6];
        if cardwire_emv::hex::decode(header, &mut head) != Ok(6) {
            return Err("header");
        }
        let security_control: [u8; 16] = security_control
            .as_bytes()
            .try_into()
            .ok()
            .filter(|d: &[u8; 16]| d.iter().all(u8::is_ascii_digit))
            .ok_or("security_control")?;
        Ok(Self {
            mac,
            tpdu,
            header: head,
            security_control,
        })
    }

    /// The TPDU as 10 hex digits (the text form [`Self::from_text`] reads).
    pub fn tpdu_text(&self) -> String {
        alloc::format!("{}", cardwire_emv::hex::Hex(&self.tpdu.to_bytes()))
    }

    /// The header as 12 hex digits.
    pub fn header_text(&self) -> String {
        alloc::format!("{}", cardwire_emv::hex::Hex(&self.header))
    }

    /// Field 53 as its 16 digits (a byte that is no character shows as `�`, which
    /// [`Self::from_text`] refuses).
    pub fn security_control_text(&self) -> String {
        String::from_utf8_lossy(&self.security_control).into_owned()
    }

    /// Whether its track data (fields 35 and 36) travels enciphered under the TDK: field
    /// 53.3 of [`Self::security_control`] is `1` (always so under [`Self::SM4`]; a TDES
    /// profile asks for it with field 53 `2610000000000000`,
    /// [`cardwire_iso8583::cups::SECURITY_CONTROL_TDES_TRACK`]).
    pub fn encrypts_tracks(&self) -> bool {
        cardwire_iso8583::cups::tracks_enciphered(&self.security_control)
    }

    /// The spec its requests are read by ([`cardwire_iso8583::cups::profile_spec`]):
    /// [`cardwire_iso8583::specs::CUPS_SM4`] under the SM4 profile (a 16-byte field 52,
    /// enciphered tracks), [`cardwire_iso8583::specs::CUPS_ENC_TRACK`] for a TDES profile
    /// that enciphers its tracks, [`cardwire_iso8583::specs::CUPS`] otherwise.
    pub fn spec(&self) -> &'static MessageSpec {
        cardwire_iso8583::cups::profile_spec(self.mac.is_sm4(), self.encrypts_tracks()).0
    }
}

/// Field 53's 16 digits as the profile keeps them. Only called in constants: a value of
/// another length stops the build there.
#[allow(clippy::panic)] // evaluated at compile time: the panic is a build error
const fn security_control(digits: &str) -> [u8; 16] {
    match *digits.as_bytes() {
        [a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p] => {
            [a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p]
        }
        _ => panic!("field 53 has 16 digits"),
    }
}

/// A terminal in the acquirer's registry.
#[derive(Clone)]
pub struct TerminalEntry {
    /// Terminal id (field 41, 8 characters).
    pub terminal_id: String,
    /// The device serial number.
    pub serial: String,
    /// The terminal master key, loaded into the device at activation (or by remote key
    /// download), with its cipher: TDES or SM4. It must be of the cipher its
    /// [`Self::profile`] uses ([`Self::master_key`]).
    pub tmk: MasterKey,
    /// Whether the terminal was activated.
    pub activated: bool,
    /// The merchant number it is bound to; `None` when never bound.
    pub merchant_no: Option<String>,
    /// Merchant numbers that an acquirer rotates the terminal's transactions through (跳码);
    /// empty for an honest binding. Each must be a [`Merchant`] of the registry.
    pub pool: Vec<String>,
    /// What its requests must look like.
    pub profile: TerminalProfile,
    /// The device's SM2 public key, registered with it: remote key download seals the
    /// master key to it ([`crate::host`], key download). `None` for a terminal loaded
    /// another way.
    pub device_key: Option<PublicKey>,
}

impl fmt::Debug for TerminalEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TerminalEntry")
            .field("terminal_id", &self.terminal_id)
            .field("serial", &self.serial)
            .field("activated", &self.activated)
            .field("merchant_no", &self.merchant_no)
            .field("pool", &self.pool)
            .field("profile", &self.profile)
            .field("device_key", &self.device_key.is_some())
            .finish_non_exhaustive()
    }
}

impl TerminalEntry {
    /// The master key, when it is of the cipher its profile uses: SM4 under the SM4
    /// profile, TDES otherwise.
    ///
    /// # Errors
    /// [`ErrorKind::Crypto`] (`KeyUsage`) when the key's cipher is not the profile's (a
    /// registry whose profile was changed without a new key).
    pub fn master_key(&self) -> Result<MasterKey> {
        if self.tmk.suits(self.profile.mac) {
            Ok(self.tmk.clone())
        } else {
            Err(cardwire_crypto::Error::new(cardwire_crypto::ErrorKind::KeyUsage).into())
        }
    }

    /// Whether the terminal may sign in: activated and bound to a merchant.
    pub fn is_bound(&self) -> bool {
        self.activated && self.merchant_no.is_some()
    }
}

/// A cardholder of the issuer: what the host checks a card and PIN against.
#[derive(Clone, PartialEq, Eq)]
pub struct Cardholder {
    /// The PAN.
    pub pan: String,
    /// Card sequence number (tag 5F34 / field 23), 0–99.
    pub psn: u8,
    /// Expiry date `YYMM`.
    pub expiry: String,
    /// Service code, 3 digits.
    pub service_code: String,
    /// The Visa PVV of the cardholder's PIN under the issuer's PVK (never the PIN itself).
    pub pvv: String,
    /// Opening balance (or credit limit) in fen.
    pub balance: i64,
}

impl fmt::Debug for Cardholder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut masked = String::new();
        // Masking into a String cannot fail.
        let _ = cardwire_emv::mask::write_masked(
            &mut masked,
            self.pan.chars(),
            cardwire_emv::mask::Masking::Pan,
        );
        f.debug_struct("Cardholder")
            .field("pan", &masked)
            .field("expiry", &self.expiry)
            .finish_non_exhaustive()
    }
}

/// The issuer's keys the host verifies cards with.
#[derive(Clone)]
pub struct IssuerKeys {
    /// Issuer master key for application cryptograms (IMK-AC).
    pub imk_ac: TdesKey,
    /// PIN verification key.
    pub pvk: TdesKey,
    /// PIN verification key index (0–9).
    pub pvki: u8,
    /// The card profile's CDOL1 (tag-length list) whose data the ARQC covers.
    pub cdol1: Vec<u8>,
    /// How the cards compute their cryptograms (the one definition the cards use too).
    pub profile: CdolProfile,
}

impl fmt::Debug for IssuerKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IssuerKeys")
            .field("pvki", &self.pvki)
            .finish_non_exhaustive()
    }
}

/// The registry of merchants, bound terminals and cardholders.
#[derive(Clone, Debug)]
pub struct Registry {
    /// Merchants, including the numbers of any rotation pool.
    pub merchants: Vec<Merchant>,
    /// Terminals.
    pub terminals: Vec<TerminalEntry>,
    /// Cardholders.
    pub cardholders: Vec<Cardholder>,
    /// Issuer keys.
    pub issuer: IssuerKeys,
}

impl Registry {
    /// The merchant with this number.
    pub fn merchant(&self, merchant_no: &str) -> Option<&Merchant> {
        self.merchants.iter().find(|m| m.merchant_no == merchant_no)
    }

    /// The terminal with this id.
    pub fn terminal(&self, terminal_id: &str) -> Option<&TerminalEntry> {
        self.terminals.iter().find(|t| t.terminal_id == terminal_id)
    }

    /// The cardholder with this PAN.
    pub fn cardholder(&self, pan: &str) -> Option<&Cardholder> {
        self.cardholders.iter().find(|c| c.pan == pan)
    }

    /// Activates a terminal and binds it to one of the registry's merchants: from then on it
    /// may sign in, and its transactions settle under that merchant number. A terminal that
    /// was never bound is refused at sign-in — binding at activation is what keeps a device
    /// from being moved between merchant numbers (跳码).
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`] for an unknown terminal or merchant.
    pub fn activate(&mut self, terminal_id: &str, merchant_no: &str) -> Result<()> {
        if self.merchant(merchant_no).is_none() {
            return Err(crate::Error::new(ErrorKind::InvalidInput)
                .during("activating")
                .about(merchant_no));
        }
        let entry = self
            .terminals
            .iter_mut()
            .find(|t| t.terminal_id == terminal_id)
            .ok_or_else(|| {
                crate::Error::new(ErrorKind::InvalidInput)
                    .during("activating")
                    .about(terminal_id)
            })?;
        entry.activated = true;
        entry.merchant_no = Some(merchant_no.into());
        Ok(())
    }

    /// Adds a cardholder, storing the PVV of `pin` (the PIN itself is not kept).
    ///
    /// # Errors
    /// A PAN or PIN the PVV algorithm refuses.
    pub fn add_cardholder(
        &mut self,
        pan: &str,
        psn: u8,
        expiry: &str,
        service_code: &str,
        pin: &str,
        balance: i64,
    ) -> Result<()> {
        let pin = Pin::new(pin)?;
        let pvv = pvv(&self.issuer.pvk, pan, self.issuer.pvki, &pin)?;
        self.cardholders.push(Cardholder {
            pan: pan.into(),
            psn,
            expiry: expiry.into(),
            service_code: service_code.into(),
            pvv: pvv.as_str().into(),
            balance,
        });
        Ok(())
    }
}
