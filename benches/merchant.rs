//! Criterion group `merchant`: the per-transaction merchant-number check (parse + MCC lookup +
//! rules) and the statement audit over a generated 1 000 000-row statement.
//!
//! No peer: no library in any language checks UnionPay merchant numbers or audits statements
//! for code jumping (research note merchant.md 3.2), so the figures are absolute.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::cast_possible_truncation
)] // benches may fail loudly

use std::hint::black_box;

use cardwire::merchant::{
    AuditConfig, Expectation, MccGroup, MerchantNo, Observation, Policy, Region, check, check_with,
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

criterion_group!(benches, bench);
criterion_main!(benches);
