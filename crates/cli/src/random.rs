//! Randomness from the operating system, for fill and padding the user did not supply.

pub use getrandom::SysRng as Os;

/// `N` random bytes.
pub fn bytes<const N: usize>() -> Result<[u8; N], String> {
    let mut out = [0u8; N];
    getrandom::fill(&mut out).map_err(|e| format!("random source: {e}"))?;
    Ok(out)
}
