//! Output format, exit codes and error printing shared by every subcommand.

use std::process::ExitCode;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    Text,
    Json,
}

/// `--output` as typed: `yaml` is the YAML stream of `ceph render` only;
/// every other command sees [`OutputFormat`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputArg {
    Text,
    Json,
    Yaml,
}

impl OutputArg {
    /// The format of commands without YAML output (errors print as text).
    pub fn format(self) -> OutputFormat {
        match self {
            OutputArg::Json => OutputFormat::Json,
            OutputArg::Text | OutputArg::Yaml => OutputFormat::Text,
        }
    }
}

/// What a command asks the process to exit with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// 0: success.
    Ok,
    /// 1: findings with errors, or an operation that failed.
    Failed,
    /// 2: usage or input error.
    Usage,
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> ExitCode {
        ExitCode::from(match e {
            Exit::Ok => 0,
            Exit::Failed => 1,
            Exit::Usage => 2,
        })
    }
}

/// Errors a command returns. `Input` (bad files, bad arguments) exits 2,
/// `Failed` (an operation against a live system failed) exits 1.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("{0}")]
    Input(String),
    #[error("{0}")]
    Failed(String),
    #[error(transparent)]
    Inventory(#[from] kubemagic_inventory::InventoryError),
    #[error(transparent)]
    Site(#[from] kubemagic_site::site::SiteError),
    #[error("cannot write output: {0}")]
    Io(#[from] std::io::Error),
    #[error("cannot serialise output: {0}")]
    Json(#[from] serde_json::Error),
}

impl Exit {
    pub fn from_error(e: &CliError) -> Exit {
        match e {
            CliError::Failed(_) | CliError::Io(_) => Exit::Failed,
            _ => Exit::Usage,
        }
    }
}

pub fn print_error(e: &CliError, format: OutputFormat) {
    match format {
        OutputFormat::Json => {
            let (file, line) = match e {
                CliError::Inventory(ie) => (ie.file().map(|p| p.display().to_string()), ie.line()),
                CliError::Site(se) => (se.file().map(|p| p.display().to_string()), se.line()),
                _ => (None, None),
            };
            let v = serde_json::json!({"error": {"message": e.to_string(), "file": file, "line": line}});
            eprintln!("{v}");
        }
        OutputFormat::Text => eprintln!("kubemagic: error: {e}"),
    }
}

/// Prints a JSON document on stdout, pretty and newline-terminated.
pub fn print_json<T: serde::Serialize>(value: &T) -> Result<(), CliError> {
    use std::io::Write;
    let stdout = std::io::stdout();
    let mut lock = stdout.lock();
    serde_json::to_writer_pretty(&mut lock, value)?;
    writeln!(lock)?;
    Ok(())
}
