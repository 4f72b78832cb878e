//! `cardwire kcv`: the key check value of a key.

use cardwire_crypto::{AesKey, TdesKey};
use cardwire_emv::hex::Hex;
use clap::Args;

use crate::input;

#[derive(Debug, Args)]
pub struct KcvArgs {
    /// The key as hex.
    #[arg(long)]
    key: String,
    /// tdes (encrypt zeros, the default), tdes-cmac (TDES-CMAC of zeros, X9.24-1:2017),
    /// aes-cmac (CMAC of zeros), aes-ecb (encrypt zeros)
    /// or sm4 (encrypt zeros).
    #[arg(long, default_value = "tdes")]
    alg: String,
}

pub fn run(args: &KcvArgs) -> Result<String, String> {
    if args.alg == "sm4" {
        return crate::sm::kcv(&args.key);
    }
    let key = input::hex(&args.key)?;
    let value = match args.alg.as_str() {
        "tdes" => TdesKey::new(&key)
            .map_err(|e| format!("key: {e} (AES keys take --alg aes-cmac or aes-ecb)"))?
            .check_value()
            .to_vec(),
        "tdes-cmac" => TdesKey::new(&key)
            .map_err(|e| format!("key: {e}"))?
            .check_value_cmac()
            .to_vec(),
        "aes-cmac" => AesKey::new(&key)
            .map_err(|e| format!("key: {e}"))?
            .check_value()
            .to_vec(),
        "aes-ecb" => AesKey::new(&key)
            .map_err(|e| format!("key: {e}"))?
            .check_value_ecb()
            .to_vec(),
        other => {
            return Err(format!(
                "--alg {other:?}: use tdes, tdes-cmac, aes-cmac, aes-ecb or sm4"
            ));
        }
    };
    Ok(Hex(value.get(..3).unwrap_or_default()).to_string())
}
