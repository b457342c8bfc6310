//! Errors of the Ceph crate. Each variant carries what an operator needs to
//! find the cause: the command that failed, the file and line, the value.

use std::path::PathBuf;

/// The crate's result type.
pub type Result<T, E = CephError> = std::result::Result<T, E>;

/// Everything that can go wrong, each with what names its cause.
#[derive(Debug, thiserror::Error)]
pub enum CephError {
    /// A pool name Ceph would refuse.
    #[error("invalid pool name {name:?}: {reason}")]
    PoolName {
        /// The name given.
        name: String,
        /// Why Ceph refuses it.
        reason: &'static str,
    },
    /// A pg_num that is not a power of two (or not a number).
    #[error("invalid pg_num {value}: {reason}")]
    PgNum {
        /// The value given.
        value: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A client name Ceph would refuse.
    #[error("invalid client name {name:?}: {reason}")]
    ClientName {
        /// The name given.
        name: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A file system name Ceph would refuse.
    #[error("invalid CephFS name {name:?}: {reason}")]
    FsName {
        /// The name given.
        name: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A monitor address that is neither IP, IP:PORT nor an addrvec.
    #[error("invalid monitor address {value:?}: {reason}")]
    MonAddr {
        /// The address given.
        value: String,
        /// What is wrong with it.
        reason: String,
    },
    /// An RBD image feature `rbd` does not know.
    #[error("unknown RBD image feature {0:?} (known: layering, striping, exclusive-lock, object-map, fast-diff, deep-flatten, journaling, data-pool)")]
    ImageFeature(String),
    /// A kernel version that is not MAJOR.MINOR.
    #[error("invalid kernel version {0:?} (expected MAJOR.MINOR, e.g. 5.4)")]
    KernelVersion(String),
    /// A Ceph tool could not be started (not installed?).
    #[error("cannot run {program}: {source}")]
    Spawn {
        /// The program.
        program: String,
        /// Why it did not start.
        #[source]
        source: std::io::Error,
    },
    /// A Ceph tool failed; its stderr says why.
    #[error("`{command}` failed (exit {status}): {stderr}")]
    Command {
        /// The command line (no key is ever on it).
        command: String,
        /// Its exit code, or `signal`.
        status: String,
        /// Its stderr, trimmed.
        stderr: String,
    },
    /// A Ceph tool printed JSON of an unexpected shape.
    #[error("cannot read the JSON output of `{command}`: {source}")]
    Json {
        /// The command line.
        command: String,
        /// Where the JSON did not fit.
        #[source]
        source: serde_json::Error,
    },
    /// A file given is missing, a directory, or not a regular file.
    #[error("{}: {problem}", path.display())]
    File {
        /// The file.
        path: PathBuf,
        /// "no such file", "is a directory"...
        problem: &'static str,
    },
    /// No monitor answered: names the monitors and the conf they came from.
    #[error("no Ceph monitor answered within {seconds} s at {monitors} (mon host of {}; `{command}`): is the cluster up and reachable from here?", conf.display())]
    Unreachable {
        /// The command that waited.
        command: String,
        /// `mon host` of the conf.
        monitors: String,
        /// The ceph.conf.
        conf: PathBuf,
        /// How long the tool waited.
        seconds: u32,
    },
    /// A file refused by the careful reader (not a regular file, too
    /// large) or unreadable.
    #[error(transparent)]
    Fs(#[from] kubemagic_fs::FsError),
    /// A file could not be read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The system's reason.
        #[source]
        source: std::io::Error,
    },
    /// A keyring line Ceph would not read.
    #[error("{path}:{line}: {message}")]
    Keyring {
        /// The keyring.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// The keyring has no section for the entity.
    #[error("{path}: no key for {entity} in this keyring")]
    KeyringEntity {
        /// The keyring.
        path: PathBuf,
        /// `client.NAME`.
        entity: String,
    },
    /// The requested file system does not exist.
    #[error("CephFS {0:?} does not exist in this cluster (see `ceph fs ls`)")]
    NoSuchFs(String),
    /// The site lacks what Ceph needs (no ceph-ansible inventory, no mon).
    #[error("site {path}: {message}")]
    Site {
        /// The site or inventory file.
        path: PathBuf,
        /// What is missing.
        message: String,
    },
    /// An inventory could not be read (file and line inside).
    #[error(transparent)]
    Inventory(#[from] kubemagic_inventory::InventoryError),
    /// The site could not be read (file and line inside).
    #[error(transparent)]
    SiteLoad(#[from] kubemagic_site::site::SiteError),
    /// A request that cannot be served as given (missing or conflicting
    /// arguments).
    #[error("{0}")]
    Request(String),
    /// A deletion refused because something still uses the object.
    #[error("refused: {0}")]
    Refused(String),
    /// Rendering lacks a value (fsid, monitors).
    #[error("cannot render: {0}")]
    Render(String),
    /// A manifest could not be written as YAML.
    #[error("cannot render manifests: {0}")]
    Yaml(#[from] serde_yaml_ng::Error),
    /// The async runtime for the kube client did not start.
    #[error("cannot start the async runtime: {0}")]
    Runtime(#[source] std::io::Error),
    /// The kubeconfig could not be read or used.
    #[error("kubeconfig {path}: {message}")]
    Kubeconfig {
        /// The file (or `(default)`).
        path: String,
        /// Why.
        message: String,
    },
    /// A Kubernetes API call failed.
    #[error("Kubernetes API: {action}: {source}")]
    Kube {
        /// What was being done (`list secrets`).
        action: String,
        /// The client's error.
        #[source]
        source: kube::Error,
    },
}

impl CephError {
    /// Whether a live system failed (exit 1) rather than the input being
    /// wrong (exit 2): the CLI's exit code and Python's exception choice.
    pub fn is_failure(&self) -> bool {
        matches!(
            self,
            CephError::Spawn { .. }
                | CephError::Command { .. }
                | CephError::Json { .. }
                | CephError::NoSuchFs(_)
                | CephError::Kube { .. }
                | CephError::Yaml(_)
                | CephError::Runtime(_)
                | CephError::Unreachable { .. }
                | CephError::Refused(_)
        )
    }
}

/// One mapping for the CLI's exit code and Python's exception
/// ([`CephError::is_failure`]), and the file and line of input errors.
impl kubemagic_core::KmError for CephError {
    fn file(&self) -> Option<&std::path::Path> {
        match self {
            CephError::File { path, .. }
            | CephError::Io { path, .. }
            | CephError::Keyring { path, .. }
            | CephError::KeyringEntity { path, .. }
            | CephError::Site { path, .. } => Some(path),
            CephError::Inventory(e) => kubemagic_core::KmError::file(e),
            CephError::SiteLoad(e) => kubemagic_core::KmError::file(e),
            CephError::Fs(e) => Some(e.path()),
            _ => None,
        }
    }
    fn line(&self) -> Option<u32> {
        match self {
            CephError::Keyring { line, .. } => u32::try_from(*line).ok(),
            CephError::Inventory(e) => kubemagic_core::KmError::line(e),
            CephError::SiteLoad(e) => kubemagic_core::KmError::line(e),
            _ => None,
        }
    }
    fn kind(&self) -> kubemagic_core::ErrorKind {
        if self.is_failure() {
            kubemagic_core::ErrorKind::Failure
        } else {
            kubemagic_core::ErrorKind::Input
        }
    }
}
