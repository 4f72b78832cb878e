//! Criterion groups `merchant`: the per-transaction merchant-number check (parse + MCC lookup +
//! rules) and the statement audit over a generated 1 000 000-row statement; and
//! `reconcile`: a generated 1 000 000-row journal against its 1 000 000-row statement.
//!
//! No peer: no library in any language checks UnionPay merchant numbers, audits statements
//! for code jumping (research note merchant.md 3.2) or reconciles a POS journal with an
//! acquirer's statement, so the figures are absolute.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::cast_possible_truncation
)] // benches may fail loudly

use std::hint::black_box;

use cardwire::merchant::reconcile::{ReconcileConfig, Reconciler};
use cardwire::merchant::{
    AuditConfig, Expectation, FeeRate, MccGroup, MerchantNo, Observation, Policy, RateTable,
    Region, check, check_with,
};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

/// A statement in the POS export layout: `rows` rows over 1 000 terminals, every tenth a
/// code-pool terminal cycling through four merchant numbers (hotel, supermarket, hospital,
/// warehouse store); the others bound to one restaurant each.
pub fn statement(rows: usize) -> Vec<u8> {
    let mut out =
        b"time,terminal_id,merchant_no,merchant_name,mcc,amount,fee,card,type,rrn\n".to_vec();
    for i in 0..rows {
        let t = i % 1000;
        let mcc = if t.is_multiple_of(10) {
            [7011, 5411, 8062, 5300][i / 1000 % 4]
        } else {
            5812
        };
        let line = format!(
            "2026-11-02 09:{:02}:{:02},{:08},1055840{mcc:04}{t:04},shop {t},{mcc},{}.{:02},0.07,622848******1234,purchase,{i:012}\n",
            i / 60 % 60,
            i % 60,
            10_000_000 + t,
            i % 5000,
            i % 100
        );
        out.extend_from_slice(line.as_bytes());
    }
    out
}

/// A terminal journal and the acquirer's statement of the same `rows` transactions, in time
/// order: one every two seconds from 2026-11-02 over 1 000 terminals of 100 merchant numbers,
/// purchases with a void every 50th and a refund every 200th. The statement books every
/// 1 000th amount a fen higher, charges 0.78 % instead of 0.60 % on every 500th, and lacks
/// every 2 000th; the rest agree.
pub fn journal_and_statement(rows: usize) -> (Vec<u8>, Vec<u8>) {
    let mut journal = b"time,terminal_id,merchant_no,batch,stan,rrn,type,amount,fee\n".to_vec();
    let mut statement =
        b"time,terminal_id,merchant_no,merchant_name,mcc,amount,fee,card,type,rrn\n".to_vec();
    let yuan = |fen: i64| {
        format!(
            "{}{}.{:02}",
            if fen < 0 { "-" } else { "" },
            fen.abs() / 100,
            fen.abs() % 100
        )
    };
    let (quoted, charged) = (FeeRate::from_bps(60), FeeRate::from_bps(78));
    for i in 0..rows {
        let seconds = 2 * i as u64;
        let (day, s) = (2 + seconds / 86_400, seconds % 86_400);
        let time = format!(
            "2026-11-{day:02} {:02}:{:02}:{:02}",
            s / 3600,
            s / 60 % 60,
            s % 60
        );
        let t = i % 1000;
        let merchant = format!("1055840581{:05}", t % 100);
        let (kind, sign) = if i % 50 == 49 {
            ("void", -1)
        } else if i % 200 == 199 {
            ("refund", -1)
        } else {
            ("purchase", 1)
        };
        let amount = (100 + (i * 7919) % 500_000) as u64;
        let fee = |rate: FeeRate| match kind {
            "refund" => 0,
            _ => sign * rate.fee(amount) as i64,
        };
        let signed = sign * amount as i64;
        journal.extend_from_slice(
            format!(
                "{time},{:08},{merchant},{:06},{:06},{i:012},{kind},{},{}\n",
                10_000_000 + t,
                i / 100_000,
                i % 100_000,
                yuan(signed),
                yuan(fee(quoted))
            )
            .as_bytes(),
        );
        if i % 2000 == 1999 {
            continue;
        }
        let booked = if i % 1000 == 0 { signed + sign } else { signed };
        let booked_fee = if i % 500 == 3 {
            fee(charged)
        } else {
            fee(quoted)
        };
        statement.extend_from_slice(
            format!(
                "{time},{:08},{merchant},shop {t},5812,{},{},622848******1234,{kind},{i:012}\n",
                10_000_000 + t,
                yuan(booked),
                yuan(booked_fee)
            )
            .as_bytes(),
        );
    }
    (journal, statement)
}

fn bench_reconcile(c: &mut Criterion) {
    let mut g = c.benchmark_group("reconcile");
    let (journal, statement) = journal_and_statement(1_000_000);
    let config = ReconcileConfig {
        rates: Some(RateTable::flat(FeeRate::from_bps(60))),
        ..ReconcileConfig::default()
    };
    let run = |journal: &[u8], statement: &[u8]| {
        let mut findings = 0u64;
        let summary = Reconciler::new(config, |_| findings += 1)
            .read_csv(journal, statement)
            .unwrap();
        (summary, findings)
    };
    let (summary, findings) = run(&journal, &statement);
    assert_eq!(summary.journal_rows, 1_000_000);
    assert_eq!(summary.missing_on_statement, 500);
    assert_eq!(summary.matched, 999_500);
    assert!(findings > 3_000, "{findings}");
    g.sample_size(10);
    g.throughput(Throughput::Elements(2_000_000));
    g.bench_function("cardwire/reconcile-1M-journal-1M-statement", |b| {
        b.iter(|| run(black_box(&journal), black_box(&statement)).1)
    });
    g.finish();
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("merchant");

    // The canonical case: slip and network disagree, hotel expected, region expected.
    let obs = Observation {
        slip_merchant_no: Some(b"105584070110001"),
        network_merchant_no: Some(b"105584054110001"),
        ..Observation::default()
    };
    let exp = Expectation {
        group: Some(MccGroup::Hotel),
        region: Region::new(5840),
        mcc: None,
    };
    assert_eq!(check(&obs, &exp, &Policy::DEFAULT).len(), 4);
    g.throughput(Throughput::Elements(1));
    g.bench_function("cardwire/check-canonical-jump", |b| {
        b.iter(|| check(black_box(&obs), black_box(&exp), &Policy::DEFAULT).len())
    });
    g.bench_function("cardwire/check-with-sink-canonical-jump", |b| {
        b.iter(|| {
            let mut n = 0usize;
            check_with(
                black_box(&obs),
                black_box(&exp),
                &Policy::DEFAULT,
                &mut |f| n += f.rule() as usize,
            );
            n
        })
    });
    // One merchant number, as a terminal would check field 42 on each transaction.
    let honest = Observation {
        field42: Some(b"105584058120001"),
        ..Observation::default()
    };
    let dining = Expectation {
        group: Some(MccGroup::Dining),
        ..exp
    };
    assert_eq!(check(&honest, &dining, &Policy::DEFAULT).len(), 0);
    g.bench_function("cardwire/check-merchant-no", |b| {
        b.iter(|| check(black_box(&honest), black_box(&dining), &Policy::DEFAULT).len())
    });
    g.bench_function("cardwire/check-with-sink-merchant-no", |b| {
        b.iter(|| {
            let mut n = 0usize;
            check_with(
                black_box(&honest),
                black_box(&dining),
                &Policy::DEFAULT,
                &mut |f| n += f.rule() as usize,
            );
            n
        })
    });
    g.bench_function("cardwire/parse-decode", |b| {
        b.iter(|| {
            let m = MerchantNo::parse(black_box(b"898210154110002")).unwrap();
            (
                m.acquirer().is_some(),
                m.region().candidates().is_ambiguous(),
                m.mcc().group(),
            )
        })
    });

    let data = statement(1_000_000);
    let config = AuditConfig::default();
    let report = cardwire::merchant::audit(data.as_slice(), &config).unwrap();
    assert_eq!(report.rows, 1_000_000);
    assert!(report.errors.is_empty());
    assert_eq!(
        report
            .terminals
            .iter()
            .filter(|t| !t.findings.is_empty())
            .count(),
        100
    );
    g.sample_size(10);
    g.throughput(Throughput::Elements(1_000_000));
    g.bench_function("cardwire/audit-1M-rows", |b| {
        b.iter(|| {
            cardwire::merchant::audit(black_box(data.as_slice()), &config)
                .unwrap()
                .rows
        })
    });
    g.finish();
}

criterion_group!(benches, bench, bench_reconcile);
criterion_main!(benches);
