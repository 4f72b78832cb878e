//! The published and edge-case vectors of `spec-vectors/merchant*.json`.

use cardwire_merchant::{
    Expectation, Mcc, MerchantNo, Observation, Policy, Region, TerminalHistory, TerminalId, check,
};
use serde_json::Value;

fn load(name: &str) -> Value {
    let path = crate::spec(name);
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

fn kind_name(e: &cardwire_merchant::Error) -> String {
    let debug = format!("{:?}", e.kind());
    debug.split([' ', '{', '(']).next().unwrap().to_owned()
}

#[test]
fn merchant_numbers_decode() {
    let doc = load("merchant.json");
    for v in doc["merchant_numbers"].as_array().unwrap() {
        let id = v["id"].as_str().unwrap();
        let parsed = MerchantNo::parse(v["merchant_no"].as_str().unwrap().as_bytes());
        if let Some(err) = v.get("error") {
            let e = parsed.expect_err(id);
            assert_eq!(kind_name(&e), err["kind"], "{id}");
            assert_eq!(e.offset() as u64, err["offset"].as_u64().unwrap(), "{id}");
            continue;
        }
        let m = parsed.unwrap();
        assert_eq!(format!("{:03}", m.acquirer_code()), v["acquirer"], "{id}");
        let acquirer = m.acquirer().unwrap();
        assert_eq!(acquirer.kind().id(), v["acquirer_kind"], "{id}");
        assert_eq!(
            acquirer.unionpay_institution_code().map(|c| c.to_string()),
            v["unionpay_institution"].as_str().map(str::to_owned),
            "{id}"
        );
        assert_eq!(m.region().to_string(), v["region"], "{id}");
        assert_eq!(m.mcc().to_string(), v["mcc"], "{id}");
        assert_eq!(m.sequence(), v["sequence"], "{id}");
        let got: Vec<(String, u64)> = m
            .region()
            .candidates()
            .iter()
            .map(|c| (c.scheme().id().to_owned(), u64::from(c.province().code())))
            .collect();
        let want: Vec<(String, u64)> = v["region_candidates"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c["scheme"].as_str().unwrap().to_owned(),
                    c["province"].as_u64().unwrap(),
                )
            })
            .collect();
        assert_eq!(got, want, "{id}");
        assert_eq!(m.region().candidates().is_ambiguous(), want.len() == 2);
    }
}

#[test]
fn mccs_classify() {
    let doc = load("merchant.json");
    for v in doc["mccs"].as_array().unwrap() {
        let id = v["id"].as_str().unwrap();
        let parsed = match (v["bcd"].as_str(), v["ascii"].as_str()) {
            (Some(bcd), _) => {
                let bytes: Vec<u8> = (0..2)
                    .map(|i| u8::from_str_radix(&bcd[i * 2..i * 2 + 2], 16).unwrap())
                    .collect();
                Mcc::from_bcd(&bytes)
            }
            (None, Some(ascii)) => Mcc::parse(ascii.as_bytes()),
            _ => panic!("{id}: no input"),
        };
        if let Some(err) = v.get("error") {
            let e = parsed.expect_err(id);
            assert_eq!(kind_name(&e), err["kind"], "{id}");
            assert_eq!(e.offset() as u64, err["offset"].as_u64().unwrap(), "{id}");
            continue;
        }
        let mcc = parsed.unwrap();
        assert_eq!(mcc.to_string(), v["ascii"], "{id}");
        let r = mcc.iso_range();
        assert_eq!(format!("{}-{}", r.start(), r.end()), v["iso_range"], "{id}");
        if let Some(p) = v["private_range"].as_str() {
            let p2 = mcc.private_range().unwrap();
            assert_eq!(format!("{}-{}", p2.start(), p2.end()), p, "{id}");
        }
        assert_eq!(mcc.is_reserved(), v["reserved"], "{id}");
        assert_eq!(mcc.is_private(), v["private"], "{id}");
        let known: Vec<&str> = mcc.lists().iter().map(|l| l.id()).collect();
        assert_eq!(serde_json::json!(known), v["known"], "{id}");
        assert_eq!(mcc.group().id(), v["group"], "{id}");
        assert_eq!(mcc.cn_fee_tier().id(), v["cn_fee_tier"], "{id}");
        if let Some(d) = v["description"].as_str() {
            assert_eq!(mcc.description(), Some(d), "{id}");
        }
        if let Some(np) = v["no_points_example"].as_bool() {
            assert_eq!(Policy::DEFAULT.earns_no_points(mcc), np, "{id}");
        }
        if let Some(d) = v["cn_2013_dining_entertainment"].as_bool() {
            assert_eq!(mcc.in_cn_2013_dining_entertainment(), d, "{id}");
        }
    }
}

fn bytes<'a>(o: &'a Value, key: &str) -> Option<&'a [u8]> {
    o[key].as_str().map(str::as_bytes)
}

fn mcc(o: &Value, key: &str) -> Option<Mcc> {
    o[key].as_str().map(|s| s.parse().unwrap())
}

fn tid(o: &Value, key: &str) -> Option<TerminalId> {
    o[key]
        .as_str()
        .map(|s| TerminalId::parse(s.as_bytes()).unwrap())
}

#[test]
fn checks_find_what_the_vectors_say() {
    let doc = load("merchant.json");
    for v in doc["checks"].as_array().unwrap() {
        let id = v["id"].as_str().unwrap();
        let o = &v["observation"];
        let obs = Observation {
            field18: mcc(o, "field18"),
            field41: tid(o, "field41"),
            field42: bytes(o, "field42"),
            tag_9f15: mcc(o, "tag_9f15"),
            tag_9f16: bytes(o, "tag_9f16"),
            tag_9f1c: tid(o, "tag_9f1c"),
            slip_merchant_no: bytes(o, "slip_merchant_no"),
            network_merchant_no: bytes(o, "network_merchant_no"),
        };
        let e = &v["expectation"];
        let exp = Expectation {
            mcc: mcc(e, "mcc"),
            group: e["group"].as_str().map(|g| g.parse().unwrap()),
            region: e["region"].as_str().map(|r| r.parse::<Region>().unwrap()),
        };
        let got: Vec<(&str, &str)> = check(&obs, &exp, &Policy::DEFAULT)
            .iter()
            .map(|f| (f.rule().id(), f.severity().id()))
            .collect();
        let want: Vec<(&str, &str)> = v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| (f["rule"].as_str().unwrap(), f["severity"].as_str().unwrap()))
            .collect();
        assert_eq!(got, want, "{id}");
    }
}

#[test]
fn history_steps() {
    let doc = load("merchant.json");
    for v in doc["history"].as_array().unwrap() {
        let id = v["id"].as_str().unwrap();
        let mut history = TerminalHistory::<4>::new(3);
        for (i, step) in v["steps"].as_array().unwrap().iter().enumerate() {
            let t = TerminalId::parse(step["terminal"].as_str().unwrap().as_bytes()).unwrap();
            let m = MerchantNo::parse(step["merchant_no"].as_str().unwrap().as_bytes()).unwrap();
            let got: Vec<&str> = history.record(t, m).iter().map(|f| f.rule().id()).collect();
            let want: Vec<&str> = step["rules"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r.as_str().unwrap())
                .collect();
            assert_eq!(got, want, "{id} step {i}");
        }
    }
}

#[test]
fn sample_statement_audits_as_expected() {
    let doc = load("merchant_audit.json");
    let path = crate::spec(doc["statement"].as_str().unwrap());
    let report = cardwire_merchant::audit(
        std::fs::File::open(path).unwrap(),
        &cardwire_merchant::AuditConfig::default(),
    )
    .unwrap();
    let want = &doc["expected"];
    assert_eq!(report.rows, want["rows"].as_u64().unwrap());
    let terminals = want["terminals"].as_array().unwrap();
    assert_eq!(report.terminals.len(), terminals.len());
    for (t, w) in report.terminals.iter().zip(terminals) {
        assert_eq!(t.terminal_id.as_str(), w["terminal_id"]);
        assert_eq!(serde_json::json!(t.merchant_nos), w["merchant_nos"]);
        let got: Vec<(String, String, String)> = t
            .findings
            .iter()
            .map(|f| {
                (
                    f.rule().id().into(),
                    f.severity().id().into(),
                    f.to_string(),
                )
            })
            .collect();
        let want: Vec<(String, String, String)> = w["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["rule"].as_str().unwrap().into(),
                    f["severity"].as_str().unwrap().into(),
                    f["detail"].as_str().unwrap().into(),
                )
            })
            .collect();
        assert_eq!(got, want, "terminal {}", t.terminal_id);
    }
    let got: Vec<String> = report
        .findings
        .iter()
        .map(|f| format!("{} {}", f.rule(), f))
        .collect();
    let want_f: Vec<String> = want["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{} {}",
                f["rule"].as_str().unwrap(),
                f["detail"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(got, want_f);
    let got: Vec<(u64, String)> = report
        .errors
        .iter()
        .map(|e| (e.line().unwrap(), e.to_string()))
        .collect();
    let want_e: Vec<(u64, String)> = want["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["line"].as_u64().unwrap(),
                e["error"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(got, want_e);
}
