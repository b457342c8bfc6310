//! The one error type of this crate. Every variant that comes from a file
//! carries the file and, where known, the 1-based line, so the CLI prints
//! `FILE:LINE: message` and Python raises `InventoryError(.file, .line)`.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum InventoryError {
    /// A syntax or semantic error in an inventory or vars file.
    #[error("{}: {message}", location(file, *line))]
    Parse {
        file: PathBuf,
        line: Option<u32>,
        message: String,
    },
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// An error that belongs to no single file (e.g. a dependency loop found
    /// while merging several sources).
    #[error("{0}")]
    Model(String),
    #[error("invalid host pattern `{pattern}`: {message}")]
    Pattern { pattern: String, message: String },
}

fn location(file: &std::path::Path, line: Option<u32>) -> String {
    match line {
        Some(l) => format!("{}:{l}", file.display()),
        None => file.display().to_string(),
    }
}

impl InventoryError {
    pub fn parse(file: impl Into<PathBuf>, line: Option<u32>, message: impl Into<String>) -> Self {
        InventoryError::Parse {
            file: file.into(),
            line,
            message: message.into(),
        }
    }
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
    pub fn line(&self) -> Option<u32> {
        match self {
            InventoryError::Parse { line, .. } => *line,
            _ => None,
        }
    }
}

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
