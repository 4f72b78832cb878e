//! Reading a registry from JSON in the layout of `spec-vectors/pos-fixtures.json`: issuer keys,
//! cardholders (their PINs become PVVs at once and are not kept), merchants, the rotation pool
//! and the terminals.
//!
//! A merchant without `fee_bps` (and every number of the rotation pool) gets its MCC's rate
//! from the configuration's fee table; a terminal names its `profile` (one of the
//! configuration's, or a built-in one), or only its `mac` (the standard profile with that
//! MAC algorithm).

use alloc::string::String;
use alloc::vec::Vec;

use cardwire_crypto::TdesKey;
use cardwire_crypto::emv::CdolProfile;
use cardwire_crypto::sm::cups::MasterKey;
use cardwire_crypto::sm::sm2::PublicKey;
use cardwire_merchant::FeeRate;
use serde::Deserialize;

use crate::error::{Error, ErrorKind, Result};
use crate::profiles::{FeeTable, Profiles};
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
    fee_bps: Option<u16>,
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
    /// The profile by its configuration name (`standard`, `legacy-ecb` or one of the
    /// configuration's).
    profile: Option<String>,
    /// Without a profile: the MAC algorithm by its configuration name (`retail-x9.19`,
    /// `cups-ecb-legacy`) of the standard profile. A terminal's MAC is what it was built
    /// with, so the file must say one or the other.
    mac: Option<String>,
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

/// The registry the JSON `text` describes, with the built-in profiles and the default fee
/// rate only.
///
/// # Errors
/// As [`registry_from_json_with`].
pub fn registry_from_json(text: &str) -> Result<Registry> {
    registry_from_json_with(text, &Profiles::default(), &FeeTable::default())
}

/// The registry the JSON `text` describes: terminal profiles named from `profiles`, the
/// rates of merchants without one from `fees`.
///
/// # Errors
/// [`ErrorKind::InvalidInput`] naming what is missing or malformed (never a key's value);
/// [`ErrorKind::Config`] for a profile name `profiles` does not have, naming the terminal.
pub fn registry_from_json_with(
    text: &str,
    profiles: &Profiles,
    fees: &FeeTable,
) -> Result<Registry> {
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
            fee_rate: match m.fee_bps {
                Some(bps) => FeeRate::from_bps(bps),
                None => fees
                    .rate_for(&m.mcc)
                    .map_err(|e| e.about(alloc::format!("merchants[] {}: mcc {}", m.id, m.mcc)))?,
            },
        });
    }
    if let Some(pool) = &file.code_pool {
        for no in &pool.merchant_numbers {
            // The MCC inside the merchant number (digits 8–11).
            let mcc = no.get(7..11).ok_or_else(|| bad("code_pool number"))?;
            registry.merchants.push(Merchant {
                merchant_no: no.clone(),
                name: pool.name.clone(),
                mcc: mcc.into(),
                fee_rate: fees
                    .rate_for(mcc)
                    .map_err(|e| e.about(alloc::format!("code_pool number {no}")))?,
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
            // The profile (below) says the cipher: the key is read as TDES, then as SM4 for
            // a terminal of the SM4 profile.
            tmk: MasterKey::Tdes(key(&t.tmk, &t.terminal_id)?),
            activated: t.activated,
            merchant_no,
            pool,
            profile: match (&t.profile, &t.mac) {
                (Some(name), None) => profiles.get(name).map_err(|_| {
                    let known: Vec<&str> = profiles.names().collect();
                    Error::new(ErrorKind::Config)
                        .during("importing a terminal under a profile the configuration lacks")
                        .about(alloc::format!(
                            "terminals[] {}: profile {name:?} (known: {})",
                            t.terminal_id,
                            known.join(", ")
                        ))
                })?,
                (None, Some(mac)) => TerminalProfile::with_mac_name(mac)
                    .ok_or_else(|| bad(&alloc::format!("terminals[] {}: mac", t.terminal_id)))?,
                _ => {
                    return Err(bad(&alloc::format!(
                        "terminals[] {}: profile or mac (one of them)",
                        t.terminal_id
                    )));
                }
            },
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
        if let Some(entry) = registry
            .terminals
            .last_mut()
            .filter(|e| e.profile.mac.is_sm4())
        {
            entry.tmk = MasterKey::from_parts("sm4", entry.tmk.expose())?;
        }
    }
    Ok(registry)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// A file of one merchant (`rate` is its `fee_bps` member, or nothing) and one terminal
    /// (`how` is its `profile` / `mac` members).
    fn file(rate: &str, how: &str) -> String {
        alloc::format!(
            r#"{{"issuer": {{"imk_ac": "0123456789ABCDEFFEDCBA9876543210",
                 "pvk": "FEDCBA98765432100123456789ABCDEF", "pvki": 1,
                 "card_profile": {{"cdol1": "9F0206"}}}},
               "cards": [],
               "merchants": [{{"id": "m", "merchant_no": "898310058120001", "name": "A shop",
                               "mcc": "5812" {rate}}}],
               "terminals": [{{"terminal_id": "10580001", "serial": "S1", "merchant": "m",
                               "tmk": "89ABCDEF0123456776543210FEDCBA98", "activated": true
                               {how}}}]}}"#
        )
    }

    #[test]
    fn profiles_and_rates_resolve_against_the_configuration() {
        let mut profiles = Profiles::default();
        profiles.add("bank-a", TerminalProfile::LEGACY_ECB).unwrap();
        let mut fees = FeeTable::with_default(60).unwrap();
        fees.add("5800-5899", 38).unwrap();
        let r = registry_from_json_with(&file("", r#", "profile": "bank-a""#), &profiles, &fees)
            .unwrap();
        assert_eq!(r.merchants[0].fee_rate, FeeRate::from_bps(38));
        assert_eq!(r.terminals[0].profile, TerminalProfile::LEGACY_ECB);
        let r = registry_from_json_with(
            &file(r#", "fee_bps": 50"#, r#", "mac": "retail-x9.19""#),
            &profiles,
            &fees,
        )
        .unwrap();
        assert_eq!(r.merchants[0].fee_rate, FeeRate::from_bps(50));
        assert_eq!(r.terminals[0].profile, TerminalProfile::STANDARD);

        let e = registry_from_json_with(&file("", r#", "profile": "bank-b""#), &profiles, &fees)
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Config);
        let text = alloc::format!("{e}");
        assert!(
            text.contains("10580001") && text.contains("bank-b"),
            "{text}"
        );
        for how in ["", r#", "profile": "standard", "mac": "retail-x9.19""#] {
            let e = registry_from_json_with(&file("", how), &profiles, &fees).unwrap_err();
            assert!(alloc::format!("{e}").contains("10580001"), "{how}: {e}");
        }
    }
}
