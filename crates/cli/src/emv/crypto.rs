//! `cardwire emv icc-mk | session-key | ac | arpc`: EMV cryptograms from cardwire-crypto.

use cardwire_crypto::TdesKey;
use cardwire_crypto::emv::{self, AcPadding, MasterKeyOption};
use cardwire_emv::hex::Hex;

use super::{MkOption, SkMethod};
use crate::input;

/// A TDES key from a hex argument named `name`.
fn key(name: &str, arg: &str) -> Result<TdesKey, String> {
    TdesKey::new(&input::hex(arg)?).map_err(|e| format!("--{name}: {e}"))
}

/// Exactly `N` bytes from a hex argument named `name`.
fn bytes<const N: usize>(name: &str, arg: &str) -> Result<[u8; N], String> {
    let v = input::hex(arg).map_err(|e| format!("--{name}: {e}"))?;
    <[u8; N]>::try_from(v.as_slice())
        .map_err(|_| format!("--{name}: {} bytes given, {N} expected", v.len()))
}

pub fn icc_mk(imk: &str, pan: &str, psn: Option<&str>, option: MkOption) -> Result<String, String> {
    let imk = key("imk", imk)?;
    let psn = match psn {
        None => None,
        Some(s) if (1..=2).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit()) => {
            Some(s.parse::<u8>().map_err(|e| format!("--psn: {e}"))?)
        }
        Some(s) => return Err(format!("--psn {s:?}: one or two digits expected")),
    };
    let option = match option {
        MkOption::A => MasterKeyOption::A,
        MkOption::B => MasterKeyOption::B,
    };
    let mk = emv::icc_master_key(&imk, pan.as_bytes(), psn, option)
        .map_err(|e| format!("--pan: {e}"))?;
    Ok(Hex(mk.expose()).to_string())
}

pub fn session_key(
    mk: &str,
    r: Option<&str>,
    atc: Option<&str>,
    un: Option<&str>,
    method: Option<SkMethod>,
) -> Result<String, String> {
    let mk = key("mk", mk)?;
    let sk = match (r, atc, method) {
        (Some(_), Some(_), _) => return Err("give either --r or --atc, not both".into()),
        (Some(r), None, None | Some(SkMethod::Common)) => {
            if un.is_some() {
                return Err("--un goes with --atc and --method mastercard".into());
            }
            emv::common_session_key(&mk, &bytes::<8>("r", r)?)
        }
        (Some(_), None, Some(SkMethod::Mastercard)) => {
            return Err("--method mastercard forms R from --atc and --un, not --r".into());
        }
        (None, Some(atc), Some(SkMethod::Common)) => {
            if un.is_some() {
                return Err("--un goes with --method mastercard".into());
            }
            emv::common_session_key_atc(&mk, bytes::<2>("atc", atc)?)
        }
        (None, Some(atc), Some(SkMethod::Mastercard)) => {
            let un = un.ok_or("--method mastercard needs --un")?;
            emv::mastercard_session_key(&mk, bytes::<2>("atc", atc)?, bytes::<4>("un", un)?)
        }
        (None, Some(_), None) => return Err("--atc needs --method common or mastercard".into()),
        (None, None, _) => return Err("give --r, or --atc with --method".into()),
    };
    Ok(Hex(sk.expose()).to_string())
}

pub fn ac(key_hex: &str, data: &str, padding: &str) -> Result<String, String> {
    let sk = key("key", key_hex)?;
    let data = input::hex(data).map_err(|e| format!("--data: {e}"))?;
    let padding = match padding {
        "80" => AcPadding::Method2,
        "00" => AcPadding::Method1Zero,
        other => return Err(format!("--padding {other:?}: use 80 or 00")),
    };
    Ok(Hex(&emv::application_cryptogram(&sk, &data, padding)).to_string())
}

pub fn arpc(
    key_hex: &str,
    arqc: &str,
    method: u8,
    arc: Option<&str>,
    csu: Option<&str>,
    pad: Option<&str>,
) -> Result<String, String> {
    let k = key("key", key_hex)?;
    let arqc = bytes::<8>("arqc", arqc)?;
    match (method, arc, csu, pad) {
        (1, Some(arc), None, None) => {
            Ok(Hex(&emv::arpc_method1(&k, &arqc, bytes::<2>("arc", arc)?)).to_string())
        }
        (1, None, _, _) => Err("--method 1 needs --arc".into()),
        (1, Some(_), _, _) => Err("--csu and --pad go with --method 2".into()),
        (2, None, Some(csu), pad) => {
            let pad = match pad {
                Some(p) => input::hex(p).map_err(|e| format!("--pad: {e}"))?,
                None => Vec::new(),
            };
            let arpc = emv::arpc_method2(&k, &arqc, bytes::<4>("csu", csu)?, &pad)
                .map_err(|e| format!("--pad: {e} (0 to 8 bytes allowed)"))?;
            Ok(Hex(&arpc).to_string())
        }
        (2, Some(_), _, _) => Err("--arc goes with --method 1".into()),
        (2, None, None, _) => Err("--method 2 needs --csu".into()),
        (m, _, _, _) => Err(format!("--method {m}: use 1 or 2")),
    }
}
