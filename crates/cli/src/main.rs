//! `cardwire`: hex in, JSON out.
//!
//! Exit status: 0 on success, 1 when a verification command's check fails or when
//! `--fail-on` (merchant check, audit, reconcile) finds something at that severity, 2 with a
//! one-line message on stderr for bad input or usage. A closed standard output (`| head`)
//! ends the run quietly.

mod batch;
mod cvv;
mod docs;
mod dukpt;
mod emv;
mod input;
mod iso8583;
mod kcv;
mod keygen;
mod luhn;
mod mac;
mod merchant;
mod out;
mod pin;
mod pin_translate;
mod qr;
mod random;
mod sm;
mod tlv;
mod tlv_encode;
mod tr31;
mod track;
mod verdict;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Payment protocol tools: EMV TLV, ISO 8583, PIN and MAC cryptography, merchant checks.
#[derive(Debug, Parser)]
#[command(name = "cardwire", version, about)]
pub struct Cli {
    /// Print JSON on one line instead of indented.
    #[arg(long, global = true)]
    compact: bool,
    /// Decode each line of standard input; one line of JSON out per line (NDJSON).
    ///
    /// A bad line prints {"line": N, "error": …} and the run ends with status 2. For tlv
    /// decode, iso8583 decode, emv bits, qr decode, merchant check, mcc and luhn check.
    #[arg(long, global = true)]
    batch: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// BER-TLV (EMV) data.
    #[command(subcommand)]
    Tlv(tlv::TlvCommand),
    /// Merchant category code: ISO range, lists, description, business group, China fee tier.
    Mcc(merchant::MccArgs),
    /// UnionPay merchant numbers: decode and 跳码 checks; statement (对账单) audit;
    /// reconciliation of journal, statement and settlement.
    #[command(subcommand)]
    Merchant(Box<merchant::MerchantCommand>),
    /// ISO 9564-1 PIN blocks (formats 0 to 4).
    #[command(subcommand)]
    Pin(pin::PinCommand),
    /// DUKPT keys (TDES ANSI X9.24-1, AES ANSI X9.24-3).
    #[command(subcommand)]
    Dukpt(dukpt::DukptCommand),
    /// The MAC of some data.
    Mac(mac::MacArgs),
    /// A key check value.
    Kcv(kcv::KcvArgs),
    /// TR-31 key blocks.
    #[command(subcommand)]
    Tr31(tr31::Tr31Command),
    /// A card verification value (CVV/CVC; service code 000 for CVV2, 999 for iCVV), or
    /// its check with --verify.
    Cvv(cvv::CvvArgs),
    /// A Visa PIN verification value, or its check with --verify.
    Pvv(cvv::PvvArgs),
    /// IBM 3624 PIN verification: natural PIN, offset, check.
    #[command(subcommand)]
    Ibm3624(cvv::Ibm3624Command),
    /// The Luhn check digit of a card number.
    #[command(subcommand)]
    Luhn(luhn::LuhnCommand),
    /// Keys: generate one with its check value.
    #[command(subcommand)]
    Key(keygen::KeyCommand),
    /// The EMV application layer: bit fields, data object lists.
    #[command(subcommand)]
    Emv(emv::EmvCommand),
    /// EMV QR codes: merchant-presented, consumer-presented, UnionPay URL.
    #[command(subcommand)]
    Qr(qr::QrCommand),
    /// ISO 8583 messages (CUPS POS, ISO 8583:1987/1993).
    #[command(subcommand)]
    Iso8583(iso8583::Iso8583Command),
    /// SM3 hash (GB/T 32905).
    Sm3(sm::Sm3Args),
    /// SM4 block cipher (GB/T 32907): ECB/CBC, PIN blocks, CUPS field 62.
    #[command(subcommand)]
    Sm4(sm::Sm4Command),
    /// SM2 keys, signatures and encryption (GB/T 32918).
    #[command(subcommand)]
    Sm2(sm::Sm2Command),
    /// Remote key download: a terminal master key sealed to a device's SM2 key.
    #[command(subcommand)]
    Rkd(sm::RkdCommand),
    /// CUPS track data (fields 35, 36) enciphered in place under a TDES or SM4 track key.
    #[command(subcommand)]
    Track(track::TrackCommand),
    /// A shell completion script for cardwire, on standard output.
    Completions(docs::CompletionsArgs),
    /// The man page of cardwire (roff), on standard output; with --dir, one page per command.
    Man(docs::ManArgs),
}

/// What a command printed, and whether its verdict or findings fail the run (exit 1).
#[derive(Debug)]
pub struct Outcome {
    text: String,
    fail: bool,
}

impl From<String> for Outcome {
    fn from(text: String) -> Self {
        Self { text, fail: false }
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(&e),
    };
    if cli.batch {
        return batch::run(cli);
    }
    let compact = cli.compact;
    let (text, status) = match execute(cli.command) {
        Ok(outcome) => {
            let failed = outcome.fail || verdict::failed();
            (outcome.text, if failed { 1 } else { 0 })
        }
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(2);
        }
    };
    match out::line(&out::render(text, compact)) {
        Ok(()) | Err(out::Stopped::Closed) => ExitCode::from(status),
        Err(out::Stopped::Failed) => ExitCode::from(2),
    }
}

/// Runs one command.
fn execute(command: Command) -> Result<Outcome, String> {
    let text = match command {
        Command::Tlv(cmd) => tlv::run(cmd),
        Command::Mcc(args) => merchant::run_mcc(args),
        Command::Merchant(cmd) => return merchant::run(*cmd),
        Command::Pin(cmd) => pin::run(cmd),
        Command::Dukpt(cmd) => dukpt::run(cmd),
        Command::Mac(args) => mac::run(&args),
        Command::Kcv(args) => kcv::run(&args),
        Command::Tr31(cmd) => tr31::run(cmd),
        Command::Cvv(args) => cvv::run_cvv(&args),
        Command::Pvv(args) => cvv::run_pvv(&args),
        Command::Ibm3624(cmd) => cvv::run_ibm3624(cmd),
        Command::Luhn(cmd) => luhn::run(cmd),
        Command::Key(cmd) => keygen::run(cmd),
        Command::Emv(cmd) => emv::run(cmd),
        Command::Qr(cmd) => qr::run(cmd),
        Command::Iso8583(cmd) => iso8583::run(cmd),
        Command::Sm3(args) => sm::run_sm3(&args),
        Command::Sm4(cmd) => sm::run_sm4(cmd),
        Command::Rkd(cmd) => sm::run_rkd(cmd),
        Command::Track(cmd) => track::run(cmd),
        // A signature that does not verify prints its verdict and exits 1.
        Command::Sm2(cmd) => {
            return sm::run_sm2(cmd).map(|(text, verified)| Outcome {
                text,
                fail: !verified,
            });
        }
        Command::Completions(args) => docs::completions(&args),
        Command::Man(args) => docs::man(&args),
    }?;
    Ok(Outcome::from(text))
}

/// Help and version go to stdout as clap prints them; a usage mistake is bad input like any
/// other: one line on stderr naming what was wrong, exit status 2.
fn usage_error(e: &clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    let rendered = e.render().to_string();
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = out::line(rendered.trim_end());
            ExitCode::SUCCESS
        }
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = out::line(rendered.trim_end());
            ExitCode::from(2)
        }
        _ => {
            eprintln!("error: {} (see --help)", usage_line(&rendered));
            ExitCode::from(2)
        }
    }
}

/// clap's message up to its usage block, on one line: "the following required arguments
/// were not provided: --key <KEY>" keeps the names clap lists on the lines below it.
fn usage_line(rendered: &str) -> String {
    let parts: Vec<&str> = rendered
        .lines()
        .map(str::trim)
        .take_while(|l| !l.is_empty() && !l.starts_with("Usage:"))
        .collect();
    let line = parts.join(" ");
    let line = line.strip_prefix("error: ").unwrap_or(&line);
    if line.is_empty() {
        "invalid arguments".to_owned()
    } else {
        line.to_owned()
    }
}
