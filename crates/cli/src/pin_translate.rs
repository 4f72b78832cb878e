//! `cardwire pin translate`: a PIN block moved from one key (or a terminal's DUKPT key) to
//! another key and format.

use cardwire_crypto::dukpt::{aes, tdes};
use cardwire_crypto::pin::PinFormat;
use cardwire_crypto::translate::{self, EncipheredPin, PinZone};
use cardwire_crypto::{AesKey, TdesKey};
use cardwire_emv::hex::Hex;

use crate::{input, random};

/// The arguments of `pin translate`.
pub struct Request<'a> {
    pub block: &'a str,
    pub pan: Option<&'a str>,
    pub from_key: Option<&'a str>,
    pub bdk: Option<&'a str>,
    pub ksn: Option<&'a str>,
    pub key_type: Option<&'a str>,
    pub from_format: Option<u8>,
    pub to_key: &'a str,
    pub to_format: u8,
}

fn format(n: u8, what: &str) -> Result<PinFormat, String> {
    PinFormat::try_from(n).map_err(|_| format!("{what} {n}: use 0 to 4"))
}

fn tdes_key(hex: &str, what: &str) -> Result<TdesKey, String> {
    TdesKey::new(&input::hex(hex).map_err(|e| format!("{what}: {e}"))?)
        .map_err(|e| format!("{what}: {e} (formats 0-3 take a TDES key)"))
}

fn aes_key(hex: &str, what: &str) -> Result<AesKey, String> {
    AesKey::new(&input::hex(hex).map_err(|e| format!("{what}: {e}"))?)
        .map_err(|e| format!("{what}: {e} (format 4 takes an AES key)"))
}

/// The error of the library in the user's terms: a bad PAN is a PAN, anything else is
/// about the PIN block (a wrong key shows as a block that does not decode).
fn explain(e: cardwire_crypto::Error) -> String {
    match e.kind() {
        cardwire_crypto::ErrorKind::PanLength { len: 0 } => {
            "PAN: this format needs --pan".to_owned()
        }
        cardwire_crypto::ErrorKind::PanLength { .. } => format!("PAN: {e}"),
        _ => format!("PIN block: {e} (wrong key, format or PAN?)"),
    }
}

pub fn run(r: &Request<'_>) -> Result<String, String> {
    if let Some(pan) = r.pan {
        crate::cvv::digits(pan, "PAN", 1, 19)?;
    }
    let block = input::hex(r.block).map_err(|e| format!("PIN block: {e}"))?;
    if block.len() != 8 && block.len() != 16 {
        return Err(format!(
            "PIN block: {} bytes given, 8 (formats 0-3) or 16 (format 4) expected",
            block.len()
        ));
    }
    let default_from = if block.len() == 16 { 4 } else { 0 };
    let from_format = format(r.from_format.unwrap_or(default_from), "--from-format")?;
    let want = if from_format.is_aes() { 16 } else { 8 };
    if block.len() != want {
        return Err(format!(
            "PIN block: {} bytes given, format {} takes {want}",
            block.len(),
            from_format.number()
        ));
    }
    let to_format = format(r.to_format, "--to-format")?;
    let (to_tdes, to_aes);
    let to = if to_format.is_aes() {
        to_aes = aes_key(r.to_key, "--to-key")?;
        PinZone::aes(&to_aes)
    } else {
        to_tdes = tdes_key(r.to_key, "--to-key")?;
        PinZone::tdes(&to_tdes, to_format).map_err(explain)?
    };
    let rng = &mut random::Os;
    let out: EncipheredPin = match (r.from_key, r.bdk, r.ksn) {
        (Some(key), None, None) => {
            let (t, a);
            let from = if from_format.is_aes() {
                a = aes_key(key, "--from-key")?;
                PinZone::aes(&a)
            } else {
                t = tdes_key(key, "--from-key")?;
                PinZone::tdes(&t, from_format).map_err(explain)?
            };
            translate::translate(&block, &from, &to, r.pan, rng).map_err(explain)?
        }
        (None, Some(bdk), Some(ksn)) => {
            let ksn_bytes = input::hex(ksn).map_err(|e| format!("KSN: {e}"))?;
            match ksn_bytes.len() {
                10 => {
                    if r.key_type.is_some() {
                        return Err("--key-type goes with AES DUKPT (a 12-byte KSN)".into());
                    }
                    if from_format.is_aes() {
                        return Err("TDES DUKPT blocks are formats 0-3".into());
                    }
                    let ksn = tdes::Ksn::from_bytes(&ksn_bytes).map_err(|e| format!("KSN: {e}"))?;
                    let bdk = tdes_key(bdk, "BDK")?;
                    let block: [u8; 8] = block
                        .as_slice()
                        .try_into()
                        .map_err(|_| "PIN block: 8 bytes expected".to_owned())?;
                    translate::from_tdes_dukpt(&block, &bdk, &ksn, from_format, &to, r.pan, rng)
                        .map_err(explain)?
                }
                12 => {
                    let ksn = aes::Ksn::from_bytes(&ksn_bytes).map_err(|e| format!("KSN: {e}"))?;
                    let bdk = AesKey::new(&input::hex(bdk).map_err(|e| format!("BDK: {e}"))?)
                        .map_err(|e| format!("BDK: {e} (AES DUKPT takes an AES BDK)"))?;
                    let key_type = match (r.key_type, from_format.is_aes()) {
                        (None, true) | (Some("aes128"), true) => aes::KeyType::Aes128,
                        (Some("aes192"), true) => aes::KeyType::Aes192,
                        (Some("aes256"), true) => aes::KeyType::Aes256,
                        (None, false) | (Some("tdes2"), false) => aes::KeyType::Tdes2,
                        (Some("tdes3"), false) => aes::KeyType::Tdes3,
                        (Some(other), true) => {
                            return Err(format!(
                                "--key-type {other:?}: a format 4 block takes aes128, aes192 or aes256"
                            ));
                        }
                        (Some(other), false) => {
                            return Err(format!(
                                "--key-type {other:?}: a format 0-3 block takes tdes2 or tdes3"
                            ));
                        }
                    };
                    translate::from_aes_dukpt(
                        &block,
                        &bdk,
                        &ksn,
                        key_type,
                        from_format,
                        &to,
                        r.pan,
                        rng,
                    )
                    .map_err(|e| match e.kind() {
                        cardwire_crypto::ErrorKind::KeyStrength => {
                            format!("--key-type: {e} (the BDK is weaker)")
                        }
                        _ => explain(e),
                    })?
                }
                n => {
                    return Err(format!(
                        "KSN: {n} bytes given, 10 (TDES DUKPT) or 12 (AES DUKPT) expected"
                    ));
                }
            }
        }
        _ => return Err("give --from-key, or --bdk with --ksn".into()),
    };
    Ok(Hex(out.as_bytes()).to_string())
}
