//! OpenShift 3.11 (openshift-ansible): node groups, LDAP identity
//! providers, and variables removed since 3.10.

use super::{at_var, finding, scalar};
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

pub const IDP: &str = "openshift_master_identity_providers";
pub const LDAP_CA_FILE: &str = "openshift_master_ldap_ca_file";
/// The CA certificate text itself, the other way openshift-ansible takes it.
pub const LDAP_CA: &str = "openshift_master_ldap_ca";

pub fn check(site: &Site) -> Vec<Finding> {
    let mut out = Vec::new();
    let Some(inv) = site.inventory(InventoryKind::Openshift) else {
        return out;
    };
    node_groups(inv, &mut out);
    identity_providers(inv, &mut out);
    removed(inv, &mut out);
    out
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
    let mut done = super::Once::default();
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
    let mut done = super::Once::default();
    for (h, vars) in &inv.hosts {
        for (name, instead) in REMOVED {
            let Some(var) = vars.get(*name) else { continue };
            if !done.first(&var.origin, name) {
                continue;
            }
            out.push(at_var(
                finding(
                    "KM704",
                    format!("{name} is ignored since OpenShift 3.10: use {instead}"),
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
        s
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
            json!([{"name": "node-config-gpu", "labels": []}]),
            "os/g.yml",
            1,
        );
        set(
            &mut s,
            InventoryKind::Openshift,
            "master1",
            "openshift_node_groups",
            json!([{"name": "node-config-master-infra"}]),
            "os/g.yml",
            1,
        );
        assert!(check(&s).is_empty());
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
