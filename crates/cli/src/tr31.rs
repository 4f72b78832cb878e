//! `cardwire tr31 …`: TR-31 key blocks.

use cardwire_crypto::tr31::{self, KeyBlock, KeyLengthMasking};
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
        /// The key block (or `-` for standard input).
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
        /// The key to wrap as hex.
        #[arg(long)]
        key: String,
    },
}

pub fn run(cmd: Tr31Command) -> Result<String, String> {
    match cmd {
        Tr31Command::Unwrap { kbpk, block } => {
            let kbpk = input::hex(&kbpk)?;
            let text = input::text(&block)?;
            let block = KeyBlock::parse(text.trim()).map_err(|e| format!("key block: {e}"))?;
            let key = block.unwrap(&kbpk).map_err(|e| format!("key block: {e}"))?;
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
                "key": Hex(key.expose()).to_string(),
            });
            serde_json::to_string_pretty(&out).map_err(|e| e.to_string())
        }
        Tr31Command::Wrap { kbpk, header, key } => {
            let kbpk = input::hex(&kbpk)?;
            let key = input::hex(&key)?;
            tr31::wrap_to_string(
                &kbpk,
                &header,
                &key,
                KeyLengthMasking::AlgorithmMaximum,
                &mut random::Os,
            )
            .map_err(|e| format!("key block: {e}"))
        }
    }
}
