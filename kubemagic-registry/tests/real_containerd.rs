//! The rendered files against the real thing: Debian's containerd (1.6) and
//! docker-registry on loopback, an image the test writes as an OCI layout
//! and pushes with skopeo, pulled with `ctr images pull --hosts-dir` through
//! the files `kubemagic registry render` wrote — and not pulled without
//! them (negative controls). Needs root (containerd's snapshotter); skips
//! with the reason printed otherwise or when a tool is missing.

use sha2::{Digest, Sha256};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn missing_tools() -> Option<String> {
    for t in [
        "containerd",
        "ctr",
        "docker-registry",
        "skopeo",
        "openssl",
        "tar",
    ] {
        let found = std::env::var_os("PATH")
            .map(|p| std::env::split_paths(&p).any(|d| d.join(t).is_file()))
            .unwrap_or(false);
        if !found {
            return Some(format!(
                "{t} not installed (scripts/deps.sh test installs it)"
            ));
        }
    }
    if unsafe { libc_geteuid() } != 0 {
        return Some("not root: containerd's snapshotter needs root".into());
    }
    None
}

extern "C" {
    #[link_name = "geteuid"]
    fn libc_geteuid() -> u32;
}

struct Proc(Child);
impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn wait_port(port: u16) {
    let t = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            t.elapsed() < Duration::from_secs(20),
            "port {port} never opened"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn run(cmd: &mut Command) -> (bool, String) {
    let out = cmd.output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// A CA and a server certificate for 127.0.0.1, made with openssl.
fn certificates(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let ca_key = dir.join("ca.key");
    let ca = dir.join("ca.pem");
    let key = dir.join("server.key");
    let csr = dir.join("server.csr");
    let crt = dir.join("server.pem");
    let ext = dir.join("ext.cnf");
    std::fs::write(&ext, "subjectAltName=IP:127.0.0.1\n").unwrap();
    let steps: Vec<Vec<&str>> = vec![
        vec![
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=kubemagic test CA",
            "-keyout",
            ca_key.to_str().unwrap(),
            "-out",
            ca.to_str().unwrap(),
        ],
        vec![
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            "/CN=127.0.0.1",
            "-keyout",
            key.to_str().unwrap(),
            "-out",
            csr.to_str().unwrap(),
        ],
        vec![
            "x509",
            "-req",
            "-in",
            csr.to_str().unwrap(),
            "-CA",
            ca.to_str().unwrap(),
            "-CAkey",
            ca_key.to_str().unwrap(),
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            ext.to_str().unwrap(),
            "-out",
            crt.to_str().unwrap(),
        ],
    ];
    for s in steps {
        let (ok, text) = run(Command::new("openssl").args(&s));
        assert!(ok, "openssl {s:?}: {text}");
    }
    (ca, crt, key)
}

fn registry(dir: &Path, name: &str, port: u16, tls: Option<(&Path, &Path)>) -> Proc {
    let data = dir.join(format!("{name}-data"));
    let tls = tls
        .map(|(c, k)| {
            format!(
                "  tls:\n    certificate: {}\n    key: {}\n",
                c.display(),
                k.display()
            )
        })
        .unwrap_or_default();
    let cfg = dir.join(format!("{name}.yml"));
    std::fs::write(
        &cfg,
        format!(
            "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: 127.0.0.1:{port}\n{tls}",
            data.display()
        ),
    )
    .unwrap();
    let child = Command::new("docker-registry")
        .arg("serve")
        .arg(&cfg)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_port(port);
    Proc(child)
}

/// A one-layer OCI image layout, tag v1.
fn oci_image(dir: &Path) -> PathBuf {
    let root = dir.join("rootfs");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::write(root.join("hello.txt"), "kubemagic\n").unwrap();
    let layer_tar = dir.join("layer.tar");
    let (ok, text) = run(Command::new("tar")
        .arg("-C")
        .arg(&root)
        .arg("-cf")
        .arg(&layer_tar)
        .arg("hello.txt"));
    assert!(ok, "{text}");
    let oci = dir.join("oci");
    let blobs = oci.join("blobs/sha256");
    std::fs::create_dir_all(&blobs).unwrap();
    let blob = |bytes: &[u8]| -> (String, usize) {
        let d = format!("{:x}", Sha256::digest(bytes));
        std::fs::write(blobs.join(&d), bytes).unwrap();
        (format!("sha256:{d}"), bytes.len())
    };
    let layer = std::fs::read(&layer_tar).unwrap();
    let (ld, ls) = blob(&layer);
    let config = serde_json::json!({"architecture": "amd64", "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": [ld]}, "config": {}});
    let (cd, cs) = blob(config.to_string().as_bytes());
    let manifest = serde_json::json!({"schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": cs},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": ld, "size": ls}]});
    let (md, ms) = blob(manifest.to_string().as_bytes());
    let index = serde_json::json!({"schemaVersion": 2, "manifests": [{
        "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": md, "size": ms,
        "annotations": {"org.opencontainers.image.ref.name": "v1"}}]});
    std::fs::write(oci.join("index.json"), index.to_string()).unwrap();
    std::fs::write(oci.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    oci
}

fn push(oci: &Path, port: u16) {
    let (ok, text) = run(Command::new("skopeo").args([
        "copy",
        "--dest-tls-verify=false",
        &format!("oci:{}:v1", oci.display()),
        &format!("docker://127.0.0.1:{port}/km/hello:v1"),
    ]));
    assert!(ok, "skopeo: {text}");
}

/// containerd on its own socket and directories, with `extra` appended to
/// its config (the rendered CRI fragment).
fn containerd(dir: &Path, name: &str, extra: &str) -> (Proc, PathBuf) {
    let base = dir.join(name);
    std::fs::create_dir_all(&base).unwrap();
    let sock = base.join("ctd.sock");
    let cfg = base.join("config.toml");
    std::fs::write(
        &cfg,
        format!(
            "version = 2\nroot = \"{b}/root\"\nstate = \"{b}/state\"\n[grpc]\n  address = \"{s}\"\n[ttrpc]\n  address = \"{s}.ttrpc\"\n{extra}",
            b = base.display(),
            s = sock.display()
        ),
    )
    .unwrap();
    let child = Command::new("containerd")
        .arg("--config")
        .arg(&cfg)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(base.join("containerd.log")).unwrap())
        .spawn()
        .unwrap();
    let t = Instant::now();
    loop {
        let (ok, _) = run(Command::new("ctr")
            .arg("--address")
            .arg(&sock)
            .arg("version"));
        if ok {
            break;
        }
        assert!(
            t.elapsed() < Duration::from_secs(30),
            "containerd never answered"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    (Proc(child), sock)
}

fn cri_state(sock: &Path) -> String {
    let (_, text) = run(Command::new("ctr")
        .arg("--address")
        .arg(sock)
        .args(["plugins", "ls"]));
    text.lines()
        .find(|l| l.contains("io.containerd.grpc.v1") && l.split_whitespace().nth(1) == Some("cri"))
        .and_then(|l| l.split_whitespace().last())
        .unwrap_or("missing")
        .to_string()
}

fn pull(sock: &Path, hosts_dir: Option<&Path>, image: &str) -> (bool, String) {
    let mut c = Command::new("timeout");
    c.arg("60")
        .arg("ctr")
        .arg("--address")
        .arg(sock)
        .args(["images", "pull"]);
    if let Some(h) = hosts_dir {
        c.arg("--hosts-dir").arg(h);
    }
    run(c.arg(image))
}

fn site(dir: &Path, kubespray: &str, http: u16, tls: u16, ca: &Path) -> PathBuf {
    let s = dir.join(format!("site-{kubespray}"));
    let inv = s.join("kubespray/inventory/lab");
    std::fs::create_dir_all(inv.join("group_vars/all")).unwrap();
    std::fs::write(
        s.join("kubemagic.yml"),
        format!("name: lab\nflavor: kubespray\nkubespray_inventory: lab\nupstreams:\n  kubespray:\n    url: https://github.com/kubernetes-sigs/kubespray.git\n    ref: {kubespray}\n"),
    )
    .unwrap();
    std::fs::write(
        inv.join("hosts.yml"),
        "all:\n  children:\n    kube_control_plane:\n      hosts:\n        node1:\n          ansible_host: 127.0.0.1\n    kube_node:\n      hosts:\n        node1:\n    etcd:\n      hosts:\n        node1:\n    k8s_cluster:\n      children:\n        kube_control_plane:\n        kube_node:\n",
    )
    .unwrap();
    std::fs::write(
        inv.join("group_vars/all/containerd.yml"),
        format!(
            "container_manager: containerd\ncontainerd_version: 1.6.20\ncontainerd_registries_mirrors:\n  - prefix: registry.kubemagic.test\n    mirrors:\n      - host: http://127.0.0.1:{http}\n        capabilities: [pull, resolve]\n  - prefix: secure.kubemagic.test\n    mirrors:\n      - host: https://127.0.0.1:{tls}\n        capabilities: [pull, resolve]\n        ca: [\"{}\"]\n",
            ca.display()
        ),
    )
    .unwrap();
    s
}

/// What `kubemagic registry render SITE --dest DEST` does: the one
/// reading, rendered and written. Returns the finding codes.
fn render(site: &Path, dest: &Path) -> Vec<String> {
    let site = kubemagic_site::Site::load(site).unwrap();
    let report = kubemagic_registry::render(&site, None).unwrap();
    assert!(!report.has_errors(), "{:?}", report.findings);
    kubemagic_registry::write_files(&report, dest).unwrap();
    report.findings.iter().map(|f| f.code.clone()).collect()
}

#[test]
fn rendered_hosts_toml_pull_from_http_and_private_ca_registries_and_nothing_pulls_without_them() {
    if let Some(why) = missing_tools() {
        println!("SKIP real containerd registry test: {why}");
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    let (ca, crt, key) = certificates(dir);
    let (http, tls) = (free_port(), free_port());
    let _plain = registry(dir, "plain", http, None);
    let _secure = registry(dir, "secure", tls, Some((&crt, &key)));
    let oci = oci_image(dir);
    push(&oci, http);
    push(&oci, tls);

    // kubespray 2.28: hosts.toml carries the CA.
    let new = site(dir, "v2.28.0", http, tls, &ca);
    let dest = dir.join("out-2.28");
    let codes = render(&new, &dest);
    assert!(codes.is_empty(), "{codes:?}");
    let hosts_dir = dest.join("node1/etc/containerd/certs.d");
    let fragment =
        std::fs::read_to_string(dest.join("node1/etc/containerd/kubemagic-registries.toml"))
            .unwrap();

    // The CRI plugin loads with the rendered fragment.
    let (_c, sock) = containerd(dir, "ctd", &fragment);
    assert_eq!(cri_state(&sock), "ok", "CRI plugin with {fragment}");

    // Negative controls first: no hosts dir, nothing resolves.
    let plain_image = "registry.kubemagic.test/km/hello:v1";
    let secure_image = "secure.kubemagic.test/km/hello:v1";
    let (ok, text) = pull(&sock, None, plain_image);
    assert!(!ok, "pulled without the rendered files: {text}");
    let (ok, text) = pull(&sock, None, secure_image);
    assert!(!ok, "pulled without the rendered files: {text}");

    // With them: both.
    let (ok, text) = pull(&sock, Some(&hosts_dir), plain_image);
    assert!(ok, "plain HTTP mirror: {text}");
    let (ok, text) = pull(&sock, Some(&hosts_dir), secure_image);
    assert!(ok, "TLS mirror with the test's CA: {text}");

    // kubespray 2.26 cannot write the CA (KM404): its hosts.toml leaves it
    // out, and containerd refuses the certificate.
    let old = site(dir, "v2.26.0", http, tls, &ca);
    let dest_old = dir.join("out-2.26");
    let codes = render(&old, &dest_old);
    assert_eq!(codes, vec!["KM404"]);
    let (_, _) =
        run(Command::new("ctr")
            .arg("--address")
            .arg(&sock)
            .args(["images", "rm", secure_image]));
    let (ok, text) = pull(
        &sock,
        Some(&dest_old.join("node1/etc/containerd/certs.d")),
        secure_image,
    );
    assert!(!ok, "pulled without the CA: {text}");
    assert!(
        text.contains("certificate") || text.contains("x509"),
        "{text}"
    );
}

#[test]
fn mirrors_beside_config_path_keep_the_cri_plugin_from_loading() {
    // The claim behind KM403, proven on containerd itself.
    if let Some(why) = missing_tools() {
        println!("SKIP real containerd registry test: {why}");
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let both = "[plugins.\"io.containerd.grpc.v1.cri\".registry]\n  config_path = \"/nonexistent/certs.d\"\n  [plugins.\"io.containerd.grpc.v1.cri\".registry.mirrors]\n    [plugins.\"io.containerd.grpc.v1.cri\".registry.mirrors.\"docker.io\"]\n      endpoint = [\"https://registry-1.docker.io\"]\n";
    let (_c, sock) = containerd(d.path(), "both", both);
    assert_ne!(cri_state(&sock), "ok");
}
