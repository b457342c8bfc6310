//! Errors of the etcd operations, each carrying the member, file or
//! operation it concerns so that an operator knows where to look.

use std::path::PathBuf;
use std::time::Duration;

/// Everything that can go wrong reading the connection configuration or
/// talking to etcd. Each variant names the file, endpoint or operation at
/// fault; [`EtcdError::is_input_error`] separates the caller's mistakes
/// from the cluster's.
#[derive(Debug, thiserror::Error)]
pub enum EtcdError {
    /// A file the configuration names (env file, CA, certificate, key) is
    /// missing or unreadable.
    #[error("{what} file {} does not exist or cannot be read: {source}", path.display())]
    MissingFile {
        /// What the file is for (`env`, `CA certificate`, ...), as the message
        /// names it.
        what: &'static str,
        /// The path as given.
        path: PathBuf,
        /// The I/O error reading it.
        #[source]
        source: std::io::Error,
    },
    /// A file the configuration names is not a regular file, is too large,
    /// or cannot be read (read through `kubemagic_fs`, which names it).
    #[error("{what} file {source}")]
    Unreadable {
        /// What the file is for (`env`, `CA certificate`, ...).
        what: &'static str,
        /// The refusal or the I/O error, naming the file.
        #[source]
        source: kubemagic_fs::FsError,
    },
    /// A line of an env file that cannot be parsed.
    #[error("{}:{line}: {message}", file.display())]
    EnvFile {
        /// The env file.
        file: PathBuf,
        /// 1-based number of the offending line.
        line: usize,
        /// What is wrong with the line.
        message: String,
    },
    /// No source (flags, environment, env file) gave an endpoint.
    #[error("no etcd endpoints: give --endpoints, ETCDCTL_ENDPOINTS or --env-file")]
    NoEndpoints,
    /// An endpoint that is not a usable client URL.
    #[error("invalid endpoint `{endpoint}`: {message}")]
    InvalidEndpoint {
        /// The endpoint as given.
        endpoint: String,
        /// Why it is not usable.
        message: String,
    },
    /// Any other unusable configuration value (e.g. a malformed duration).
    #[error("{0}")]
    Config(String),
    /// A TLS file that exists but does not parse as PEM.
    #[error("{what} {} is not valid PEM: {message}", path.display())]
    BadPem {
        /// Which TLS file (`CA certificate`, `client certificate and key`).
        what: &'static str,
        /// The path as given.
        path: PathBuf,
        /// The parser's complaint.
        message: String,
    },
    /// A member could not be connected to (refused, no route, DNS, dial
    /// timeout).
    #[error("member {endpoint} is unreachable: {reason}")]
    Unreachable {
        /// The member's client URL.
        endpoint: String,
        /// The underlying connection error.
        reason: String,
    },
    /// The TLS handshake with a member failed: usually the wrong CA,
    /// certificate or key, or an `http://` endpoint for a TLS port.
    #[error("TLS failure talking to {endpoint}: {reason} (check --cacert/--cert/--key and that the endpoint scheme is https://)")]
    Tls {
        /// The member's client URL.
        endpoint: String,
        /// The TLS library's error.
        reason: String,
    },
    /// A reachable member did not answer a request within its timeout.
    #[error("{op} on {endpoint} timed out after {}s", after.as_secs_f32())]
    Timeout {
        /// The member's client URL.
        endpoint: String,
        /// The request (`status`, `defragment`, ...).
        op: &'static str,
        /// The timeout that expired.
        after: Duration,
    },
    /// A member answered a request with an error.
    #[error("{op} on {endpoint} failed: {message}")]
    Rpc {
        /// The member's client URL.
        endpoint: String,
        /// The request (`status`, `compact`, ...).
        op: &'static str,
        /// The error etcd returned.
        message: String,
    },
    /// A member's `/metrics` could not be fetched or parsed (quotas are read
    /// there because etcd 3.4's Status does not report them).
    #[error("metrics of {endpoint}: {message}")]
    Metrics {
        /// The member's client URL.
        endpoint: String,
        /// What went wrong.
        message: String,
    },
    /// A local file operation failed (writing a snapshot, listing or removing
    /// old ones).
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory concerned.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A snapshot stream failed its check against the SHA-256 etcd appends
    /// to it (truncated or corrupted).
    #[error("snapshot from {endpoint} is corrupt: {message}")]
    SnapshotIntegrity {
        /// The member the snapshot was streamed from.
        endpoint: String,
        /// What the check found.
        message: String,
    },
    /// No reachable member could serve the named operation.
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
                | EtcdError::Unreadable { .. }
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
            EtcdError::Unreadable { source, .. } => Some(source.path()),
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
