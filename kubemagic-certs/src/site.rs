//! The one place this crate reads a site, through kubemagic-site's one
//! reading only (`Site::load`, `read::node_address`, `read::api::endpoint`,
//! `read::tls`, the site's versions): which stack and release, each
//! host's roles and addresses, the API's names, and the other TLS services
//! (OpenShift's router and registry, Ceph's dashboard and RGW). Kept small and apart so that a
//! change in how kubemagic-site exposes those readers touches this file
//! alone.

use crate::CertsError;
use kubemagic_site::read::{api, node_address, tls};
use kubemagic_site::{InventoryKind, Role, Site, SiteInventory, Upstream, Version};
use serde::Serialize;
use std::net::IpAddr;
use std::path::Path;

/// The stack that deployed the cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Stack {
    /// kubespray (kubeadm underneath, its own etcd certificates).
    Kubespray,
    /// openshift-ansible 3.11.
    Openshift,
}

impl Stack {
    /// The upstream's name.
    pub fn name(self) -> &'static str {
        match self {
            Stack::Kubespray => "kubespray",
            Stack::Openshift => "openshift-ansible",
        }
    }
}

/// What a host is, for the certificates it holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum HostRole {
    /// kubespray's `kube_control_plane`, OpenShift's `masters`.
    ControlPlane,
    /// `etcd`.
    Etcd,
    /// Any Kubernetes node (`k8s_cluster` / `nodes`).
    Node,
}

/// One host of the site.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HostInfo {
    /// The inventory hostname.
    pub name: String,
    /// Its address (`ip`, else `access_ip`, else `ansible_host`).
    pub addresses: Vec<IpAddr>,
    /// Its roles.
    pub roles: Vec<HostRole>,
}

/// A TLS endpoint the site serves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Endpoint {
    /// Name or address to dial.
    pub host: String,
    /// Port.
    pub port: u16,
    /// What serves there (`kube-apiserver`, `etcd client`...).
    pub what: String,
    /// The name sent as SNI and that the served certificate must cover,
    /// when it is not `host` (the router: a name under its wildcard
    /// domain).
    pub name: Option<String>,
    /// Whether the served certificate is held to a name at all (KM346):
    /// not for a service whose certificate names what clients use, which
    /// the inventory does not say (a Ceph dashboard or RGW).
    pub check_name: bool,
    /// A name the cluster uses inside its network (OpenShift's
    /// `openshift_master_cluster_hostname`), which need not resolve where
    /// the probe runs.
    pub inside_only: bool,
}

/// A certificate file of a service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServiceCert {
    /// The absolute path on its hosts.
    pub path: String,
    /// The hosts holding it.
    pub hosts: Vec<String>,
    /// The variable that decides it (or its default).
    pub variable: String,
    /// Supplied by the operator rather than made by the stack.
    pub supplied: bool,
}

/// A TLS service of the site besides the API and etcd, with the
/// certificate files the stack writes for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Service {
    /// What it is (`OpenShift router`, `Ceph dashboard`).
    pub what: String,
    /// The hosts serving it.
    pub hosts: Vec<String>,
    /// The port it is served on.
    pub port: u16,
    /// A name its certificate must cover (the router's: one under its
    /// wildcard domain).
    pub name: Option<String>,
    /// Whether its served certificate must name the host dialed.
    pub names_its_hosts: bool,
    /// Its certificate files.
    pub certs: Vec<ServiceCert>,
}

impl Service {
    /// The certificate file of this service at `path` on `host`, if any.
    pub fn cert_at(&self, host: &str, path: &str) -> Option<&ServiceCert> {
        self.certs
            .iter()
            .find(|c| c.hosts.iter().any(|h| h == host) && path.ends_with(&c.path))
    }
}

/// What `kubemagic certs` needs of a site.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SiteView {
    /// The stack, when the site has a Kubernetes inventory.
    pub stack: Option<Stack>,
    /// Its release, when known.
    pub release: Option<Version>,
    /// Every Kubernetes host.
    pub hosts: Vec<HostInfo>,
    /// Every name clients are given for the API (kubespray: the VIP;
    /// OpenShift: the public and the internal cluster hostnames): an
    /// apiserver certificate must cover each.
    pub api_names: Vec<String>,
    /// OpenShift's router and registry, Ceph's dashboard and RGW.
    pub services: Vec<Service>,
    /// The port clients reach the API on through the VIP.
    pub api_port: Option<u16>,
    /// The port each apiserver listens on (`kube_apiserver_port`, default
    /// 6443 in kubespray's roles/kubespray-defaults;
    /// `openshift_master_api_port`, default 8443 in openshift-ansible 3.11).
    #[serde(skip)]
    apiserver_port: u16,
}

/// Reads the site at `dir`.
pub fn read(dir: &Path) -> Result<SiteView, CertsError> {
    let site = Site::load(dir)?;
    let mut view = SiteView::default();
    let kubernetes = if let Some(i) = site.inventory(InventoryKind::Kubespray) {
        Some((i, Stack::Kubespray, Upstream::Kubespray))
    } else {
        site.inventory(InventoryKind::Openshift)
            .map(|i| (i, Stack::Openshift, Upstream::OpenshiftAnsible))
    };
    if let Some((inv, stack, upstream)) = kubernetes {
        view.stack = Some(stack);
        view.release = site.versions.get(upstream);
        kubernetes_hosts(&site, inv, stack, &mut view);
        if stack == Stack::Openshift {
            add_services(inv, tls::openshift(inv), &mut view);
        }
    }
    if let Some(ceph) = site.inventory(InventoryKind::Ceph) {
        let release = site.versions.get(Upstream::CephAnsible);
        add_services(ceph, tls::ceph(ceph, release), &mut view);
    }
    Ok(view)
}

fn kubernetes_hosts(site: &Site, inv: &SiteInventory, stack: Stack, view: &mut SiteView) {
    let groups: [(HostRole, Vec<&str>); 3] = match stack {
        Stack::Kubespray => [
            (HostRole::ControlPlane, inv.role_hosts(Role::ControlPlane)),
            (HostRole::Etcd, inv.role_hosts(Role::Etcd)),
            (HostRole::Node, {
                let mut n = inv.role_hosts(Role::K8sCluster);
                n.extend(inv.role_hosts(Role::Node));
                n
            }),
        ],
        Stack::Openshift => [
            (HostRole::ControlPlane, group(inv, "masters")),
            (HostRole::Etcd, group(inv, "etcd")),
            (HostRole::Node, group(inv, "nodes")),
        ],
    };
    let endpoint = api::endpoint(site);
    // The port kube-apiserver listens on, as the site's one reading gives
    // it (kubespray's `kube_apiserver_port`, OpenShift's
    // `openshift_master_api_port`, each with its default).
    view.apiserver_port = endpoint
        .as_ref()
        .map(|e| e.listen_port.value)
        .unwrap_or(match stack {
            Stack::Kubespray => api::KUBESPRAY_DEFAULT_API_PORT,
            Stack::Openshift => api::OPENSHIFT_DEFAULT_API_PORT,
        });
    for name in inv.hosts.keys() {
        let roles: Vec<HostRole> = groups
            .iter()
            .filter(|(_, hs)| hs.contains(&name.as_str()))
            .map(|(r, _)| *r)
            .collect();
        if roles.is_empty() {
            continue;
        }
        view.hosts.push(HostInfo {
            name: name.clone(),
            addresses: node_address(inv, name).into_iter().collect(),
            roles,
        });
    }
    if let Some(e) = &endpoint {
        // A templated value names nothing kubemagic can dial or match.
        let names: Vec<String> = e
            .addresses
            .iter()
            .map(|a| a.value.clone())
            .filter(|a| !api::is_template_text(a))
            .collect();
        // kubespray: the first set variable is the address (the others are
        // fallbacks it shadows); OpenShift: both cluster hostnames.
        view.api_names = match stack {
            Stack::Kubespray => names.into_iter().take(1).collect(),
            Stack::Openshift => names,
        };
        view.api_names.dedup();
        view.api_port = view.api_vip().map(|_| e.client_port.value);
    }
}

/// Adds `services` read from `inv`, and their hosts not yet known (Ceph
/// hosts are no Kubernetes hosts) with no Kubernetes role.
fn add_services(inv: &SiteInventory, services: Vec<tls::TlsService>, view: &mut SiteView) {
    for s in services {
        let hosts = s
            .hosts
            .iter()
            .chain(s.certs.iter().flat_map(|c| c.hosts.iter()));
        for h in hosts {
            if view.host(h).is_none() {
                view.hosts.push(HostInfo {
                    name: h.clone(),
                    addresses: node_address(inv, h).into_iter().collect(),
                    roles: Vec::new(),
                });
            }
        }
        view.services.push(Service {
            what: s.what.to_string(),
            hosts: s.hosts,
            port: s.port.value,
            name: s.name,
            names_its_hosts: s.names_its_hosts,
            certs: s
                .certs
                .into_iter()
                .map(|c| ServiceCert {
                    variable: c.path.variable.clone(),
                    path: c.path.value,
                    hosts: c.hosts,
                    supplied: c.supplied,
                })
                .collect(),
        });
    }
}

fn group<'a>(inv: &'a SiteInventory, name: &str) -> Vec<&'a str> {
    inv.group_hosts(name).iter().map(String::as_str).collect()
}

impl SiteView {
    /// The API VIP: the first API name (kubespray's, read per release by
    /// kubemagic-site; OpenShift's public cluster hostname).
    pub fn api_vip(&self) -> Option<&str> {
        self.api_names.first().map(String::as_str)
    }

    /// The host named `name`.
    pub fn host(&self, name: &str) -> Option<&HostInfo> {
        self.hosts.iter().find(|h| h.name == name)
    }

    /// The TLS endpoints of the site: each name of the API, each
    /// apiserver, each etcd member's client (2379) and peer (2380) port,
    /// the router on its nodes, the Ceph dashboard and RGW, dialed by
    /// address when the inventory gives one.
    pub fn endpoints(&self) -> Vec<Endpoint> {
        let mut out = Vec::new();
        if let Some(port) = self.api_port {
            for (i, name) in self.api_names.iter().enumerate() {
                out.push(Endpoint {
                    host: name.clone(),
                    port,
                    what: "API VIP".into(),
                    name: None,
                    check_name: true,
                    // OpenShift's second name is the internal one.
                    inside_only: i > 0,
                });
            }
        }
        let dial = |h: &HostInfo| {
            h.addresses
                .first()
                .map(|a| a.to_string())
                .unwrap_or_else(|| h.name.clone())
        };
        for h in &self.hosts {
            if h.roles.contains(&HostRole::ControlPlane) {
                out.push(Endpoint {
                    host: dial(h),
                    port: self.apiserver_port,
                    what: format!("kube-apiserver on {}", h.name),
                    name: None,
                    check_name: true,
                    inside_only: false,
                });
            }
            if h.roles.contains(&HostRole::Etcd) {
                for (port, what) in [(2379, "etcd client"), (2380, "etcd peer")] {
                    out.push(Endpoint {
                        host: dial(h),
                        port,
                        what: format!("{what} on {}", h.name),
                        name: None,
                        check_name: true,
                        inside_only: false,
                    });
                }
            }
        }
        for s in &self.services {
            for h in s.hosts.iter().filter_map(|h| self.host(h)) {
                out.push(Endpoint {
                    host: dial(h),
                    port: s.port,
                    what: format!("{} on {}", s.what, h.name),
                    name: s.name.clone(),
                    check_name: s.name.is_some() || s.names_its_hosts,
                    inside_only: false,
                });
            }
        }
        out
    }
}
