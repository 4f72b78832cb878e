//! `--batch`: a decoding command run once per line of standard input, each answer one line
//! of JSON (NDJSON). A bad line answers {"line": N, "error": …} so that the output stays in
//! step with the input, and the run ends with status 2.

use std::io::BufRead;
use std::process::ExitCode;

use clap::Parser;
use serde_json::json;

use crate::emv::EmvCommand;
use crate::iso8583::Iso8583Command;
use crate::luhn::LuhnCommand;
use crate::merchant::MerchantCommand;
use crate::qr::QrCommand;
use crate::tlv::TlvCommand;
use crate::{Cli, Command, input, out, verdict};

/// The commands `--batch` takes, for the usage error.
const BATCH_COMMANDS: &str =
    "tlv decode, iso8583 decode, emv bits, qr decode, merchant check, mcc, luhn check";

/// The positional input of a command that decodes one value, if `command` is one.
fn positional(command: &Command) -> Option<&str> {
    match command {
        Command::Tlv(TlvCommand::Decode { hex, .. }) => Some(hex),
        Command::Iso8583(Iso8583Command::Decode { hex, .. }) => Some(hex),
        Command::Emv(EmvCommand::Bits { hex, .. }) => Some(hex),
        Command::Qr(QrCommand::Decode { payload, .. }) => Some(payload),
        Command::Merchant(cmd) => match &**cmd {
            MerchantCommand::Check { merchant_no, .. } => Some(merchant_no),
            _ => None,
        },
        Command::Mcc(args) => Some(&args.code),
        Command::Luhn(LuhnCommand::Check { number }) => Some(number),
        _ => None,
    }
}

/// Runs the command of `cli` on each line of standard input.
pub fn run(cli: Cli) -> ExitCode {
    match positional(&cli.command) {
        None => {
            eprintln!("error: --batch works with {BATCH_COMMANDS} (see --help)");
            return ExitCode::from(2);
        }
        Some(input) if input != "-" => {
            eprintln!(
                "error: --batch reads its inputs from standard input: leave out {input:?} \
                 (see --help)"
            );
            return ExitCode::from(2);
        }
        Some(_) => {}
    }
    let mut bad_line = false;
    let mut write_failed = false;
    let mut fail = false;
    for (index, line) in std::io::stdin().lock().lines().enumerate() {
        let number = index + 1;
        let line = match line {
            Ok(line) => line,
            Err(e) => {
                eprintln!("error: reading stdin line {number}: {e}");
                return ExitCode::from(2);
            }
        };
        if line.trim().is_empty() {
            continue;
        }
        // Each line gets the command afresh: running one consumes its arguments.
        let command = match Cli::try_parse() {
            Ok(cli) => cli.command,
            Err(e) => return crate::usage_error(&e),
        };
        input::set_line(&line);
        let result = crate::execute(command);
        input::clear_line();
        let text = match result {
            Ok(outcome) => {
                fail |= outcome.fail;
                out::render(outcome.text, true)
            }
            Err(message) => {
                bad_line = true;
                json!({ "line": number, "error": message }).to_string()
            }
        };
        match out::line(&text) {
            Ok(()) => {}
            Err(out::Stopped::Closed) => break,
            Err(out::Stopped::Failed) => {
                write_failed = true;
                break;
            }
        }
    }
    if bad_line || write_failed {
        ExitCode::from(2)
    } else if fail || verdict::failed() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
