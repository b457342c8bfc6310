//! The probe sends the service's name as SNI when it dials an address:
//! OpenShift's router, dialed on an infra node's address, serves its
//! wildcard certificate only for names under its domain. Proved against a
//! real `openssl s_server` serving a second certificate for one name.

use kubemagic_certs::probe::{served_chain, Target};
use rcgen::{CertificateParams, KeyPair};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn self_signed(dir: &Path, name: &str, sans: &[&str]) {
    let key = KeyPair::generate().unwrap();
    let params =
        CertificateParams::new(sans.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap();
    let cert = params.self_signed(&key).unwrap();
    std::fs::write(dir.join(format!("{name}.crt")), cert.pem()).unwrap();
    std::fs::write(dir.join(format!("{name}.key")), key.serialize_pem()).unwrap();
}

fn sans_of(der: &[u8]) -> Vec<String> {
    let (_, c) = x509_parser::parse_x509_certificate(der).unwrap();
    c.subject_alternative_name()
        .unwrap()
        .map(|e| {
            e.value
                .general_names
                .iter()
                .map(|n| n.to_string())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn a_router_dialed_by_address_is_asked_for_a_name_under_its_domain() {
    let openssl = Path::new("/usr/bin/openssl");
    if !openssl.exists() {
        println!("skipped: /usr/bin/openssl missing: run scripts/deps.sh test");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    self_signed(dir.path(), "default", &["default.example"]);
    self_signed(dir.path(), "wild", &["*.apps.x.example"]);
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let d = dir.path();
    let child = Command::new(openssl)
        .args(["s_server", "-quiet", "-www", "-accept"])
        .arg(format!("127.0.0.1:{port}"))
        .arg("-cert")
        .arg(d.join("default.crt"))
        .arg("-key")
        .arg(d.join("default.key"))
        .args(["-servername", "kubemagic-probe.apps.x.example"])
        .arg("-cert2")
        .arg(d.join("wild.crt"))
        .arg("-key2")
        .arg(d.join("wild.key"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let _s = Server(child);
    let t0 = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(t0.elapsed() < Duration::from_secs(20), "s_server not up");
        std::thread::sleep(Duration::from_millis(50));
    }
    let mut t = Target::parse(&format!("127.0.0.1:{port}")).unwrap();
    let plain = served_chain(&t, Duration::from_secs(5)).unwrap();
    assert!(
        format!("{:?}", sans_of(&plain[0])).contains("default.example"),
        "{:?}",
        sans_of(&plain[0])
    );
    t.server_name = Some("kubemagic-probe.apps.x.example".into());
    let named = served_chain(&t, Duration::from_secs(5)).unwrap();
    assert!(
        format!("{:?}", sans_of(&named[0])).contains("*.apps.x.example"),
        "{:?}",
        sans_of(&named[0])
    );
    assert_eq!(t.expected_name(), "kubemagic-probe.apps.x.example");
}
