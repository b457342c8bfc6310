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
        let mut text = e.to_string();
        let mut src: Option<&dyn std::error::Error> = std::error::Error::source(&e);
        // tonic hides the interesting cause several levels down.
        while let Some(s) = src {
            text.push_str(": ");
            text.push_str(&s.to_string());
            src = s.source();
        }
        if let etcd_client::Error::TransportError(t) = &e {
            let mut src: Option<&dyn std::error::Error> = std::error::Error::source(t);
            while let Some(s) = src {
                text.push_str(": ");
                text.push_str(&s.to_string());
                src = s.source();
            }
        }
        let lower = text.to_lowercase();
        let tls_markers = [
            "certificate",
            "tls",
            "handshake",
            "unknownissuer",
            "invalid peer",
            "alert",
            "http2 error",
            "frame with invalid size",
        ];
        if let etcd_client::Error::GRpcStatus(s) = &e {
            let msg = s.message().to_lowercase();
            if s.code() == tonic_code_unavailable() && !tls_markers.iter().any(|m| msg.contains(m))
            {
                return EtcdError::Unreachable {
                    endpoint: endpoint.to_string(),
                    reason: s.message().to_string(),
                };
            }
            if s.code() != tonic_code_unavailable() && s.code() != tonic_code_unknown() {
                return EtcdError::Rpc {
                    endpoint: endpoint.to_string(),
                    op,
                    message: s.message().to_string(),
                };
            }
        }
        // For the operator, the gRPC status message says it best
        // ("invalid peer certificate: UnknownIssuer"); keep the chain otherwise.
        let short = match &e {
            etcd_client::Error::GRpcStatus(s) if !s.message().is_empty() => s.message().to_string(),
            _ => text.clone(),
        };
        if tls_markers.iter().any(|m| lower.contains(m)) {
            EtcdError::Tls {
                endpoint: endpoint.to_string(),
                reason: short,
            }
        } else if lower.contains("connection refused")
            || lower.contains("transport")
            || lower.contains("connect")
            || lower.contains("dns")
        {
            EtcdError::Unreachable {
                endpoint: endpoint.to_string(),
                reason: if short == "transport error" {
                    text
                } else {
                    short
                },
            }
        } else {
            EtcdError::Rpc {
                endpoint: endpoint.to_string(),
                op,
                message: text,
            }
        }
    }
}

fn tonic_code_unavailable() -> tonic::Code {
    tonic::Code::Unavailable
}
fn tonic_code_unknown() -> tonic::Code {
    tonic::Code::Unknown
}
