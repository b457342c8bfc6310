//! The one error enum of the crate, under the one error contract
//! ([`kubemagic_core::KmError`]): bad input (a file that is no certificate,
//! a time that does not parse, an endpoint without a port) exits 2; a
//! failed operation exits 1. An endpoint that cannot be reached is not an
//! error but a finding (KM349), so one dead endpoint hides no other.

use kubemagic_core::{ErrorKind, KmError};
use std::path::{Path, PathBuf};

/// What `kubemagic certs` refused or failed at.
#[derive(Debug, thiserror::Error)]
pub enum CertsError {
    /// A file could not be read (not regular, too large, absent).
    #[error(transparent)]
    Read(#[from] kubemagic_fs::FsError),
    /// A directory could not be listed.
    #[error("{}: {source}", path.display())]
    Dir {
        /// The directory.
        path: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// A file named on the command line holds no certificate (nor a
    /// kubeconfig embedding one), or one that does not parse.
    #[error("{}{}: {message}", file.display(), line.map(|l| format!(":{l}")).unwrap_or_default())]
    Parse {
        /// The file.
        file: PathBuf,
        /// The line, when known (YAML errors, PEM blocks).
        line: Option<u32>,
        /// What is wrong.
        message: String,
    },
    /// A command-line value is wrong (`--at`, an endpoint, thresholds).
    #[error("{0}")]
    Usage(String),
    /// The site could not be read.
    #[error(transparent)]
    Site(#[from] kubemagic_site::SiteError),
}

impl KmError for CertsError {
    fn file(&self) -> Option<&Path> {
        match self {
            CertsError::Read(e) => Some(e.path()),
            CertsError::Dir { path, .. } => Some(path),
            CertsError::Parse { file, .. } => Some(file),
            CertsError::Usage(_) => None,
            CertsError::Site(e) => e.file(),
        }
    }

    fn line(&self) -> Option<u32> {
        match self {
            CertsError::Parse { line, .. } => *line,
            CertsError::Site(e) => e.line(),
            _ => None,
        }
    }

    fn kind(&self) -> ErrorKind {
        match self {
            CertsError::Site(e) => e.kind(),
            _ => ErrorKind::Input,
        }
    }
}
