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
    #[error("{}: {message}", location(file, *line))]
    Parse {
        /// The file the mistake is in.
        file: PathBuf,
        /// 1-based line, when the parser knows it.
        line: Option<u32>,
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
    /// An error that belongs to no single file (e.g. a dependency loop found
    /// while merging several sources).
    #[error("{0}")]
    Model(String),
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
            _ => None,
        }
    }
    /// The 1-based line this error is about, if known.
    pub fn line(&self) -> Option<u32> {
        match self {
            InventoryError::Parse { line, .. } => *line,
            _ => None,
        }
    }
}

/// This crate's `Result`, defaulting to [`InventoryError`].
pub type Result<T, E = InventoryError> = std::result::Result<T, E>;
