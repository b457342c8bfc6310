//! `certs probe`: a TLS handshake to an endpoint, only to read the chain it
//! serves.
//!
//! The verifier below accepts any chain (it records it and says yes), which
//! would be wrong for a connection that carries data; this one carries
//! none: it is closed as soon as the server's certificates are in hand.
//! Handshake signatures are still verified (the server must hold the key
//! of the certificate it shows), with rustls's own algorithms. No client
//! certificate is sent: TLS 1.3 and 1.2 both show the server's chain before
//! the server asks for one, so an etcd peer port that requires client
//! certificates is read too, and its refusal afterwards is no failure.

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use std::io::Write;
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// An endpoint to probe, as typed: `HOST:PORT`, `[V6]:PORT`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The name or address to dial (and to send as SNI when a name).
    pub host: String,
    /// The port.
    pub port: u16,
    /// The name to send as SNI and to find in the served certificate,
    /// when it is not `host` (a router dialed by a node's address serves
    /// its wildcard certificate for names under its domain).
    pub server_name: Option<String>,
    /// Whether the served certificate must cover
    /// [`Target::expected_name`] (KM346); an endpoint typed on the command
    /// line always is.
    pub check_name: bool,
}

impl Target {
    /// The name the served certificate must cover.
    pub fn expected_name(&self) -> &str {
        self.server_name.as_deref().unwrap_or(&self.host)
    }

    /// Reads `HOST:PORT`.
    pub fn parse(text: &str) -> Result<Target, crate::CertsError> {
        let bad = || {
            crate::CertsError::Usage(format!(
                "endpoint {text:?}: expected HOST:PORT (or [IPv6]:PORT)"
            ))
        };
        let t = text.trim();
        let t = t
            .strip_prefix("https://")
            .unwrap_or(t)
            .trim_end_matches('/');
        let (host, port) = if let Some(rest) = t.strip_prefix('[') {
            let (h, p) = rest.split_once("]:").ok_or_else(bad)?;
            (h, p)
        } else {
            let (h, p) = t.rsplit_once(':').ok_or_else(bad)?;
            if h.contains(':') {
                return Err(bad());
            }
            (h, p)
        };
        let port = port.parse().map_err(|_| bad())?;
        if host.is_empty() {
            return Err(bad());
        }
        Ok(Target {
            host: host.to_string(),
            port,
            server_name: None,
            check_name: true,
        })
    }

    /// `HOST:PORT` as printed.
    pub fn display(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

#[derive(Debug)]
struct Capture {
    chain: Mutex<Vec<Vec<u8>>>,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for Capture {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let mut chain = vec![end_entity.as_ref().to_vec()];
        chain.extend(intermediates.iter().map(|c| c.as_ref().to_vec()));
        if let Ok(mut c) = self.chain.lock() {
            *c = chain;
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// The chain `target` serves (DER, leaf first), or why it could not be read.
pub fn served_chain(target: &Target, timeout: Duration) -> Result<Vec<Vec<u8>>, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let capture = Arc::new(Capture {
        chain: Mutex::new(Vec::new()),
        provider: provider.clone(),
    });
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .dangerous()
        .with_custom_certificate_verifier(capture.clone())
        .with_no_client_auth();
    let sni = target.expected_name().to_string();
    let name = ServerName::try_from(sni.clone()).map_err(|e| format!("{sni}: {e}"))?;
    let mut conn =
        rustls::ClientConnection::new(Arc::new(config), name).map_err(|e| e.to_string())?;
    let addr = (target.host.as_str(), target.port)
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve {}: {e}", target.host))?
        .next()
        .ok_or_else(|| format!("{} resolves to no address", target.host))?;
    let mut sock = TcpStream::connect_timeout(&addr, timeout).map_err(|e| e.to_string())?;
    sock.set_read_timeout(Some(timeout))
        .map_err(|e| e.to_string())?;
    sock.set_write_timeout(Some(timeout))
        .map_err(|e| e.to_string())?;
    let mut result = Ok(());
    while conn.is_handshaking() {
        if let Err(e) = conn.complete_io(&mut sock) {
            result = Err(e);
            break;
        }
        if capture.chain.lock().map(|c| !c.is_empty()).unwrap_or(false) {
            break;
        }
    }
    conn.send_close_notify();
    let _ = conn.complete_io(&mut sock);
    let _ = sock.flush();
    let chain = capture.chain.lock().map(|c| c.clone()).unwrap_or_default();
    if chain.is_empty() {
        return Err(match result {
            Err(e) => format!("TLS handshake failed: {e}"),
            Ok(()) => "the server sent no certificate".into(),
        });
    }
    Ok(chain)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_are_host_and_port() {
        assert_eq!(
            Target::parse("127.0.0.1:2379").unwrap(),
            Target {
                host: "127.0.0.1".into(),
                port: 2379,
                server_name: None,
                check_name: true,
            }
        );
        assert_eq!(Target::parse("[::1]:443").unwrap().display(), "[::1]:443");
        assert_eq!(
            Target::parse("https://api.example:6443/").unwrap().port,
            6443
        );
        assert!(Target::parse("api.example").is_err());
        assert!(Target::parse("::1:443").is_err());
        assert!(Target::parse(":443").is_err());
    }
}
