//! `haproxy.cfg` and `keepalived.conf` for each lb host, from an [`LbModel`].
//!
//! Plain string building: two small, fixed file shapes do not need a
//! template engine, and the output is byte-stable (tests compare it, the
//! Ansible role reports a change only when it really changed).

use crate::model::{LbHost, LbModel};
use serde::Serialize;
use std::fmt::Write as _;
use std::net::IpAddr;

/// Stands for the VIP's interface when the site does not name one
/// (`keepalived_interface`): the Ansible role replaces it with the interface
/// holding the host's address, found on the host itself.
pub const INTERFACE_PLACEHOLDER: &str = "@KUBEMAGIC_INTERFACE@";

/// The two files of one lb host.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RenderedHost {
    /// The lb host's inventory name.
    pub host: String,
    /// `/etc/haproxy/haproxy.cfg`.
    pub haproxy_cfg: String,
    /// `/etc/keepalived/keepalived.conf` (holds the VRRP password, if any).
    pub keepalived_conf: String,
}

/// Renders both files for every lb host, in inventory order; nothing when
/// a file would be unsafe ([`LbModel::unsafe_to_render`]: an unresolvable
/// password would render as "no authentication", a control character would
/// inject lines).
pub fn render_all(model: &LbModel) -> Vec<RenderedHost> {
    model
        .hosts
        .iter()
        .filter_map(|h| render_host(model, h))
        .collect()
}

/// Renders both files for one lb host; `None` when a file would be unsafe.
pub fn render_host(model: &LbModel, host: &LbHost) -> Option<RenderedHost> {
    if model.unsafe_to_render() {
        return None;
    }
    Some(RenderedHost {
        host: host.name.clone(),
        haproxy_cfg: haproxy_cfg(model, host),
        keepalived_conf: keepalived_conf(model, host),
    })
}

fn header(out: &mut String, model: &LbModel, host: &LbHost) {
    let _ = writeln!(
        out,
        "# Rendered by kubemagic (`kubemagic lb render`) for lb host {} of site {}.\n# Edit the site's inventories, not this file: it is overwritten.",
        host.name, model.site
    );
}

/// `ADDR:PORT` as HAProxy reads it (IPv6 in brackets-free form: HAProxy
/// takes the last colon as the port separator).
fn addr_port(a: IpAddr, port: u16) -> String {
    format!("{a}:{port}")
}

/// HAProxy in TCP mode in front of every API server.
pub fn haproxy_cfg(model: &LbModel, host: &LbHost) -> String {
    let mut s = String::new();
    header(&mut s, model, host);
    push_lines(
        &mut s,
        &[
            "",
            "global",
            "    log /dev/log local0",
            "    # No maxconn: HAProxy derives it from the file-descriptor limit it runs",
            "    # with; a fixed one it cannot raise the limit for stops it from starting.",
            "",
            "defaults",
            "    mode tcp",
            "    log global",
            "    option dontlognull",
            "    # A connection refused by a backend not yet marked down is retried at",
            "    # once on another server (redispatch on every retry, not only the last).",
            "    option redispatch 1",
            "    retries 3",
            "    timeout connect 5s",
            "    # Watches (kubelets, controllers, `kubectl get -w`) hold a connection open",
            "    # and may stay silent for minutes; kube-apiserver itself ends them after",
            "    # --min-request-timeout (30-60 min). Idle timeouts above that never cut one.",
            "    timeout client 1h",
            "    timeout server 1h",
            "    timeout check 5s",
            "    option tcpka",
            "",
        ],
    );
    s.push_str("frontend kube_apiserver\n");
    match (model.bind_vip, model.vip) {
        (true, Some(vip)) => {
            let _ = writeln!(
                s,
                "    # Bound on the VIP even where it is absent (BACKUP): needs\n    # net.ipv4.ip_nonlocal_bind=1 (the kubemagic.core.apiserver_lb role sets it).\n    bind {}",
                addr_port(vip, model.port)
            );
            // Loopback too, for Keepalived's health check of this HAProxy.
            let _ = writeln!(s, "    bind 127.0.0.1:{}", model.port);
        }
        _ => {
            let _ = writeln!(
                s,
                "    # Every address, so the VIP is served the moment Keepalived adds it\n    # (binding VIP:{} instead needs net.ipv4.ip_nonlocal_bind=1: haproxy_bind_vip).\n    bind *:{}",
                model.port, model.port
            );
        }
    }
    s.push_str("    mode tcp\n    option tcplog\n    default_backend kube_apiserver\n\n");
    push_lines(
        &mut s,
        &[
            "backend kube_apiserver",
            "    mode tcp",
            "    balance leastconn",
            "    # TLS health check of each API server's /healthz, as kubespray's own",
            "    # HAProxy template does (roles/kubernetes/node/templates/loadbalancer/haproxy.cfg.j2).",
            "    option httpchk GET /healthz",
            "    http-check expect status 200",
            "    # No per-server maxconn: every watch is a long-lived connection, and one",
            "    # queued behind a cap would stall its client.",
            "    default-server inter 2s downinter 5s rise 2 fall 2 slowstart 30s",
        ],
    );
    for b in &model.backends {
        match b.address {
            Some(a) => {
                let _ = writeln!(
                    s,
                    "    server {} {} check check-ssl verify none",
                    server_name(&b.name),
                    addr_port(a, b.port)
                );
            }
            None => {
                let _ = writeln!(
                    s,
                    "    # {}: no address in the inventory (see the findings)",
                    b.name
                );
            }
        }
    }
    if let Some(p) = model.stats_port {
        let _ = write!(
            s,
            "\n# Statistics, on loopback only (ssh -L {p}:127.0.0.1:{p} to read them).\nlisten stats\n    bind 127.0.0.1:{p}\n    mode http\n    stats enable\n    stats uri /\n    stats refresh 10s\n"
        );
    }
    s
}

fn push_lines(s: &mut String, lines: &[&str]) {
    for l in lines {
        s.push_str(l);
        s.push('\n');
    }
}

/// HAProxy server names: the inventory name, with anything outside
/// `[A-Za-z0-9._:-]` replaced (a name with a space would break the line).
fn server_name(n: &str) -> String {
    n.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._:-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// A keepalived string, quoted when it must be.
fn kstring(s: &str) -> String {
    if !s.is_empty()
        && s.chars().all(|c| {
            !c.is_whitespace() && c != '"' && c != '\'' && c != '\\' && c != '#' && c != '!'
        })
    {
        s.to_string()
    } else {
        let mut q = String::from("\"");
        for c in s.chars() {
            if c == '"' || c == '\\' {
                q.push('\\');
            }
            q.push(c);
        }
        q.push('"');
        q
    }
}

/// Keepalived: one VRRP instance holding the VIP, unicast adverts, and a
/// check of the local HAProxy so the VIP leaves a host whose HAProxy died.
pub fn keepalived_conf(model: &LbModel, host: &LbHost) -> String {
    let mut s = String::new();
    header(&mut s, model, host);
    let iface = host
        .interface
        .clone()
        .unwrap_or_else(|| INTERFACE_PLACEHOLDER.to_string());
    let _ = write!(
        s,
        "\nglobal_defs {{\n    router_id {}\n    enable_script_security\n    script_user root\n}}\n\n",
        kstring(&host.name)
    );
    // A TCP connect to the local frontend: catches a dead or wedged HAProxy
    // (a process check would miss the latter). Not track_process: the kernel's
    // process-events connector it uses only works in the initial network
    // namespace.
    let _ = write!(
        s,
        "# HAProxy must answer locally, else this host gives the VIP up (FAULT).\nvrrp_script chk_haproxy {{\n    script \"/usr/bin/timeout 1 /bin/bash -c '</dev/tcp/127.0.0.1/{}'\"\n    interval 1\n    timeout 2\n    fall 2\n    rise 2\n}}\n\n",
        model.port
    );
    let _ = writeln!(s, "vrrp_instance kube_apiserver {{");
    let _ = writeln!(s, "    state {}", host.state);
    let _ = writeln!(s, "    interface {iface}");
    let _ = writeln!(s, "    virtual_router_id {}", model.router_id);
    let _ = writeln!(s, "    priority {}", host.priority);
    let _ = writeln!(s, "    advert_int {}", model.advert_int);
    // No peer (a single lb host, KM321): no unicast section, which
    // Keepalived would reject as "unicast keyword without any unicast peers".
    if let Some(a) = host.address.filter(|_| !host.peers.is_empty()) {
        // Unicast: multicast VRRP is often filtered between hypervisors.
        let _ = writeln!(s, "    unicast_src_ip {a}");
        let _ = writeln!(s, "    unicast_peer {{");
        for p in &host.peers {
            let _ = writeln!(s, "        {p}");
        }
        let _ = writeln!(s, "    }}");
    }
    if let Some(pw) = &model.auth_password {
        // What Keepalived would use anyway (it truncates, and `keepalived -t`
        // then fails on the warning); KM338 tells the operator.
        let pw: String = pw.chars().take(8).collect();
        let _ = writeln!(
            s,
            "    authentication {{\n        auth_type PASS\n        auth_pass {}\n    }}",
            kstring(&pw)
        );
    }
    let _ = writeln!(s, "    virtual_ipaddress {{");
    match model.vip {
        Some(vip) => {
            let plen = model
                .vip_prefix
                .unwrap_or(if vip.is_ipv4() { 32 } else { 128 });
            let _ = writeln!(s, "        {vip}/{plen} dev {iface}");
        }
        None => {
            let _ = writeln!(s, "        # no virtual address known (see the findings)");
        }
    }
    let _ = writeln!(s, "    }}");
    let _ = writeln!(s, "    track_script {{\n        chk_haproxy\n    }}");
    let _ = writeln!(s, "}}");
    s
}
