//! `cardwire completions SHELL` and `cardwire man`: generated from the clap definitions, so
//! they never disagree with the commands.

use clap::{Args, CommandFactory};
use clap_complete::Shell;

use crate::Cli;

/// `cardwire completions SHELL`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// bash, zsh, fish, elvish or powershell.
    shell: Shell,
}

/// `cardwire man`.
#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write cardwire.1 and one page per subcommand (cardwire-tlv-decode.1, …) into this
    /// directory instead of printing the top page.
    #[arg(long, value_name = "DIR")]
    dir: Option<String>,
}

pub fn completions(args: &CompletionsArgs) -> Result<String, String> {
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "cardwire", &mut script);
    String::from_utf8(script)
        .map(|s| s.trim_end().to_owned())
        .map_err(|e| format!("completion script: {e}"))
}

pub fn man(args: &ManArgs) -> Result<String, String> {
    let command = Cli::command();
    if let Some(dir) = &args.dir {
        std::fs::create_dir_all(dir).map_err(|e| format!("{dir}: {e}"))?;
        clap_mangen::generate_to(command, dir).map_err(|e| format!("{dir}: {e}"))?;
        return Ok(format!("man pages written to {dir}"));
    }
    let mut page = Vec::new();
    clap_mangen::Man::new(command)
        .render(&mut page)
        .map_err(|e| format!("man page: {e}"))?;
    String::from_utf8(page)
        .map(|s| s.trim_end().to_owned())
        .map_err(|e| format!("man page: {e}"))
}
