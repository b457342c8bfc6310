//! Errors of the etcd operations, each carrying the member, file or
//! operation it concerns so that an operator knows where to look.

use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum EtcdError {
    #[error("{what} file {} does not exist or cannot be read: {source}", path.display())]
    MissingFile {
        what: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}:{line}: {message}", file.display())]
    EnvFile {
        file: PathBuf,
        line: usize,
        message: String,
    },
    #[error("no etcd endpoints: give --endpoints, ETCDCTL_ENDPOINTS or --env-file")]
    NoEndpoints,
    #[error("invalid endpoint `{endpoint}`: {message}")]
    InvalidEndpoint { endpoint: String, message: String },
    #[error("{0}")]
    Config(String),
    #[error("{what} {} is not valid PEM: {message}", path.display())]
    BadPem {
        what: &'static str,
        path: PathBuf,
        message: String,
    },
    #[error("member {endpoint} is unreachable: {reason}")]
    Unreachable { endpoint: String, reason: String },
    #[error("TLS failure talking to {endpoint}: {reason} (check --cacert/--cert/--key and that the endpoint scheme is https://)")]
    Tls { endpoint: String, reason: String },
    #[error("{op} on {endpoint} timed out after {}s", after.as_secs_f32())]
    Timeout {
        endpoint: String,
        op: &'static str,
        after: Duration,
    },
    #[error("{op} on {endpoint} failed: {message}")]
    Rpc {
        endpoint: String,
        op: &'static str,
        message: String,
    },
    #[error("metrics of {endpoint}: {message}")]
    Metrics { endpoint: String, message: String },
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("snapshot from {endpoint} is corrupt: {message}")]
    SnapshotIntegrity { endpoint: String, message: String },
    #[error("no healthy member could serve {0}")]
    NoHealthyMember(&'static str),
}

impl EtcdError {
    /// True when the error comes from the caller's input (files, flags)
    /// rather than from the cluster: the CLI exits 2 for these.
    pub fn is_input_error(&self) -> bool {
        matches!(
            self,
            EtcdError::MissingFile { .. }
                | EtcdError::EnvFile { .. }
                | EtcdError::NoEndpoints
                | EtcdError::InvalidEndpoint { .. }
                | EtcdError::Config(_)
                | EtcdError::BadPem { .. }
        )
    }

    /// Classifies an etcd-client error for one member and operation: a
    /// refused connection, a TLS handshake failure and an RPC error read
    /// differently to an operator.
    pub(crate) fn from_client(endpoint: &str, op: &'static str, e: etcd_client::Error) -> Self {
        // tonic hides the interesting cause several levels down: walk the
        // source chain of the gRPC status or transport error.
        let mut chain: Vec<String> = Vec::new();
        let mut src: Option<&dyn std::error::Error> = match &e {
            etcd_client::Error::GRpcStatus(s) => std::error::Error::source(s),
            etcd_client::Error::TransportError(t) => std::error::Error::source(t),
            _ => None,
        };
        while let Some(x) = src {
            chain.push(x.to_string());
            src = x.source();
        }
        let (code, message) = match &e {
            etcd_client::Error::GRpcStatus(s) => (Some(s.code()), s.message().to_string()),
            other => (None, other.to_string()),
        };
        let generic = [
            "",
            "transport error",
            "operation was canceled",
            "error trying to connect",
        ];
        let best = if generic.contains(&message.to_lowercase().as_str()) {
            chain.last().cloned().unwrap_or(message.clone())
        } else {
            message.clone()
        };
        let all = format!("{e} {}", chain.join(" ")).to_lowercase();
        let tls_markers = [
            "certificate",
            "tls",
            "handshake",
            "unknownissuer",
            "invalid peer",
            "alert",
            "frame with invalid size",
        ];
        let transport_markers = [
            "transport error",
            "operation was canceled",
            "broken pipe",
            "connection reset",
            "connection closed",
            "connection refused",
            "error trying to connect",
            "dns error",
        ];
        if tls_markers.iter().any(|m| all.contains(m)) {
            return EtcdError::Tls {
                endpoint: endpoint.to_string(),
                reason: best,
            };
        }
        let transport = match code {
            Some(tonic::Code::Unavailable) => true,
            Some(tonic::Code::Unknown) | Some(tonic::Code::Cancelled) | None => {
                transport_markers.iter().any(|m| all.contains(m))
                    || matches!(e, etcd_client::Error::TransportError(_))
            }
            Some(_) => false,
        };
        if transport {
            EtcdError::Unreachable {
                endpoint: endpoint.to_string(),
                reason: best,
            }
        } else {
            EtcdError::Rpc {
                endpoint: endpoint.to_string(),
                op,
                message,
            }
        }
    }
}

/// The CLI's exit code and Python's exception come from here: input errors
/// (files, flags) are the caller's to fix, everything else is the cluster.
impl kubemagic_core::KmError for EtcdError {
    fn file(&self) -> Option<&std::path::Path> {
        match self {
            EtcdError::MissingFile { path, .. }
            | EtcdError::BadPem { path, .. }
            | EtcdError::Io { path, .. } => Some(path),
            EtcdError::EnvFile { file, .. } => Some(file),
            _ => None,
        }
    }
    fn line(&self) -> Option<u32> {
        match self {
            EtcdError::EnvFile { line, .. } => u32::try_from(*line).ok(),
            _ => None,
        }
    }
    fn kind(&self) -> kubemagic_core::ErrorKind {
        if self.is_input_error() {
            kubemagic_core::ErrorKind::Input
        } else {
            kubemagic_core::ErrorKind::Failure
        }
    }
}
