//! Every rule: one test that triggers it and one that shows it silent on an honest case.

use cardwire_merchant::{
    Evidence, Expectation, Findings, Mcc, MccGroup, MerchantNo, Observation, Policy, Region, Rule,
    Severity, TerminalHistory, TerminalId, check,
};

// A Shenzhen hotel (5840, 7011), a Shanghai supermarket (2900, 5411), a Shenzhen restaurant.
const HOTEL: &[u8] = b"105584070110001";
const MARKET: &[u8] = b"105290054110007";
const RESTAURANT: &[u8] = b"105584058120001";

fn mcc(s: &str) -> Mcc {
    s.parse().unwrap()
}

fn tid(s: &str) -> TerminalId {
    TerminalId::parse(s.as_bytes()).unwrap()
}

fn run(obs: Observation<'_>, exp: Expectation) -> Findings {
    let findings = check(&obs, &exp, &Policy::DEFAULT);
    assert_eq!(findings.overflow(), 0);
    findings
}

fn settled(no: &[u8]) -> Observation<'_> {
    Observation {
        field42: Some(no),
        ..Observation::default()
    }
}

fn group(g: MccGroup) -> Expectation {
    Expectation {
        group: Some(g),
        ..Expectation::default()
    }
}

fn rules(f: &Findings) -> Vec<Rule> {
    f.iter().map(|f| f.rule()).collect()
}

#[test]
fn slip_network_mismatch_fires_when_the_records_differ() {
    let f = run(
        Observation {
            slip_merchant_no: Some(HOTEL),
            network_merchant_no: Some(MARKET),
            ..Observation::default()
        },
        Expectation::default(),
    );
    let hit = f
        .iter()
        .find(|f| f.rule() == Rule::SlipNetworkMismatch)
        .unwrap();
    assert_eq!(hit.severity(), Severity::Definitive);
    assert_eq!(
        hit.to_string(),
        "the slip shows 105584070110001 but the network record shows 105290054110007"
    );
}

#[test]
fn slip_network_mismatch_silent_when_they_agree() {
    let f = run(
        Observation {
            slip_merchant_no: Some(RESTAURANT),
            network_merchant_no: Some(RESTAURANT),
            ..Observation::default()
        },
        Expectation::default(),
    );
    assert!(f.is_empty(), "{:?}", rules(&f));
}

#[test]
fn inconsistent_fields_fires_for_each_pair() {
    // field 42 vs 9F16
    let f = run(
        Observation {
            field42: Some(HOTEL),
            tag_9f16: Some(MARKET),
            ..Observation::default()
        },
        Expectation::default(),
    );
    assert!(f.contains(Rule::InconsistentFields));
    // field 41 vs 9F1C
    let f = run(
        Observation {
            field41: Some(tid("58400001")),
            tag_9f1c: Some(tid("58400002")),
            ..Observation::default()
        },
        Expectation::default(),
    );
    assert_eq!(rules(&f), [Rule::InconsistentFields]);
    // field 18 vs the MCC inside field 42
    let f = run(
        Observation {
            field18: Some(mcc("5411")),
            field42: Some(HOTEL),
            ..Observation::default()
        },
        Expectation::default(),
    );
    assert_eq!(rules(&f), [Rule::InconsistentFields]);
    assert!(matches!(
        f.iter().next().unwrap().evidence(),
        Evidence::Mccs { a_value, b_value, .. } if a_value.get() == 5411 && b_value.get() == 7011
    ));
    // 9F15 (BCD 70 11 would agree; 58 12 does not) vs field 42
    let f = run(
        Observation {
            tag_9f15: Some(Mcc::from_bcd(&[0x58, 0x12]).unwrap()),
            field42: Some(HOTEL),
            ..Observation::default()
        },
        Expectation::default(),
    );
    assert_eq!(rules(&f), [Rule::InconsistentFields]);
    assert_eq!(f.iter().next().unwrap().severity(), Severity::Definitive);
}

#[test]
fn inconsistent_fields_silent_when_all_agree() {
    let f = run(
        Observation {
            field18: Some(mcc("7011")),
            field41: Some(tid("58400001")),
            field42: Some(HOTEL),
            tag_9f15: Some(Mcc::from_bcd(&[0x70, 0x11]).unwrap()),
            tag_9f16: Some(HOTEL),
            tag_9f1c: Some(tid("58400001")),
            slip_merchant_no: Some(HOTEL),
            network_merchant_no: Some(HOTEL),
        },
        group(MccGroup::Hotel),
    );
    assert!(f.is_empty(), "{:?}", rules(&f));
}

#[test]
fn mcc_not_expected_fires_for_group_and_code() {
    let f = run(settled(MARKET), group(MccGroup::Hotel));
    assert!(f.contains(Rule::MccNotExpected));
    let f = run(
        settled(MARKET),
        Expectation {
            mcc: Some(mcc("7011")),
            ..Expectation::default()
        },
    );
    let hit = f.iter().find(|f| f.rule() == Rule::MccNotExpected).unwrap();
    assert_eq!(hit.severity(), Severity::Suspicious);
    assert_eq!(
        hit.to_string(),
        "MCC 5411 (supermarket) where 7011 was expected"
    );
}

#[test]
fn mcc_not_expected_silent_when_it_matches() {
    assert!(!run(settled(HOTEL), group(MccGroup::Hotel)).contains(Rule::MccNotExpected));
    let exact = Expectation {
        mcc: Some(mcc("5812")),
        ..Expectation::default()
    };
    assert!(!run(settled(RESTAURANT), exact).contains(Rule::MccNotExpected));
}

#[test]
fn region_mismatch_fires_suspicious_or_soft() {
    let shenzhen = Expectation {
        region: Some(Region::new(5840).unwrap()),
        ..Expectation::default()
    };
    let f = run(settled(MARKET), shenzhen);
    let hit = f.iter().find(|f| f.rule() == Rule::RegionMismatch).unwrap();
    assert_eq!(hit.severity(), Severity::Suspicious);
    // 2101 reads as Inner Mongolia (UnionPay) or Shenyang (GB/T 2260): soft.
    let f = run(settled(b"898210158120002"), shenzhen);
    let hit = f.iter().find(|f| f.rule() == Rule::RegionMismatch).unwrap();
    assert_eq!(hit.severity(), Severity::Info);
}

#[test]
fn region_mismatch_silent_for_same_code_or_province() {
    let shenzhen = Expectation {
        region: Some(Region::new(5840).unwrap()),
        ..Expectation::default()
    };
    assert!(!run(settled(HOTEL), shenzhen).contains(Rule::RegionMismatch));
    // 5810 Guangzhou is in Guangdong too.
    assert!(!run(settled(b"105581070110001"), shenzhen).contains(Rule::RegionMismatch));
}

#[test]
fn cheaper_tier_fires_for_preferential_exempt_and_government() {
    for (no, expected) in [
        (MARKET, MccGroup::Hotel),                   // preferential
        (&b"822584080620017"[..], MccGroup::Dining), // exempt
        (b"822584093110017", MccGroup::Jewellery),   // government
    ] {
        let f = run(settled(no), group(expected));
        assert!(f.contains(Rule::CheaperTier), "{no:?}");
    }
    let f = run(settled(MARKET), group(MccGroup::Hotel));
    let hit = f.iter().find(|f| f.rule() == Rule::CheaperTier).unwrap();
    assert_eq!(
        hit.to_string(),
        "MCC 5411 settles in the preferential fee tier; the expected business is standard"
    );
}

#[test]
fn cheaper_tier_silent_when_the_tier_fits() {
    assert!(!run(settled(RESTAURANT), group(MccGroup::Dining)).contains(Rule::CheaperTier));
    assert!(!run(settled(MARKET), group(MccGroup::Supermarket)).contains(Rule::CheaperTier));
    // No expectation: nothing to compare with.
    assert!(!run(settled(MARKET), Expectation::default()).contains(Rule::CheaperTier));
}

#[test]
fn no_points_category_follows_the_policy() {
    let f = run(settled(MARKET), Expectation::default());
    let hit = f
        .iter()
        .find(|f| f.rule() == Rule::NoPointsCategory)
        .unwrap();
    assert_eq!(hit.severity(), Severity::Info);
    // A caller's policy replaces the example list.
    let mine = Policy::new(&[5812], &[]).unwrap();
    let exp = Expectation::default();
    assert!(check(&settled(RESTAURANT), &exp, &mine).contains(Rule::NoPointsCategory));
    assert!(!check(&settled(MARKET), &exp, &mine).contains(Rule::NoPointsCategory));
    // …and the preferential list with it: 5411 is standard under `mine`.
    assert!(!check(&settled(MARKET), &group(MccGroup::Hotel), &mine).contains(Rule::CheaperTier));
}

#[test]
fn no_points_category_silent_for_a_restaurant() {
    assert!(!run(settled(RESTAURANT), Expectation::default()).contains(Rule::NoPointsCategory));
}

#[test]
fn policy_lists_hold_mccs_only() {
    let p = Policy::new(&[5812, 5411, 5411], &[]).unwrap();
    assert_eq!(p.no_points().len(), 2);
    assert_eq!(Policy::new(&[], &[1, 10_000]).unwrap_err().offset(), 1);
    assert!(Policy::DEFAULT.with_no_points(&[1, 2, 3]).is_ok());
}

#[test]
fn reserved_mcc_fires_in_reserved_blocks() {
    for no in [
        &b"105584005000001"[..],
        b"105584091000001",
        b"105584012340001",
    ] {
        let f = run(settled(no), Expectation::default());
        assert_eq!(rules(&f), [Rule::ReservedMcc], "{no:?}");
        assert!(!f.contains(Rule::UnknownMcc));
    }
}

#[test]
fn reserved_mcc_silent_for_assigned_and_private_codes() {
    assert!(!run(settled(RESTAURANT), Expectation::default()).contains(Rule::ReservedMcc));
    // 3998 is in the private-use block, not a reserved one.
    assert!(!run(settled(b"105584039980001"), Expectation::default()).contains(Rule::ReservedMcc));
}

#[test]
fn unknown_mcc_fires_for_codes_on_no_list() {
    let f = run(settled(b"105584066660001"), Expectation::default());
    assert_eq!(rules(&f), [Rule::UnknownMcc]);
    assert_eq!(f.iter().next().unwrap().severity(), Severity::Info);
}

#[test]
fn unknown_mcc_silent_for_unionpay_only_codes() {
    // 4458 and 9498 are on no ISO or network list, only on the UnionPay additions.
    for no in [&b"105584044580001"[..], b"105584094980001"] {
        assert!(!run(settled(no), Expectation::default()).contains(Rule::UnknownMcc));
    }
}

#[test]
fn malformed_merchant_no_fires_per_source() {
    let f = run(
        Observation {
            slip_merchant_no: Some(b"10558407011000"),
            network_merchant_no: Some(b"1055840701X0001"),
            tag_9f16: Some(b"105584070110 01"),
            ..Observation::default()
        },
        Expectation::default(),
    );
    assert_eq!(rules(&f), [Rule::MalformedMerchantNo; 3]);
    assert_eq!(
        f.iter().next().unwrap().to_string(),
        "the slip shows \"10558407011000\", not a UnionPay merchant number: expected 15 characters, found 14"
    );
}

#[test]
fn malformed_merchant_no_silent_for_letters_in_the_sequence() {
    let f = run(settled(b"83658405812A3B7"), Expectation::default());
    assert!(!f.contains(Rule::MalformedMerchantNo));
}

fn record(h: &mut TerminalHistory<8>, t: &str, no: &[u8]) -> Vec<Rule> {
    h.record(tid(t), MerchantNo::parse(no).unwrap())
        .iter()
        .map(|f| f.rule())
        .collect()
}

#[test]
fn terminal_merchant_changed_fires_on_a_new_number() {
    let mut h = TerminalHistory::<8>::new(3);
    assert!(record(&mut h, "20000002", HOTEL).is_empty());
    // Same MCC and region, another sequence: only the change.
    assert_eq!(
        record(&mut h, "20000002", b"105584070110002"),
        [Rule::TerminalMerchantChanged]
    );
}

#[test]
fn terminal_merchant_changed_silent_for_a_bound_terminal() {
    let mut h = TerminalHistory::<8>::new(3);
    for _ in 0..10 {
        assert!(record(&mut h, "10000001", RESTAURANT).is_empty());
    }
    // Another terminal with another merchant is not a change.
    assert!(record(&mut h, "10000002", HOTEL).is_empty());
}

#[test]
fn many_merchants_per_terminal_fires_once_past_the_threshold() {
    let mut h = TerminalHistory::<8>::new(3);
    let pool: [&[u8]; 5] = [
        b"105584070110001",
        b"105584070110002",
        b"105584070110003",
        b"105584070110004",
        b"105584070110005",
    ];
    for no in &pool[..3] {
        assert!(!record(&mut h, "20000002", no).contains(&Rule::ManyMerchantsPerTerminal));
    }
    assert!(record(&mut h, "20000002", pool[3]).contains(&Rule::ManyMerchantsPerTerminal));
    assert!(!record(&mut h, "20000002", pool[4]).contains(&Rule::ManyMerchantsPerTerminal));
    assert_eq!(h.merchants_seen(tid("20000002")), 5);
}

#[test]
fn many_merchants_per_terminal_silent_when_switching_between_few() {
    let mut h = TerminalHistory::<8>::new(3);
    for _ in 0..5 {
        for no in [HOTEL, MARKET] {
            assert!(!record(&mut h, "20000002", no).contains(&Rule::ManyMerchantsPerTerminal));
        }
    }
}

#[test]
fn mcc_and_region_drift_fire_when_they_change() {
    let mut h = TerminalHistory::<8>::new(3);
    record(&mut h, "20000002", HOTEL);
    let r = record(&mut h, "20000002", MARKET);
    assert!(r.contains(&Rule::MccDrift) && r.contains(&Rule::RegionDrift));
    // Same region, other MCC: MCC drift only.
    let r = record(&mut h, "20000002", b"105290058120001");
    assert!(r.contains(&Rule::MccDrift) && !r.contains(&Rule::RegionDrift));
    // Same MCC, other region: region drift only.
    let r = record(&mut h, "20000002", b"105584058120001");
    assert!(!r.contains(&Rule::MccDrift) && r.contains(&Rule::RegionDrift));
}

#[test]
fn drift_silent_when_mcc_and_region_stay() {
    let mut h = TerminalHistory::<8>::new(3);
    record(&mut h, "20000002", HOTEL);
    let r = record(&mut h, "20000002", b"105584070110009");
    assert!(!r.contains(&Rule::MccDrift) && !r.contains(&Rule::RegionDrift));
}

#[test]
fn history_forgets_the_least_recently_seen_terminal_when_full() {
    let mut h = TerminalHistory::<2>::new(3);
    let m = MerchantNo::parse(HOTEL).unwrap();
    h.record(tid("00000001"), m);
    h.record(tid("00000002"), m);
    h.record(tid("00000001"), m); // 1 is now more recent than 2
    h.record(tid("00000003"), m); // evicts 2
    assert_eq!(h.len(), 2);
    assert_eq!(h.merchants_seen(tid("00000002")), 0);
    assert_eq!(h.merchants_seen(tid("00000001")), 1);
}

#[test]
fn observe_uses_field41_and_the_settled_number() {
    let mut h = TerminalHistory::<8>::default();
    let first = Observation {
        field41: Some(tid("20000002")),
        field42: Some(HOTEL),
        ..Observation::default()
    };
    assert!(h.observe(&first).is_empty());
    let second = Observation {
        tag_9f1c: Some(tid("20000002")),
        network_merchant_no: Some(MARKET),
        field42: Some(HOTEL),
        ..Observation::default()
    };
    assert!(h.observe(&second).contains(Rule::TerminalMerchantChanged));
}

#[test]
fn every_rule_has_a_distinct_id_and_the_issue_severity() {
    let ids: std::collections::HashSet<_> = Rule::ALL.iter().map(|r| r.id()).collect();
    assert_eq!(ids.len(), Rule::ALL.len());
    assert_eq!(Rule::SlipNetworkMismatch.severity(), Severity::Definitive);
    assert_eq!(Rule::InconsistentFields.severity(), Severity::Definitive);
    assert_eq!(Rule::NoPointsCategory.severity(), Severity::Info);
    assert_eq!(
        Rule::TerminalMerchantChanged.severity(),
        Severity::Suspicious
    );
}

#[test]
fn the_worst_observation_fits_in_findings() {
    // Every source present, malformed or disagreeing, with every expectation set.
    let f = run(
        Observation {
            field18: Some(mcc("0500")),
            field41: Some(tid("00000001")),
            field42: Some(b"105584070110001"),
            tag_9f15: Some(mcc("9100")),
            tag_9f16: Some(b"x"),
            tag_9f1c: Some(tid("00000002")),
            slip_merchant_no: Some(b"y"),
            network_merchant_no: Some(b"822651080620003"),
        },
        Expectation {
            mcc: Some(mcc("5944")),
            group: Some(MccGroup::Jewellery),
            region: Some(Region::new(2900).unwrap()),
        },
    );
    assert!(f.len() <= Findings::CAPACITY);
    assert!(f.len() >= 8, "{:?}", rules(&f));
}
