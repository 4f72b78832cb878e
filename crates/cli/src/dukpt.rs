//! `cardwire dukpt …`: TDES (ANSI X9.24-1:2009) and AES (ANSI X9.24-3-2017) DUKPT keys.

use cardwire_crypto::dukpt::{aes, tdes};
use cardwire_crypto::{AesKey, SecretKey, TdesKey};
use cardwire_emv::hex::Hex;
use clap::{Args, Subcommand};

use crate::input;

#[derive(Debug, Subcommand)]
pub enum DukptCommand {
    /// A TDES DUKPT key for a KSN.
    Tdes(TdesArgs),
    /// An AES DUKPT key for a KSN.
    Aes(AesArgs),
    /// Encrypt data under the DUKPT data key of a KSN (TDES for a 10-byte KSN, AES for a
    /// 12-byte one): zero-padded to whole blocks, CBC.
    Encrypt(DataArgs),
    /// Decrypt data under the DUKPT data key of a KSN (whole blocks, CBC).
    Decrypt(DataArgs),
}

#[derive(Debug, Args)]
pub struct DataArgs {
    /// Base derivation key: TDES (16 bytes) for a 10-byte KSN, AES for a 12-byte KSN.
    #[arg(long)]
    bdk: String,
    /// Key serial number: 10 bytes (TDES DUKPT) or 12 bytes (AES DUKPT).
    #[arg(long)]
    ksn: String,
    /// request (terminal to host: TDES data request variant, AES usage 3000 data
    /// encryption) or response (host to terminal: TDES data response variant, AES usage
    /// 3001 data decryption).
    #[arg(long, default_value = "request")]
    direction: String,
    /// AES DUKPT data key type: aes128, aes192 or aes256 (default: the BDK's).
    #[arg(long)]
    key_type: Option<String>,
    /// The CBC initial value as hex (default zeros).
    #[arg(long)]
    iv: Option<String>,
    /// The data as hex (or `-` for standard input).
    #[arg(long)]
    data: String,
}

#[derive(Debug, Args)]
pub struct TdesArgs {
    /// Base derivation key (16 bytes hex).
    #[arg(long, required_unless_present = "ipek", conflicts_with = "ipek")]
    bdk: Option<String>,
    /// Initial PIN encryption key (16 bytes hex), instead of the BDK.
    #[arg(long)]
    ipek: Option<String>,
    /// Key serial number (10 bytes hex).
    #[arg(long)]
    ksn: String,
    /// Which key: ipek, transaction, pin, mac-request, mac-response, data-request or
    /// data-response.
    #[arg(long, default_value = "pin")]
    key: String,
}

#[derive(Debug, Args)]
pub struct AesArgs {
    /// Base derivation key (AES, 16/24/32 bytes hex).
    #[arg(long, required_unless_present = "ik", conflicts_with = "ik")]
    bdk: Option<String>,
    /// Initial key loaded in the device, instead of the BDK.
    #[arg(long)]
    ik: Option<String>,
    /// Key serial number (12 bytes hex: IKID and counter).
    #[arg(long)]
    ksn: String,
    /// initial, transaction, pin, mac-gen, mac-verify, mac-both, data-encrypt,
    /// data-decrypt, data-both, kek, hmac or update.
    #[arg(long)]
    usage: String,
    /// aes128, aes192, aes256, tdes2 or tdes3 (default: the AES type of the BDK or IK).
    #[arg(long)]
    key_type: Option<String>,
}

pub fn run(cmd: DukptCommand) -> Result<String, String> {
    match cmd {
        DukptCommand::Tdes(args) => run_tdes(&args),
        DukptCommand::Aes(args) => run_aes(&args),
        DukptCommand::Encrypt(args) => run_data(&args, true),
        DukptCommand::Decrypt(args) => run_data(&args, false),
    }
}

/// The data key of `args` as a TDES or AES key.
enum DataKey {
    Tdes(TdesKey),
    Aes(AesKey),
}

fn data_key(args: &DataArgs) -> Result<DataKey, String> {
    let request = match args.direction.as_str() {
        "request" => true,
        "response" => false,
        other => return Err(format!("--direction {other:?}: use request or response")),
    };
    let ksn = input::hex(&args.ksn).map_err(|e| format!("KSN: {e}"))?;
    let bdk = input::hex(&args.bdk).map_err(|e| format!("BDK: {e}"))?;
    match ksn.len() {
        10 => {
            if args.key_type.is_some() {
                return Err("--key-type goes with AES DUKPT (a 12-byte KSN)".into());
            }
            let ksn = tdes::Ksn::from_bytes(&ksn).map_err(|e| format!("KSN: {e}"))?;
            let bdk = TdesKey::new(&bdk).map_err(|e| format!("BDK: {e}"))?;
            let variant = if request {
                tdes::KeyVariant::DataRequest
            } else {
                tdes::KeyVariant::DataResponse
            };
            tdes::derive(&bdk, &ksn, variant)
                .map(DataKey::Tdes)
                .map_err(|e| format!("BDK: {e}"))
        }
        12 => {
            let ksn = aes::Ksn::from_bytes(&ksn).map_err(|e| format!("KSN: {e}"))?;
            let bdk =
                AesKey::new(&bdk).map_err(|e| format!("BDK: {e} (AES DUKPT takes an AES BDK)"))?;
            let ty = match args.key_type.as_deref() {
                None => aes::KeyType::aes_for(&bdk),
                Some("aes128") => aes::KeyType::Aes128,
                Some("aes192") => aes::KeyType::Aes192,
                Some("aes256") => aes::KeyType::Aes256,
                Some(other) => {
                    return Err(format!(
                        "--key-type {other:?}: use aes128, aes192 or aes256"
                    ));
                }
            };
            let usage = if request {
                aes::KeyUsage::DataEncryption
            } else {
                aes::KeyUsage::DataDecryption
            };
            let key = aes::derive(&bdk, &ksn, usage, ty).map_err(|e| format!("--key-type: {e}"))?;
            AesKey::try_from(key)
                .map(DataKey::Aes)
                .map_err(|e| e.to_string())
        }
        n => Err(format!(
            "KSN: {n} bytes given, 10 (TDES DUKPT) or 12 (AES DUKPT) expected"
        )),
    }
}

fn run_data(args: &DataArgs, encrypt: bool) -> Result<String, String> {
    let key = data_key(args)?;
    let mut data = input::hex(&args.data).map_err(|e| format!("data: {e}"))?;
    let bs = match key {
        DataKey::Tdes(_) => 8,
        DataKey::Aes(_) => 16,
    };
    if encrypt {
        data.resize(data.len().max(1).div_ceil(bs) * bs, 0);
    } else if data.is_empty() || data.len() % bs != 0 {
        return Err(format!(
            "data: {} bytes given, whole {bs}-byte blocks expected",
            data.len()
        ));
    }
    let iv = match &args.iv {
        Some(hex) => input::hex(hex).map_err(|e| format!("--iv: {e}"))?,
        None => vec![0; bs],
    };
    let wrong_iv = |_| format!("--iv: {} bytes given, {bs} expected", iv.len());
    let result = match &key {
        DataKey::Tdes(k) => {
            let iv: [u8; 8] = iv.as_slice().try_into().map_err(wrong_iv)?;
            let c = k.cipher();
            if encrypt {
                c.encrypt_cbc(&iv, &mut data)
            } else {
                c.decrypt_cbc(&iv, &mut data)
            }
        }
        DataKey::Aes(k) => {
            let iv: [u8; 16] = iv.as_slice().try_into().map_err(wrong_iv)?;
            let c = k.cipher();
            if encrypt {
                c.encrypt_cbc(&iv, &mut data)
            } else {
                c.decrypt_cbc(&iv, &mut data)
            }
        }
    };
    result.map_err(|e| format!("data: {e}"))?;
    Ok(Hex(&data).to_string())
}

fn run_tdes(args: &TdesArgs) -> Result<String, String> {
    let ksn = tdes::Ksn::from_bytes(&input::hex(&args.ksn)?).map_err(|e| format!("KSN: {e}"))?;
    let variant = match args.key.as_str() {
        "ipek" | "transaction" => None,
        "pin" => Some(tdes::KeyVariant::Pin),
        "mac-request" => Some(tdes::KeyVariant::MacRequest),
        "mac-response" => Some(tdes::KeyVariant::MacResponse),
        "data-request" => Some(tdes::KeyVariant::DataRequest),
        "data-response" => Some(tdes::KeyVariant::DataResponse),
        other => {
            return Err(format!(
                "--key {other:?}: use ipek, transaction, pin, mac-request, mac-response, data-request or data-response"
            ));
        }
    };
    let key = |hex: &str, what: &str| {
        input::hex(hex).and_then(|b| TdesKey::new(&b).map_err(|e| format!("{what}: {e}")))
    };
    let ipek = match (&args.bdk, &args.ipek) {
        (Some(bdk), _) => tdes::ipek(&key(bdk, "BDK")?, &ksn).map_err(|e| format!("BDK: {e}"))?,
        (None, Some(ipek)) => key(ipek, "IPEK")?,
        (None, None) => return Err("give --bdk or --ipek".into()),
    };
    if args.key == "ipek" {
        if args.bdk.is_none() {
            return Err("--key ipek needs --bdk".into());
        }
        return Ok(Hex(ipek.expose()).to_string());
    }
    let txn = tdes::transaction_key(&ipek, &ksn).map_err(|e| format!("IPEK: {e}"))?;
    let out = match variant {
        None => txn,
        Some(v) => tdes::working_key(&txn, v).map_err(|e| e.to_string())?,
    };
    Ok(Hex(out.expose()).to_string())
}

fn key_type(name: &str) -> Result<aes::KeyType, String> {
    Ok(match name {
        "aes128" => aes::KeyType::Aes128,
        "aes192" => aes::KeyType::Aes192,
        "aes256" => aes::KeyType::Aes256,
        "tdes2" => aes::KeyType::Tdes2,
        "tdes3" => aes::KeyType::Tdes3,
        other => {
            return Err(format!(
                "--key-type {other:?}: use aes128, aes192, aes256, tdes2 or tdes3"
            ));
        }
    })
}

fn run_aes(args: &AesArgs) -> Result<String, String> {
    let ksn = aes::Ksn::from_bytes(&input::hex(&args.ksn)?).map_err(|e| format!("KSN: {e}"))?;
    let aes_key = |hex: &str, what: &str| {
        input::hex(hex).and_then(|b| AesKey::new(&b).map_err(|e| format!("{what}: {e}")))
    };
    let ik = match (&args.bdk, &args.ik) {
        (Some(bdk), _) => {
            aes::initial_key(&aes_key(bdk, "BDK")?, &ksn.ikid()).map_err(|e| e.to_string())?
        }
        (None, Some(ik)) => aes_key(ik, "IK")?,
        (None, None) => return Err("give --bdk or --ik".into()),
    };
    let usage = args.usage.as_str();
    if matches!(usage, "initial" | "transaction") && args.key_type.is_some() {
        return Err(format!(
            "--usage {usage} takes no --key-type (the key has the IK's type)"
        ));
    }
    let default_type = aes::KeyType::aes_for(&ik);
    let ty = args.key_type.as_deref().map(key_type).transpose()?;
    let working = |usage: aes::KeyUsage| -> Result<SecretKey, String> {
        let txn = aes::intermediate_key(&ik, &ksn).map_err(|e| e.to_string())?;
        aes::working_key(&txn, &ksn, usage, ty.unwrap_or(default_type)).map_err(|e| e.to_string())
    };
    let key = match usage {
        "initial" => {
            if args.bdk.is_none() {
                return Err("--usage initial needs --bdk".into());
            }
            SecretKey::from(ik.clone())
        }
        "transaction" => {
            SecretKey::from(aes::intermediate_key(&ik, &ksn).map_err(|e| e.to_string())?)
        }
        "pin" => working(aes::KeyUsage::Pin)?,
        "mac-gen" => working(aes::KeyUsage::MacGeneration)?,
        "mac-verify" => working(aes::KeyUsage::MacVerification)?,
        "mac-both" => working(aes::KeyUsage::MacBoth)?,
        "data-encrypt" => working(aes::KeyUsage::DataEncryption)?,
        "data-decrypt" => working(aes::KeyUsage::DataDecryption)?,
        "data-both" => working(aes::KeyUsage::DataBoth)?,
        "kek" => working(aes::KeyUsage::KeyEncryption)?,
        "hmac" => {
            // HMAC keys: the MAC-generation usage with the HMAC algorithm indicator.
            let hmac = match ty.unwrap_or(default_type) {
                aes::KeyType::Aes128 => aes::KeyType::Hmac128,
                aes::KeyType::Aes192 => aes::KeyType::Hmac192,
                aes::KeyType::Aes256 => aes::KeyType::Hmac256,
                _ => return Err(
                    "--usage hmac takes --key-type aes128, aes192 or aes256 (the HMAC key length)"
                        .into(),
                ),
            };
            let txn = aes::intermediate_key(&ik, &ksn).map_err(|e| e.to_string())?;
            aes::working_key(&txn, &ksn, aes::KeyUsage::MacGeneration, hmac)
                .map_err(|e| e.to_string())?
        }
        "update" => aes::update_key(&ik, &ksn.ikid(), ty.unwrap_or(default_type))
            .map_err(|e| e.to_string())?,
        other => {
            return Err(format!(
                "--usage {other:?}: use initial, transaction, pin, mac-gen, mac-verify, mac-both, data-encrypt, data-decrypt, data-both, kek, hmac or update"
            ));
        }
    };
    Ok(Hex(key.expose()).to_string())
}
