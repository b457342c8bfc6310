//! `kubemagic inventory list|host|graph|hosts`.

use crate::output::{CliError, Exit, OutputFormat};

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: Sub,
}

#[derive(clap::Subcommand)]
pub enum Sub {
    /// Like `ansible-inventory --list`.
    List,
}

pub fn run(_args: Args, _format: OutputFormat) -> Result<Exit, CliError> {
    Err(CliError::Input("not implemented yet".into()))
}
