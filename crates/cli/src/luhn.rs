//! `cardwire luhn`: the Luhn check digit of a card number. The number itself is never
//! printed.

use cardwire_crypto::card::luhn;
use clap::Subcommand;
use serde_json::{Map, Value};

use crate::{input, verdict};

#[derive(Debug, Subcommand)]
pub enum LuhnCommand {
    /// Check a number whose last digit is its check digit: prints {"valid": …, …}, exit 1
    /// when the check digit is wrong.
    Check {
        /// The number (PAN), 2 to 19 digits; `-` or left out: standard input.
        #[arg(default_value = "-")]
        number: String,
    },
    /// The check digit to append to a number.
    Digit {
        /// The number without its check digit, 1 to 18 digits.
        payload: String,
    },
}

pub fn run(cmd: LuhnCommand) -> Result<String, String> {
    match cmd {
        LuhnCommand::Check { number } => {
            let number = input::word(&number)?;
            let number = crate::cvv::digits(&number, "PAN", 2, 19)?;
            let valid = luhn::is_valid(number).map_err(|e| format!("PAN: {e}"))?;
            let (payload, given) = number.split_at(number.len() - 1);
            let expected = luhn::check_digit(payload).map_err(|e| format!("PAN: {e}"))?;
            let mut extra = Map::new();
            extra.insert("check_digit".into(), Value::String(given.to_owned()));
            extra.insert(
                "expected_check_digit".into(),
                Value::String(expected.to_string()),
            );
            verdict::report("valid", valid, extra)
        }
        LuhnCommand::Digit { payload } => {
            let payload = crate::cvv::digits(&payload, "number", 1, 18)?;
            luhn::check_digit(payload)
                .map(|d| d.to_string())
                .map_err(|e| format!("number: {e}"))
        }
    }
}
