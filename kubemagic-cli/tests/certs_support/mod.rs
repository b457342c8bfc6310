//! Real certificates for the `certs` tests: CAs and leaves made with rcgen
//! at chosen expiries, written in the layouts kubespray and OpenShift 3.11
//! leave on a host, with their keys beside them and kubeconfigs embedding
//! them; every key's base64 kept so a test can prove no output holds it.
#![allow(dead_code)]

use base64::Engine as _;
use rcgen::{
    BasicConstraints, Certificate, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub const DAY: i64 = 86_400;

pub fn km(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kubemagic"))
        .args(args)
        .output()
        .unwrap()
}

pub fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

pub fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(o)))
}

pub struct Ca {
    pub cert: Certificate,
    pub key: KeyPair,
}

impl Ca {
    pub fn pem(&self) -> String {
        self.cert.pem()
    }
}

pub struct Leaf {
    pub cert: String,
    pub key: String,
}

/// Makes certificates valid from `base - 30 days`, expiring `days` (plus an
/// hour, so whole days left are exactly `days`) after `base`; remembers
/// every private key's base64.
pub struct Pki {
    pub base: i64,
    pub secrets: Vec<String>,
}

fn at(ts: i64) -> time::OffsetDateTime {
    time::OffsetDateTime::from_unix_timestamp(ts).unwrap()
}

impl Pki {
    pub fn new(base: i64) -> Pki {
        Pki {
            base,
            secrets: Vec::new(),
        }
    }

    pub fn now() -> Pki {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        Pki::new(now)
    }

    fn keep(&mut self, key_pem: &str) {
        for l in key_pem
            .lines()
            .filter(|l| !l.starts_with("-----") && l.len() >= 16)
        {
            self.secrets.push(l.to_string());
        }
        self.secrets
            .push(base64::engine::general_purpose::STANDARD.encode(key_pem));
    }

    fn params(&self, cn: &str, days: i64, sans: &[&str]) -> CertificateParams {
        let mut p =
            CertificateParams::new(sans.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap();
        p.distinguished_name.push(DnType::CommonName, cn);
        p.not_before = at(self.base - 30 * DAY);
        p.not_after = at(self.base + days * DAY + 3600);
        p
    }

    pub fn ca(&mut self, cn: &str, days: i64) -> Ca {
        let key = KeyPair::generate().unwrap();
        let mut p = self.params(cn, days, &[]);
        p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        p.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let cert = p.self_signed(&key).unwrap();
        self.keep(&key.serialize_pem());
        Ca { cert, key }
    }

    /// A leaf for server and client use (`server`), or client only.
    pub fn leaf(&mut self, ca: &Ca, cn: &str, days: i64, sans: &[&str], server: bool) -> Leaf {
        let key = KeyPair::generate().unwrap();
        let mut p = self.params(cn, days, sans);
        p.extended_key_usages = if server {
            vec![
                ExtendedKeyUsagePurpose::ServerAuth,
                ExtendedKeyUsagePurpose::ClientAuth,
            ]
        } else {
            vec![ExtendedKeyUsagePurpose::ClientAuth]
        };
        p.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ];
        let cert = p.signed_by(&key, &ca.cert, &ca.key).unwrap().pem();
        let key = key.serialize_pem();
        self.keep(&key);
        Leaf { cert, key }
    }
}

pub fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// `dir/NAME.crt` and `dir/NAME.key`.
pub fn pair(dir: &Path, cert_name: &str, key_name: &str, leaf: &Leaf) {
    write(&dir.join(cert_name), &leaf.cert);
    write(&dir.join(key_name), &leaf.key);
}

pub fn write_ca(dir: &Path, cert_name: &str, key_name: &str, ca: &Ca) {
    write(&dir.join(cert_name), &ca.pem());
    write(&dir.join(key_name), &ca.key.serialize_pem());
}

/// A kubeconfig embedding the CA, the user's certificate and its key.
pub fn kubeconfig(path: &Path, ca: &Ca, user: &str, leaf: &Leaf) {
    let b = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    write(
        path,
        &format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: cluster.local\n  cluster:\n    certificate-authority-data: {}\n    server: https://127.0.0.1:6443\ncontexts:\n- name: ctx\n  context:\n    cluster: cluster.local\n    user: {user}\ncurrent-context: ctx\nusers:\n- name: {user}\n  user:\n    client-certificate-data: {}\n    client-key-data: {}\n",
            b(&ca.pem()),
            b(&leaf.cert),
            b(&leaf.key)
        ),
    );
}

/// Panics naming the secret when any output holds a private key's base64.
pub fn assert_no_secret(pki: &Pki, outputs: &[&Output]) {
    for o in outputs {
        let t = text(o);
        assert!(!t.contains("PRIVATE KEY"), "a key header was printed: {t}");
        for s in &pki.secrets {
            assert!(!t.contains(s.as_str()), "private key material printed: {s}");
        }
    }
}

/// `(code, path ending)` of every finding of a JSON report, sorted.
pub fn codes(report: &serde_json::Value) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let place = f["file"]
                .as_str()
                .or(f["host"].as_str())
                .unwrap_or("")
                .rsplit('/')
                .next()
                .unwrap_or("")
                .to_string();
            (f["code"].as_str().unwrap().to_string(), place)
        })
        .collect();
    v.sort();
    v
}

/// A server a test started, killed (by its own handle) when dropped.
pub struct Server(pub Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Whether `path` is installed; says so (and why) when it is not.
pub fn tool(path: &str) -> bool {
    if Path::new(path).exists() {
        return true;
    }
    eprintln!("SKIP: {path} missing: run scripts/deps.sh test");
    false
}

pub fn wait_listening(port: u16, server: &mut Server, what: &str) {
    let t0 = Instant::now();
    while t0.elapsed() < Duration::from_secs(20) {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        if let Ok(Some(st)) = server.0.try_wait() {
            panic!("{what} exited: {st}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("{what} not listening on 127.0.0.1:{port}");
}

/// A real `openssl s_server` on 127.0.0.1:`port` serving `cert` (and the
/// `chain` after it, when given) with `key`, listening when returned.
pub fn openssl_server(port: u16, cert: &Path, key: &Path, chain: Option<&Path>) -> Server {
    let mut cmd = Command::new("/usr/bin/openssl");
    cmd.args(["s_server", "-quiet", "-www", "-accept"])
        .arg(format!("127.0.0.1:{port}"))
        .arg("-cert")
        .arg(cert)
        .arg("-key")
        .arg(key);
    if let Some(c) = chain {
        cmd.arg("-cert_chain").arg(c);
    }
    let child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut s = Server(child);
    wait_listening(port, &mut s, "openssl s_server");
    s
}
