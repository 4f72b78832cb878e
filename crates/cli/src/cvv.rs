//! `cardwire cvv`, `cardwire pvv` and `cardwire ibm3624`: card verification values and PIN
//! verification, computed or checked (`--verify`, exit status 1 on a mismatch).

use cardwire_crypto::TdesKey;
use cardwire_crypto::card::{self, DecimalizationTable};
use cardwire_crypto::pin::Pin;
use clap::{Args, Subcommand};

use crate::{input, verdict};

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
    /// Check this CVV instead of printing one: prints {"verified": …}, exit 1 on a mismatch.
    #[arg(long)]
    verify: Option<String>,
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
    /// Check this PVV instead of printing one: prints {"verified": …}, exit 1 on a mismatch.
    #[arg(long)]
    verify: Option<String>,
}

/// Where IBM 3624 validation data comes from.
#[derive(Debug, Args)]
pub struct Validation {
    /// PIN verification key (TDES, hex).
    #[arg(long)]
    pvk: String,
    /// Decimalization table, 16 digits.
    #[arg(long, default_value = "0123456789012345")]
    table: String,
    /// The validation data itself (8 bytes hex), instead of taking it from --pan.
    #[arg(long, conflicts_with_all = ["pan", "start", "length", "pad"])]
    validation_data: Option<String>,
    /// The PAN the validation data is taken from.
    #[arg(long, required_unless_present = "validation_data")]
    pan: Option<String>,
    /// First PAN digit of the validation data (0-based).
    #[arg(long, default_value_t = 0)]
    start: usize,
    /// PAN digits in the validation data (default: all from --start, at most 16).
    #[arg(long)]
    length: Option<usize>,
    /// Hex digit that pads the validation data to 16 digits.
    #[arg(long, default_value = "F")]
    pad: char,
}

#[derive(Debug, Subcommand)]
pub enum Ibm3624Command {
    /// The natural PIN of --pin-length digits.
    Natural {
        #[command(flatten)]
        validation: Validation,
        /// Digits of the PIN, 4 to 12.
        #[arg(long)]
        pin_length: usize,
    },
    /// The offset that turns the natural PIN into --pin.
    Offset {
        #[command(flatten)]
        validation: Validation,
        /// The customer's PIN.
        #[arg(long)]
        pin: String,
    },
    /// Check a PIN against its offset: prints {"verified": …}, exit 1 on a mismatch.
    Verify {
        #[command(flatten)]
        validation: Validation,
        /// The customer's PIN.
        #[arg(long)]
        pin: String,
        /// The offset on file.
        #[arg(long)]
        offset: String,
    },
}

fn key(hex: &str, what: &str) -> Result<TdesKey, String> {
    TdesKey::new(&input::hex(hex)?).map_err(|e| format!("{what}: {e}"))
}

/// `value` as `min` to `max` decimal digits, or an error naming `what`.
pub fn digits<'a>(value: &'a str, what: &str, min: usize, max: usize) -> Result<&'a str, String> {
    if !(min..=max).contains(&value.len()) {
        let want = if min == max {
            format!("{min}")
        } else {
            format!("{min} to {max}")
        };
        return Err(format!(
            "{what}: {} digits given, {want} expected",
            value.len()
        ));
    }
    match value.bytes().position(|c| !c.is_ascii_digit()) {
        Some(i) => Err(format!("{what}: not a digit at position {i}")),
        None => Ok(value),
    }
}

pub fn run_cvv(args: &CvvArgs) -> Result<String, String> {
    let cvk = key(&args.cvk, "CVK")?;
    let pan = digits(&args.pan, "PAN", 1, 19)?;
    let expiry = digits(&args.expiry, "expiry", 4, 4)?;
    let sc = digits(&args.service_code, "service code", 3, 3)?;
    match &args.verify {
        None => card::cvv(&cvk, pan, expiry, sc)
            .map(|d| d.as_str().to_owned())
            .map_err(|e| format!("CVV: {e}")),
        Some(cvv) => {
            let cvv = digits(cvv, "CVV", 3, 3)?;
            verdict::verified(card::verify_cvv(&cvk, pan, expiry, sc, cvv), "CVV")
        }
    }
}

pub fn run_pvv(args: &PvvArgs) -> Result<String, String> {
    let pvk = key(&args.pvk, "PVK")?;
    let pan = digits(&args.pan, "PAN", 12, 19)?;
    if args.pvki > 9 {
        return Err(format!("PVKI: {} (0 to 9 allowed)", args.pvki));
    }
    let pin = Pin::new(&args.pin).map_err(|e| format!("PIN: {e}"))?;
    match &args.verify {
        None => card::pvv(&pvk, pan, args.pvki, &pin)
            .map(|d| d.as_str().to_owned())
            .map_err(|e| format!("PVV: {e}")),
        Some(pvv) => {
            let pvv = digits(pvv, "PVV", 4, 4)?;
            verdict::verified(card::verify_pvv(&pvk, pan, args.pvki, &pin, pvv), "PVV")
        }
    }
}

/// The key, table and validation data of an IBM 3624 command.
fn validation(v: &Validation) -> Result<(TdesKey, DecimalizationTable, [u8; 8]), String> {
    let pvk = key(&v.pvk, "PVK")?;
    let table = DecimalizationTable::new(digits(&v.table, "decimalization table", 16, 16)?)
        .map_err(|e| format!("decimalization table: {e}"))?;
    let data = match (&v.validation_data, &v.pan) {
        (Some(hex), _) => input::hex(hex)?.try_into().map_err(|b: Vec<u8>| {
            format!("validation data: {} bytes given, 8 expected", b.len())
        })?,
        (None, Some(pan)) => {
            let pan = digits(pan, "PAN", 1, 19)?;
            let length = v
                .length
                .unwrap_or_else(|| pan.len().saturating_sub(v.start).min(16));
            let pad =
                u8::try_from(v.pad).map_err(|_| format!("--pad {:?}: one hex digit", v.pad))?;
            card::validation_data(pan, v.start, length, pad).map_err(|e| {
                format!(
                    "validation data: {e} (--start {} --length {length} of a {}-digit PAN; --pad one hex digit)",
                    v.start,
                    pan.len()
                )
            })?
        }
        (None, None) => return Err("give --pan or --validation-data".into()),
    };
    Ok((pvk, table, data))
}

pub fn run_ibm3624(cmd: Ibm3624Command) -> Result<String, String> {
    match cmd {
        Ibm3624Command::Natural {
            validation: v,
            pin_length,
        } => {
            let (pvk, table, data) = validation(&v)?;
            card::ibm3624_natural_pin(&pvk, &data, &table, pin_length)
                .map(|p| p.as_str().to_owned())
                .map_err(|e| format!("--pin-length: {e}"))
        }
        Ibm3624Command::Offset { validation: v, pin } => {
            let (pvk, table, data) = validation(&v)?;
            let pin = Pin::new(&pin).map_err(|e| format!("PIN: {e}"))?;
            card::ibm3624_offset(&pvk, &data, &table, &pin)
                .map(|d| d.as_str().to_owned())
                .map_err(|e| format!("offset: {e}"))
        }
        Ibm3624Command::Verify {
            validation: v,
            pin,
            offset,
        } => {
            let (pvk, table, data) = validation(&v)?;
            let pin = Pin::new(&pin).map_err(|e| format!("PIN: {e}"))?;
            let offset = digits(&offset, "offset", pin.len(), pin.len())?;
            verdict::verified(
                card::verify_ibm3624(&pvk, &data, &table, offset, &pin),
                "offset",
            )
        }
    }
}
