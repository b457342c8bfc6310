//! The certificates of a kubeconfig: each user's `client-certificate-data`
//! and each cluster's `certificate-authority-data` (base64 of PEM), and the
//! files named by `client-certificate` and `certificate-authority`.
//!
//! The types below name only those four fields, so `client-key-data` (and
//! `client-key`) is skipped by the deserialiser and never held in a value
//! of this crate, let alone printed. The files are read by the scan: they
//! are often outside the directories it walks (kubespray's
//! `/etc/kubernetes/kubelet.conf` names
//! `/var/lib/kubelet/pki/kubelet-client-current.pem`, the kubelet's
//! rotated client certificate, which expires with nobody looking).

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
    #[serde(default, rename = "certificate-authority")]
    ca_file: Option<String>,
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
    #[serde(default, rename = "client-certificate")]
    cert_file: Option<String>,
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

/// A certificate file a kubeconfig names, as written (kubectl reads a
/// relative path from the kubeconfig's directory).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Referenced {
    /// The path as written.
    pub path: String,
    /// [`Kind::KubeconfigUser`] or [`Kind::KubeconfigCa`].
    pub kind: Kind,
    /// The user or cluster name.
    pub name: String,
}

/// The certificates of a kubeconfig.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Certificates {
    /// Those it embeds.
    pub embedded: Vec<Embedded>,
    /// The files it names.
    pub referenced: Vec<Referenced>,
}

/// Whether `text` looks like a kubeconfig worth parsing: it embeds or
/// names a certificate. Cheap, so a directory scan does not YAML-parse
/// every `*.conf` of `/etc`.
pub fn looks_like(text: &[u8]) -> bool {
    contains(text, b"certificate-authority") || contains(text, b"client-certificate")
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// The certificates of the kubeconfig `text` read from `file`.
pub fn certificates(file: &Path, text: &[u8]) -> Result<Certificates, CertsError> {
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
    let mut out = Certificates::default();
    let b64 = |field: &str, name: &str, data: &str| {
        let clean: String = data.chars().filter(|c| !c.is_whitespace()).collect();
        base64::engine::general_purpose::STANDARD
            .decode(clean)
            .map_err(|_| parse_err(None, format!("{field} of {name:?} is not base64")))
    };
    // kubectl prefers the embedded data over the file when both are set.
    for c in kc.clusters.unwrap_or_default() {
        let name = c.name.unwrap_or_default();
        let Some(cluster) = c.cluster else { continue };
        if let Some(data) = cluster.ca_data {
            out.embedded.push(Embedded {
                pem: b64("certificate-authority-data", &name, &data)?,
                kind: Kind::KubeconfigCa,
                name,
            });
        } else if let Some(path) = cluster.ca_file.filter(|p| !p.trim().is_empty()) {
            out.referenced.push(Referenced {
                path,
                kind: Kind::KubeconfigCa,
                name,
            });
        }
    }
    for u in kc.users.unwrap_or_default() {
        let name = u.name.unwrap_or_default();
        let Some(user) = u.user else { continue };
        if let Some(data) = user.cert_data {
            out.embedded.push(Embedded {
                pem: b64("client-certificate-data", &name, &data)?,
                kind: Kind::KubeconfigUser,
                name,
            });
        } else if let Some(path) = user.cert_file.filter(|p| !p.trim().is_empty()) {
            out.referenced.push(Referenced {
                path,
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
        let e = certificates(Path::new("k"), text).unwrap().embedded;
        assert_eq!(e.len(), 2);
        assert_eq!(e[0].pem, b"ABC");
        assert_eq!(e[1].pem, b"DEF");
        assert!(looks_like(text));
    }

    #[test]
    fn files_named_by_a_kubeconfig_are_listed_but_never_the_key() {
        let text = b"clusters:\n- name: c\n  cluster:\n    certificate-authority: ssl/ca.crt\nusers:\n- name: default-auth\n  user:\n    client-certificate: /var/lib/kubelet/pki/kubelet-client-current.pem\n    client-key: /var/lib/kubelet/pki/kubelet-client-current.pem\n";
        assert!(looks_like(text));
        let c = certificates(Path::new("k"), text).unwrap();
        assert!(c.embedded.is_empty());
        let paths: Vec<&str> = c.referenced.iter().map(|r| r.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "ssl/ca.crt",
                "/var/lib/kubelet/pki/kubelet-client-current.pem"
            ]
        );
        assert_eq!(c.referenced[1].kind, Kind::KubeconfigUser);
    }

    #[test]
    fn a_broken_kubeconfig_names_its_line() {
        let err = certificates(Path::new("k"), b"clusters:\n- name: [\n").unwrap_err();
        assert!(
            matches!(err, CertsError::Parse { line: Some(_), .. }),
            "{err}"
        );
    }
}
