//! `cardwire key generate`: a random key from the operating system with its check value,
//! in clear or only wrapped in a TR-31 key block.

use cardwire_crypto::tr31::{self, KeyLengthMasking};
use cardwire_crypto::{AesKey, AesKeyLength, SecretKey, TdesKey, TdesKeyLength};
use cardwire_emv::hex::Hex;
use clap::{Subcommand, ValueEnum};
use serde_json::{Map, Value, json};

use crate::{input, random};

/// Key types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum KeyType {
    /// Single-length DES, 8 bytes.
    Des,
    /// Two-key TDES, 16 bytes.
    Tdes2,
    /// Three-key TDES, 24 bytes.
    Tdes3,
    /// AES-128.
    Aes128,
    /// AES-192.
    Aes192,
    /// AES-256.
    Aes256,
    /// An HMAC key of --length bytes (default 32).
    Hmac,
}

#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Generate a key (DES-family keys with odd parity) and print it with its check value
    /// as JSON. With --kbpk and --header only the TR-31 key block is printed, not the clear
    /// key. Clear keys are for test and development; production keys belong in an HSM.
    Generate {
        /// The key type.
        #[arg(long = "type", value_enum)]
        key_type: KeyType,
        /// Bytes of an HMAC key, 1 to 32.
        #[arg(long)]
        length: Option<usize>,
        /// Bytes of the check value to print, 2 to 8 (TDES: the key encrypting zeros; AES:
        /// AES-CMAC of zeros, as X9.24-1:2017 and TR-31 use).
        #[arg(long, default_value_t = 3)]
        kcv_length: usize,
        /// Wrap the key under this key block protection key.
        #[arg(long, requires = "header")]
        kbpk: Option<String>,
        /// The TR-31 header for --kbpk, e.g. D0000P0AE00E0000.
        #[arg(long, requires = "kbpk")]
        header: Option<String>,
    },
}

pub fn run(cmd: KeyCommand) -> Result<String, String> {
    let KeyCommand::Generate {
        key_type,
        length,
        kcv_length,
        kbpk,
        header,
    } = cmd;
    if !(2..=8).contains(&kcv_length) {
        return Err(format!("--kcv-length {kcv_length}: 2 to 8 bytes"));
    }
    if length.is_some() && key_type != KeyType::Hmac {
        return Err("--length goes with --type hmac".into());
    }
    let fail = |e: cardwire_crypto::Error| format!("key generation: {e}");
    let (key, kcv): (SecretKey, Option<Vec<u8>>) = match key_type {
        KeyType::Des | KeyType::Tdes2 | KeyType::Tdes3 => {
            let len = match key_type {
                KeyType::Des => TdesKeyLength::Single,
                KeyType::Tdes2 => TdesKeyLength::Double,
                _ => TdesKeyLength::Triple,
            };
            let key = TdesKey::generate(len, &mut random::Os).map_err(fail)?;
            let kcv = key.check_value().to_vec();
            (key.into(), Some(kcv))
        }
        KeyType::Aes128 | KeyType::Aes192 | KeyType::Aes256 => {
            let len = match key_type {
                KeyType::Aes128 => AesKeyLength::Aes128,
                KeyType::Aes192 => AesKeyLength::Aes192,
                _ => AesKeyLength::Aes256,
            };
            let key = AesKey::generate(len, &mut random::Os).map_err(fail)?;
            let kcv = key.check_value().to_vec();
            (key.into(), Some(kcv))
        }
        KeyType::Hmac => {
            let n = length.unwrap_or(32);
            let key = SecretKey::generate(n, &mut random::Os)
                .map_err(|e| format!("--length {n}: {e} (1 to 32 bytes)"))?;
            (key, None)
        }
    };
    let mut out = Map::new();
    let name = key_type
        .to_possible_value()
        .map(|v| v.get_name().to_owned())
        .unwrap_or_default();
    out.insert("type".into(), json!(name));
    if let Some(kcv) = kcv {
        out.insert(
            "kcv".into(),
            json!(Hex(kcv.get(..kcv_length).unwrap_or_default()).to_string()),
        );
    }
    match (kbpk, header) {
        (Some(kbpk), Some(header)) => {
            let kbpk = input::hex(&kbpk).map_err(|e| format!("KBPK: {e}"))?;
            let block = tr31::wrap_to_string(
                &kbpk,
                &header,
                key.expose(),
                KeyLengthMasking::AlgorithmMaximum,
                &mut random::Os,
            )
            .map_err(|e| format!("key block: {e}"))?;
            out.insert("key_block".into(), Value::String(block));
        }
        _ => {
            out.insert("key".into(), json!(Hex(key.expose()).to_string()));
        }
    }
    serde_json::to_string_pretty(&Value::Object(out)).map_err(|e| e.to_string())
}
