//! `cardwire`: hex in, JSON out.
//!
//! Exit status: 0 on success, 2 with a one-line message on stderr for bad input.

mod input;
mod merchant;
mod tlv;

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
    /// UnionPay merchant numbers: decode and 跳码 checks; statement (对账单) audit.
    #[command(subcommand)]
    Merchant(Box<merchant::MerchantCommand>),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Tlv(cmd) => tlv::run(cmd),
        Command::Mcc(args) => merchant::run_mcc(args),
        Command::Merchant(cmd) => merchant::run(*cmd),
    };
    match result {
        Ok(output) => {
            println!("{output}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}
