//! Where each orchestrator says the Kubernetes API is reached: the address
//! and port clients are given, and the port the API servers listen on.
//!
//! Kept small and local on purpose: the `checks` work adds version-aware
//! API-address helpers to `kubemagic-site`; these are meant to be folded into
//! them, so they take the same inputs (an inventory and its hosts) and return
//! the value with the variable and origin that set it.

use kubemagic_core::Origin;
use kubemagic_inventory::value_str;
use kubemagic_inventory::Value;
use kubemagic_site::site::SiteInventory;
use std::net::IpAddr;

/// kubespray's default `kube_apiserver_port` (every version).
pub const KUBESPRAY_DEFAULT_API_PORT: u16 = 6443;
/// openshift-ansible 3.x's default `openshift_master_api_port`.
pub const OPENSHIFT_DEFAULT_API_PORT: u16 = 8443;

/// A value read from an inventory, with the variable and place that set it.
#[derive(Debug, Clone, PartialEq)]
pub struct Sourced<T> {
    /// The value.
    pub value: T,
    /// The variable it came from, e.g. `loadbalancer_apiserver.address`.
    pub variable: String,
    /// Where that variable was set (the winning definition).
    pub origin: Option<Origin>,
}

/// A scalar as text (strings, `!unsafe` ones included, numbers, booleans).
pub fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => value_str(v).map(str::to_string),
    }
}

/// True for an unrendered Jinja template: kubemagic does not evaluate
/// templates, so such values are treated as unknown rather than guessed.
pub fn is_template(s: &str) -> bool {
    s.contains("{{") || s.contains("{%")
}

/// An address from a scalar: a bare IP, or an IP with a `/prefix`.
pub fn parse_ip(s: &str) -> Option<(IpAddr, Option<u8>)> {
    let s = s.trim();
    match s.split_once('/') {
        Some((a, p)) => Some((a.parse().ok()?, Some(p.parse().ok()?))),
        None => s.parse().ok().map(|a| (a, None)),
    }
}

/// The host part and port of an `https://HOST:PORT/...` URL, when HOST is an
/// IP address (kubespray's `kube_apiserver_endpoint` is such a URL).
fn url_ip_port(url: &str) -> Option<(IpAddr, Option<u16>)> {
    let rest = url.trim().split_once("://")?.1;
    let authority = rest.split('/').next()?;
    if let Some(v6) = authority.strip_prefix('[') {
        let (a, tail) = v6.split_once(']')?;
        let port = tail.strip_prefix(':').and_then(|p| p.parse().ok());
        return Some((a.parse().ok()?, port));
    }
    match authority.rsplit_once(':') {
        Some((h, p)) => Some((h.parse().ok()?, p.parse().ok())),
        None => Some((authority.parse().ok()?, None)),
    }
}

fn first<'a>(
    inv: &'a SiteInventory,
    hosts: &[&'a str],
    name: &str,
) -> Option<(&'a Value, Option<Origin>)> {
    inv.first_var(hosts, name)
        .map(|(_, v)| (&v.value, v.origin.clone()))
}

/// The address kubespray gives every client for the API, when it is a
/// literal IP: `loadbalancer_apiserver.address` (every kubespray version),
/// else a literal `kube_apiserver_endpoint` URL. That variable is computed
/// by `kubespray_defaults` (from `loadbalancer_apiserver` and
/// `apiserver_loadbalancer_domain_name`) and newer sites sometimes pin it
/// in the inventory; a templated value is not evaluated, hence skipped.
pub fn kubespray_api_address(inv: &SiteInventory, hosts: &[&str]) -> Option<Sourced<IpAddr>> {
    if let Some((lb, origin)) = first(inv, hosts, "loadbalancer_apiserver") {
        if let Some((ip, _)) = lb
            .get("address")
            .and_then(scalar)
            .filter(|s| !is_template(s))
            .and_then(|s| parse_ip(&s))
        {
            return Some(Sourced {
                value: ip,
                variable: "loadbalancer_apiserver.address".into(),
                origin,
            });
        }
    }
    let (v, origin) = first(inv, hosts, "kube_apiserver_endpoint")?;
    let s = scalar(v).filter(|s| !is_template(s))?;
    let (ip, _) = url_ip_port(&s)?;
    Some(Sourced {
        value: ip,
        variable: "kube_apiserver_endpoint".into(),
        origin,
    })
}

/// The port kubespray gives clients for the API:
/// `loadbalancer_apiserver.port`, else `kube_apiserver_port`, else 6443.
/// (`loadbalancer_apiserver_port` is the port of kubespray's *own* per-node
/// nginx/haproxy on localhost, not the external balancer's.)
pub fn kubespray_frontend_port(inv: &SiteInventory, hosts: &[&str]) -> Sourced<u16> {
    if let Some((lb, origin)) = first(inv, hosts, "loadbalancer_apiserver") {
        if let Some(p) = lb
            .get("port")
            .and_then(scalar)
            .and_then(|s| s.trim().parse().ok())
        {
            return Sourced {
                value: p,
                variable: "loadbalancer_apiserver.port".into(),
                origin,
            };
        }
    }
    kubespray_api_port(inv, hosts)
}

/// The port kube-apiserver listens on: `kube_apiserver_port`, else 6443.
pub fn kubespray_api_port(inv: &SiteInventory, hosts: &[&str]) -> Sourced<u16> {
    port_var(
        inv,
        hosts,
        "kube_apiserver_port",
        KUBESPRAY_DEFAULT_API_PORT,
    )
}

/// OpenShift 3.x's API port: `openshift_master_api_port`, else 8443 (the
/// masters and the balancer in front of them use the same port).
pub fn openshift_api_port(inv: &SiteInventory, hosts: &[&str]) -> Sourced<u16> {
    port_var(
        inv,
        hosts,
        "openshift_master_api_port",
        OPENSHIFT_DEFAULT_API_PORT,
    )
}

/// OpenShift's public API name, when it is an IP address (a DNS name says
/// nothing about which address Keepalived should hold).
pub fn openshift_api_address(inv: &SiteInventory, hosts: &[&str]) -> Option<Sourced<IpAddr>> {
    let name = "openshift_master_cluster_public_hostname";
    let (v, origin) = first(inv, hosts, name)?;
    let (ip, _) = scalar(v).and_then(|s| parse_ip(&s))?;
    Some(Sourced {
        value: ip,
        variable: name.into(),
        origin,
    })
}

fn port_var(inv: &SiteInventory, hosts: &[&str], name: &str, default: u16) -> Sourced<u16> {
    match first(inv, hosts, name).and_then(|(v, o)| {
        scalar(v)
            .and_then(|s| s.trim().parse().ok())
            .map(|p| (p, o))
    }) {
        Some((p, origin)) => Sourced {
            value: p,
            variable: name.into(),
            origin,
        },
        None => Sourced {
            value: default,
            variable: format!("{name} (default)"),
            origin: None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kubemagic_site::site::InventoryKind;
    use serde_json::json;

    #[test]
    fn endpoint_urls_give_their_ip_and_port() {
        assert_eq!(
            url_ip_port("https://10.0.0.5:6443"),
            Some(("10.0.0.5".parse().unwrap(), Some(6443)))
        );
        assert_eq!(
            url_ip_port("https://[fd00::5]:443/x"),
            Some(("fd00::5".parse().unwrap(), Some(443)))
        );
        assert_eq!(url_ip_port("https://api.example:6443"), None);
    }

    #[test]
    fn loadbalancer_apiserver_wins_over_a_pinned_endpoint() {
        let mut inv = SiteInventory::new(InventoryKind::Kubespray, "k/hosts.yml");
        inv.add_host("m1", &["kube_control_plane"]);
        inv.set_var(
            "m1",
            "kube_apiserver_endpoint",
            json!("https://10.0.0.9:6443"),
            None,
        );
        let a = kubespray_api_address(&inv, &["m1"]).unwrap();
        assert_eq!(a.variable, "kube_apiserver_endpoint");
        inv.set_var(
            "m1",
            "loadbalancer_apiserver",
            json!({"address": "10.0.0.10", "port": 8383}),
            None,
        );
        let a = kubespray_api_address(&inv, &["m1"]).unwrap();
        assert_eq!(a.value.to_string(), "10.0.0.10");
        assert_eq!(kubespray_frontend_port(&inv, &["m1"]).value, 8383);
        assert_eq!(kubespray_api_port(&inv, &["m1"]).value, 6443);
    }

    #[test]
    fn templated_addresses_are_unknown_not_guessed() {
        let mut inv = SiteInventory::new(InventoryKind::Kubespray, "k/hosts.yml");
        inv.add_host("m1", &["kube_control_plane"]);
        inv.set_var(
            "m1",
            "loadbalancer_apiserver",
            json!({"address": "{{ vip }}"}),
            None,
        );
        assert!(kubespray_api_address(&inv, &["m1"]).is_none());
    }
}
