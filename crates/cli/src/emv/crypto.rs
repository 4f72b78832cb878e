//! `cardwire emv icc-mk | session-key | ac | arpc | cryptogram | pin-change | cvc3`: EMV
//! cryptograms from cardwire-crypto, from the building blocks up to whole CVN profiles fed
//! with field 55.

use cardwire_crypto::TdesKey;
use cardwire_crypto::emv::{
    self, AcData, AcPadding, ArpcResponse, Cvn, Emv2000Tree, IccKeys, MasterKeyOption,
};
use cardwire_crypto::pin::Pin;
use cardwire_emv::hex::Hex;
use cardwire_emv::tlv::{Mode, Reader, Tag};
use clap::{Args, Subcommand, ValueEnum};
use serde_json::{Map, Value, json};

use crate::{input, verdict};

/// ICC master key derivation options.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum MkOption {
    /// Option A.
    A,
    /// Option B.
    B,
}

/// Session key methods from the ATC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SkMethod {
    /// EMV common session key, R = ATC 00 00 00 00 00 00.
    Common,
    /// Mastercard SKD, R = ATC 00 00 UN.
    Mastercard,
    /// The EMV2000 key tree (--branch, --height, --iv).
    Emv2000,
}

/// The cryptogram version profiles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CvnName {
    /// Visa CVN 10.
    Visa10,
    /// Visa CVN 18.
    Visa18,
    /// Visa CVN 22.
    Visa22,
    /// Mastercard CVN 16.
    Mastercard16,
    /// Mastercard CVN 17.
    Mastercard17,
    /// Mastercard CVN 20.
    Mastercard20,
    /// Mastercard CVN 21.
    Mastercard21,
    /// Interac CVN 133.
    Interac133,
}

impl From<CvnName> for Cvn {
    fn from(c: CvnName) -> Self {
        match c {
            CvnName::Visa10 => Cvn::Visa10,
            CvnName::Visa18 => Cvn::Visa18,
            CvnName::Visa22 => Cvn::Visa22,
            CvnName::Mastercard16 => Cvn::Mastercard16,
            CvnName::Mastercard17 => Cvn::Mastercard17,
            CvnName::Mastercard20 => Cvn::Mastercard20,
            CvnName::Mastercard21 => Cvn::Mastercard21,
            CvnName::Interac133 => Cvn::Interac133,
        }
    }
}

/// The card a profile command works on: issuer master keys, PAN, PSN.
#[derive(Debug, Args)]
pub struct Card {
    /// The cryptogram version.
    #[arg(long, value_enum)]
    cvn: CvnName,
    /// Issuer master key for application cryptograms (double-length TDES, hex).
    #[arg(long)]
    imk_ac: String,
    /// The PAN (default: tag 5A of --tlv).
    #[arg(long)]
    pan: Option<String>,
    /// The PAN sequence number, 0 to 99 (default: tag 5F34 of --tlv, else 00).
    #[arg(long)]
    psn: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum CryptoCommand {
    /// Derive the ICC master key from an issuer master key (EMV Book 2 A1.4, Option A or B);
    /// prints the key as hex.
    IccMk {
        /// The issuer master key (double-length TDES) as hex.
        #[arg(long)]
        imk: String,
        /// The PAN, 1 to 19 digits.
        #[arg(long)]
        pan: String,
        /// The PAN sequence number (tag 5F34), 0 to 99; 00 when omitted.
        #[arg(long)]
        psn: Option<String>,
        /// Option a (rightmost 16 digits of PAN and PSN) or b (SHA-1, for 17 to 19 digits;
        /// shorter PANs fall back to a).
        #[arg(long, value_enum, default_value = "a")]
        option: MkOption,
    },
    /// Derive a session key from the ICC master key; prints the key as hex.
    ///
    /// Either --r (the EMV common session key from an 8-byte R) or --atc with --method
    /// common (R = ATC 00…), mastercard (R = ATC 00 00 UN, needs --un) or emv2000 (the key
    /// tree of --branch, --height and --iv).
    SessionKey {
        /// The ICC master key as hex.
        #[arg(long)]
        mk: String,
        /// The 8-byte diversification value R as hex.
        #[arg(long)]
        r: Option<String>,
        /// The application transaction counter (9F36), 2 bytes as hex.
        #[arg(long)]
        atc: Option<String>,
        /// The unpredictable number (9F37), 4 bytes as hex (mastercard method).
        #[arg(long)]
        un: Option<String>,
        /// How the key is formed from --atc (and --un).
        #[arg(long, value_enum)]
        method: Option<SkMethod>,
        /// EMV2000 tree: children per node (default 4).
        #[arg(long)]
        branch: Option<u8>,
        /// EMV2000 tree: levels (default 8).
        #[arg(long)]
        height: Option<u8>,
        /// EMV2000 tree: the 16-byte initial value as hex (default zeros).
        #[arg(long)]
        iv: Option<String>,
    },
    /// Compute an application cryptogram (ARQC, TC, AAC): ISO 9797-1 MAC algorithm 3 over
    /// the data; prints the 8 bytes as hex.
    Ac {
        /// The AC session key (or, for Visa CVN 10, the ICC master key) as hex.
        #[arg(long)]
        key: String,
        /// The cryptogram input (CDOL1 data, AIP, ATC, IAD part) as hex.
        #[arg(long)]
        data: String,
        /// 80 (ISO 9797-1 method 2, EMV) or 00 (method 1, Visa CVN 10).
        #[arg(long, default_value = "80")]
        padding: String,
    },
    /// Compute an ARPC: method 1 (8 bytes, from the ARQC and the ARC) or method 2 (4 bytes,
    /// from the ARQC, the CSU and optional proprietary data); prints it as hex.
    Arpc {
        /// The ARPC key (session key, or the ICC master key where the CVN says so) as hex.
        #[arg(long)]
        key: String,
        /// The ARQC (9F26), 8 bytes as hex.
        #[arg(long)]
        arqc: String,
        /// 1 or 2.
        #[arg(long)]
        method: u8,
        /// Method 1: the authorisation response code, 2 bytes as hex.
        #[arg(long)]
        arc: Option<String>,
        /// Method 2: the card status update, 4 bytes as hex.
        #[arg(long)]
        csu: Option<String>,
        /// Method 2: proprietary authentication data, 0 to 8 bytes as hex.
        #[arg(long)]
        pad: Option<String>,
    },
    /// A CVN profile end to end, fed with the card's data objects (field 55): the AC the
    /// card should have sent and, when 9F26 is there, whether it did ({"verified": …},
    /// exit 1 on a mismatch); with --arc or --csu also the ARPC. Prints JSON.
    Cryptogram {
        #[command(flatten)]
        card: Card,
        /// BER-TLV hex with 9F02, 9F03, 9F1A, 95, 5F2A, 9A, 9C, 9F37, 82, 9F36 and 9F10
        /// (9F26 to check; field 55 as it travels), or `-` for standard input.
        #[arg(long)]
        tlv: String,
        /// Method 1 CVNs: the authorisation response code for the ARPC, 2 bytes as hex.
        #[arg(long)]
        arc: Option<String>,
        /// Method 2 CVNs: the card status update for the ARPC, 4 bytes as hex.
        #[arg(long)]
        csu: Option<String>,
    },
    /// The PIN CHANGE/UNBLOCK script command a CVN profile sends to set a new offline PIN;
    /// prints the command APDU as hex.
    PinChange {
        #[command(flatten)]
        card: Card,
        /// Issuer master key for secure messaging integrity (hex).
        #[arg(long)]
        imk_smi: String,
        /// Issuer master key for secure messaging confidentiality (hex).
        #[arg(long)]
        imk_smc: String,
        /// The ATC of the transaction the script answers, 2 bytes as hex.
        #[arg(long)]
        atc: String,
        /// The ARQC of that transaction, 8 bytes as hex.
        #[arg(long)]
        arqc: String,
        /// The new PIN.
        #[arg(long)]
        pin: String,
        /// The current PIN (Visa VIS PIN block only).
        #[arg(long)]
        current_pin: Option<String>,
    },
    /// Mastercard CVC3 (contactless magnetic stripe); prints the 5-digit value, or its last
    /// --digits digits.
    Cvc3 {
        /// The ICC CVC3 key (hex), or --imk with --pan.
        #[arg(long, required_unless_present = "imk", conflicts_with = "imk")]
        key: Option<String>,
        /// The issuer CVC3 master key (Option A with --pan and --psn).
        #[arg(long, requires = "pan")]
        imk: Option<String>,
        /// The PAN (with --imk).
        #[arg(long)]
        pan: Option<String>,
        /// The PAN sequence number (with --imk), 00 when omitted.
        #[arg(long)]
        psn: Option<String>,
        /// The track data template as hex (track 2 BCD with D and F, or track 1 ASCII).
        #[arg(long)]
        track: String,
        /// The ATC, 2 bytes as hex.
        #[arg(long)]
        atc: String,
        /// The unpredictable number (9F6A), 4 bytes as hex.
        #[arg(long)]
        un: String,
        /// How many of the last digits to print, 1 to 5.
        #[arg(long, default_value_t = 5)]
        digits: usize,
    },
}

/// A TDES key from a hex argument named `name`.
fn key(name: &str, arg: &str) -> Result<TdesKey, String> {
    TdesKey::new(&input::hex(arg).map_err(|e| format!("--{name}: {e}"))?)
        .map_err(|e| format!("--{name}: {e}"))
}

/// Exactly `N` bytes from a hex argument named `name`.
fn bytes<const N: usize>(name: &str, arg: &str) -> Result<[u8; N], String> {
    let v = input::hex(arg).map_err(|e| format!("--{name}: {e}"))?;
    <[u8; N]>::try_from(v.as_slice())
        .map_err(|_| format!("--{name}: {} bytes given, {N} expected", v.len()))
}

fn psn_value(psn: Option<&str>) -> Result<Option<u8>, String> {
    match psn {
        None => Ok(None),
        Some(s) if (1..=2).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit()) => {
            Ok(Some(s.parse::<u8>().map_err(|e| format!("--psn: {e}"))?))
        }
        Some(s) => Err(format!("--psn {s:?}: one or two digits expected")),
    }
}

pub fn run(cmd: CryptoCommand) -> Result<String, String> {
    match cmd {
        CryptoCommand::IccMk {
            imk,
            pan,
            psn,
            option,
        } => icc_mk(&imk, &pan, psn.as_deref(), option),
        CryptoCommand::SessionKey {
            mk,
            r,
            atc,
            un,
            method,
            branch,
            height,
            iv,
        } => {
            if method == Some(SkMethod::Emv2000) {
                if r.is_some() || un.is_some() {
                    return Err(
                        "--method emv2000 takes --atc (and --branch, --height, --iv)".into(),
                    );
                }
                let atc = atc.ok_or("--method emv2000 needs --atc")?;
                return emv2000(&mk, &atc, branch, height, iv.as_deref());
            }
            if branch.is_some() || height.is_some() || iv.is_some() {
                return Err("--branch, --height and --iv go with --method emv2000".into());
            }
            session_key(&mk, r.as_deref(), atc.as_deref(), un.as_deref(), method)
        }
        CryptoCommand::Ac { key, data, padding } => ac(&key, &data, &padding),
        CryptoCommand::Arpc {
            key,
            arqc,
            method,
            arc,
            csu,
            pad,
        } => arpc(
            &key,
            &arqc,
            method,
            arc.as_deref(),
            csu.as_deref(),
            pad.as_deref(),
        ),
        CryptoCommand::Cryptogram {
            card,
            tlv,
            arc,
            csu,
        } => cryptogram(&card, &tlv, arc.as_deref(), csu.as_deref()),
        CryptoCommand::PinChange {
            card,
            imk_smi,
            imk_smc,
            atc,
            arqc,
            pin,
            current_pin,
        } => pin_change(
            &card,
            [&imk_smi, &imk_smc],
            &atc,
            &arqc,
            &pin,
            current_pin.as_deref(),
        ),
        CryptoCommand::Cvc3 {
            key: k,
            imk,
            pan,
            psn,
            track,
            atc,
            un,
            digits,
        } => {
            let icc = match (k, imk, pan) {
                (Some(k), None, _) => key("key", &k)?,
                (None, Some(imk), Some(pan)) => {
                    let imk = key("imk", &imk)?;
                    emv::icc_master_key(
                        &imk,
                        pan.as_bytes(),
                        psn_value(psn.as_deref())?,
                        MasterKeyOption::A,
                    )
                    .map_err(|e| format!("--pan: {e}"))?
                }
                _ => return Err("give --key, or --imk with --pan".into()),
            };
            if !(1..=5).contains(&digits) {
                return Err(format!("--digits {digits}: 1 to 5"));
            }
            let track = input::hex(&track).map_err(|e| format!("--track: {e}"))?;
            let cvc3 = emv::cvc3(&icc, &track, bytes("atc", &atc)?, bytes("un", &un)?);
            Ok(cvc3.digits(digits).as_str().to_owned())
        }
    }
}

fn icc_mk(imk: &str, pan: &str, psn: Option<&str>, option: MkOption) -> Result<String, String> {
    let imk = key("imk", imk)?;
    let option = match option {
        MkOption::A => MasterKeyOption::A,
        MkOption::B => MasterKeyOption::B,
    };
    let mk = emv::icc_master_key(&imk, pan.as_bytes(), psn_value(psn)?, option)
        .map_err(|e| format!("--pan: {e}"))?;
    Ok(Hex(mk.expose()).to_string())
}

fn session_key(
    mk: &str,
    r: Option<&str>,
    atc: Option<&str>,
    un: Option<&str>,
    method: Option<SkMethod>,
) -> Result<String, String> {
    let mk = key("mk", mk)?;
    let sk = match (r, atc, method) {
        (Some(_), Some(_), _) => return Err("give either --r or --atc, not both".into()),
        (Some(r), None, None | Some(SkMethod::Common)) => {
            if un.is_some() {
                return Err("--un goes with --atc and --method mastercard".into());
            }
            emv::common_session_key(&mk, &bytes::<8>("r", r)?)
        }
        (Some(_), None, Some(_)) => {
            return Err("--method mastercard forms R from --atc and --un, not --r".into());
        }
        (None, Some(atc), Some(SkMethod::Common)) => {
            if un.is_some() {
                return Err("--un goes with --method mastercard".into());
            }
            emv::common_session_key_atc(&mk, bytes::<2>("atc", atc)?)
        }
        (None, Some(atc), Some(_)) => {
            let un = un.ok_or("--method mastercard needs --un")?;
            emv::mastercard_session_key(&mk, bytes::<2>("atc", atc)?, bytes::<4>("un", un)?)
        }
        (None, Some(_), None) => {
            return Err("--atc needs --method common, mastercard or emv2000".into());
        }
        (None, None, _) => return Err("give --r, or --atc with --method".into()),
    };
    Ok(Hex(sk.expose()).to_string())
}

fn emv2000(
    mk: &str,
    atc: &str,
    branch: Option<u8>,
    height: Option<u8>,
    iv: Option<&str>,
) -> Result<String, String> {
    let mk = key("mk", mk)?;
    let iv = match iv {
        Some(iv) => bytes::<16>("iv", iv)?,
        None => [0; 16],
    };
    let (branch, height) = (branch.unwrap_or(4), height.unwrap_or(8));
    let tree = Emv2000Tree::new(branch, height, iv).map_err(|_| {
        format!(
            "--branch {branch} --height {height}: the tree needs a branch factor of 2 or more, a height of 1 to 64 and at least 65535 leaves"
        )
    })?;
    let sk = emv::emv2000_tree_session_key(&mk, bytes::<2>("atc", atc)?, &tree);
    Ok(Hex(sk.expose()).to_string())
}

fn ac(key_hex: &str, data: &str, padding: &str) -> Result<String, String> {
    let sk = key("key", key_hex)?;
    let data = input::hex(data).map_err(|e| format!("--data: {e}"))?;
    let padding = match padding {
        "80" => AcPadding::Method2,
        "00" => AcPadding::Method1Zero,
        other => return Err(format!("--padding {other:?}: use 80 or 00")),
    };
    Ok(Hex(&emv::application_cryptogram(&sk, &data, padding)).to_string())
}

fn arpc(
    key_hex: &str,
    arqc: &str,
    method: u8,
    arc: Option<&str>,
    csu: Option<&str>,
    pad: Option<&str>,
) -> Result<String, String> {
    let k = key("key", key_hex)?;
    let arqc = bytes::<8>("arqc", arqc)?;
    match (method, arc, csu, pad) {
        (1, Some(arc), None, None) => {
            Ok(Hex(&emv::arpc_method1(&k, &arqc, bytes::<2>("arc", arc)?)).to_string())
        }
        (1, None, _, _) => Err("--method 1 needs --arc".into()),
        (1, Some(_), _, _) => Err("--csu and --pad go with --method 2".into()),
        (2, None, Some(csu), pad) => {
            let pad = match pad {
                Some(p) => input::hex(p).map_err(|e| format!("--pad: {e}"))?,
                None => Vec::new(),
            };
            let arpc = emv::arpc_method2(&k, &arqc, bytes::<4>("csu", csu)?, &pad)
                .map_err(|e| format!("--pad: {e} (0 to 8 bytes allowed)"))?;
            Ok(Hex(&arpc).to_string())
        }
        (2, Some(_), _, _) => Err("--arc goes with --method 1".into()),
        (2, None, None, _) => Err("--method 2 needs --csu".into()),
        (m, _, _, _) => Err(format!("--method {m}: use 1 or 2")),
    }
}

/// The card's data objects, looked up by tag.
struct Objects(Vec<u8>);

impl Objects {
    fn value(&self, tag: &[u8]) -> Result<Option<&[u8]>, String> {
        let tag = Tag::from_bytes(tag).map_err(|e| format!("tag {}: {e}", Hex(tag)))?;
        Reader::with_mode(&self.0, Mode::Lenient)
            .find(tag)
            .map(|t| t.map(|t| t.value()))
            .map_err(|e| format!("--tlv: {e}"))
    }

    fn fixed<const N: usize>(&self, tag: &[u8]) -> Result<[u8; N], String> {
        let v = self
            .value(tag)?
            .ok_or_else(|| format!("--tlv: no tag {}", Hex(tag)))?;
        <[u8; N]>::try_from(v).map_err(|_| {
            format!(
                "--tlv: tag {} has {} bytes, {N} expected",
                Hex(tag),
                v.len()
            )
        })
    }
}

/// The PAN and PSN of a profile command: from the arguments, else from 5A and 5F34.
fn pan_psn(card: &Card, objects: Option<&Objects>) -> Result<(String, Option<u8>), String> {
    let pan = match (&card.pan, objects) {
        (Some(pan), _) => pan.clone(),
        (None, Some(o)) => {
            let bcd = o
                .value(&[0x5A])?
                .ok_or("give --pan (the data has no tag 5A)")?;
            Hex(bcd).to_string().trim_end_matches('F').to_owned()
        }
        (None, None) => return Err("give --pan".into()),
    };
    let psn = match (&card.psn, objects) {
        (Some(psn), _) => psn_value(Some(psn))?,
        (None, Some(o)) => match o.value(&[0x5F, 0x34])? {
            Some([b]) => Some(10 * (b >> 4) + (b & 0xF)),
            Some(_) => return Err("--tlv: tag 5F34 is not one byte".into()),
            None => None,
        },
        (None, None) => None,
    };
    Ok((pan, psn))
}

fn cryptogram(
    card: &Card,
    tlv: &str,
    arc: Option<&str>,
    csu: Option<&str>,
) -> Result<String, String> {
    let cvn = Cvn::from(card.cvn);
    let objects = Objects(input::hex(tlv).map_err(|e| format!("--tlv: {e}"))?);
    Reader::with_mode(&objects.0, Mode::Lenient)
        .validate()
        .map_err(|e| format!("--tlv: {e}"))?;
    let (pan, psn) = pan_psn(card, Some(&objects))?;
    let imk = key("imk-ac", &card.imk_ac)?;
    let mk = cvn
        .icc_master_key(&imk, pan.as_bytes(), psn)
        .map_err(|e| format!("PAN: {e}"))?;
    let iad = objects.value(&[0x9F, 0x10])?.ok_or("--tlv: no tag 9F10")?;
    let data = AcData {
        amount_authorised: objects.fixed(&[0x9F, 0x02])?,
        amount_other: objects.fixed(&[0x9F, 0x03])?,
        terminal_country_code: objects.fixed(&[0x9F, 0x1A])?,
        tvr: objects.fixed(&[0x95])?,
        currency_code: objects.fixed(&[0x5F, 0x2A])?,
        transaction_date: objects.fixed(&[0x9A])?,
        transaction_type: u8::from_be_bytes(objects.fixed(&[0x9C])?),
        unpredictable_number: objects.fixed(&[0x9F, 0x37])?,
        aip: objects.fixed(&[0x82])?,
        atc: objects.fixed(&[0x9F, 0x36])?,
        iad,
    };
    let ac = cvn
        .generate_ac(&mk, &data)
        .map_err(|e| format!("--tlv: tag 9F10 too short for {:?}: {e}", card.cvn))?;
    let mut out = Map::new();
    out.insert(
        "cvn".into(),
        json!(format!("{:?}", card.cvn).to_lowercase()),
    );
    out.insert("ac".into(), json!(Hex(&ac).to_string()));
    let (atc, un) = (data.atc, data.unpredictable_number);
    let response = match (arc, csu) {
        (Some(a), None) => Some(ArpcResponse::Arc(bytes::<2>("arc", a)?)),
        (None, Some(c)) => Some(ArpcResponse::Csu {
            csu: bytes::<4>("csu", c)?,
            proprietary: &[],
        }),
        (None, None) => None,
        (Some(_), Some(_)) => {
            return Err("give --arc (method 1) or --csu (method 2), not both".into());
        }
    };
    if let Some(response) = response {
        let arpc = cvn.arpc(&mk, atc, un, &ac, response).map_err(|_| {
            format!(
                "{:?} answers with ARPC method {:?}: use --arc for method 1, --csu for method 2",
                card.cvn,
                cvn.arpc_method()
            )
        })?;
        out.insert("arpc".into(), json!(Hex(arpc.as_bytes()).to_string()));
    }
    match objects.value(&[0x9F, 0x26])? {
        Some(sent) => {
            out.insert("ac_sent".into(), json!(Hex(sent).to_string()));
            let ok = cvn.verify_ac(&mk, &data, sent).is_ok();
            let verdict = verdict::report("verified", ok, Map::new())?;
            let parsed: Value = serde_json::from_str(&verdict).map_err(|e| e.to_string())?;
            if let Value::Object(v) = parsed {
                out.extend(v);
            }
        }
        None => {
            out.insert("verified".into(), Value::Null);
        }
    }
    serde_json::to_string_pretty(&Value::Object(out)).map_err(|e| e.to_string())
}

fn pin_change(
    card: &Card,
    [imk_smi, imk_smc]: [&str; 2],
    atc: &str,
    arqc: &str,
    pin: &str,
    current: Option<&str>,
) -> Result<String, String> {
    let cvn = Cvn::from(card.cvn);
    let (pan, psn) = pan_psn(card, None)?;
    let mk = |name: &str, hex: &str| -> Result<TdesKey, String> {
        cvn.icc_master_key(&key(name, hex)?, pan.as_bytes(), psn)
            .map_err(|e| format!("PAN: {e}"))
    };
    let (ac, smi, smc) = (
        mk("imk-ac", &card.imk_ac)?,
        mk("imk-smi", imk_smi)?,
        mk("imk-smc", imk_smc)?,
    );
    let keys = IccKeys {
        ac: &ac,
        smi: &smi,
        smc: &smc,
    };
    let pin = Pin::new(pin).map_err(|e| format!("PIN: {e}"))?;
    let current = current
        .map(|p| Pin::new(p).map_err(|e| format!("current PIN: {e}")))
        .transpose()?;
    let cmd = cvn
        .pin_change_command(
            &keys,
            bytes("atc", atc)?,
            &bytes("arqc", arqc)?,
            &pin,
            current.as_ref(),
        )
        .map_err(|e| format!("--current-pin: {e} ({:?} has no VIS PIN block)", card.cvn))?;
    Ok(Hex(cmd.as_bytes()).to_string())
}
