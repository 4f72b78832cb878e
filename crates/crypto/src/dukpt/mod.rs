//! Derived Unique Key Per Transaction: TDES DUKPT (ANSI X9.24-1:2009) and AES DUKPT
//! (ANSI X9.24-3-2017), host side (any key from the base derivation key and a KSN) and
//! terminal side (the register algorithm a PIN pad runs, which never holds the base key).
//!
//! Both schemes number transactions with a counter whose values may have only a limited
//! number of one-bits (TDES: 10 of 21 bits; AES: 16 of 32); a terminal skips the others, and
//! host-side parsing rejects them.

/// `TryFrom`/`From` byte arrays (parsing checks the counter), and `Debug`/`Display` as hex,
/// for the `Ksn` type of `$n` bytes in the calling module.
macro_rules! ksn_common {
    ($n:literal, counter_at: $at:literal) => {
        impl Ksn {
            /// Parses `$n` bytes, refusing a counter with more than `MAX_COUNTER_ONES`
            /// one-bits (reported at the counter's first byte, `$at`).
            fn checked(bytes: &[u8]) -> Result<Self> {
                let ksn: [u8; $n] = bytes
                    .try_into()
                    .map_err(|_| Error::new(ErrorKind::Length { len: bytes.len() }))?;
                let ksn = Self(ksn);
                if ksn.counter().count_ones() > MAX_COUNTER_ONES {
                    return Err(Error::at(ErrorKind::KsnCounter, $at));
                }
                Ok(ksn)
            }
        }

        impl Ksn {
            #[doc = concat!("Parses a KSN from ", stringify!($n), " bytes of hex (either case), checked like [`Ksn::from_bytes`].")]
            pub fn from_hex(hex: &str) -> Result<Self> {
                let mut bytes = [0u8; $n];
                let len = crate::hex::decode_prefix(hex, &mut bytes)?;
                if len.get() != $n {
                    return Err(Error::new(ErrorKind::Length { len: len.get() }));
                }
                Self::from_bytes(&bytes)
            }
        }

        impl core::str::FromStr for Ksn {
            type Err = Error;
            fn from_str(hex: &str) -> Result<Self> {
                Self::from_hex(hex)
            }
        }

        impl TryFrom<[u8; $n]> for Ksn {
            type Error = Error;
            fn try_from(bytes: [u8; $n]) -> Result<Self> {
                Self::from_bytes(&bytes)
            }
        }

        impl From<Ksn> for [u8; $n] {
            fn from(ksn: Ksn) -> Self {
                ksn.0
            }
        }

        impl fmt::Debug for Ksn {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "Ksn({self})")
            }
        }

        impl fmt::Display for Ksn {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.iter().try_for_each(|b| write!(f, "{b:02X}"))
            }
        }
    };
}
use ksn_common;

pub mod aes;
mod registers;
pub mod tdes;

/// The next counter a terminal uses after `counter`, skipping values with more than
/// `max_ones` one-bits; `None` when the `width`-bit counter is exhausted.
pub(crate) fn next_counter(counter: u64, width: u32, max_ones: u32) -> Option<u64> {
    let next = if counter.count_ones() < max_ones {
        counter + 1
    } else {
        // Adding the lowest set bit carries past the run of ones: the smallest larger value
        // with no more one-bits than allowed.
        counter + (counter & counter.wrapping_neg())
    };
    (next < (1u64 << width)).then_some(next)
}

#[cfg(test)]
mod tests {
    use super::next_counter;

    #[test]
    fn skips_counters_with_too_many_ones() {
        // X9.24-1:2009 A.4.3 rollover sequence.
        let seq = [
            0x0F_F800, 0x0F_F801, 0x0F_F802, 0x0F_F804, 0x0F_F808, 0x0F_F810, 0x0F_F820, 0x0F_F840,
            0x0F_F880, 0x0F_F900, 0x0F_FA00, 0x0F_FC00, 0x10_0000,
        ];
        for pair in seq.windows(2) {
            assert_eq!(next_counter(pair[0], 21, 10), Some(pair[1]));
        }
        assert_eq!(next_counter(0x1F_F800, 21, 10), None);
        // X9.24-3: 0x1FFFF has 17 one-bits and is skipped; 0xFFFF0000 is the last counter.
        assert_eq!(next_counter(0x1_FFFE, 32, 16), Some(0x2_0000));
        assert_eq!(next_counter(0xFFFF_0000, 32, 16), None);
    }
}
