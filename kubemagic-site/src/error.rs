//! Why a site could not be read: a leaf module, so that the site model, the
//! readers of accepted findings and the checks all name it without importing
//! each other.

use kubemagic_inventory::InventoryError;
use std::path::{Path, PathBuf};

/// Why a site could not be read. Every variant names the file at fault.
#[derive(Debug, thiserror::Error)]
pub enum SiteError {
    /// The site path is not a directory (or does not exist).
    #[error("{}: not a directory", .0.display())]
    NotADirectory(PathBuf),
    /// A site file or folder exists but could not be read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// Why it could not be read.
        #[source]
        source: std::io::Error,
    },
    /// The site is set up wrong: kubemagic.yml (an unknown key, a
    /// `checks.ignore` entry without a reason, a `kubespray_inventory` naming
    /// no folder), a malformed inline ignore comment, or several kubespray
    /// inventories with none named.
    #[error("{}{}: {message}", file.display(), line.map(|l| format!(":{l}")).unwrap_or_default())]
    Config {
        /// The file (or folder) to fix.
        file: PathBuf,
        /// The line to fix, when known.
        line: Option<u32>,
        /// What is wrong, and how to fix it.
        message: String,
    },
    /// The directory holds none of the inventories a site is made of: a
    /// mistyped path must fail every gate, not pass with "0 findings".
    #[error("{}: not a site: no inventory found (looked for custom/hosts, kubespray/inventory/*/hosts.yml|inventory.ini, ceph-ansible/hosts, openshift-ansible/hosts)", .0.display())]
    NotASite(PathBuf),
    /// A site path exists but is not a regular file (a FIFO, a device, a
    /// socket, a directory): reading it could block or never end.
    #[error("{}: not a regular file ({kind})", path.display())]
    NotAFile {
        /// The path, as the site names it.
        path: PathBuf,
        /// What it is instead.
        kind: &'static str,
    },
    /// A file the site names is not a regular file or is too large,
    /// refused before reading (`kubemagic_fs`).
    #[error(transparent)]
    File(#[from] kubemagic_fs::FsError),
    /// The inventory engine could not read an inventory (or kubemagic.yml's
    /// YAML); the error names its own file and line.
    #[error(transparent)]
    Inventory(#[from] InventoryError),
}

impl SiteError {
    /// The file at fault, for `file:line` messages.
    pub fn file(&self) -> Option<&Path> {
        match self {
            SiteError::NotADirectory(p) | SiteError::NotASite(p) => Some(p),
            SiteError::Io { path, .. } | SiteError::NotAFile { path, .. } => Some(path),
            SiteError::Config { file, .. } => Some(file),
            SiteError::File(e) => Some(e.path()),
            SiteError::Inventory(e) => e.file(),
        }
    }
    /// The line at fault, when the error knows it.
    pub fn line(&self) -> Option<u32> {
        match self {
            SiteError::Config { line, .. } => *line,
            SiteError::Inventory(e) => e.line(),
            _ => None,
        }
    }
}

/// A site that cannot be read is the input's fault (exit 2): the message
/// names the path to fix.
impl kubemagic_core::KmError for SiteError {
    fn file(&self) -> Option<&Path> {
        SiteError::file(self)
    }
    fn line(&self) -> Option<u32> {
        SiteError::line(self)
    }
    fn kind(&self) -> kubemagic_core::ErrorKind {
        kubemagic_core::ErrorKind::Input
    }
}
