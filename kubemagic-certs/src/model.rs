//! What `kubemagic certs` reports: each certificate read, with where it
//! came from, its dates, its names and whether it chains to a CA beside
//! it; the files skipped (private keys); and the thresholds findings are
//! decided with. Plain data, serialised as the JSON document
//! `{"certificates": [...], "findings": [...], ...}`.

use serde::Serialize;

/// Where a certificate was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// A PEM file (`*.crt`, `*.pem`, `*.cert`).
    Certificate,
    /// A kubeconfig user's `client-certificate-data`.
    KubeconfigUser,
    /// A kubeconfig cluster's `certificate-authority-data`.
    KubeconfigCa,
    /// The chain a TLS endpoint served (`certs probe`).
    Served,
}

impl Kind {
    /// The kind as the text report prints it.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Certificate => "certificate",
            Kind::KubeconfigUser => "kubeconfig-user",
            Kind::KubeconfigCa => "kubeconfig-ca",
            Kind::Served => "served",
        }
    }
}

/// Whether a certificate chains to a CA found beside it (same directory,
/// same kubeconfig, same served chain).
///
/// Three outcomes and not two: a certificate whose issuer is simply not
/// beside it (a named certificate from a public CA) is not a fault, while
/// one whose issuer *is* beside it but whose signature does not verify is
/// the classic "CA regenerated, leaf left behind" outage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum Chain {
    /// Its own issuer, and its own signature verifies: a root CA.
    SelfSigned,
    /// Signed by the CA read from `ca`.
    Verified {
        /// Where the CA was read.
        ca: String,
    },
    /// A CA named as its issuer is beside it, but no such CA's key signed
    /// it (finding KM345).
    Broken {
        /// The CA(s) tried.
        ca: String,
        /// Why it does not verify.
        reason: String,
    },
    /// No certificate beside it is named as its issuer: nothing to verify
    /// against, no finding.
    NoCa,
}

impl Chain {
    /// One word for the text report.
    pub fn word(&self) -> &'static str {
        match self {
            Chain::SelfSigned => "self-signed",
            Chain::Verified { .. } => "verified",
            Chain::Broken { .. } => "BROKEN",
            Chain::NoCa => "no-ca",
        }
    }
}

/// One certificate as read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Certificate {
    /// The file, or `HOST:PORT` for a served certificate.
    pub path: String,
    /// Where it was read.
    pub kind: Kind,
    /// The kubeconfig user or cluster it belongs to, or its position in
    /// the file or served chain (`0` is the leaf) when a file holds several.
    pub name: Option<String>,
    /// The subject, RFC 4514 style (`CN=kube-apiserver`).
    pub subject: String,
    /// The issuer, same style.
    pub issuer: String,
    /// The serial number, hex bytes separated by colons (as openssl prints).
    pub serial: String,
    /// Start of validity, RFC 3339 UTC.
    pub not_before: String,
    /// End of validity, RFC 3339 UTC.
    pub not_after: String,
    /// Whole days from the check's time to `not_after`, rounded down;
    /// negative once expired.
    pub days_left: i64,
    /// DNS names and IP addresses of the subjectAltName extension.
    pub sans: Vec<String>,
    /// Whether it is a CA (basicConstraints CA:TRUE).
    pub is_ca: bool,
    /// Whether it may serve TLS (extendedKeyUsage serverAuth): only such
    /// certificates are held to the host's names.
    pub server_auth: bool,
    /// Whether it chains to a CA beside it.
    pub chain: Chain,
    /// The site host it belongs to, when known (`--host`, or the host its
    /// file is named after, as kubespray's `member-HOST.pem`).
    pub host: Option<String>,
    /// Unix seconds of `not_before`.
    #[serde(skip)]
    pub not_before_ts: i64,
    /// Unix seconds of `not_after`.
    #[serde(skip)]
    pub not_after_ts: i64,
    /// The DER encoding (public material only), for the chain check.
    #[serde(skip)]
    pub der: Vec<u8>,
    /// What counts as "beside it" for the chain check: the directory, or
    /// the endpoint.
    #[serde(skip)]
    pub scope: String,
}

/// A file recognised as a private key and not read further.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skipped {
    /// The file.
    pub path: String,
    /// Why (`private key`).
    pub reason: String,
}

/// When a certificate's expiry becomes a warning and an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Thresholds {
    /// Days left at or below which expiry is a warning (KM343).
    pub warning_days: i64,
    /// Days left at or below which expiry is an error (KM342).
    pub critical_days: i64,
}

impl Default for Thresholds {
    /// 30 and 7 days: a month to plan a renewal, a week before it is an
    /// emergency.
    fn default() -> Thresholds {
        Thresholds {
            warning_days: 30,
            critical_days: 7,
        }
    }
}

impl Thresholds {
    /// Thresholds that make sense: critical no later than warning, neither
    /// negative.
    pub fn new(warning_days: i64, critical_days: i64) -> Result<Thresholds, crate::CertsError> {
        if warning_days < 0 || critical_days < 0 || critical_days > warning_days {
            return Err(crate::CertsError::Usage(format!(
                "--critical-days {critical_days} must be between 0 and --warning-days {warning_days}"
            )));
        }
        Ok(Thresholds {
            warning_days,
            critical_days,
        })
    }
}
