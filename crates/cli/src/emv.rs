//! `cardwire emv …`: the EMV application layer: bit fields and data object lists, and the
//! cryptograms of cardwire-crypto (in `emv/crypto.rs`).

use cardwire_emv::bits::{
    AdditionalTerminalCapabilities, Aip, Auc, BitField, Cid, Ctq, CvmList, CvmResults, CvmRule,
    Iad, IadLayout, TerminalCapabilities, TerminalType, Tsi, Ttq, Tvr, VisaIad,
};
use cardwire_emv::dict;
use cardwire_emv::dol::Dol;
use cardwire_emv::hex::Hex;
use cardwire_emv::tlv::{Mode, Reader, Tag};
use clap::{Subcommand, ValueEnum};
use serde_json::{Map, Value, json};

use crate::input;

mod crypto;

#[derive(Debug, Subcommand)]
pub enum EmvCommand {
    /// Decode an EMV bit field into JSON: the flags set and the coded parts.
    ///
    /// Tags: 95 (TVR; also 9F0D-9F0F, DF8120-DF8122 in the same layout), 9B, 82, 9F07, 8E,
    /// 9F34, 9F33, 9F40, 9F35, 9F66, 9F6C, 9F27, 9F10.
    Bits {
        /// The data element's tag, e.g. 95.
        #[arg(long)]
        tag: String,
        /// For 9F10: read in this layout instead of recognising it.
        #[arg(long, value_enum)]
        layout: Option<Layout>,
        /// The value as hex (`-` or left out: standard input).
        #[arg(default_value = "-")]
        hex: String,
    },
    /// Assemble DOL data (Book 3 §5.4) for a PDOL, CDOL1, CDOL2, DDOL or TDOL from known
    /// values given as BER-TLV; prints the data as hex.
    Dol {
        /// The data object list as hex (tags and lengths).
        #[arg(long)]
        dol: String,
        /// The known values as BER-TLV hex.
        #[arg(long)]
        tlv: String,
        /// Read the values leniently (skip 00/FF padding, such as field 55's trailing 00).
        #[arg(long)]
        lenient: bool,
    },
    /// EMV cryptograms: keys, AC, ARPC, CVN profiles, PIN change, CVC3.
    #[command(flatten)]
    Crypto(crypto::CryptoCommand),
}

/// Issuer application data layouts.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Layout {
    /// Visa formats 0/1/3 and 2, and the UnionPay/PBOC layout.
    Visa,
    /// Mastercard M/Chip.
    Mchip,
    /// Common Core Definitions format A.
    Ccd,
}

pub fn run(cmd: EmvCommand) -> Result<String, String> {
    let value = match cmd {
        EmvCommand::Bits { tag, layout, hex } => {
            let tag: Tag = tag.parse().map_err(|_| format!("not a tag: {tag}"))?;
            let bytes = input::hex(&hex)?;
            bits(tag, &bytes, layout)?
        }
        EmvCommand::Dol { dol, tlv, lenient } => {
            let dol_bytes = input::hex(&dol)?;
            let known = input::hex(&tlv)?;
            let dol = Dol::new(&dol_bytes).map_err(|e| format!("DOL: {e}"))?;
            let mode = if lenient { Mode::Lenient } else { Mode::Strict };
            let mut out = vec![0u8; dol.data_len()];
            let n = dol
                .build_from(&Reader::with_mode(&known, mode), &mut out)
                .map_err(|e| format!("TLV: {e}"))?;
            return Ok(Hex(out.get(..n).unwrap_or_default()).to_string());
        }
        EmvCommand::Crypto(cmd) => return crypto::run(cmd),
    };
    serde_json::to_string_pretty(&value).map_err(|e| e.to_string())
}

fn err(tag: Tag, e: cardwire_emv::Error) -> String {
    format!("{tag}: {e}")
}

/// The JSON header every decoding starts with.
fn head(tag: Tag, bytes: &[u8]) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("tag".into(), tag.to_string().into());
    m.insert("name".into(), dict::name(tag).into());
    m.insert("value".into(), Hex(bytes).to_string().into());
    m
}

fn bits(tag: Tag, bytes: &[u8], layout: Option<Layout>) -> Result<Value, String> {
    let mut m = head(tag, bytes);
    let e = |x| err(tag, x);
    match tag.to_u32() {
        0x95 | 0x9F0D | 0x9F0E | 0x9F0F | 0xDF8120 | 0xDF8121 | 0xDF8122 => {
            flags(&mut m, &Tvr::from_bytes(bytes).map_err(e)?)
        }
        0x9B => flags(&mut m, &Tsi::from_bytes(bytes).map_err(e)?),
        0x82 => flags(&mut m, &Aip::from_bytes(bytes).map_err(e)?),
        0x9F07 => flags(&mut m, &Auc::from_bytes(bytes).map_err(e)?),
        0x9F33 => flags(&mut m, &TerminalCapabilities::from_bytes(bytes).map_err(e)?),
        0x9F40 => flags(
            &mut m,
            &AdditionalTerminalCapabilities::from_bytes(bytes).map_err(e)?,
        ),
        0x9F66 => flags(&mut m, &Ttq::from_bytes(bytes).map_err(e)?),
        0x9F6C => flags(&mut m, &Ctq::from_bytes(bytes).map_err(e)?),
        0x9F27 => flags(&mut m, &Cid::from_bytes(bytes).map_err(e)?),
        0x8E => {
            let list = CvmList::parse(bytes).map_err(e)?;
            m.insert("amount_x".into(), list.amount_x().into());
            m.insert("amount_y".into(), list.amount_y().into());
            let rules: Vec<Value> = list.rules().map(rule).collect();
            m.insert("rules".into(), rules.into());
        }
        0x9F34 => {
            let results = CvmResults::from_bytes(bytes).map_err(e)?;
            if let Value::Object(r) = rule(results.rule()) {
                m.extend(r);
            }
            m.insert("result".into(), results.outcome().as_str().into());
            m.insert(
                "result_code".into(),
                format!("{:02X}", results.outcome().code()).into(),
            );
        }
        0x9F35 => {
            let t = TerminalType::from_bytes(bytes).map_err(e)?;
            m.insert("operational_control".into(), t.control.as_str().into());
            m.insert("environment".into(), t.environment.as_str().into());
            m.insert("attended".into(), t.environment.attended().into());
            m.insert(
                "online_capable".into(),
                t.environment.online_capable().into(),
            );
            m.insert(
                "offline_capable".into(),
                t.environment.offline_capable().into(),
            );
        }
        0x9F10 => {
            let iad = match layout {
                None => Iad::parse(bytes),
                Some(Layout::Visa) => Iad::parse_as(bytes, IadLayout::Visa),
                Some(Layout::Mchip) => Iad::parse_as(bytes, IadLayout::Mchip),
                Some(Layout::Ccd) => Iad::parse_as(bytes, IadLayout::Ccd),
            }
            .map_err(e)?;
            iad_json(&mut m, &iad);
        }
        _ => {
            return Err(format!(
                "no bit-field decoder for tag {tag} (known: 95 9B 82 9F07 8E 9F34 9F33 9F40 9F35 \
                 9F66 9F6C 9F27 9F10, and the TVR-shaped 9F0D 9F0E 9F0F DF8120 DF8121 DF8122)"
            ));
        }
    }
    Ok(Value::Object(m))
}

/// `flags`, `fields` and `unnamed_bits` of a bit field.
fn flags<B: BitField>(m: &mut Map<String, Value>, value: &B) {
    let set: Vec<Value> = value
        .flags()
        .map(|f| json!({"byte": f.byte(), "bit": f.bit(), "key": f.key(), "name": f.name()}))
        .collect();
    m.insert("flags".into(), set.into());
    if !B::FIELDS.is_empty() {
        let fields: Vec<Value> = B::FIELDS
            .iter()
            .map(|f| {
                let v = value.field(*f);
                let (hi, lo) = f.bits();
                json!({
                    "byte": f.byte(),
                    "bits": format!("{hi}-{lo}"),
                    "key": f.key(),
                    "name": f.name(),
                    "value": v,
                    "meaning": f.meaning(v),
                })
            })
            .collect();
        m.insert("fields".into(), fields.into());
    }
    let unnamed: Vec<Value> = value
        .unnamed_bits()
        .map(|(byte, bit)| json!({"byte": byte, "bit": bit}))
        .collect();
    if !unnamed.is_empty() {
        m.insert("unnamed_bits".into(), unnamed.into());
    }
}

fn rule(r: CvmRule) -> Value {
    json!({
        "method": r.method().name(),
        "method_code": format!("{:02X}", r.method().code()),
        "condition": r.condition().name(),
        "condition_code": format!("{:02X}", r.condition().code()),
        "apply_next_if_unsuccessful": r.apply_next_if_unsuccessful(),
    })
}

fn nested<B: BitField>(value: &B) -> Value {
    let mut m = Map::new();
    m.insert("value".into(), Hex(value.as_bytes()).to_string().into());
    flags(&mut m, value);
    Value::Object(m)
}

fn iad_json(m: &mut Map<String, Value>, iad: &Iad<'_>) {
    let hex = |b: &[u8]| Value::from(Hex(b).to_string());
    let byte = |b: u8| Value::from(format!("{b:02X}"));
    match iad {
        Iad::Visa(VisaIad::Format013 {
            dki,
            cvn,
            cvr,
            extra,
            issuer_discretionary,
        }) => {
            m.insert("layout".into(), "visa".into());
            m.insert("format".into(), "0/1/3".into());
            m.insert("dki".into(), byte(*dki));
            m.insert("cvn".into(), byte(*cvn));
            m.insert("cvn_label".into(), iad.cvn_label().into());
            m.insert("cvr".into(), nested(cvr));
            m.insert("extra".into(), hex(extra));
            m.insert(
                "issuer_discretionary_data".into(),
                hex(issuer_discretionary),
            );
        }
        Iad::Visa(VisaIad::Format2 {
            cvn,
            dki,
            cvr,
            issuer_discretionary,
        }) => {
            m.insert("layout".into(), "visa".into());
            m.insert("format".into(), "2".into());
            m.insert("cvn".into(), byte(*cvn));
            m.insert("cvn_label".into(), iad.cvn_label().into());
            m.insert("dki".into(), byte(*dki));
            m.insert("cvr".into(), hex(cvr));
            m.insert(
                "issuer_discretionary_data".into(),
                hex(issuer_discretionary),
            );
        }
        Iad::Mchip(mc) => {
            m.insert("layout".into(), "mchip".into());
            m.insert("dki".into(), byte(mc.dki));
            m.insert("cvn".into(), byte(mc.cvn));
            m.insert("cvn_label".into(), iad.cvn_label().into());
            m.insert("cvr".into(), nested(&mc.cvr));
            m.insert("dac".into(), hex(&mc.dac));
            m.insert("rest".into(), hex(mc.rest));
        }
        Iad::Ccd(c) => {
            m.insert("layout".into(), "ccd".into());
            m.insert("cci".into(), byte(c.cci));
            m.insert("cvn_label".into(), iad.cvn_label().into());
            m.insert("dki".into(), byte(c.dki));
            m.insert("cvr".into(), nested(&c.cvr));
            m.insert("counters".into(), hex(&c.counters));
            m.insert(
                "issuer_discretionary_data".into(),
                hex(&c.issuer_discretionary),
            );
        }
    }
}
