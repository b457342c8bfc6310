//! The certificates each stack writes, per host role and release, read
//! from the upstream's own defaults (cited per entry), and the directories
//! `certs check --site SITE --host H` reads when given no path.
//!
//! Kubespray keeps the same directories from 2.14 to 2.29:
//! `kube_config_dir: /etc/kubernetes`, `kube_cert_dir: "{{ kube_config_dir
//! }}/ssl"`, `etcd_config_dir: /etc/ssl/etcd`, `etcd_cert_dir: "{{
//! etcd_config_dir }}/ssl"` (roles/kubespray-defaults/defaults/main/main.yml
//! at v2.24.0; roles/kubespray_defaults/defaults/main/main.yml at v2.28.0).
//! The file names under `kube_cert_dir` are kubeadm's (kubespray runs
//! `kubeadm init` with `certificatesDir: {{ kube_cert_dir }}`); the etcd
//! ones are kubespray's own script's (roles/etcd/tasks/check_certs.yml,
//! `expected_files`, v2.24.0).
//!
//! OpenShift 3.11 (openshift-ansible-3.11.1159-1): the master's files from
//! roles/openshift_master_certificates/tasks/main.yml, its kubeconfigs from
//! roles/lib_utils/library/openshift_cert_expiry.py (`master_kube_configs`),
//! etcd's from roles/etcd/defaults/main.yaml (`etcd_conf_dir: /etc/etcd`,
//! `ca.crt`, `server.crt`, `peer.crt`), the node's from
//! roles/openshift_node_group/tasks/bootstrap_config.yml
//! (`/etc/origin/node/certificates`) and roles/openshift_node/files/openshift-node
//! (`/etc/origin/node/client-ca.crt`).

use crate::site::{HostRole, Stack};
use kubemagic_site::Version;

pub use kubemagic_site::read::tls::{
    CEPH_DASHBOARD_CERT, OPENSHIFT_REGISTRY_CERT, OPENSHIFT_ROUTER_CERT,
};

/// One certificate (or kubeconfig) a stack writes on a host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Expected {
    /// Absolute path; `{host}` stands for the inventory hostname.
    pub path: &'static str,
    /// The hosts that have it.
    pub role: HostRole,
    /// Whether the host serves TLS with it, so its SANs must name the host.
    pub serves: bool,
    /// Where the upstream says so.
    pub source: &'static str,
}

const KS_DEFAULTS: &str =
    "kubespray roles/kubespray-defaults/defaults/main/main.yml (kube_cert_dir), v2.24.0";
const KS_ETCD: &str = "kubespray roles/etcd/tasks/check_certs.yml (expected_files), v2.24.0";
const OS_MASTER: &str =
    "openshift-ansible roles/openshift_master_certificates/tasks/main.yml, openshift-ansible-3.11.1159-1";
const OS_KUBECONFIG: &str =
    "openshift-ansible roles/lib_utils/library/openshift_cert_expiry.py (master_kube_configs), openshift-ansible-3.11.1159-1";
const OS_ETCD: &str =
    "openshift-ansible roles/etcd/defaults/main.yaml (etcd_conf_dir), openshift-ansible-3.11.1159-1";
const OS_NODE: &str =
    "openshift-ansible roles/openshift_node/files/openshift-node (client-ca.crt), openshift-ansible-3.11.1159-1";

const fn e(path: &'static str, role: HostRole, serves: bool, source: &'static str) -> Expected {
    Expected {
        path,
        role,
        serves,
        source,
    }
}

const KUBESPRAY: &[Expected] = &[
    e(
        "/etc/kubernetes/ssl/ca.crt",
        HostRole::ControlPlane,
        false,
        KS_DEFAULTS,
    ),
    e(
        "/etc/kubernetes/ssl/apiserver.crt",
        HostRole::ControlPlane,
        true,
        KS_DEFAULTS,
    ),
    e(
        "/etc/kubernetes/ssl/apiserver-kubelet-client.crt",
        HostRole::ControlPlane,
        false,
        KS_DEFAULTS,
    ),
    e(
        "/etc/kubernetes/ssl/front-proxy-ca.crt",
        HostRole::ControlPlane,
        false,
        KS_DEFAULTS,
    ),
    e(
        "/etc/kubernetes/ssl/front-proxy-client.crt",
        HostRole::ControlPlane,
        false,
        KS_DEFAULTS,
    ),
    e(
        "/etc/kubernetes/admin.conf",
        HostRole::ControlPlane,
        false,
        KS_DEFAULTS,
    ),
    e(
        "/etc/kubernetes/controller-manager.conf",
        HostRole::ControlPlane,
        false,
        KS_DEFAULTS,
    ),
    e(
        "/etc/kubernetes/scheduler.conf",
        HostRole::ControlPlane,
        false,
        KS_DEFAULTS,
    ),
    e("/etc/ssl/etcd/ssl/ca.pem", HostRole::Etcd, false, KS_ETCD),
    e(
        "/etc/ssl/etcd/ssl/member-{host}.pem",
        HostRole::Etcd,
        true,
        KS_ETCD,
    ),
    e(
        "/etc/ssl/etcd/ssl/admin-{host}.pem",
        HostRole::Etcd,
        false,
        KS_ETCD,
    ),
    e(
        "/etc/ssl/etcd/ssl/node-{host}.pem",
        HostRole::ControlPlane,
        false,
        KS_ETCD,
    ),
];

const OPENSHIFT_311: &[Expected] = &[
    e(
        "/etc/origin/master/ca.crt",
        HostRole::ControlPlane,
        false,
        OS_MASTER,
    ),
    e(
        "/etc/origin/master/admin.crt",
        HostRole::ControlPlane,
        false,
        OS_MASTER,
    ),
    e(
        "/etc/origin/master/master.server.crt",
        HostRole::ControlPlane,
        true,
        OS_MASTER,
    ),
    e(
        "/etc/origin/master/master.kubelet-client.crt",
        HostRole::ControlPlane,
        false,
        OS_MASTER,
    ),
    e(
        "/etc/origin/master/master.proxy-client.crt",
        HostRole::ControlPlane,
        false,
        OS_MASTER,
    ),
    e(
        "/etc/origin/master/front-proxy-ca.crt",
        HostRole::ControlPlane,
        false,
        OS_MASTER,
    ),
    e(
        "/etc/origin/master/aggregator-front-proxy.crt",
        HostRole::ControlPlane,
        false,
        OS_MASTER,
    ),
    e(
        "/etc/origin/master/service-signer.crt",
        HostRole::ControlPlane,
        false,
        OS_MASTER,
    ),
    e(
        "/etc/origin/master/admin.kubeconfig",
        HostRole::ControlPlane,
        false,
        OS_KUBECONFIG,
    ),
    e(
        "/etc/origin/master/openshift-master.kubeconfig",
        HostRole::ControlPlane,
        false,
        OS_KUBECONFIG,
    ),
    e("/etc/etcd/ca.crt", HostRole::Etcd, false, OS_ETCD),
    e("/etc/etcd/server.crt", HostRole::Etcd, true, OS_ETCD),
    e("/etc/etcd/peer.crt", HostRole::Etcd, true, OS_ETCD),
    e(
        "/etc/origin/node/client-ca.crt",
        HostRole::Node,
        false,
        OS_NODE,
    ),
];

/// What `stack` at `release` writes. Kubespray's layout is the same for
/// every release kubemagic supports (see the module doc); OpenShift's is
/// 3.11's (3.10 moved the node to bootstrapping, and kubemagic supports
/// 3.11 only).
pub fn expected(stack: Stack, _release: Option<Version>) -> &'static [Expected] {
    match stack {
        Stack::Kubespray => KUBESPRAY,
        Stack::Openshift => OPENSHIFT_311,
    }
}

/// The directories `certs check --site` reads on a host of `stack`.
pub fn directories(stack: Stack) -> &'static [&'static str] {
    match stack {
        Stack::Kubespray => &["/etc/kubernetes", "/etc/ssl/etcd/ssl"],
        Stack::Openshift => &["/etc/origin/master", "/etc/origin/node", "/etc/etcd"],
    }
}

/// The file name pattern of an expected certificate matches `path` for
/// `host` (the `{host}` placeholder filled in).
pub fn matches(pattern: &str, host: &str, path: &str) -> bool {
    let want = pattern.replace("{host}", host);
    path.ends_with(&want)
}

/// Which stack wrote `path`, from its directory: used by `--plan` when no
/// site is given.
pub fn stack_of_path(path: &str) -> Option<Stack> {
    if path.contains("/etc/origin/") || path.contains("/etc/etcd/") {
        Some(Stack::Openshift)
    } else if path.contains("/etc/kubernetes/") || path.contains("/etc/ssl/etcd/") {
        Some(Stack::Kubespray)
    } else {
        None
    }
}
