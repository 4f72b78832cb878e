//! Reading a registry from JSON in the layout of `spec-vectors/pos-fixtures.json`: issuer keys,
//! cardholders (their PINs become PVVs at once and are not kept), merchants, the rotation pool
//! and the terminals.

use alloc::string::String;
use alloc::vec::Vec;

use cardwire_crypto::TdesKey;
use cardwire_crypto::emv::CdolProfile;
use cardwire_crypto::sm::sm2::PublicKey;
use cardwire_merchant::FeeRate;
use serde::Deserialize;

use crate::error::{Error, ErrorKind, Result};
use crate::registry::{IssuerKeys, Merchant, Registry, TerminalEntry, TerminalProfile};

#[derive(Deserialize)]
struct File {
    issuer: IssuerJson,
    cards: Vec<CardJson>,
    merchants: Vec<MerchantJson>,
    #[serde(default)]
    code_pool: Option<PoolJson>,
    terminals: Vec<TerminalJson>,
}

#[derive(Deserialize)]
struct IssuerJson {
    imk_ac: String,
    pvk: String,
    pvki: u8,
    card_profile: ProfileJson,
}

#[derive(Deserialize)]
struct ProfileJson {
    cdol1: String,
}

#[derive(Deserialize)]
struct CardJson {
    pan: String,
    psn: String,
    expiry: String,
    service_code: String,
    pin: String,
    balance_fen: i64,
}

#[derive(Deserialize)]
struct MerchantJson {
    id: String,
    merchant_no: String,
    name: String,
    mcc: String,
    fee_bps: u16,
}

#[derive(Deserialize)]
struct PoolJson {
    merchant_numbers: Vec<String>,
    name: String,
}

#[derive(Deserialize)]
struct TerminalJson {
    terminal_id: String,
    serial: String,
    merchant: Option<String>,
    tmk: String,
    activated: bool,
    rotates_through: Option<String>,
    /// The MAC algorithm by its configuration name (`retail-x9.19`, `cups-ecb-legacy`): a
    /// terminal's MAC is what it was built with, so the file must say it. `sm4-cbc-mac`
    /// gives the SM4 profile.
    mac: String,
    /// The device's SM2 public key (`04‖x‖y`, hex), for remote key download.
    #[serde(default)]
    device_key: Option<String>,
}

fn bad(what: &str) -> Error {
    Error::new(ErrorKind::InvalidInput)
        .during("importing")
        .about(what)
}

fn key(text: &str, what: &str) -> Result<TdesKey> {
    TdesKey::from_hex(text).map_err(|e| Error::from(e).during("importing a key").about(what))
}

/// The registry the JSON `text` describes.
///
/// # Errors
/// [`ErrorKind::InvalidInput`] naming what is missing or malformed (never a key's value).
pub fn registry_from_json(text: &str) -> Result<Registry> {
    let file: File = serde_json::from_str(text).map_err(|e| {
        Error::new(ErrorKind::InvalidInput)
            .during("reading the import file")
            .caused_by(e)
    })?;
    let cdol1 = cardwire_emv::hex::decode_to_vec(&file.issuer.card_profile.cdol1)
        .map_err(|_| bad("issuer.card_profile.cdol1"))?;
    let mut registry = Registry {
        merchants: Vec::new(),
        terminals: Vec::new(),
        cardholders: Vec::new(),
        issuer: IssuerKeys {
            imk_ac: key(&file.issuer.imk_ac, "issuer.imk_ac")?,
            pvk: key(&file.issuer.pvk, "issuer.pvk")?,
            pvki: file.issuer.pvki,
            cdol1,
            profile: CdolProfile::STANDARD,
        },
    };
    for m in &file.merchants {
        registry.merchants.push(Merchant {
            merchant_no: m.merchant_no.clone(),
            name: m.name.clone(),
            mcc: m.mcc.clone(),
            fee_rate: FeeRate::from_bps(m.fee_bps),
        });
    }
    if let Some(pool) = &file.code_pool {
        for no in &pool.merchant_numbers {
            registry.merchants.push(Merchant {
                merchant_no: no.clone(),
                name: pool.name.clone(),
                // The MCC inside the merchant number (digits 8–11).
                mcc: no.get(7..11).ok_or_else(|| bad("code_pool number"))?.into(),
                fee_rate: FeeRate::default(),
            });
        }
    }
    for c in &file.cards {
        let psn = c.psn.parse().map_err(|_| bad("cards[].psn"))?;
        registry.add_cardholder(
            &c.pan,
            psn,
            &c.expiry,
            &c.service_code,
            &c.pin,
            c.balance_fen,
        )?;
    }
    for t in &file.terminals {
        let merchant_no = match &t.merchant {
            Some(id) => Some(
                file.merchants
                    .iter()
                    .find(|m| &m.id == id)
                    .ok_or_else(|| bad(&t.terminal_id))?
                    .merchant_no
                    .clone(),
            ),
            None => None,
        };
        let pool = match (t.rotates_through.as_deref(), &file.code_pool) {
            (Some("code_pool"), Some(p)) => p.merchant_numbers.clone(),
            (None, _) => Vec::new(),
            _ => return Err(bad(&t.terminal_id)),
        };
        registry.terminals.push(TerminalEntry {
            terminal_id: t.terminal_id.clone(),
            serial: t.serial.clone(),
            tmk: key(&t.tmk, &t.terminal_id)?,
            activated: t.activated,
            merchant_no,
            pool,
            profile: TerminalProfile::with_mac_name(&t.mac).ok_or_else(|| bad(&t.terminal_id))?,
            device_key: match &t.device_key {
                Some(hex) => Some(
                    cardwire_emv::hex::decode_to_vec(hex)
                        .ok()
                        .and_then(|b| PublicKey::from_bytes(&b).ok())
                        .ok_or_else(|| bad(&t.terminal_id))?,
                ),
                None => None,
            },
        });
    }
    Ok(registry)
}
