//! The proof of issue 13: a real failover, not a config diff.
//!
//! In network namespaces made (and removed) by this test: a "switch"
//! namespace with a bridge (it is also the client), two lb namespaces and
//! three control-plane namespaces each serving HTTPS `/healthz` (Python,
//! self-signed certificate). kubemagic renders haproxy.cfg and
//! keepalived.conf from a site whose addresses are these; the real
//! `haproxy` and `keepalived` run in the lb namespaces. Then:
//! 1. requests through the VIP succeed;
//! 2. the serving backend stopped: haproxy takes it out, requests still succeed;
//! 3. haproxy killed on the MASTER: the track script gives the VIP up, the
//!    BACKUP takes it, requests succeed again;
//! 4. keepalived killed (SIGKILL, every process) on the MASTER: the BACKUP
//!    takes the VIP over, requests succeed;
//! 5. the longest gap without a successful request during 3 and 4 is
//!    printed (`FAILOVER-GAP ...` lines, which scripts/bench-lb.sh reads; the
//!    target, <= 3 s with advert_int 1, is checked there, not here).
//!
//! Without root / CAP_NET_ADMIN, or without the tools, the test prints why
//! and is skipped. Every namespace (and every process in it) is removed on
//! drop, so on failure too; every wait is bounded in count and time.

mod common;

use common::*;
use std::io::BufRead;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const VIP: &str = "10.250.0.100";
const PORT: u16 = 6443;

/// A process we started; killed when dropped.
struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn spawn(ns: &Netns, argv: &[&str], what: &'static str, log: &Path) -> Proc {
    let f = std::fs::File::create(log).unwrap();
    let child = ns
        .cmd(argv)
        .stdin(Stdio::null())
        .stdout(f.try_clone().unwrap())
        .stderr(f)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {what}: {e}"));
    Proc(child)
}

const SERVER: &str = r#"
import http.server, ssl, sys
name, d = sys.argv[1], sys.argv[2]
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = (name + "\n").encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
s = http.server.ThreadingHTTPServer(("0.0.0.0", 6443), H)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(d + "/cert.pem", d + "/key.pem")
s.socket = ctx.wrap_socket(s.socket, server_side=True)
s.serve_forever()
"#;

/// One HTTPS GET every 50 ms (new connection each, 0.5 s timeout), one
/// line per attempt; stops by itself after `limit` seconds.
const PROBE: &str = r#"
import http.client, ssl, sys, time
vip, port, limit = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
ctx = ssl._create_unverified_context()
end = time.monotonic() + limit
while time.monotonic() < end:
    t = time.monotonic()
    try:
        c = http.client.HTTPSConnection(vip, port, timeout=0.5, context=ctx)
        c.request("GET", "/healthz")
        r = c.getresponse()
        body = r.read().decode().strip()
        c.close()
        print(("OK " if r.status == 200 else "FAIL ") + body, flush=True)
    except Exception as e:
        print("FAIL " + type(e).__name__, flush=True)
    time.sleep(max(0.0, 0.05 - (time.monotonic() - t)))
"#;

#[derive(Clone)]
struct Sample {
    at: Instant,
    ok: bool,
    body: String,
}

type Samples = Arc<Mutex<Vec<Sample>>>;

fn samples_since(s: &Samples, t: Instant) -> Vec<Sample> {
    s.lock()
        .unwrap()
        .iter()
        .filter(|x| x.at >= t)
        .cloned()
        .collect()
}

/// Waits (bounded) until `cond` holds; panics with `what` and the
/// processes' logs otherwise.
fn wait_for(
    what: &str,
    limit: Duration,
    logs: &dyn Fn() -> String,
    mut cond: impl FnMut() -> bool,
) -> Duration {
    let start = Instant::now();
    for _ in 0..(limit.as_millis() / 50 + 1) {
        if cond() {
            return start.elapsed();
        }
        if start.elapsed() > limit {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("timed out after {limit:?} waiting for {what}\n{}", logs());
}

/// `n` successes in a row since `t`.
fn ok_streak(s: &Samples, t: Instant, n: usize) -> bool {
    let v = samples_since(s, t);
    v.len() >= n && v[v.len() - n..].iter().all(|x| x.ok)
}

/// The longest time without a successful request in [from, to]: between
/// the last success at or before `from` and each next success.
fn longest_gap(s: &Samples, from: Instant, to: Instant) -> Duration {
    let v = s.lock().unwrap().clone();
    let mut last = v
        .iter()
        .filter(|x| x.ok && x.at <= from)
        .map(|x| x.at)
        .next_back()
        .unwrap_or(from);
    let mut gap = Duration::ZERO;
    for x in v.iter().filter(|x| x.ok && x.at > from && x.at <= to) {
        gap = gap.max(x.at - last);
        last = x.at;
    }
    // A trailing stretch without success counts too.
    gap.max(to.saturating_duration_since(last))
}

fn has_vip(ns: &Netns) -> bool {
    ns.cmd(&["ip", "-o", "addr", "show", "dev", "eth0"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).contains(&format!(" {VIP}/")))
        .unwrap_or(false)
}

/// Kills every process named `comm` in the namespace at once, as a crash
/// would: all are stopped first, then SIGKILLed, so none sees another die
/// (Keepalived's VRRP child would otherwise get SIGTERM from its parent's
/// death and leave gracefully, which is not what is being proved).
fn kill_in(ns: &Netns, comm: &str) -> usize {
    let pids: Vec<String> = ns
        .pids()
        .into_iter()
        .filter(|p| {
            std::fs::read_to_string(format!("/proc/{p}/comm")).is_ok_and(|c| c.trim() == comm)
        })
        .map(|p| p.to_string())
        .collect();
    if !pids.is_empty() {
        let _ = Command::new("kill").arg("-STOP").args(&pids).output();
        let _ = Command::new("kill").arg("-KILL").args(&pids).output();
    }
    pids.len()
}

fn skip(why: &str) {
    eprintln!("SKIPPED lb failover test: {why}");
}

#[test]
fn the_vip_fails_over_when_haproxy_or_keepalived_dies_on_the_master() {
    for t in [
        "haproxy",
        "keepalived",
        "openssl",
        "python3",
        "ip",
        "timeout",
        "bash",
    ] {
        if tool(t).is_none() {
            return skip(&format!(
                "`{t}` not installed (scripts/deps.sh test installs it)"
            ));
        }
    }
    let pid = std::process::id();
    let sw = match Netns::new(&format!("kmlb-sw-{pid}")) {
        Ok(n) => n,
        Err(why) => return skip(&why),
    };
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();

    // The network: every node's eth0 on the switch's bridge.
    sw.exec(&["ip", "link", "add", "br0", "type", "bridge"]);
    sw.exec(&["ip", "addr", "add", "10.250.0.1/24", "dev", "br0"]);
    sw.exec(&["ip", "link", "set", "br0", "up"]);
    let mut nodes: Vec<(String, Netns, &str)> = Vec::new();
    for (name, addr) in [
        ("lb1", "10.250.0.11"),
        ("lb2", "10.250.0.12"),
        ("cp1", "10.250.0.21"),
        ("cp2", "10.250.0.22"),
        ("cp3", "10.250.0.23"),
    ] {
        let ns = Netns::new(&format!("kmlb-{name}-{pid}")).unwrap();
        let port = format!("p-{name}");
        sw.exec(&[
            "ip", "link", "add", &port, "type", "veth", "peer", "name", "eth0", "netns", &ns.name,
        ]);
        sw.exec(&["ip", "link", "set", &port, "master", "br0", "up"]);
        ns.exec(&["ip", "addr", "add", &format!("{addr}/24"), "dev", "eth0"]);
        ns.exec(&["ip", "link", "set", "eth0", "up"]);
        nodes.push((name.to_string(), ns, addr));
    }
    let ns = |n: &str| &nodes.iter().find(|x| x.0 == n).unwrap().1;

    // The site, and kubemagic's rendering of it.
    let site = dir.join("site");
    write(
        &site.join("custom/hosts"),
        "[lb]\nlb1 ansible_host=10.250.0.11\nlb2 ansible_host=10.250.0.12\n",
    );
    write(
        &site.join("custom/group_vars/lb.yml"),
        &format!("keepalived_vip: {VIP}/24\nkeepalived_interface: eth0\nkeepalived_router_id: 77\nkeepalived_auth_password: t3stpass\nhaproxy_stats_port: 8404\n"),
    );
    write(
        &site.join("kubespray/inventory/t/hosts.yml"),
        "all:\n  hosts:\n    cp1: {ip: 10.250.0.21}\n    cp2: {ip: 10.250.0.22}\n    cp3: {ip: 10.250.0.23}\n  children:\n    kube_control_plane:\n      hosts: {cp1: , cp2: , cp3: }\n    etcd:\n      hosts: {cp1: , cp2: , cp3: }\n",
    );
    let model = kubemagic_lb::load(&site).unwrap();
    assert!(model.findings.is_empty(), "{:?}", model.findings);
    let rendered = kubemagic_lb::render_all(&model);
    assert_eq!(rendered.len(), 2);

    // The API servers.
    ok(Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=kube-apiserver",
        ])
        .arg("-keyout")
        .arg(dir.join("key.pem"))
        .arg("-out")
        .arg(dir.join("cert.pem")));
    let mut procs: Vec<Proc> = Vec::new();
    let d = dir.to_str().unwrap();
    // cp1 is the one leastconn picks for one request at a time: stopping it
    // is stopping the backend that serves.
    let mut cp1_server = None;
    for n in ["cp1", "cp2", "cp3"] {
        let p = spawn(
            ns(n),
            &["python3", "-c", SERVER, n, d],
            "apiserver stand-in",
            &dir.join(format!("{n}.log")),
        );
        if n == "cp1" {
            cp1_server = Some(p);
        } else {
            procs.push(p);
        }
    }

    // HAProxy and Keepalived on each lb host.
    let start_haproxy = |h: &str| {
        let cfg = dir.join(h).join("haproxy.cfg");
        spawn(
            ns(h),
            &["haproxy", "-db", "-f", cfg.to_str().unwrap()],
            "haproxy",
            &dir.join(format!("{h}-haproxy.log")),
        )
    };
    let start_keepalived = |h: &str| {
        let hd = dir.join(h);
        let s = |n: &str| hd.join(n).to_str().unwrap().to_string();
        spawn(
            ns(h),
            &[
                "keepalived",
                "-n",
                "-l",
                "-D",
                "-P",
                "-f",
                &s("keepalived.conf"),
                "-p",
                &s("keepalived.pid"),
                "-r",
                &s("vrrp.pid"),
                "-c",
                &s("checkers.pid"),
            ],
            "keepalived",
            &dir.join(format!("{h}-keepalived.log")),
        )
    };
    for r in &rendered {
        write(&dir.join(&r.host).join("haproxy.cfg"), &r.haproxy_cfg);
        write(
            &dir.join(&r.host).join("keepalived.conf"),
            &r.keepalived_conf,
        );
    }
    let mut haproxy1 = Some(start_haproxy("lb1"));
    procs.push(start_haproxy("lb2"));
    let _keepalived1 = start_keepalived("lb1");
    procs.push(start_keepalived("lb2"));

    // The client: the probe, in the switch namespace.
    let samples: Samples = Arc::default();
    let mut probe = sw
        .cmd(&["python3", "-c", PROBE, VIP, &PORT.to_string(), "240"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .stdin(Stdio::null())
        .spawn()
        .unwrap();
    let out = probe.stdout.take().unwrap();
    let _probe = Proc(probe);
    {
        let samples = samples.clone();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(out).lines().map_while(Result::ok) {
                let (ok, body) = match line.split_once(' ') {
                    Some(("OK", b)) => (true, b.to_string()),
                    Some((_, b)) => (false, b.to_string()),
                    None => (false, line.clone()),
                };
                samples.lock().unwrap().push(Sample {
                    at: Instant::now(),
                    ok,
                    body,
                });
            }
        });
    }
    let logs = || {
        let mut s = String::new();
        for f in [
            "lb1-keepalived.log",
            "lb2-keepalived.log",
            "lb1-haproxy.log",
            "lb2-haproxy.log",
        ] {
            s += &format!(
                "--- {f}\n{}\n",
                std::fs::read_to_string(dir.join(f)).unwrap_or_default()
            );
        }
        s
    };

    // 1. Requests through the VIP succeed, served by the MASTER (lb1).
    let t0 = Instant::now();
    wait_for("the VIP on lb1", Duration::from_secs(20), &logs, || {
        has_vip(ns("lb1"))
    });
    assert!(!has_vip(ns("lb2")), "VIP on both lb hosts\n{}", logs());
    wait_for(
        "10 successful requests through the VIP",
        Duration::from_secs(20),
        &logs,
        || ok_streak(&samples, t0, 10),
    );
    let bodies: std::collections::BTreeSet<String> = samples_since(&samples, t0)
        .into_iter()
        .filter(|s| s.ok)
        .map(|s| s.body)
        .collect();
    eprintln!("1. requests through {VIP}:{PORT} succeed (served by {bodies:?})");

    // 2. One backend stopped: requests keep succeeding, cp1 stops answering.
    drop(cp1_server.take());
    let t2 = Instant::now();
    std::thread::sleep(Duration::from_secs(6));
    let after = samples_since(&samples, t2);
    let failures: Vec<&str> = after
        .iter()
        .filter(|s| !s.ok)
        .map(|s| s.body.as_str())
        .collect();
    let failed = failures.len();
    let gap2 = longest_gap(&samples, t2, Instant::now());
    assert!(
        ok_streak(&samples, t2, 20),
        "requests fail with cp1 down\n{}",
        logs()
    );
    let late: Vec<_> = samples_since(&samples, t2 + Duration::from_secs(5));
    assert!(late.iter().all(|s| s.body != "cp1"), "cp1 still answers");
    eprintln!(
        "2. cp1 stopped: {} requests, {failed} failed {failures:?}, longest gap {:.2} s",
        after.len(),
        gap2.as_secs_f64()
    );
    // A TCP balancer cannot save the request in flight on the server that
    // dies (its connection is reset); every later one must succeed.
    assert!(
        failed <= 1,
        "requests failed while one backend was down: {failures:?}"
    );
    assert!(
        gap2 < Duration::from_secs(1),
        "gap of {gap2:?} with one backend down"
    );

    // 3. HAProxy killed on the MASTER: the VIP moves to lb2.
    let t3 = Instant::now();
    drop(haproxy1.take());
    assert_eq!(kill_in(ns("lb1"), "haproxy"), 0, "haproxy left behind");
    let moved3 = wait_for(
        "the VIP on lb2 after haproxy died on lb1",
        Duration::from_secs(15),
        &logs,
        || has_vip(ns("lb2")),
    );
    wait_for(
        "requests succeeding after haproxy died",
        Duration::from_secs(15),
        &logs,
        || ok_streak(&samples, t3, 10),
    );
    let gap3 = longest_gap(&samples, t3, Instant::now());
    assert!(
        !has_vip(ns("lb1")),
        "lb1 kept the VIP without haproxy\n{}",
        logs()
    );
    eprintln!(
        "3. haproxy killed on lb1: VIP on lb2 after {:.2} s",
        moved3.as_secs_f64()
    );
    println!("FAILOVER-GAP haproxy-killed {:.2}", gap3.as_secs_f64());

    // Back to lb1 as MASTER (preemption once its haproxy answers again).
    let _haproxy1b = start_haproxy("lb1");
    wait_for(
        "the VIP back on lb1",
        Duration::from_secs(20),
        &logs,
        || has_vip(ns("lb1")) && !has_vip(ns("lb2")),
    );
    let tb = Instant::now();
    wait_for(
        "requests succeeding on lb1 again",
        Duration::from_secs(15),
        &logs,
        || ok_streak(&samples, tb, 10),
    );

    // 4. Keepalived killed on the MASTER (a crash: SIGKILL, no goodbye).
    let t4 = Instant::now();
    let killed = kill_in(ns("lb1"), "keepalived");
    assert!(killed >= 1, "no keepalived process in lb1");
    let moved4 = wait_for(
        "the VIP on lb2 after keepalived died on lb1",
        Duration::from_secs(15),
        &logs,
        || has_vip(ns("lb2")),
    );
    wait_for(
        "requests succeeding after keepalived died",
        Duration::from_secs(15),
        &logs,
        || ok_streak(&samples, t4 + moved4, 10),
    );
    let gap4 = longest_gap(&samples, t4, Instant::now());
    eprintln!(
        "4. keepalived killed on lb1 ({killed} processes): VIP on lb2 after {:.2} s",
        moved4.as_secs_f64()
    );
    println!("FAILOVER-GAP keepalived-killed {:.2}", gap4.as_secs_f64());

    // 5. The measure.
    let worst = gap3.max(gap4);
    println!(
        "FAILOVER-GAP worst {:.2} (target <= 3 s with advert_int {})",
        worst.as_secs_f64(),
        model.advert_int
    );
    eprintln!("5. longest gap without a successful request: {:.2} s (haproxy killed {:.2} s, keepalived killed {:.2} s)", worst.as_secs_f64(), gap3.as_secs_f64(), gap4.as_secs_f64());
    // Functional bound only (the 3 s target is the benchmark's): a failover
    // that takes longer than this did not work as designed.
    assert!(
        worst < Duration::from_secs(10),
        "failover too slow: {worst:?}\n{}",
        logs()
    );
    drop(procs);
}
