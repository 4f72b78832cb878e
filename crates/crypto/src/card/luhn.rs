//! The Luhn check digit of a card number (ISO/IEC 7812-1 annex B, "modulus 10, double add
//! double"): every second digit from the right, starting with the one left of the check
//! digit, is doubled and its digits summed.
//!
//! ```
//! use cardwire_crypto::card::luhn;
//!
//! assert_eq!(luhn::check_digit("401234567890")?, 9);
//! luhn::verify("4012345678909")?; // the X9.24 example PAN
//! assert!(luhn::verify("4012345678908").is_err());
//! # Ok::<(), cardwire_crypto::Error>(())
//! ```

use crate::error::{Error, ErrorKind, Result};

/// Longest number checked here: a PAN of 19 digits.
const MAX_DIGITS: usize = 19;

/// The Luhn sum of `digits` (ASCII), the rightmost counted as a payload digit when
/// `rightmost_doubled` (the number has no check digit yet) and as the check digit
/// otherwise.
fn sum(digits: &[u8], rightmost_doubled: bool) -> Result<u32> {
    if digits.is_empty() || digits.len() > MAX_DIGITS {
        return Err(ErrorKind::PanLength { len: digits.len() }.into());
    }
    let mut total = 0u32;
    for (i, c) in digits.iter().enumerate().rev() {
        let d = u32::from(c.wrapping_sub(b'0'));
        if d > 9 {
            return Err(Error::at(ErrorKind::InvalidDigit, i));
        }
        let from_right = digits.len() - 1 - i;
        let doubled = from_right.is_multiple_of(2) == rightmost_doubled;
        total += if doubled {
            (2 * d) / 10 + (2 * d) % 10
        } else {
            d
        };
    }
    Ok(total)
}

/// The check digit to append to `payload` (1 to 19 ASCII digits).
pub fn check_digit(payload: &str) -> Result<u8> {
    let s = sum(payload.as_bytes(), true)?;
    // `(10 - s % 10) % 10` is below 10: one digit.
    #[allow(clippy::cast_possible_truncation)]
    let digit = ((10 - s % 10) % 10) as u8;
    Ok(digit)
}

/// Whether `number` (1 to 19 ASCII digits, the last being the check digit) passes the
/// Luhn check.
pub fn is_valid(number: &str) -> Result<bool> {
    Ok(sum(number.as_bytes(), false)?.is_multiple_of(10))
}

/// `Ok` when `number` passes the Luhn check, [`ErrorKind::Verification`] when it does not.
pub fn verify(number: &str) -> Result<()> {
    if is_valid(number)? {
        Ok(())
    } else {
        Err(ErrorKind::Verification.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_numbers() {
        // ISO/IEC 7812-1 annex B style examples and well-known test PANs.
        for pan in [
            "79927398713",
            "4111111111111111",
            "5500005555555559",
            "4012345678909",
        ] {
            assert!(is_valid(pan).unwrap(), "{pan}");
            let (payload, check) = pan.split_at(pan.len() - 1);
            assert_eq!(alloc::format!("{}", check_digit(payload).unwrap()), check);
        }
        assert!(!is_valid("79927398710").unwrap());
        assert_eq!(check_digit("0").unwrap(), 0);
        assert!(is_valid("").is_err());
        assert_eq!(is_valid("4111x").unwrap_err().offset(), Some(4));
        assert!(is_valid("12345678901234567890").is_err());
    }
}
