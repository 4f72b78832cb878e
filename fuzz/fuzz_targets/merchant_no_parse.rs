//! Any bytes as a merchant number, and split into the records of one transaction: parsing,
//! decoding, the rules and the terminal history never panic, and what parses round-trips.
#![no_main]

use core::fmt::Write;

use cardwire_merchant::{
    Expectation, MccGroup, MerchantId, MerchantNo, Observation, Policy, Region, TerminalHistory,
    TerminalId, check,
};
use libfuzzer_sys::fuzz_target;

/// Discards formatted output while still running every `Display` path.
struct Sink;
impl Write for Sink {
    fn write_str(&mut self, _: &str) -> core::fmt::Result {
        Ok(())
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok(m) = MerchantNo::parse(data) {
        assert_eq!(m.as_bytes().as_slice(), data);
        let _ = (m.acquirer_code(), m.acquirer(), m.sequence());
        assert_eq!(
            m.mcc().to_ascii().as_slice(),
            data.get(7..11).unwrap_or_default()
        );
        for c in m.region().candidates().iter() {
            let _ = write!(
                Sink,
                "{} {:?} {:?}",
                c.scheme().id(),
                c.province().name_zh(),
                c.city()
            );
        }
        let _ = write!(Sink, "{m} {:?}", m.mcc().description());
        assert_eq!(
            MerchantId::parse(data)
                .map(|id| *id.as_bytes())
                .ok()
                .as_ref(),
            Some(m.as_bytes())
        );
    }
    // The same bytes cut into the records of one transaction.
    let mut parts = data.splitn(6, |&b| b == b'|');
    let mut next = || parts.next();
    let (a, b, c, d, e) = (next(), next(), next(), next(), next());
    let obs = Observation {
        slip_merchant_no: a,
        network_merchant_no: b,
        field42: c,
        tag_9f16: d,
        field41: e.and_then(|t| TerminalId::parse(t.get(..8).unwrap_or(t)).ok()),
        field18: a.and_then(|x| cardwire_merchant::Mcc::parse(x.get(..4).unwrap_or(x)).ok()),
        tag_9f15: b.and_then(|x| cardwire_merchant::Mcc::from_bcd(x.get(..2).unwrap_or(x)).ok()),
        tag_9f1c: d.and_then(|t| TerminalId::parse(t.get(..8).unwrap_or(t)).ok()),
    };
    let exp = Expectation {
        mcc: obs.field18,
        group: data
            .first()
            .and_then(|&i| MccGroup::ALL.get(usize::from(i) % 11).copied()),
        region: data.get(1).and_then(|&r| Region::new(u16::from(r) * 39)),
    };
    let findings = check(&obs, &exp, &Policy::DEFAULT);
    assert_eq!(findings.overflow(), 0);
    for f in &findings {
        let _ = write!(Sink, "{f} {}", f.severity());
    }
    let mut history = TerminalHistory::<2, 2>::new(1);
    for _ in 0..3 {
        for f in &history.observe(&obs) {
            let _ = write!(Sink, "{f}");
        }
    }
});
