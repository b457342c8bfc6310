//! The TLS services a site's stacks deploy besides the API and etcd, and
//! the certificate files behind them: OpenShift 3.11's router and
//! registry, ceph-ansible's dashboard and RADOS Gateway. Read here once,
//! for `kubemagic certs` (expected files, endpoints to probe).
//!
//! OpenShift (openshift-ansible-3.11.1159-1):
//! - roles/openshift_hosted/defaults/main.yml: `openshift_hosted_routers`
//!   serve `443:443` on the nodes of `openshift_hosted_router_selector`
//!   (`openshift_router_selector | default(openshift_hosted_infra_selector)`,
//!   `node-role.kubernetes.io/infra=true`); `openshift_hosted_router_create_certificate: True`,
//!   `openshift_hosted_router_certificate: {}`,
//!   `openshift_hosted_registry_routetermination: "passthrough"`,
//!   `openshift_hosted_registry_routecertificates: {}`.
//! - roles/openshift_hosted/tasks/router.yml: without a supplied
//!   certificate, a wildcard `*.{{ openshift_master_default_subdomain }}`
//!   certificate is written to `/etc/origin/master/openshift-router.crt`;
//!   a supplied one is copied to `/etc/origin/master/{{ certfile | basename }}`.
//! - roles/openshift_hosted/tasks/secure/passthrough.yml and
//!   reencrypt.yml: the registry's self-signed certificate is
//!   `/etc/origin/master/registry.crt`; a supplied one
//!   `/etc/origin/master/named_certificates/{{ certfile | basename }}`.
//! - Both run on the first master (playbooks/openshift-hosted, `oo_first_master`).
//! - roles/openshift_facts/defaults/main.yml: the default
//!   `openshift_node_groups` and their labels (which nodes are infra).
//!
//! ceph-ansible (stable-4.0 and stable-6.0 alike):
//! - roles/ceph-defaults/defaults/main.yml: `dashboard_enabled: True`,
//!   `dashboard_protocol: https`, `dashboard_port: 8443`, `dashboard_crt: ''`,
//!   `radosgw_frontend_ssl_certificate: ""`, `radosgw_frontend_port`
//!   (`radosgw_civetweb_port`, 8080, or 8080).
//! - roles/ceph-dashboard/tasks/configure_dashboard.yml: the certificate
//!   (supplied or self-signed) is `/etc/ceph/ceph-dashboard.crt` on the
//!   monitors (the first one for a supplied one, all for a generated one);
//!   the dashboard is served by the managers (`mgrs`, the monitors when
//!   the site has no `mgrs` group).
//! - roles/ceph-config/templates/ceph.conf.j2: RGW serves TLS on its
//!   frontend port when `radosgw_frontend_ssl_certificate` names a PEM.

use super::api::{port_var as port, text_var as text};
use super::sourced::Sourced;
use crate::site::SiteInventory;
use crate::values::scalar;
use kubemagic_inventory::{Value, Var};

/// openshift-ansible 3.11's infra selector default.
pub const OPENSHIFT_INFRA_SELECTOR: &str = "node-role.kubernetes.io/infra=true";
/// openshift-ansible 3.11's default router certificate path.
pub const OPENSHIFT_ROUTER_CERT: &str = "/etc/origin/master/openshift-router.crt";
/// openshift-ansible 3.11's default (self-signed) registry certificate.
pub const OPENSHIFT_REGISTRY_CERT: &str = "/etc/origin/master/registry.crt";
/// ceph-ansible's dashboard certificate on the monitors.
pub const CEPH_DASHBOARD_CERT: &str = "/etc/ceph/ceph-dashboard.crt";
/// ceph-ansible's default `dashboard_port`.
pub const CEPH_DASHBOARD_PORT: u16 = 8443;
/// ceph-ansible's default `radosgw_frontend_port`.
pub const CEPH_RGW_PORT: u16 = 8080;

/// A certificate file a service is given, and the hosts that hold it.
#[derive(Debug, Clone, PartialEq)]
pub struct CertFile {
    /// The absolute path on those hosts.
    pub path: Sourced<String>,
    /// The hosts that hold it.
    pub hosts: Vec<String>,
}

/// A TLS service: where it is served and the name its certificate must
/// carry.
#[derive(Debug, Clone, PartialEq)]
pub struct TlsService {
    /// What it is (`OpenShift router`, `Ceph dashboard`).
    pub what: &'static str,
    /// The hosts serving it.
    pub hosts: Vec<String>,
    /// The port.
    pub port: Sourced<u16>,
    /// A DNS name its certificate must cover (the router's wildcard
    /// domain, as a name under it); `None`: the host's own name.
    pub name: Option<String>,
    /// The certificate file behind it, when the stack writes one.
    pub cert: Option<CertFile>,
}

fn var<'a>(inv: &'a SiteInventory, hosts: &[&'a str], name: &str) -> Option<&'a Var> {
    inv.first_var(hosts, name).map(|(_, v)| v)
}

fn flag(inv: &SiteInventory, hosts: &[&str], name: &str, default: bool) -> bool {
    var(inv, hosts, name)
        .map(|v| crate::site::truthy(&v.value))
        .unwrap_or(default)
}

fn all_hosts(inv: &SiteInventory) -> Vec<&str> {
    inv.hosts.keys().map(String::as_str).collect()
}

/// The `certfile` of a `{certfile, keyfile, cafile}` mapping variable, as
/// its basename under `dir`.
fn supplied(inv: &SiteInventory, hosts: &[&str], name: &str, dir: &str) -> Option<Sourced<String>> {
    let v = var(inv, hosts, name)?;
    let file = scalar(v.value.get("certfile")?)?;
    let base = file.rsplit('/').next().unwrap_or(&file);
    Some(Sourced::new(
        format!("{dir}/{base}"),
        format!("{name}.certfile"),
        v.origin.clone(),
    ))
}

/// The labels of each node group: `openshift_node_groups` when set, else
/// 3.11's defaults (name → labels).
fn node_group_labels(inv: &SiteInventory, hosts: &[&str], group: &str) -> Vec<String> {
    if let Some(v) = var(inv, hosts, "openshift_node_groups") {
        if let Value::Array(groups) = &v.value {
            return groups
                .iter()
                .find(|g| g.get("name").and_then(scalar).as_deref() == Some(group))
                .and_then(|g| match g.get("labels") {
                    Some(Value::Array(ls)) => Some(ls.iter().filter_map(scalar).collect()),
                    _ => None,
                })
                .unwrap_or_default();
        }
    }
    let base = group.trim_end_matches("-crio");
    let roles: &[&str] = match base {
        "node-config-master" => &["master"],
        "node-config-infra" => &["infra"],
        "node-config-compute" => &["compute"],
        "node-config-master-infra" => &["master", "infra"],
        "node-config-all-in-one" => &["master", "infra", "compute"],
        _ => &[],
    };
    roles
        .iter()
        .map(|r| format!("node-role.kubernetes.io/{r}=true"))
        .collect()
}

/// OpenShift 3.11's router and registry, read from its inventory.
pub fn openshift(inv: &SiteInventory) -> Vec<TlsService> {
    let hosts = all_hosts(inv);
    let first_master: Vec<String> = inv.group_hosts("masters").iter().take(1).cloned().collect();
    let mut out = Vec::new();
    if flag(inv, &hosts, "openshift_hosted_manage_router", true) {
        let selector = text(inv, &hosts, "openshift_hosted_router_selector")
            .or_else(|| text(inv, &hosts, "openshift_router_selector"))
            .map(|s| s.value)
            .unwrap_or_else(|| OPENSHIFT_INFRA_SELECTOR.to_string());
        let wanted: Vec<&str> = selector.split(',').map(str::trim).collect();
        let routers: Vec<String> = inv
            .group_hosts("nodes")
            .iter()
            .filter(|h| {
                let group = inv
                    .var(h, "openshift_node_group_name")
                    .and_then(|v| scalar(&v.value))
                    .unwrap_or_default();
                let labels = node_group_labels(inv, &hosts, &group);
                wanted.iter().all(|w| labels.iter().any(|l| l == w))
            })
            .cloned()
            .collect();
        let subdomain = text(inv, &hosts, "openshift_master_default_subdomain");
        let cert = supplied(
            inv,
            &hosts,
            "openshift_hosted_router_certificate",
            "/etc/origin/master",
        )
        .or_else(|| {
            flag(
                inv,
                &hosts,
                "openshift_hosted_router_create_certificate",
                true,
            )
            .then(|| {
                Sourced::default_of(
                    OPENSHIFT_ROUTER_CERT.to_string(),
                    "openshift_hosted_router_certificate",
                )
            })
        });
        out.push(TlsService {
            what: "OpenShift router",
            hosts: routers,
            port: Sourced::default_of(443, "openshift_hosted_routers.ports"),
            name: subdomain.map(|s| format!("kubemagic-probe.{}", s.value)),
            cert: cert.map(|path| CertFile {
                path,
                hosts: first_master.clone(),
            }),
        });
    }
    if flag(inv, &hosts, "openshift_hosted_manage_registry", true) {
        let termination = text(inv, &hosts, "openshift_hosted_registry_routetermination")
            .map(|s| s.value)
            .unwrap_or_else(|| "passthrough".into());
        if matches!(termination.as_str(), "passthrough" | "reencrypt") {
            let cert = supplied(
                inv,
                &hosts,
                "openshift_hosted_registry_routecertificates",
                "/etc/origin/master/named_certificates",
            )
            .unwrap_or_else(|| {
                Sourced::default_of(
                    OPENSHIFT_REGISTRY_CERT.to_string(),
                    "openshift_hosted_registry_routecertificates",
                )
            });
            // Served inside the cluster only (docker-registry.default.svc):
            // nothing to dial from outside, the file is what is checked.
            out.push(TlsService {
                what: "OpenShift registry",
                hosts: Vec::new(),
                port: Sourced::default_of(5000, "openshift_hosted_registry_port"),
                name: None,
                cert: Some(CertFile {
                    path: cert,
                    hosts: first_master.clone(),
                }),
            });
        }
    }
    out
}

/// ceph-ansible's dashboard and RGW, read from its inventory.
pub fn ceph(inv: &SiteInventory) -> Vec<TlsService> {
    let hosts = all_hosts(inv);
    let mons: Vec<String> = inv.group_hosts("mons").to_vec();
    let mut out = Vec::new();
    let protocol = text(inv, &hosts, "dashboard_protocol")
        .map(|s| s.value)
        .unwrap_or_else(|| "https".into());
    if flag(inv, &hosts, "dashboard_enabled", true) && protocol == "https" {
        let mgrs = if inv.has_group("mgrs") && !inv.group_hosts("mgrs").is_empty() {
            inv.group_hosts("mgrs").to_vec()
        } else {
            mons.clone()
        };
        let supplied = text(inv, &hosts, "dashboard_crt").filter(|s| !s.value.trim().is_empty());
        let path = match &supplied {
            Some(s) => Sourced::new(
                CEPH_DASHBOARD_CERT.to_string(),
                "dashboard_crt",
                s.origin.clone(),
            ),
            None => Sourced::default_of(CEPH_DASHBOARD_CERT.to_string(), "dashboard_crt"),
        };
        // A supplied certificate is copied to the first monitor only.
        let holders = if supplied.is_some() {
            mons.iter().take(1).cloned().collect()
        } else {
            mons.clone()
        };
        out.push(TlsService {
            what: "Ceph dashboard",
            hosts: mgrs,
            port: port(inv, &hosts, "dashboard_port", CEPH_DASHBOARD_PORT),
            name: None,
            cert: Some(CertFile {
                path,
                hosts: holders,
            }),
        });
    }
    if let Some(pem) =
        text(inv, &hosts, "radosgw_frontend_ssl_certificate").filter(|s| !s.value.trim().is_empty())
    {
        let rgws = inv.group_hosts("rgws").to_vec();
        out.push(TlsService {
            what: "Ceph RADOS Gateway",
            hosts: rgws.clone(),
            port: port(inv, &hosts, "radosgw_frontend_port", CEPH_RGW_PORT),
            name: None,
            cert: Some(CertFile {
                path: pem,
                hosts: rgws,
            }),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::site::InventoryKind;
    use serde_json::json;

    fn okd() -> SiteInventory {
        let mut i = SiteInventory::new(InventoryKind::Openshift, "/site/hosts");
        i.add_host("m1", &["masters", "nodes"])
            .add_host("m2", &["masters", "nodes"])
            .add_host("i1", &["nodes"])
            .add_host("c1", &["nodes"]);
        for (h, g) in [
            ("m1", "node-config-master"),
            ("m2", "node-config-master"),
            ("i1", "node-config-infra"),
            ("c1", "node-config-compute"),
        ] {
            i.set_var(h, "openshift_node_group_name", json!(g), None);
            i.set_var(
                h,
                "openshift_master_default_subdomain",
                json!("apps.x"),
                None,
            );
        }
        i
    }

    #[test]
    fn the_router_runs_on_infra_nodes_with_its_certificate_on_the_first_master() {
        let s = openshift(&okd());
        let router = &s[0];
        assert_eq!(router.hosts, ["i1"]);
        assert_eq!(router.port.value, 443);
        assert_eq!(router.name.as_deref(), Some("kubemagic-probe.apps.x"));
        let cert = router.cert.as_ref().unwrap();
        assert_eq!(cert.path.value, OPENSHIFT_ROUTER_CERT);
        assert_eq!(cert.hosts, ["m1"]);
        assert_eq!(
            s[1].cert.as_ref().unwrap().path.value,
            OPENSHIFT_REGISTRY_CERT
        );
    }

    #[test]
    fn a_supplied_router_certificate_is_read_by_its_basename() {
        let mut i = okd();
        i.set_var(
            "m1",
            "openshift_hosted_router_certificate",
            json!({"certfile": "/srv/pki/wild.crt", "keyfile": "/srv/pki/wild.key", "cafile": "/srv/pki/ca.crt"}),
            None,
        );
        let s = openshift(&i);
        assert_eq!(
            s[0].cert.as_ref().unwrap().path.value,
            "/etc/origin/master/wild.crt"
        );
    }

    #[test]
    fn the_dashboard_is_served_by_the_monitors_without_a_mgrs_group_and_rgw_only_with_a_pem() {
        let mut i = SiteInventory::new(InventoryKind::Ceph, "/site/ceph");
        i.add_host("mon1", &["mons"]).add_host("rgw1", &["rgws"]);
        let s = ceph(&i);
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].hosts, ["mon1"]);
        assert_eq!(s[0].port.value, 8443);
        i.set_var(
            "rgw1",
            "radosgw_frontend_ssl_certificate",
            json!("/etc/ceph/rgw.pem"),
            None,
        );
        i.set_var("mon1", "dashboard_protocol", json!("http"), None);
        let s = ceph(&i);
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].what, "Ceph RADOS Gateway");
        assert_eq!(s[0].cert.as_ref().unwrap().path.value, "/etc/ceph/rgw.pem");
    }
}
