//! The generated tables agree with the data files they come from, row by row (read here with
//! the csv crate, independently of build.rs).

use cardwire_merchant::{Acquirer, List, Mcc, MccGroup, Policy, Region};

fn rows(file: &str) -> Vec<Vec<String>> {
    let path = format!("{}/data/{file}", env!("CARGO_MANIFEST_DIR"));
    let tsv = file.ends_with(".tsv");
    csv::ReaderBuilder::new()
        .delimiter(if tsv { b'\t' } else { b',' })
        .comment(tsv.then_some(b'#'))
        .from_path(path)
        .unwrap()
        .records()
        .map(|r| r.unwrap().iter().map(|f| f.trim().to_owned()).collect())
        .collect()
}

fn code(s: &str) -> Mcc {
    s.parse().unwrap()
}

#[test]
fn iso_official_list() {
    let rows = rows("iso18245_official_list.csv");
    assert_eq!(rows.len(), 280);
    for r in rows {
        let m = code(&r[0]);
        assert!(m.lists().contains(List::Iso18245), "{m}");
        assert_eq!(m.description_in(List::Iso18245), Some(r[1].as_str()), "{m}");
    }
}

#[test]
fn network_list() {
    let rows = rows("greggles_mcc_codes.csv");
    assert_eq!(rows.len(), 981);
    for r in rows {
        let m = code(&r[0]);
        assert!(m.lists().contains(List::Networks), "{m}");
        let want = if r[1].is_empty() { &r[2] } else { &r[1] };
        assert_eq!(m.description_in(List::Networks), Some(want.as_str()), "{m}");
    }
}

#[test]
fn unionpay_additions() {
    for r in rows("cn_unionpay_mcc_additions.tsv") {
        let m = code(&r[0]);
        assert!(m.lists().contains(List::UnionPay), "{m}");
        let want = (!r[1].is_empty()).then_some(r[1].as_str());
        assert_eq!(m.description_in(List::UnionPay), want, "{m}");
    }
}

#[test]
fn known_is_exactly_the_union_of_the_lists() {
    let mut all = std::collections::BTreeSet::new();
    for (file, _) in [
        ("iso18245_official_list.csv", 0),
        ("greggles_mcc_codes.csv", 0),
        ("cn_unionpay_mcc_additions.tsv", 0),
    ] {
        all.extend(rows(file).into_iter().map(|r| code(&r[0]).get()));
    }
    for c in 0..=9999u16 {
        assert_eq!(Mcc::new(c).unwrap().is_known(), all.contains(&c), "{c}");
    }
}

#[test]
fn iso_ranges_cover_every_code() {
    let ranges = rows("iso18245_ranges.csv");
    for r in &ranges {
        let (start, end) = (code(&r[0]), code(&r[1]));
        for c in start.get()..=end.get() {
            let m = Mcc::new(c).unwrap();
            assert_eq!(m.iso_range().name(), r[2], "{m}");
            assert_eq!(
                m.is_reserved(),
                r[2].starts_with("Reserved") && !r[2].contains("private")
            );
            assert_eq!(m.is_private(), r[2].contains("private use"));
        }
    }
    for r in rows("iso18245_private_ranges.csv") {
        for c in code(&r[0]).get()..=code(&r[1]).get() {
            assert_eq!(Mcc::new(c).unwrap().private_range().unwrap().name(), r[2]);
        }
    }
}

#[test]
fn fee_tiers() {
    for r in rows("cn_mcc_fee_tiers.tsv") {
        let m = code(&r[0]);
        let tier = m.cn_fee_tier().id();
        if r[1].starts_with("reduced_exempt") {
            assert_eq!(tier, "exempt", "{m}");
        } else if r[1].starts_with("government") {
            assert_eq!(tier, "government", "{m}");
        } else {
            assert!(m.in_cn_2013_dining_entertainment(), "{m}");
        }
    }
    let listed: std::collections::BTreeSet<u16> = rows("cn_mcc_fee_tiers.tsv")
        .iter()
        .filter(|r| !r[1].starts_with("2013"))
        .map(|r| code(&r[0]).get())
        .collect();
    for c in (0..=9999u16).filter(|c| !listed.contains(c)) {
        assert_eq!(Mcc::new(c).unwrap().data_fee_tier().id(), "standard", "{c}");
    }
    for r in rows("cn_preferential_unverified.tsv") {
        assert_eq!(code(&r[0]).cn_fee_tier().id(), "preferential");
    }
    assert_eq!(code("5812").cn_fee_tier().id(), "standard");
}

#[test]
fn example_no_points_policy() {
    let rows = rows("cn_no_points_mcc_example_bank.tsv");
    assert_eq!(Policy::DEFAULT.no_points().len(), rows.len());
    assert_eq!(Policy::DEFAULT.no_points().iter().count(), rows.len());
    for r in rows {
        assert!(Policy::DEFAULT.earns_no_points(code(&r[0])));
    }
}

#[test]
fn groups_follow_the_group_file() {
    let rows = rows("cn_mcc_groups.tsv");
    let (singles, ranges): (Vec<_>, Vec<_>) = rows.iter().partition(|r| r[0] == r[1]);
    for c in 0..=9999u16 {
        let m = Mcc::new(c).unwrap();
        let want = singles
            .iter()
            .find(|r| code(&r[0]).get() == c)
            .or_else(|| {
                ranges
                    .iter()
                    .find(|r| code(&r[0]).get() <= c && c <= code(&r[1]).get())
            })
            .map_or("other", |r| r[2].as_str());
        assert_eq!(m.group().id(), want, "{m}");
    }
    assert_eq!(MccGroup::ALL.len(), 10);
}

#[test]
fn acquirers() {
    for r in rows("cn_acquirers.tsv") {
        let a = Acquirer::lookup(r[0].parse().unwrap()).unwrap();
        assert_eq!(a.kind().id(), r[1]);
        assert_eq!(a.name(), r[2]);
        assert_eq!(
            a.unionpay_institution_code()
                .map(|c| c.to_string())
                .unwrap_or_default(),
            r[3]
        );
    }
    assert!(Acquirer::lookup(999).is_none());
}

#[test]
fn regions() {
    let gb: Vec<_> = rows("gb2260_provinces.tsv");
    for r in rows("cn_unionpay_region_province_prefixes.tsv") {
        let (from, to): (u16, u16) = (r[0].parse().unwrap(), r[1].parse().unwrap());
        let gb_row = gb.iter().find(|g| g[2] == r[3]).unwrap();
        for prefix in from..=to {
            for suffix in [0, 10, 99] {
                let c = Region::new(prefix * 100 + suffix).unwrap().candidates();
                let up = c.unionpay.unwrap();
                assert_eq!(up.province().name_zh(), r[2]);
                assert_eq!(up.province().code().to_string(), gb_row[0]);
            }
        }
    }
    for r in &gb {
        let c = Region::new(r[0].parse::<u16>().unwrap() * 100 + 1)
            .unwrap()
            .candidates();
        assert_eq!(c.gb2260.unwrap().province().name_en(), r[2]);
    }
    for r in rows("cn_unionpay_region_selected_cities.tsv") {
        let c = r[0].parse::<Region>().unwrap().candidates();
        assert_eq!(c.unionpay.unwrap().city(), Some(r[1].as_str()));
    }
    for r in rows("gb2260_selected_prefectures.tsv") {
        let c = r[0].parse::<Region>().unwrap().candidates();
        assert_eq!(c.gb2260.unwrap().city(), Some(r[1].as_str()));
    }
    // Never "province = code / 100": 5840 is Shenzhen, Guangdong (GB 44), not province 58.
    let sz = Region::new(5840).unwrap().candidates();
    assert_eq!(sz.unionpay.unwrap().province().code(), 44);
    assert!(sz.gb2260.is_none() && !sz.is_ambiguous());
    assert!(Region::new(9500).unwrap().candidates().is_empty());
}
