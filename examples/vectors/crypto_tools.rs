//! The cardwire-crypto toolbox vector sets: PIN translation (key to key, DUKPT to a zone
//! key) and the EMV issuer tools (PIN change scripts, secure messaging, EMV2000 tree
//! session keys, CVC3).

use cardwire::crypto::dukpt::{aes, tdes};
use cardwire::crypto::emv;
use cardwire::crypto::pin::{Pin, PinFormat};
use cardwire::crypto::translate::{self, PinZone};
use cardwire::crypto::{AesKey, TdesKey};
use serde_json::Value;

use super::{Outcome, load};

type Check = Result<(), String>;

fn vectors(file: &str) -> Vec<Value> {
    load(file)["vectors"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v[k].as_str().unwrap_or_default()
}

fn hex(text: &str) -> Vec<u8> {
    cardwire::emv::hex::decode_to_vec(text).unwrap_or_default()
}

fn up(bytes: &[u8]) -> String {
    cardwire::emv::hex::Hex(bytes).to_string()
}

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

fn same(got: &str, want: &str, what: &str) -> Check {
    if got == want {
        Ok(())
    } else {
        Err(format!("{what}: got {got}, want {want}"))
    }
}

fn array<const N: usize>(v: &Value, field: &str) -> Result<[u8; N], String> {
    hex(s(v, field))
        .try_into()
        .map_err(|_| format!("{field}: not {N} bytes"))
}

fn run(file: &str, all: &[Value], check: impl Fn(&Value) -> Check) -> Outcome {
    let failures = all
        .iter()
        .filter_map(|v| {
            check(v)
                .err()
                .map(|e| format!("{file} {}: {e}", s(v, "id")))
        })
        .collect();
    (all.len(), failures)
}

/// A random source that hands out the vector's fixed bytes (a format 4 random half).
struct Given(Vec<u8>);
impl rand_core::TryRng for Given {
    type Error = core::convert::Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        Ok(0)
    }
    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        Ok(0)
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        let n = dst.len().min(self.0.len());
        dst[..n].copy_from_slice(&self.0[..n]);
        self.0.drain(..n);
        Ok(())
    }
}
impl rand_core::TryCryptoRng for Given {}

fn pin_format(v: &Value, field: &str) -> Result<PinFormat, String> {
    PinFormat::try_from(v[field].as_u64().unwrap_or(9) as u8).map_err(err)
}

fn translation(v: &Value) -> Check {
    let mut rng = Given(hex(s(v, "random")));
    let pan = Some(s(v, "pan"));
    let to_key = hex(s(v, "to_key"));
    let (t, a);
    let to = match pin_format(v, "to_format")? {
        PinFormat::Iso4 => {
            a = AesKey::new(&to_key).map_err(err)?;
            PinZone::aes(&a)
        }
        f => {
            t = TdesKey::new(&to_key).map_err(err)?;
            PinZone::tdes(&t, f).map_err(err)?
        }
    };
    let block = hex(s(v, "block"));
    let from_format = pin_format(v, "from_format")?;
    let out = match s(v, "source_kind") {
        "dukpt_tdes" => {
            let bdk = TdesKey::from_hex(s(v, "bdk")).map_err(err)?;
            let ksn = tdes::Ksn::from_hex(s(v, "ksn")).map_err(err)?;
            let block: [u8; 8] = block.try_into().map_err(|_| "block length")?;
            translate::from_tdes_dukpt(&block, &bdk, &ksn, from_format, &to, pan, &mut rng)
        }
        "dukpt_aes" => {
            let bdk = AesKey::from_hex(s(v, "bdk")).map_err(err)?;
            let ksn = aes::Ksn::from_hex(s(v, "ksn")).map_err(err)?;
            let ty = aes::KeyType::Aes128;
            translate::from_aes_dukpt(&block, &bdk, &ksn, ty, from_format, &to, pan, &mut rng)
        }
        _ => {
            let key = hex(s(v, "from_key"));
            let (t, a);
            let from = if from_format == PinFormat::Iso4 {
                a = AesKey::new(&key).map_err(err)?;
                PinZone::aes(&a)
            } else {
                t = TdesKey::new(&key).map_err(err)?;
                PinZone::tdes(&t, from_format).map_err(err)?
            };
            translate::translate(&block, &from, &to, pan, &mut rng)
        }
    }
    .map_err(err)?;
    same(&up(out.as_bytes()), s(v, "expected"), "translated block")
}

pub fn pin_translation() -> Outcome {
    let file = "pin_translate.json";
    run(file, &vectors(file), translation)
}

fn icc_mk(v: &Value, field: &str, cvn: emv::Cvn) -> Result<TdesKey, String> {
    let imk = TdesKey::from_hex(s(v, field)).map_err(err)?;
    let psn = s(v, "psn").parse::<u8>().ok();
    cvn.icc_master_key(&imk, s(v, "pan").as_bytes(), psn)
        .map_err(err)
}

fn issuer_tool(v: &Value) -> Check {
    match s(v, "group") {
        "pin_change" => {
            let cvn = super::crypto::cvn_named(s(v, "cvn"))?;
            let (ac, smi, smc) = (
                icc_mk(v, "imk_ac", cvn)?,
                icc_mk(v, "imk_smi", cvn)?,
                icc_mk(v, "imk_smc", cvn)?,
            );
            let keys = emv::IccKeys {
                ac: &ac,
                smi: &smi,
                smc: &smc,
            };
            let pin = Pin::new(s(v, "new_pin")).map_err(err)?;
            let current = v["current_pin"]
                .as_str()
                .map(Pin::new)
                .transpose()
                .map_err(err)?;
            let cmd = cvn
                .pin_change_command(
                    &keys,
                    array(v, "atc")?,
                    &array(v, "arqc")?,
                    &pin,
                    current.as_ref(),
                )
                .map_err(err)?;
            same(&up(cmd.as_bytes()), s(v, "expected_command"), "command")
        }
        "vis_pin_block" => {
            let mk = TdesKey::from_hex(s(v, "icc_mk_ac")).map_err(err)?;
            let pin = Pin::new(s(v, "pin")).map_err(err)?;
            let current = v["current_pin"]
                .as_str()
                .map(Pin::new)
                .transpose()
                .map_err(err)?;
            let block = emv::vis_pin_block(&mk, &pin, current.as_ref());
            same(&up(&block), s(v, "expected"), "VIS PIN block")
        }
        "sm_encrypt" => {
            let sk = TdesKey::from_hex(s(v, "sk_smc")).map_err(err)?;
            let method = match s(v, "method") {
                "emv" => emv::SmEncryption::Emv,
                "visa" => emv::SmEncryption::Visa,
                _ => emv::SmEncryption::Mastercard,
            };
            let mut out = [0u8; 64];
            let n = emv::encrypt_command_data(&sk, &hex(s(v, "data")), method, &mut out)
                .map_err(err)?;
            same(&up(&out[..n]), s(v, "expected"), "enciphered data")
        }
        "emv2000" => {
            let mk = TdesKey::from_hex(s(v, "mk")).map_err(err)?;
            let tree = emv::Emv2000Tree::new(
                v["branch"].as_u64().unwrap_or(0) as u8,
                v["height"].as_u64().unwrap_or(0) as u8,
                array(v, "iv")?,
            )
            .map_err(err)?;
            let sk = emv::emv2000_tree_session_key(&mk, array(v, "atc")?, &tree);
            same(&up(sk.expose()), s(v, "expected_sk"), "session key")
        }
        _ => {
            let imk = TdesKey::from_hex(s(v, "imk_cvc3")).map_err(err)?;
            let key = emv::icc_master_key(
                &imk,
                s(v, "pan").as_bytes(),
                Some(0),
                emv::MasterKeyOption::A,
            )
            .map_err(err)?;
            let track = hex(s(v, "track_template"));
            let cvc3 = emv::cvc3(&key, &track, array(v, "atc")?, array(v, "un")?);
            same(&cvc3.value().to_string(), s(v, "expected_cvc3"), "CVC3")
        }
    }
}

pub fn issuer_tools() -> Outcome {
    let file = "emv_cryptograms.json";
    let all: Vec<Value> = vectors(file)
        .into_iter()
        .filter(|v| {
            matches!(
                s(v, "group"),
                "pin_change" | "vis_pin_block" | "sm_encrypt" | "emv2000" | "cvc3"
            )
        })
        .collect();
    run(file, &all, issuer_tool)
}
