//! etcd: the quota that took the seed's cluster down, and membership.
//!
//! The seed set `etcd_quota_backend_bytes` to `20Mi` instead of `20Gi`, then
//! fixed `/etc/etcd.env` on two of three members: five days later the one
//! small member raised a NOSPACE alarm for the whole cluster.

use super::common::{at_var, finding, is_template, scalar};
use crate::site::{InventoryKind, Role, Site, SiteInventory};
use kubemagic_core::bytes::Notation;
use kubemagic_core::{ByteSize, Finding};
use kubemagic_inventory::Value;

/// The etcd backend quota, in bytes, as kubespray (and openshift-ansible
/// 3.11, into `etcd.conf`) passes it to `--quota-backend-bytes`: etcd reads a
/// plain number, so a unit (`20Gi`) stops it from starting (KM103).
pub const QUOTA: &str = "etcd_quota_backend_bytes";
/// The memory limit kubespray gives the etcd container. etcd maps its
/// database in memory, so a limit below the quota gets etcd killed before the
/// quota is reached (KM105); kubespray ignores it when etcd runs on the host.
pub const MEMORY_LIMIT: &str = "etcd_memory_limit";
/// Below this, a busy cluster fills etcd within days (the seed: 20 MiB).
pub const MIN_QUOTA: ByteSize = ByteSize::gib(1);
/// etcd's documented recommended maximum.
pub const MAX_QUOTA: ByteSize = ByteSize::gib(8);

/// The etcd family (KM1xx), on the kubespray and the openshift-ansible
/// inventories. The quota of every etcd member ([`QUOTA`]): a plain byte
/// count between [`MIN_QUOTA`] and [`MAX_QUOTA`], the same on every member,
/// within [`MEMORY_LIMIT`] when etcd runs in a container (KM101 to KM105).
/// The membership: an odd number of at least three members and a control
/// plane (KM111 to KM113), and on kubespray an etcd group wherever the
/// release requires one (KM114). On kubespray every spelling of the etcd and
/// control plane groups counts ([`Role::group_names`]).
pub fn check(site: &Site) -> Vec<Finding> {
    let mut out = Vec::new();
    if let Some(inv) = site.inventory(InventoryKind::Kubespray) {
        let in_container = etcd_in_container(site, inv);
        quota(inv, &inv.role_hosts(Role::Etcd), in_container, &mut out);
        etcd_group_required(site, inv, &mut out);
        membership(
            inv,
            Role::Etcd.group_names(),
            Role::ControlPlane.group_names(),
            &mut out,
        );
    }
    if let Some(inv) = site.inventory(InventoryKind::Openshift) {
        // openshift-ansible 3.11 writes etcd_quota_backend_bytes into
        // etcd.conf (ETCD_QUOTA_BACKEND_BYTES) too: the same mistakes apply.
        let hosts: Vec<&str> = inv.group_hosts("etcd").iter().map(String::as_str).collect();
        quota(inv, &hosts, Some(false), &mut out);
        membership(inv, &["etcd"], &["masters"], &mut out);
    }
    out
}

/// Whether kubespray runs etcd in a container, where `etcd_memory_limit`
/// applies: `etcd_deployment_type: docker`, or unset on a kubespray whose
/// default was docker (before 2.18). With `host` (or `kubeadm`) kubespray
/// ignores the limit. `None` when unset and the version is unknown.
fn etcd_in_container(site: &Site, inv: &SiteInventory) -> Option<bool> {
    let hosts = inv.role_hosts(Role::Etcd);
    match inv
        .first_var(&hosts, "etcd_deployment_type")
        .and_then(|(_, v)| scalar(&v.value))
    {
        Some(t) => Some(t.trim() == "docker"),
        None => site
            .kubespray_version()
            .map(|v| v < crate::versions::Version::new(2, 18, 0)),
    }
}

/// kubespray stops when the etcd group is empty: always in 2.13's
/// `0020-verify-settings.yml`, and since `validate_inventory` unless etcd
/// runs under kubeadm (`etcd_deployment_type: kubeadm`), where the control
/// plane hosts it.
fn etcd_group_required(site: &Site, inv: &SiteInventory, out: &mut Vec<Finding>) {
    if inv.hosts.is_empty() || !inv.role_hosts(Role::Etcd).is_empty() {
        return;
    }
    let hosts: Vec<&str> = inv.hosts.keys().map(String::as_str).collect();
    let kubeadm = inv
        .first_var(&hosts, "etcd_deployment_type")
        .and_then(|(_, v)| scalar(&v.value))
        .is_some_and(|t| t.trim() == "kubeadm");
    let old = site
        .kubespray_version()
        .is_some_and(|v| v < crate::versions::Version::new(2, 14, 0));
    if kubeadm && !old {
        return;
    }
    out.push(
        finding(
            "KM114",
            "the etcd group is empty or absent: kubespray stops (`Stop if etcd group is empty`) unless etcd_deployment_type is kubeadm; add the etcd members (usually the control plane hosts) to [etcd]",
        )
        .group("etcd")
        .at(Some(&kubemagic_core::Origin::new(inv.path.clone(), None))),
    );
}

/// How a quota value reads.
enum Quota {
    Bytes(ByteSize),
    /// Written with a unit, which etcd does not read.
    WithUnit(ByteSize),
    Invalid,
    Template,
}

fn read_quota(v: &Value) -> Quota {
    if is_template(v) {
        return Quota::Template;
    }
    match v {
        Value::Number(n) => match n.as_u64() {
            Some(b) => Quota::Bytes(ByteSize::b(b)),
            None => Quota::Invalid,
        },
        Value::String(s) => match ByteSize::parse_with_notation(s) {
            Ok((b, Notation::Plain)) => Quota::Bytes(b),
            Ok((b, Notation::WithUnit)) => Quota::WithUnit(b),
            Err(_) => Quota::Invalid,
        },
        _ => Quota::Invalid,
    }
}

/// Docker/kubespray memory notation: `512M` means MiB (units are binary).
fn read_memory(v: &Value) -> Option<ByteSize> {
    let s = scalar(v)?;
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: u64 = num.parse().ok()?;
    let mult = match unit
        .trim()
        .to_ascii_lowercase()
        .trim_end_matches('b')
        .trim_end_matches('i')
    {
        "" => 1,
        "k" => 1 << 10,
        "m" => 1 << 20,
        "g" => 1 << 30,
        "t" => 1 << 40,
        _ => return None,
    };
    n.checked_mul(mult).map(ByteSize::b)
}

fn quota(inv: &SiteInventory, hosts: &[&str], in_container: Option<bool>, out: &mut Vec<Finding>) {
    let hosts = hosts.to_vec();
    // Effective quota per host; the winning variable reported once per origin.
    let mut per_host: Vec<(&str, ByteSize, &kubemagic_inventory::Var)> = Vec::new();
    // Each (definition, code) is reported once, not once per inheriting host.
    let mut reported = super::common::Once::default();
    let mut once =
        |origin: &Option<kubemagic_core::Origin>, code: &'static str| reported.first(origin, code);
    for h in &hosts {
        let Some(var) = inv.var(h, QUOTA) else {
            continue;
        };
        let raw = scalar(&var.value).unwrap_or_else(|| var.value.to_string());
        let size = match read_quota(&var.value) {
            Quota::Template => continue,
            Quota::Invalid => {
                if once(&var.origin, "KM103") {
                    out.push(at_var(
                        finding("KM103", format!("{QUOTA} is `{raw}`, not a byte count: etcd refuses to start (`invalid value \"{raw}\" for flag -quota-backend-bytes`, kubespray issues 4917 and 6212); write a plain number of bytes")).host(*h),
                        QUOTA,
                        var,
                    ));
                }
                continue;
            }
            Quota::WithUnit(b) => {
                if once(&var.origin, "KM103") {
                    out.push(at_var(
                        finding(
                            "KM103",
                            format!(
                                "{QUOTA} is `{raw}`: etcd reads a plain byte count and refuses to start (`invalid value \"{raw}\" for flag -quota-backend-bytes`, kubespray issues 4917 and 6212); write {} ({b})",
                                b.as_u64()
                            ),
                        )
                        .host(*h),
                        QUOTA,
                        var,
                    ));
                }
                b
            }
            Quota::Bytes(b) => b,
        };
        if size < MIN_QUOTA && once(&var.origin, "KM101") {
            out.push(at_var(
                finding(
                    "KM101",
                    format!(
                        "{QUOTA} is {size}, below 1 GiB: a busy cluster fills it within days and every write then fails with `mvcc: database space exceeded` (the seed's 20 MiB quota took the cluster down); leave it unset or use up to 8 GiB"
                    ),
                )
                .host(*h),
                QUOTA,
                var,
            ));
        }
        if size > MAX_QUOTA && once(&var.origin, "KM102") {
            out.push(at_var(
                finding(
                    "KM102",
                    format!("{QUOTA} is {size}, above etcd's recommended maximum of 8 GiB"),
                )
                .host(*h),
                QUOTA,
                var,
            ));
        }
        if let Some(mem_var) = inv
            .var(h, MEMORY_LIMIT)
            .filter(|_| in_container == Some(true))
        {
            if let Some(mem) = read_memory(&mem_var.value) {
                if mem.as_u64() > 0 && mem < size && once(&mem_var.origin, "KM105") {
                    out.push(at_var(
                        finding(
                            "KM105",
                            format!("{MEMORY_LIMIT} is {mem}, below the {size} quota: etcd maps its database in memory and is killed before the quota is reached"),
                        )
                        .host(*h),
                        MEMORY_LIMIT,
                        mem_var,
                    ));
                }
            }
        }
        per_host.push((h, size, var));
    }
    // Different quotas: a host without the variable runs with kubespray's
    // default, which counts as one more value. Every host not on the most
    // common value is reported, at its winning variable.
    let mut eff: Vec<(&str, Option<ByteSize>)> =
        per_host.iter().map(|(h, s, _)| (*h, Some(*s))).collect();
    for h in &hosts {
        if inv.var(h, QUOTA).is_none() {
            eff.push((h, None));
        }
    }
    let mut counts: Vec<(Option<ByteSize>, usize)> = Vec::new();
    for (_, s) in &eff {
        match counts.iter_mut().find(|(c, _)| c == s) {
            Some(c) => c.1 += 1,
            None => counts.push((*s, 1)),
        }
    }
    if counts.len() > 1 {
        let common = counts
            .iter()
            .max_by_key(|(s, n)| (*n, *s))
            .and_then(|(s, _)| *s);
        let summary = counts
            .iter()
            .map(|(s, n)| match s {
                Some(s) => format!("{s} on {n}"),
                None => format!("the default on {n}"),
            })
            .collect::<Vec<_>>()
            .join(", ");
        let msg = format!("etcd members have different quotas ({summary}): when the smallest fills up, its NOSPACE alarm stops writes on the whole cluster");
        for (h, s) in &eff {
            if *s == common {
                continue;
            }
            let f = finding("KM104", msg.clone()).host(*h);
            out.push(match inv.var(h, QUOTA) {
                Some(var) => at_var(f, QUOTA, var),
                None => f
                    .variable(QUOTA)
                    .at(Some(&kubemagic_core::Origin::new(inv.path.clone(), None))),
            });
        }
    }
}

fn membership(
    inv: &SiteInventory,
    etcd_groups: &[&str],
    cp_groups: &[&str],
    out: &mut Vec<Finding>,
) {
    let mut etcd: Vec<&str> = Vec::new();
    for g in etcd_groups {
        for h in inv.group_hosts(g) {
            if !etcd.contains(&h.as_str()) {
                etcd.push(h);
            }
        }
    }
    // kubespray counts `groups.get('etcd', groups.kube_control_plane)`:
    // without an etcd group, the control plane is the etcd cluster.
    let fallback = etcd.is_empty() && !etcd_groups.iter().any(|g| inv.has_group(g));
    if fallback {
        for g in cp_groups {
            for h in inv.group_hosts(g) {
                if !etcd.contains(&h.as_str()) {
                    etcd.push(h);
                }
            }
        }
    }
    let cp_present = cp_groups.iter().any(|g| inv.has_group(g));
    let cp: usize = cp_groups.iter().map(|g| inv.group_hosts(g).len()).sum();
    let group_origin = |gs: &[&str]| {
        gs.iter()
            .find_map(|g| inv.groups.get(*g).and_then(|g| g.origin.clone()))
            .unwrap_or_else(|| kubemagic_core::Origin::new(inv.path.clone(), None))
    };
    let (etcd_groups, etcd_group) = if fallback {
        let g = cp_groups
            .iter()
            .copied()
            .find(|g| inv.has_group(g))
            .unwrap_or(cp_groups[0]);
        (cp_groups, g)
    } else {
        (etcd_groups, etcd_groups[0])
    };
    let cp_group = cp_groups
        .iter()
        .copied()
        .find(|g| inv.has_group(g))
        .unwrap_or(cp_groups[0]);
    if !etcd.is_empty() && etcd.len().is_multiple_of(2) {
        out.push(
            finding(
                "KM111",
                format!(
                    "{} etcd members ({}): an even count tolerates no more failures than one member less, and a split can leave no majority",
                    etcd.len(),
                    etcd.join(", ")
                ),
            )
            .group(etcd_group)
            .at(Some(&group_origin(etcd_groups))),
        );
    }
    if !etcd.is_empty() && etcd.len() < 3 {
        out.push(
            finding(
                "KM112",
                format!(
                    "{} etcd member(s): at least 3 are needed to survive the loss of one",
                    etcd.len()
                ),
            )
            .group(etcd_group)
            .at(Some(&group_origin(etcd_groups))),
        );
    }
    if cp == 0 && (cp_present || !inv.hosts.is_empty()) {
        out.push(
            finding(
                "KM113",
                format!(
                    "no host in the control plane group ({})",
                    cp_groups.join(" / ")
                ),
            )
            .group(cp_group)
            .at(Some(&group_origin(cp_groups))),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testutil::*;
    use kubemagic_core::bytes::GIB;
    use serde_json::json;

    fn cluster(n: usize) -> Site {
        let mut s = site();
        let k = s.inventory_mut(InventoryKind::Kubespray);
        for i in 1..=n {
            k.add_host(
                &format!("master{i}"),
                &["etcd", "kube_control_plane", "k8s_cluster"],
            );
        }
        s
    }

    fn with_quota(n: usize, q: Value) -> Site {
        let mut s = cluster(n);
        for i in 1..=n {
            set(
                &mut s,
                InventoryKind::Kubespray,
                &format!("master{i}"),
                QUOTA,
                q.clone(),
                "gv/etcd.yml",
                3,
            );
        }
        s
    }

    #[test]
    fn seed_quota_of_20mi_is_two_errors_at_the_variable() {
        let f = check(&with_quota(3, json!("20Mi")));
        assert_eq!(codes(&f), vec!["KM103", "KM101"]);
        assert_eq!(
            f[0].file.as_deref(),
            Some(std::path::Path::new("gv/etcd.yml"))
        );
        assert_eq!(f[0].line, Some(3));
    }

    #[test]
    fn plain_small_quota_is_an_error() {
        assert_eq!(
            codes(&check(&with_quota(3, json!(20971520)))),
            vec!["KM101"]
        );
        assert_eq!(
            codes(&check(&with_quota(3, json!("20971520")))),
            vec!["KM101"]
        );
    }

    #[test]
    fn eight_gib_or_unset_is_fine() {
        assert!(check(&with_quota(3, json!(8u64 * GIB))).is_empty());
        assert!(check(&cluster(3)).is_empty());
    }

    #[test]
    fn quota_above_8gib_is_a_warning() {
        assert_eq!(
            codes(&check(&with_quota(3, json!(16u64 * GIB)))),
            vec!["KM102"]
        );
    }

    #[test]
    fn garbage_quota_is_an_error() {
        assert_eq!(codes(&check(&with_quota(3, json!("lots")))), vec!["KM103"]);
    }

    #[test]
    fn template_quota_is_skipped() {
        assert!(check(&with_quota(3, json!("{{ etcd_quota }}"))).is_empty());
    }

    #[test]
    fn different_quotas_point_at_the_odd_member() {
        let mut s = with_quota(3, json!(4u64 * GIB));
        set(
            &mut s,
            InventoryKind::Kubespray,
            "master3",
            QUOTA,
            json!(2u64 * GIB),
            "host_vars/master3.yml",
            1,
        );
        let f = check(&s);
        assert_eq!(codes(&f), vec!["KM104"]);
        assert_eq!(f[0].host.as_deref(), Some("master3"));
        assert_eq!(f[0].line, Some(1));
    }

    #[test]
    fn quota_set_on_some_members_only_is_an_error() {
        let mut s = cluster(3);
        set(
            &mut s,
            InventoryKind::Kubespray,
            "master1",
            QUOTA,
            json!(4u64 * GIB),
            "host_vars/master1.yml",
            1,
        );
        // The default on two members is the common value: the odd one is master1.
        let f = check(&s);
        assert_eq!(codes(&f), vec!["KM104"]);
        assert_eq!(f[0].host.as_deref(), Some("master1"));
    }

    #[test]
    fn memory_limit_below_quota_is_a_warning() {
        let mut s = with_quota(3, json!(4u64 * GIB));
        for i in 1..=3 {
            set(
                &mut s,
                InventoryKind::Kubespray,
                &format!("master{i}"),
                MEMORY_LIMIT,
                json!("2048M"),
                "gv/etcd.yml",
                4,
            );
        }
        // With the version unknown and no etcd_deployment_type, kubemagic
        // does not know whether the limit applies: no guess.
        assert!(check(&s).is_empty());
        // kubespray 2.16 runs etcd in docker by default: it applies.
        s.versions.set(
            crate::versions::Upstream::Kubespray,
            crate::versions::Version::new(2, 16, 0),
        );
        assert_eq!(codes(&check(&s)), vec!["KM105"]);
        // etcd_deployment_type: host: kubespray ignores etcd_memory_limit.
        for i in 1..=3 {
            set(
                &mut s,
                InventoryKind::Kubespray,
                &format!("master{i}"),
                "etcd_deployment_type",
                json!("host"),
                "gv/etcd.yml",
                5,
            );
        }
        assert!(check(&s).is_empty());
        s.versions.set(
            crate::versions::Upstream::Kubespray,
            crate::versions::Version::new(2, 26, 0),
        );
        for i in 1..=3 {
            set(
                &mut s,
                InventoryKind::Kubespray,
                &format!("master{i}"),
                "etcd_deployment_type",
                json!("docker"),
                "gv/etcd.yml",
                5,
            );
        }
        assert_eq!(codes(&check(&s)), vec!["KM105"]);
        let mut ok = with_quota(3, json!(4u64 * GIB));
        set(
            &mut ok,
            InventoryKind::Kubespray,
            "master1",
            MEMORY_LIMIT,
            json!("8G"),
            "gv/etcd.yml",
            4,
        );
        assert!(check(&ok).is_empty());
    }

    #[test]
    fn even_etcd_count_is_an_error_and_small_is_a_warning() {
        assert_eq!(codes(&check(&cluster(2))), vec!["KM111", "KM112"]);
        assert_eq!(codes(&check(&cluster(4))), vec!["KM111"]);
        assert_eq!(codes(&check(&cluster(1))), vec!["KM112"]);
        assert!(check(&cluster(5)).is_empty());
    }

    #[test]
    fn old_group_names_are_the_same_roles() {
        let mut s = site();
        let k = s.inventory_mut(InventoryKind::Kubespray);
        for i in 1..=3 {
            k.add_host(&format!("m{i}"), &["etcd", "kube-master", "k8s-cluster"]);
        }
        assert!(check(&s).is_empty());
    }

    #[test]
    fn empty_control_plane_is_an_error() {
        let mut s = site();
        let k = s.inventory_mut(InventoryKind::Kubespray);
        for i in 1..=3 {
            k.add_host(&format!("e{i}"), &["etcd"]);
        }
        assert_eq!(codes(&check(&s)), vec!["KM113"]);
    }
}
