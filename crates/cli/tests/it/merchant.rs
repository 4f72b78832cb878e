//! `cardwire mcc` and `cardwire merchant …`: JSON keys in the order, exit codes, and the
//! sample statement's audit as published in spec-vectors.

use crate::common;

use crate::common::cardwire;

use serde_json::Value;

fn json_ok(args: &[&str]) -> Value {
    let out = cardwire(args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn keys(v: &Value) -> Vec<&str> {
    v.as_object().unwrap().keys().map(String::as_str).collect()
}

fn spec(name: &str) -> String {
    format!("{}/../../spec-vectors/{name}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn mcc_prints_the_classification() {
    let v = json_ok(&["mcc", "5411"]);
    assert_eq!(
        keys(&v),
        [
            "mcc",
            "description",
            "iso_range",
            "reserved",
            "private",
            "known",
            "group",
            "cn_fee_tier"
        ]
    );
    assert_eq!(v["mcc"], "5411");
    assert_eq!(v["description"], "Groceries and supermarkets");
    assert_eq!(v["iso_range"], "5000-5599 Retail outlets");
    assert_eq!(v["known"], serde_json::json!(["iso18245", "networks"]));
    assert_eq!(v["group"], "supermarket");
    assert_eq!(v["cn_fee_tier"], "preferential");
    let v = json_ok(&["mcc", "742"]);
    assert_eq!(v["mcc"], "0742");
    let v = json_ok(&["mcc", "3000"]);
    assert_eq!(v["private"], true);
    assert_eq!(
        v["iso_range"],
        "3000-3999 Reserved for private use / 3000-3350 Airlines"
    );
    let v = json_ok(&["mcc", "0500"]);
    assert_eq!(v["reserved"], true);
    assert_eq!(v["description"], Value::Null);
}

#[test]
fn mcc_rejects_bad_codes_with_exit_2() {
    for bad in ["10000", "54a1", "", "99999"] {
        let out = cardwire(&["mcc", bad]);
        assert_eq!(out.status.code(), Some(2), "{bad}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(
            err.starts_with("error: ") && err.trim_end().lines().count() == 1,
            "{err}"
        );
    }
}

#[test]
fn merchant_check_decodes_and_finds() {
    let v = json_ok(&[
        "merchant",
        "check",
        "105584070110001",
        "--network-merchant-no",
        "105584054110001",
        "--expect-group",
        "hotel",
    ]);
    assert_eq!(
        keys(&v),
        [
            "merchant_no",
            "acquirer",
            "acquirer_name",
            "region",
            "region_candidates",
            "mcc",
            "mcc_description",
            "sequence",
            "findings"
        ]
    );
    assert_eq!(v["acquirer"], "105");
    assert_eq!(v["acquirer_name"], "中国建设银行");
    assert_eq!(v["region"], "5840");
    assert_eq!(v["region_candidates"][0]["city"], "深圳市");
    assert_eq!(v["mcc"], "7011");
    assert_eq!(v["sequence"], "0001");
    let rules: Vec<(&str, &str)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            assert_eq!(keys(f), ["rule", "severity", "detail"]);
            (f["rule"].as_str().unwrap(), f["severity"].as_str().unwrap())
        })
        .collect();
    assert_eq!(
        rules,
        [
            ("slip-network-mismatch", "definitive"),
            ("mcc-not-expected", "suspicious"),
            ("cheaper-tier", "suspicious"),
            ("no-points-category", "info")
        ]
    );
}

#[test]
fn merchant_check_compares_fields_and_regions() {
    let v = json_ok(&[
        "merchant",
        "check",
        "898210154110002",
        "--field18",
        "5411",
        "--tag-9f15",
        "5812",
        "--tag-9f16",
        "898210154110003",
        "--terminal",
        "21010001",
        "--tag-9f1c",
        "21010002",
        "--expect-region",
        "5840",
        "--expect-mcc",
        "5411",
    ]);
    let cands = v["region_candidates"].as_array().unwrap();
    assert_eq!(cands.len(), 2, "2101 reads under both schemes");
    assert_eq!(cands[1]["city"], "沈阳市");
    let rules: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert_eq!(
        rules,
        [
            "inconsistent-fields", // 42 vs 9F16
            "inconsistent-fields", // 41 vs 9F1C
            "inconsistent-fields", // 18 vs 9F15
            "inconsistent-fields", // 42 vs 9F15
            "no-points-category",
            "region-mismatch",
        ]
    );
}

#[test]
fn merchant_check_reports_a_malformed_network_number_but_rejects_a_malformed_argument() {
    let v = json_ok(&[
        "merchant",
        "check",
        "105290058130392",
        "--network-merchant-no",
        "10529005813039",
    ]);
    assert_eq!(v["findings"][0]["rule"], "malformed-merchant-no");
    for args in [
        &["merchant", "check", "10529005813039"][..],
        &[
            "merchant",
            "check",
            "105290058130392",
            "--expect-group",
            "casino",
        ],
        &["merchant", "check", "105290058130392", "--field18", "58"],
        &["merchant", "check", "105290058130392", "--terminal", "123"],
    ] {
        let out = cardwire(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            String::from_utf8(out.stderr)
                .unwrap()
                .starts_with("error: ")
        );
    }
}

#[test]
fn merchant_audit_prints_the_published_report() {
    let v = json_ok(&["merchant", "audit", &spec("merchant_statement.csv")]);
    assert_eq!(keys(&v), ["rows", "terminals", "findings", "errors"]);
    assert_eq!(
        keys(&v["terminals"][0]),
        ["terminal_id", "merchant_nos", "findings"]
    );
    assert_eq!(keys(&v["errors"][0]), ["line", "error"]);
    let doc: Value =
        serde_json::from_str(&std::fs::read_to_string(spec("merchant_audit.json")).unwrap())
            .unwrap();
    assert_eq!(v, doc["expected"]);
    // Card numbers are never echoed.
    assert!(!v.to_string().contains("622848"));
}

#[test]
fn merchant_audit_applies_the_expected_group() {
    let v = json_ok(&[
        "merchant",
        "audit",
        &spec("merchant_statement.csv"),
        "--expect-group",
        "hotel",
    ]);
    let rules: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert!(rules.contains(&"mcc-not-expected") && rules.contains(&"cheaper-tier"));
}

#[test]
fn merchant_audit_rejects_unusable_statements() {
    let out = cardwire(&["merchant", "audit", "/nonexistent/statement.csv"]);
    assert_eq!(out.status.code(), Some(2));
    let dir = std::env::temp_dir().join(format!("cardwire-audit-{}", std::process::id()));
    std::fs::write(&dir, "time,terminal,amount\n1,2,3\n").unwrap();
    let out = cardwire(&["merchant", "audit", dir.to_str().unwrap()]);
    std::fs::remove_file(&dir).unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("terminal_id"), "{err}");
}

/// `cardwire merchant reconcile` on a scenario of `spec-vectors/reconcile/`, with extra
/// arguments: exit status and JSON.
fn reconcile(name: &str, extra: &[&str]) -> (i32, Value) {
    let dir = spec(&format!("reconcile/{name}"));
    let doc: Value =
        serde_json::from_str(&std::fs::read_to_string(format!("{dir}/expected.json")).unwrap())
            .unwrap();
    let file = |key: &str| doc["files"][key].as_str().map(|f| format!("{dir}/{f}"));
    let (journal, statement) = (file("journal").unwrap(), file("statement").unwrap());
    let mut args = vec![
        "merchant".to_owned(),
        "reconcile".into(),
        "--journal".into(),
        journal,
        "--statement".into(),
        statement,
    ];
    if let Some(s) = file("settlement") {
        args.extend(["--settlement".into(), s]);
    }
    match doc["config"]["rate"].as_str() {
        Some(f) if f.ends_with(".csv") => args.extend(["--rate".into(), format!("{dir}/{f}")]),
        Some(p) => args.extend(["--rate".into(), p.to_owned()]),
        None => {}
    }
    args.extend(extra.iter().map(|s| (*s).to_owned()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = cardwire(&args);
    let code = out.status.code().unwrap();
    assert!(
        code == 0 || code == 1,
        "{name}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (code, serde_json::from_slice(&out.stdout).unwrap())
}

#[test]
fn merchant_reconcile_prints_every_scenarios_findings() {
    let dir = spec("reconcile");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let entry = entry.unwrap();
        if !entry.file_type().unwrap().is_dir() {
            continue;
        }
        let name = entry.file_name().into_string().unwrap();
        let doc: Value = serde_json::from_str(
            &std::fs::read_to_string(entry.path().join("expected.json")).unwrap(),
        )
        .unwrap();
        let (code, v) = reconcile(&name, &[]);
        assert_eq!(code, 0, "{name}");
        assert_eq!(keys(&v), ["summary", "findings"]);
        let mut got = v["findings"].as_array().unwrap().clone();
        for f in &mut got {
            assert!(f["detail"].as_str().is_some_and(|d| !d.is_empty()));
            f.as_object_mut().unwrap().remove("detail");
        }
        assert_eq!(Value::Array(got), doc["findings"], "{name}");
        for (key, want) in doc["summary"].as_object().unwrap() {
            assert_eq!(&v["summary"][key], want, "{name}: {key}");
        }
        assert!(!v.to_string().contains("6217000000009012"), "{name}");
        n += 1;
    }
    assert!(n >= 12);
}

#[test]
fn merchant_reconcile_summary_keys_and_rate() {
    let (_, v) = reconcile("clean", &[]);
    assert_eq!(
        keys(&v["summary"]),
        [
            "journal_rows",
            "statement_rows",
            "settlement_rows",
            "matched",
            "missing_on_statement",
            "missing_on_journal",
            "journal_gross",
            "journal_fee",
            "statement_gross",
            "statement_fee",
            "statement_net",
            "credited_gross",
            "credited_fee",
            "credited_net",
            "fee_unchecked",
            "peak_open",
            "definitive",
            "suspicious",
            "info",
            "rate"
        ]
    );
    assert_eq!(v["summary"]["rate"], "0.60%");
    assert_eq!(v["summary"]["statement_net"], "383.56");
    let (_, v) = reconcile("fee-rate-mismatch", &[]);
    assert_eq!(
        v["summary"]["rate"],
        "debit 0.50% capped at 20.00, credit 0.60%"
    );
    let (_, v) = reconcile("missing-on-journal", &[]);
    assert_eq!(v["summary"]["rate"], Value::Null);
}

#[test]
fn merchant_reconcile_fail_on_sets_exit_1_at_or_above_the_severity() {
    assert_eq!(
        reconcile("amount-mismatch", &["--fail-on", "definitive"]).0,
        1
    );
    assert_eq!(reconcile("amount-mismatch", &["--fail-on", "info"]).0, 1);
    assert_eq!(
        reconcile("missing-on-journal", &["--fail-on", "suspicious"]).0,
        1
    );
    assert_eq!(
        reconcile("missing-on-journal", &["--fail-on", "definitive"]).0,
        0
    );
    assert_eq!(reconcile("clean", &["--fail-on", "info"]).0, 0);
    // The report is printed either way.
    let (_, v) = reconcile("amount-mismatch", &["--fail-on", "definitive"]);
    assert_eq!(v["findings"][0]["rule"], "amount-mismatch");
    // Without a window, and with refunds returning their fee (the clean day's refund kept
    // it: now a fee-rate-mismatch).
    let (code, v) = reconcile("clean", &["--window", "none", "--refund-fee", "returned"]);
    assert_eq!(code, 0);
    assert_eq!(v["findings"][0]["rule"], "fee-rate-mismatch");
    assert_eq!(v["findings"][0]["evidence"]["expected_fee"], "-0.12");
}

#[test]
fn merchant_reconcile_bad_input_names_file_line_and_column() {
    let dir = std::env::temp_dir().join(format!("cardwire-reconcile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let write = |name: &str, text: &str| {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p.to_str().unwrap().to_owned()
    };
    let journal = write(
        "j.csv",
        "time,terminal_id,merchant_no,batch,stan,rrn,type,amount,fee\n\
         2026-11-02 09:00:00,10000001,105584058120001,1,1,1,purchase,1.00,\n\
         2026-11-02 09:01:00,10000001,105584058120001,1,2,2,purchase,1.0x,\n",
    );
    let clean = spec("reconcile/clean/statement.csv");
    let base = [
        "merchant",
        "reconcile",
        "--journal",
        &journal,
        "--statement",
        &clean,
    ];
    common::bad(
        &base,
        &format!("{journal} line 3, column amount: not a yuan amount"),
    );
    let pan = write(
        "s.csv",
        "time,terminal_id,merchant_no,amount,fee,type,rrn\n\
         2026-11-02 09:00:00,10000001,105584058120001,1.00,0.01,purchase,6228480000001234\n",
    );
    let err = common::rejected(&[
        "merchant",
        "reconcile",
        "--journal",
        &journal,
        "--statement",
        &pan,
    ]);
    assert!(err.contains("line 2, column rrn"), "{err}");
    assert!(!err.contains("6228480000001234"), "{err}");
    let rates = write("r.csv", "card_type,rate\ndebit,0.5\ndebit,0.6\n");
    let ok_journal = spec("reconcile/clean/journal.csv");
    let ok = [
        "merchant",
        "reconcile",
        "--journal",
        &ok_journal,
        "--statement",
        &clean,
    ];
    common::bad(
        &[&ok[..], &["--rate", &rates]].concat(),
        &format!("{rates} line 3, column card_type: given twice"),
    );
    common::bad(&[&ok[..], &["--rate", "101"]].concat(), "--rate");
    common::bad(&[&ok[..], &["--fail-on", "fatal"]].concat(), "--fail-on");
    common::bad(&[&ok[..], &["--window", "1h"]].concat(), "--window");
    common::bad(
        &[&ok[..], &["--refund-fee", "split"]].concat(),
        "--refund-fee",
    );
    common::bad(
        &[&ok[..], &["--settlement", "/nonexistent/c.csv"]].concat(),
        "/nonexistent/c.csv",
    );
    common::bad(
        &["merchant", "reconcile", "--journal", &ok_journal],
        "required",
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn merchant_check_and_audit_fail_on_sets_exit_1_at_or_above_the_severity() {
    let check = |extra: &[&str]| {
        let args = [&["merchant", "check", "105584070110001"][..], extra].concat();
        let out = cardwire(&args);
        assert!(
            serde_json::from_slice::<Value>(&out.stdout).is_ok(),
            "{args:?}"
        );
        out.status.code().unwrap()
    };
    let mismatch = ["--network-merchant-no", "105584054110001"];
    assert_eq!(check(&mismatch), 0, "findings alone do not fail");
    assert_eq!(
        check(&[&mismatch[..], &["--fail-on", "definitive"]].concat()),
        1
    );
    assert_eq!(check(&["--fail-on", "info"]), 0, "no findings");
    assert_eq!(
        check(&["--expect-group", "hotel", "--fail-on", "suspicious"]),
        0
    );

    let statement = spec("merchant_statement.csv");
    let audit = |level: &str| {
        cardwire(&["merchant", "audit", &statement, "--fail-on", level])
            .status
            .code()
            .unwrap()
    };
    assert_eq!(audit("definitive"), 1);
    assert_eq!(audit("info"), 1);
    let out = cardwire(&["merchant", "audit", &statement]);
    assert_eq!(out.status.code(), Some(0));
    common::bad(
        &["merchant", "audit", &statement, "--fail-on", "fatal"],
        "--fail-on",
    );
    common::bad(
        &["merchant", "check", "105584070110001", "--fail-on", "x"],
        "--fail-on",
    );
}
