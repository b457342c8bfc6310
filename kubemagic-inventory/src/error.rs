//! The one error type of this crate. Every variant that comes from a file
//! carries the file and, where known, the 1-based line, so the CLI prints
//! `FILE:LINE: message` and Python raises `InventoryError(.file, .line)`.

use std::path::PathBuf;

/// Why an inventory could not be read or queried. Callers map it to exit
/// code 2 (input error) and print it as `FILE:LINE: message`, so each
/// variant carries what that line needs.
#[derive(Debug, thiserror::Error)]
pub enum InventoryError {
    /// A syntax or semantic error in an inventory or vars file.
    #[error("{}: {message}", location_col(file, *line, *col))]
    Parse {
        /// The file the mistake is in.
        file: PathBuf,
        /// 1-based line, when the parser knows it.
        line: Option<u32>,
        /// 1-based column, when the parser knows it (the YAML parser does;
        /// Ansible 2.19 prints `bad.yml:6:8` too).
        col: Option<u32>,
        /// What is wrong, in Ansible's words where Ansible has some.
        message: String,
    },
    /// A file or directory that could not be read at all.
    #[error("{}: {source}", path.display())]
    Io {
        /// The path that failed.
        path: PathBuf,
        /// The operating system's reason.
        #[source]
        source: std::io::Error,
    },
    /// A file that is not a regular file (a FIFO, a device: reading it
    /// would block or never end) or is larger than
    /// `kubemagic_fs::limits::MAX_SOURCE_BYTES`, refused before reading.
    #[error(transparent)]
    File(#[from] kubemagic_fs::FsError),
    /// An error that belongs to no single file (e.g. a dependency loop found
    /// while merging several sources).
    #[error("{0}")]
    Model(String),
    /// `--strict`: the inventory loaded, but with warnings, and the caller
    /// asked for them to be errors.
    #[error("{}", strict_message(warnings))]
    Strict {
        /// Every warning, in the order they were found.
        warnings: Vec<Warning>,
    },
    /// A host pattern (`--limit`, `inventory hosts PATTERN`) that Ansible
    /// would reject.
    #[error("invalid host pattern `{pattern}`: {message}")]
    Pattern {
        /// The pattern as given.
        pattern: String,
        /// Why it is invalid.
        message: String,
    },
}

/// Something Ansible accepts with a warning (or silently) that the user
/// should still hear about: a key it skips, a range that expands to nothing,
/// a file in a directory source that no plugin reads. The inventory is
/// loaded exactly as Ansible loads it; warnings travel beside it
/// ([`crate::Inventory::warnings`]) so the CLI prints them on stderr,
/// `kubemagic check` turns them into findings and `--strict` into errors.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Warning {
    /// Which warning this is, so a caller can treat one kind apart (the
    /// site accepts the dashed group names its kubespray release requires).
    pub kind: WarningKind,
    /// The file the warning is about.
    pub file: PathBuf,
    /// 1-based line, when known.
    pub line: Option<u32>,
    /// 1-based column, when the parser knows it (YAML does).
    pub col: Option<u32>,
    /// What Ansible does with it, in Ansible's words where it has some.
    pub message: String,
    /// The group, host, variable or key the warning is about, when it is
    /// about one (`k8s-cluster` for a dashed group name).
    pub subject: Option<String>,
}

/// The warnings ansible-core 2.19 prints while reading an inventory, and
/// what kubemagic adds where Ansible is silent. Each Ansible kind names the
/// message it stands for, which the differential corpus compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WarningKind {
    /// "Skipping ... as this is not a valid group definition", "Skipping
    /// (unexpected) key ... in group": the YAML plugin skips part of a file.
    Skipped,
    /// "Unable to parse FILE as an inventory source": a file found by
    /// walking a directory source that no plugin reads.
    Unparsed,
    /// "Invalid characters were found in group names but not replaced":
    /// a group name that is not a Python identifier (`k8s-cluster`).
    GroupName,
    /// "Found variable using reserved name": a host variable named like a
    /// play keyword (`name`, `port`, `environment`), which plays shadow.
    ReservedName,
    /// "Found both group and host with same name".
    GroupIsHost,
    /// "A duplicate localhost-like entry was found": `localhost`,
    /// `127.0.0.1` and `::1` in one inventory.
    DuplicateLocalhost,
    /// "Found duplicate mapping key": a YAML key given twice in one
    /// mapping; the last value is used.
    DuplicateKey,
    /// Where Ansible is silent but the inventory is surely not what its
    /// author meant: a reversed range that selects no host, a YAML child
    /// group defined nowhere, `vars:` given as a string.
    Questionable,
}

impl Warning {
    /// A warning of `kind` about `file` at `line`/`col`.
    pub fn new(
        kind: WarningKind,
        file: impl Into<PathBuf>,
        line: Option<u32>,
        col: Option<u32>,
        message: impl Into<String>,
    ) -> Warning {
        Warning {
            kind,
            file: file.into(),
            line,
            col,
            message: message.into(),
            subject: None,
        }
    }

    /// The same warning, about `subject` (see [`Warning::subject`]).
    pub fn about(mut self, subject: impl Into<String>) -> Warning {
        self.subject = Some(subject.into());
        self
    }

    /// `FILE:LINE:COL` (as much of it as is known).
    pub fn location(&self) -> String {
        match (self.line, self.col) {
            (Some(l), Some(c)) => format!("{}:{l}:{c}", self.file.display()),
            (line, _) => location(&self.file, line),
        }
    }
}

/// `FILE:LINE:COL: warning: message`, the form compilers use, so editors
/// jump to it.
impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: warning: {}", self.location(), self.message)
    }
}

fn strict_message(warnings: &[Warning]) -> String {
    let lines: Vec<String> = warnings
        .iter()
        .map(|w| format!("{}: {} (--strict)", w.location(), w.message))
        .collect();
    lines.join("\n")
}

fn location_col(file: &std::path::Path, line: Option<u32>, col: Option<u32>) -> String {
    match (line, col) {
        (Some(l), Some(c)) => format!("{}:{l}:{c}", file.display()),
        _ => location(file, line),
    }
}

fn location(file: &std::path::Path, line: Option<u32>) -> String {
    match line {
        Some(l) => format!("{}:{l}", file.display()),
        None => file.display().to_string(),
    }
}

impl InventoryError {
    /// A [`InventoryError::Parse`] (the common case, hence the shorthand).
    pub fn parse(file: impl Into<PathBuf>, line: Option<u32>, message: impl Into<String>) -> Self {
        InventoryError::Parse {
            file: file.into(),
            line,
            col: None,
            message: message.into(),
        }
    }

    /// A [`InventoryError::Parse`] at a line and column.
    pub fn parse_at(
        file: impl Into<PathBuf>,
        line: u32,
        col: u32,
        message: impl Into<String>,
    ) -> Self {
        InventoryError::Parse {
            file: file.into(),
            line: Some(line),
            col: Some(col),
            message: message.into(),
        }
    }
    /// An [`InventoryError::Io`] for `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        InventoryError::Io {
            path: path.into(),
            source,
        }
    }
    /// The file this error is about, if any.
    pub fn file(&self) -> Option<&std::path::Path> {
        match self {
            InventoryError::Parse { file, .. } => Some(file),
            InventoryError::Io { path, .. } => Some(path),
            InventoryError::File(e) => Some(e.path()),
            InventoryError::Strict { warnings } => warnings.first().map(|w| w.file.as_path()),
            _ => None,
        }
    }
    /// The 1-based column this error is about, if known.
    pub fn col(&self) -> Option<u32> {
        match self {
            InventoryError::Parse { col, .. } => *col,
            InventoryError::Strict { warnings } => warnings.first().and_then(|w| w.col),
            _ => None,
        }
    }

    /// The 1-based line this error is about, if known.
    pub fn line(&self) -> Option<u32> {
        match self {
            InventoryError::Parse { line, .. } => *line,
            InventoryError::Strict { warnings } => warnings.first().and_then(|w| w.line),
            _ => None,
        }
    }
}

/// This crate's `Result`, defaulting to [`InventoryError`].
pub type Result<T, E = InventoryError> = std::result::Result<T, E>;

/// An inventory that cannot be read is always the input's fault: the message
/// names the file and line to fix (exit 2, Python `InventoryError`).
impl kubemagic_core::KmError for InventoryError {
    fn file(&self) -> Option<&std::path::Path> {
        InventoryError::file(self)
    }
    fn line(&self) -> Option<u32> {
        InventoryError::line(self)
    }
    fn kind(&self) -> kubemagic_core::ErrorKind {
        kubemagic_core::ErrorKind::Input
    }
}
