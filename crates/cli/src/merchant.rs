//! `cardwire mcc …` and `cardwire merchant …`: MCCs, UnionPay merchant numbers, 跳码 checks,
//! the statement audit and the reconciliation. Exit 0 whenever the input parsed, findings or
//! not — unless `--fail-on` is given and a finding reaches it (exit 1).

use cardwire_merchant::reconcile::{ReconcileConfig, Reconciler, RefundFee};
use cardwire_merchant::{
    AuditConfig, AuditReport, Error, Expectation, FeeRate, FieldValue, Finding, Input, Mcc,
    MccGroup, MerchantNo, Observation, Policy, RateTable, Region, RegionCandidate, Severity,
    TerminalId, audit, check,
};
use clap::{Args, Subcommand};
use serde_json::{Value, json};

use crate::{Outcome, input};

/// `cardwire mcc CODE`.
#[derive(Debug, Args)]
pub struct MccArgs {
    /// The MCC: four digits (`0742`) or a number (`742`); `-` or left out: standard input.
    #[arg(default_value = "-")]
    pub code: String,
}

#[derive(Debug, Subcommand)]
pub enum MerchantCommand {
    /// Decode a 15-character merchant number and run the 跳码 rules on it.
    Check {
        /// The merchant number (field 42 / the slip), 15 characters; `-` or left out:
        /// standard input.
        #[arg(default_value = "-")]
        merchant_no: String,
        /// The MCC the business should have.
        #[arg(long, value_name = "N")]
        expect_mcc: Option<String>,
        /// The business group: dining, hotel, supermarket, fuel, wholesale, auto-real-estate,
        /// health-education-government, jewellery, entertainment, other.
        #[arg(long, value_name = "G")]
        expect_group: Option<String>,
        /// The 4-digit region code where the merchant is (either scheme).
        #[arg(long, value_name = "CODE")]
        expect_region: Option<String>,
        /// The merchant number the network reports (云闪付, 95516, the bank app).
        #[arg(long, value_name = "NO")]
        network_merchant_no: Option<String>,
        /// Field 18 (merchant type), 4 digits.
        #[arg(long, value_name = "N")]
        field18: Option<String>,
        /// EMV tag 9F15 (merchant category code), 4 digits.
        #[arg(long = "tag-9f15", value_name = "N")]
        tag_9f15: Option<String>,
        /// EMV tag 9F16 (merchant identifier).
        #[arg(long = "tag-9f16", value_name = "NO")]
        tag_9f16: Option<String>,
        /// Field 41, the terminal id (8 characters).
        #[arg(long, value_name = "TID")]
        terminal: Option<String>,
        /// EMV tag 9F1C (terminal identification), compared with --terminal.
        #[arg(long = "tag-9f1c", value_name = "TID")]
        tag_9f1c: Option<String>,
        /// Exit 1 when a finding is at or above this severity: info, suspicious, definitive.
        #[arg(long, value_name = "SEVERITY")]
        fail_on: Option<String>,
    },
    /// Audit a statement (对账单) CSV: columns time, terminal_id, merchant_no, amount (and mcc).
    Audit {
        /// The CSV file (`-` or left out: standard input).
        #[arg(default_value = "-")]
        file: String,
        /// The business group every merchant number should belong to.
        #[arg(long, value_name = "G")]
        expect_group: Option<String>,
        /// Exit 1 when a finding is at or above this severity: info, suspicious, definitive.
        #[arg(long, value_name = "SEVERITY")]
        fail_on: Option<String>,
    },
    /// Reconcile (对账) the terminal's journal with the acquirer's statement and, if given,
    /// the settlement credits. Each CSV in time order; prints {"summary", "findings"}.
    Reconcile {
        /// The journal CSV: time, terminal_id, merchant_no, batch, stan, rrn, type, amount, fee.
        #[arg(long, value_name = "FILE")]
        journal: String,
        /// The statement CSV: time, terminal_id, merchant_no, merchant_name, mcc, amount, fee,
        /// card, type, rrn.
        #[arg(long, value_name = "FILE")]
        statement: String,
        /// The settlement credits CSV: date, merchant_no, gross, fee, net.
        #[arg(long, value_name = "FILE")]
        settlement: Option<String>,
        /// The contracted rate: a percentage (`0.60`) or a rate table CSV
        /// (card_type,rate[,cap]).
        #[arg(long, value_name = "PERCENT|FILE")]
        rate: Option<String>,
        /// Exit 1 when a finding is at or above this severity: info, suspicious, definitive.
        #[arg(long, value_name = "SEVERITY")]
        fail_on: Option<String>,
        /// The most seconds between the two rows of one transaction (and the most a row may
        /// be out of time order); `none` holds every transaction to the end.
        #[arg(long, value_name = "SECONDS|none", default_value = "3600")]
        window: String,
        /// Whether a refund returns the fee of its amount: kept (default) or returned.
        #[arg(long, value_name = "POLICY", default_value = "kept")]
        refund_fee: String,
    },
}

pub fn run_mcc(args: MccArgs) -> Result<String, String> {
    let mcc = parse_mcc_number(&input::word(&args.code)?, "MCC")?;
    let out = json!({
        "mcc": mcc.to_string(),
        "description": mcc.description(),
        "iso_range": iso_range(mcc),
        "reserved": mcc.is_reserved(),
        "private": mcc.is_private(),
        "known": mcc.lists().iter().map(|l| l.id()).collect::<Vec<_>>(),
        "group": mcc.group().id(),
        "cn_fee_tier": mcc.cn_fee_tier().id(),
    });
    pretty(&out)
}

pub fn run(cmd: MerchantCommand) -> Result<Outcome, String> {
    match cmd {
        MerchantCommand::Reconcile {
            journal,
            statement,
            settlement,
            rate,
            fail_on,
            window,
            refund_fee,
        } => {
            let fail_on = parse_fail_on(fail_on)?;
            let config = ReconcileConfig {
                rates: rate.as_deref().map(parse_rate).transpose()?,
                window: parse_window(&window)?,
                refund_fee: match refund_fee.as_str() {
                    "kept" => RefundFee::Kept,
                    "returned" => RefundFee::Returned,
                    other => {
                        return Err(format!("--refund-fee: {other:?} is not kept or returned"));
                    }
                },
            };
            let paths = Paths {
                journal: &journal,
                statement: &statement,
                settlement: settlement.as_deref(),
            };
            let mut findings = Vec::new();
            let mut r = Reconciler::new(config, |f| findings.push(finding_with_evidence(&f)));
            if let Some(path) = paths.settlement {
                r.read_settlement_csv(open(path)?)
                    .map_err(|e| paths.error(&e))?;
            }
            let summary = r
                .read_csv(open(&journal)?, open(&statement)?)
                .map_err(|e| paths.error(&e))?;
            let mut summary_json = fields_json(|v| summary.fields(v));
            if let Value::Object(map) = &mut summary_json {
                map.insert(
                    "rate".into(),
                    config.rates.map_or(Value::Null, |r| r.to_string().into()),
                );
            }
            let out = json!({ "summary": summary_json, "findings": findings });
            Ok(Outcome {
                text: pretty(&out)?,
                fail: fail_on.is_some_and(|s| summary.findings.at_least(s) > 0),
            })
        }
        MerchantCommand::Check {
            merchant_no,
            expect_mcc,
            expect_group,
            expect_region,
            network_merchant_no,
            field18,
            tag_9f15,
            tag_9f16,
            terminal,
            tag_9f1c,
            fail_on,
        } => {
            let fail_on = parse_fail_on(fail_on)?;
            let merchant_no = input::word(&merchant_no)?;
            let m = MerchantNo::parse(merchant_no.as_bytes())
                .map_err(|e| format!("merchant number: {e}"))?;
            let exp = Expectation {
                mcc: expect_mcc
                    .map(|s| parse_mcc(&s, "--expect-mcc"))
                    .transpose()?,
                group: expect_group.map(|s| parse_group(&s)).transpose()?,
                region: expect_region
                    .map(|s| {
                        s.parse::<Region>()
                            .map_err(|e| format!("--expect-region: {e}"))
                    })
                    .transpose()?,
            };
            let obs = Observation {
                field18: field18.map(|s| parse_mcc(&s, "--field18")).transpose()?,
                field41: terminal.map(|s| parse_tid(&s, "--terminal")).transpose()?,
                field42: Some(merchant_no.as_bytes()),
                tag_9f15: tag_9f15.map(|s| parse_mcc(&s, "--tag-9f15")).transpose()?,
                tag_9f16: tag_9f16.as_deref().map(str::as_bytes),
                tag_9f1c: tag_9f1c.map(|s| parse_tid(&s, "--tag-9f1c")).transpose()?,
                slip_merchant_no: Some(merchant_no.as_bytes()),
                network_merchant_no: network_merchant_no.as_deref().map(str::as_bytes),
            };
            let findings = check(&obs, &exp, &Policy::DEFAULT);
            let acquirer = m.acquirer();
            let out = json!({
                "merchant_no": m.as_str(),
                "acquirer": format!("{:03}", m.acquirer_code()),
                "acquirer_name": acquirer.map(|a| a.name()),
                "region": m.region().to_string(),
                "region_candidates": m.region().candidates().iter().map(candidate).collect::<Vec<_>>(),
                "mcc": m.mcc().to_string(),
                "mcc_description": m.mcc().description(),
                "sequence": m.sequence(),
                "findings": findings.iter().map(finding).collect::<Vec<_>>(),
            });
            Ok(Outcome {
                text: pretty(&out)?,
                fail: reaches(findings.iter(), fail_on),
            })
        }
        MerchantCommand::Audit {
            file,
            expect_group,
            fail_on,
        } => {
            let fail_on = parse_fail_on(fail_on)?;
            let config = AuditConfig {
                expectation: Expectation {
                    group: expect_group.map(|s| parse_group(&s)).transpose()?,
                    ..Expectation::default()
                },
                ..AuditConfig::default()
            };
            let report = if file == "-" {
                audit(input::stdin()?, &config)
            } else {
                let f = std::fs::File::open(&file).map_err(|e| format!("{file}: {e}"))?;
                audit(std::io::BufReader::new(f), &config)
            };
            let report = report.map_err(|e| match e.line() {
                Some(line) => format!("statement line {line}: {e}"),
                None => format!("statement: {e}"),
            })?;
            let all = report
                .findings
                .iter()
                .chain(report.terminals.iter().flat_map(|t| t.findings.iter()));
            Ok(Outcome {
                text: pretty(&audit_json(&report))?,
                fail: reaches(all, fail_on),
            })
        }
    }
}

/// `--fail-on SEVERITY`.
fn parse_fail_on(fail_on: Option<String>) -> Result<Option<Severity>, String> {
    fail_on
        .map(|s| {
            Severity::from_id(&s)
                .ok_or_else(|| format!("--fail-on: {s:?} is not info, suspicious or definitive"))
        })
        .transpose()
}

/// Whether a finding is at or above `fail_on`.
fn reaches<'a>(mut findings: impl Iterator<Item = &'a Finding>, fail_on: Option<Severity>) -> bool {
    fail_on.is_some_and(|s| findings.any(|f| f.severity() >= s))
}

/// The input files, to name them in errors.
struct Paths<'a> {
    journal: &'a str,
    statement: &'a str,
    settlement: Option<&'a str>,
}

impl Paths<'_> {
    /// `J.csv line 5, column amount: not a yuan amount … at character 4`.
    fn error(&self, e: &Error) -> String {
        let path = match e.input() {
            Some(Input::Journal) => self.journal,
            Some(Input::Statement) => self.statement,
            Some(Input::Settlement) => self.settlement.unwrap_or("settlement"),
            Some(Input::RateTable) | None | Some(_) => "input",
        };
        located(path, e)
    }
}

fn located(path: &str, e: &Error) -> String {
    match (e.line(), e.column()) {
        (Some(line), Some(_)) => format!("{path} line {line}, column {e}"),
        (Some(line), None) => format!("{path} line {line}: {e}"),
        (None, _) => format!("{path}: {e}"),
    }
}

fn open(path: &str) -> Result<std::io::BufReader<std::fs::File>, String> {
    std::fs::File::open(path)
        .map(std::io::BufReader::new)
        .map_err(|e| format!("{path}: {e}"))
}

/// `0.60` (a percentage) or the path of a rate table.
fn parse_rate(s: &str) -> Result<RateTable, String> {
    let number = !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_digit() || b == b'.' || b == b'%');
    if number {
        return FeeRate::parse_percent(s.as_bytes())
            .map(RateTable::flat)
            .map_err(|e| format!("--rate: {s:?}: {e}"));
    }
    RateTable::from_csv(open(s)?).map_err(|e| located(s, &e))
}

fn parse_window(s: &str) -> Result<Option<u32>, String> {
    if s == "none" {
        return Ok(None);
    }
    s.parse::<u32>()
        .map(Some)
        .map_err(|_| format!("--window: {s:?} is not a number of seconds or none"))
}

/// A finding with its evidence as named fields (amounts as yuan text, lines as numbers).
fn finding_with_evidence(f: &Finding) -> Value {
    json!({
        "rule": f.rule().id(),
        "severity": f.severity().id(),
        "line": f.first_line(),
        "occurrences": f.occurrences(),
        "detail": f.to_string(),
        "evidence": fields_json(|v| f.evidence().fields(v)),
    })
}

fn fields_json(each: impl FnOnce(&mut dyn FnMut(&'static str, FieldValue<'_>))) -> Value {
    let mut map = serde_json::Map::new();
    each(&mut |name, value| {
        let v = match value {
            FieldValue::Number(n) => n.into(),
            FieldValue::Flag(b) => b.into(),
            FieldValue::Text(t) => t.to_string().into(),
            FieldValue::Absent => Value::Null,
        };
        map.insert(name.to_owned(), v);
    });
    Value::Object(map)
}

/// The audit report as the JSON the issue specifies.
pub fn audit_json(report: &AuditReport) -> Value {
    json!({
        "rows": report.rows,
        "terminals": report.terminals.iter().map(|t| json!({
            "terminal_id": t.terminal_id.as_str(),
            "merchant_nos": t.merchant_nos,
            "findings": t.findings.iter().map(finding).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "findings": report.findings.iter().map(finding).collect::<Vec<_>>(),
        "errors": report.errors.iter().map(|e| json!({
            "line": e.line(),
            "error": e.to_string(),
        })).collect::<Vec<_>>(),
    })
}

fn finding(f: &Finding) -> Value {
    json!({
        "rule": f.rule().id(),
        "severity": f.severity().id(),
        "detail": f.to_string(),
    })
}

fn candidate(c: RegionCandidate) -> Value {
    json!({
        "scheme": c.scheme().id(),
        "province": c.province().name_zh(),
        "province_en": c.province().name_en(),
        "city": c.city(),
    })
}

fn iso_range(mcc: Mcc) -> String {
    let block = mcc.iso_range();
    match mcc.private_range() {
        Some(sub) => format!("{block} / {sub}"),
        None => block.to_string(),
    }
}

/// Four digits exactly (field values).
fn parse_mcc(s: &str, what: &str) -> Result<Mcc, String> {
    s.parse::<Mcc>().map_err(|e| format!("{what}: {e}"))
}

/// Four digits, or a number up to 9999.
fn parse_mcc_number(s: &str, what: &str) -> Result<Mcc, String> {
    if s.len() == 4 {
        return parse_mcc(s, what);
    }
    s.parse::<u16>()
        .ok()
        .filter(|_| s.bytes().all(|b| b.is_ascii_digit()))
        .and_then(Mcc::new)
        .ok_or_else(|| format!("{what}: {s:?} is not 4 digits or a number 0-9999"))
}

fn parse_group(s: &str) -> Result<MccGroup, String> {
    s.parse::<MccGroup>().map_err(|_| {
        let all: Vec<_> = MccGroup::ALL.iter().map(|g| g.id()).collect();
        format!("--expect-group: {s:?} is not one of {}", all.join(", "))
    })
}

fn parse_tid(s: &str, what: &str) -> Result<TerminalId, String> {
    TerminalId::parse(s.as_bytes()).map_err(|e| format!("{what}: {e}"))
}

fn pretty(v: &Value) -> Result<String, String> {
    serde_json::to_string_pretty(v).map_err(|e| e.to_string())
}
