//! The cardwire-merchant vector sets: merchant numbers, MCCs, 跳码 checks, terminal history and
//! the sample statement's audit.

use serde_json::Value;

use super::{Outcome, load};

/// Merchant numbers, MCCs, 跳码 checks and terminal history from `merchant.json`, and the
/// sample statement's audit from `merchant_audit.json`.
pub fn merchant() -> Outcome {
    use cardwire::merchant::{
        AuditConfig, Expectation, Mcc, MerchantNo, Observation, Policy, TerminalHistory,
        TerminalId, audit, check,
    };
    let doc = load("merchant.json");
    let mut failures = Vec::new();
    let mut count = 0;
    let text = |v: &Value, k: &str| v[k].as_str().map(str::to_owned);
    for v in doc["merchant_numbers"].as_array().unwrap() {
        count += 1;
        let got = MerchantNo::parse(v["merchant_no"].as_str().unwrap().as_bytes());
        let ok = match (got, v.get("error")) {
            (Err(e), Some(err)) => err["offset"].as_u64() == Some(e.offset() as u64),
            (Ok(m), None) => {
                text(v, "mcc") == Some(m.mcc().to_string())
                    && text(v, "region") == Some(m.region().to_string())
                    && text(v, "sequence").as_deref() == Some(m.sequence())
                    && v["region_candidates"].as_array().map(Vec::len)
                        == Some(m.region().candidates().iter().count())
            }
            _ => false,
        };
        if !ok {
            failures.push(format!("merchant.json {}", v["id"]));
        }
    }
    for v in doc["mccs"].as_array().unwrap() {
        count += 1;
        let parsed = match v["bcd"].as_str() {
            Some(h) => Mcc::from_bcd(&cardwire::emv::hex::decode_to_vec(h).unwrap()),
            None => Mcc::parse(v["ascii"].as_str().unwrap().as_bytes()),
        };
        let ok = match (parsed, v.get("error")) {
            (Err(_), Some(_)) => true,
            (Ok(m), None) => {
                text(v, "group").as_deref() == Some(m.group().id())
                    && text(v, "cn_fee_tier").as_deref() == Some(m.cn_fee_tier().id())
                    && v["reserved"].as_bool() == Some(m.is_reserved())
                    && v["private"].as_bool() == Some(m.is_private())
            }
            _ => false,
        };
        if !ok {
            failures.push(format!("merchant.json {}", v["id"]));
        }
    }
    for v in doc["checks"].as_array().unwrap() {
        count += 1;
        let o = &v["observation"];
        let b = |k: &str| o[k].as_str().map(str::as_bytes);
        let m = |k: &str| o[k].as_str().map(|s| s.parse::<Mcc>().unwrap());
        let t = |k: &str| {
            o[k].as_str()
                .map(|s| TerminalId::parse(s.as_bytes()).unwrap())
        };
        let obs = Observation {
            field18: m("field18"),
            field41: t("field41"),
            field42: b("field42"),
            tag_9f15: m("tag_9f15"),
            tag_9f16: b("tag_9f16"),
            tag_9f1c: t("tag_9f1c"),
            slip_merchant_no: b("slip_merchant_no"),
            network_merchant_no: b("network_merchant_no"),
        };
        let e = &v["expectation"];
        let exp = Expectation {
            mcc: e["mcc"].as_str().map(|s| s.parse().unwrap()),
            group: e["group"].as_str().map(|s| s.parse().unwrap()),
            region: e["region"].as_str().map(|s| s.parse().unwrap()),
        };
        let got: Vec<String> = check(&obs, &exp, &Policy::DEFAULT)
            .iter()
            .map(|f| format!("{}/{}", f.rule(), f.severity()))
            .collect();
        let want: Vec<String> = v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                format!(
                    "{}/{}",
                    f["rule"].as_str().unwrap(),
                    f["severity"].as_str().unwrap()
                )
            })
            .collect();
        if got != want {
            failures.push(format!("merchant.json {}", v["id"]));
        }
    }
    for v in doc["history"].as_array().unwrap() {
        count += 1;
        let mut history = TerminalHistory::<16>::new(3);
        let ok = v["steps"].as_array().unwrap().iter().all(|s| {
            let t = TerminalId::parse(s["terminal"].as_str().unwrap().as_bytes()).unwrap();
            let m = MerchantNo::parse(s["merchant_no"].as_str().unwrap().as_bytes()).unwrap();
            let got: Vec<&str> = history.record(t, m).iter().map(|f| f.rule().id()).collect();
            let want: Vec<&str> = s["rules"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r.as_str().unwrap())
                .collect();
            got == want
        });
        if !ok {
            failures.push(format!("merchant.json {}", v["id"]));
        }
    }
    let doc = load("merchant_audit.json");
    count += 1;
    let path = format!(
        "{}/spec-vectors/{}",
        env!("CARGO_MANIFEST_DIR"),
        doc["statement"].as_str().unwrap()
    );
    let report = audit(std::fs::File::open(path).unwrap(), &AuditConfig::default()).unwrap();
    let want = &doc["expected"];
    let details = |list: &[cardwire::merchant::Finding]| -> Vec<String> {
        list.iter().map(|f| f.to_string()).collect()
    };
    let want_details = |v: &Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|f| f["detail"].as_str().unwrap().to_owned())
            .collect()
    };
    let ok = want["rows"].as_u64() == Some(report.rows)
        && details(&report.findings) == want_details(&want["findings"])
        && report.terminals.len() == want["terminals"].as_array().unwrap().len()
        && report
            .terminals
            .iter()
            .zip(want["terminals"].as_array().unwrap())
            .all(|(t, w)| details(&t.findings) == want_details(&w["findings"]))
        && report
            .errors
            .iter()
            .map(|e| (e.line(), e.to_string()))
            .collect::<Vec<_>>()
            == want["errors"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| (e["line"].as_u64(), e["error"].as_str().unwrap().to_owned()))
                .collect::<Vec<_>>();
    if !ok {
        failures.push("merchant_audit.json".to_owned());
    }
    (count, failures)
}
