//! `cardwire pin …`: ISO 9564-1 PIN blocks, formats 0 to 4.

use cardwire_crypto::pin::{Pin, PinBlock, PinField, PinFormat};
use cardwire_crypto::{AesKey, TdesKey};
use cardwire_emv::hex::Hex;
use clap::Subcommand;

use crate::{input, random};

#[derive(Debug, Subcommand)]
pub enum PinCommand {
    /// Encode a PIN block: the clear block (formats 0-3: 8 bytes; format 4: the 16-byte
    /// plain PIN field), or with --key the enciphered block.
    Encode {
        /// Format 0, 1, 2, 3 or 4.
        #[arg(long)]
        format: u8,
        /// The PIN, 4 to 12 digits.
        #[arg(long)]
        pin: String,
        /// The PAN (formats 0 and 3; format 4 when enciphering).
        #[arg(long)]
        pan: Option<String>,
        /// 8 bytes of hex: the fill digits of formats 1 and 3 (in order; format 3 takes
        /// A-F only) or the random half of the format 4 PIN field. Random when absent.
        #[arg(long)]
        fill: Option<String>,
        /// Encipher under this key: TDES (8/16/24 bytes) for formats 0-3, AES for format 4.
        #[arg(long)]
        key: Option<String>,
    },
    /// Decode a PIN block (deciphering it first with --key) and print the PIN.
    Decode {
        /// Format 0, 1, 2, 3 or 4.
        #[arg(long)]
        format: u8,
        /// The block as hex (8 bytes; format 4: 16), or `-` for standard input.
        #[arg(long)]
        block: String,
        /// The PAN (formats 0 and 3; format 4 with --key).
        #[arg(long)]
        pan: Option<String>,
        /// Decipher under this key first: TDES for formats 0-3, AES for format 4.
        #[arg(long)]
        key: Option<String>,
    },
    /// Translate an enciphered PIN block to another key and format, as an acquirer does
    /// before forwarding: from a key (--from-key) or from the terminal's DUKPT key (--bdk
    /// and --ksn: 10 bytes for TDES DUKPT, 12 for AES DUKPT) to --to-key. Prints the new
    /// block; the PIN is never printed.
    Translate {
        /// The enciphered block as hex (8 bytes; format 4: 16), or `-` for standard input.
        #[arg(long)]
        block: String,
        /// The PAN (formats 0, 3 and 4).
        #[arg(long)]
        pan: Option<String>,
        /// The key the block is under (TDES for formats 0-3, AES for format 4).
        #[arg(long, required_unless_present = "bdk", conflicts_with_all = ["bdk", "ksn"])]
        from_key: Option<String>,
        /// The DUKPT base derivation key (TDES or AES, by the KSN's length).
        #[arg(long, requires = "ksn")]
        bdk: Option<String>,
        /// The DUKPT key serial number of the block.
        #[arg(long, requires = "bdk")]
        ksn: Option<String>,
        /// AES DUKPT PIN key type: aes128, aes192, aes256 (format 4) or tdes2, tdes3
        /// (formats 0-3). Default: aes128 for a 16-byte block, tdes2 for an 8-byte one.
        #[arg(long)]
        key_type: Option<String>,
        /// The block's format (default: 4 for a 16-byte block, 0 otherwise).
        #[arg(long)]
        from_format: Option<u8>,
        /// The key to translate to (TDES for formats 0-3, AES for format 4).
        #[arg(long)]
        to_key: String,
        /// The new format, 0 to 4 (default 0).
        #[arg(long, default_value_t = 0)]
        to_format: u8,
    },
}

pub fn run(cmd: PinCommand) -> Result<String, String> {
    // A PAN is checked as a PAN first, so that its mistakes are not reported as the block's.
    if let PinCommand::Encode { pan: Some(pan), .. } | PinCommand::Decode { pan: Some(pan), .. } =
        &cmd
    {
        crate::cvv::digits(pan, "PAN", 1, 19)?;
    }
    match cmd {
        PinCommand::Encode {
            format,
            pin,
            pan,
            fill,
            key,
        } => encode(
            format,
            &pin,
            pan.as_deref(),
            fill.as_deref(),
            key.as_deref(),
        ),
        PinCommand::Decode {
            format,
            block,
            pan,
            key,
        } => decode(format, &block, pan.as_deref(), key.as_deref()),
        PinCommand::Translate {
            block,
            pan,
            from_key,
            bdk,
            ksn,
            key_type,
            from_format,
            to_key,
            to_format,
        } => crate::pin_translate::run(&crate::pin_translate::Request {
            block: &block,
            pan: pan.as_deref(),
            from_key: from_key.as_deref(),
            bdk: bdk.as_deref(),
            ksn: ksn.as_deref(),
            key_type: key_type.as_deref(),
            from_format,
            to_key: &to_key,
            to_format,
        }),
    }
}

fn fill_bytes(fill: Option<&str>) -> Result<Option<[u8; 8]>, String> {
    fill.map(|f| {
        input::hex(f)?
            .try_into()
            .map_err(|v: Vec<u8>| format!("fill must be 8 bytes, got {}", v.len()))
    })
    .transpose()
}

fn encode(
    format: u8,
    pin: &str,
    pan: Option<&str>,
    fill: Option<&str>,
    key: Option<&str>,
) -> Result<String, String> {
    let format = PinFormat::try_from(format)
        .map_err(|_| format!("no PIN block format {format} (0 to 4)"))?;
    let pin = Pin::new(pin).map_err(|e| format!("PIN: {e}"))?;
    let fill = fill_bytes(fill)?;
    if format == PinFormat::Iso4 {
        let random = match fill {
            Some(f) => f,
            None => random::bytes()?,
        };
        let field = PinField::new(&pin, &random);
        return match key {
            None => Ok(Hex(field.as_bytes()).to_string()),
            Some(key) => {
                let key = AesKey::new(&input::hex(key)?).map_err(|e| format!("key: {e}"))?;
                let pan = pan.ok_or("format 4 encipherment needs --pan")?;
                let block = field.encipher(&key, pan).map_err(|e| format!("PAN: {e}"))?;
                Ok(Hex(&block).to_string())
            }
        };
    }
    let block = match (format, fill) {
        (PinFormat::Iso1 | PinFormat::Iso3, None) => {
            PinBlock::random(format, &pin, pan, &mut random::Os)
        }
        (_, fill) => PinBlock::new(format, &pin, pan, fill.as_ref()),
    }
    .map_err(|e| block_error(&e))?;
    match key {
        None => Ok(Hex(block.as_bytes()).to_string()),
        Some(key) => {
            let key = TdesKey::new(&input::hex(key)?).map_err(|e| format!("key: {e}"))?;
            Ok(Hex(&block.encipher(&key)).to_string())
        }
    }
}

fn decode(format: u8, block: &str, pan: Option<&str>, key: Option<&str>) -> Result<String, String> {
    let format = PinFormat::try_from(format)
        .map_err(|_| format!("no PIN block format {format} (0 to 4)"))?;
    let bytes = input::hex(block)?;
    let pin = if format == PinFormat::Iso4 {
        let bytes: [u8; 16] = bytes
            .try_into()
            .map_err(|v: Vec<u8>| format!("a format 4 block has 16 bytes, got {}", v.len()))?;
        let field = match key {
            None => PinField::from_bytes(bytes),
            Some(key) => {
                let key = AesKey::new(&input::hex(key)?).map_err(|e| format!("key: {e}"))?;
                let pan = pan.ok_or("format 4 decipherment needs --pan")?;
                PinField::decipher(&bytes, &key, pan).map_err(|e| format!("PAN: {e}"))?
            }
        };
        field.decode()
    } else {
        let bytes: [u8; 8] = bytes
            .try_into()
            .map_err(|v: Vec<u8>| format!("a format 0-3 block has 8 bytes, got {}", v.len()))?;
        let block = match key {
            None => PinBlock::from_bytes(bytes),
            Some(key) => {
                let key = TdesKey::new(&input::hex(key)?).map_err(|e| format!("key: {e}"))?;
                PinBlock::decipher(&bytes, &key)
            }
        };
        block.decode_as(format, pan)
    };
    pin.map(|p| p.as_str().to_owned())
        .map_err(|e| block_error(&e))
}

/// A PIN block error in the user's terms: a PAN the format cannot use is a PAN error, not a
/// PIN block one.
fn block_error(e: &cardwire_crypto::Error) -> String {
    match e.kind() {
        cardwire_crypto::ErrorKind::PanLength { .. } => format!("PAN: {e}"),
        cardwire_crypto::ErrorKind::PinLength { .. } => format!("PIN: {e}"),
        _ => format!("PIN block: {e}"),
    }
}
