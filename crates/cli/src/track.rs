//! `cardwire track encrypt|decrypt`: CUPS track data (fields 35 and 36) enciphered in place
//! under a track data key, TDES or SM4 (`cardwire_crypto::track` has the construction).

use cardwire_crypto::TdesKey;
use cardwire_crypto::sm::Sm4Key;
use cardwire_crypto::track::{self, MAX_TRACK_LEN, TrackKey};
use clap::{Args, Subcommand};
use zeroize::Zeroizing;

use crate::input;

#[derive(Debug, Subcommand)]
pub enum TrackCommand {
    /// Encipher a clear track (digits, `=` or `D` as separator) and print it as hex digits.
    Encrypt(TrackArgs),
    /// Decipher a track (hex digits) and print it clear, the separator as `D`.
    Decrypt(TrackArgs),
}

#[derive(Debug, Args)]
pub struct TrackArgs {
    /// The track data key as hex: 16 or 24 bytes for tdes, 16 for sm4.
    #[arg(long)]
    key: String,
    /// The track (track 2 or 3 as the field carries it).
    #[arg(long)]
    data: String,
    /// tdes (the CUPS TDES profile, the default) or sm4 (the SM4 profile).
    #[arg(long, default_value = "tdes")]
    alg: String,
}

pub fn run(cmd: TrackCommand) -> Result<String, String> {
    let (args, decrypt) = match &cmd {
        TrackCommand::Encrypt(a) => (a, false),
        TrackCommand::Decrypt(a) => (a, true),
    };
    let bytes = Zeroizing::new(input::hex(&args.key).map_err(|e| format!("--key: {e}"))?);
    let (tdes, sm4);
    let key = match args.alg.as_str() {
        "tdes" => {
            tdes = TdesKey::new(&bytes).map_err(|e| format!("--key: {e}"))?;
            TrackKey::Tdes(&tdes)
        }
        "sm4" => {
            sm4 = Sm4Key::new(&bytes).map_err(|e| format!("--key: {e} (SM4 keys are 16 bytes)"))?;
            TrackKey::Sm4(&sm4)
        }
        other => return Err(format!("--alg: {other:?} is not tdes or sm4")),
    };
    let mut out = Zeroizing::new([0u8; MAX_TRACK_LEN]);
    let data = args.data.as_bytes();
    let n = if decrypt {
        track::decrypt(key, data, out.as_mut_slice())
    } else {
        track::encrypt(key, data, out.as_mut_slice())
    }
    .map_err(|e| format!("--data: {e}"))?;
    let text = out.get(..n).unwrap_or_default();
    Ok(String::from_utf8_lossy(text).into_owned())
}
