//! Network: one address per machine, proxies that exempt the cluster, and
//! the external HAProxy/Keepalived load balancer in front of the API.

use super::common::{at_var, finding, is_template, scalar, string_list};
use crate::read::address::node_address;
use crate::read::api::{self, is_template_text, Orchestrator, KUBE_APISERVER_ENDPOINT_SINCE};
use crate::read::lb::{self as lbread, control_plane, BACKENDS_VAR, VIP_VAR};
use crate::site::{InventoryKind, Site, SiteInventory};
use ipnet::IpNet;
use kubemagic_core::Finding;
use kubemagic_inventory::{Value, Var};
use std::net::IpAddr;

/// Variable of the `lb` hosts holding the Keepalived virtual address.
pub const VIP: &str = VIP_VAR;
/// Variable of the `lb` hosts listing HAProxy's API server backends: a list
/// of host names, addresses, `address:port` strings, or mappings with
/// `name` and/or `address` (and `port`).
pub const BACKENDS: &str = BACKENDS_VAR;
/// kubespray's defaults when the subnets are not set.
const DEFAULT_SERVICE_SUBNET: &str = "10.233.0.0/18";
const DEFAULT_POD_SUBNET: &str = "10.233.64.0/18";

/// The network family (KM3xx): a host given different `ansible_host` or `ip`
/// values in different inventories (KM301); with a proxy set, a hand-written
/// kubespray `no_proxy` that does not exempt the cluster (KM311); and the
/// external HAProxy/Keepalived load balancer in front of the API (KM321 to
/// KM324): at least two `lb` hosts, a [`VIP`] that is the API address
/// kubespray is given, every control plane host among the [`BACKENDS`].
pub fn check(site: &Site) -> Vec<Finding> {
    let mut out = Vec::new();
    one_address(site, &mut out);
    if let Some(k) = site.inventory(InventoryKind::Kubespray) {
        proxies(site, k, &mut out);
    }
    load_balancer(site, &mut out);
    out
}

fn one_address(site: &Site, out: &mut Vec<Finding>) {
    for host in site.host_names() {
        let seen = site.host_everywhere(host);
        if seen.len() < 2 {
            continue;
        }
        for name in ["ansible_host", "ip"] {
            let defs: Vec<(&SiteInventory, &Var, String)> = seen
                .iter()
                .filter_map(|(inv, vars)| {
                    let v = vars.get(name)?;
                    (!is_template(&v.value)).then_some(())?;
                    Some((*inv, v, scalar(&v.value)?))
                })
                .collect();
            // The reference value: the most common one, ties going to the
            // inventory that deploys Kubernetes (kubespray, openshift), then
            // Ceph, then custom/; every other definition is reported.
            let rank = |k: InventoryKind| match k {
                InventoryKind::Kubespray => 0,
                InventoryKind::Openshift => 1,
                InventoryKind::Ceph => 2,
                InventoryKind::Custom => 3,
            };
            let Some((ref_inv, _, reference)) = defs.iter().max_by_key(|(inv, _, val)| {
                let n = defs.iter().filter(|(_, _, v)| v == val).count();
                (n, std::cmp::Reverse(rank(inv.kind)))
            }) else {
                continue;
            };
            for (inv, var, val) in &defs {
                if val != reference {
                    out.push(at_var(
                        finding(
                            "KM301",
                            format!(
                                "{host} has {name}={val} in the {} inventory but {name}={reference} in the {} inventory: one machine must have one address",
                                inv.kind, ref_inv.kind
                            ),
                        )
                        .host(host),
                        name,
                        var,
                    ));
                }
            }
        }
    }
}

/// An entry of `no_proxy`, as Go's and curl's proxy code read it.
enum NoProxy {
    Net(IpNet),
    Ip(IpAddr),
    Domain(String),
}

fn parse_no_proxy(s: &str) -> Vec<NoProxy> {
    string_list(&Value::String(s.to_string()))
        .into_iter()
        .map(|e| {
            let e = e.trim().to_ascii_lowercase();
            if let Ok(n) = e.parse::<IpNet>() {
                NoProxy::Net(n)
            } else if let Ok(ip) = e.trim_matches(|c| c == '[' || c == ']').parse::<IpAddr>() {
                NoProxy::Ip(ip)
            } else {
                NoProxy::Domain(
                    e.trim_start_matches('*')
                        .trim_start_matches('.')
                        .to_string(),
                )
            }
        })
        .collect()
}

fn covers_ip(list: &[NoProxy], ip: IpAddr) -> bool {
    list.iter().any(|e| match e {
        NoProxy::Net(n) => n.contains(&ip),
        NoProxy::Ip(i) => *i == ip,
        NoProxy::Domain(_) => false,
    })
}

fn covers_net(list: &[NoProxy], net: IpNet) -> bool {
    list.iter()
        .any(|e| matches!(e, NoProxy::Net(n) if n.contains(&net)))
}

fn covers_domain(list: &[NoProxy], d: &str) -> bool {
    let d = d.to_ascii_lowercase();
    list.iter().any(|e| match e {
        NoProxy::Domain(x) => !x.is_empty() && (d == *x || d.ends_with(&format!(".{x}"))),
        _ => false,
    })
}

/// With a proxy set and `no_proxy` written by hand, kubespray uses that
/// `no_proxy` verbatim (it only generates one when it is unset): it must
/// then exempt everything the cluster talks to directly.
fn proxies(site: &Site, k: &SiteInventory, out: &mut Vec<Finding>) {
    let hosts: Vec<&str> = k.hosts.keys().map(String::as_str).collect();
    let proxied = ["http_proxy", "https_proxy"].iter().any(|v| {
        k.first_var(&hosts, v)
            .is_some_and(|(_, v)| scalar(&v.value).is_some_and(|s| !s.trim().is_empty()))
    });
    if !proxied {
        return;
    }
    let api_addresses: Vec<_> = api::endpoint(site)
        .filter(|e| e.orchestrator == Orchestrator::Kubespray)
        .map(|e| e.addresses)
        .unwrap_or_default()
        .into_iter()
        .filter(|a| !is_template_text(&a.value))
        .collect();
    let mut done = super::common::Once::default();
    for h in &hosts {
        let Some(var) = k.var(h, "no_proxy") else {
            continue;
        };
        if is_template(&var.value) || !done.first(&var.origin, "no_proxy") {
            continue;
        }
        let Some(text) = scalar(&var.value).or_else(|| match &var.value {
            Value::Array(_) => Some(string_list(&var.value).join(",")),
            _ => None,
        }) else {
            continue;
        };
        let list = parse_no_proxy(&text);
        let mut missing: Vec<String> = Vec::new();
        // Every address clients may be given for the API (the one reading).
        for a in &api_addresses {
            let a = a.value.trim();
            let gap = match a.parse::<IpAddr>() {
                Ok(ip) => (!covers_ip(&list, ip)).then(|| format!("the API load balancer {ip}")),
                Err(_) => (!covers_domain(&list, a)).then(|| format!("the API domain {a}")),
            };
            if let Some(g) = gap.filter(|g| !missing.contains(g)) {
                missing.push(g);
            }
        }
        for (name, default) in [
            ("kube_service_addresses", DEFAULT_SERVICE_SUBNET),
            ("kube_pods_subnet", DEFAULT_POD_SUBNET),
        ] {
            let s = k
                .var(h, name)
                .and_then(|v| scalar(&v.value))
                .unwrap_or_else(|| default.to_string());
            if let Ok(net) = s.trim().parse::<IpNet>() {
                if !covers_net(&list, net) {
                    missing.push(format!("{name} {net}"));
                }
            }
        }
        let uncovered: Vec<String> = hosts
            .iter()
            .filter_map(|n| node_address(k, n).map(|a| (n, a)))
            .filter(|(_, a)| !covers_ip(&list, *a))
            .map(|(n, a)| format!("{n} ({a})"))
            .collect();
        if !uncovered.is_empty() {
            let shown: Vec<&str> = uncovered.iter().take(5).map(String::as_str).collect();
            let more = uncovered.len().saturating_sub(shown.len());
            missing.push(format!(
                "node address{} {}{}",
                if uncovered.len() > 1 { "es" } else { "" },
                shown.join(", "),
                if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                }
            ));
        }
        if !missing.is_empty() {
            out.push(at_var(
                finding(
                    "KM311",
                    format!(
                        "no_proxy does not cover {}: with a proxy set, kubespray uses a hand-written no_proxy as is, and traffic to those goes through the proxy",
                        missing.join("; ")
                    ),
                ),
                "no_proxy",
                var,
            ));
        }
    }
}

/// The address a backend entry names, or the host name it names.
fn backend_matches(entry: &Value, host: &str, addr: Option<IpAddr>) -> bool {
    let texts: Vec<String> = match entry {
        Value::Object(m) => ["name", "address", "host", "ip"]
            .iter()
            .filter_map(|k| m.get(*k).and_then(scalar))
            .collect(),
        other => scalar(other).into_iter().collect(),
    };
    texts.iter().any(|t| {
        let t = t.trim();
        let bare = t
            .rsplit_once(':')
            .filter(|(_, p)| {
                p.parse::<u16>().is_ok() && !t.ends_with(']') && t.matches(':').count() == 1
            })
            .map(|(h, _)| h)
            .unwrap_or(t);
        bare == host
            || addr.is_some_and(|a| {
                bare.trim_matches(|c| c == '[' || c == ']')
                    .parse::<IpAddr>()
                    .ok()
                    == Some(a)
            })
    })
}

/// The name of the variable kubespray of the site's version reads the API
/// address from, for messages.
fn api_var_name(site: &Site) -> &'static str {
    match site.kubespray_version() {
        Some(v) if v >= KUBE_APISERVER_ENDPOINT_SINCE => "kube_apiserver_endpoint",
        _ => "loadbalancer_apiserver.address",
    }
}

fn load_balancer(site: &Site, out: &mut Vec<Finding>) {
    let spec = lbread::spec(site);
    if !spec.declared {
        return;
    }
    out.extend(spec.too_few_hosts());
    let lb_origin = spec.origin.clone();
    if spec.vip_var.is_none() && spec.backends_var.is_none() {
        out.push(
            finding(
                "KM324",
                format!(
                    "the lb group uses its own load balancer variables: kubemagic could check its virtual address against kubespray's {} and its backends against the control plane if told which variables hold them (`lb: {{vip_var: ..., backends_var: ...}}` in kubemagic.yml), or with kubemagic's role variables ({VIP}, {BACKENDS})",
                    api_var_name(site)
                ),
            )
            .group("lb")
            .at(lb_origin.as_ref()),
        );
        return;
    }
    if let Some(vip_name) = spec.vip_var.as_deref() {
        vip_matches_the_api(site, &spec, vip_name, out);
    }
    if let Some(backends_name) = spec.backends_var.as_deref() {
        every_control_plane_host_a_backend(site, &spec, backends_name, out);
    }
}

/// KM322: the lb group's VIP is the address kubespray gives clients.
fn vip_matches_the_api(site: &Site, spec: &lbread::LbSpec, vip_name: &str, out: &mut Vec<Finding>) {
    let endpoint = api::endpoint(site).filter(|e| e.orchestrator == Orchestrator::Kubespray);
    let api = endpoint.as_ref().and_then(|e| e.address());
    let kube = site.inventory(InventoryKind::Kubespray);
    match spec.var(vip_name) {
        // kubemagic's own role (`kubemagic lb`) serves kubespray's API
        // address when keepalived_vip is not set.
        None if vip_name == VIP && api.is_some() => {}
        None => out.push(
            finding(
                "KM322",
                format!(
                    "the lb group has no {vip_name}: Keepalived has no address to serve the API on"
                ),
            )
            .group("lb")
            .variable(vip_name)
            .at(spec.origin.as_ref()),
        ),
        Some(vip) if !is_template(&vip.value) => {
            let vip_s = scalar(&vip.value).unwrap_or_default();
            let api_name = api_var_name(site);
            match (api, kube) {
                (Some(a), _) => {
                    let a = &a.value;
                    let differ = match (a.trim().parse::<IpAddr>(), vip_s.trim().parse::<IpAddr>()) {
                        (Ok(x), Ok(y)) => x != y,
                        // A domain name against an address: kubemagic
                        // does not resolve names, so it does not guess.
                        (Err(_), Ok(_)) => false,
                        _ => a.trim() != vip_s.trim(),
                    };
                    if differ && !is_template(&Value::String(a.clone())) {
                        out.push(at_var(
                            finding(
                                "KM322",
                                format!("{vip_name} is {vip_s} but kubespray's {api_name} is {a}: nodes would reach the API on an address no load balancer serves"),
                            )
                            .group("lb"),
                            vip_name,
                            vip,
                        ));
                    }
                }
                (None, Some(_)) => out.push(at_var(
                    finding(
                        "KM322",
                        format!("{vip_name} is {vip_s} but kubespray sets no {api_name}: nodes would bypass the external load balancer"),
                    )
                    .group("lb"),
                    vip_name,
                    vip,
                )),
                _ => {}
            }
        }
        Some(_) => {}
    }
}

/// KM323: every control-plane host among a hand-written backend list.
fn every_control_plane_host_a_backend(
    site: &Site,
    spec: &lbread::LbSpec,
    backends_name: &str,
    out: &mut Vec<Finding>,
) {
    let Some(cp) = control_plane(site) else {
        return;
    };
    if cp.hosts.is_empty() {
        return;
    }
    match spec.var(backends_name) {
        // kubemagic's own role needs no hand-written list: `kubemagic lb`
        // renders every control-plane host as a backend.
        None if backends_name == BACKENDS => {}
        None => out.push(
            finding("KM323", format!("the lb group has no {backends_name}: HAProxy would have no API server to forward to"))
                .group("lb")
                .variable(backends_name)
                .at(spec.origin.as_ref()),
        ),
        Some(var) => {
            let entries: Vec<Value> = match &var.value {
                Value::Array(a) => a.clone(),
                other => string_list(other).into_iter().map(Value::String).collect(),
            };
            let missing: Vec<String> = cp
                .hosts
                .iter()
                .filter(|(h, addr)| !entries.iter().any(|e| backend_matches(e, h, *addr)))
                .map(|(h, _)| h.to_string())
                .collect();
            if !missing.is_empty() {
                out.push(at_var(
                    finding(
                        "KM323",
                        format!("control plane host(s) {} are not HAProxy backends in {backends_name}", missing.join(", ")),
                    )
                    .group("lb"),
                    backends_name,
                    var,
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testutil::*;
    use serde_json::json;

    #[test]
    fn same_host_same_address_passes_and_different_fails() {
        let mut s = site();
        s.inventory_mut(InventoryKind::Custom)
            .add_host("node1", &["nagios"]);
        s.inventory_mut(InventoryKind::Kubespray)
            .add_host("node1", &["kube_node"]);
        set(
            &mut s,
            InventoryKind::Custom,
            "node1",
            "ansible_host",
            json!("127.0.0.11"),
            "custom/hosts",
            3,
        );
        set(
            &mut s,
            InventoryKind::Kubespray,
            "node1",
            "ansible_host",
            json!("127.0.0.11"),
            "k/hosts.yml",
            5,
        );
        assert!(check(&s).is_empty());
        set(
            &mut s,
            InventoryKind::Kubespray,
            "node1",
            "ansible_host",
            json!("127.0.0.12"),
            "k/hosts.yml",
            5,
        );
        // A tie: kubespray's address is the reference, custom/ is reported.
        let f = check(&s);
        assert_eq!(codes(&f), vec!["KM301"]);
        assert_eq!(f[0].line, Some(3));
    }

    fn proxied(no_proxy: &str) -> Site {
        let mut s = site();
        let k = s.inventory_mut(InventoryKind::Kubespray);
        k.add_host("node1", &["k8s_cluster"]);
        k.add_host("node2", &["k8s_cluster"]);
        set(
            &mut s,
            InventoryKind::Kubespray,
            "node1",
            "ip",
            json!("127.0.0.11"),
            "h",
            1,
        );
        set(
            &mut s,
            InventoryKind::Kubespray,
            "node2",
            "ip",
            json!("127.0.0.12"),
            "h",
            2,
        );
        for h in ["node1", "node2"] {
            set(
                &mut s,
                InventoryKind::Kubespray,
                h,
                "http_proxy",
                json!("http://127.0.0.1:3128"),
                "gv/all.yml",
                1,
            );
            set(
                &mut s,
                InventoryKind::Kubespray,
                h,
                "no_proxy",
                json!(no_proxy),
                "gv/all.yml",
                2,
            );
            set(
                &mut s,
                InventoryKind::Kubespray,
                h,
                "loadbalancer_apiserver",
                json!({"address": "127.0.0.100", "port": 8443}),
                "gv/all.yml",
                3,
            );
            set(
                &mut s,
                InventoryKind::Kubespray,
                h,
                "apiserver_loadbalancer_domain_name",
                json!("api.utgb.example"),
                "gv/all.yml",
                5,
            );
        }
        s
    }

    #[test]
    fn no_proxy_covering_everything_passes() {
        let s = proxied("localhost,127.0.0.0/24,.utgb.example,10.233.0.0/17");
        assert!(check(&s).is_empty(), "{:?}", check(&s));
    }

    #[test]
    fn no_proxy_missing_nodes_and_subnets_is_an_error() {
        let s = proxied("localhost,127.0.0.11,127.0.0.100,api.utgb.example");
        let f = check(&s);
        assert_eq!(codes(&f), vec!["KM311"]);
        assert!(
            f[0].message.contains("node2 (127.0.0.12)"),
            "{}",
            f[0].message
        );
        assert!(f[0]
            .message
            .contains("kube_service_addresses 10.233.0.0/18"));
        assert!(f[0].message.contains("kube_pods_subnet"));
        assert_eq!(f[0].line, Some(2));
    }

    #[test]
    fn unset_no_proxy_is_left_to_kubespray() {
        let mut s = proxied("x");
        for h in ["node1", "node2"] {
            s.inventory_mut(InventoryKind::Kubespray).hosts[h].shift_remove("no_proxy");
        }
        assert!(check(&s).is_empty());
    }

    fn lb_site(lb_hosts: &[&str], vip: &str, backends: Value) -> Site {
        let mut s = site();
        for h in lb_hosts {
            s.inventory_mut(InventoryKind::Custom).add_host(h, &["lb"]);
            set(
                &mut s,
                InventoryKind::Custom,
                h,
                VIP,
                json!(vip),
                "custom/group_vars/lb.yml",
                2,
            );
            set(
                &mut s,
                InventoryKind::Custom,
                h,
                BACKENDS,
                backends.clone(),
                "custom/group_vars/lb.yml",
                3,
            );
        }
        for (i, m) in ["m1", "m2", "m3"].iter().enumerate() {
            s.inventory_mut(InventoryKind::Kubespray)
                .add_host(m, &["kube_control_plane"]);
            set(
                &mut s,
                InventoryKind::Kubespray,
                m,
                "ip",
                json!(format!("127.0.0.{}", 21 + i)),
                "k/hosts.yml",
                1,
            );
            set(
                &mut s,
                InventoryKind::Kubespray,
                m,
                "loadbalancer_apiserver",
                json!({"address": "127.0.0.100", "port": 6443}),
                "k/all.yml",
                4,
            );
        }
        s
    }

    #[test]
    fn two_lb_hosts_with_matching_vip_and_all_backends_pass() {
        let s = lb_site(
            &["lb1", "lb2"],
            "127.0.0.100",
            json!(["m1", "127.0.0.22:6443", {"name": "m3", "address": "127.0.0.23"}]),
        );
        assert!(check(&s).is_empty(), "{:?}", check(&s));
    }

    #[test]
    fn single_lb_host_is_an_error() {
        let s = lb_site(&["lb1"], "127.0.0.100", json!(["m1", "m2", "m3"]));
        assert_eq!(codes(&check(&s)), vec!["KM321"]);
    }

    #[test]
    fn vip_different_from_loadbalancer_apiserver_is_an_error() {
        let s = lb_site(&["lb1", "lb2"], "127.0.0.101", json!(["m1", "m2", "m3"]));
        let f = check(&s);
        assert_eq!(codes(&f), vec!["KM322"]);
        assert_eq!(f[0].variable.as_deref(), Some(VIP));
    }

    #[test]
    fn an_lb_group_left_to_kubemagic_lb_passes() {
        // No keepalived_vip, no haproxy_apiserver_backends: kubemagic lb
        // takes kubespray's address and every control-plane host.
        let mut s = lb_site(&["lb1", "lb2"], "127.0.0.100", json!([]));
        for h in ["lb1", "lb2"] {
            let vars = &mut s.inventory_mut(InventoryKind::Custom).hosts[h];
            vars.shift_remove(VIP);
            vars.shift_remove(BACKENDS);
        }
        assert!(check(&s).is_empty(), "{:?}", check(&s));
        // Without kubespray's address either, there is no VIP at all.
        for m in ["m1", "m2", "m3"] {
            s.inventory_mut(InventoryKind::Kubespray).hosts[m]
                .shift_remove("loadbalancer_apiserver");
        }
        assert_eq!(codes(&check(&s)), vec!["KM322"]);
    }

    #[test]
    fn missing_backend_is_an_error() {
        let s = lb_site(&["lb1", "lb2"], "127.0.0.100", json!(["m1", "m2"]));
        let f = check(&s);
        assert_eq!(codes(&f), vec!["KM323"]);
        assert!(f[0].message.contains("m3"));
    }
}
