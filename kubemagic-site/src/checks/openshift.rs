//! OpenShift 3.11 (openshift-ansible): node groups, LDAP identity
//! providers, and variables removed since 3.10.

use super::common::{at_var, finding, scalar};
use crate::site::{truthy, InventoryKind, Site, SiteInventory};
use kubemagic_core::{Finding, Origin};
use kubemagic_inventory::{Value, Var};

/// Node groups openshift-ansible 3.11 defines when `openshift_node_groups`
/// is not set (roles/openshift_facts/defaults/main.yml).
pub const DEFAULT_NODE_GROUPS: &[&str] = &[
    "node-config-master",
    "node-config-infra",
    "node-config-compute",
    "node-config-master-infra",
    "node-config-all-in-one",
    "node-config-master-crio",
    "node-config-infra-crio",
    "node-config-compute-crio",
    "node-config-master-infra-crio",
    "node-config-all-in-one-crio",
];

/// Variables 3.10+ no longer reads, with what replaced them.
pub const REMOVED: &[(&str, &str)] = &[
    (
        "openshift_node_labels",
        "labels of a node group in openshift_node_groups, selected with openshift_node_group_name",
    ),
    (
        "openshift_node_kubelet_args",
        "kubeletArguments edits of a node group in openshift_node_groups",
    ),
    (
        "openshift_hosted_logging_deploy",
        "openshift_logging_install_logging",
    ),
    (
        "openshift_hosted_metrics_deploy",
        "openshift_metrics_install_metrics",
    ),
];

/// openshift-ansible 3.11's `REMOVED_VARIABLES`
/// (roles/lib_utils/action_plugins/sanity_checks.py), with what replaced
/// them. (Upstream's own test of this list compares tuples with variable
/// names and never fires, so 3.11 silently ignores these: kubemagic says so.)
pub const REMOVED_3_11: &[(&str, &str)] = &[
    ("openshift_metrics_image_prefix", "openshift_metrics_<component>_image"),
    ("openshift_metrics_image_version", "openshift_metrics_<component>_image"),
    ("openshift_grafana_proxy_image_prefix", "openshift_grafana_proxy_image"),
    ("openshift_grafana_proxy_image_version", "openshift_grafana_proxy_image"),
    ("openshift_logging_image_prefix", "openshift_logging_image"),
    ("openshift_logging_image_verion", "openshift_logging_image"),
    ("openshift_logging_curator_image_prefix", "openshift_logging_curator_image"),
    ("openshift_logging_curator_image_version", "openshift_logging_curator_image"),
    ("openshift_logging_elasticsearch_image_prefix", "openshift_logging_elasticsearch_image"),
    ("openshift_logging_elasticsearch_image_version", "openshift_logging_elasticsearch_image"),
    ("openshift_logging_elasticsearch_proxy_image_prefix", "openshift_logging_elasticsearch_proxy_image"),
    ("openshift_logging_elasticsearch_proxy_image_version", "openshift_logging_elasticsearch_proxy_image"),
    ("openshift_logging_fluentd_image_prefix", "openshift_logging_fluentd_image"),
    ("openshift_logging_fluentd_image_version", "openshift_logging_fluentd_image"),
    ("openshift_logging_kibana_image_prefix", "openshift_logging_kibana_image"),
    ("openshift_logging_kibana_image_version", "openshift_logging_kibana_image"),
    ("openshift_logging_kibana_proxy_image_prefix", "openshift_logging_kibana_proxy_image"),
    ("openshift_logging_kibana_proxy_image_version", "openshift_logging_kibana_proxy_image"),
    ("openshift_logging_mux_image_prefix", "openshift_logging_mux_image"),
    ("openshift_logging_mux_image_version", "openshift_logging_mux_image"),
    ("openshift_prometheus_image_prefix", "openshift_prometheus_image"),
    ("openshift_prometheus_image_version", "openshift_prometheus_image"),
    ("openshift_prometheus_proxy_image_prefix", "openshift_prometheus_proxy_image"),
    ("openshift_prometheus_proxy_image_version", "openshift_prometheus_proxy_image"),
    ("openshift_prometheus_altermanager_image_prefix", "openshift_prometheus_alertmanager_image"),
    ("openshift_prometheus_alertmanager_image_version", "openshift_prometheus_alertmanager_image"),
    ("openshift_prometheus_alertbuffer_image_prefix", "openshift_prometheus_alertbuffer_image"),
    ("openshift_prometheus_alertbuffer_image_version", "openshift_prometheus_alertbuffer_image"),
    ("openshift_prometheus_node_exporter_image_prefix", "openshift_prometheus_node_exporter_image"),
    ("openshift_prometheus_node_exporter_image_version", "openshift_prometheus_node_exporter_image"),
    ("openshift_descheduler_image_prefix", "openshift_descheduler_image"),
    ("openshift_descheduler_image_version", "openshift_descheduler_image"),
    ("openshift_docker_gc_version", "openshift_docker_gc_image"),
    ("openshift_web_console_prefix", "openshift_web_console_image"),
    ("openshift_web_console_version", "openshift_web_console_image"),
    ("openshift_web_console_image_name", "openshift_web_console_image"),
    ("openshift_storage_glusterfs_version", "openshift_storage_glusterfs_image"),
    ("openshift_storage_glusterfs_block_version", "openshift_storage_glusterfs_block_image"),
    ("openshift_storage_glusterfs_s3_version", "openshift_storage_glusterfs_s3_image"),
    ("openshift_storage_glusterfs_heketi_version", "openshift_storage_glusterfs_heketi_image"),
    ("openshift_storage_glusterfs_registry_version", "openshift_storage_glusterfs_registry_image"),
    ("openshift_storage_glusterfs_registry_block_version", "openshift_storage_glusterfs_registry_block_image"),
    ("openshift_storage_glusterfs_registry_s3_version", "openshift_storage_glusterfs_registry_s3_image"),
    ("openshift_storage_glusterfs_registry_heketi_version", "openshift_storage_glusterfs_registry_heketi_image"),
    ("openshift_cockpit_deployer_prefix", "openshift_cockpit_deployer_image"),
    ("openshift_cockpit_deployer_basename", "openshift_cockpit_deployer_image"),
    ("openshift_cockpit_deployer_version", "openshift_cockpit_deployer_image"),
    ("openshift_hostname", "nothing: removed in 3.10, the node name is the host's (see openshift_kubelet_name_override)"),
];

/// openshift-ansible's `NET_PLUGIN_LIST`: at most one may be true.
const NET_PLUGINS: [(&str, bool); 7] = [
    ("openshift_use_openshift_sdn", true),
    ("openshift_use_flannel", false),
    ("openshift_use_nuage", false),
    ("openshift_use_contiv", false),
    ("openshift_use_calico", false),
    ("openshift_use_kuryr", false),
    ("openshift_use_nsx", false),
];

/// openshift-ansible's list of the masters' identity providers: KM702 checks
/// the shape of its LDAP entries, KM703 that they can verify TLS.
pub const IDP: &str = "openshift_master_identity_providers";
/// The path of a CA certificate file for the LDAP identity providers: one of
/// the ways openshift-ansible takes the CA an LDAP provider verifies TLS
/// with ([`LDAP_CA`] is another, the provider's own `ca` the third).
pub const LDAP_CA_FILE: &str = "openshift_master_ldap_ca_file";
/// The CA certificate text itself, the other way openshift-ansible takes it.
pub const LDAP_CA: &str = "openshift_master_ldap_ca";

/// The OpenShift family (KM7xx), on the openshift-ansible inventory: every
/// node in a valid node group (KM701) and the node groups well defined
/// (KM705); LDAP identity providers well formed and able to verify TLS
/// (KM702, KM703); variables removed in 3.10 (KM704); and the sanity checks
/// openshift-ansible runs before anything else (KM706 to KM708).
pub fn check(site: &Site) -> Vec<Finding> {
    let mut out = Vec::new();
    let Some(inv) = site.inventory(InventoryKind::Openshift) else {
        return out;
    };
    node_groups(inv, &mut out);
    node_group_definitions(inv, &mut out);
    identity_providers(inv, &mut out);
    removed(inv, &mut out);
    sanity(inv, &mut out);
    out
}

/// node_group_checks.py: every group of `openshift_node_groups` has a
/// unique `name` and a list of `labels`, and some group carries the master
/// and the infra label.
fn node_group_definitions(inv: &SiteInventory, out: &mut Vec<Finding>) {
    let mut done = super::common::Once::default();
    for (h, vars) in &inv.hosts {
        let Some(var) = vars.get("openshift_node_groups") else {
            continue;
        };
        if !done.first(&var.origin, "openshift_node_groups")
            || super::common::is_template(&var.value)
        {
            continue;
        }
        let mut problems = Vec::new();
        match structured(&var.value) {
            Some(Value::Array(groups)) => {
                let mut names: Vec<String> = Vec::new();
                let mut labels: Vec<String> = Vec::new();
                for g in &groups {
                    match g.get("name").and_then(scalar) {
                        Some(n) if names.contains(&n) => {
                            problems.push(format!("group `{n}` is defined twice"))
                        }
                        Some(n) => names.push(n),
                        None => problems.push("a group has no `name`".into()),
                    }
                    match g.get("labels") {
                        Some(Value::Array(l)) => labels.extend(l.iter().filter_map(scalar)),
                        Some(_) => problems.push(format!(
                            "`labels` of group `{}` is not a list",
                            g.get("name").and_then(scalar).unwrap_or_default()
                        )),
                        None => problems.push(format!(
                            "group `{}` has no `labels`",
                            g.get("name").and_then(scalar).unwrap_or_default()
                        )),
                    }
                }
                if groups.is_empty() {
                    problems.push("no group is defined".into());
                }
                for l in [
                    "node-role.kubernetes.io/master=true",
                    "node-role.kubernetes.io/infra=true",
                ] {
                    if !groups.is_empty() && !labels.iter().any(|x| x == l) {
                        problems.push(format!("no group carries the {l} label"));
                    }
                }
            }
            _ => problems.push("it is not a list of node groups".into()),
        }
        if !problems.is_empty() {
            out.push(at_var(
                finding(
                    "KM705",
                    format!(
                        "openshift_node_groups: {}: the node group checks stop the install",
                        problems.join("; ")
                    ),
                )
                .host(h.clone()),
                "openshift_node_groups",
                var,
            ));
        }
    }
}

/// sanity_checks.py and openshift_sanitize_inventory: deployment type,
/// network plugins, the cluster hostname of a multi-master cluster.
fn sanity(inv: &SiteInventory, out: &mut Vec<Finding>) {
    let mut hosts: Vec<&str> = inv
        .group_hosts("OSEv3")
        .iter()
        .map(String::as_str)
        .collect();
    if hosts.is_empty() {
        hosts = inv.hosts.keys().map(String::as_str).collect();
    }
    let Some(&first) = hosts.first() else { return };
    let file_origin = Origin::new(inv.path.clone(), None);
    match inv.var(first, "openshift_deployment_type") {
        None => out.push(
            finding("KM707", "openshift_deployment_type is not set: openshift-ansible stops (`openshift_deployment_type must be defined and one of origin, openshift-enterprise`)")
                .variable("openshift_deployment_type")
                .at(Some(&file_origin)),
        ),
        Some(var) => {
            let t = scalar(&var.value).unwrap_or_default();
            if !super::common::is_template(&var.value) && !matches!(t.trim(), "origin" | "openshift-enterprise") {
                out.push(at_var(
                    finding("KM707", format!("openshift_deployment_type is `{t}`: openshift-ansible accepts only origin or openshift-enterprise")),
                    "openshift_deployment_type",
                    var,
                ));
            }
        }
    }
    let mut done = super::common::Once::default();
    for h in &hosts {
        let on: Vec<(&str, Option<&Var>)> = NET_PLUGINS
            .iter()
            .filter_map(|(name, default)| {
                let var = inv.var(h, name);
                let enabled = var.map(|v| truthy(&v.value)).unwrap_or(*default);
                enabled.then_some((*name, var))
            })
            .collect();
        if on.len() > 1 {
            let Some((name, Some(var))) = on.iter().rev().find(|(_, v)| v.is_some()).copied()
            else {
                continue;
            };
            if done.first(&var.origin, "net") {
                out.push(at_var(
                    finding(
                        "KM708",
                        format!(
                            "several network plugins are enabled ({}): openshift-ansible stops (`Only one of must be true`); enabling another plugin needs openshift_use_openshift_sdn=false",
                            on.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
                        ),
                    )
                    .host(h.to_string()),
                    name,
                    var,
                ));
            }
        }
    }
    let masters = inv.group_hosts("masters");
    if masters.len() > 1
        && inv
            .var(&masters[0], "openshift_master_cluster_hostname")
            .is_none()
    {
        out.push(
            finding(
                "KM706",
                format!(
                    "{} masters but no openshift_master_cluster_hostname: a multi-master cluster needs the load-balanced API name (openshift_sanitize_inventory stops the install)",
                    masters.len()
                ),
            )
            .group("masters")
            .variable("openshift_master_cluster_hostname")
            .at(Some(
                &inv.groups
                    .get("masters")
                    .and_then(|g| g.origin.clone())
                    .unwrap_or(file_origin),
            )),
        );
    }
}

fn host_origin(inv: &SiteInventory, h: &str) -> Origin {
    inv.host_origins
        .get(h)
        .cloned()
        .flatten()
        .unwrap_or_else(|| Origin::new(inv.path.clone(), None))
}

/// A value that an INI inventory may hold as a string: parse it as JSON,
/// else as the Python literal Ansible's own `ast.literal_eval` would read
/// (single quotes, `True`), when it is not typed already.
fn structured(v: &Value) -> Option<Value> {
    match kubemagic_inventory::value_str(v) {
        Some(s) => serde_json::from_str(s)
            .ok()
            .or_else(|| kubemagic_inventory::literal_eval(s).ok()),
        None => Some(v.clone()),
    }
}

fn node_groups(inv: &SiteInventory, out: &mut Vec<Finding>) {
    let nodes = inv.group_hosts("nodes");
    for h in nodes {
        let defined: Vec<String> = match inv
            .var(h, "openshift_node_groups")
            .and_then(|v| structured(&v.value))
        {
            Some(Value::Array(a)) => a
                .iter()
                .filter_map(|g| g.get("name").and_then(scalar))
                .collect(),
            _ => DEFAULT_NODE_GROUPS.iter().map(|s| s.to_string()).collect(),
        };
        match inv.var(h, "openshift_node_group_name") {
            None => out.push(
                finding("KM701", format!("node {h} has no openshift_node_group_name: since 3.10 every node gets its configuration from a node group"))
                    .host(h.clone())
                    .variable("openshift_node_group_name")
                    .at(Some(&host_origin(inv, h))),
            ),
            Some(var) => {
                let name = scalar(&var.value).unwrap_or_default();
                if !defined.contains(&name) {
                    out.push(at_var(
                        finding(
                            "KM701",
                            format!("node {h} uses node group `{name}`, which is not defined (known: {})", defined.join(", ")),
                        )
                        .host(h.clone()),
                        "openshift_node_group_name",
                        var,
                    ));
                }
            }
        }
    }
}

fn identity_providers(inv: &SiteInventory, out: &mut Vec<Finding>) {
    let mut done = super::common::Once::default();
    for (h, vars) in &inv.hosts {
        let Some(var) = vars.get(IDP) else { continue };
        if !done.first(&var.origin, IDP) {
            continue;
        }
        let Some(Value::Array(providers)) = structured(&var.value) else {
            out.push(at_var(
                finding(
                    "KM702",
                    format!("{IDP} is not a list of identity providers"),
                )
                .host(h.clone()),
                IDP,
                var,
            ));
            continue;
        };
        for p in &providers {
            ldap_provider(inv, h, var, p, out);
        }
    }
}

fn ldap_provider(inv: &SiteInventory, h: &str, var: &Var, p: &Value, out: &mut Vec<Finding>) {
    if p.get("kind").and_then(scalar).as_deref() != Some("LDAPPasswordIdentityProvider") {
        return;
    }
    let name = p
        .get("name")
        .and_then(scalar)
        .unwrap_or_else(|| "<unnamed>".into());
    let mut problems = Vec::new();
    if p.get("name")
        .and_then(scalar)
        .is_none_or(|n| n.trim().is_empty())
    {
        problems.push("no `name`".to_string());
    }
    let url = p.get("url").and_then(scalar).unwrap_or_default();
    let ldaps = url.starts_with("ldaps://");
    if !(url.starts_with("ldap://") || ldaps) {
        problems.push(if url.is_empty() {
            "no `url`".to_string()
        } else {
            format!("url `{url}` is not ldap:// or ldaps://")
        });
    }
    match p.get("attributes") {
        Some(Value::Object(a)) => {
            let non_empty = |k: &str| matches!(a.get(k), Some(Value::Array(l)) if !l.is_empty());
            if !non_empty("id") {
                problems.push(
                    "attributes.id is missing or empty (at least one id attribute, e.g. [dn])"
                        .into(),
                );
            }
            if !non_empty("preferredUsername") {
                problems
                    .push("attributes.preferredUsername is missing or empty (e.g. [uid])".into());
            }
        }
        _ => problems.push("no `attributes` mapping (id, email, name, preferredUsername)".into()),
    }
    // bindDN and bindPassword go together (their values are never printed).
    let has_dn = p
        .get("bindDN")
        .and_then(scalar)
        .is_some_and(|s| !s.is_empty());
    let has_pw = p.get("bindPassword").is_some_and(|v| !v.is_null());
    if has_dn != has_pw {
        problems.push("bindDN and bindPassword must be set together".into());
    }
    let insecure = p.get("insecure").is_some_and(truthy);
    if insecure && ldaps {
        problems.push("insecure: true cannot be used with an ldaps:// url".into());
    }
    if !problems.is_empty() {
        out.push(at_var(
            finding(
                "KM702",
                format!("LDAP identity provider `{name}`: {}", problems.join("; ")),
            )
            .host(h.to_string()),
            IDP,
            var,
        ));
    }
    if !insecure {
        let has_ca = p
            .get("ca")
            .and_then(scalar)
            .is_some_and(|s| !s.trim().is_empty())
            || [LDAP_CA_FILE, LDAP_CA].iter().any(|n| {
                inv.var(h, n)
                    .and_then(|v| scalar(&v.value))
                    .is_some_and(|s| !s.trim().is_empty())
            });
        if !has_ca {
            out.push(at_var(
                finding(
                    "KM703",
                    format!(
                        "LDAP identity provider `{name}` verifies TLS (insecure: false) but has no CA: set {LDAP_CA_FILE} or the provider's `ca`, otherwise the masters cannot reach LDAP and the control plane never comes up"
                    ),
                )
                .host(h.to_string()),
                IDP,
                var,
            ));
        }
    }
}

fn removed(inv: &SiteInventory, out: &mut Vec<Finding>) {
    let mut done = super::common::Once::default();
    for (h, vars) in &inv.hosts {
        for (name, instead, since) in REMOVED
            .iter()
            .map(|(n, i)| (n, i, "3.10"))
            .chain(REMOVED_3_11.iter().map(|(n, i)| (n, i, "3.11")))
        {
            let Some(var) = vars.get(*name) else { continue };
            if !done.first(&var.origin, name) {
                continue;
            }
            out.push(at_var(
                finding(
                    "KM704",
                    format!("{name} is ignored since OpenShift {since}: use {instead}"),
                )
                .host(h.clone()),
                name,
                var,
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_literal_strings_with_apostrophes_are_read_whole() {
        let v = structured(&serde_json::json!(
            "[{'name': 'ldap', 'bindDN': \"cn=O'Brien\", 'insecure': True}]"
        ));
        assert_eq!(
            v,
            Some(serde_json::json!([{"name": "ldap", "bindDN": "cn=O'Brien", "insecure": true}]))
        );
    }
    use crate::checks::testutil::*;
    use serde_json::json;

    fn okd() -> Site {
        let mut s = site();
        let o = s.inventory_mut(InventoryKind::Openshift);
        o.add_host("master1", &["masters", "etcd", "nodes", "OSEv3"]);
        o.add_host("node1", &["nodes", "OSEv3"]);
        set(
            &mut s,
            InventoryKind::Openshift,
            "master1",
            "openshift_node_group_name",
            json!("node-config-master-infra"),
            "os/hosts",
            10,
        );
        set(
            &mut s,
            InventoryKind::Openshift,
            "node1",
            "openshift_node_group_name",
            json!("node-config-compute"),
            "os/hosts",
            11,
        );
        for h in ["master1", "node1"] {
            set(
                &mut s,
                InventoryKind::Openshift,
                h,
                "openshift_deployment_type",
                json!("origin"),
                "os/hosts",
                20,
            );
        }
        s
    }

    fn set_all(s: &mut Site, name: &str, v: Value, line: u32) {
        for h in ["master1", "node1"] {
            set(
                s,
                InventoryKind::Openshift,
                h,
                name,
                v.clone(),
                "os/hosts",
                line,
            );
        }
    }

    #[test]
    fn deployment_type_missing_or_unknown_is_an_error() {
        let mut s = okd();
        set_all(&mut s, "openshift_deployment_type", json!("okd"), 20);
        assert_eq!(codes(&check(&s)), vec!["KM707"]);
        for h in ["master1", "node1"] {
            s.inventory_mut(InventoryKind::Openshift).hosts[h]
                .shift_remove("openshift_deployment_type");
        }
        assert_eq!(codes(&check(&s)), vec!["KM707"]);
    }

    #[test]
    fn two_network_plugins_are_an_error() {
        let mut s = okd();
        set_all(&mut s, "openshift_use_calico", json!(true), 21);
        assert_eq!(codes(&check(&s)), vec!["KM708"]);
        set_all(&mut s, "openshift_use_openshift_sdn", json!(false), 22);
        assert!(check(&s).is_empty());
    }

    #[test]
    fn node_group_definitions_need_names_list_labels_and_master_infra() {
        let mut s = okd();
        let good = json!([
            {"name": "node-config-master-infra", "labels": ["node-role.kubernetes.io/master=true", "node-role.kubernetes.io/infra=true"]},
            {"name": "node-config-compute", "labels": ["node-role.kubernetes.io/compute=true"]}
        ]);
        set_all(&mut s, "openshift_node_groups", good, 30);
        assert!(check(&s).is_empty(), "{:?}", check(&s));
        let dup = json!([
            {"name": "node-config-master-infra", "labels": "node-role.kubernetes.io/master=true"},
            {"name": "node-config-compute", "labels": []},
            {"name": "node-config-compute", "labels": []}
        ]);
        set_all(&mut s, "openshift_node_groups", dup, 30);
        let f = check(&s);
        assert_eq!(codes(&f), vec!["KM705"]);
        for part in ["defined twice", "not a list", "infra=true"] {
            assert!(f[0].message.contains(part), "{part}: {}", f[0].message);
        }
    }

    #[test]
    fn several_masters_need_a_cluster_hostname() {
        let mut s = okd();
        s.inventory_mut(InventoryKind::Openshift)
            .add_host("master2", &["masters", "etcd", "OSEv3"]);
        set(
            &mut s,
            InventoryKind::Openshift,
            "master2",
            "openshift_deployment_type",
            json!("origin"),
            "os/hosts",
            20,
        );
        let f = check(&s);
        assert!(codes(&f).contains(&"KM706"), "{f:?}");
        for h in ["master1", "master2"] {
            set(
                &mut s,
                InventoryKind::Openshift,
                h,
                "openshift_master_cluster_hostname",
                json!("api.example"),
                "os/hosts",
                25,
            );
        }
        assert!(!codes(&check(&s)).contains(&"KM706"));
    }

    fn ldap(extra: Value) -> Value {
        let mut p = json!({
            "name": "utgb_ldap", "challenge": "true", "login": "true", "kind": "LDAPPasswordIdentityProvider",
            "attributes": {"id": ["dn"], "email": ["mail"], "name": ["cn"], "preferredUsername": ["uid"]},
            "bindDN": "cn=openshift,ou=services,dc=utgb,dc=example", "bindPassword": "s3cr3t-bind",
            "insecure": "false", "url": "ldap://127.0.0.1:389/ou=users,dc=utgb,dc=example?uid"
        });
        if let (Value::Object(m), Value::Object(e)) = (&mut p, extra) {
            m.extend(e);
        }
        json!([p])
    }

    fn with_idp(p: Value, ca_file: bool) -> Site {
        let mut s = okd();
        for h in ["master1", "node1"] {
            set(
                &mut s,
                InventoryKind::Openshift,
                h,
                IDP,
                p.clone(),
                "os/hosts",
                5,
            );
            if ca_file {
                set(
                    &mut s,
                    InventoryKind::Openshift,
                    h,
                    LDAP_CA_FILE,
                    json!("/etc/pki/ldap-ca.crt"),
                    "os/hosts",
                    6,
                );
            }
        }
        s
    }

    #[test]
    fn nodes_with_default_node_groups_pass() {
        assert!(check(&okd()).is_empty());
    }

    #[test]
    fn node_without_or_with_unknown_node_group_is_an_error() {
        let mut s = okd();
        s.inventory_mut(InventoryKind::Openshift).hosts["node1"]
            .shift_remove("openshift_node_group_name");
        assert_eq!(codes(&check(&s)), vec!["KM701"]);
        let mut s = okd();
        set(
            &mut s,
            InventoryKind::Openshift,
            "node1",
            "openshift_node_group_name",
            json!("node-config-gpu"),
            "os/hosts",
            11,
        );
        assert_eq!(codes(&check(&s)), vec!["KM701"]);
        set(
            &mut s,
            InventoryKind::Openshift,
            "node1",
            "openshift_node_groups",
            json!([{"name": "node-config-gpu", "labels": ["node-role.kubernetes.io/master=true", "node-role.kubernetes.io/infra=true"]}]),
            "os/g.yml",
            1,
        );
        set(
            &mut s,
            InventoryKind::Openshift,
            "master1",
            "openshift_node_groups",
            json!([{"name": "node-config-master-infra", "labels": ["node-role.kubernetes.io/master=true", "node-role.kubernetes.io/infra=true"]}]),
            "os/g.yml",
            2,
        );
        assert!(check(&s).is_empty(), "{:?}", check(&s));
    }

    #[test]
    fn well_formed_ldap_with_ca_passes_and_never_shows_the_password() {
        assert!(check(&with_idp(ldap(json!({})), true)).is_empty());
        let f = crate::checks::run_all(&with_idp(ldap(json!({"url": "http://x"})), false));
        assert!(!f.is_empty());
        assert!(f.iter().all(|f| !f.message.contains("s3cr3t-bind")));
    }

    #[test]
    fn ldap_without_ca_is_an_error() {
        let f = check(&with_idp(ldap(json!({})), false));
        assert_eq!(codes(&f), vec!["KM703"]);
        assert!(check(&with_idp(ldap(json!({"ca": "ldap-ca.crt"})), false)).is_empty());
        assert!(check(&with_idp(ldap(json!({"insecure": "true"})), false)).is_empty());
    }

    #[test]
    fn malformed_ldap_is_an_error() {
        let f = check(&with_idp(
            ldap(json!({"url": "https://ldap", "attributes": {"id": []}})),
            true,
        ));
        assert_eq!(codes(&f), vec!["KM702"]);
        assert!(f[0].message.contains("url"));
        assert!(f[0].message.contains("attributes.id"));
        let f = check(&with_idp(
            ldap(json!({"url": "ldaps://ldap", "insecure": true})),
            true,
        ));
        assert_eq!(codes(&f), vec!["KM702"]);
    }

    #[test]
    fn ldap_given_as_an_ini_string_is_read() {
        let text = "[{'name': 'l', 'kind': 'LDAPPasswordIdentityProvider', 'attributes': {'id': ['dn'], 'preferredUsername': ['uid']}, 'insecure': 'false', 'url': 'ldap://127.0.0.1/dc=x?uid'}]";
        assert_eq!(codes(&check(&with_idp(json!(text), false))), vec!["KM703"]);
    }

    #[test]
    fn removed_variable_is_an_error() {
        let mut s = okd();
        set(
            &mut s,
            InventoryKind::Openshift,
            "node1",
            "openshift_node_labels",
            json!({"region": "infra"}),
            "os/hosts",
            11,
        );
        let f = check(&s);
        assert_eq!(codes(&f), vec!["KM704"]);
        assert_eq!(f[0].line, Some(11));
    }
}
