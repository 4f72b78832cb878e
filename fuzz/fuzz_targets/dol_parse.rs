//! Any bytes as a DOL: parsing never panics; a valid DOL assembles exactly `data_len` bytes
//! from any values, and its entries re-encode to the same bytes.
#![no_main]

use cardwire_emv::dol::Dol;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The first byte splits the input into a DOL and a pool of values.
    let (split, rest) = match data.split_first() {
        Some((s, r)) => (usize::from(*s).min(r.len()), r),
        None => return,
    };
    let (list, pool) = rest.split_at(split);
    let Ok(dol) = Dol::new(list) else { return };
    let mut encoded = Vec::new();
    for e in dol.iter() {
        encoded.extend_from_slice(&e.tag().to_bytes());
        encoded.push(u8::try_from(e.len()).unwrap());
    }
    assert_eq!(encoded, list);
    assert_eq!(dol.iter().count(), dol.len());
    let mut out = vec![0xEEu8; dol.data_len()];
    // Values of varying lengths drawn from the pool, some tags missing.
    let mut i = 0;
    let n = dol
        .build(
            |_| {
                i += 1;
                let len = i % 7 * 3 % (pool.len() + 1);
                (i % 5 != 0).then(|| &pool[..len])
            },
            &mut out,
        )
        .unwrap();
    assert_eq!(n, dol.data_len());
    if dol.data_len() > 0 {
        let mut small = vec![0u8; dol.data_len() - 1];
        assert!(dol.build(|_| None, &mut small).is_err());
    }
});
