//! Shared by the lb integration tests: finding the real tools, building
//! sites on disk, and network namespaces that are always removed.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The path of `name` among the usual sbin/bin directories, if installed.
pub fn tool(name: &str) -> Option<PathBuf> {
    [
        "/usr/sbin",
        "/usr/bin",
        "/sbin",
        "/bin",
        "/usr/local/sbin",
        "/usr/local/bin",
    ]
    .iter()
    .map(|d| Path::new(d).join(name))
    .find(|p| p.is_file())
}

pub fn run(cmd: &mut Command) -> Output {
    cmd.output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"))
}

/// Runs and returns stdout, panicking with stderr on failure.
pub fn ok(cmd: &mut Command) -> String {
    let out = run(cmd);
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn write(p: &Path, text: &str) {
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let t = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &t);
        } else {
            std::fs::copy(e.path(), &t).unwrap();
        }
    }
}

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A network namespace made by this test, deleted (with every process
/// still running in it) when dropped, panics included.
pub struct Netns {
    pub name: String,
}

impl Netns {
    /// Creates `name`; Err(reason) when the machine does not allow it.
    pub fn new(name: &str) -> Result<Netns, String> {
        let ip = tool("ip").ok_or("iproute2's `ip` is not installed")?;
        // A leftover of a killed earlier run has our exact name: remove it.
        let _ = Command::new(&ip).args(["netns", "del", name]).output();
        let out = Command::new(&ip)
            .args(["netns", "add", name])
            .output()
            .map_err(|e| format!("cannot run ip: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "`ip netns add {name}` failed (needs root / CAP_NET_ADMIN): {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        let ns = Netns { name: name.into() };
        ns.exec(&["ip", "link", "set", "lo", "up"]);
        Ok(ns)
    }

    /// A command run inside the namespace.
    pub fn cmd(&self, argv: &[&str]) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", &self.name]).args(argv);
        c
    }

    /// Runs inside the namespace; panics on failure.
    pub fn exec(&self, argv: &[&str]) -> String {
        ok(&mut self.cmd(argv))
    }

    /// PIDs of the processes inside the namespace.
    pub fn pids(&self) -> Vec<i32> {
        let out = Command::new("ip")
            .args(["netns", "pids", &self.name])
            .output();
        out.map(|o| {
            String::from_utf8_lossy(&o.stdout)
                .split_whitespace()
                .filter_map(|p| p.parse().ok())
                .collect()
        })
        .unwrap_or_default()
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        // Bounded: every process of the namespace gets SIGKILL, a few times.
        for _ in 0..5 {
            let pids = self.pids();
            if pids.is_empty() {
                break;
            }
            for p in pids {
                let _ = Command::new("kill")
                    .args(["-KILL", &p.to_string()])
                    .output();
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .output();
    }
}

/// A link in the root namespace (the test's bridge), deleted when dropped.
pub struct Link(pub String);

impl Drop for Link {
    fn drop(&mut self) {
        let _ = Command::new("ip").args(["link", "del", &self.0]).output();
    }
}

/// `haproxy -c -f FILE` and `keepalived -t -f FILE` on rendered text.
/// Keepalived refuses interfaces that do not exist, so the check runs in a
/// namespace holding a dummy interface of each name the file uses (what the
/// lb host has); the role's interface placeholder is resolved first, as
/// the role does.
pub struct Validator {
    ns: Option<Netns>,
    made: std::cell::RefCell<Vec<String>>,
    pub how: String,
}

impl Validator {
    pub fn new(tag: &str) -> Validator {
        match Netns::new(&format!("kmlbv-{tag}-{}", std::process::id())) {
            Ok(ns) => Validator {
                ns: Some(ns),
                made: Default::default(),
                how: "keepalived -t in a test namespace with the configured interfaces".into(),
            },
            Err(why) => Validator {
                ns: None,
                made: Default::default(),
                how: format!("keepalived -t with interfaces replaced by `lo` ({why})"),
            },
        }
    }

    pub fn haproxy(&self, dir: &Path, text: &str) {
        let p = dir.join("haproxy.cfg");
        write(&p, text);
        let out = run(Command::new("haproxy").arg("-c").arg("-f").arg(&p));
        assert!(
            out.status.success(),
            "haproxy -c rejects {}:\n{}{}\n{text}",
            p.display(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    pub fn keepalived(&self, dir: &Path, text: &str) {
        let mut text = text.replace(kubemagic_lb::INTERFACE_PLACEHOLDER, "eth0");
        let names: Vec<String> = text
            .lines()
            .filter_map(|l| {
                let l = l.trim();
                l.strip_prefix("interface ")
                    .or_else(|| l.split_once(" dev ").map(|(_, d)| d))
                    .map(|s| s.trim().to_string())
            })
            .collect();
        let p = dir.join("keepalived.conf");
        let out = match &self.ns {
            Some(ns) => {
                for n in names {
                    if !self.made.borrow().contains(&n) {
                        // veth, not dummy: some kernels (containers) lack the dummy driver.
                        let peer = format!("kmp{}", self.made.borrow().len());
                        ns.exec(&[
                            "ip", "link", "add", &n, "type", "veth", "peer", "name", &peer,
                        ]);
                        self.made.borrow_mut().push(n);
                    }
                }
                write(&p, &text);
                run(&mut ns.cmd(&["keepalived", "-t", "-f", p.to_str().unwrap()]))
            }
            None => {
                for n in names {
                    text = text.replace(&format!("interface {n}"), "interface lo");
                    text = text.replace(&format!(" dev {n}"), " dev lo");
                }
                write(&p, &text);
                run(Command::new("keepalived").arg("-t").arg("-f").arg(&p))
            }
        };
        assert!(
            out.status.success(),
            "keepalived -t rejects {}:\n{}{}\n{text}",
            p.display(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
