//! The external load balancer in front of the API as the site describes
//! it ([`LbSpec`]): the `lb` group of `custom/hosts`, its virtual address,
//! the control-plane hosts it forwards to, its Keepalived/HAProxy settings
//! and the variable names kubemagic.yml's `lb:` gives a site's own role.
//! `kubemagic check` (KM321–KM324) and `kubemagic lb` (KM330–KM339) both
//! start from this one reading.

use super::address::{node_address, site_node_address};
use super::api::{is_template_text, parse_ip, ApiEndpoint};
use super::sourced::Sourced;
use crate::site::{truthy, InventoryKind, Role, Site, SiteInventory};
use crate::values::scalar;
use kubemagic_core::{Finding, Origin, Severity};
use kubemagic_inventory::{Value, Var};
use std::net::IpAddr;

/// The group of `custom/hosts` whose hosts run HAProxy and Keepalived.
pub const LB_GROUP: &str = "lb";
/// The virtual address (optionally `ADDR/PREFIX`), set on the lb hosts.
pub const VIP_VAR: &str = "keepalived_vip";
/// kubemagic's role variable listing HAProxy's API server backends (only a
/// site's hand-written list: `kubemagic lb` derives them).
pub const BACKENDS_VAR: &str = "haproxy_apiserver_backends";
/// Keepalived's `virtual_router_id` (1-255): unique per L2 segment.
pub const ROUTER_ID_VAR: &str = "keepalived_router_id";
/// The interface the VIP goes on (per host, or for the whole group).
pub const INTERFACE_VAR: &str = "keepalived_interface";
/// A host's VRRP priority (1-254), overriding the inventory order.
pub const PRIORITY_VAR: &str = "keepalived_priority";
/// VRRP's advertisement interval in seconds: failover after about 3 of them.
pub const ADVERT_INT_VAR: &str = "keepalived_advert_int";
/// VRRP PASS authentication; a secret, only ever written to keepalived.conf.
pub const AUTH_VAR: &str = "keepalived_auth_password";
/// Port of HAProxy's statistics page, on loopback only; none when unset.
pub const STATS_PORT_VAR: &str = "haproxy_stats_port";
/// Bind the frontend on VIP:port instead of `*:port`.
pub const BIND_VIP_VAR: &str = "haproxy_bind_vip";

/// The virtual address clients use, with the variable that gave it.
#[derive(Debug, Clone, PartialEq)]
pub struct Vip {
    /// The address and where it was set.
    pub ip: Sourced<IpAddr>,
    /// The prefix length, when written as `ADDR/PREFIX`.
    pub prefix: Option<u8>,
}

/// The control-plane hosts (the balancer's backends) and the inventory
/// describing them: kubespray's control-plane groups (every spelling), else
/// OpenShift's `masters`.
#[derive(Debug, Clone, PartialEq)]
pub struct ControlPlane<'a> {
    /// kubespray's or openshift-ansible's inventory.
    pub inventory: &'a SiteInventory,
    /// Each host with its address (`None`: the inventory gives none), in
    /// inventory order.
    pub hosts: Vec<(&'a str, Option<IpAddr>)>,
}

impl<'a> ControlPlane<'a> {
    /// Where a host is declared, else the inventory file.
    pub fn host_origin(&self, host: &str) -> Origin {
        self.inventory
            .host_origins
            .get(host)
            .cloned()
            .flatten()
            .unwrap_or_else(|| Origin::new(self.inventory.path.clone(), None))
    }
}

/// The site's control plane, `None` without a kubespray or OpenShift
/// inventory.
pub fn control_plane(site: &Site) -> Option<ControlPlane<'_>> {
    let (inv, names): (&SiteInventory, Vec<&str>) = match site.inventory(InventoryKind::Kubespray) {
        Some(k) => (k, k.role_hosts(Role::ControlPlane)),
        None => {
            let o = site.inventory(InventoryKind::Openshift)?;
            let m = o.group_hosts("masters").iter().map(String::as_str);
            (o, m.collect())
        }
    };
    Some(ControlPlane {
        inventory: inv,
        hosts: names
            .into_iter()
            .map(|h| (h, node_address(inv, h)))
            .collect(),
    })
}

/// A secret as the inventory gives it.
#[derive(Debug, Clone, PartialEq)]
pub enum Secret {
    /// Not set, null or empty: no authentication.
    Unset,
    /// A plain value (a string, number or boolean, as Ansible renders it).
    Value(Sourced<String>),
    /// Set to something kubemagic cannot turn into the text Ansible would
    /// use: a `!vault` value (it holds no vault password), a Jinja
    /// template (it evaluates none), a list or a mapping.
    Unresolvable {
        /// The variable and where it is set.
        at: Sourced<()>,
        /// What it is, for the finding.
        what: &'static str,
    },
}

impl Secret {
    /// Reads `var` (named `name`) as one text value, the way Ansible would
    /// write it into a file; what kubemagic cannot turn into that text is
    /// [`Secret::Unresolvable`].
    pub fn read(name: &str, var: Option<&Var>) -> Secret {
        Secret::read_value(name, var, true)
    }

    /// [`Secret::read`]; `templates`: whether a Jinja template counts as
    /// unresolvable (for the interface it does not: the role resolves the
    /// placeholder standing for it on the host).
    fn read_value(name: &str, var: Option<&Var>, templates: bool) -> Secret {
        let Some(var) = var else {
            return Secret::Unset;
        };
        let at = || Sourced::new((), name, var.origin.clone());
        let unresolvable = |what| Secret::Unresolvable { at: at(), what };
        match &var.value {
            Value::Null => Secret::Unset,
            Value::Object(m) if m.contains_key("__ansible_vault") => {
                unresolvable("a !vault value (kubemagic holds no vault password)")
            }
            Value::Array(_) => unresolvable("a list"),
            v => match scalar(v) {
                Some(s) if s.is_empty() => Secret::Unset,
                Some(s) if templates && is_template_text(&s) => {
                    unresolvable("a Jinja template (kubemagic evaluates none)")
                }
                Some(s) => Secret::Value(Sourced::new(s, name, var.origin.clone())),
                None => unresolvable("a mapping"),
            },
        }
    }
}

/// One machine of the `lb` group, as the site describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct LbHostSpec {
    /// Inventory name.
    pub name: String,
    /// Where it is declared in `custom/hosts`.
    pub origin: Option<Origin>,
    /// Its address in the first inventory giving one.
    pub address: Option<IpAddr>,
    /// `keepalived_interface` (untemplated, non-empty), with its origin.
    pub interface: Option<Sourced<String>>,
    /// `keepalived_priority`, when a number in 1-254.
    pub priority: Option<u8>,
}

/// The Keepalived/HAProxy settings of the group (kubemagic's role
/// variables; defaults are the renderer's).
#[derive(Debug, Clone, PartialEq)]
pub struct LbSettings {
    /// `keepalived_router_id`, when a number in 1-255.
    pub router_id: Option<u8>,
    /// `keepalived_advert_int`, when a number >= 1.
    pub advert_int: Option<u32>,
    /// `haproxy_stats_port`.
    pub stats_port: Option<u16>,
    /// `haproxy_bind_vip`.
    pub bind_vip: bool,
    /// `keepalived_auth_password`.
    pub auth: Secret,
}

/// The load balancer as the site describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct LbSpec<'a> {
    /// `custom/hosts`, when the site has one.
    pub inventory: Option<&'a SiteInventory>,
    /// Whether `custom/hosts` declares the `lb` group (possibly empty).
    pub declared: bool,
    /// Where the group is declared, else `custom/hosts`.
    pub origin: Option<Origin>,
    /// The lb hosts, in inventory order.
    pub hosts: Vec<&'a str>,
    /// The variable holding the VIP: kubemagic.yml's `lb.vip_var`, else
    /// kubemagic's [`VIP_VAR`] when the site uses kubemagic's role, else
    /// `None` (a role of the site's own, variables unknown).
    pub vip_var: Option<String>,
    /// The variable listing the backends, chosen as [`LbSpec::vip_var`].
    pub backends_var: Option<String>,
}

/// Reads the `lb` group of the site and the names of its variables.
pub fn spec(site: &Site) -> LbSpec<'_> {
    let custom = site.inventory(InventoryKind::Custom);
    let group = custom.and_then(|c| c.groups.get(LB_GROUP));
    let hosts: Vec<&str> = group
        .map(|g| g.hosts.iter().map(String::as_str).collect())
        .unwrap_or_default();
    let origin = custom.map(|c| {
        group
            .and_then(|g| g.origin.clone())
            .unwrap_or_else(|| Origin::new(c.path.clone(), None))
    });
    // Which variables hold the VIP and the backends: those named in
    // kubemagic.yml's `lb:`, else kubemagic's own role variables when the
    // site uses that role (its variables are set, or the site has no
    // prep-hosts playbook of its own, so kubemagic.core.prep_hosts runs),
    // else unknown: a site's own role may call them anything.
    let configured = site.config.lb.clone().unwrap_or_default();
    let uses_own_role = !site.own_prep_hosts
        || [VIP_VAR, BACKENDS_VAR]
            .iter()
            .any(|v| custom.and_then(|c| c.first_var(&hosts, v)).is_some());
    let (vip_var, backends_var) =
        if configured.vip_var.is_some() || configured.backends_var.is_some() {
            (configured.vip_var, configured.backends_var)
        } else if uses_own_role {
            (Some(VIP_VAR.to_string()), Some(BACKENDS_VAR.to_string()))
        } else {
            (None, None)
        };
    LbSpec {
        inventory: custom,
        declared: group.is_some(),
        origin,
        hosts,
        vip_var,
        backends_var,
    }
}

impl<'a> LbSpec<'a> {
    /// `name` on the first lb host that has it (group_vars/lb reaches all).
    pub fn var(&self, name: &str) -> Option<&'a Var> {
        self.inventory
            .and_then(|c| c.first_var(&self.hosts, name))
            .map(|(_, v)| v)
    }

    /// `name` of one lb host.
    pub fn host_var(&self, host: &str, name: &str) -> Option<&'a Var> {
        self.inventory.and_then(|c| c.var(host, name))
    }

    /// KM321, the one place it is decided: Keepalived needs two hosts to
    /// move the address. `None` with two or more.
    pub fn too_few_hosts(&self) -> Option<Finding> {
        (self.hosts.len() < 2).then(|| {
            Finding::new(
                "KM321",
                Severity::Error,
                format!(
                    "the lb group has {} host(s): Keepalived needs at least two to fail the API address over",
                    self.hosts.len()
                ),
            )
            .group(LB_GROUP)
            .at(self.origin.as_ref())
        })
    }

    /// The virtual address kubemagic's role serves: [`VIP_VAR`] of the lb
    /// hosts, else the orchestrator's literal API address.
    pub fn vip(&self, api: Option<&ApiEndpoint>) -> Option<Vip> {
        let own = self.var(VIP_VAR).and_then(|v| {
            let (ip, prefix) = scalar(&v.value).and_then(|s| parse_ip(&s))?;
            Some(Vip {
                ip: Sourced::new(ip, VIP_VAR, v.origin.clone()),
                prefix,
            })
        });
        own.or_else(|| {
            Some(Vip {
                ip: api?.ip()?,
                prefix: None,
            })
        })
    }

    /// Each lb host: address (any inventory of the site), interface, priority.
    pub fn host_specs(&self, site: &Site) -> Vec<LbHostSpec> {
        self.hosts
            .iter()
            .map(|h| LbHostSpec {
                name: h.to_string(),
                origin: self
                    .inventory
                    .and_then(|c| c.host_origins.get(*h).cloned().flatten()),
                address: site_node_address(site, h),
                interface: self.host_var(h, INTERFACE_VAR).and_then(|v| {
                    let s = scalar(&v.value).filter(|s| !s.trim().is_empty())?;
                    (!is_template_text(&s))
                        .then(|| Sourced::new(s, INTERFACE_VAR, v.origin.clone()))
                }),
                priority: self
                    .host_var(h, PRIORITY_VAR)
                    .and_then(|v| scalar(&v.value))
                    .and_then(|s| s.trim().parse::<u8>().ok())
                    .filter(|p| (1..=254).contains(p)),
            })
            .collect()
    }

    /// Every lb variable (but the password, [`LbSettings::auth`]) set to
    /// something kubemagic cannot read as the text it renders (a `!vault`
    /// value, a list, a mapping, or, but for the interface, a template):
    /// reading it as unset would silently render a default instead (the
    /// kubespray VIP, router id 51, the interface placeholder). Each
    /// definition once, with the host when it is one host's.
    pub fn unresolvable(&self) -> Vec<(Option<String>, Sourced<()>, &'static str)> {
        let mut out = Vec::new();
        let mut seen: Vec<(String, Option<Origin>)> = Vec::new();
        let mut push = |host: Option<&str>, name: &str, var: Option<&Var>, templates: bool| {
            if let Secret::Unresolvable { at, what } = Secret::read_value(name, var, templates) {
                let key = (name.to_string(), at.origin.clone());
                if at.origin.is_none() || !seen.contains(&key) {
                    seen.push(key);
                    out.push((host.map(str::to_string), at, what));
                }
            }
        };
        for name in [
            VIP_VAR,
            ROUTER_ID_VAR,
            ADVERT_INT_VAR,
            STATS_PORT_VAR,
            BIND_VIP_VAR,
        ] {
            push(None, name, self.var(name), true);
        }
        for h in &self.hosts {
            push(Some(h), PRIORITY_VAR, self.host_var(h, PRIORITY_VAR), true);
            push(
                Some(h),
                INTERFACE_VAR,
                self.host_var(h, INTERFACE_VAR),
                false,
            );
        }
        out
    }

    /// The group's Keepalived/HAProxy settings.
    pub fn settings(&self) -> LbSettings {
        let num = |name: &str| {
            self.var(name)
                .and_then(|v| scalar(&v.value))
                .and_then(|s| s.trim().parse::<u32>().ok())
        };
        LbSettings {
            router_id: num(ROUTER_ID_VAR)
                .and_then(|n| u8::try_from(n).ok())
                .filter(|n| *n >= 1),
            advert_int: num(ADVERT_INT_VAR).filter(|n| *n >= 1),
            stats_port: num(STATS_PORT_VAR).and_then(|n| u16::try_from(n).ok()),
            bind_vip: self.var(BIND_VIP_VAR).is_some_and(|v| truthy(&v.value)),
            auth: Secret::read(AUTH_VAR, self.var(AUTH_VAR)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn lb_site() -> Site {
        let mut s = Site::new("/site");
        let c = s.inventory_mut(InventoryKind::Custom);
        c.add_host("lb1", &[LB_GROUP]);
        s
    }

    #[test]
    fn km321_is_decided_once_for_check_and_lb() {
        let mut s = lb_site();
        assert_eq!(spec(&s).too_few_hosts().unwrap().code, "KM321");
        s.inventory_mut(InventoryKind::Custom)
            .add_host("lb2", &[LB_GROUP]);
        assert!(spec(&s).too_few_hosts().is_none());
    }

    #[test]
    fn a_secret_kubemagic_cannot_resolve_is_named_not_dropped() {
        let read = |v: serde_json::Value| {
            let var = Var {
                value: v,
                origin: Some(Origin::new("custom/group_vars/lb.yml", Some(3))),
            };
            Secret::read(AUTH_VAR, Some(&var))
        };
        for v in [
            json!({"__ansible_vault": "$ANSIBLE_VAULT;1.1;AES256\n3132\n"}),
            json!(["a", "b"]),
            json!({"a": 1}),
            json!("{{ vault_pw }}"),
        ] {
            match read(v.clone()) {
                Secret::Unresolvable { at, .. } => {
                    assert_eq!(at.origin.unwrap().line, Some(3), "{v}")
                }
                other => panic!("{v}: {other:?}"),
            }
        }
        assert_eq!(read(json!(null)), Secret::Unset);
        assert_eq!(read(json!("")), Secret::Unset);
        assert!(matches!(read(json!(12345678)), Secret::Value(s) if s.value == "12345678"));
        assert!(
            matches!(read(json!({"__ansible_unsafe": "pw"})), Secret::Value(s) if s.value == "pw")
        );
    }
}
