//! The certificates a kubeconfig embeds: each user's
//! `client-certificate-data` and each cluster's
//! `certificate-authority-data` (base64 of PEM).
//!
//! The types below name only those two fields, so `client-key-data` is
//! skipped by the deserialiser and never held in a value of this crate,
//! let alone printed. Kubeconfigs that point at files
//! (`client-certificate: /path`) are left to the file scan: the files they
//! name sit in the directories `certs check` reads.

use crate::model::Kind;
use crate::CertsError;
use base64::Engine as _;
use serde::Deserialize;
use std::path::Path;

#[derive(Deserialize)]
struct Kubeconfig {
    #[serde(default)]
    clusters: Option<Vec<NamedCluster>>,
    #[serde(default)]
    users: Option<Vec<NamedUser>>,
}

#[derive(Deserialize)]
struct NamedCluster {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    cluster: Option<Cluster>,
}

#[derive(Deserialize)]
struct Cluster {
    #[serde(default, rename = "certificate-authority-data")]
    ca_data: Option<String>,
}

#[derive(Deserialize)]
struct NamedUser {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    user: Option<User>,
}

#[derive(Deserialize)]
struct User {
    #[serde(default, rename = "client-certificate-data")]
    cert_data: Option<String>,
}

/// One embedded certificate: PEM text (decoded from the base64 field), how
/// it was embedded, and the user or cluster name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Embedded {
    /// The PEM text.
    pub pem: Vec<u8>,
    /// [`Kind::KubeconfigUser`] or [`Kind::KubeconfigCa`].
    pub kind: Kind,
    /// The user or cluster name.
    pub name: String,
}

/// Whether `text` looks like a kubeconfig worth parsing: it embeds a
/// certificate. Cheap, so a directory scan does not YAML-parse every
/// `*.conf` of `/etc`.
pub fn looks_like(text: &[u8]) -> bool {
    contains(text, b"certificate-authority-data") || contains(text, b"client-certificate-data")
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// The embedded certificates of the kubeconfig `text` read from `file`.
pub fn embedded(file: &Path, text: &[u8]) -> Result<Vec<Embedded>, CertsError> {
    let parse_err = |line: Option<u32>, message: String| CertsError::Parse {
        file: file.to_path_buf(),
        line,
        message,
    };
    let kc: Kubeconfig = serde_yaml_ng::from_slice(text).map_err(|e| {
        parse_err(
            e.location().map(|l| l.line() as u32),
            format!("not a kubeconfig: {e}"),
        )
    })?;
    let mut out = Vec::new();
    let b64 = |field: &str, name: &str, data: &str| {
        let clean: String = data.chars().filter(|c| !c.is_whitespace()).collect();
        base64::engine::general_purpose::STANDARD
            .decode(clean)
            .map_err(|_| parse_err(None, format!("{field} of {name:?} is not base64")))
    };
    for c in kc.clusters.unwrap_or_default() {
        let name = c.name.unwrap_or_default();
        if let Some(data) = c.cluster.and_then(|c| c.ca_data) {
            out.push(Embedded {
                pem: b64("certificate-authority-data", &name, &data)?,
                kind: Kind::KubeconfigCa,
                name,
            });
        }
    }
    for u in kc.users.unwrap_or_default() {
        let name = u.name.unwrap_or_default();
        if let Some(data) = u.user.and_then(|u| u.cert_data) {
            out.push(Embedded {
                pem: b64("client-certificate-data", &name, &data)?,
                kind: Kind::KubeconfigUser,
                name,
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_certificate_fields_are_taken() {
        let text = b"apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    certificate-authority-data: QUJD\n    server: https://x:6443\nusers:\n- name: u\n  user:\n    client-certificate-data: REVG\n    client-key-data: c2VjcmV0\n";
        let e = embedded(Path::new("k"), text).unwrap();
        assert_eq!(e.len(), 2);
        assert_eq!(e[0].pem, b"ABC");
        assert_eq!(e[1].pem, b"DEF");
        assert!(looks_like(text));
    }

    #[test]
    fn a_broken_kubeconfig_names_its_line() {
        let err = embedded(Path::new("k"), b"clusters:\n- name: [\n").unwrap_err();
        assert!(
            matches!(err, CertsError::Parse { line: Some(_), .. }),
            "{err}"
        );
    }
}
