//! A real Ceph 16 on loopback, in a temporary directory, as the current
//! user: one `ceph-mon` (msgr v2 and v1 on free 127.0.0.1 or ::1 ports), one OSD on
//! memstore, and optionally a `ceph-mgr` and a `ceph-mds` for CephFS.
//! Everything runs with `--conf` in the temp dir; `/etc/ceph` is never read.
//! Daemons run in the foreground (`-f`) as children and are killed on drop.

#![allow(dead_code)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct TestCeph {
    pub dir: tempfile::TempDir,
    pub conf: PathBuf,
    pub keyring: PathBuf,
    pub fsid: String,
    pub v1_port: u16,
    pub v2_port: u16,
    children: Vec<(String, Child)>,
}

fn free_port(ip: &str) -> u16 {
    TcpListener::bind((ip, 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Two distinct free ports (v2, v1).
fn free_ports(ip: &str) -> (u16, u16) {
    loop {
        let (a, b) = (free_port(ip), free_port(ip));
        if a != b {
            return (a, b);
        }
    }
}

fn run(cmd: &mut Command) -> String {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn uuid() -> String {
    // Pseudo-random v4-shaped UUID from the clock and pid: unique enough
    // for a throwaway cluster, without a uuid dependency.
    let n = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
        ^ (u128::from(std::process::id()) << 64);
    let h = format!(
        "{:032x}",
        n.wrapping_mul(0x9E37_79B9_7F4A_7C15_F39C_C060_5CED_C835)
    );
    format!(
        "{}-{}-4{}-a{}-{}",
        &h[0..8],
        &h[8..12],
        &h[13..16],
        &h[17..20],
        &h[20..32]
    )
}

impl TestCeph {
    pub fn ceph(&self) -> Command {
        let mut c = Command::new("ceph");
        c.arg("--conf")
            .arg(&self.conf)
            .arg("--connect-timeout")
            .arg("20");
        c
    }

    /// `ceph ARGS --format json`, parsed.
    pub fn ceph_json(&self, args: &[&str]) -> serde_json::Value {
        let out = run(self.ceph().args(args).args(["--format", "json"]));
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("ceph {args:?}: {e}: {out}"))
    }

    fn spawn(&mut self, name: &str, program: &str, args: &[&str]) {
        let log = std::fs::File::create(self.dir.path().join(format!("log/{name}.out"))).unwrap();
        let child = Command::new(program)
            .arg("--conf")
            .arg(&self.conf)
            .args(args)
            .arg("-f")
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start {program} (install Debian's ceph packages: make test-deps): {e}"
                )
            });
        self.children.push((name.to_string(), child));
    }

    fn wait_for(&self, what: &str, timeout: Duration, mut ok: impl FnMut() -> bool) {
        let start = Instant::now();
        while !ok() {
            assert!(
                start.elapsed() < timeout,
                "{what} not ready after {timeout:?}; logs in {}",
                self.dir.path().display()
            );
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    /// Mon + one memstore OSD, up and in, on 127.0.0.1.
    pub fn start() -> TestCeph {
        Self::start_on("127.0.0.1")
    }

    /// The same on `ip`: `127.0.0.1` or `::1` (msgr bound to IPv6 only).
    pub fn start_on(ip: &str) -> TestCeph {
        let v6 = ip.contains(':');
        let host = if v6 {
            format!("[{ip}]")
        } else {
            ip.to_string()
        };
        let bind = if v6 {
            "ms bind ipv6 = true\nms bind ipv4 = false\n"
        } else {
            ""
        };
        let dir = tempfile::Builder::new()
            .prefix("kubemagic-ceph-")
            .tempdir()
            .unwrap();
        let d = dir.path();
        for sub in ["run", "log", "mon.a", "osd.0", "mgr.x", "mds.a"] {
            std::fs::create_dir_all(d.join(sub)).unwrap();
        }
        let fsid = uuid();
        let (v2_port, v1_port) = free_ports(ip);
        let addrvec = format!("[v2:{host}:{v2_port},v1:{host}:{v1_port}]");
        let conf = d.join("ceph.conf");
        let keyring = d.join("ceph.client.admin.keyring");
        let dd = d.display();
        std::fs::write(
            &conf,
            format!(
                "[global]\nfsid = {fsid}\nmon host = {addrvec}\npublic addr = {ip}\n{bind}\
                 run dir = {dd}/run\nadmin socket = {dd}/run/$cluster-$name.asok\nlog file = {dd}/log/$name.log\n\
                 pid file = {dd}/run/$name.pid\nkeyring = {}\n\
                 osd pool default size = 1\nosd pool default min size = 1\nmon allow pool size one = true\n\
                 mon allow pool delete = true\nmon warn on pool no redundancy = false\nosd objectstore = memstore\n\
                 memstore device bytes = 268435456\nosd crush chooseleaf type = 0\n\
                 mon data = {dd}/mon.$id\nmgr data = {dd}/mgr.$id\nosd data = {dd}/osd.$id\nmds data = {dd}/mds.$id\n\
                 auth allow insecure global id reclaim = false\nmon data avail warn = 1\nmon data avail crit = 0\n\
                 [osd]\nkeyring = {dd}/osd.$id/keyring\n[mgr]\nkeyring = {dd}/mgr.$id/keyring\n[mds]\nkeyring = {dd}/mds.$id/keyring\n",
                keyring.display()
            ),
        )
        .unwrap();
        let mon_keyring = d.join("mon.keyring");
        run(Command::new("ceph-authtool")
            .arg("--create-keyring")
            .arg(&mon_keyring)
            .args(["--gen-key", "-n", "mon.", "--cap", "mon", "allow *"]));
        run(Command::new("ceph-authtool")
            .arg("--create-keyring")
            .arg(&keyring)
            .args([
                "--gen-key",
                "-n",
                "client.admin",
                "--cap",
                "mon",
                "allow *",
                "--cap",
                "osd",
                "allow *",
                "--cap",
                "mds",
                "allow *",
                "--cap",
                "mgr",
                "allow *",
            ]));
        run(Command::new("ceph-authtool")
            .arg(&mon_keyring)
            .arg("--import-keyring")
            .arg(&keyring));
        let monmap = d.join("monmap");
        run(Command::new("monmaptool")
            .args(["--create", "--addv", "a", &addrvec, "--fsid", &fsid])
            .arg(&monmap));
        run(Command::new("ceph-mon")
            .arg("--conf")
            .arg(&conf)
            .args(["--mkfs", "-i", "a", "--monmap"])
            .arg(&monmap)
            .arg("--keyring")
            .arg(&mon_keyring));

        let mut c = TestCeph {
            dir,
            conf,
            keyring,
            fsid,
            v1_port,
            v2_port,
            children: vec![],
        };
        c.spawn("mon.a", "ceph-mon", &["-i", "a"]);
        c.wait_for("ceph-mon", Duration::from_secs(30), || {
            c.ceph()
                .args(["mon", "stat"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .map(|s| s.success())
                .unwrap_or(false)
        });

        let osd_uuid = uuid();
        let secret = run(Command::new("ceph-authtool").arg("--gen-print-key"))
            .trim()
            .to_string();
        let mut new = c
            .ceph()
            .args(["osd", "new", &osd_uuid, "-i", "-"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        {
            use std::io::Write;
            let mut stdin = new.stdin.take().unwrap();
            write!(stdin, "{{\"cephx_secret\": \"{secret}\"}}").unwrap();
        }
        let out = new.wait_with_output().unwrap();
        assert!(out.status.success(), "ceph osd new failed");
        let id = String::from_utf8_lossy(&out.stdout).trim().to_string();
        assert_eq!(id, "0");
        let osd_dir = c.dir.path().join("osd.0");
        run(Command::new("ceph-authtool")
            .arg("--create-keyring")
            .arg(osd_dir.join("keyring"))
            .args(["--name", "osd.0", "--add-key", &secret]));
        run(Command::new("ceph-osd").arg("--conf").arg(&c.conf).args([
            "-i",
            "0",
            "--mkfs",
            "--osd-uuid",
            &osd_uuid,
        ]));
        c.spawn("osd.0", "ceph-osd", &["-i", "0"]);
        c.wait_for("ceph-osd", Duration::from_secs(60), || {
            c.ceph_json(&["osd", "stat"])["num_up_osds"].as_u64() == Some(1)
        });
        c
    }

    /// Adds a mgr and an MDS, and a file system `cephfs`, for CephFS.
    pub fn start_cephfs(&mut self) {
        let d = self.dir.path().to_path_buf();
        run(self
            .ceph()
            .args([
                "auth",
                "get-or-create",
                "mgr.x",
                "mon",
                "allow profile mgr",
                "osd",
                "allow *",
                "mds",
                "allow *",
                "-o",
            ])
            .arg(d.join("mgr.x/keyring")));
        self.spawn("mgr.x", "ceph-mgr", &["-i", "x"]);
        run(self
            .ceph()
            .args([
                "auth",
                "get-or-create",
                "mds.a",
                "mon",
                "allow profile mds",
                "osd",
                "allow rw tag cephfs *=*",
                "mds",
                "allow",
                "mgr",
                "allow profile mds",
                "-o",
            ])
            .arg(d.join("mds.a/keyring")));
        self.spawn("mds.a", "ceph-mds", &["-i", "a"]);
        run(self
            .ceph()
            .args(["osd", "pool", "create", "cephfs_metadata", "8"]));
        run(self
            .ceph()
            .args(["osd", "pool", "create", "cephfs_data", "8"]));
        run(self
            .ceph()
            .args(["fs", "new", "cephfs", "cephfs_metadata", "cephfs_data"]));
        self.wait_for("ceph-mgr", Duration::from_secs(90), || {
            self.ceph_json(&["mgr", "stat"])["available"].as_bool() == Some(true)
        });
        self.wait_for("ceph-mds", Duration::from_secs(90), || {
            let fs = self.ceph_json(&["fs", "get", "cephfs"]);
            fs["mdsmap"]["info"]
                .as_object()
                .is_some_and(|i| i.values().any(|m| m["state"] == "up:active"))
        });
        // The mgr's volumes module loads a moment after the mgr is available.
        self.wait_for("mgr volumes module", Duration::from_secs(60), || {
            self.ceph()
                .args(["fs", "subvolumegroup", "ls", "cephfs"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .map(|s| s.success())
                .unwrap_or(false)
        });
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for TestCeph {
    fn drop(&mut self) {
        for (_, child) in self.children.iter_mut().rev() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
