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
//! ceph-ansible (stable-4.0 to stable-8.0 alike; stable-3.2 and older have
//! no dashboard role):
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
use crate::versions::Version;
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
/// The first ceph-ansible release with the dashboard role (stable-4.0).
pub const CEPH_DASHBOARD_SINCE: Version = Version::new(4, 0, 0);

/// A certificate file a service is given, and the hosts that hold it.
#[derive(Debug, Clone, PartialEq)]
pub struct CertFile {
    /// The absolute path on those hosts.
    pub path: Sourced<String>,
    /// The hosts that hold it.
    pub hosts: Vec<String>,
    /// Supplied by the operator (a copy of a file they issued), rather
    /// than made by the stack: renewing it means issuing it anew.
    pub supplied: bool,
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
    /// The name a client reaching the service asks for, when kubemagic
    /// knows it: sent as SNI and held against the served certificate (the
    /// router's wildcard domain, as a name under it). `None`: no name is
    /// held against it (a supplied Ceph certificate names the VIP or S3
    /// domain clients use, which the inventory does not say).
    pub name: Option<String>,
    /// Whether the served certificate must cover the host's own address
    /// or name as dialed (the stack made it for its hosts).
    pub names_its_hosts: bool,
    /// The certificate files behind it, where the stack writes them.
    pub certs: Vec<CertFile>,
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

/// The basename of `file` under `dir`.
fn under(dir: &str, file: &str) -> String {
    format!("{dir}/{}", file.rsplit('/').next().unwrap_or(file))
}

/// A `{certfile, keyfile, cafile}` mapping's `certfile`, when it has every
/// one of `keys` (a template is kept out: kubemagic does not evaluate it).
fn certfile(map: &Value, keys: &[&str]) -> Option<String> {
    if !keys.iter().all(|k| map.get(k).is_some()) {
        return None;
    }
    scalar(map.get("certfile")?)
        .filter(|f| !super::api::is_template_text(f) && !f.trim().is_empty())
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

/// The router's certificate files on the first master (router.yml): the
/// `certfile` of each router's `certificate` by its basename (the default
/// `openshift_hosted_routers` gives its one router
/// `openshift_hosted_router_certificate`; an overridden list its own),
/// else, when `openshift_hosted_router_create_certificate` and no
/// `openshift_hosted_router_certificate` is set, the wildcard one the role
/// makes.
fn router_certs(inv: &SiteInventory, hosts: &[&str], first_master: &[String]) -> Vec<CertFile> {
    const DIR: &str = "/etc/origin/master";
    let mut out: Vec<CertFile> = Vec::new();
    let push = |out: &mut Vec<CertFile>, path: Sourced<String>, supplied: bool| {
        if !out.iter().any(|c| c.path.value == path.value) {
            out.push(CertFile {
                path,
                hosts: first_master.to_vec(),
                supplied,
            });
        }
    };
    let global = var(inv, hosts, "openshift_hosted_router_certificate");
    match var(inv, hosts, "openshift_hosted_routers") {
        Some(v) => {
            if let Value::Array(routers) = &v.value {
                for r in routers {
                    if let Some(f) = r
                        .get("certificate")
                        .and_then(|c| certfile(c, &["certfile"]))
                    {
                        let name = "openshift_hosted_routers[].certificate.certfile";
                        push(
                            &mut out,
                            Sourced::new(under(DIR, &f), name, v.origin.clone()),
                            true,
                        );
                    }
                }
            }
        }
        None => {
            if let Some(v) = global {
                if let Some(f) = certfile(&v.value, &["certfile"]) {
                    let name = "openshift_hosted_router_certificate.certfile";
                    push(
                        &mut out,
                        Sourced::new(under(DIR, &f), name, v.origin.clone()),
                        true,
                    );
                }
            }
        }
    }
    let global_empty = global.is_none_or(|v| match &v.value {
        Value::Object(m) => m.is_empty(),
        _ => false,
    });
    if out.is_empty()
        && global_empty
        && flag(
            inv,
            hosts,
            "openshift_hosted_router_create_certificate",
            true,
        )
    {
        push(
            &mut out,
            Sourced::default_of(
                OPENSHIFT_ROUTER_CERT.to_string(),
                "openshift_hosted_router_certificate",
            ),
            false,
        );
    }
    out
}

/// The registry's certificate files on the first master (registry.yml
/// secures it unless `openshift_docker_hosted_registry_insecure`):
/// passthrough serves a supplied certificate (certfile and keyfile, from
/// `named_certificates/`) or the self-signed `registry.crt`; reencrypt
/// serves `registry.crt` and the route the supplied one.
fn registry_certs(inv: &SiteInventory, hosts: &[&str], first_master: &[String]) -> Vec<CertFile> {
    if flag(
        inv,
        hosts,
        "openshift_docker_hosted_registry_insecure",
        false,
    ) {
        return Vec::new();
    }
    let termination = text(inv, hosts, "openshift_hosted_registry_routetermination")
        .map(|s| s.value)
        .unwrap_or_else(|| "passthrough".into());
    let routecerts = var(inv, hosts, "openshift_hosted_registry_routecertificates");
    let supplied = |keys: &[&str]| {
        let v = routecerts?;
        let f = certfile(&v.value, keys)?;
        Some(CertFile {
            path: Sourced::new(
                under("/etc/origin/master/named_certificates", &f),
                "openshift_hosted_registry_routecertificates.certfile",
                v.origin.clone(),
            ),
            hosts: first_master.to_vec(),
            supplied: true,
        })
    };
    let self_signed = || CertFile {
        path: Sourced::default_of(
            OPENSHIFT_REGISTRY_CERT.to_string(),
            "openshift_hosted_registry_routecertificates",
        ),
        hosts: first_master.to_vec(),
        supplied: false,
    };
    match termination.as_str() {
        "passthrough" => vec![supplied(&["certfile", "keyfile"]).unwrap_or_else(self_signed)],
        "reencrypt" => std::iter::once(self_signed())
            .chain(supplied(&["certfile"]))
            .collect(),
        _ => Vec::new(),
    }
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
        let subdomain = text(inv, &hosts, "openshift_master_default_subdomain")
            .filter(|s| !super::api::is_template_text(&s.value));
        out.push(TlsService {
            what: "OpenShift router",
            hosts: routers,
            port: Sourced::default_of(443, "openshift_hosted_routers.ports"),
            name: subdomain.map(|s| format!("kubemagic-probe.{}", s.value)),
            names_its_hosts: false,
            certs: router_certs(inv, &hosts, &first_master),
        });
    }
    if flag(inv, &hosts, "openshift_hosted_manage_registry", true) {
        let certs = registry_certs(inv, &hosts, &first_master);
        if !certs.is_empty() {
            // Served inside the cluster only (docker-registry.default.svc):
            // nothing to dial from outside, the files are what is checked.
            out.push(TlsService {
                what: "OpenShift registry",
                hosts: Vec::new(),
                port: Sourced::default_of(5000, "openshift_hosted_registry_port"),
                name: None,
                names_its_hosts: false,
                certs,
            });
        }
    }
    out
}

/// ceph-ansible's dashboard and RGW, read from its inventory, for the
/// ceph-ansible `release` when known (unknown: the dashboard's defaults of
/// every release that has one apply).
pub fn ceph(inv: &SiteInventory, release: Option<Version>) -> Vec<TlsService> {
    let hosts = all_hosts(inv);
    let mons: Vec<String> = inv.group_hosts("mons").to_vec();
    let mut out = Vec::new();
    if let Some(s) = dashboard(inv, &hosts, &mons, release) {
        out.push(s);
    }
    if let Some(pem) = text(inv, &hosts, "radosgw_frontend_ssl_certificate")
        .filter(|s| !s.value.trim().is_empty() && !super::api::is_template_text(&s.value))
    {
        let rgws = inv.group_hosts("rgws").to_vec();
        out.push(TlsService {
            what: "Ceph RADOS Gateway",
            hosts: rgws.clone(),
            port: rgw_port(inv, &hosts),
            name: None,
            names_its_hosts: false,
            certs: vec![CertFile {
                path: pem,
                hosts: rgws,
                supplied: true,
            }],
        });
    }
    out
}

/// The group ceph-ansible requires a host in for its dashboard (and in
/// which site.yml imports dashboard.yml): `grafana_server_group_name`
/// (`grafana-server`) up to stable-5.0, `monitoring_group_name`
/// (`monitoring`) since stable-6.0 (roles/ceph-validate/tasks/main.yml,
/// site.yml.sample); both candidates when the release is unknown. Each
/// with the variable naming it.
pub fn ceph_monitoring_groups(
    inv: &SiteInventory,
    hosts: &[&str],
    release: Option<Version>,
) -> Vec<(String, &'static str)> {
    let old = ("grafana_server_group_name", "grafana-server");
    let new = ("monitoring_group_name", "monitoring");
    let candidates: Vec<(&'static str, &'static str)> = match release {
        Some(v) if v < Version::new(6, 0, 0) => vec![old],
        Some(_) => vec![new],
        None => vec![old, new],
    };
    candidates
        .into_iter()
        .map(|(var, default)| {
            let name = text(inv, hosts, var)
                .map(|s| s.value)
                .filter(|n| !n.trim().is_empty() && !super::api::is_template_text(n))
                .unwrap_or_else(|| default.to_string());
            (name, var)
        })
        .collect()
}

/// The dashboard, when site.yml deploys it: `dashboard_enabled` and a
/// host in the monitoring group ([`ceph_monitoring_groups`]), served over
/// https.
fn dashboard(
    inv: &SiteInventory,
    hosts: &[&str],
    mons: &[String],
    release: Option<Version>,
) -> Option<TlsService> {
    if release.is_some_and(|v| v < CEPH_DASHBOARD_SINCE) {
        return None;
    }
    let monitored = ceph_monitoring_groups(inv, hosts, release)
        .iter()
        .any(|(g, _)| !inv.group_hosts(g).is_empty());
    let protocol = text(inv, hosts, "dashboard_protocol")
        .map(|s| s.value)
        .unwrap_or_else(|| "https".into());
    if !monitored || !flag(inv, hosts, "dashboard_enabled", true) || protocol != "https" {
        return None;
    }
    // The ceph-dashboard play runs on `groups[mgr_group_name] |
    // default(groups[mon_group_name])`: the monitors only when the site
    // declares no `mgrs` group at all.
    let mgrs = if inv.has_group("mgrs") {
        inv.group_hosts("mgrs").to_vec()
    } else {
        mons.to_vec()
    };
    // Supplied only with both files: with either empty, ceph-ansible makes
    // a self-signed pair (configure_dashboard.yml).
    let key_set = text(inv, hosts, "dashboard_key").is_some_and(|s| !s.value.trim().is_empty());
    let supplied = text(inv, hosts, "dashboard_crt")
        .filter(|s| !s.value.trim().is_empty())
        .filter(|_| key_set);
    let path = match &supplied {
        Some(s) => Sourced::new(
            CEPH_DASHBOARD_CERT.to_string(),
            "dashboard_crt",
            s.origin.clone(),
        ),
        None => Sourced::default_of(CEPH_DASHBOARD_CERT.to_string(), "dashboard_crt"),
    };
    // A supplied certificate is copied to the first monitor; a generated
    // one is made on the first manager (run_once) and copied to every
    // monitor.
    let mut holders: Vec<String> = match &supplied {
        Some(_) => mons.iter().take(1).cloned().collect(),
        None => mgrs.iter().take(1).chain(mons.iter()).cloned().collect(),
    };
    let mut seen = std::collections::HashSet::new();
    holders.retain(|h| seen.insert(h.clone()));
    Some(TlsService {
        what: "Ceph dashboard",
        hosts: mgrs,
        port: port(inv, hosts, "dashboard_port", CEPH_DASHBOARD_PORT),
        name: None,
        // The generated certificate names each manager's hostname, fqdn and
        // dashboard_server_addr, which need not be the address dialed.
        names_its_hosts: false,
        certs: vec![CertFile {
            path,
            hosts: holders,
            supplied: supplied.is_some(),
        }],
    })
}

/// `radosgw_frontend_port`, else `radosgw_civetweb_port` for the civetweb
/// frontend, else 8080 (roles/ceph-defaults/defaults/main.yml).
fn rgw_port(inv: &SiteInventory, hosts: &[&str]) -> Sourced<u16> {
    let set = port(inv, hosts, "radosgw_frontend_port", CEPH_RGW_PORT);
    if !set.is_default() {
        return set;
    }
    let civetweb = text(inv, hosts, "radosgw_frontend_type").is_some_and(|t| t.value == "civetweb");
    if civetweb {
        return port(inv, hosts, "radosgw_civetweb_port", CEPH_RGW_PORT);
    }
    set
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
        let cert = &router.certs[0];
        assert_eq!(cert.path.value, OPENSHIFT_ROUTER_CERT);
        assert_eq!(cert.hosts, ["m1"]);
        assert_eq!(s[1].certs[0].path.value, OPENSHIFT_REGISTRY_CERT);
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
        assert_eq!(s[0].certs.len(), 1);
        assert_eq!(s[0].certs[0].path.value, "/etc/origin/master/wild.crt");
        assert!(s[0].certs[0].supplied);
    }

    #[test]
    fn an_overridden_router_list_brings_its_own_certificates_and_no_generated_one() {
        let mut i = okd();
        i.set_var(
            "m1",
            "openshift_hosted_routers",
            json!([{"name": "router", "certificate": {"certfile": "/srv/r1.crt", "keyfile": "/srv/r1.key", "cafile": "/srv/ca.crt"}}]),
            None,
        );
        // Not used by the overridden list.
        i.set_var(
            "m1",
            "openshift_hosted_router_certificate",
            json!({"certfile": "/srv/global.crt"}),
            None,
        );
        let paths: Vec<String> = openshift(&i)[0]
            .certs
            .iter()
            .map(|c| c.path.value.clone())
            .collect();
        assert_eq!(paths, ["/etc/origin/master/r1.crt"]);
        // A router without a certificate and a global one set: the role
        // makes none (router.yml's generation needs the global one empty).
        i.set_var(
            "m1",
            "openshift_hosted_routers",
            json!([{"name": "router"}]),
            None,
        );
        assert!(openshift(&i)[0].certs.is_empty());
    }

    #[test]
    fn a_dashboard_certificate_is_supplied_only_with_its_key_and_an_empty_mgrs_group_serves_nothing(
    ) {
        let mut i = SiteInventory::new(InventoryKind::Ceph, "/site/ceph");
        i.add_host("mon1", &["mons"])
            .add_host("graf1", &["monitoring"]);
        i.set_var("mon1", "dashboard_crt", json!("/srv/d.crt"), None);
        let d = ceph(&i, None).remove(0);
        assert!(!d.certs[0].supplied, "no dashboard_key: self-signed");
        assert_eq!(d.hosts, ["mon1"]);
        i.set_var("mon1", "dashboard_key", json!("/srv/d.key"), None);
        assert!(ceph(&i, None)[0].certs[0].supplied);
        // A declared, empty [mgrs]: the play has no hosts.
        i.groups.entry("mgrs".into()).or_default();
        assert!(ceph(&i, None)[0].hosts.is_empty());
    }

    #[test]
    fn an_insecure_registry_has_no_certificate_and_reencrypt_keeps_the_self_signed_one() {
        let mut i = okd();
        i.set_var(
            "m1",
            "openshift_docker_hosted_registry_insecure",
            json!(true),
            None,
        );
        assert!(openshift(&i).iter().all(|s| s.what != "OpenShift registry"));
        let mut i = okd();
        i.set_var(
            "m1",
            "openshift_hosted_registry_routetermination",
            json!("reencrypt"),
            None,
        );
        i.set_var(
            "m1",
            "openshift_hosted_registry_routecertificates",
            json!({"certfile": "/srv/reg.crt", "keyfile": "/srv/reg.key", "cafile": "/srv/ca.crt"}),
            None,
        );
        let reg = openshift(&i)
            .into_iter()
            .find(|s| s.what == "OpenShift registry")
            .unwrap();
        let paths: Vec<&str> = reg.certs.iter().map(|c| c.path.value.as_str()).collect();
        assert_eq!(
            paths,
            [
                OPENSHIFT_REGISTRY_CERT,
                "/etc/origin/master/named_certificates/reg.crt"
            ]
        );
        // Passthrough needs certfile and keyfile to serve a supplied one.
        i.set_var(
            "m1",
            "openshift_hosted_registry_routetermination",
            json!("passthrough"),
            None,
        );
        i.set_var(
            "m1",
            "openshift_hosted_registry_routecertificates",
            json!({"certfile": "/srv/reg.crt"}),
            None,
        );
        let reg = openshift(&i)
            .into_iter()
            .find(|s| s.what == "OpenShift registry")
            .unwrap();
        assert_eq!(reg.certs[0].path.value, OPENSHIFT_REGISTRY_CERT);
    }

    #[test]
    fn the_dashboard_is_served_by_the_monitors_without_a_mgrs_group_and_rgw_only_with_a_pem() {
        let mut i = SiteInventory::new(InventoryKind::Ceph, "/site/ceph");
        i.add_host("mon1", &["mons"]).add_host("rgw1", &["rgws"]);
        // No monitoring host: site.yml does not import dashboard.yml.
        assert!(ceph(&i, None).is_empty());
        i.add_host("graf1", &["monitoring"]);
        assert!(ceph(&i, Some(Version::new(4, 0, 0))).is_empty());
        let s = ceph(&i, None);
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].hosts, ["mon1"]);
        assert_eq!(s[0].port.value, 8443);
        // ceph-ansible 3.2 has no dashboard.
        assert!(ceph(&i, Some(Version::new(3, 2, 0))).is_empty());
        i.set_var(
            "rgw1",
            "radosgw_frontend_ssl_certificate",
            json!("/etc/ceph/rgw.pem"),
            None,
        );
        i.set_var("mon1", "dashboard_protocol", json!("http"), None);
        let s = ceph(&i, None);
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].what, "Ceph RADOS Gateway");
        assert_eq!(s[0].certs[0].path.value, "/etc/ceph/rgw.pem");
    }
}
