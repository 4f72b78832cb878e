//! Scanning bytes for card data and keys: what a database file, a log or a statement must
//! never contain, in every form it could be written in.

use crate::{Fixtures, TEST_KEK};

/// One secret in one encoding, and a name for the failure message.
#[derive(Clone, Debug)]
pub struct Needle {
    /// What it is (`"PAN 6225…5675 as BCD"`), never the secret itself.
    pub what: String,
    /// The bytes to look for.
    pub bytes: Vec<u8>,
}

/// Every card number of the fixtures (ASCII, packed BCD) and every key (raw bytes, upper- and
/// lower-case hex): the terminals' master keys, the issuer's keys and the test KEK.
pub fn secrets(fx: &Fixtures) -> Vec<Needle> {
    let mut out = Vec::new();
    for c in &fx.cards {
        let masked = format!("PAN of {}", c.id);
        out.push(Needle {
            what: format!("{masked} as text"),
            bytes: c.pan.as_bytes().to_vec(),
        });
        out.push(Needle {
            what: format!("{masked} as BCD"),
            bytes: bcd(&c.pan),
        });
    }
    let mut keys: Vec<(String, Vec<u8>)> = fx
        .terminals
        .iter()
        .map(|t| (format!("TMK of {}", t.terminal_id), t.tmk.expose().to_vec()))
        .collect();
    keys.push(("IMK-AC".into(), fx.registry.issuer.imk_ac.expose().to_vec()));
    keys.push(("PVK".into(), fx.registry.issuer.pvk.expose().to_vec()));
    keys.push(("test KEK".into(), TEST_KEK.to_vec()));
    for (name, raw) in keys {
        let upper: String = raw.iter().map(|b| format!("{b:02X}")).collect();
        out.push(Needle {
            what: format!("{name} as hex"),
            bytes: upper.clone().into_bytes(),
        });
        out.push(Needle {
            what: format!("{name} as lower-case hex"),
            bytes: upper.to_lowercase().into_bytes(),
        });
        out.push(Needle {
            what: format!("{name} raw"),
            bytes: raw,
        });
    }
    out
}

/// The secrets of [`secrets`] found in `haystack` (empty: none).
pub fn found(haystack: &[u8], needles: &[Needle]) -> Vec<String> {
    needles
        .iter()
        .filter(|n| !n.bytes.is_empty() && haystack.windows(n.bytes.len()).any(|w| w == n.bytes))
        .map(|n| n.what.clone())
        .collect()
}

/// A digit string packed two digits a byte (an odd length padded with `F`, as field 2 is).
fn bcd(digits: &str) -> Vec<u8> {
    let d: Vec<u8> = digits.bytes().map(|c| c - b'0').collect();
    d.chunks(2)
        .map(|p| (p[0] << 4) | p.get(1).copied().unwrap_or(0x0F))
        .collect()
}
