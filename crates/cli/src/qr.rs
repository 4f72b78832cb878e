//! `cardwire qr …`: EMV QR codes, merchant-presented (MPM) and consumer-presented (CPM), and
//! the UnionPay domestic URL form.

use cardwire_emv::qr::{Cpm, DataObject, Kind, Mpm, MpmBuilder, UnionPayUrl, encode_cpm};
use cardwire_emv::tlv::Mode;
use clap::Subcommand;
use serde_json::{Map, Value, json};

use crate::input;

#[derive(Debug, Subcommand)]
pub enum QrCommand {
    /// Decode a QR payload into JSON: every data object (templates nested), the CRC and
    /// "crc_valid", and the merchant fields. Recognises MPM (000201…), CPM (base64) and the
    /// UnionPay https://qr.95516.com/… form.
    Decode {
        /// Report a wrong MPM CRC as "crc_valid": false instead of rejecting the payload.
        #[arg(long)]
        ignore_crc: bool,
        /// Show PAN and track 2 of a CPM payload in clear.
        #[arg(long)]
        clear: bool,
        /// The payload text (`-` or left out: standard input).
        #[arg(default_value = "-")]
        payload: String,
    },
    /// Encode JSON into an MPM payload with a fresh CRC. Accepts the output of `qr decode`,
    /// an array of {"id", "value" | "children"} objects, or an object of ID → value or
    /// nested object; ID 63 is ignored. {"kind": "cpm", "tlv": HEX} encodes a CPM payload.
    Encode {
        /// The JSON (`-` or left out: standard input).
        #[arg(default_value = "-")]
        json: String,
    },
}

pub fn run(cmd: QrCommand) -> Result<String, String> {
    match cmd {
        QrCommand::Decode {
            ignore_crc,
            clear,
            payload,
        } => {
            let text = input::text(&payload)?;
            let text = text.trim_end_matches(['\r', '\n']);
            let value = decode(text, ignore_crc, clear)?;
            serde_json::to_string_pretty(&value).map_err(|e| e.to_string())
        }
        QrCommand::Encode { json } => {
            let text = input::text(&json)?;
            let value: Value = serde_json::from_str(&text).map_err(|e| format!("JSON: {e}"))?;
            encode(&value)
        }
    }
}

fn decode(text: &str, ignore_crc: bool, clear: bool) -> Result<Value, String> {
    match Kind::detect(text) {
        Kind::Mpm => {
            let mpm = if ignore_crc {
                Mpm::parse_ignoring_crc(text)
            } else {
                Mpm::parse(text)
            }
            .map_err(|e| format!("QR: {e}"))?;
            let objects: Vec<Value> = mpm.objects().map(object).collect();
            let m = mpm.merchant();
            Ok(json!({
                "kind": "mpm",
                "objects": objects,
                "crc": format!("{:04X}", mpm.crc()),
                "crc_valid": mpm.crc_valid(),
                "merchant": {
                    "mcc": m.mcc,
                    "name": m.name,
                    "city": m.city,
                    "country": m.country,
                    "postal_code": m.postal_code,
                    "currency": m.currency,
                    "amount": m.amount,
                    "language": m.language,
                    "name_alternate": m.name_alternate,
                    "city_alternate": m.city_alternate,
                },
                "unionpay_account": mpm.unionpay_account(),
            }))
        }
        Kind::UnionPayUrl => {
            let url = UnionPayUrl::parse(text).ok_or("QR: not a UnionPay URL")?;
            let segments: Vec<&str> = url.segments().collect();
            Ok(json!({
                "kind": "unionpay-url",
                "url": url.as_str(),
                "path": url.path(),
                "segments": segments,
            }))
        }
        Kind::Cpm => {
            let mut buf = vec![0u8; text.len()];
            let cpm = Cpm::decode(text, &mut buf).map_err(|e| format!("QR (CPM): {e}"))?;
            let objects = crate::tlv::decode(cpm.as_bytes(), Mode::Strict, clear)
                .map_err(|e| format!("QR (CPM): {e}"))?;
            Ok(json!({"kind": "cpm", "objects": objects}))
        }
        Kind::Unknown => {
            Err("QR: neither EMV MPM (000201…), CPM (base64) nor a UnionPay URL".to_owned())
        }
    }
}

fn object(o: DataObject<'_>) -> Value {
    let mut m = Map::new();
    m.insert("id".into(), format!("{:02}", o.id()).into());
    m.insert("name".into(), o.name().into());
    m.insert("len".into(), o.char_len().into());
    m.insert("value".into(), o.value().into());
    if let Some(children) = o.children() {
        let children: Vec<Value> = children.map(object).collect();
        m.insert("children".into(), children.into());
    }
    Value::Object(m)
}

/// A data object to write: a value or children.
enum Item {
    Value(String),
    Template(Vec<(u8, Item)>),
}

fn id_of(v: &Value) -> Result<u8, String> {
    let id = match v {
        Value::String(s) if s.len() == 2 && s.bytes().all(|b| b.is_ascii_digit()) => {
            s.parse::<u8>().ok()
        }
        Value::Number(n) => n.as_u64().and_then(|n| u8::try_from(n).ok()),
        _ => None,
    };
    id.filter(|id| *id <= 99)
        .ok_or_else(|| format!("JSON: {v} is not an ID 00-99"))
}

/// Reads the accepted JSON shapes into items.
fn items(v: &Value) -> Result<Vec<(u8, Item)>, String> {
    match v {
        Value::Array(list) => list
            .iter()
            .map(|o| {
                let id = id_of(o.get("id").ok_or("JSON: an object without \"id\"")?)?;
                let item = match (o.get("children"), o.get("value")) {
                    (Some(children), _) => Item::Template(items(children)?),
                    (None, Some(Value::String(s))) => Item::Value(s.clone()),
                    _ => return Err(format!("JSON: ID {id:02} needs \"value\" or \"children\"")),
                };
                Ok((id, item))
            })
            .collect(),
        Value::Object(map) if map.contains_key("objects") => {
            items(map.get("objects").unwrap_or(&Value::Null))
        }
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| {
                let id = id_of(&Value::String(k.clone()))?;
                let item = match v {
                    Value::String(s) => Item::Value(s.clone()),
                    nested @ (Value::Object(_) | Value::Array(_)) => Item::Template(items(nested)?),
                    _ => return Err(format!("JSON: ID {id:02} has neither text nor objects")),
                };
                Ok((id, item))
            })
            .collect(),
        _ => Err("JSON: expected an array or an object of data objects".to_owned()),
    }
}

fn write(
    b: &mut MpmBuilder<'_>,
    items: &[(u8, Item)],
    top: bool,
) -> Result<(), cardwire_emv::Error> {
    for (id, item) in items {
        if top && *id == 63 {
            continue; // the CRC is recomputed
        }
        match item {
            Item::Value(v) => {
                b.value(*id, v)?;
            }
            Item::Template(children) => {
                b.template(*id, |t| write(t, children, false))?;
            }
        }
    }
    Ok(())
}

fn encode(v: &Value) -> Result<String, String> {
    if v.get("kind").and_then(Value::as_str) == Some("cpm") {
        let hex = v
            .get("tlv")
            .and_then(Value::as_str)
            .ok_or("JSON: a CPM needs \"tlv\" (hex)")?;
        let data = input::hex(hex)?;
        let mut out = vec![0u8; data.len() * 4 / 3 + 4];
        return encode_cpm(&data, &mut out)
            .map(str::to_owned)
            .map_err(|e| format!("QR (CPM): {e}"));
    }
    let items = items(v)?;
    let mut buf = vec![0u8; 4096];
    let mut b = MpmBuilder::new(&mut buf);
    write(&mut b, &items, true).map_err(|e| format!("QR: {e}"))?;
    b.finish()
        .map(str::to_owned)
        .map_err(|e| format!("QR: {e}"))
}
