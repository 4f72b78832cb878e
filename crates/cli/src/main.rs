//! `cardwire`: hex in, JSON out.
//!
//! Exit status: 0 on success, 2 with a one-line message on stderr for bad input.

mod emv;
mod input;
mod qr;
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
    /// The EMV application layer: bit fields, data object lists.
    #[command(subcommand)]
    Emv(emv::EmvCommand),
    /// EMV QR codes: merchant-presented, consumer-presented, UnionPay URL.
    #[command(subcommand)]
    Qr(qr::QrCommand),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Tlv(cmd) => tlv::run(cmd),
        Command::Emv(cmd) => emv::run(cmd),
        Command::Qr(cmd) => qr::run(cmd),
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
