//! Where clients reach the Kubernetes API, and the port the API servers
//! listen on: one [`ApiEndpoint`] for the checks (KM322) and the load
//! balancer (its VIP fallback, frontend and backend ports).
//!
//! kubespray computes the address every kubeconfig gets in
//! `roles/kubespray-defaults/defaults/main.yaml` (`main/main.yml` since
//! v2.26, `roles/kubespray_defaults/` since v2.28), identically from v2.13.0
//! to v2.31.0 (kubernetes-sigs/kubespray, tags v2.13.0, v2.16.0, v2.26.0,
//! v2.27.0, v2.28.0, v2.29.0):
//!
//! ```text
//! kube_apiserver_endpoint: |-
//!   {% if loadbalancer_apiserver is defined -%}
//!       https://{{ apiserver_loadbalancer_domain_name }}:{{ loadbalancer_apiserver.port | default(kube_apiserver_port) }}
//!   {%- elif ... loadbalancer_apiserver_localhost -%}
//!       https://localhost:{{ loadbalancer_apiserver_port | default(kube_apiserver_port) }}
//! ```
//!
//! So the port clients use through an *external* balancer is
//! `loadbalancer_apiserver.port`, else `kube_apiserver_port` (6443);
//! `loadbalancer_apiserver_port` is only the port of kubespray's own
//! per-node nginx/haproxy on localhost and never the external balancer's.
//! A site may pin `kube_apiserver_endpoint` itself (inventory variables win
//! over role defaults); that URL is then what clients get.

use super::sourced::Sourced;
use crate::site::{InventoryKind, Role, Site, SiteInventory};
use crate::values::scalar;
use crate::versions::Version;
use indexmap::IndexSet;
use std::net::IpAddr;

/// kubespray's default `kube_apiserver_port` (every release).
pub const KUBESPRAY_DEFAULT_API_PORT: u16 = 6443;
/// openshift-ansible 3.x's default `openshift_master_api_port`.
pub const OPENSHIFT_DEFAULT_API_PORT: u16 = 8443;
/// The kubespray release from which kubemagic reads a pinned
/// `kube_apiserver_endpoint` before `loadbalancer_apiserver` (and names it
/// in messages); the older variables are still read (and still work) there.
pub const KUBE_APISERVER_ENDPOINT_SINCE: Version = Version::new(2, 28, 0);

/// Which orchestrator the endpoint is read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Orchestrator {
    /// kubespray's inventory.
    Kubespray,
    /// openshift-ansible's inventory.
    Openshift,
}

/// Where the Kubernetes API is reached, as the site's orchestrator (and its
/// release) reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiEndpoint {
    /// The inventory it was read from.
    pub orchestrator: Orchestrator,
    /// Every variable that names the address clients use, in the order the
    /// release reads them (the first set one is the address; a templated
    /// value is kept as written, kubemagic does not evaluate templates).
    pub addresses: Vec<Sourced<String>>,
    /// The port clients connect to (the load balancer's frontend).
    pub client_port: Sourced<u16>,
    /// The port kube-apiserver listens on (the load balancer's backends).
    pub listen_port: Sourced<u16>,
}

impl ApiEndpoint {
    /// The address clients use, as written (an IP or a DNS name), when the
    /// site sets one.
    pub fn address(&self) -> Option<&Sourced<String>> {
        self.addresses.first()
    }

    /// The first address that is a literal IP (`ADDR`, or `ADDR/PREFIX`
    /// read as `ADDR`): what a Keepalived VIP can be. A templated or DNS
    /// value is skipped.
    pub fn ip(&self) -> Option<Sourced<IpAddr>> {
        self.addresses.iter().find_map(|a| {
            let ip = parse_ip(&a.value)?.0;
            Some(Sourced::new(ip, a.variable.clone(), a.origin.clone()))
        })
    }
}

/// True for an unrendered Jinja template (text already read as a scalar;
/// [`crate::values::is_template`] asks the same of a value).
pub fn is_template_text(s: &str) -> bool {
    s.contains("{{") || s.contains("{%")
}

/// An address from a scalar: a bare IP, or an IP with a `/prefix`.
pub fn parse_ip(s: &str) -> Option<(IpAddr, Option<u8>)> {
    let s = s.trim();
    if is_template_text(s) {
        return None;
    }
    match s.split_once('/') {
        Some((a, p)) => Some((a.parse().ok()?, Some(p.parse().ok()?))),
        None => s.parse().ok().map(|a| (a, None)),
    }
}

/// `https://api.example:8443/` → (`api.example`, Some(8443)); also bare
/// `host`, `host:port`, `[v6]:port`.
pub fn split_endpoint(text: &str) -> (String, Option<u16>) {
    let t = text.trim();
    let t = t.split_once("://").map(|(_, r)| r).unwrap_or(t);
    let t = t.split('/').next().unwrap_or(t);
    if let Some(rest) = t.strip_prefix('[') {
        if let Some((h, p)) = rest.split_once(']') {
            return (
                h.to_string(),
                p.strip_prefix(':').and_then(|p| p.parse().ok()),
            );
        }
    }
    match t.rsplit_once(':') {
        Some((h, p)) if t.matches(':').count() == 1 => (h.to_string(), p.parse().ok()),
        _ => (t.to_string(), None),
    }
}

/// The API endpoint of the site: kubespray's when it has a kubespray
/// inventory, else openshift-ansible's; `None` with neither.
pub fn endpoint(site: &Site) -> Option<ApiEndpoint> {
    if let Some(k) = site.inventory(InventoryKind::Kubespray) {
        return Some(kubespray(k, site.kubespray_version()));
    }
    site.inventory(InventoryKind::Openshift).map(openshift)
}

/// The hosts whose variables are read: the control plane first (where
/// the API variables matter), then every other host (group_vars/all
/// reaches them all; a hand-built or partial site may set them anywhere).
fn reading_order<'a>(inv: &'a SiteInventory, control_plane: Vec<&'a str>) -> Vec<&'a str> {
    let mut set: IndexSet<&str> = control_plane.into_iter().collect();
    set.extend(inv.hosts.keys().map(String::as_str));
    set.into_iter().collect()
}

/// The first of `hosts` setting `name`, as a scalar with its origin.
pub(super) fn text_var(inv: &SiteInventory, hosts: &[&str], name: &str) -> Option<Sourced<String>> {
    let (_, v) = inv.first_var(hosts, name)?;
    Some(Sourced::new(scalar(&v.value)?, name, v.origin.clone()))
}

/// The first of `hosts` setting the port `name`, else the upstream's
/// `default`.
pub(super) fn port_var(
    inv: &SiteInventory,
    hosts: &[&str],
    name: &str,
    default: u16,
) -> Sourced<u16> {
    inv.first_var(hosts, name)
        .and_then(|(_, v)| {
            let p = scalar(&v.value)?.trim().parse().ok()?;
            Some(Sourced::new(p, name, v.origin.clone()))
        })
        .unwrap_or_else(|| Sourced::default_of(default, name))
}

/// kubespray, any release (see the module comment for the template).
fn kubespray(inv: &SiteInventory, version: Option<Version>) -> ApiEndpoint {
    let hosts = reading_order(inv, inv.role_hosts(Role::ControlPlane));
    let lb = inv.first_var(&hosts, "loadbalancer_apiserver");
    let lb_field = |field: &str| {
        let (_, v) = lb?;
        Some(Sourced::new(
            scalar(v.value.get(field)?)?,
            format!("loadbalancer_apiserver.{field}"),
            v.origin.clone(),
        ))
    };
    let listen_port = port_var(
        inv,
        &hosts,
        "kube_apiserver_port",
        KUBESPRAY_DEFAULT_API_PORT,
    );
    let pinned = text_var(inv, &hosts, "kube_apiserver_endpoint");
    let pinned_port = pinned
        .as_ref()
        .and_then(|p| Some((split_endpoint(&p.value).1?, p.origin.clone())));
    let pinned_host =
        pinned.map(|p| Sourced::new(split_endpoint(&p.value).0, p.variable, p.origin));
    let legacy = [
        lb_field("address"),
        text_var(inv, &hosts, "apiserver_loadbalancer_domain_name"),
    ];
    let mut addresses: Vec<Sourced<String>> = Vec::new();
    let endpoint_first = version.is_some_and(|v| v >= KUBE_APISERVER_ENDPOINT_SINCE);
    if endpoint_first {
        addresses.extend(pinned_host.clone());
    }
    addresses.extend(legacy.into_iter().flatten());
    if !endpoint_first {
        addresses.extend(pinned_host);
    }
    // The port that goes with the address in use: a pinned URL's own port,
    // else `loadbalancer_apiserver.port | default(kube_apiserver_port)`.
    let from_url = addresses
        .first()
        .filter(|a| a.variable == "kube_apiserver_endpoint")
        .and(pinned_port)
        .map(|(p, o)| Sourced::new(p, "kube_apiserver_endpoint", o));
    let client_port = from_url
        .or_else(|| {
            let s = lb_field("port")?;
            let p = s.value.trim().parse().ok()?;
            Some(Sourced::new(p, s.variable, s.origin))
        })
        .unwrap_or_else(|| listen_port.clone());
    ApiEndpoint {
        orchestrator: Orchestrator::Kubespray,
        addresses,
        client_port,
        listen_port,
    }
}

/// openshift-ansible 3.x: external clients use
/// `openshift_master_cluster_public_hostname`, the cluster itself (nodes,
/// kubeconfigs of the masters) `openshift_master_cluster_hostname`, both on
/// `openshift_master_api_port` (8443), which the masters and the balancer
/// in front of them share. Both names go into the masters' serving
/// certificate (roles/openshift_facts/library/openshift_facts.py,
/// `all_hostnames`, openshift-ansible-3.11.1159-1); the public one comes
/// first, as the address users are given.
fn openshift(inv: &SiteInventory) -> ApiEndpoint {
    let masters = inv
        .group_hosts("masters")
        .iter()
        .map(String::as_str)
        .collect();
    let hosts = reading_order(inv, masters);
    let port = port_var(
        inv,
        &hosts,
        "openshift_master_api_port",
        OPENSHIFT_DEFAULT_API_PORT,
    );
    ApiEndpoint {
        orchestrator: Orchestrator::Openshift,
        addresses: [
            text_var(inv, &hosts, "openshift_master_cluster_public_hostname"),
            text_var(inv, &hosts, "openshift_master_cluster_hostname"),
        ]
        .into_iter()
        .flatten()
        .collect(),
        client_port: port.clone(),
        listen_port: port,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn site() -> Site {
        let mut s = Site::new("/site");
        s.inventory_mut(InventoryKind::Kubespray)
            .add_host("m1", &["kube_control_plane"]);
        s
    }

    fn set(s: &mut Site, name: &str, v: serde_json::Value) {
        s.inventory_mut(InventoryKind::Kubespray)
            .set_var("m1", name, v, None);
    }

    #[test]
    fn endpoint_urls_give_their_host_and_port() {
        assert_eq!(
            split_endpoint("https://10.0.0.5:6443"),
            ("10.0.0.5".into(), Some(6443))
        );
        assert_eq!(
            split_endpoint("https://[fd00::5]:443/x"),
            ("fd00::5".into(), Some(443))
        );
        assert_eq!(
            split_endpoint("https://api.example:6443"),
            ("api.example".into(), Some(6443))
        );
    }

    #[test]
    fn loadbalancer_apiserver_wins_over_a_pinned_endpoint_before_2_28() {
        let mut s = site();
        set(
            &mut s,
            "kube_apiserver_endpoint",
            json!("https://10.0.0.9:7443"),
        );
        let e = endpoint(&s).unwrap();
        assert_eq!(e.ip().unwrap().variable, "kube_apiserver_endpoint");
        assert_eq!(e.client_port.value, 7443);
        set(
            &mut s,
            "loadbalancer_apiserver",
            json!({"address": "10.0.0.10", "port": 8383}),
        );
        let e = endpoint(&s).unwrap();
        assert_eq!(e.ip().unwrap().value.to_string(), "10.0.0.10");
        assert_eq!(e.client_port.value, 8383);
        assert_eq!(e.listen_port.value, 6443);
    }

    #[test]
    fn the_client_port_falls_back_to_kube_apiserver_port_never_to_the_localhost_proxys() {
        let mut s = site();
        set(
            &mut s,
            "loadbalancer_apiserver",
            json!({"address": "10.0.0.10"}),
        );
        set(&mut s, "kube_apiserver_port", json!(6444));
        set(&mut s, "loadbalancer_apiserver_port", json!(8383));
        let e = endpoint(&s).unwrap();
        assert_eq!((e.client_port.value, e.listen_port.value), (6444, 6444));
        assert_eq!(e.client_port.variable, "kube_apiserver_port");
        // A pinned endpoint without a port: the same fallback.
        s.versions = crate::versions::SiteVersions(vec![crate::versions::UpstreamVersion {
            upstream: crate::versions::Upstream::Kubespray,
            version: Some(Version::new(2, 28, 0)),
            source: crate::versions::VersionSource::Pinned,
        }]);
        set(
            &mut s,
            "kube_apiserver_endpoint",
            json!("https://10.0.0.11"),
        );
        let e = endpoint(&s).unwrap();
        assert_eq!(e.address().unwrap().value, "10.0.0.11");
        assert_eq!(e.client_port.value, 6444);
    }

    #[test]
    fn openshift_gives_its_public_name_first_then_the_internal_one_whose_ip_may_be_the_vip() {
        let mut s = Site::new("/site");
        let inv = s.inventory_mut(InventoryKind::Openshift);
        inv.add_host("m1", &["masters"]);
        inv.set_var(
            "m1",
            "openshift_master_cluster_public_hostname",
            json!("api.example"),
            None,
        );
        inv.set_var(
            "m1",
            "openshift_master_cluster_hostname",
            json!("10.0.0.5"),
            None,
        );
        let e = endpoint(&s).unwrap();
        let names: Vec<&str> = e.addresses.iter().map(|a| a.value.as_str()).collect();
        assert_eq!(names, ["api.example", "10.0.0.5"]);
        assert_eq!(e.address().unwrap().value, "api.example");
        // The internal name is the balancer's own address when it is an IP.
        assert_eq!(
            e.ip().unwrap().variable,
            "openshift_master_cluster_hostname"
        );
        assert_eq!((e.client_port.value, e.listen_port.value), (8443, 8443));
    }

    #[test]
    fn templated_addresses_are_kept_but_give_no_ip() {
        let mut s = site();
        set(
            &mut s,
            "loadbalancer_apiserver",
            json!({"address": "{{ vip }}"}),
        );
        let e = endpoint(&s).unwrap();
        assert_eq!(e.address().unwrap().value, "{{ vip }}");
        assert!(e.ip().is_none());
    }
}
