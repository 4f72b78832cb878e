//! `cardwire tr31 …`: TR-31 key blocks.

use cardwire_crypto::tr31::{self, HeaderWriter, KeyBlock, KeyLengthMasking};
use cardwire_emv::hex::Hex;
use clap::Subcommand;
use serde_json::{Value, json};

use crate::{input, random};

#[derive(Debug, Subcommand)]
pub enum Tr31Command {
    /// Verify and decrypt a key block; print its header fields and the key as JSON.
    Unwrap {
        /// Key block protection key as hex.
        #[arg(long)]
        kbpk: String,
        /// The key block (`-` or left out: standard input).
        #[arg(default_value = "-")]
        block: String,
    },
    /// Wrap a key in a key block; the header's length digits are filled in.
    Wrap {
        /// Key block protection key as hex.
        #[arg(long)]
        kbpk: String,
        /// The header, e.g. `B0000P0TE00N0000` (optional blocks may follow).
        #[arg(long)]
        header: String,
        /// An optional block to add after the header's own, as ID=DATA (e.g.
        /// KS=00604B120F9292800000); repeat for more. Blocks longer than 255 characters
        /// take the extended length.
        #[arg(long = "optional", value_name = "ID=DATA")]
        optional: Vec<String>,
        /// Pad the key only to the cipher block instead of to the longest key of its
        /// algorithm (the default hides the key's length).
        #[arg(long)]
        no_length_masking: bool,
        /// The key to wrap as hex.
        #[arg(long)]
        key: String,
    },
}

pub fn run(cmd: Tr31Command) -> Result<String, String> {
    match cmd {
        Tr31Command::Unwrap { kbpk, block } => unwrap(&kbpk, &block),
        Tr31Command::Wrap {
            kbpk,
            header,
            optional,
            no_length_masking,
            key,
        } => {
            let kbpk = input::hex(&kbpk).map_err(|e| format!("KBPK: {e}"))?;
            let key = input::hex(&key).map_err(|e| format!("key: {e}"))?;
            let masking = if no_length_masking {
                KeyLengthMasking::None
            } else {
                KeyLengthMasking::AlgorithmMaximum
            };
            let header = with_optional_blocks(&header, &optional)?;
            tr31::wrap_to_string(&kbpk, &header, &key, masking, &mut random::Os)
                .map_err(|e| format!("key block: {e}"))
        }
    }
}

/// `header` with the `ID=DATA` blocks appended after its own optional blocks.
fn with_optional_blocks(header: &str, extra: &[String]) -> Result<String, String> {
    if extra.is_empty() {
        return Ok(header.to_owned());
    }
    let parsed = extra
        .iter()
        .map(|b| {
            b.split_once('=')
                .filter(|(id, _)| id.len() == 2)
                .ok_or_else(|| format!("--optional {b:?}: ID=DATA with a 2-character ID expected"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let room = header.len()
        + parsed
            .iter()
            .map(|(_, d)| tr31::optional_block_len(d.len()))
            .sum::<usize>();
    let mut buf = vec![0u8; room];
    let mut writer =
        HeaderWriter::from_header(header, &mut buf).map_err(|e| format!("header: {e}"))?;
    for (id, data) in parsed {
        writer
            .optional_block(id, data)
            .map_err(|e| format!("optional block {id}: {e}"))?;
    }
    Ok(writer.as_str().to_owned())
}

fn unwrap(kbpk: &str, block: &str) -> Result<String, String> {
    let kbpk = input::hex(kbpk).map_err(|e| format!("KBPK: {e}"))?;
    let text = input::text(block)?;
    let block = KeyBlock::parse(text.trim()).map_err(|e| format!("key block: {e}"))?;
    // Sized from the block itself: keys of any length (a wrapped private key, too).
    let mut key = vec![0u8; block.payload_len()];
    let n = block
        .unwrap_into(&kbpk, &mut key)
        .map_err(|e| format!("key block: {e}"))?;
    key.truncate(n);
    let optional: Vec<Value> = block
        .optional_blocks()
        .map(|b| json!({ "id": b.id, "data": b.data }))
        .collect();
    let out = json!({
        "version": block.version().as_char().to_string(),
        "usage": block.usage(),
        "algorithm": block.algorithm().to_string(),
        "mode": block.mode_of_use().to_string(),
        "key_version": block.key_version(),
        "exportability": block.exportability().to_string(),
        "optional_blocks": optional,
        "key": Hex(&key).to_string(),
    });
    serde_json::to_string_pretty(&out).map_err(|e| e.to_string())
}
