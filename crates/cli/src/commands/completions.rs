//! `cmek completions SHELL`: the completion script for bash, zsh, fish, elvish or PowerShell.

use crate::args::Cli;
use crate::exit::{Outcome, OK};
use clap::CommandFactory;

pub fn run(shell: clap_complete::Shell) -> Outcome {
    clap_complete::generate(shell, &mut Cli::command(), "cmek", &mut std::io::stdout());
    Ok(OK)
}
