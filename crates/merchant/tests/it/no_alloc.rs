//! Parsing, lookups, the rules and the terminal history allocate nothing: counted with a
//! counting global allocator.

use cardwire_merchant::{
    Expectation, Mcc, MccGroup, MerchantNo, Observation, Policy, Region, TerminalHistory,
    TerminalId, check,
};

#[test]
fn checking_allocates_nothing() {
    let tid = TerminalId::parse(b"20000002").unwrap();
    let mut history = TerminalHistory::<16>::new(3);
    let numbers: [&[u8]; 4] = [
        b"105584070110001",
        b"105290054110007",
        b"822651080620003",
        b"10558407011000",
    ];
    let mut found = 0usize;
    let counts = allocation_counter::measure(|| {
        for (i, no) in numbers.iter().cycle().take(40).enumerate() {
            let obs = Observation {
                slip_merchant_no: Some(numbers[0]),
                network_merchant_no: Some(no),
                field18: Mcc::parse(b"7011").ok(),
                field41: Some(tid),
                ..Observation::default()
            };
            let exp = Expectation {
                group: Some(MccGroup::Hotel),
                region: Region::new(5840),
                mcc: None,
            };
            found += check(&obs, &exp, &Policy::DEFAULT).len();
            found += history.observe(&obs).len();
            if let Ok(m) = MerchantNo::parse(no) {
                found += usize::from(m.acquirer().is_some());
                found += m.region().candidates().iter().count();
                found += usize::from(m.mcc().description().is_some()) + i % 2;
                found += m.mcc().group().id().len();
            }
        }
    });
    assert!(found > 0);
    assert_eq!(counts.count_total, 0, "checking allocated");
}
