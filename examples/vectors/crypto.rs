//! The cardwire-crypto vector sets: DUKPT (TDES and AES, with a terminal/host agreement run
//! over every TDES counter), PIN blocks, MACs, TR-31, card values and CUPS.

use cardwire::crypto::card::{self, DecimalizationTable};
use cardwire::crypto::cups::{self, Field62};
use cardwire::crypto::dukpt::{aes, tdes};
use cardwire::crypto::emv;
use cardwire::crypto::mac::{self, Padding};
use cardwire::crypto::pin::{self, Pin, PinBlock, PinField, PinFormat};
use cardwire::crypto::tr31::KeyBlock;
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

fn group(file: &str, name: &str) -> Vec<Value> {
    vectors(file)
        .into_iter()
        .filter(|v| v["group"] == name)
        .collect()
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

fn same(got: &str, want: &str, what: &str) -> Check {
    if got == want {
        Ok(())
    } else {
        Err(format!("{what}: got {got}, want {want}"))
    }
}

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// Runs `check` on every vector; a failure names the file and the vector.
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

fn merge(parts: impl IntoIterator<Item = Outcome>) -> Outcome {
    parts
        .into_iter()
        .fold((0, Vec::new()), |(n, mut f), (m, g)| {
            f.extend(g);
            (n + m, f)
        })
}

pub fn dukpt_tdes() -> Outcome {
    let published = run("dukpt_tdes.json", &vectors("dukpt_tdes.json"), |v| {
        let bdk = TdesKey::new(&hex(s(v, "bdk"))).map_err(err)?;
        if v["kind"] == "ipek" {
            let ksn = tdes::Ksn::from_bytes(&hex(s(v, "iksn"))).map_err(err)?;
            return same(
                &up(tdes::ipek(&bdk, &ksn).map_err(err)?.expose()),
                s(v, "expected_ipek"),
                "IPEK",
            );
        }
        let ksn = tdes::Ksn::from_bytes(&hex(s(v, "ksn"))).map_err(err)?;
        for (variant, field) in [
            (tdes::KeyVariant::Pin, "expected_pin_key"),
            (tdes::KeyVariant::MacRequest, "expected_mac_request_key"),
            (tdes::KeyVariant::MacResponse, "expected_mac_response_key"),
            (tdes::KeyVariant::DataRequest, "expected_data_request_key"),
            (tdes::KeyVariant::DataResponse, "expected_data_response_key"),
        ] {
            let key = tdes::derive(&bdk, &ksn, variant).map_err(err)?;
            same(&up(key.expose()), s(v, field), field)?;
        }
        let pin_key = tdes::derive(&bdk, &ksn, tdes::KeyVariant::Pin).map_err(err)?;
        let clear = PinBlock::from_bytes(
            hex(s(v, "clear_pin_block"))
                .try_into()
                .map_err(|_| "block")?,
        );
        same(
            &up(&clear.encipher(&pin_key)),
            s(v, "expected_encrypted_pin_block"),
            "PIN block",
        )?;
        let mac_key = tdes::derive(&bdk, &ksn, tdes::KeyVariant::MacRequest).map_err(err)?;
        let m = mac::retail_mac(
            &mac_key,
            s(v, "mac_data_ascii").as_bytes(),
            Padding::Method1,
        )
        .map_err(err)?;
        same(
            &up(&m[..4]),
            s(v, "expected_mac_request_x919_4bytes"),
            "request MAC",
        )
    });
    let rollover = run(
        "dukpt_tdes_rollover.json",
        &vectors("dukpt_tdes_rollover.json"),
        |v| {
            let bdk = TdesKey::new(&hex("0123456789ABCDEFFEDCBA9876543210")).map_err(err)?;
            let ksn = tdes::Ksn::from_bytes(&hex(s(v, "ksn"))).map_err(err)?;
            let txn =
                tdes::transaction_key(&tdes::ipek(&bdk, &ksn).map_err(err)?, &ksn).map_err(err)?;
            same(
                &up(txn.expose()),
                s(v, "expected_txn_key"),
                "transaction key",
            )
        },
    );
    merge([published, rollover])
}

/// Terminal (future key registers) against host (from the IPEK) on every one of the
/// 1,048,575 counters, from the first transaction to exhaustion.
pub fn dukpt_tdes_terminal() -> Outcome {
    let bdk = TdesKey::new(&hex("0123456789ABCDEFFEDCBA9876543210")).unwrap();
    let iksn = tdes::Ksn::from_bytes(&hex("FFFF9876543210E00000")).unwrap();
    let ipek = tdes::ipek(&bdk, &iksn).unwrap();
    let mut terminal = tdes::Terminal::new(&ipek, &iksn).unwrap();
    let (mut n, mut failures) = (0, Vec::new());
    let mut expected = iksn.next();
    while let Ok((ksn, key)) = terminal.next_key() {
        n += 1;
        let host = tdes::transaction_key(&ipek, &ksn).unwrap();
        if Some(ksn) != expected || !key.ct_eq(&host) {
            failures.push(format!("terminal/host disagree at {ksn}"));
        }
        expected = ksn.next();
    }
    if n != 1_048_575 || expected.is_some() {
        failures.push(format!("terminal stopped after {n} counters"));
    }
    (n, failures)
}

pub fn dukpt_aes() -> Outcome {
    let check = |v: &Value| -> Check {
        match s(v, "kind") {
            "initial_key" => {
                let bdk = AesKey::new(&hex(s(v, "bdk"))).map_err(err)?;
                let ikid: [u8; 8] = hex(s(v, "ikid")).try_into().map_err(|_| "IKID")?;
                same(
                    &up(aes::initial_key(&bdk, &ikid).map_err(err)?.expose()),
                    s(v, "expected_ik"),
                    "IK",
                )
            }
            "update_key" => {
                let ik = AesKey::new(&hex(s(v, "ik"))).map_err(err)?;
                let ikid: [u8; 8] = hex(s(v, "ikid")).try_into().map_err(|_| "IKID")?;
                let ty = match s(v, "key_type") {
                    "AES128" => aes::KeyType::Aes128,
                    "AES256" => aes::KeyType::Aes256,
                    "2TDEA" => aes::KeyType::Tdes2,
                    _ => aes::KeyType::Tdes3,
                };
                same(
                    &up(aes::update_key(&ik, &ikid, ty).map_err(err)?.expose()),
                    s(v, "expected_update_key"),
                    "update key",
                )
            }
            _ => {
                let bdk = AesKey::new(&hex(s(v, "bdk"))).map_err(err)?;
                let ksn = aes::Ksn::from_bytes(&hex(s(v, "ksn"))).map_err(err)?;
                let ik = aes::initial_key(&bdk, &ksn.ikid()).map_err(err)?;
                if let Some(want) = v["expected_txn_key"].as_str() {
                    same(
                        &up(aes::intermediate_key(&ik, &ksn).map_err(err)?.expose()),
                        want,
                        "transaction key",
                    )?;
                }
                let key = |usage| aes::derive(&bdk, &ksn, usage, aes::KeyType::Aes128).map_err(err);
                for (usage, field) in [
                    (aes::KeyUsage::Pin, "expected_pin_key_aes128"),
                    (aes::KeyUsage::MacGeneration, "expected_mac_gen_key_aes128"),
                    (
                        aes::KeyUsage::DataEncryption,
                        "expected_data_enc_key_aes128",
                    ),
                ] {
                    if let Some(want) = v[field].as_str() {
                        same(&up(key(usage)?.expose()), want, field)?;
                    }
                }
                if let Some(want) = v["expected_cmac_mac_gen_key"].as_str() {
                    let k = AesKey::try_from(key(aes::KeyUsage::MacGeneration)?).map_err(err)?;
                    same(
                        &up(&mac::cmac_aes(&k, s(v, "data_ascii").as_bytes())),
                        want,
                        "CMAC",
                    )?;
                }
                if let Some(want) = v["expected_encrypted_pin_block_format4"].as_str() {
                    let plain = hex(s(v, "plain_pin_field"));
                    let field = PinField::from_bytes(plain.try_into().map_err(|_| "PIN field")?);
                    let k = AesKey::try_from(key(aes::KeyUsage::Pin)?).map_err(err)?;
                    same(
                        &up(&field.encipher(&k, s(v, "pan")).map_err(err)?),
                        want,
                        "format 4 block",
                    )?;
                }
                Ok(())
            }
        }
    };
    // AES-192 BDKs and AES-256 working keys: every usage and key type in the vector.
    let types = |v: &Value| -> Check {
        let bdk = AesKey::new(&hex(s(v, "bdk"))).map_err(err)?;
        let ksn = aes::Ksn::from_bytes(&hex(s(v, "ksn"))).map_err(err)?;
        let ik = aes::initial_key(&bdk, &ksn.ikid()).map_err(err)?;
        let txn = aes::intermediate_key(&ik, &ksn).map_err(err)?;
        same(
            &up(txn.expose()),
            s(v, "expected_txn_key"),
            "transaction key",
        )?;
        for (name, want) in v["working_keys"].as_object().into_iter().flatten() {
            let (usage, ty) = name.split_once('/').unwrap_or_default();
            let usage = match usage {
                "PIN" => aes::KeyUsage::Pin,
                "MAC_gen" => aes::KeyUsage::MacGeneration,
                "DATA_enc" => aes::KeyUsage::DataEncryption,
                _ => aes::KeyUsage::KeyEncryption,
            };
            let ty = match ty {
                "TDES2" => aes::KeyType::Tdes2,
                "TDES3" => aes::KeyType::Tdes3,
                "AES128" => aes::KeyType::Aes128,
                "AES192" => aes::KeyType::Aes192,
                _ => aes::KeyType::Aes256,
            };
            let key = aes::derive(&bdk, &ksn, usage, ty).map_err(err)?;
            same(&up(key.expose()), want.as_str().unwrap_or_default(), name)?;
        }
        Ok(())
    };
    merge([
        run("dukpt_aes.json", &vectors("dukpt_aes.json"), check),
        run("dukpt_aes256.json", &vectors("dukpt_aes256.json"), check),
        run(
            "crypto_more.json",
            &group("crypto_more.json", "dukpt_aes"),
            check,
        ),
        run(
            "crypto_more.json",
            &group("crypto_more.json", "dukpt_aes_types"),
            types,
        ),
    ])
}

pub fn pin_blocks() -> Outcome {
    let check = |v: &Value| -> Check {
        let format = PinFormat::try_from(v["format"].as_u64().unwrap_or(9) as u8).map_err(err)?;
        let pan = v["pan"].as_str();
        let fill: Option<[u8; 8]> = v["fill"]
            .as_str()
            .or(v["random_fill"].as_str())
            .and_then(|f| hex(f).try_into().ok());
        if let Some(want) = v["expected_clear_block"].as_str() {
            let block = PinBlock::new(
                format,
                &Pin::new(s(v, "pin")).map_err(err)?,
                pan,
                fill.as_ref(),
            )
            .map_err(err)?;
            return same(&up(block.as_bytes()), want, "clear block");
        }
        if let Some(want) = v["expected_pin"].as_str() {
            let block =
                PinBlock::from_bytes(hex(s(v, "pin_block")).try_into().map_err(|_| "block")?);
            return same(
                block.decode_as(format, pan).map_err(err)?.as_str(),
                want,
                "PIN",
            );
        }
        if let Some(prefix) = v["expected_prefix"].as_str() {
            let pin = Pin::new(s(v, "pin")).map_err(err)?;
            let block = PinBlock::new(format, &pin, pan, Some(&[0xAB; 8])).map_err(err)?;
            return same(&up(block.as_bytes())[..prefix.len()], prefix, "prefix");
        }
        if let Some(want) = v["expected_pan_field"].as_str() {
            same(
                &up(&pin::pan_field(s(v, "pan")).map_err(err)?),
                want,
                "PAN field",
            )?;
        }
        if let Some(want) = v["expected_plain_pin_field"].as_str() {
            let field = PinField::new(&Pin::new(s(v, "pin")).map_err(err)?, &fill.ok_or("fill")?);
            same(&up(field.as_bytes()), want, "PIN field")?;
        }
        if let Some(prefix) = v["expected_pin_field_prefix"].as_str() {
            let field = PinField::new(&Pin::new(s(v, "pin")).map_err(err)?, &[0; 8]);
            same(&up(field.as_bytes())[..prefix.len()], prefix, "PIN field")?;
        }
        if let Some(want) = v["expected_encrypted_block"].as_str() {
            let key = AesKey::new(&hex(s(v, "key"))).map_err(err)?;
            let field = PinField::new(&Pin::new(s(v, "pin")).map_err(err)?, &fill.ok_or("fill")?);
            same(
                &up(&field.encipher(&key, s(v, "pan")).map_err(err)?),
                want,
                "format 4 block",
            )?;
        }
        Ok(())
    };
    merge([
        run("pinblock.json", &vectors("pinblock.json"), check),
        run(
            "crypto_more.json",
            &group("crypto_more.json", "pinblock"),
            check,
        ),
    ])
}

pub fn macs() -> Outcome {
    let check = |v: &Value| -> Check {
        let alg = s(v, "algorithm");
        let key = |f: &str| -> Result<TdesKey, String> {
            let bytes = v[f]
                .as_str()
                .map(hex)
                .unwrap_or_else(|| s(v, &format!("{f}_ascii")).as_bytes().to_vec());
            TdesKey::new(&bytes).map_err(err)
        };
        let msg = v["message"]
            .as_str()
            .map(hex)
            .unwrap_or_else(|| s(v, "message_ascii").as_bytes().to_vec());
        let padding = Padding::try_from(v["padding"].as_u64().unwrap_or(1) as u8).map_err(err)?;
        let got = if alg == "HMAC-SHA-256" {
            up(&mac::hmac_sha256(&hex(s(v, "key")), &msg).map_err(err)?)
        } else if alg == "CMAC-AES" {
            up(&mac::cmac_aes(
                &AesKey::new(&hex(s(v, "key"))).map_err(err)?,
                &msg,
            ))
        } else if alg == "CMAC-TDES" {
            up(&mac::cmac_tdes(&key("key")?, &msg))
        } else if let Some(method) = alg.strip_prefix("ISO9797-1 padding method ") {
            let method = Padding::try_from(method.parse::<u8>().map_err(err)?).map_err(err)?;
            let mut out = [0u8; 64];
            let block = v["block_len"].as_u64().unwrap_or(8) as usize;
            let n = mac::pad(&hex(s(v, "data")), method, block, &mut out).map_err(err)?;
            return same(&up(&out[..n]), s(v, "expected_padded"), "padding");
        } else if alg.contains("alg1") {
            up(&mac::cbc_mac(&key("key")?, &msg, padding))
        } else if alg.starts_with("ANSI X9.9") {
            up(&mac::x9_9(&key("key")?, &msg).map_err(err)?)
        } else if v["key1"].is_string() || v["key1_ascii"].is_string() {
            up(
                &mac::retail_mac_two_keys(&key("key1")?, &key("key2")?, &msg, padding)
                    .map_err(err)?,
            )
        } else {
            up(&mac::retail_mac(&key("key")?, &msg, padding).map_err(err)?)
        };
        same(&got, s(v, "expected_mac"), "MAC")
    };
    merge([
        run("mac.json", &vectors("mac.json"), check),
        run("crypto_more.json", &group("crypto_more.json", "mac"), check),
    ])
}

pub fn tr31() -> Outcome {
    let check = |v: &Value| -> Check {
        let kbpk = v["kbpk"]
            .as_str()
            .map(hex)
            .unwrap_or_else(|| s(v, "kbpk_ascii").as_bytes().to_vec());
        let result = KeyBlock::parse(s(v, "key_block")).and_then(|b| b.unwrap(&kbpk));
        if v["negative"] == true {
            return match result {
                Err(_) => Ok(()),
                Ok(_) => Err("invalid block accepted".into()),
            };
        }
        let want = v["expected_key"]
            .as_str()
            .map(String::from)
            .unwrap_or_else(|| up(s(v, "expected_key_ascii").as_bytes()));
        same(&up(result.map_err(err)?.expose()), &want, "key")
    };
    merge([
        run("tr31.json", &vectors("tr31.json"), check),
        run("tr31_more.json", &vectors("tr31_more.json"), check),
    ])
}

pub fn card_values() -> Outcome {
    let check = |v: &Value| -> Check {
        let key = |f: &str| TdesKey::new(&hex(s(v, f))).map_err(err);
        let kind = s(v, "kind");
        let got = match kind {
            "CVV" | "CVV2" | "iCVV" => card::cvv(
                &key("cvk")?,
                s(v, "pan"),
                s(v, "expiry_yymm"),
                s(v, "service_code"),
            )
            .map_err(err)?
            .as_str()
            .to_string(),
            "Visa PVV" => {
                let pvki = s(v, "pvki").parse().map_err(err)?;
                card::pvv(
                    &key("pvk")?,
                    s(v, "pan"),
                    pvki,
                    &Pin::new(s(v, "pin")).map_err(err)?,
                )
                .map_err(err)?
                .as_str()
                .to_string()
            }
            k if k.starts_with("IBM 3624") => {
                let table = DecimalizationTable::new(s(v, "decimalization_table")).map_err(err)?;
                let pad = s(v, "pan_pad").bytes().next().unwrap_or(b'F');
                let at = |f: &str| v[f].as_u64().unwrap_or(0) as usize;
                let data = card::validation_data(
                    s(v, "pan_validation_data"),
                    at("pan_verify_offset"),
                    at("pan_verify_length"),
                    pad,
                )
                .map_err(err)?;
                if let Some(offset) = v["offset"].as_str() {
                    let pin =
                        card::ibm3624_pin(&key("pvk")?, &data, &table, offset).map_err(err)?;
                    return same(pin.as_str(), s(v, "expected_pin"), "PIN");
                }
                let pin = Pin::new(s(v, "pin")).map_err(err)?;
                card::ibm3624_offset(&key("pvk")?, &data, &table, &pin)
                    .map_err(err)?
                    .as_str()
                    .to_string()
            }
            k if k.starts_with("KCV") => {
                return same(
                    &up(&key("key")?.check_value()[..3]),
                    s(v, "expected_kcv"),
                    "KCV",
                );
            }
            k if k.starts_with("key variant") => up(key("key")?
                .variant(v["variant"].as_u64().unwrap_or(0) as u8)
                .map_err(err)?
                .expose()),
            _ => up(key("key")?.with_odd_parity().expose()),
        };
        same(&got, s(v, "expected"), kind)
    };
    merge([
        run("cvv_pvv.json", &vectors("cvv_pvv.json"), check),
        run("crypto_more.json", &group("crypto_more.json", "cvv"), check),
    ])
}

pub fn cups() -> Outcome {
    let mac = run("cups.json", &vectors("cups.json"), |v| {
        let tmk = TdesKey::new(&hex(s(v, "tmk"))).map_err(err)?;
        let mut mak = hex(s(v, "mak_under_tmk"));
        tmk.cipher().decrypt_ecb(&mut mak).map_err(err)?;
        let mak = TdesKey::new(&mak).map_err(err)?;
        let field64 = cups::field64(&mak, &hex(s(v, "mab")));
        same(
            &String::from_utf8_lossy(&field64),
            s(v, "field64_ascii"),
            "field 64",
        )
    });
    let field62 = run(
        "crypto_more.json",
        &group("crypto_more.json", "field62"),
        |v| {
            let tmk = TdesKey::new(&hex(s(v, "tmk"))).map_err(err)?;
            let data = hex(s(v, "field62"));
            let keys = Field62::parse(&data).and_then(|f| f.decrypt(&tmk));
            match (keys, v["expected_error_offset"].as_u64()) {
                (Err(e), Some(at)) if e.offset() == Some(at as usize) => Ok(()),
                (Ok(k), None) => same(&up(k.mac.expose()), s(v, "expected_mak"), "MAK"),
                (other, _) => Err(format!("unexpected result {:?}", other.map(|_| ()))),
            }
        },
    );
    merge([mac, field62])
}

/// The first two bytes of a key's check value, as the EMV sources publish them.
fn kcv2(key: &TdesKey) -> String {
    up(key.check_value().get(..2).unwrap_or_default())
}

/// Checks a 2-byte KCV unless the source gives none (`null`).
fn same_kcv(key: &TdesKey, v: &Value, field: &str) -> Check {
    match v[field].as_str() {
        Some(want) => same(&kcv2(key), want, field),
        None => Ok(()),
    }
}

fn icc_mk_of(v: &Value, imk_field: &str, option: emv::MasterKeyOption) -> Result<TdesKey, String> {
    let imk = TdesKey::new(&hex(s(v, imk_field))).map_err(err)?;
    let psn = match v["psn"].as_str() {
        Some(p) => Some(p.parse::<u8>().map_err(err)?),
        None => None,
    };
    emv::icc_master_key(&imk, s(v, "pan").as_bytes(), psn, option).map_err(err)
}

fn option_of(v: &Value) -> emv::MasterKeyOption {
    if v["option"] == "b" {
        emv::MasterKeyOption::B
    } else {
        emv::MasterKeyOption::A
    }
}

fn array<const N: usize>(v: &Value, field: &str) -> Result<[u8; N], String> {
    <[u8; N]>::try_from(hex(s(v, field)).as_slice()).map_err(|_| format!("{field}: not {N} bytes"))
}

/// One chain: master key, session key, AC (generate and verify), ARPCs.
fn emv_chain(v: &Value) -> Check {
    let mk = icc_mk_of(v, "imk", option_of(v))?;
    same_kcv(&mk, v, "mk_kcv")?;
    let sk = emv::common_session_key(&mk, &array::<8>(v, "r")?);
    same_kcv(&sk, v, "sk_kcv")?;
    let padding = if v["padding"] == "00" {
        emv::AcPadding::Method1Zero
    } else {
        emv::AcPadding::Method2
    };
    let data = hex(s(v, "data"));
    let arqc = emv::application_cryptogram(&sk, &data, padding);
    same(&up(&arqc), s(v, "arqc"), "arqc")?;
    emv::verify_application_cryptogram(&sk, &data, padding, &arqc).map_err(err)?;
    let mut wrong = arqc;
    wrong[0] ^= 1;
    if emv::verify_application_cryptogram(&sk, &data, padding, &wrong).is_ok() {
        return Err("a changed ARQC verified".into());
    }
    for p in v["arpc"].as_array().into_iter().flatten() {
        let key = if p["key"] == "mk" { &mk } else { &sk };
        let got = if p["method"] == 1 {
            up(&emv::arpc_method1(key, &arqc, array::<2>(p, "arc")?))
        } else {
            let pad = hex(s(p, "pad"));
            up(&emv::arpc_method2(key, &arqc, array::<4>(p, "csu")?, &pad).map_err(err)?)
        };
        same(&got, s(p, "expected"), "arpc")?;
    }
    Ok(())
}

fn emv_script(v: &Value) -> Check {
    let mk = icc_mk_of(v, "imk", option_of(v))?;
    same_kcv(&mk, v, "mk_kcv")?;
    let sk = if v["group"] == "visa_script_key" {
        emv::visa_script_session_key(&mk, array::<2>(v, "atc")?)
    } else {
        emv::common_session_key(&mk, &array::<8>(v, "r")?)
    };
    same_kcv(&sk, v, "sk_kcv")?;
    same(
        &up(&emv::script_mac(&sk, &hex(s(v, "data")))),
        s(v, "mac"),
        "mac",
    )
}

/// The profile a vector names.
pub(super) fn cvn_named(name: &str) -> Result<emv::Cvn, String> {
    Ok(match name {
        "visa10" => emv::Cvn::Visa10,
        "visa18" => emv::Cvn::Visa18,
        "visa22" => emv::Cvn::Visa22,
        "mastercard16" => emv::Cvn::Mastercard16,
        "mastercard17" => emv::Cvn::Mastercard17,
        "mastercard20" => emv::Cvn::Mastercard20,
        "mastercard21" => emv::Cvn::Mastercard21,
        "interac133" => emv::Cvn::Interac133,
        other => return Err(format!("unknown CVN {other}")),
    })
}

fn emv_cvn(v: &Value) -> Check {
    let cvn = cvn_named(s(v, "cvn"))?;
    let mk = icc_mk_of(v, "imk_ac", cvn.master_key_option())?;
    same_kcv(&mk, v, "mk_ac_kcv")?;
    let mk_smi = icc_mk_of(v, "imk_smi", cvn.master_key_option())?;
    same_kcv(&mk_smi, v, "mk_smi_kcv")?;
    let iad = hex(s(v, "iad"));
    let data = emv::AcData {
        amount_authorised: array(v, "amount_authorised")?,
        amount_other: array(v, "amount_other")?,
        terminal_country_code: array(v, "terminal_country_code")?,
        tvr: array(v, "tvr")?,
        currency_code: array(v, "currency_code")?,
        transaction_date: array(v, "transaction_date")?,
        transaction_type: array::<1>(v, "transaction_type")?[0],
        unpredictable_number: array(v, "unpredictable_number")?,
        aip: array(v, "aip")?,
        atc: array(v, "atc")?,
        iad: &iad,
    };
    same_kcv(
        &cvn.session_key(&mk, data.atc, data.unpredictable_number),
        v,
        "sk_kcv",
    )?;
    let arqc = cvn.generate_ac(&mk, &data).map_err(err)?;
    same(&up(&arqc), s(v, "arqc"), "arqc")?;
    cvn.verify_ac(&mk, &data, &arqc).map_err(err)?;
    let r = &v["arpc_response"];
    let pad = hex(s(r, "pad"));
    let response = if r["arc"].is_string() {
        emv::ArpcResponse::Arc(array(r, "arc")?)
    } else {
        emv::ArpcResponse::Csu {
            csu: array(r, "csu")?,
            proprietary: &pad,
        }
    };
    let arpc = cvn
        .arpc(&mk, data.atc, data.unpredictable_number, &arqc, response)
        .map_err(err)?;
    same(&up(arpc.as_bytes()), s(v, "arpc"), "arpc")?;
    let mac = cvn.script_mac(&mk_smi, data.atc, &arqc, &hex(s(v, "script_header")), &[]);
    same(&up(&mac), s(v, "script_mac"), "script_mac")
}

pub fn emv_cryptograms() -> Outcome {
    let file = "emv_cryptograms.json";
    merge([
        run(file, &group(file, "chain"), emv_chain),
        run(file, &group(file, "script_mac"), emv_script),
        run(file, &group(file, "visa_script_key"), emv_script),
        run(file, &group(file, "cvn"), emv_cvn),
    ])
}
