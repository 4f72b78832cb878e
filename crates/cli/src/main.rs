//! `cardwire`: hex in, JSON out.
//!
//! Exit status: 0 on success, 1 when a verification command's check fails or when
//! `merchant reconcile --fail-on` finds something at that severity, 2 with a one-line
//! message on stderr for bad input.

mod cvv;
mod dukpt;
mod emv;
mod input;
mod iso8583;
mod kcv;
mod keygen;
mod luhn;
mod mac;
mod merchant;
mod pin;
mod pin_translate;
mod qr;
mod random;
mod sm;
mod tlv;
mod tlv_encode;
mod tr31;
mod verdict;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Payment protocol tools: EMV TLV, ISO 8583, PIN and MAC cryptography, merchant checks.
#[derive(Debug, Parser)]
#[command(name = "cardwire", version, about)]
struct Cli {
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
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(&e),
    };
    let result = match cli.command {
        Command::Tlv(cmd) => tlv::run(cmd),
        Command::Mcc(args) => merchant::run_mcc(args),
        Command::Merchant(cmd) => match merchant::run(*cmd) {
            // `reconcile --fail-on`: the report is printed and the status says it failed.
            Ok(merchant::Output { text, fail: true }) => {
                println!("{text}");
                return ExitCode::from(1);
            }
            other => other.map(|o| o.text),
        },
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
        // A signature that does not verify prints its verdict and exits 1.
        Command::Sm2(cmd) => match sm::run_sm2(cmd) {
            Ok((output, false)) => {
                println!("{output}");
                return ExitCode::from(1);
            }
            result => result.map(|(output, _)| output),
        },
    };
    match result {
        Ok(output) => {
            println!("{output}");
            if verdict::failed() {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}

/// Help and version go to stdout as clap prints them; a usage mistake is one line on stderr
/// and exit status 2, like every other bad input.
fn usage_error(e: &clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion)
        || e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    {
        print!("{e}");
        return if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
            ExitCode::from(2)
        } else {
            ExitCode::SUCCESS
        };
    }
    let rendered = e.render().to_string();
    let first = rendered.lines().next().unwrap_or("invalid arguments");
    let line = first.strip_prefix("error: ").unwrap_or(first);
    eprintln!("error: {line} (see --help)");
    ExitCode::from(2)
}
