//! Any bytes as an MCC (ASCII digits, 9F15 BCD, a number): parsing and every lookup never
//! panic, and what parses round-trips.
#![no_main]

use core::fmt::Write;

use cardwire_merchant::{List, Mcc, Policy};
use libfuzzer_sys::fuzz_target;

struct Sink;
impl Write for Sink {
    fn write_str(&mut self, _: &str) -> core::fmt::Result {
        Ok(())
    }
}

fn inspect(m: Mcc) {
    let _ = write!(Sink, "{m} {} {:?}", m.iso_range(), m.private_range());
    let _ = (
        m.is_reserved(),
        m.is_private(),
        m.is_known(),
        m.group(),
        m.cn_fee_tier(),
    );
    let _ = (
        m.in_cn_2013_dining_entertainment(),
        Policy::DEFAULT.earns_no_points(m),
    );
    let _ = m.description();
    for l in List::ALL {
        let _ = m.description_in(l);
    }
    assert!(m.iso_range().contains(m));
    assert_eq!(Mcc::from_bcd(&m.to_bcd()), Ok(m));
    assert_eq!(Mcc::parse(&m.to_ascii()), Ok(m));
}

fuzz_target!(|data: &[u8]| {
    if let Ok(m) = Mcc::parse(data) {
        assert_eq!(m.to_ascii().as_slice(), data);
        inspect(m);
    }
    if let Ok(m) = Mcc::from_bcd(data) {
        assert_eq!(m.to_bcd().as_slice(), data);
        inspect(m);
    }
    if let [a, b, ..] = *data
        && let Some(m) = Mcc::new(u16::from_be_bytes([a, b]))
    {
        inspect(m);
    }
    if let Ok(s) = core::str::from_utf8(data) {
        let _ = s.parse::<cardwire_merchant::MccGroup>();
        let _ = s
            .parse::<cardwire_merchant::Region>()
            .map(|r| r.candidates());
    }
});
