//! The hand-checked scenarios of `spec-vectors/reconcile/`: one per rule, each with its
//! expected findings (every evidence field) and totals.

use std::fs::File;

use cardwire_merchant::reconcile::{ReconcileConfig, reconcile};
use cardwire_merchant::{FeeRate, RateTable, Rule};
use serde_json::Value;

use crate::{fields_json, finding_json, spec};

const RECONCILE_RULES: [Rule; 10] = [
    Rule::AmountMismatch,
    Rule::FeeMismatch,
    Rule::FeeRateMismatch,
    Rule::FeeRateChanged,
    Rule::MissingOnStatement,
    Rule::MissingOnJournal,
    Rule::MerchantNoMismatch,
    Rule::TypeMismatch,
    Rule::SettlementShort,
    Rule::DuplicateBooking,
];

fn scenarios() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(spec("reconcile"))
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().unwrap().is_dir())
        .map(|e| e.file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

/// The scenario's configuration: `rate` is a percentage, a rate table file of the
/// scenario, or null.
pub fn config(dir: &str, doc: &Value) -> ReconcileConfig {
    let rates = match doc["config"]["rate"].as_str() {
        None => None,
        Some(file) if file.ends_with(".csv") => {
            let path = spec(&format!("reconcile/{dir}/{file}"));
            Some(RateTable::from_csv(File::open(path).unwrap()).unwrap())
        }
        Some(percent) => Some(RateTable::flat(
            FeeRate::parse_percent(percent.as_bytes()).unwrap(),
        )),
    };
    ReconcileConfig {
        rates,
        ..ReconcileConfig::default()
    }
}

#[test]
fn every_scenario_gives_its_expected_findings_and_totals() {
    let names = scenarios();
    assert!(names.len() >= 12, "{names:?}");
    for name in &names {
        let path = |file: &str| spec(&format!("reconcile/{name}/{file}"));
        let doc: Value =
            serde_json::from_str(&std::fs::read_to_string(path("expected.json")).unwrap()).unwrap();
        assert_eq!(doc["source"], "hand-checked, cardwire", "{name}");
        let files = &doc["files"];
        let journal = File::open(path(files["journal"].as_str().unwrap())).unwrap();
        let statement = File::open(path(files["statement"].as_str().unwrap())).unwrap();
        let mut settlement = files["settlement"]
            .as_str()
            .map(|f| File::open(path(f)).unwrap());
        let r = reconcile(
            journal,
            statement,
            settlement.as_mut().map(|f| f as &mut dyn std::io::Read),
            &config(name, &doc),
        )
        .unwrap_or_else(|e| panic!("{name}: {e:?}"));
        let got: Vec<Value> = r.findings.iter().map(finding_json).collect();
        assert_eq!(
            Value::Array(got),
            doc["findings"],
            "{name}: findings differ"
        );
        let summary = fields_json(|v| r.summary.fields(v));
        for (key, want) in doc["summary"].as_object().unwrap() {
            assert_eq!(&summary[key], want, "{name}: summary {key}");
        }
        for f in &r.findings {
            let text = f.to_string();
            assert!(!text.contains("6217000000009012"), "{name}: {text}");
        }
        if let Some(rule) = doc["rule"].as_str() {
            assert!(
                r.findings.iter().any(|f| f.rule().id() == rule),
                "{name}: no {rule}"
            );
        } else {
            assert!(r.findings.is_empty(), "{name}");
        }
    }
    for rule in RECONCILE_RULES {
        assert!(
            names.iter().any(|n| n == rule.id()),
            "no scenario for {rule}"
        );
    }
}
