//! Errors of the Ceph crate. Each variant carries what an operator needs to
//! find the cause: the command that failed, the file and line, the value.

use std::path::PathBuf;

pub type Result<T, E = CephError> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum CephError {
    #[error("invalid pool name {name:?}: {reason}")]
    PoolName { name: String, reason: &'static str },
    #[error("invalid pg_num {value}: {reason}")]
    PgNum { value: String, reason: &'static str },
    #[error("invalid client name {name:?}: {reason}")]
    ClientName { name: String, reason: &'static str },
    #[error("invalid CephFS name {name:?}: {reason}")]
    FsName { name: String, reason: &'static str },
    #[error("invalid monitor address {value:?}: {reason}")]
    MonAddr { value: String, reason: String },
    #[error("unknown RBD image feature {0:?} (known: layering, striping, exclusive-lock, object-map, fast-diff, deep-flatten, journaling, data-pool)")]
    ImageFeature(String),
    #[error("invalid kernel version {0:?} (expected MAJOR.MINOR, e.g. 5.4)")]
    KernelVersion(String),
    #[error("cannot run {program}: {source}")]
    Spawn {
        program: String,
        #[source]
        source: std::io::Error,
    },
    #[error("`{command}` failed (exit {status}): {stderr}")]
    Command {
        command: String,
        status: String,
        stderr: String,
    },
    #[error("cannot read the JSON output of `{command}`: {source}")]
    Json {
        command: String,
        #[source]
        source: serde_json::Error,
    },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}:{line}: {message}")]
    Keyring {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("{path}: no key for {entity} in this keyring")]
    KeyringEntity { path: PathBuf, entity: String },
    #[error("CephFS {0:?} does not exist in this cluster (see `ceph fs ls`)")]
    NoSuchFs(String),
    #[error("site {path}: {message}")]
    Site { path: PathBuf, message: String },
    #[error(transparent)]
    Inventory(#[from] kubemagic_inventory::InventoryError),
    #[error("cannot render: {0}")]
    Render(String),
    #[error("cannot render manifests: {0}")]
    Yaml(#[from] serde_yaml_ng::Error),
    #[error("cannot start the async runtime: {0}")]
    Runtime(#[source] std::io::Error),
    #[error("kubeconfig {path}: {message}")]
    Kubeconfig { path: String, message: String },
    #[error("Kubernetes API: {action}: {source}")]
    Kube {
        action: String,
        #[source]
        source: kube::Error,
    },
}
