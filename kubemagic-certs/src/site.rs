//! The one place this crate reads a site, through kubemagic-site's one
//! reading only (`Site::load`, `read::node_address`, `read::api::endpoint`,
//! the site's versions): which stack and release, each
//! host's roles and addresses, the API VIP. Kept small and apart so that a
//! change in how kubemagic-site exposes those readers touches this file
//! alone.

use crate::CertsError;
use kubemagic_site::read::{api, node_address};
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
    /// The API VIP (kubespray's, read per release by kubemagic-site).
    pub api_vip: Option<String>,
    /// The port clients reach the API on through the VIP.
    pub api_port: Option<u16>,
    /// Each host's apiserver port (`kube_apiserver_port`, default 6443 in
    /// kubespray's roles/kubespray-defaults; `openshift_master_api_port`,
    /// default 8443 in openshift-ansible 3.11).
    #[serde(skip)]
    apiserver_ports: Vec<u16>,
}

/// Reads the site at `dir`.
pub fn read(dir: &Path) -> Result<SiteView, CertsError> {
    let site = Site::load(dir)?;
    let mut view = SiteView::default();
    let (inv, stack, upstream) = if let Some(i) = site.inventory(InventoryKind::Kubespray) {
        (i, Stack::Kubespray, Upstream::Kubespray)
    } else if let Some(i) = site.inventory(InventoryKind::Openshift) {
        (i, Stack::Openshift, Upstream::OpenshiftAnsible)
    } else {
        return Ok(view);
    };
    view.stack = Some(stack);
    view.release = site.versions.get(upstream);
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
    let endpoint = api::endpoint(&site);
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
        // The port kube-apiserver listens on, as the site's one reading
        // gives it (kubespray's `kube_apiserver_port`, OpenShift's
        // `openshift_master_api_port`, each with its default).
        let port = endpoint
            .as_ref()
            .map(|e| e.listen_port.value)
            .unwrap_or(match stack {
                Stack::Kubespray => 6443,
                Stack::Openshift => 8443,
            });
        view.apiserver_ports.push(port);
    }
    if let Some(e) = &endpoint {
        if let Some(vip) = e.address() {
            view.api_vip = Some(vip.value.clone());
            view.api_port = Some(e.client_port.value);
        }
    }
    Ok(view)
}

fn group<'a>(inv: &'a SiteInventory, name: &str) -> Vec<&'a str> {
    inv.group_hosts(name).iter().map(String::as_str).collect()
}

impl SiteView {
    /// The host named `name`.
    pub fn host(&self, name: &str) -> Option<&HostInfo> {
        self.hosts.iter().find(|h| h.name == name)
    }

    /// The TLS endpoints of the site: the API VIP, each apiserver, each
    /// etcd member's client (2379) and peer (2380) port, dialed by address
    /// when the inventory gives one.
    pub fn endpoints(&self) -> Vec<Endpoint> {
        let mut out = Vec::new();
        if let (Some(vip), Some(port)) = (&self.api_vip, self.api_port) {
            out.push(Endpoint {
                host: vip.clone(),
                port,
                what: "API VIP".into(),
            });
        }
        for (h, port) in self.hosts.iter().zip(&self.apiserver_ports) {
            let dial = h
                .addresses
                .first()
                .map(|a| a.to_string())
                .unwrap_or_else(|| h.name.clone());
            if h.roles.contains(&HostRole::ControlPlane) {
                out.push(Endpoint {
                    host: dial.clone(),
                    port: *port,
                    what: format!("kube-apiserver on {}", h.name),
                });
            }
            if h.roles.contains(&HostRole::Etcd) {
                for (port, what) in [(2379, "etcd client"), (2380, "etcd peer")] {
                    out.push(Endpoint {
                        host: dial.clone(),
                        port,
                        what: format!("{what} on {}", h.name),
                    });
                }
            }
        }
        out
    }
}
