//! `cardwire iso8583 …`: decode ISO 8583 messages to JSON, encode them from JSON, describe them.

use cardwire_iso8583::frame::{FrameFormat, Progress};
use cardwire_iso8583::{Describe, Message, MessageSpec, json, specs};
use clap::{Args, Subcommand};

use crate::input;

mod strict;

#[derive(Debug, Subcommand)]
pub enum Iso8583Command {
    /// Decode a message (hex) into JSON; card data masked unless --clear.
    Decode {
        #[command(flatten)]
        spec: SpecArgs,
        /// The input starts with the frame: length, TPDU and (cups) the 6-byte header.
        #[arg(long)]
        framed: bool,
        /// Show PAN, tracks, PIN block, MAC and field 55's card data in clear.
        #[arg(long)]
        clear: bool,
        /// The message as hex (`-` or left out: standard input).
        #[arg(default_value = "-")]
        hex: String,
    },
    /// Encode a message from JSON (as `decode --clear` prints it) into hex.
    Encode {
        #[command(flatten)]
        spec: SpecArgs,
        /// Put the frame (length, TPDU, header from the JSON's "frame") in front.
        #[arg(long)]
        framed: bool,
        /// The message as JSON (`-` or left out: standard input).
        #[arg(default_value = "-")]
        json: String,
    },
    /// Print a human dump of a message, card data masked unless --clear.
    Describe {
        #[command(flatten)]
        spec: SpecArgs,
        /// Show card data in clear.
        #[arg(long)]
        clear: bool,
        /// The message as hex (`-` or left out: standard input).
        #[arg(default_value = "-")]
        hex: String,
    },
}

#[derive(Debug, Args)]
pub struct SpecArgs {
    /// Built-in spec: cups, iso87-ascii, iso87-binary or iso93-binary.
    #[arg(long, required_unless_present = "spec_file")]
    spec: Option<String>,
    /// A spec in JSON (the format of crates/iso8583/specs/*.json); overrides --spec.
    #[arg(long)]
    spec_file: Option<String>,
}

/// The spec chosen on the command line.
enum Spec {
    Builtin(&'static MessageSpec),
    Loaded(Box<MessageSpec>),
}

impl Spec {
    fn get(&self) -> &MessageSpec {
        match self {
            Spec::Builtin(s) => s,
            Spec::Loaded(s) => s,
        }
    }
}

fn load(args: &SpecArgs) -> Result<Spec, String> {
    if let Some(path) = &args.spec_file {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
        // A file with `"base"` names a built-in spec and only what differs from it.
        let spec = MessageSpec::from_json(&text).map_err(|e| format!("{path}: {e}"))?;
        return Ok(Spec::Loaded(Box::new(spec)));
    }
    let name = args.spec.as_deref().unwrap_or_default();
    specs::by_name(name).map(Spec::Builtin).ok_or_else(|| {
        format!(
            "unknown spec {name:?} (cups, cups-sm4, cups-enc-track, iso87-ascii, iso87-binary, \
             iso93-binary)"
        )
    })
}

/// The frame in front of messages of `spec`: CUPS adds its 6-byte header to length + TPDU.
fn frame_format(spec: &MessageSpec) -> FrameFormat {
    // The CUPS variants (`cups-sm4`, `cups-enc-track`) frame as `cups` does.
    if spec.name().starts_with("cups") {
        FrameFormat::CUPS
    } else {
        FrameFormat::NAC
    }
}

pub fn run(cmd: Iso8583Command) -> Result<String, String> {
    match cmd {
        Iso8583Command::Decode {
            spec,
            framed,
            clear,
            hex,
        } => {
            let spec = load(&spec)?;
            let spec = spec.get();
            let data = input::hex(&hex)?;
            let value = if framed {
                json::decode_framed(spec, &frame_format(spec), &data, clear)
            } else {
                Message::decode(spec, &data).map(|m| json::to_json(&m, clear))
            }
            .map_err(|e| e.to_string())?;
            serde_json::to_string_pretty(&value).map_err(|e| e.to_string())
        }
        Iso8583Command::Encode { spec, framed, json } => {
            let spec = load(&spec)?;
            let spec = spec.get();
            let text = input::text(&json)?;
            let value: serde_json::Value =
                serde_json::from_str(&text).map_err(|e| format!("JSON: {e}"))?;
            strict::check(spec, &value, framed)?;
            let bytes = if framed {
                json::encode_framed(spec, &frame_format(spec), &value)
            } else {
                json::encode_to_vec(spec, &value)
            }
            .map_err(|e| e.to_string())?;
            Ok(cardwire_emv::hex::Hex(&bytes).to_string())
        }
        Iso8583Command::Describe { spec, clear, hex } => {
            let spec = load(&spec)?;
            let spec = spec.get();
            let data = input::hex(&hex)?;
            // A framed input is recognised by its frame; otherwise the bytes are the message.
            let message = match frame_format(spec).read(&data) {
                Ok(Progress::Complete(f))
                    if f.len == data.len() && Message::decode(spec, &data).is_err() =>
                {
                    f.message
                }
                _ => &data[..],
            };
            let msg = Message::decode(spec, message).map_err(|e| e.to_string())?;
            let text = Describe::new(&msg).clear(clear).to_string();
            Ok(text.trim_end().to_owned())
        }
    }
}
