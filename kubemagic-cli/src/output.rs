//! Output format, exit codes and error printing shared by every subcommand.

use kubemagic_core::{ErrorKind, KmError, RedactingWriter, Redactor};
use std::io::Write;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

/// The process-wide redaction: the patterns, plus the secrets a command
/// learnt from its arguments (the etcd commands: the credentials of the
/// endpoints as typed). Set once, before anything is printed; every
/// writer below and the error printer use it.
static REDACTOR: OnceLock<Redactor> = OnceLock::new();

/// Records the secrets to mask in everything printed from now on (first
/// call wins).
pub fn set_redactor(r: Redactor) {
    let _ = REDACTOR.set(r);
}

/// The process-wide redactor ([`Redactor::default`] until one is set).
pub fn redactor() -> Redactor {
    REDACTOR.get().cloned().unwrap_or_default()
}

/// Standard output, through the process-wide redaction: where reports go
/// (EPIPE-safe: see [`Stdout`]).
pub fn stdout() -> RedactingWriter<Stdout> {
    RedactingWriter::new(raw_stdout(), redactor())
}

/// Standard error, through the process-wide redaction: where errors,
/// warnings and notes go (a progress line on the terminal is erased
/// first).
pub fn stderr() -> RedactingWriter<Stderr> {
    RedactingWriter::new(raw_stderr(), redactor())
}

/// Standard error for every command's notes, findings and errors: each
/// write first erases a progress line on the terminal
/// ([`crate::progress::before_output`]), so no text lands on it.
pub struct Stderr(std::io::Stderr);

/// The process's [`Stderr`], unredacted: for a writer with a redactor of
/// its own (the Ceph and lb reports know their secrets).
pub fn raw_stderr() -> Stderr {
    Stderr(std::io::stderr())
}

impl Write for Stderr {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        crate::progress::before_output();
        self.0.write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

/// Standard error for [`crate::progress`] itself, through the same
/// redaction.
pub fn progress_stderr() -> RedactingWriter<std::io::Stderr> {
    RedactingWriter::new(std::io::stderr(), redactor())
}

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
    /// `check` only: a SARIF 2.1.0 log, for code-scanning annotations.
    Sarif,
    /// `check` only: GitHub Actions workflow commands
    /// (`::error file=F,line=L,col=C::message`), one per finding.
    Github,
}

impl OutputArg {
    /// The format a command decides on (text for `nagios`: its errors are
    /// printed by the command itself).
    pub fn format(self) -> OutputFormat {
        match self {
            OutputArg::Json | OutputArg::Yaml => OutputFormat::Json,
            OutputArg::Text | OutputArg::Nagios | OutputArg::Sarif | OutputArg::Github => {
                OutputFormat::Text
            }
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

/// The process's [`Stdout`], unredacted: for what must print exactly as
/// Ansible prints it (inventory exports) and for documents already redacted
/// value by value ([`print_json`]). Reports use [`stdout`].
pub fn raw_stdout() -> Stdout {
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
        crate::progress::before_output();
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
            let message = redactor().redact(&e.to_string()).into_owned();
            let v = serde_json::json!({"error": {"message": message, "file": file, "line": line}});
            // Through the process-wide redacting writer (which erases a
            // progress line first), as every other error.
            let mut err = stderr();
            let _ = writeln!(err, "{v}");
            let _ = err.flush();
        }
        OutputFormat::Text => {
            // Through the process-wide redacting writer, as every report:
            // an error may quote an endpoint or a line holding a secret.
            // Nowhere to report a failure to write an error.
            let mut err = stderr();
            let _ = writeln!(err, "kubemagic: error: {e}");
            // -v: the chain of causes (a TLS error under a connect error...).
            if verbose() > 0 {
                let mut cause = match e {
                    CliError::Lib(le) => le.source(),
                    other => std::error::Error::source(other),
                };
                while let Some(c) = cause {
                    let _ = writeln!(err, "  caused by: {c}");
                    cause = c.source();
                }
            }
            let _ = err.flush();
        }
    }
}

/// Prints a report as a JSON document on stdout, pretty and
/// newline-terminated, through the shared redaction: a report quotes URLs
/// and commands that may carry credentials. (Inventory exports print
/// Ansible's output unredacted, as Ansible does, and do not come here.)
pub fn print_json<T: serde::Serialize>(value: &T) -> Result<(), CliError> {
    let mut value = serde_json::to_value(value)?;
    redactor().redact_json(&mut value);
    let mut lock = raw_stdout();
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

/// `-o yaml`: a document command writes YAML instead of JSON.
pub fn yaml() -> bool {
    settings().yaml
}

/// Writes `value` as the document `-o json|yaml` asks for, unredacted: for
/// inventory exports, which print what Ansible prints (README: secrets
/// included, as `ansible-inventory`). Reports go through [`print_json`].
pub fn write_document<W: std::io::Write>(
    w: &mut W,
    value: &serde_json::Value,
) -> Result<(), CliError> {
    if yaml() {
        let text = serde_yaml_ng::to_string(value)
            .map_err(|e| CliError::Failed(format!("cannot encode YAML: {e}")))?;
        w.write_all(text.as_bytes())?;
    } else {
        serde_json::to_writer_pretty(&mut *w, value)?;
        writeln!(w)?;
    }
    Ok(())
}

/// A warning on stderr (`warning: MESSAGE`), redacted, so that stdout stays
/// the command's output.
pub fn warn(message: &str) {
    // The process-wide redactor, which knows the secrets a command learnt
    // (not only the patterns).
    let mut err = stderr();
    let _ = writeln!(err, "warning: {message}");
    let _ = err.flush();
}

/// `--color` as typed (`--no-color` is `never`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorArg {
    /// Colour when stdout is a terminal and `NO_COLOR` is unset or empty.
    Auto,
    /// Always colour (a pager with `less -R`, CI logs that show ANSI).
    Always,
    /// Never colour.
    Never,
}

static COLOR: OnceLock<ColorArg> = OnceLock::new();

/// Records `--color`/`--no-color` (once, from the global flags).
pub fn set_color(choice: ColorArg) {
    let _ = COLOR.set(choice);
}

/// Whether text on stdout is coloured: `--color always|never`, else a
/// terminal without `NO_COLOR` (no-color.org).
pub fn color() -> bool {
    use std::io::IsTerminal;
    match COLOR.get().copied().unwrap_or(ColorArg::Auto) {
        ColorArg::Always => true,
        ColorArg::Never => false,
        ColorArg::Auto => {
            std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    }
}

/// Writes text to stdout as given (already rendered and redacted by a
/// library renderer).
pub fn print_text(text: &str) -> Result<(), CliError> {
    raw_stdout().write_all(text.as_bytes())?;
    Ok(())
}
