//! PEM blocks and the X.509 certificates in them.
//!
//! A hand-written block scanner rather than a PEM crate's reader, for one
//! reason: a private key block is recognised by its `BEGIN` line and
//! skipped *without decoding it*, so key material never reaches a buffer
//! this crate owns, let alone a report. Certificates are decoded and parsed
//! with `x509-parser`.

use crate::model::{Certificate, Chain, Kind};
use base64::Engine as _;
use x509_parser::extensions::GeneralName;
use x509_parser::prelude::*;

/// What a PEM block holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    /// A certificate, decoded (DER), with the 1-based line of its `BEGIN`.
    Certificate {
        /// DER bytes.
        der: Vec<u8>,
        /// Line of `-----BEGIN CERTIFICATE-----`.
        line: u32,
    },
    /// A private key of any kind: recognised, not decoded.
    PrivateKey,
    /// Anything else (a CSR, parameters, a public key): ignored.
    Other,
    /// A certificate block whose base64 does not decode.
    Corrupt {
        /// Line of its `BEGIN`.
        line: u32,
    },
}

/// Whether a PEM label names private key material (PKCS#8 plain or
/// encrypted, PKCS#1 RSA, SEC1 EC, OpenSSH, DSA...).
pub fn is_private_key_label(label: &str) -> bool {
    label.contains("PRIVATE KEY")
}

/// Every PEM block of `text`, in order. Text outside blocks (openssl's
/// `subject=` headers, comments) is ignored, as openssl does.
pub fn blocks(text: &[u8]) -> Vec<Block> {
    let mut out = Vec::new();
    let mut lines = text.split(|&b| b == b'\n').enumerate();
    while let Some((n, line)) = lines.next() {
        let line = trim(line);
        let Some(label) = line
            .strip_prefix(b"-----BEGIN ")
            .and_then(|l| l.strip_suffix(b"-----"))
        else {
            continue;
        };
        let label = String::from_utf8_lossy(label).into_owned();
        let end = format!("-----END {label}-----");
        let begin_line = n as u32 + 1;
        if is_private_key_label(&label) {
            // Skip to its END without keeping a byte of it.
            for (_, l) in lines.by_ref() {
                if trim(l) == end.as_bytes() {
                    break;
                }
            }
            out.push(Block::PrivateKey);
            continue;
        }
        let mut body = Vec::new();
        for (_, l) in lines.by_ref() {
            let l = trim(l);
            if l == end.as_bytes() {
                break;
            }
            body.extend_from_slice(l);
        }
        if label == "CERTIFICATE" || label == "X509 CERTIFICATE" || label == "TRUSTED CERTIFICATE" {
            match base64::engine::general_purpose::STANDARD.decode(&body) {
                Ok(der) => out.push(Block::Certificate {
                    der,
                    line: begin_line,
                }),
                Err(_) => out.push(Block::Corrupt { line: begin_line }),
            }
        } else {
            out.push(Block::Other);
        }
    }
    out
}

fn trim(line: &[u8]) -> &[u8] {
    line.trim_ascii()
}

/// Where a certificate came from, for [`parse`].
#[derive(Debug, Clone)]
pub struct Place<'a> {
    /// The file or endpoint.
    pub path: &'a str,
    /// How it was read.
    pub kind: Kind,
    /// Kubeconfig user/cluster name or chain position.
    pub name: Option<String>,
    /// The chain check's "beside it".
    pub scope: &'a str,
}

/// One certificate from its DER bytes; `Err` says why it does not parse.
pub fn parse(der: Vec<u8>, place: Place<'_>) -> Result<Certificate, String> {
    let (_, x) =
        X509Certificate::from_der(&der).map_err(|e| format!("not an X.509 certificate: {e}"))?;
    let not_before_ts = x.validity().not_before.timestamp();
    let not_after_ts = x.validity().not_after.timestamp();
    let sans = match x.subject_alternative_name() {
        Ok(Some(ext)) => ext
            .value
            .general_names
            .iter()
            .filter_map(|n| match n {
                GeneralName::DNSName(d) => Some(d.to_string()),
                GeneralName::IPAddress(b) => ip_text(b),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    };
    let server_auth = match x.extended_key_usage() {
        Ok(Some(eku)) => eku.value.server_auth || eku.value.any,
        // No extendedKeyUsage: any use, serving included.
        Ok(None) => !x.is_ca(),
        Err(_) => false,
    };
    let cert = Certificate {
        path: place.path.to_string(),
        kind: place.kind,
        name: place.name,
        subject: x.subject().to_string(),
        issuer: x.issuer().to_string(),
        serial: x.raw_serial_as_string(),
        not_before: crate::time::rfc3339(not_before_ts),
        not_after: crate::time::rfc3339(not_after_ts),
        days_left: 0,
        sans,
        is_ca: x.is_ca(),
        server_auth,
        chain: Chain::NoCa,
        host: None,
        not_before_ts,
        not_after_ts,
        der: Vec::new(),
        scope: place.scope.to_string(),
    };
    drop(x);
    Ok(Certificate { der, ..cert })
}

fn ip_text(b: &[u8]) -> Option<String> {
    match b.len() {
        4 => Some(std::net::Ipv4Addr::new(b[0], b[1], b[2], b[3]).to_string()),
        16 => {
            let mut a = [0u8; 16];
            a.copy_from_slice(b);
            Some(std::net::Ipv6Addr::from(a).to_string())
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_key_blocks_are_recognised_and_not_decoded() {
        let text = b"subject=CN=x\n-----BEGIN RSA PRIVATE KEY-----\nnot base64 at all!\n-----END RSA PRIVATE KEY-----\n-----BEGIN CERTIFICATE-----\nAAEC\n-----END CERTIFICATE-----\n-----BEGIN CERTIFICATE REQUEST-----\nAA==\n-----END CERTIFICATE REQUEST-----\n";
        let b = blocks(text);
        assert_eq!(
            b,
            vec![
                Block::PrivateKey,
                Block::Certificate {
                    der: vec![0, 1, 2],
                    line: 5
                },
                Block::Other
            ]
        );
    }

    #[test]
    fn a_certificate_block_that_is_not_base64_is_corrupt() {
        let b = blocks(b"-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n");
        assert_eq!(b, vec![Block::Corrupt { line: 1 }]);
    }
}
