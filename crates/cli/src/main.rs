//! `cardwire`: hex in, JSON out.
//!
//! Exit status: 0 on success, 2 with a one-line message on stderr for bad input.

mod input;
mod iso8583;
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
    /// ISO 8583 messages (CUPS POS, ISO 8583:1987/1993).
    #[command(subcommand)]
    Iso8583(iso8583::Iso8583Command),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Tlv(cmd) => tlv::run(cmd),
        Command::Iso8583(cmd) => iso8583::run(cmd),
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
