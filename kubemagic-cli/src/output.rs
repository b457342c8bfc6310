//! Output format, exit codes and error printing shared by every subcommand.

use kubemagic_core::{ErrorKind, KmError};
use std::io::Write;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

/// `-o/--output` as typed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputArg {
    /// For people: aligned, grouped, coloured on a terminal.
    Text,
    /// For scripts: one JSON document on stdout.
    Json,
    /// The same document as `json`, encoded as YAML (kubectl's `-o yaml`).
    Yaml,
    /// Monitoring Plugins output: one status line, perfdata, exit 0-3.
    /// A protocol rather than a document, spoken by the commands a
    /// monitoring system runs; others refuse it.
    Nagios,
}

impl OutputArg {
    /// The format a command decides on (text for `nagios`: its errors are
    /// printed by the command itself).
    pub fn format(self) -> OutputFormat {
        match self {
            OutputArg::Json | OutputArg::Yaml => OutputFormat::Json,
            OutputArg::Text | OutputArg::Nagios => OutputFormat::Text,
        }
    }
}

/// What a command prints: text, or a document (JSON or YAML, chosen once
/// in [`configure`] and applied by [`print_json`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputFormat {
    /// Text for people.
    Text,
    /// A document for scripts.
    Json,
}

/// Process-wide printing settings, set once from the global flags.
#[derive(Debug, Clone, Copy)]
struct Settings {
    yaml: bool,
    quiet: bool,
    verbose: u8,
}

static SETTINGS: OnceLock<Settings> = OnceLock::new();

fn settings() -> Settings {
    SETTINGS.get().copied().unwrap_or(Settings {
        yaml: false,
        quiet: false,
        verbose: 0,
    })
}

/// Records the global flags and returns the format commands decide on.
pub fn configure(arg: OutputArg, quiet: bool, verbose: u8) -> OutputFormat {
    let _ = SETTINGS.set(Settings {
        yaml: arg == OutputArg::Yaml,
        quiet,
        verbose,
    });
    arg.format()
}

/// `-q`: headers and progress are left out.
pub fn quiet() -> bool {
    settings().quiet
}

/// `-v` (count): how much more to say.
pub fn verbose() -> u8 {
    settings().verbose
}

/// Set once stdout's reader has gone away (`kubemagic check SITE | head -1`).
static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);

/// Standard output for every command. When the reader goes away (EPIPE;
/// Rust ignores SIGPIPE, so the write fails instead of killing us) the rest
/// of the output is dropped quietly and the command carries on to the exit
/// code its result deserves: 1 when the site has errors, whatever `head`
/// read. A pipeline under `set -o pipefail` must not turn errors into 0
/// (or into a "cannot write output" exit 2).
pub struct Stdout(std::io::StdoutLock<'static>);

/// The process's [`Stdout`].
pub fn stdout() -> Stdout {
    Stdout(std::io::stdout().lock())
}

/// Whether stdout's reader went away during this run.
pub fn stdout_closed() -> bool {
    STDOUT_CLOSED.load(Ordering::Relaxed)
}

fn swallow_epipe<T>(r: std::io::Result<T>, closed: T) -> std::io::Result<T> {
    match r {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
            STDOUT_CLOSED.store(true, Ordering::Relaxed);
            Ok(closed)
        }
        other => other,
    }
}

impl Write for Stdout {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if stdout_closed() {
            return Ok(buf.len());
        }
        let r = self.0.write(buf);
        swallow_epipe(r, buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if stdout_closed() {
            return Ok(());
        }
        let r = self.0.flush();
        swallow_epipe(r, ())
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
    /// A code fixed by another protocol (Nagios plugins: 0–3).
    Code(u8),
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> ExitCode {
        ExitCode::from(match e {
            Exit::Ok => 0,
            Exit::Failed => 1,
            Exit::Usage => 2,
            Exit::Code(c) => c,
        })
    }
}

/// Errors a command returns. `Input` (bad files, bad arguments) exits 2,
/// `Failed` (an operation against a live system failed) exits 1, and a
/// library error says which it is through the one error contract
/// ([`kubemagic_core::KmError`]), with its file and line.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("{0}")]
    Input(String),
    #[error("{0}")]
    Failed(String),
    #[error("{0}")]
    Lib(Box<dyn KmError + Send + Sync>),
    #[error("cannot write output: {0}")]
    Io(#[from] std::io::Error),
    #[error("cannot serialise output: {0}")]
    Json(#[from] serde_json::Error),
}

impl CliError {
    /// Any library error, kept whole: its kind decides the exit code.
    pub fn lib(e: impl KmError + Send + Sync + 'static) -> CliError {
        CliError::Lib(Box::new(e))
    }
}

impl From<kubemagic_inventory::InventoryError> for CliError {
    fn from(e: kubemagic_inventory::InventoryError) -> Self {
        CliError::lib(e)
    }
}

impl From<kubemagic_site::site::SiteError> for CliError {
    fn from(e: kubemagic_site::site::SiteError) -> Self {
        CliError::lib(e)
    }
}

impl Exit {
    /// The exit code of an error: [`kubemagic_core::ErrorKind::exit_code`]
    /// for library errors, so the CLI and Python never disagree.
    pub fn from_error(e: &CliError) -> Exit {
        match e {
            CliError::Failed(_) | CliError::Io(_) => Exit::Failed,
            CliError::Lib(e) => match e.kind() {
                ErrorKind::Input => Exit::Usage,
                ErrorKind::Failure => Exit::Failed,
            },
            _ => Exit::Usage,
        }
    }
}

pub fn print_error(e: &CliError, format: OutputFormat) {
    match format {
        OutputFormat::Json => {
            let (file, line) = match e {
                CliError::Lib(le) => (le.file().map(|p| p.display().to_string()), le.line()),
                _ => (None, None),
            };
            let message = kubemagic_core::redact(&e.to_string()).into_owned();
            let v = serde_json::json!({"error": {"message": message, "file": file, "line": line}});
            eprintln!("{v}");
        }
        OutputFormat::Text => {
            eprintln!(
                "kubemagic: error: {}",
                kubemagic_core::redact(&e.to_string())
            );
            // -v: the chain of causes (a TLS error under a connect error...).
            if verbose() > 0 {
                let mut cause = match e {
                    CliError::Lib(le) => le.source(),
                    other => std::error::Error::source(other),
                };
                while let Some(c) = cause {
                    eprintln!("  caused by: {}", kubemagic_core::redact(&c.to_string()));
                    cause = c.source();
                }
            }
        }
    }
}

/// Prints a report as a JSON document on stdout, pretty and
/// newline-terminated, through the shared redaction: a report quotes URLs
/// and commands that may carry credentials. (Inventory exports print
/// Ansible's output unredacted, as Ansible does, and do not come here.)
pub fn print_json<T: serde::Serialize>(value: &T) -> Result<(), CliError> {
    let mut value = serde_json::to_value(value)?;
    kubemagic_core::redact::redact_json(&mut value);
    let mut lock = stdout();
    if settings().yaml {
        let text = serde_yaml_ng::to_string(&value)
            .map_err(|e| CliError::Failed(format!("cannot encode YAML: {e}")))?;
        lock.write_all(text.as_bytes())?;
        return Ok(());
    }
    serde_json::to_writer_pretty(&mut lock, &value)?;
    writeln!(lock)?;
    Ok(())
}
