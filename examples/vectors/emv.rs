//! The cardwire-emv application-layer vector sets: tag dictionary, DOL, bit fields, EMV QR.

use cardwire::emv::bits::{
    AdditionalTerminalCapabilities, Aip, Auc, BitField, Cid, Ctq, CvmList, CvmResults, CvmRule,
    Iad, TerminalCapabilities, TerminalType, Tsi, Ttq, Tvr, VisaIad,
};
use cardwire::emv::dict;
use cardwire::emv::dol::Dol;
use cardwire::emv::hex::{Hex, decode_to_vec};
use cardwire::emv::qr::{Cpm, DataObject, Mpm, MpmBuilder, UnionPayUrl};
use cardwire::emv::tags;
use cardwire::emv::tlv::{Mode, Reader, Tag};
use serde_json::Value;

use super::{Outcome, load};

fn hex(v: &Value) -> Vec<u8> {
    decode_to_vec(v.as_str().unwrap_or_default()).unwrap()
}

fn tag(v: &Value) -> Tag {
    v.as_str().unwrap().parse().unwrap()
}

/// The name of an error kind without its fields: `QrCrcMismatch { .. }` → `QrCrcMismatch`.
fn kind_name(e: &cardwire::emv::Error) -> String {
    let debug = format!("{:?}", e.kind());
    debug
        .split([' ', '{'])
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// Whether `result` failed as `expect` (`{error, offset?}`) says.
fn failed_as<T>(result: Result<T, cardwire::emv::Error>, expect: &Value) -> bool {
    match result {
        Ok(_) => false,
        Err(e) => {
            expect["error"].as_str() == Some(kind_name(&e).as_str())
                && expect["offset"]
                    .as_u64()
                    .is_none_or(|o| o == e.offset() as u64)
        }
    }
}

/// Runs `check` on every vector of `file`, collecting the ids that fail.
fn each(file: &str, check: impl Fn(&Value) -> bool) -> Outcome {
    let doc = load(file);
    let vectors = doc["vectors"].as_array().unwrap();
    let failures = vectors
        .iter()
        .filter(|v| !check(v))
        .map(|v| format!("{file} {}", v["id"].as_str().unwrap_or("?")))
        .collect();
    (vectors.len(), failures)
}

/// Tag dictionary: names, formats and lengths; every tag of the listed TLV samples named.
pub fn dictionary() -> Outcome {
    let tlv = load("tlv.json");
    each("emv_dict.json", |v| {
        if let Some(ids) = v["tlv_vectors"].as_array() {
            return ids.iter().all(|id| {
                let sample = tlv["vectors"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|t| t["id"] == *id)
                    .unwrap();
                let data = hex(&sample["hex"]);
                let mode = if sample["mode"] == "lenient" {
                    Mode::Lenient
                } else {
                    Mode::Strict
                };
                Reader::with_mode(&data, mode)
                    .walk()
                    .all(|t| t.is_ok_and(|t| dict::name(t.tag()).is_some()))
            });
        }
        let info = dict::lookup(tag(&v["tag"]));
        match (info, v["name"].as_str()) {
            (None, None) => true,
            (Some(i), Some(name)) => {
                i.name == name
                    && v["format"].as_str() == Some(i.format.as_str())
                    && v["min_len"].as_u64() == Some(u64::from(i.min_len))
                    && v["max_len"].as_u64() == Some(u64::from(i.max_len))
            }
            _ => false,
        }
    })
}

/// DOL data assembly from known TLV values.
pub fn dol() -> Outcome {
    each("dol.json", |v| {
        let list = hex(&v["dol"]);
        if v.get("error").is_some() {
            return failed_as(Dol::new(&list), v);
        }
        let known = hex(&v["tlv"]);
        let Ok(dol) = Dol::new(&list) else {
            return false;
        };
        let mut out = vec![0u8; dol.data_len()];
        dol.build_from(&Reader::new(&known), &mut out)
            .is_ok_and(|n| Hex(&out[..n]).to_string() == v["expect"].as_str().unwrap())
    })
}

/// The named `[byte, bit]` pairs set in `value` equal `expect`, and the unnamed ones too.
fn same_bits<B: BitField>(value: &B, set: &Value, unnamed: &Value) -> bool {
    let got: Vec<Value> = value
        .flags()
        .map(|f| serde_json::json!([f.byte(), f.bit()]))
        .collect();
    let got_unnamed: Vec<Value> = value
        .unnamed_bits()
        .map(|(byte, bit)| serde_json::json!([byte, bit]))
        .collect();
    let empty = Vec::new();
    let sorted = |v: &Value| {
        let mut list = v.as_array().unwrap_or(&empty).clone();
        list.sort_by_key(|p| (p[0].as_u64(), std::cmp::Reverse(p[1].as_u64())));
        list
    };
    got == sorted(set) && got_unnamed == sorted(unnamed)
}

fn fields_match<B: BitField>(value: &B, fields: &Value) -> bool {
    fields.as_object().is_none_or(|map| {
        map.iter().all(|(key, want)| {
            B::FIELDS
                .iter()
                .find(|f| f.key() == key)
                .is_some_and(|f| want.as_u64() == Some(u64::from(value.field(*f))))
        })
    })
}

fn flags_vector<B: BitField>(v: &Value, bytes: &[u8]) -> bool {
    let Ok(value) = B::from_bytes(bytes) else {
        return false;
    };
    value.as_bytes() == bytes
        && same_bits(&value, &v["set"], &v["unnamed"])
        && fields_match(&value, &v["fields"])
}

fn rule_matches(rule: CvmRule, want: &Value) -> bool {
    format!("{:02X}", rule.method().code()) == want[0].as_str().unwrap()
        && format!("{:02X}", rule.condition().code()) == want[1].as_str().unwrap()
        && rule.apply_next_if_unsuccessful() == want[2].as_bool().unwrap()
}

fn iad_matches(v: &Value, bytes: &[u8]) -> bool {
    let Ok(iad) = Iad::parse(bytes) else {
        return false;
    };
    let mut out = [0u8; 64];
    let round_trip = iad.encode(&mut out).is_ok_and(|n| &out[..n] == bytes);
    let h = |b: &[u8]| Value::from(Hex(b).to_string());
    let byte = |b: u8| Value::from(format!("{b:02X}"));
    let label_ok = v
        .get("cvn_label")
        .is_none_or(|l| l.as_str() == iad.cvn_label());
    let parts_ok = match iad {
        Iad::Visa(VisaIad::Format013 {
            dki,
            cvn,
            cvr,
            extra,
            issuer_discretionary,
        }) => {
            v["layout"] == "visa"
                && v["dki"] == byte(dki)
                && v["cvn"] == byte(cvn)
                && v["cvr"] == h(cvr.as_bytes())
                && v["extra"] == h(extra)
                && v["issuer_discretionary"] == h(issuer_discretionary)
                && same_bits(&cvr, &v["cvr_set"], &Value::Null)
                && fields_match(&cvr, &v["cvr_fields"])
        }
        Iad::Visa(VisaIad::Format2 {
            cvn,
            dki,
            cvr,
            issuer_discretionary,
        }) => {
            v["layout"] == "visa"
                && v["dki"] == byte(dki)
                && v["cvn"] == byte(cvn)
                && v["cvr"] == h(&cvr)
                && v["issuer_discretionary"] == h(issuer_discretionary)
        }
        Iad::Mchip(m) => {
            v["layout"] == "mchip"
                && v["dki"] == byte(m.dki)
                && v["cvn"] == byte(m.cvn)
                && v["cvr"] == h(m.cvr.as_bytes())
                && v["dac"] == h(&m.dac)
                && v["rest"] == h(m.rest)
                && same_bits(&m.cvr, &v["cvr_set"], &Value::Null)
                && fields_match(&m.cvr, &v["cvr_fields"])
        }
        Iad::Ccd(c) => {
            v["layout"] == "ccd"
                && v["dki"] == byte(c.dki)
                && v["cvn"] == byte(c.cci)
                && v["cvr"] == h(c.cvr.as_bytes())
                && same_bits(&c.cvr, &v["cvr_set"], &Value::Null)
                && fields_match(&c.cvr, &v["cvr_fields"])
        }
    };
    round_trip && label_ok && parts_ok
}

/// Bit fields: every named bit set, coded parts, and the exact bytes back.
pub fn bits() -> Outcome {
    each("bits.json", |v| {
        let bytes = hex(&v["hex"]);
        if v.get("error").is_some() {
            let result = match v["tag"].as_str().unwrap() {
                "9F35" => TerminalType::from_bytes(&bytes).map(drop),
                _ => Tvr::from_bytes(&bytes).map(drop),
            };
            return failed_as(result, v);
        }
        match v["tag"].as_str().unwrap() {
            "95" | "9F0D" | "9F0E" | "9F0F" => flags_vector::<Tvr>(v, &bytes),
            "9B" => flags_vector::<Tsi>(v, &bytes),
            "82" => flags_vector::<Aip>(v, &bytes),
            "9F07" => flags_vector::<Auc>(v, &bytes),
            "9F33" => flags_vector::<TerminalCapabilities>(v, &bytes),
            "9F40" => flags_vector::<AdditionalTerminalCapabilities>(v, &bytes),
            "9F66" => flags_vector::<Ttq>(v, &bytes),
            "9F6C" => flags_vector::<Ctq>(v, &bytes),
            "9F27" => flags_vector::<Cid>(v, &bytes),
            "8E" => CvmList::parse(&bytes).is_ok_and(|list| {
                let rules: Vec<CvmRule> = list.rules().collect();
                let want = v["rules"].as_array().unwrap();
                let mut out = vec![0u8; bytes.len()];
                list.amount_x() as u64 == v["amount_x"].as_u64().unwrap()
                    && list.amount_y() as u64 == v["amount_y"].as_u64().unwrap()
                    && rules.len() == want.len()
                    && rules.iter().zip(want).all(|(r, w)| rule_matches(*r, w))
                    && CvmList::encode(list.amount_x(), list.amount_y(), &rules, &mut out)
                        .is_ok_and(|n| out[..n] == bytes[..])
            }),
            "9F34" => CvmResults::from_bytes(&bytes).is_ok_and(|r| {
                rule_matches(r.rule(), &v["rule"])
                    && format!("{:02X}", r.outcome().code()) == v["outcome"].as_str().unwrap()
                    && r.to_bytes()[..] == bytes[..]
            }),
            "9F35" => TerminalType::from_bytes(&bytes).is_ok_and(|t| {
                t.control.as_str() == v["control"].as_str().unwrap()
                    && t.environment.as_str() == v["environment"].as_str().unwrap()
                    && [t.to_byte()][..] == bytes[..]
            }),
            "9F10" => iad_matches(v, &bytes),
            _ => false,
        }
    })
}

fn path_value(mpm: &Mpm<'_>, path: &str) -> Option<String> {
    let mut ids = path.split('/').map(|p| p.parse::<u8>().unwrap());
    let mut object = mpm.get(ids.next()?)?;
    for id in ids {
        object = object.get(id)?;
    }
    Some(object.value().to_owned())
}

fn rebuild(
    b: &mut MpmBuilder<'_>,
    objects: impl Iterator<Item = DataObject<'static>>,
) -> Result<(), cardwire::emv::Error> {
    for o in objects {
        match o.children() {
            _ if o.id() == 63 && o.scope() == cardwire::emv::qr::Scope::Top => {}
            Some(children) => {
                b.template(o.id(), |t| rebuild(t, children))?;
            }
            None => {
                b.value(o.id(), o.value())?;
            }
        }
    }
    Ok(())
}

fn mpm_vector(v: &Value, payload: &'static str) -> bool {
    let parsed = if v["ignore_crc"] == true {
        Mpm::parse_ignoring_crc(payload)
    } else {
        Mpm::parse(payload)
    };
    if v["expect"].is_object() {
        return failed_as(parsed, &v["expect"]);
    }
    let Ok(mpm) = parsed else { return false };
    let ids: Vec<Value> = mpm
        .objects()
        .map(|o| Value::from(format!("{:02}", o.id())))
        .collect();
    let merchant = mpm.merchant();
    let fields = [
        ("mcc", merchant.mcc),
        ("name", merchant.name),
        ("city", merchant.city),
        ("country", merchant.country),
        ("currency", merchant.currency),
        ("amount", merchant.amount),
        ("language", merchant.language),
        ("name_alternate", merchant.name_alternate),
        ("city_alternate", merchant.city_alternate),
    ];
    let merchant_ok = v["merchant"].as_object().is_none_or(|m| {
        m.iter().all(|(k, want)| {
            fields
                .iter()
                .any(|(name, got)| name == k && want.as_str() == *got)
        })
    });
    let nested_ok = v["nested"].as_object().is_none_or(|n| {
        n.iter()
            .all(|(path, want)| path_value(&mpm, path).as_deref() == want.as_str())
    });
    let crc_ok = v["crc"].as_str() == Some(format!("{:04X}", mpm.crc()).as_str())
        && v.get("crc_valid")
            .is_none_or(|c| c.as_bool() == Some(mpm.crc_valid()));
    let ids_ok = v.get("top_ids").is_none_or(|t| t.as_array() == Some(&ids));
    let sizes_ok = v
        .get("chars")
        .is_none_or(|c| c.as_u64() == Some(payload.chars().count() as u64))
        && v.get("bytes")
            .is_none_or(|b| b.as_u64() == Some(payload.len() as u64));
    let account_ok = v
        .get("unionpay_account")
        .is_none_or(|a| a.as_str() == mpm.unionpay_account());
    // Rebuilt from its objects, a valid payload comes out identical.
    let rebuilt_ok = !mpm.crc_valid() || {
        let mut buf = vec![0u8; payload.len() + 16];
        let mut b = MpmBuilder::new(&mut buf);
        rebuild(&mut b, mpm.objects()).is_ok() && b.finish().is_ok_and(|p| p == payload)
    };
    merchant_ok && nested_ok && crc_ok && ids_ok && sizes_ok && account_ok && rebuilt_ok
}

/// EMV QR: MPM parse (and rebuild), CPM, UnionPay URL, rejections with positions.
pub fn qr() -> Outcome {
    each("qr.json", |v| {
        // Leaked so that parsed views may be 'static for the rebuild helper.
        let payload: &'static str =
            Box::leak(v["payload"].as_str().unwrap().to_owned().into_boxed_str());
        match v["kind"].as_str().unwrap() {
            "mpm" => mpm_vector(v, payload),
            "cpm" => {
                let mut buf = vec![0u8; payload.len()];
                let decoded = Cpm::decode(payload, &mut buf);
                if v["expect"].is_object() {
                    return failed_as(decoded, &v["expect"]);
                }
                decoded.is_ok_and(|cpm| {
                    let tags: Vec<Value> = cpm
                        .reader()
                        .map(|t| Value::from(t.unwrap().tag().to_string()))
                        .collect();
                    let aids: Vec<Value> = cpm
                        .reader()
                        .find_all(tags::APPLICATION_DEDICATED_FILE_NAME)
                        .map(|t| Value::from(Hex(t.unwrap().value()).to_string()))
                        .collect();
                    Some(&tags) == v["top_tags"].as_array() && Some(&aids) == v["aids"].as_array()
                })
            }
            "unionpay-url" => UnionPayUrl::parse(payload).is_some_and(|u| {
                let segments: Vec<Value> = u.segments().map(Value::from).collect();
                Some(&segments) == v["segments"].as_array()
            }),
            _ => false,
        }
    })
}
