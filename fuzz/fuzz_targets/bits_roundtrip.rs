//! Every bit-field type decodes any bytes of its length and is rebuilt from its decoded parts
//! (named flags, fields and unnamed bits; CVM rules; terminal type; issuer application data)
//! into exactly the same bytes.
#![no_main]

use cardwire_emv::bits::{
    AdditionalTerminalCapabilities, Aip, Auc, BitField, CcdCvr, Cid, Ctq, CvmList, CvmResults,
    CvmRule, Iad, IadLayout, MchipCvr, TerminalCapabilities, TerminalType, Tsi, Ttq, Tvr, VisaCvr,
};
use libfuzzer_sys::fuzz_target;

fn flags<B: BitField + Default + PartialEq + core::fmt::Debug>(data: &[u8]) {
    let Some(bytes) = data.get(..B::LEN) else {
        return;
    };
    let value = B::from_bytes(bytes).unwrap();
    assert_eq!(value.as_bytes(), bytes);
    let mut rebuilt = B::default();
    for f in value.flags() {
        rebuilt.set(f, true);
    }
    for f in B::FIELDS {
        rebuilt.set_field(*f, value.field(*f)).unwrap();
    }
    for (byte, bit) in value.unnamed_bits() {
        let index = usize::from(byte - 1) * 8 + usize::from(8 - bit);
        rebuilt.bits_mut().set(index, true);
    }
    assert_eq!(rebuilt, value);
    assert!(B::from_bytes(&data[..B::LEN.min(data.len()).saturating_sub(1)]).is_err());
}

fuzz_target!(|data: &[u8]| {
    flags::<Tvr>(data);
    flags::<Tsi>(data);
    flags::<Aip>(data);
    flags::<Auc>(data);
    flags::<TerminalCapabilities>(data);
    flags::<AdditionalTerminalCapabilities>(data);
    flags::<Ttq>(data);
    flags::<Ctq>(data);
    flags::<Cid>(data);
    flags::<VisaCvr>(data);
    flags::<MchipCvr>(data);
    flags::<CcdCvr>(data);

    if let Some(&b) = data.first() {
        let cid = Cid::from_bytes(&[b]).unwrap();
        let again = Cid::new(
            cid.cryptogram_type(),
            cid.field(cardwire_emv::bits::cid::PAYMENT_SYSTEM),
            cid.advice_required(),
            cid.reason(),
        )
        .unwrap();
        assert_eq!(again, cid);
        if let Ok(t) = TerminalType::from_byte(b) {
            assert_eq!(t.to_byte(), b);
        }
    }
    if let Ok(list) = CvmList::parse(data) {
        let rules: Vec<CvmRule> = list
            .rules()
            .map(|r| CvmRule::new(r.method(), r.apply_next_if_unsuccessful(), r.condition()))
            .collect();
        let mut out = vec![0u8; data.len()];
        let n = CvmList::encode(list.amount_x(), list.amount_y(), &rules, &mut out).unwrap();
        // Rules rebuilt from their parts lose only an RFU bit 8 of the code byte.
        let masked: Vec<u8> = data
            .iter()
            .enumerate()
            .map(|(i, &b)| if i >= 8 && i % 2 == 0 { b & 0x7F } else { b })
            .collect();
        assert_eq!(&out[..n], &masked[..]);
    }
    if let Some(bytes) = data.get(..3) {
        let r = CvmResults::from_bytes(bytes).unwrap();
        assert_eq!(CvmResults::new(r.rule(), r.outcome()).to_bytes(), bytes);
    }
    let mut out = vec![0u8; data.len()];
    let parsed = [
        Iad::parse(data),
        Iad::parse_as(data, IadLayout::Visa),
        Iad::parse_as(data, IadLayout::Mchip),
        Iad::parse_as(data, IadLayout::Ccd),
    ];
    for iad in parsed.into_iter().flatten() {
        let n = iad.encode(&mut out).unwrap();
        assert_eq!(&out[..n], data);
        assert_eq!(iad.encoded_len(), data.len());
    }
});
