//! `cardwire mac`: the MAC of some data, or its check with `--verify`.

use cardwire_crypto::mac::{Algorithm, Padding};
use cardwire_emv::hex::Hex;
use clap::Args;

use crate::{input, sm, verdict};

#[derive(Debug, Args)]
pub struct MacArgs {
    /// iso9797-1-alg1, iso9797-1-alg3, x9.9, cmac-aes, cmac-tdes, cups-ecb, hmac-sha256,
    /// sm4-cbc (GB/T 15852.1 algorithm 1), sm4-cmac or hmac-sm3.
    #[arg(long)]
    alg: String,
    /// ISO/IEC 9797-1 padding method 1, 2 or 3 (algorithms 1 and 3; default 1).
    #[arg(long)]
    padding: Option<u8>,
    /// The key as hex (HMAC: any length).
    #[arg(long)]
    key: String,
    /// The data as hex (or `-` for standard input).
    #[arg(long)]
    data: String,
    /// Check this MAC (the whole MAC or its first 4 or more bytes) instead of printing
    /// one: prints {"verified": …}, exit 1 on a mismatch.
    #[arg(long)]
    verify: Option<String>,
}

pub fn run(args: &MacArgs) -> Result<String, String> {
    let padding = args
        .padding
        .map(|p| Padding::try_from(p).map_err(|_| format!("--padding {p}: use 1, 2 or 3")))
        .transpose()?;
    match args.alg.as_str() {
        "sm4-cbc" | "sm4-cmac" => return sm::sm4_mac(&args.alg, padding, &args.key, &args.data),
        "hmac-sm3" => return sm::hmac_sm3(padding, &args.key, &args.data),
        _ => {}
    }
    let padded = |alg: fn(Padding) -> Algorithm| alg(padding.unwrap_or_default());
    let alg = match args.alg.as_str() {
        "iso9797-1-alg1" => padded(Algorithm::Iso9797Alg1),
        "iso9797-1-alg3" => padded(Algorithm::Iso9797Alg3),
        other => {
            let alg = match other {
                "x9.9" => Algorithm::X99,
                "cmac-aes" => Algorithm::CmacAes,
                "cmac-tdes" => Algorithm::CmacTdes,
                "cups-ecb" => Algorithm::CupsEcb,
                "hmac-sha256" => Algorithm::HmacSha256,
                _ => {
                    return Err(format!(
                        "--alg {other:?}: use iso9797-1-alg1, iso9797-1-alg3, x9.9, cmac-aes, cmac-tdes, cups-ecb, hmac-sha256, sm4-cbc, sm4-cmac or hmac-sm3"
                    ));
                }
            };
            if padding.is_some() {
                return Err(format!("--alg {other} has a fixed padding; drop --padding"));
            }
            alg
        }
    };
    let key = input::hex(&args.key).map_err(|e| format!("key: {e}"))?;
    let data = input::hex(&args.data).map_err(|e| format!("data: {e}"))?;
    match &args.verify {
        None => {
            let mac = alg.compute(&key, &data).map_err(|e| format!("key: {e}"))?;
            Ok(Hex(mac.as_bytes()).to_string())
        }
        Some(expected) => {
            let expected = input::hex(expected).map_err(|e| format!("--verify: {e}"))?;
            let full = alg.compute(&key, &data).map_err(|e| format!("key: {e}"))?;
            if expected.len() < 4 || expected.len() > full.as_bytes().len() {
                return Err(format!(
                    "--verify: {} bytes given, 4 to {} expected",
                    expected.len(),
                    full.as_bytes().len()
                ));
            }
            verdict::verified(
                cardwire_crypto::mac::verify_prefix(full.as_bytes(), &expected),
                "MAC",
            )
        }
    }
}
