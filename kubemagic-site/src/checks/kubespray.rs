//! kubespray's own inventory asserts, before `ansible-playbook` instead of
//! minutes into a run, and the variables each kubespray release removed or
//! ignores.
//!
//! kubespray stops a run on the asserts of `roles/validate_inventory`
//! (v2.13: `roles/kubernetes/preinstall/tasks/0020-verify-settings.yml`),
//! after gathering facts on every host. The ones that depend on the
//! inventory alone are mirrored here, per release (the accepted values
//! changed between releases); docs/checks.md names the assert each code
//! mirrors. Values kubemagic cannot know (Jinja templates) are skipped.

use super::common::{at_var, finding, is_template, scalar, Once};
use super::registry::applies;
use crate::site::{InventoryKind, Role, Site, SiteInventory};
use crate::versions::{Range, Version};
use ipnet::{IpNet, Ipv4Net};
use kubemagic_core::Finding;
use kubemagic_inventory::{Value, Var};

const fn v(minor: u32) -> Version {
    Version::new(2, minor, 0)
}

/// A value an assert accepts, and the releases that accept it.
type Choice = (&'static str, Range);

/// `kube_network_plugin` values, with the releases that accept them
/// (contiv left in 2.15, canal in 2.26, weave in 2.27; `custom_cni` and
/// `none` came later).
const NETWORK_PLUGINS: &[Choice] = &[
    ("calico", Range::ALL),
    ("flannel", Range::ALL),
    ("cilium", Range::ALL),
    ("cni", Range::ALL),
    ("kube-ovn", Range::ALL),
    ("kube-router", Range::ALL),
    ("macvlan", Range::ALL),
    ("cloud", Range::ALL),
    ("canal", Range::until(v(26))),
    ("weave", Range::until(v(27))),
    ("contiv", Range::until(v(15))),
    ("custom_cni", Range::from(v(20))),
    ("none", Range::from(v(22))),
];
const PROXY_MODES: &[Choice] = &[
    ("iptables", Range::ALL),
    ("ipvs", Range::ALL),
    ("nftables", Range::from(v(25))),
];
const DNS_MODES: &[Choice] = &[
    ("coredns", Range::ALL),
    ("coredns_dual", Range::ALL),
    ("manual", Range::ALL),
    ("none", Range::ALL),
];
const CONTAINER_MANAGERS: &[Choice] = &[
    ("docker", Range::ALL),
    ("crio", Range::ALL),
    ("containerd", Range::ALL),
];
const ETCD_DEPLOYMENT_TYPES: &[Choice] = &[
    ("host", Range::ALL),
    ("docker", Range::ALL),
    ("kubeadm", Range::from(v(16))),
];
const CERT_MANAGEMENT: &[Choice] = &[("script", Range::ALL), ("none", Range::ALL)];
const RESOLVCONF_MODES: &[Choice] = &[
    ("docker_dns", Range::ALL),
    ("host_resolvconf", Range::ALL),
    ("none", Range::ALL),
];

/// Booleans kubespray asserts are booleans (`type_debug == 'bool'`): a
/// string `"true"` (quoted in YAML, or any value of an INI `:vars` section
/// that is not Python's `True`) stops the run.
pub const BOOLEANS: [&str; 5] = [
    "download_run_once",
    "deploy_netchecker",
    "download_always_pull",
    "helm_enabled",
    "openstack_lbaas_enabled",
];

/// Variables kubespray 2.28 removed and refuses to run with, with what
/// replaced them: the asserts of `roles/validate_inventory/tasks/main.yml`
/// at v2.28.0 ("`etcd_kubeadm_enabled` is removed"). The API variables
/// (`loadbalancer_apiserver`, `apiserver_loadbalancer_domain_name`, ...)
/// are not in it: v2.28.0 and v2.29.0 still read them in
/// `roles/kubernetes/{client,control-plane,node}` and assert nothing about
/// them, so reporting them was a false alarm on a valid HA site.
pub const REMOVED_2_28: [(&str, &str); 1] =
    [("etcd_kubeadm_enabled", "etcd_deployment_type: kubeadm")];

/// kubespray's defaults when the subnets are not set.
const DEFAULT_SERVICE_SUBNET: &str = "10.233.0.0/18";
const DEFAULT_POD_SUBNET: &str = "10.233.64.0/18";

/// The kubespray family: what kubespray's own `validate_inventory` asserts
/// and stops on, caught before the run. Options the site's release does not
/// support (KM801 to KM805, KM810, also `etcd_deployment_type: docker` with
/// another container manager), booleans written as strings ([`BOOLEANS`],
/// KM806), variables 2.28 removed ([`REMOVED_2_28`], KM504) or that the
/// release ignores (KM505), and the pod and service subnets (KM807 to KM809).
/// A variable set once for many hosts is reported once, at the file and line
/// of its winning definition.
pub fn check(site: &Site) -> Vec<Finding> {
    let mut out = Vec::new();
    let Some(k) = site.inventory(InventoryKind::Kubespray) else {
        return out;
    };
    let version = site.kubespray_version();
    let mut once = Once::default();
    let choices: [(&str, &str, &[Choice]); 7] = [
        ("KM801", "kube_network_plugin", NETWORK_PLUGINS),
        ("KM802", "kube_proxy_mode", PROXY_MODES),
        ("KM803", "dns_mode", DNS_MODES),
        ("KM804", "container_manager", CONTAINER_MANAGERS),
        ("KM805", "etcd_deployment_type", ETCD_DEPLOYMENT_TYPES),
        ("KM810", "cert_management", CERT_MANAGEMENT),
        ("KM810", "resolvconf_mode", RESOLVCONF_MODES),
    ];
    for (host, vars) in &k.hosts {
        for (code, name, list) in choices {
            if let Some(var) = vars.get(name) {
                if once.first(&var.origin, name) {
                    choice(code, name, list, var, version, host, &mut out);
                }
            }
        }
        for name in BOOLEANS {
            let Some(var) = vars.get(name) else { continue };
            if matches!(var.value, Value::String(_))
                && !is_template(&var.value)
                && once.first(&var.origin, name)
            {
                let raw = scalar(&var.value).unwrap_or_default();
                out.push(at_var(
                    finding(
                        "KM806",
                        format!("{name} is the string \"{raw}\", not a boolean: kubespray stops (`Stop if known booleans are set as strings`); write {name}: {} unquoted in YAML (in an INI inventory: {name}=True)",
                            crate::site::truthy(&var.value)),
                    )
                    .host(host),
                    name,
                    var,
                ));
            }
        }
        if applies(site, "KM504") {
            for (name, instead) in REMOVED_2_28 {
                let Some(var) = vars.get(name) else { continue };
                if once.first(&var.origin, name) {
                    out.push(at_var(
                        finding(
                            "KM504",
                            format!("{name} was removed in kubespray 2.28 (the site runs {}): kubespray stops (validate_inventory: \"`{name}` is removed\"); use {instead}",
                                version.map(|v| v.to_string()).unwrap_or_default()),
                        )
                        .host(host),
                        name,
                        var,
                    ));
                }
            }
        }
        if applies(site, "KM505") {
            ignored(vars, version, host, &mut once, &mut out);
        }
    }
    etcd_with_container_manager(k, &mut once, &mut out);
    subnets(k, &mut out);
    out
}

/// One `Stop if unsupported options selected` assert.
fn choice(
    code: &str,
    name: &str,
    list: &[Choice],
    var: &Var,
    version: Option<Version>,
    host: &str,
    out: &mut Vec<Finding>,
) {
    if is_template(&var.value) {
        return;
    }
    let Some(value) = scalar(&var.value) else {
        return;
    };
    let value = value.trim();
    let accepted: Vec<&str> = list
        .iter()
        .filter(|(_, r)| version.is_none_or(|v| r.contains(v)))
        .map(|(n, _)| *n)
        .collect();
    if accepted.contains(&value) {
        return;
    }
    let elsewhere = list.iter().find(|(n, _)| *n == value);
    let msg = match (elsewhere, version) {
        (Some((_, r)), Some(v)) => format!(
            "{name} is `{value}`, which kubespray {v} does not support (only kubespray {r}): kubespray stops (`Stop if unsupported options selected`); choose one of {}",
            accepted.join(", ")
        ),
        _ => format!(
            "{name} is `{value}`, which kubespray does not support: it stops (`Stop if unsupported options selected`); choose one of {}",
            accepted.join(", ")
        ),
    };
    out.push(at_var(finding(code, msg).host(host), name, var));
}

/// Variables the site's kubespray release does not read (KM505): setting
/// them changes nothing, which is worse than an error.
fn ignored<'a>(
    vars: &'a kubemagic_inventory::Vars,
    version: Option<Version>,
    host: &str,
    once: &mut Once<'a>,
    out: &mut Vec<Finding>,
) {
    let Some(version) = version else { return };
    // Which registry variable the release reads: the one reading of
    // registries (kubemagic_site::read::registries) decides.
    let era = crate::read::registries::Era::of(version);
    let registries_var = era.mirrors_var();
    let mut report = |name: &'a str, var: &Var, instead: String, out: &mut Vec<Finding>| {
        if once.first(&var.origin, name) {
            out.push(at_var(
                finding(
                    "KM505",
                    format!(
                        "{name} is not read by kubespray {version}: it has no effect; {instead}"
                    ),
                )
                .host(host),
                name,
                var,
            ));
        }
    };
    for (name, var) in vars {
        let name = name.as_str();
        let registry_shape = match name {
            "containerd_config" => !era.reads(name) && var.value.get("registries").is_some(),
            "containerd_registries" | "containerd_registries_mirrors" => !era.reads(name),
            _ => false,
        };
        if matches!(
            name,
            "containerd_insecure_registries" | "containerd_use_config_path"
        ) && !era.reads(name)
        {
            let instead = if name == "containerd_use_config_path" && version >= v(27) {
                "since 2.27 kubespray always writes registries to hosts.toml files (config_path)"
                    .to_string()
            } else {
                format!("kubespray {version} reads registries from {registries_var}")
            };
            report(name, var, instead, out);
            continue;
        }
        if registry_shape {
            report(
                name,
                var,
                format!("kubespray {version} reads registries from {registries_var}"),
                out,
            );
            continue;
        }
        if version >= v(28)
            && (name.starts_with("rbd_provisioner_") || name.starts_with("cephfs_provisioner_"))
        {
            report(
                name,
                var,
                "kubespray 2.28 removed the external rbd/cephfs provisioners: deploy ceph-csi instead (`kubemagic ceph render --target ceph-csi`)".to_string(),
                out,
            );
        }
    }
}

/// `etcd_deployment_type: docker` needs Docker: kubespray stops otherwise
/// (`etcd_deployment_type in ['host', 'kubeadm'] or container_manager == 'docker'`).
fn etcd_with_container_manager<'a>(
    k: &'a SiteInventory,
    once: &mut Once<'a>,
    out: &mut Vec<Finding>,
) {
    for h in k.role_hosts(Role::Etcd) {
        let Some(var) = k.var(h, "etcd_deployment_type") else {
            continue;
        };
        if scalar(&var.value).as_deref().map(str::trim) != Some("docker") {
            continue;
        }
        let manager = k.var(h, "container_manager").and_then(|v| scalar(&v.value));
        // Unset: the default was docker in the releases that ran etcd in
        // docker by default; only an explicit other manager is certain.
        let Some(manager) = manager else { continue };
        if manager.trim() != "docker"
            && !manager.contains("{{")
            && once.first(&var.origin, "etcd+cm")
        {
            out.push(at_var(
                finding(
                    "KM805",
                    format!("etcd_deployment_type is docker but container_manager is {manager}: kubespray stops (`Stop if unsupported options selected`); use etcd_deployment_type: host"),
                )
                .host(h),
                "etcd_deployment_type",
                var,
            ));
        }
    }
}

fn subnet(
    k: &SiteInventory,
    host: &str,
    name: &str,
    default: &str,
) -> Option<(Option<Ipv4Net>, String, Option<Var>)> {
    let var = k.var(host, name);
    if var.is_some_and(|v| is_template(&v.value)) {
        return None;
    }
    let text = var
        .and_then(|v| scalar(&v.value))
        .unwrap_or_else(|| default.to_string());
    let net = match text.trim().parse::<IpNet>() {
        Ok(IpNet::V4(n)) => Some(n),
        _ => None,
    };
    Some((net, text, var.cloned()))
}

fn number(k: &SiteInventory, host: &str, name: &str) -> Option<(u32, Option<Var>)> {
    let var = k.var(host, name)?;
    let n = scalar(&var.value)?.trim().parse().ok()?;
    Some((n, Some(var.clone())))
}

/// The IPv4 subnet asserts: both ranges are networks, they do not overlap,
/// the pod range holds a node range per k8s_cluster host, and a node range
/// holds `kubelet_max_pods` addresses. Read on the first k8s_cluster host
/// (they are cluster-wide, `run_once` in kubespray).
fn subnets(k: &SiteInventory, out: &mut Vec<Finding>) {
    let mut cluster = k.role_hosts(Role::K8sCluster);
    if cluster.is_empty() {
        cluster = k.hosts.keys().map(String::as_str).collect();
    }
    let Some(&host) = cluster.first() else { return };
    // ipv4_stack false (IPv6-only): the IPv4 asserts do not run.
    if k.var(host, "ipv4_stack")
        .is_some_and(|v| !crate::site::truthy(&v.value))
    {
        return;
    }
    let (Some(svc), Some(pods)) = (
        subnet(k, host, "kube_service_addresses", DEFAULT_SERVICE_SUBNET),
        subnet(k, host, "kube_pods_subnet", DEFAULT_POD_SUBNET),
    ) else {
        return;
    };
    let push = |out: &mut Vec<Finding>, code: &str, name: &str, var: &Option<Var>, msg: String| {
        let f = finding(code, msg).variable(name);
        out.push(match var {
            Some(v) => at_var(f, name, v),
            None => f.at(Some(&kubemagic_core::Origin::new(k.path.clone(), None))),
        });
    };
    let mut ok = true;
    for (name, (net, text, var)) in [
        ("kube_service_addresses", &svc),
        ("kube_pods_subnet", &pods),
    ] {
        if net.is_none() {
            ok = false;
            push(out, "KM807", name, var, format!("{name} = '{text}' is not a valid IPv4 network range: kubespray stops (`Check that {name} is a network range`)"));
        }
    }
    if !ok {
        return;
    }
    let (Some(s), Some(p)) = (svc.0, pods.0) else {
        return;
    };
    if s.contains(&p.network()) || p.contains(&s.network()) {
        push(out, "KM807", "kube_pods_subnet", &pods.2, format!("kube_pods_subnet {p} overlaps kube_service_addresses {s}: kubespray stops (`kube_pods_subnet cannot be the same network segment as kube_service_addresses`); pick disjoint ranges"));
    }
    let plugin = k
        .var(host, "kube_network_plugin")
        .and_then(|v| scalar(&v.value))
        .unwrap_or_else(|| "calico".to_string());
    // Calico allocates blocks by itself: kubespray skips both asserts for it.
    if matches!(plugin.trim(), "calico" | "none") {
        return;
    }
    let (prefix, prefix_var) = number(k, host, "kube_network_node_prefix").unwrap_or((24, None));
    if prefix > 32 {
        return;
    }
    let nodes = cluster.len() as u64;
    if prefix >= p.prefix_len() as u32 {
        let ranges = 1u64 << (prefix - p.prefix_len() as u32).min(63);
        if ranges < nodes {
            push(out, "KM808", "kube_pods_subnet", &pods.2, format!("kube_pods_subnet {p} holds {ranges} node range(s) of /{prefix} (kube_network_node_prefix) but k8s_cluster has {nodes} hosts: kubespray stops (`Not enough ipv4 IPs are available for the desired node count`); widen the pod subnet or raise the prefix"));
        }
    } else {
        push(out, "KM808", "kube_network_node_prefix", &prefix_var, format!("kube_network_node_prefix /{prefix} is wider than kube_pods_subnet {p}: no node range fits"));
    }
    let (max_pods, max_var) = number(k, host, "kubelet_max_pods").unwrap_or((110, None));
    let room = (1u64 << (32 - prefix).min(63)).saturating_sub(2);
    if u64::from(max_pods) > room {
        let (name, var) = if max_var.is_some() {
            ("kubelet_max_pods", &max_var)
        } else {
            ("kube_network_node_prefix", &prefix_var)
        };
        push(out, "KM809", name, var, format!("kubelet_max_pods is {max_pods} but a /{prefix} node range holds {room} pod addresses: kubespray stops (`Do not schedule more pods on a node than inet addresses are available`); lower kubelet_max_pods or kube_network_node_prefix"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testutil::*;
    use crate::versions::Upstream;
    use serde_json::json;

    fn cluster(n: usize, version: Option<Version>) -> Site {
        let mut s = site();
        if let Some(v) = version {
            s.versions.set(Upstream::Kubespray, v);
        }
        for i in 0..n {
            s.inventory_mut(InventoryKind::Kubespray).add_host(
                &format!("n{i}"),
                &["etcd", "kube_control_plane", "k8s_cluster"],
            );
        }
        s
    }

    fn set_all(s: &mut Site, name: &str, value: Value, line: u32) {
        let hosts: Vec<String> = s
            .inventory(InventoryKind::Kubespray)
            .unwrap()
            .hosts
            .keys()
            .cloned()
            .collect();
        for h in hosts {
            set(
                s,
                InventoryKind::Kubespray,
                &h,
                name,
                value.clone(),
                "gv/k8s-cluster.yml",
                line,
            );
        }
    }

    #[test]
    fn weave_is_supported_by_2_16_but_not_by_2_28() {
        let mut s = cluster(3, Some(Version::new(2, 16, 0)));
        set_all(&mut s, "kube_network_plugin", json!("weave"), 4);
        assert!(check(&s).is_empty(), "{:?}", check(&s));
        s.versions.set(Upstream::Kubespray, Version::new(2, 28, 0));
        let f = check(&s);
        assert_eq!(codes(&f), vec!["KM801"]);
        assert!(f[0].message.contains("before 2.27"), "{}", f[0].message);
        assert_eq!(f[0].line, Some(4));
    }

    #[test]
    fn unknown_plugin_is_an_error_in_every_version_and_unknown_version() {
        for v in [
            None,
            Some(Version::new(2, 13, 2)),
            Some(Version::new(2, 26, 0)),
        ] {
            let mut s = cluster(3, v);
            set_all(&mut s, "kube_network_plugin", json!("calicoo"), 4);
            assert_eq!(codes(&check(&s)), vec!["KM801"], "{v:?}");
        }
    }

    #[test]
    fn nftables_needs_a_recent_kubespray() {
        let mut s = cluster(3, Some(Version::new(2, 26, 0)));
        set_all(&mut s, "kube_proxy_mode", json!("nftables"), 5);
        assert!(check(&s).is_empty());
        s.versions.set(Upstream::Kubespray, Version::new(2, 13, 2));
        assert_eq!(codes(&check(&s)), vec!["KM802"]);
    }

    #[test]
    fn boolean_as_string_is_an_error_and_real_boolean_passes() {
        let mut s = cluster(3, None);
        set_all(&mut s, "download_run_once", json!(true), 6);
        assert!(check(&s).is_empty());
        set_all(&mut s, "download_run_once", json!("true"), 6);
        assert_eq!(codes(&check(&s)), vec!["KM806"]);
    }

    #[test]
    fn overlapping_subnets_are_an_error() {
        let mut s = cluster(3, None);
        set_all(&mut s, "kube_pods_subnet", json!("10.233.0.0/16"), 7);
        assert_eq!(codes(&check(&s)), vec!["KM807"]);
        set_all(&mut s, "kube_pods_subnet", json!("not-a-net"), 7);
        assert_eq!(codes(&check(&s)), vec!["KM807"]);
    }

    #[test]
    fn too_many_nodes_for_the_pod_subnet_with_flannel() {
        let mut s = cluster(5, None);
        set_all(&mut s, "kube_network_plugin", json!("flannel"), 1);
        set_all(&mut s, "kube_pods_subnet", json!("10.234.0.0/22"), 2);
        // /22 into /24: 4 ranges for 5 nodes.
        assert_eq!(codes(&check(&s)), vec!["KM808"]);
        // Calico allocates by itself: no assert.
        set_all(&mut s, "kube_network_plugin", json!("calico"), 1);
        assert!(check(&s).is_empty());
    }

    #[test]
    fn max_pods_above_the_node_range() {
        let mut s = cluster(3, None);
        set_all(&mut s, "kube_network_plugin", json!("flannel"), 1);
        set_all(&mut s, "kube_network_node_prefix", json!(25), 2);
        assert!(check(&s).is_empty(), "110 <= 126");
        set_all(&mut s, "kubelet_max_pods", json!(200), 3);
        let f = check(&s);
        assert_eq!(codes(&f), vec!["KM809"]);
        assert_eq!(f[0].variable.as_deref(), Some("kubelet_max_pods"));
    }

    #[test]
    fn etcd_kubeadm_enabled_is_refused_from_2_28_and_loadbalancer_apiserver_is_not() {
        let mut s = cluster(3, Some(Version::new(2, 26, 0)));
        set_all(
            &mut s,
            "loadbalancer_apiserver",
            json!({"address": "10.0.0.1", "port": 6443}),
            3,
        );
        set_all(&mut s, "etcd_kubeadm_enabled", json!(true), 4);
        assert!(check(&s).is_empty());
        s.versions.set(Upstream::Kubespray, Version::new(2, 28, 0));
        let f = check(&s);
        assert_eq!(codes(&f), vec!["KM504"]);
        assert_eq!(f[0].variable.as_deref(), Some("etcd_kubeadm_enabled"));
        assert!(f[0].message.contains("etcd_deployment_type"));
    }

    #[test]
    fn registry_shape_of_another_release_is_ignored_by_this_one() {
        let regs = json!({"docker.io": "https://mirror.example"});
        let mut s = cluster(1, Some(Version::new(2, 16, 0)));
        set_all(&mut s, "containerd_registries", regs.clone(), 3);
        assert!(check(&s).is_empty());
        for (v, expect) in [
            (13, "containerd_config.registries"),
            (26, "containerd_registries_mirrors"),
        ] {
            s.versions.set(Upstream::Kubespray, Version::new(2, v, 0));
            let f = check(&s);
            assert_eq!(codes(&f), vec!["KM505"], "2.{v}");
            assert!(f[0].message.contains(expect), "{}", f[0].message);
        }
        // Unknown version: no guess.
        s.versions = Default::default();
        assert!(check(&s).is_empty());
    }

    #[test]
    fn rbd_provisioner_vars_are_ignored_from_2_28() {
        let mut s = cluster(1, Some(Version::new(2, 27, 0)));
        set_all(&mut s, "rbd_provisioner_enabled", json!(true), 3);
        assert!(check(&s).is_empty());
        s.versions.set(Upstream::Kubespray, Version::new(2, 28, 1));
        assert_eq!(codes(&check(&s)), vec!["KM505"]);
    }

    #[test]
    fn etcd_in_docker_needs_docker() {
        let mut s = cluster(3, None);
        set_all(&mut s, "etcd_deployment_type", json!("docker"), 3);
        set_all(&mut s, "container_manager", json!("docker"), 4);
        assert!(check(&s).is_empty());
        set_all(&mut s, "container_manager", json!("containerd"), 4);
        assert_eq!(codes(&check(&s)), vec!["KM805"]);
    }
}
