//! The registry of every check code: its severity, title and the upstream
//! releases it applies to. A leaf of `checks`: the helpers and every family
//! read it, it reads none of them.

use crate::site::Site;
use crate::versions::{Range, Upstream, Version};
use kubemagic_core::Severity;

/// A registered check: its stable code, severity, one-line title, and the
/// upstream releases it applies to (versions are data: a rule of one
/// kubespray era must not fire on another).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckInfo {
    /// The stable code, `KM` and three digits; the hundreds name the family.
    pub code: &'static str,
    /// The severity of its findings. A check may raise it for one finding (KM601
    /// is an error when the group_vars is a renamed kubespray group).
    pub severity: Severity,
    /// What the code reports, in one line.
    pub title: &'static str,
    /// The upstream whose version selects the rule; `None`: any site.
    pub upstream: Option<Upstream>,
    /// The releases of `upstream` the rule applies to. A rule with a
    /// narrower range than all versions does not run when the version is
    /// unknown (KM503 says so once).
    pub range: Range,
}

const fn info(code: &'static str, severity: Severity, title: &'static str) -> CheckInfo {
    CheckInfo {
        code,
        severity,
        title,
        upstream: None,
        range: Range::ALL,
    }
}

const fn ver(
    code: &'static str,
    severity: Severity,
    title: &'static str,
    upstream: Upstream,
    range: Range,
) -> CheckInfo {
    CheckInfo {
        code,
        severity,
        title,
        upstream: Some(upstream),
        range,
    }
}

const V2_28: Version = Version::new(2, 28, 0);
const KS: Upstream = Upstream::Kubespray;
const CA: Upstream = Upstream::CephAnsible;

use Severity::{Error as E, Info as I, Warning as W};

/// Every finding code kubemagic check can emit. `docs/checks.md` has one
/// section per entry (a test keeps the two in sync).
pub const REGISTRY: &[CheckInfo] = &[
    info("KM101", E, "etcd quota below 1 GiB"),
    info("KM102", W, "etcd quota above 8 GiB"),
    info("KM103", E, "etcd quota written with a unit or not a number"),
    info("KM104", E, "etcd members with different quotas"),
    info(
        "KM105",
        W,
        "etcd memory limit below the quota (etcd in a container)",
    ),
    info("KM111", E, "even number of etcd members"),
    info("KM112", W, "fewer than 3 etcd members"),
    info("KM113", E, "no control plane host"),
    info("KM114", E, "no etcd group where kubespray requires one"),
    info("KM201", E, "even number of Ceph monitors"),
    info("KM202", E, "Ceph monitor without a monitor address"),
    info("KM203", E, "Ceph OSD without devices"),
    info(
        "KM211",
        E,
        "provisioner monitors are not the Ceph monitors (v1, port 6789)",
    ),
    info(
        "KM212",
        W,
        "rbd provisioner pool not created by ceph-ansible",
    ),
    info("KM213", E, "rbd image features other than layering"),
    info("KM241", E, "unsupported ceph_origin / ceph_repository"),
    info("KM242", E, "unsupported osd_objectstore"),
    info("KM243", E, "lvm_volumes entry without data (or journal)"),
    info(
        "KM244",
        E,
        "dashboard enabled without a grafana-server host",
    ),
    ver(
        "KM245",
        E,
        "ceph_stable_release not the one this ceph-ansible installs",
        CA,
        Range::from(Version::new(3, 0, 0)),
    ),
    info("KM301", E, "one host, several addresses"),
    info("KM311", E, "no_proxy does not cover the cluster"),
    info("KM321", E, "load balancer with fewer than 2 hosts"),
    info(
        "KM322",
        E,
        "Keepalived VIP is not the API load balancer address",
    ),
    info(
        "KM323",
        E,
        "control plane host missing from the load balancer backends",
    ),
    info(
        "KM324",
        I,
        "load balancer variables unknown to kubemagic: not checked",
    ),
    info("KM401", E, "insecure registry on containerd older than 1.4"),
    ver(
        "KM402",
        E,
        "registry variable of the wrong shape for the pinned kubespray",
        KS,
        Range::from(Version::new(2, 0, 0)),
    ),
    ver(
        "KM403",
        E,
        "registry mirrors beside config_path: containerd's CRI plugin does not load",
        KS,
        Range::from(Version::new(2, 21, 0)),
    ),
    ver(
        "KM404",
        W,
        "registry CA the pinned kubespray cannot write into hosts.toml",
        KS,
        Range::from(Version::new(2, 0, 0)),
    ),
    info(
        "KM405",
        W,
        "images from a private registry no registry variable declares",
    ),
    info("KM501", W, "upstream pinned to a branch"),
    info("KM502", E, "cert-manager deployed from an upstream branch"),
    info(
        "KM503",
        I,
        "upstream version unknown: version-bound rules skipped",
    ),
    ver(
        "KM504",
        E,
        "variable removed by the pinned kubespray (it refuses to run)",
        KS,
        Range::from(V2_28),
    ),
    ver(
        "KM505",
        W,
        "variable the pinned kubespray ignores",
        KS,
        Range::from(Version::new(2, 0, 0)),
    ),
    info("KM601", W, "group_vars for no group"),
    info("KM602", E, "host name not lowercase RFC 1123"),
    info("KM603", W, "host_vars for no host"),
    info(
        "KM604",
        W,
        "the inventory engine (or Ansible) warns about a source",
    ),
    info("KM701", E, "OpenShift node without a valid node group"),
    info("KM702", E, "malformed LDAP identity provider"),
    info(
        "KM703",
        E,
        "LDAP identity provider verifying TLS without a CA",
    ),
    info("KM704", E, "variable removed in OpenShift 3.10+"),
    info("KM705", E, "malformed openshift_node_groups"),
    info(
        "KM706",
        E,
        "several masters without openshift_master_cluster_hostname",
    ),
    info(
        "KM707",
        E,
        "openshift_deployment_type missing or unsupported",
    ),
    info("KM708", E, "more than one OpenShift network plugin"),
    info("KM801", E, "unsupported kube_network_plugin"),
    info("KM802", E, "unsupported kube_proxy_mode"),
    info("KM803", E, "unsupported dns_mode"),
    info("KM804", E, "unsupported container_manager"),
    info("KM805", E, "unsupported etcd_deployment_type"),
    info("KM806", E, "kubespray boolean written as a string"),
    info("KM807", E, "pod or service subnet invalid or overlapping"),
    info("KM808", E, "pod subnet too small for the node count"),
    info(
        "KM809",
        E,
        "kubelet_max_pods above the addresses of a node's pod range",
    ),
    info("KM810", E, "unsupported cert_management or resolvconf_mode"),
    info("KM901", W, "ignore that matches no finding"),
];

/// Looks up a code in the registry.
pub fn check_info(code: &str) -> Option<&'static CheckInfo> {
    REGISTRY.iter().find(|c| c.code == code)
}

/// Whether the rule `code` applies to the site's version of its upstream.
/// A version-bound rule does not run when the version is unknown.
pub(crate) fn applies(site: &Site, code: &str) -> bool {
    let Some(info) = check_info(code) else {
        return true;
    };
    match info.upstream {
        Some(u) if !info.range.is_all() => {
            site.versions.get(u).is_some_and(|v| info.range.contains(v))
        }
        _ => true,
    }
}
