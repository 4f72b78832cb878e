//! `cardwire cvv` and `cardwire pvv`: card verification values.

use cardwire_crypto::TdesKey;
use cardwire_crypto::card;
use cardwire_crypto::pin::Pin;
use clap::Args;

use crate::input;

#[derive(Debug, Args)]
pub struct CvvArgs {
    /// Card verification key pair (16 bytes hex).
    #[arg(long)]
    cvk: String,
    /// The PAN.
    #[arg(long)]
    pan: String,
    /// Expiry date as on the track, YYMM.
    #[arg(long)]
    expiry: String,
    /// Service code: the track's for CVV, 000 for CVV2, 999 for iCVV.
    #[arg(long)]
    service_code: String,
}

#[derive(Debug, Args)]
pub struct PvvArgs {
    /// PIN verification key (16 bytes hex).
    #[arg(long)]
    pvk: String,
    /// The PAN.
    #[arg(long)]
    pan: String,
    /// PIN verification key index, 0 to 9.
    #[arg(long)]
    pvki: u8,
    /// The PIN.
    #[arg(long)]
    pin: String,
}

fn key(hex: &str, what: &str) -> Result<TdesKey, String> {
    TdesKey::new(&input::hex(hex)?).map_err(|e| format!("{what}: {e}"))
}

pub fn run_cvv(args: &CvvArgs) -> Result<String, String> {
    let cvk = key(&args.cvk, "CVK")?;
    card::cvv(&cvk, &args.pan, &args.expiry, &args.service_code)
        .map(|d| d.as_str().to_owned())
        .map_err(|e| format!("CVV: {e}"))
}

pub fn run_pvv(args: &PvvArgs) -> Result<String, String> {
    let pvk = key(&args.pvk, "PVK")?;
    let pin = Pin::new(&args.pin).map_err(|e| format!("PIN: {e}"))?;
    card::pvv(&pvk, &args.pan, args.pvki, &pin)
        .map(|d| d.as_str().to_owned())
        .map_err(|e| format!("PVV: {e}"))
}
