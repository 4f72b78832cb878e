//! `cardwire tlv …`: decode BER-TLV to JSON, or describe it for people.

use cardwire_emv::describe::Describe;
use cardwire_emv::dict;
use cardwire_emv::mask::MaskedValue;
use cardwire_emv::tlv::{Mode, Reader, Tlv};
use clap::Subcommand;
use serde_json::{Value, json};

use crate::input;

#[derive(Debug, Subcommand)]
pub enum TlvCommand {
    /// Decode BER-TLV hex into a JSON array of nodes.
    Decode {
        /// Skip 00/FF padding between objects and a trailing 00.
        #[arg(long)]
        lenient: bool,
        /// Show PAN, track 2, cardholder name and PIN data in clear.
        #[arg(long)]
        clear: bool,
        /// The data as hex (`-` or left out: standard input).
        #[arg(default_value = "-")]
        hex: String,
    },
    /// Describe BER-TLV for people: each tag named, each value shown by its EMV format
    /// (digits, text, dates, amounts), PAN and track data masked.
    Describe {
        /// Skip 00/FF padding between objects and a trailing 00.
        #[arg(long)]
        lenient: bool,
        /// Show PAN, track data, cardholder name and PIN data in clear.
        #[arg(long)]
        clear: bool,
        /// The data as hex (`-` or left out: standard input).
        #[arg(default_value = "-")]
        hex: String,
    },
    /// Encode the JSON that `tlv decode --clear` prints back into BER-TLV hex.
    Encode {
        /// The JSON (`-` or left out: standard input).
        #[arg(default_value = "-")]
        json: String,
    },
}

pub fn run(cmd: TlvCommand) -> Result<String, String> {
    match cmd {
        TlvCommand::Decode {
            lenient,
            clear,
            hex,
        } => {
            let data = input::hex(&hex)?;
            let mode = if lenient { Mode::Lenient } else { Mode::Strict };
            let nodes = decode(&data, mode, clear).map_err(|e| format!("TLV: {e}"))?;
            serde_json::to_string_pretty(&Value::Array(nodes)).map_err(|e| e.to_string())
        }
        TlvCommand::Describe {
            lenient,
            clear,
            hex,
        } => {
            let data = input::hex(&hex)?;
            let mode = if lenient { Mode::Lenient } else { Mode::Strict };
            let dump = Describe::new(&data, mode)
                .map_err(|e| format!("TLV: {e}"))?
                .clear(clear)
                .with_dictionary();
            Ok(dump.to_string().trim_end().to_owned())
        }
        TlvCommand::Encode { json } => crate::tlv_encode::run(&json),
    }
}

/// JSON nodes for every top-level object of `data`; validated first so that no partial
/// output is ever produced.
pub fn decode(data: &[u8], mode: Mode, clear: bool) -> Result<Vec<Value>, cardwire_emv::Error> {
    let reader = Reader::with_mode(data, mode);
    reader.validate()?;
    reader.map(|t| node(&t?, clear)).collect()
}

fn node(tlv: &Tlv<'_>, clear: bool) -> Result<Value, cardwire_emv::Error> {
    let mut obj = json!({
        "tag": tlv.tag().to_string(),
        "name": dict::name(tlv.tag()),
        "len": tlv.len(),
        "value": MaskedValue::new(tlv, clear).to_string(),
    });
    if let (Some(children), Some(map)) = (tlv.children(), obj.as_object_mut()) {
        let children: Result<Vec<Value>, _> = children.map(|c| node(&c?, clear)).collect();
        map.insert("children".into(), Value::Array(children?));
    }
    Ok(obj)
}
