//! The load balancer as the site describes it, and what is wrong with it.
//!
//! [`build`] is a pure function of the [`Site`]: the `lb` group of
//! `custom/hosts` (the machines), the virtual address and port clients are
//! given, and every control-plane host as a backend. Problems that would
//! make the rendered configuration wrong or unsafe become [`Finding`]s with
//! stable codes (docs/checks.md) pointing at the variable to fix.

use crate::api::{self, parse_ip, scalar, Sourced};
use ipnet::IpNet;
use kubemagic_core::{Finding, Origin, Severity};
use kubemagic_site::site::{truthy, InventoryKind, Role, Site, SiteInventory, NODE_ADDRESS_VARS};
use serde::Serialize;
use std::net::IpAddr;

/// The group of `custom/hosts` whose hosts run HAProxy and Keepalived.
pub const LB_GROUP: &str = "lb";
/// The virtual address (optionally `ADDR/PREFIX`), set on the lb hosts.
pub const VIP_VAR: &str = "keepalived_vip";
/// Keepalived's `virtual_router_id` (1-255): unique per L2 segment.
pub const ROUTER_ID_VAR: &str = "keepalived_router_id";
/// The interface the VIP goes on (per host, or for the whole group).
pub const INTERFACE_VAR: &str = "keepalived_interface";
/// A host's VRRP priority (1-254), overriding the inventory order.
pub const PRIORITY_VAR: &str = "keepalived_priority";
/// VRRP's advertisement interval in seconds: failover after about 3 of them.
pub const ADVERT_INT_VAR: &str = "keepalived_advert_int";
/// VRRP PASS authentication; a secret, only ever written to keepalived.conf.
pub const AUTH_VAR: &str = "keepalived_auth_password";
/// Port of HAProxy's statistics page, on loopback only; none when unset.
pub const STATS_PORT_VAR: &str = "haproxy_stats_port";
/// Bind the frontend on VIP:port (needs `net.ipv4.ip_nonlocal_bind=1` on the
/// BACKUP) instead of `*:port`.
pub const BIND_VIP_VAR: &str = "haproxy_bind_vip";

/// Keepalived's usual default router id.
pub const DEFAULT_ROUTER_ID: u8 = 51;
/// The first lb host's priority; the next ones go down by [`PRIORITY_STEP`].
pub const TOP_PRIORITY: u8 = 150;
/// The gap between two automatic priorities.
pub const PRIORITY_STEP: u8 = 10;

/// One machine of the `lb` group.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LbHost {
    /// Inventory name.
    pub name: String,
    /// Its address (the site's node-address precedence), source of VRRP
    /// unicast adverts; `None` when the inventory gives none.
    pub address: Option<IpAddr>,
    /// `keepalived_interface`; `None` means "the interface holding
    /// `address`", resolved on the host by the Ansible role.
    pub interface: Option<String>,
    /// VRRP priority, distinct per host.
    pub priority: u8,
    /// `MASTER` for the highest priority, `BACKUP` for the others.
    pub state: String,
    /// The other lb hosts' addresses (VRRP unicast peers).
    pub peers: Vec<IpAddr>,
}

/// One API server behind HAProxy.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Backend {
    /// Inventory name of the control-plane host.
    pub name: String,
    /// Its address; `None` (a finding) leaves it out of haproxy.cfg.
    pub address: Option<IpAddr>,
    /// The port kube-apiserver listens on.
    pub port: u16,
}

/// The whole load balancer of a site. Serialises as `kubemagic lb render
/// --output json` prints it; the authentication password is never part of it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LbModel {
    /// The site's name.
    pub site: String,
    /// Where the lb group comes from (`custom/hosts`), when it exists.
    pub inventory: Option<std::path::PathBuf>,
    /// The virtual address clients use; `None` until the site names one.
    pub vip: Option<IpAddr>,
    /// The VIP's prefix length, when written as `ADDR/PREFIX`.
    pub vip_prefix: Option<u8>,
    /// The variable the VIP comes from.
    pub vip_variable: Option<String>,
    /// The frontend port (what clients connect to).
    pub port: u16,
    /// The variable the frontend port comes from.
    pub port_variable: String,
    /// Bind on VIP:port instead of *:port.
    pub bind_vip: bool,
    /// VRRP virtual router id.
    pub router_id: u8,
    /// VRRP advertisement interval, seconds.
    pub advert_int: u32,
    /// Loopback statistics listener port, if any.
    pub stats_port: Option<u16>,
    /// Whether VRRP authentication is configured (the password itself is
    /// deliberately absent from this model's serialisation).
    pub authentication: bool,
    #[serde(skip)]
    pub(crate) auth_password: Option<String>,
    /// The lb hosts, in inventory order.
    pub hosts: Vec<LbHost>,
    /// Every control-plane host, in inventory order.
    pub backends: Vec<Backend>,
    /// What is wrong, sorted by file and line.
    pub findings: Vec<Finding>,
}

impl LbModel {
    /// The lb host named `name`.
    pub fn host(&self, name: &str) -> Option<&LbHost> {
        self.hosts.iter().find(|h| h.name == name)
    }
    /// True when a finding is an error: the rendered files should not be deployed.
    pub fn has_errors(&self) -> bool {
        kubemagic_core::finding::has_errors(&self.findings)
    }
}

fn finding(code: &str, severity: Severity, message: String) -> Finding {
    Finding::new(code, severity, message)
}

fn at<T>(f: Finding, s: &Sourced<T>) -> Finding {
    f.variable(s.variable.split(' ').next().unwrap_or(&s.variable))
        .at(s.origin.as_ref())
}

/// A host's address in `inv`: the first of [`NODE_ADDRESS_VARS`] holding an
/// IP, else the host name when it is one.
pub fn host_address(inv: &SiteInventory, host: &str) -> Option<IpAddr> {
    NODE_ADDRESS_VARS
        .iter()
        .find_map(|n| {
            inv.var(host, n)
                .and_then(|v| scalar(&v.value))
                .and_then(|s| s.trim().parse().ok())
        })
        .or_else(|| host.parse().ok())
}

/// A host's address in the first inventory (site order) that gives one.
fn site_address(site: &Site, host: &str) -> Option<IpAddr> {
    site.inventories
        .iter()
        .filter(|i| i.hosts.contains_key(host))
        .find_map(|i| host_address(i, host))
}

/// The control-plane hosts and the inventory describing them: kubespray's
/// control-plane groups (every spelling), else OpenShift's `masters`.
fn control_plane(site: &Site) -> Option<(&SiteInventory, Vec<&str>, bool)> {
    if let Some(k) = site.inventory(InventoryKind::Kubespray) {
        return Some((k, k.role_hosts(Role::ControlPlane), false));
    }
    let o = site.inventory(InventoryKind::Openshift)?;
    Some((
        o,
        o.group_hosts("masters")
            .iter()
            .map(String::as_str)
            .collect(),
        true,
    ))
}

/// Builds the load-balancer model of `site`, with its findings.
pub fn build(site: &Site) -> LbModel {
    let mut out = Vec::new();
    let custom = site.inventory(InventoryKind::Custom);
    let lb: Vec<&str> = custom
        .map(|c| c.group_hosts(LB_GROUP).iter().map(String::as_str).collect())
        .unwrap_or_default();
    let lb_origin = custom.map(|c| {
        c.groups
            .get(LB_GROUP)
            .and_then(|g| g.origin.clone())
            .unwrap_or_else(|| Origin::new(c.path.clone(), None))
    });
    let lb_var = |name: &str| custom.and_then(|c| c.first_var(&lb, name)).map(|(_, v)| v);

    // The control plane and its API port.
    let cp = control_plane(site);
    let (api_port, frontend) = match &cp {
        Some((inv, hosts, false)) => (
            api::kubespray_api_port(inv, hosts).value,
            api::kubespray_frontend_port(inv, hosts),
        ),
        Some((inv, hosts, true)) => {
            let p = api::openshift_api_port(inv, hosts);
            (p.value, p)
        }
        None => (
            api::KUBESPRAY_DEFAULT_API_PORT,
            Sourced {
                value: api::KUBESPRAY_DEFAULT_API_PORT,
                variable: "kube_apiserver_port (default)".into(),
                origin: None,
            },
        ),
    };

    // The VIP: keepalived_vip, else the orchestrator's API address.
    let own_vip = lb_var(VIP_VAR).and_then(|v| {
        let (ip, prefix) = scalar(&v.value).and_then(|s| parse_ip(&s))?;
        Some((
            Sourced {
                value: ip,
                variable: VIP_VAR.to_string(),
                origin: v.origin.clone(),
            },
            prefix,
        ))
    });
    let vip: Option<(Sourced<IpAddr>, Option<u8>)> = own_vip.or_else(|| {
        let (inv, hosts, openshift) = cp.as_ref()?;
        let all: Vec<&str> = inv.hosts.keys().map(String::as_str).collect();
        let hosts = if hosts.is_empty() { &all } else { hosts };
        if *openshift {
            api::openshift_api_address(inv, hosts)
        } else {
            api::kubespray_api_address(inv, hosts)
        }
        .map(|s| (s, None))
    });
    if vip.is_none() {
        out.push(
            finding(
                "KM335",
                Severity::Error,
                format!(
                    "no virtual address for the API load balancer: set {VIP_VAR} for the lb group (or kubespray's loadbalancer_apiserver.address; an OpenShift openshift_master_cluster_public_hostname that is an IP)"
                ),
            )
            .group(LB_GROUP)
            .variable(VIP_VAR)
            .at(lb_origin.as_ref()),
        );
    }

    // The lb hosts.
    if lb.len() < 2 {
        out.push(
            finding(
                "KM321",
                Severity::Error,
                format!(
                    "the lb group has {} host(s): Keepalived needs at least two to fail the API address over",
                    lb.len()
                ),
            )
            .group(LB_GROUP)
            .at(lb_origin.as_ref()),
        );
    }
    let addresses: Vec<Option<IpAddr>> = lb.iter().map(|h| site_address(site, h)).collect();
    let explicit: Vec<Option<u8>> = lb
        .iter()
        .map(|h| {
            custom
                .and_then(|c| c.var(h, PRIORITY_VAR))
                .and_then(|v| scalar(&v.value))
                .and_then(|s| s.trim().parse::<u8>().ok())
                .filter(|p| (1..=254).contains(p))
        })
        .collect();
    let mut next = TOP_PRIORITY;
    let mut priorities = Vec::with_capacity(lb.len());
    for e in &explicit {
        priorities.push(match e {
            Some(p) => *p,
            None => {
                while explicit.contains(&Some(next)) && next > PRIORITY_STEP {
                    next -= 1;
                }
                let p = next;
                next = next.saturating_sub(PRIORITY_STEP).max(1);
                p
            }
        });
    }
    let top = priorities.iter().copied().max();
    let mut hosts = Vec::new();
    for (i, h) in lb.iter().enumerate() {
        let interface = custom
            .and_then(|c| c.var(h, INTERFACE_VAR))
            .and_then(|v| scalar(&v.value))
            .filter(|s| !s.trim().is_empty() && !api::is_template(s));
        if addresses[i].is_none() {
            out.push(
                finding(
                    "KM336",
                    Severity::Error,
                    format!(
                        "lb host {h} has no address ({}): its VRRP peers cannot reach it",
                        NODE_ADDRESS_VARS.join(", ")
                    ),
                )
                .host(*h)
                .group(LB_GROUP)
                .at(custom
                    .and_then(|c| c.host_origins.get(*h))
                    .and_then(|o| o.as_ref())
                    .or(lb_origin.as_ref())),
            );
        }
        hosts.push(LbHost {
            name: h.to_string(),
            address: addresses[i],
            interface,
            priority: priorities[i],
            state: if Some(priorities[i]) == top && priorities[..i].iter().all(|p| Some(*p) != top)
            {
                "MASTER".into()
            } else {
                "BACKUP".into()
            },
            peers: addresses
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .filter_map(|(_, a)| *a)
                .collect(),
        });
    }

    // The backends.
    let mut backends = Vec::new();
    if let Some((inv, cp_hosts, _)) = &cp {
        if cp_hosts.is_empty() {
            out.push(
                finding(
                    "KM337",
                    Severity::Error,
                    format!("{} has no control-plane host: HAProxy would have no API server to forward to", inv.path.display()),
                )
                .at(Some(&Origin::new(inv.path.clone(), None))),
            );
        }
        for h in cp_hosts {
            let address = host_address(inv, h);
            if address.is_none() {
                out.push(
                    finding(
                        "KM333",
                        Severity::Error,
                        format!(
                            "control-plane host {h} has no address ({}): it cannot be an HAProxy backend",
                            NODE_ADDRESS_VARS.join(", ")
                        ),
                    )
                    .host(*h)
                    .at(inv.host_origins.get(*h).and_then(|o| o.as_ref()).or(Some(&Origin::new(inv.path.clone(), None)))),
                );
            }
            backends.push(Backend {
                name: h.to_string(),
                address,
                port: api_port,
            });
        }
    } else {
        out.push(
            finding(
                "KM337",
                Severity::Error,
                "the site has no kubespray or openshift-ansible inventory: HAProxy would have no API server to forward to".into(),
            )
            .group(LB_GROUP)
            .at(lb_origin.as_ref()),
        );
    }

    // The VIP against the hosts.
    if let Some((v, prefix)) = &vip {
        let ip = v.value;
        for h in site.host_names() {
            if site_address(site, h) == Some(ip) {
                out.push(at(
                    finding(
                        "KM332",
                        Severity::Error,
                        format!("the virtual address {ip} ({}) is also the address of host {h}: the VIP must be a free address", v.variable),
                    )
                    .host(h),
                    v,
                ));
            }
        }
        let lb_addrs: Vec<IpAddr> = addresses.iter().filter_map(|a| *a).collect();
        let default_prefix = if ip.is_ipv4() { 24 } else { 64 };
        let plen = prefix.unwrap_or(default_prefix);
        let in_subnet = |a: &IpAddr| {
            IpNet::new(*a, plen)
                .map(|n| n.trunc().contains(&ip))
                .unwrap_or(false)
        };
        if !lb_addrs.is_empty() && !lb_addrs.iter().any(in_subnet) {
            out.push(at(
                finding(
                    "KM331",
                    Severity::Warning,
                    format!(
                        "the virtual address {ip} ({}) is in no lb host's subnet ({}/{plen}{}): VRRP moves it only within one L2 segment",
                        v.variable,
                        lb_addrs.iter().map(|a| a.to_string()).collect::<Vec<_>>().join(", "),
                        if prefix.is_none() { ", assumed: write the VIP as ADDR/PREFIX to say" } else { "" }
                    ),
                )
                .group(LB_GROUP),
                v,
            ));
        }
    }

    // A local API server on an lb host takes the same port.
    let cp_set: Vec<(&str, Option<IpAddr>)> = backends
        .iter()
        .map(|b| (b.name.as_str(), b.address))
        .collect();
    if frontend.value == api_port {
        for h in &hosts {
            let shared = cp_set
                .iter()
                .any(|(n, a)| *n == h.name || (a.is_some() && *a == h.address));
            if shared {
                out.push(at(
                    finding(
                        "KM334",
                        Severity::Error,
                        format!(
                            "lb host {} is also a control-plane host and HAProxy's port {} is kube-apiserver's: one of them cannot bind; give loadbalancer_apiserver another port or use other lb hosts",
                            h.name, frontend.value
                        ),
                    )
                    .host(h.name.clone()),
                    &frontend,
                ));
            }
        }
    }

    let auth_password = lb_var(AUTH_VAR)
        .and_then(|v| scalar(&v.value))
        .filter(|s| !s.is_empty());
    if let (Some(pw), Some(v)) = (&auth_password, lb_var(AUTH_VAR)) {
        // VRRP v2 PASS authentication carries 8 bytes; Keepalived silently
        // uses the first 8, so two sites differing after them would match.
        if pw.len() > 8 {
            out.push(
                finding(
                    "KM338",
                    Severity::Warning,
                    format!(
                        "{AUTH_VAR} has {} characters: VRRP authentication uses only the first 8",
                        pw.chars().count()
                    ),
                )
                .group(LB_GROUP)
                .variable(AUTH_VAR)
                .at(v.origin.as_ref()),
            );
        }
    }
    let num = |name: &str| {
        lb_var(name)
            .and_then(|v| scalar(&v.value))
            .and_then(|s| s.trim().parse::<u32>().ok())
    };
    out.sort_by(|a, b| {
        (&a.file, a.line, &a.code, &a.host).cmp(&(&b.file, b.line, &b.code, &b.host))
    });
    LbModel {
        site: site.name(),
        inventory: custom.map(|c| c.path.clone()),
        vip_prefix: vip.as_ref().and_then(|(_, p)| *p),
        vip_variable: vip.as_ref().map(|(v, _)| v.variable.clone()),
        vip: vip.map(|(v, _)| v.value),
        port: frontend.value,
        port_variable: frontend.variable.clone(),
        bind_vip: lb_var(BIND_VIP_VAR).is_some_and(|v| truthy(&v.value)),
        router_id: num(ROUTER_ID_VAR)
            .and_then(|n| u8::try_from(n).ok())
            .filter(|n| *n >= 1)
            .unwrap_or(DEFAULT_ROUTER_ID),
        advert_int: num(ADVERT_INT_VAR).filter(|n| *n >= 1).unwrap_or(1),
        stats_port: num(STATS_PORT_VAR).and_then(|n| u16::try_from(n).ok()),
        authentication: auth_password.is_some(),
        auth_password,
        hosts,
        backends,
        findings: out,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kubemagic_site::site::InventoryKind;
    use serde_json::json;

    fn o(file: &str, line: u32) -> Option<Origin> {
        Some(Origin::new(file, Some(line)))
    }

    /// Two lb hosts, three control-plane hosts, a VIP in the lb subnet:
    /// the clean case every test breaks in one place.
    fn clean() -> Site {
        let mut s = Site::new("/site");
        let c = s.inventory_mut(InventoryKind::Custom);
        for (h, a) in [("lb1", "10.0.0.5"), ("lb2", "10.0.0.6")] {
            c.add_host(h, &[LB_GROUP]);
            c.set_var(h, "ansible_host", json!(a), o("custom/hosts", 2));
            c.set_var(
                h,
                VIP_VAR,
                json!("10.0.0.10/24"),
                o("custom/group_vars/lb.yml", 1),
            );
        }
        let k = s.inventory_mut(InventoryKind::Kubespray);
        for (i, h) in ["m1", "m2", "m3"].iter().enumerate() {
            k.add_host(h, &["kube_control_plane", "etcd"]);
            k.set_var(
                h,
                "ip",
                json!(format!("10.0.0.{}", 11 + i)),
                o("k/hosts.yml", 3),
            );
        }
        s
    }

    fn codes(m: &LbModel) -> Vec<&str> {
        m.findings.iter().map(|f| f.code.as_str()).collect()
    }

    #[test]
    fn a_clean_site_gives_no_finding_and_the_whole_model() {
        let m = build(&clean());
        assert!(m.findings.is_empty(), "{:?}", m.findings);
        assert_eq!(m.vip, Some("10.0.0.10".parse().unwrap()));
        assert_eq!(m.vip_prefix, Some(24));
        assert_eq!(m.port, 6443);
        let names: Vec<_> = m.backends.iter().map(|b| b.name.as_str()).collect();
        assert_eq!(names, ["m1", "m2", "m3"]);
        assert_eq!(m.hosts[0].state, "MASTER");
        assert_eq!(m.hosts[1].state, "BACKUP");
        assert!(m.hosts[0].priority > m.hosts[1].priority);
        assert_eq!(
            m.hosts[0].peers,
            vec!["10.0.0.6".parse::<IpAddr>().unwrap()]
        );
    }

    #[test]
    fn the_vip_falls_back_to_kubesprays_loadbalancer_address_and_port() {
        let mut s = clean();
        for h in ["lb1", "lb2"] {
            s.inventory_mut(InventoryKind::Custom).hosts[h].shift_remove(VIP_VAR);
        }
        for h in ["m1", "m2", "m3"] {
            s.inventory_mut(InventoryKind::Kubespray).set_var(
                h,
                "loadbalancer_apiserver",
                json!({"address": "10.0.0.20", "port": 8443}),
                o("k/group_vars/all/all.yml", 7),
            );
        }
        let m = build(&s);
        assert!(m.findings.is_empty(), "{:?}", m.findings);
        assert_eq!(m.vip, Some("10.0.0.20".parse().unwrap()));
        assert_eq!(
            m.vip_variable.as_deref(),
            Some("loadbalancer_apiserver.address")
        );
        assert_eq!((m.port, m.backends[0].port), (8443, 6443));
    }

    #[test]
    fn openshift_uses_its_public_hostname_only_when_it_is_an_ip() {
        let mut s = Site::new("/site");
        let c = s.inventory_mut(InventoryKind::Custom);
        for (h, a) in [("lb1", "10.0.0.5"), ("lb2", "10.0.0.6")] {
            c.add_host(h, &[LB_GROUP]);
            c.set_var(h, "ansible_host", json!(a), None);
        }
        let os = s.inventory_mut(InventoryKind::Openshift);
        os.add_host("m1", &["masters"]);
        os.set_var("m1", "ansible_host", json!("10.0.0.11"), None);
        os.set_var(
            "m1",
            "openshift_master_cluster_public_hostname",
            json!("api.example.com"),
            o("oa/hosts", 9),
        );
        let m = build(&s);
        assert_eq!(codes(&m), ["KM335"]);
        assert_eq!(m.port, 8443);
        s.inventory_mut(InventoryKind::Openshift).set_var(
            "m1",
            "openshift_master_cluster_public_hostname",
            json!("10.0.0.30"),
            o("oa/hosts", 9),
        );
        let m = build(&s);
        assert!(m.findings.is_empty(), "{:?}", m.findings);
        assert_eq!(m.vip, Some("10.0.0.30".parse().unwrap()));
    }

    #[test]
    fn no_vip_anywhere_asks_for_one() {
        let mut s = clean();
        for h in ["lb1", "lb2"] {
            s.inventory_mut(InventoryKind::Custom).hosts[h].shift_remove(VIP_VAR);
        }
        let m = build(&s);
        assert_eq!(codes(&m), ["KM335"]);
        assert!(m.findings[0].message.contains(VIP_VAR));
    }

    #[test]
    fn a_vip_outside_every_lb_subnet_is_a_warning() {
        let mut s = clean();
        for h in ["lb1", "lb2"] {
            s.inventory_mut(InventoryKind::Custom).set_var(
                h,
                VIP_VAR,
                json!("10.9.0.10/24"),
                o("custom/group_vars/lb.yml", 1),
            );
        }
        let m = build(&s);
        assert_eq!(codes(&m), ["KM331"]);
        assert_eq!(m.findings[0].severity, Severity::Warning);
        assert_eq!(m.findings[0].line, Some(1));
    }

    #[test]
    fn a_vip_equal_to_a_host_address_is_an_error() {
        let mut s = clean();
        for h in ["lb1", "lb2"] {
            s.inventory_mut(InventoryKind::Custom).set_var(
                h,
                VIP_VAR,
                json!("10.0.0.12"),
                o("custom/group_vars/lb.yml", 1),
            );
        }
        let m = build(&s);
        assert_eq!(codes(&m), ["KM332"]);
        assert_eq!(m.findings[0].host.as_deref(), Some("m2"));
    }

    #[test]
    fn fewer_than_two_lb_hosts_is_an_error() {
        let mut s = clean();
        let c = s.inventory_mut(InventoryKind::Custom);
        c.groups[LB_GROUP].hosts.retain(|h| h == "lb1");
        let m = build(&s);
        assert_eq!(codes(&m), ["KM321"]);
        assert_eq!(m.hosts.len(), 1);
        assert!(m.hosts[0].peers.is_empty());
    }

    #[test]
    fn a_control_plane_host_without_address_is_an_error_and_no_backend_line() {
        let mut s = clean();
        s.inventory_mut(InventoryKind::Kubespray).hosts["m3"].shift_remove("ip");
        let m = build(&s);
        assert_eq!(codes(&m), ["KM333"]);
        assert_eq!(m.findings[0].host.as_deref(), Some("m3"));
        let cfg = crate::render::haproxy_cfg(&m, &m.hosts[0]);
        assert!(!cfg.contains("server m3"), "{cfg}");
    }

    #[test]
    fn an_lb_host_that_is_also_control_plane_clashes_on_the_api_port() {
        let mut s = clean();
        s.inventory_mut(InventoryKind::Kubespray)
            .add_host("lb1", &["kube_control_plane"])
            .set_var("lb1", "ip", json!("10.0.0.5"), None);
        let m = build(&s);
        assert_eq!(codes(&m), ["KM334"]);
        assert_eq!(m.findings[0].host.as_deref(), Some("lb1"));
        // Another frontend port resolves it.
        for h in ["m1", "m2", "m3", "lb1"] {
            s.inventory_mut(InventoryKind::Kubespray).set_var(
                h,
                "loadbalancer_apiserver",
                json!({"address": "10.0.0.10", "port": 8443}),
                None,
            );
        }
        assert!(build(&s).findings.is_empty());
    }

    #[test]
    fn an_lb_host_without_address_is_an_error() {
        let mut s = clean();
        s.inventory_mut(InventoryKind::Custom).hosts["lb2"].shift_remove("ansible_host");
        let m = build(&s);
        assert_eq!(codes(&m), ["KM336"]);
    }

    #[test]
    fn no_control_plane_is_an_error() {
        let mut s = clean();
        s.inventories.retain(|i| i.kind != InventoryKind::Kubespray);
        assert_eq!(codes(&build(&s)), ["KM337"]);
    }

    #[test]
    fn priorities_follow_inventory_order_unless_set_and_stay_distinct() {
        let mut s = clean();
        let c = s.inventory_mut(InventoryKind::Custom);
        c.add_host("lb3", &[LB_GROUP])
            .set_var("lb3", "ansible_host", json!("10.0.0.7"), None);
        c.set_var("lb3", PRIORITY_VAR, json!(200), None);
        c.set_var("lb2", PRIORITY_VAR, json!(150), None);
        let m = build(&s);
        let p: Vec<u8> = m.hosts.iter().map(|h| h.priority).collect();
        assert_eq!(p[1..], [150, 200]);
        assert!(p[0] != 150 && p[0] != 200, "{p:?}");
        let states: Vec<&str> = m.hosts.iter().map(|h| h.state.as_str()).collect();
        assert_eq!(states, ["BACKUP", "BACKUP", "MASTER"]);
    }

    #[test]
    fn an_auth_password_longer_than_vrrp_carries_is_a_warning_without_its_value() {
        let mut s = clean();
        for h in ["lb1", "lb2"] {
            s.inventory_mut(InventoryKind::Custom).set_var(
                h,
                AUTH_VAR,
                json!("longer-than-8"),
                o("custom/group_vars/lb.yml", 4),
            );
        }
        let m = build(&s);
        assert_eq!(codes(&m), ["KM338"]);
        assert!(!m.findings[0].message.contains("longer-than-8"));
    }

    #[test]
    fn the_auth_password_is_rendered_but_never_serialised() {
        let mut s = clean();
        for h in ["lb1", "lb2"] {
            s.inventory_mut(InventoryKind::Custom)
                .set_var(h, AUTH_VAR, json!("s3cr3tpw"), None);
        }
        let m = build(&s);
        assert!(m.findings.is_empty(), "{:?}", m.findings);
        assert!(m.authentication);
        let json = serde_json::to_string(&m).unwrap();
        assert!(!json.contains("s3cr3tpw"));
        let r = crate::render::render_all(&m);
        assert!(r[0].keepalived_conf.contains("auth_pass s3cr3tpw"));
        assert!(!r[0].haproxy_cfg.contains("s3cr3tpw"));
    }
}
