//! Cryptogram version profiles: which master key option, session key, AC padding and data,
//! ARPC method and script key each scheme's CVN uses.
//!
//! The profiles follow the scheme summaries in pyemv's `cvn` module and its known-answer
//! tests (the schemes' own specifications are not public). Where the issuer application
//! data layout is assumed, the variant's documentation says so.

use crate::error::{Error, ErrorKind, Result};
use crate::key::TdesKey;

use super::{
    AcPadding, MasterKeyOption, arpc_method1, arpc_method2, common_session_key,
    common_session_key_atc, icc_master_key, mac_parts, mastercard_session_key, verify_exact,
    visa_script_session_key,
};

/// A cryptogram version: the scheme profile the card personalisation chose, read from the
/// issuer application data (tag 9F10).
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Cvn {
    /// Visa CVN 10 (9F10 byte 3 = `0A`): Option A master key used directly (no session
    /// key), `00` padding, AC data ends with the 4-byte CVR (9F10 bytes 4–7, its length
    /// byte `03` included); ARPC method 1 under the master key; Visa script session key.
    Visa10,
    /// Visa CVN 18 (`12`): Option B master key, common session key with `R = ATC ‖ 00…`,
    /// `80` padding over data ending with the whole 9F10; ARPC method 2 under the session
    /// key; Visa script session key.
    Visa18,
    /// Visa CVN 22 (`16`): as CVN 18, except that scripts use the common session key with
    /// `R = ARQC`.
    Visa22,
    /// Mastercard M/Chip CVN 16 (9F10 byte 2 = `10`): Option A master key, Mastercard
    /// session key (`ATC ‖ 00 00 ‖ UN`), `80` padding over data ending with the 6-byte CVR
    /// (9F10 bytes 3–8); ARPC method 1 under the master key; scripts under the common
    /// session key with `R = ARQC`.
    Mastercard16,
    /// Mastercard M/Chip CVN 17 (`11`): as CVN 16, with the 8 bytes of counters (9F10
    /// bytes 11–18, the M/Chip 4 layout, assumed in the clear) after the CVR. M/Chip
    /// Advance cards may carry 16 bytes of counters; assemble those with
    /// [`Cvn::Mastercard16`]'s padding and [`super::application_cryptogram`] directly.
    Mastercard17,
    /// Mastercard M/Chip CVN 20 (`14`): as CVN 16, except that the AC and the ARPC use the
    /// EMV common session key (`R = ATC ‖ 00…`) and the ARPC (method 1) is computed under
    /// that session key.
    Mastercard20,
    /// Mastercard M/Chip CVN 21 (`15`): CVN 20 with the counters of CVN 17 after the CVR.
    Mastercard21,
    /// Interac CVN 133 (9F10 byte 3 = `85`): Option A master key, Mastercard session key,
    /// `80` padding over data ending with the whole 9F10; ARPC method 1 under the session
    /// key; scripts under the common session key with `R = ARQC`, MACed over the command
    /// alone (no ATC or ARQC in the MAC input).
    Interac133,
}

/// How a CVN derives the AC session key from the ICC master key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionKeyMethod {
    /// No session key: the ICC master key itself.
    MasterKey,
    /// The EMV common session key with `R = ATC ‖ 00 00 00 00 00 00`.
    Common,
    /// The Mastercard session key, `R = ATC ‖ 00 00 ‖ UN`.
    Mastercard,
}

/// Which part of the issuer application data (9F10) closes the AC input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IadPart {
    /// Visa: the CVR with its length byte, 9F10 bytes 4–7.
    VisaCvr,
    /// The whole 9F10 value.
    Whole,
    /// Mastercard: the 6-byte CVR, 9F10 bytes 3–8.
    MastercardCvr,
    /// Mastercard: the CVR, then the 8 bytes of counters, 9F10 bytes 11–18.
    MastercardCvrCounters,
}

/// The ARPC method a CVN uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArpcMethod {
    /// Method 1: 8 bytes from the ARQC and a 2-byte authorisation response code.
    Method1,
    /// Method 2: 4 bytes from the ARQC, a 4-byte card status update and optional
    /// proprietary data.
    Method2,
}

/// What an issuer script MAC covers besides the command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScriptMacData {
    /// Command header ‖ ATC ‖ ARQC ‖ command data (EMV Book 2 9.2.1.2 format 2 with the
    /// transaction data, as Visa and Mastercard use it).
    WithTransaction,
    /// Command header ‖ command data only (Interac).
    CommandOnly,
}

/// The session key a CVN's issuer scripts are MACed under.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScriptKey {
    /// The Visa secure-messaging key from the ATC ([`visa_script_session_key`]).
    Visa,
    /// The common session key with `R = ARQC`.
    CommonArqc,
}

/// What the issuer answers, per ARPC method.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArpcResponse<'a> {
    /// Method 1: the authorisation response code (ARC), for example `3030` or `0010`.
    Arc([u8; 2]),
    /// Method 2: the card status update and 0 to 8 bytes of proprietary authentication
    /// data.
    Csu {
        /// Card status update.
        csu: [u8; 4],
        /// Proprietary authentication data (empty for none).
        proprietary: &'a [u8],
    },
}

/// An authorisation response cryptogram of either method.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arpc {
    /// Method 1, 8 bytes.
    Method1([u8; 8]),
    /// Method 2, 4 bytes.
    Method2([u8; 4]),
}

impl Arpc {
    /// The ARPC bytes (8 or 4).
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            Self::Method1(b) => b,
            Self::Method2(b) => b,
        }
    }
}

/// The data elements an application cryptogram covers, in the order EMV Book 2 8.1.1
/// recommends and the CVN profiles use: the terminal's CDOL1 values, then the card's AIP,
/// ATC and issuer application data. Values are the raw tag values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AcData<'a> {
    /// 9F02 Amount, Authorised (n 12).
    pub amount_authorised: [u8; 6],
    /// 9F03 Amount, Other (n 12).
    pub amount_other: [u8; 6],
    /// 9F1A Terminal Country Code.
    pub terminal_country_code: [u8; 2],
    /// 95 Terminal Verification Results.
    pub tvr: [u8; 5],
    /// 5F2A Transaction Currency Code.
    pub currency_code: [u8; 2],
    /// 9A Transaction Date (YYMMDD).
    pub transaction_date: [u8; 3],
    /// 9C Transaction Type.
    pub transaction_type: u8,
    /// 9F37 Unpredictable Number.
    pub unpredictable_number: [u8; 4],
    /// 82 Application Interchange Profile.
    pub aip: [u8; 2],
    /// 9F36 Application Transaction Counter.
    pub atc: [u8; 2],
    /// 9F10 Issuer Application Data, whole; the CVN picks its part.
    pub iad: &'a [u8],
}

impl AcData<'_> {
    /// The fixed-length elements before the issuer application data, concatenated.
    fn head(&self) -> [u8; 33] {
        let mut out = [0u8; 33];
        let parts: [&[u8]; 10] = [
            &self.amount_authorised,
            &self.amount_other,
            &self.terminal_country_code,
            &self.tvr,
            &self.currency_code,
            &self.transaction_date,
            core::slice::from_ref(&self.transaction_type),
            &self.unpredictable_number,
            &self.aip,
            &self.atc,
        ];
        for (d, s) in out.iter_mut().zip(parts.into_iter().flatten()) {
            *d = *s;
        }
        out
    }
}

impl Cvn {
    /// The Visa CVN with this number (9F10 byte 3: 10, 18 or 22).
    pub const fn visa(number: u8) -> Option<Self> {
        match number {
            10 => Some(Self::Visa10),
            18 => Some(Self::Visa18),
            22 => Some(Self::Visa22),
            _ => None,
        }
    }

    /// The Mastercard CVN with this number (9F10 byte 2: `0x10` for 16, `0x11` for 17,
    /// `0x14` for 20, `0x15` for 21).
    pub const fn mastercard(number: u8) -> Option<Self> {
        match number {
            0x10 => Some(Self::Mastercard16),
            0x11 => Some(Self::Mastercard17),
            0x14 => Some(Self::Mastercard20),
            0x15 => Some(Self::Mastercard21),
            _ => None,
        }
    }

    /// The Interac CVN with this number (9F10 byte 3: 133, `0x85`).
    pub const fn interac(number: u8) -> Option<Self> {
        match number {
            133 => Some(Self::Interac133),
            _ => None,
        }
    }

    /// Every profile, for tools that list them.
    pub const ALL: [Self; 8] = [
        Self::Visa10,
        Self::Visa18,
        Self::Visa22,
        Self::Mastercard16,
        Self::Mastercard17,
        Self::Mastercard20,
        Self::Mastercard21,
        Self::Interac133,
    ];

    /// The ICC master key derivation option.
    pub const fn master_key_option(self) -> MasterKeyOption {
        match self {
            Self::Visa18 | Self::Visa22 => MasterKeyOption::B,
            Self::Visa10
            | Self::Mastercard16
            | Self::Mastercard17
            | Self::Mastercard20
            | Self::Mastercard21
            | Self::Interac133 => MasterKeyOption::A,
        }
    }

    /// The AC session key method.
    pub const fn session_key_method(self) -> SessionKeyMethod {
        match self {
            Self::Visa10 => SessionKeyMethod::MasterKey,
            Self::Visa18 | Self::Visa22 | Self::Mastercard20 | Self::Mastercard21 => {
                SessionKeyMethod::Common
            }
            Self::Mastercard16 | Self::Mastercard17 | Self::Interac133 => {
                SessionKeyMethod::Mastercard
            }
        }
    }

    /// The padding of the AC input.
    pub const fn padding(self) -> AcPadding {
        match self {
            Self::Visa10 => AcPadding::Method1Zero,
            _ => AcPadding::Method2,
        }
    }

    /// The part of 9F10 the AC covers.
    pub const fn iad_part(self) -> IadPart {
        match self {
            Self::Visa10 => IadPart::VisaCvr,
            Self::Visa18 | Self::Visa22 | Self::Interac133 => IadPart::Whole,
            Self::Mastercard16 | Self::Mastercard20 => IadPart::MastercardCvr,
            Self::Mastercard17 | Self::Mastercard21 => IadPart::MastercardCvrCounters,
        }
    }

    /// The ARPC method.
    pub const fn arpc_method(self) -> ArpcMethod {
        match self {
            Self::Visa18 | Self::Visa22 => ArpcMethod::Method2,
            _ => ArpcMethod::Method1,
        }
    }

    /// The key issuer scripts are MACed under.
    pub const fn script_key(self) -> ScriptKey {
        match self {
            Self::Visa10 | Self::Visa18 => ScriptKey::Visa,
            _ => ScriptKey::CommonArqc,
        }
    }

    /// What the script MAC covers besides the command.
    pub const fn script_mac_data(self) -> ScriptMacData {
        match self {
            Self::Interac133 => ScriptMacData::CommandOnly,
            _ => ScriptMacData::WithTransaction,
        }
    }

    /// The ICC master key (AC, SMI or SMC, depending on the issuer master key given) by this
    /// CVN's option.
    pub fn icc_master_key(self, imk: &TdesKey, pan: &[u8], psn: Option<u8>) -> Result<TdesKey> {
        icc_master_key(imk, pan, psn, self.master_key_option())
    }

    /// The AC session key from the ICC master key for AC, the ATC (9F36) and the
    /// unpredictable number (9F37; used by the Mastercard method only).
    pub fn session_key(self, icc_mk: &TdesKey, atc: [u8; 2], un: [u8; 4]) -> TdesKey {
        match self.session_key_method() {
            SessionKeyMethod::MasterKey => icc_mk.clone(),
            SessionKeyMethod::Common => common_session_key_atc(icc_mk, atc),
            SessionKeyMethod::Mastercard => mastercard_session_key(icc_mk, atc, un),
        }
    }

    /// The parts of 9F10 the AC covers (the second is empty unless the CVN appends
    /// counters).
    ///
    /// Errors: [`ErrorKind::Length`] (with the 9F10 length) if 9F10 is too short for the
    /// part.
    pub fn iad_parts(self, iad: &[u8]) -> Result<[&[u8]; 2]> {
        let short = || Error::new(ErrorKind::Length { len: iad.len() });
        match self.iad_part() {
            IadPart::Whole => Ok([iad, &[]]),
            IadPart::VisaCvr => Ok([iad.get(3..7).ok_or_else(short)?, &[]]),
            IadPart::MastercardCvr => Ok([iad.get(2..8).ok_or_else(short)?, &[]]),
            IadPart::MastercardCvrCounters => Ok([
                iad.get(2..8).ok_or_else(short)?,
                iad.get(10..18).ok_or_else(short)?,
            ]),
        }
    }

    /// Writes the AC input (unpadded) into `out` and returns its length, for logs and for
    /// checking against an HSM.
    ///
    /// Errors: 9F10 too short ([`ErrorKind::Length`]), `out` too small
    /// ([`ErrorKind::BufferTooSmall`]; nothing counts as written).
    pub fn ac_input(self, data: &AcData<'_>, out: &mut [u8]) -> Result<usize> {
        let head = data.head();
        let [a, b] = self.iad_parts(data.iad)?;
        let total = head.len() + a.len() + b.len();
        let dst = out
            .get_mut(..total)
            .ok_or(Error::new(ErrorKind::BufferTooSmall))?;
        for (d, s) in dst.iter_mut().zip(head.iter().chain(a).chain(b)) {
            *d = *s;
        }
        Ok(total)
    }

    /// The application cryptogram (ARQC, TC or AAC) under `sk`, the AC session key this CVN
    /// derives (see [`Cvn::session_key`]).
    ///
    /// Errors: 9F10 too short for the CVN ([`ErrorKind::Length`]).
    pub fn ac_with_session_key(self, sk: &TdesKey, data: &AcData<'_>) -> Result<[u8; 8]> {
        let head = data.head();
        let [a, b] = self.iad_parts(data.iad)?;
        Ok(mac_parts(sk, &[&head, a, b], self.padding()))
    }

    /// The application cryptogram from the ICC master key for AC: derives the session key
    /// from the ATC and UN in `data`, then MACs the CVN's input.
    ///
    /// Errors: 9F10 too short for the CVN ([`ErrorKind::Length`]).
    pub fn generate_ac(self, icc_mk: &TdesKey, data: &AcData<'_>) -> Result<[u8; 8]> {
        let sk = self.session_key(icc_mk, data.atc, data.unpredictable_number);
        self.ac_with_session_key(&sk, data)
    }

    /// Checks an application cryptogram (the host's ARQC validation), in constant time.
    ///
    /// Errors: [`ErrorKind::Verification`] if it does not match, [`ErrorKind::Length`] for
    /// a cryptogram that is not 8 bytes or a 9F10 too short for the CVN.
    pub fn verify_ac(self, icc_mk: &TdesKey, data: &AcData<'_>, ac: &[u8]) -> Result<()> {
        verify_exact(&self.generate_ac(icc_mk, data)?, ac)
    }

    /// The key the ARPC is computed under: the ICC master key (Visa 10, Mastercard 16/17)
    /// or the AC session key (Visa 18/22, Mastercard 20/21, Interac 133).
    pub fn arpc_key(self, icc_mk: &TdesKey, atc: [u8; 2], un: [u8; 4]) -> TdesKey {
        match self {
            Self::Visa10 | Self::Mastercard16 | Self::Mastercard17 => icc_mk.clone(),
            Self::Visa18
            | Self::Visa22
            | Self::Mastercard20
            | Self::Mastercard21
            | Self::Interac133 => self.session_key(icc_mk, atc, un),
        }
    }

    /// The ARPC for an ARQC, by this CVN's method and key.
    ///
    /// Errors: [`ErrorKind::ArpcMethod`] if `response` belongs to the other method,
    /// [`ErrorKind::Length`] for proprietary data longer than 8 bytes.
    pub fn arpc(
        self,
        icc_mk: &TdesKey,
        atc: [u8; 2],
        un: [u8; 4],
        arqc: &[u8; 8],
        response: ArpcResponse<'_>,
    ) -> Result<Arpc> {
        match (self.arpc_method(), response) {
            (ArpcMethod::Method1, ArpcResponse::Arc(arc)) => Ok(Arpc::Method1(arpc_method1(
                &self.arpc_key(icc_mk, atc, un),
                arqc,
                arc,
            ))),
            (ArpcMethod::Method2, ArpcResponse::Csu { csu, proprietary }) => Ok(Arpc::Method2(
                arpc_method2(&self.arpc_key(icc_mk, atc, un), arqc, csu, proprietary)?,
            )),
            _ => Err(ErrorKind::ArpcMethod.into()),
        }
    }

    /// The secure-messaging session key from the ICC master key for SMI (or SMC), the ATC
    /// and the ARQC of the transaction the script answers.
    pub fn script_session_key(self, icc_mk_sm: &TdesKey, atc: [u8; 2], arqc: &[u8; 8]) -> TdesKey {
        match self.script_key() {
            ScriptKey::Visa => visa_script_session_key(icc_mk_sm, atc),
            ScriptKey::CommonArqc => common_session_key(icc_mk_sm, arqc),
        }
    }

    /// The MAC of an issuer script command: over command header (CLA INS P1 P2 Lc) ‖ ATC ‖
    /// ARQC ‖ command data (Interac: header ‖ command data, see [`Cvn::script_mac_data`]),
    /// under [`Cvn::script_session_key`]. For the second and later commands of a script
    /// the schemes use the ARQC incremented by one per command.
    pub fn script_mac(
        self,
        icc_mk_smi: &TdesKey,
        atc: [u8; 2],
        arqc: &[u8; 8],
        header: &[u8],
        command_data: &[u8],
    ) -> [u8; 8] {
        let sk = self.script_session_key(icc_mk_smi, atc, arqc);
        match self.script_mac_data() {
            ScriptMacData::WithTransaction => {
                mac_parts(&sk, &[header, &atc, arqc, command_data], AcPadding::Method2)
            }
            ScriptMacData::CommandOnly => {
                mac_parts(&sk, &[header, command_data], AcPadding::Method2)
            }
        }
    }
}
