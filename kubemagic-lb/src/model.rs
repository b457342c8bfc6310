//! The load balancer as the site describes it, and what is wrong with it.
//!
//! [`crate::build`] is a pure function of the site in two steps with one job
//! each: `derive` turns the site's one reading of the lb group
//! (`kubemagic_site::read::lb`) into the model (hosts, priorities, VIP,
//! ports, backends), and `validate` finds what would make the
//! rendered configuration wrong or unsafe: [`Finding`]s with stable codes
//! (docs/checks.md) pointing at the variable to fix.

use kubemagic_core::Finding;
use serde::Serialize;
use std::net::IpAddr;

pub use kubemagic_site::read::lb::{
    ADVERT_INT_VAR, AUTH_VAR, BIND_VIP_VAR, INTERFACE_VAR, LB_GROUP, PRIORITY_VAR, ROUTER_ID_VAR,
    STATS_PORT_VAR, VIP_VAR,
};

/// Keepalived's usual default router id.
pub const DEFAULT_ROUTER_ID: u8 = 51;
/// The first lb host's priority; the next ones go down by [`PRIORITY_STEP`].
pub const TOP_PRIORITY: u8 = 150;
/// The gap between two automatic priorities.
pub const PRIORITY_STEP: u8 = 10;

/// One machine of the `lb` group.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LbHost {
    /// Inventory name.
    pub name: String,
    /// Its address (the site's node-address precedence), source of VRRP
    /// unicast adverts; `None` when the inventory gives none.
    pub address: Option<IpAddr>,
    /// `keepalived_interface`; `None` means "the interface holding
    /// `address`", resolved on the host by the Ansible role.
    pub interface: Option<String>,
    /// VRRP priority, distinct per host.
    pub priority: u8,
    /// `MASTER` for the highest priority, `BACKUP` for the others.
    pub state: String,
    /// The other lb hosts' addresses (VRRP unicast peers).
    pub peers: Vec<IpAddr>,
}

/// One API server behind HAProxy.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Backend {
    /// Inventory name of the control-plane host.
    pub name: String,
    /// Its address; `None` (a finding) leaves it out of haproxy.cfg.
    pub address: Option<IpAddr>,
    /// The port kube-apiserver listens on.
    pub port: u16,
}

/// The whole load balancer of a site. Serialises as `kubemagic lb render
/// --output json` prints it; the authentication password is never part of it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LbModel {
    /// The site's name.
    pub site: String,
    /// Where the lb group comes from (`custom/hosts`), when it exists.
    pub inventory: Option<std::path::PathBuf>,
    /// The virtual address clients use; `None` until the site names one.
    pub vip: Option<IpAddr>,
    /// The VIP's prefix length, when written as `ADDR/PREFIX`.
    pub vip_prefix: Option<u8>,
    /// The variable the VIP comes from.
    pub vip_variable: Option<String>,
    /// The frontend port (what clients connect to).
    pub port: u16,
    /// The variable the frontend port comes from.
    pub port_variable: String,
    /// Bind on VIP:port instead of *:port.
    pub bind_vip: bool,
    /// VRRP virtual router id.
    pub router_id: u8,
    /// VRRP advertisement interval, seconds.
    pub advert_int: u32,
    /// Loopback statistics listener port, if any.
    pub stats_port: Option<u16>,
    /// Whether VRRP authentication is configured (the password itself is
    /// deliberately absent from this model's serialisation).
    pub authentication: bool,
    #[serde(skip)]
    pub(crate) auth_password: Option<String>,
    /// The lb hosts, in inventory order.
    pub hosts: Vec<LbHost>,
    /// Every control-plane host, in inventory order.
    pub backends: Vec<Backend>,
    /// What is wrong, sorted by file and line.
    pub findings: Vec<Finding>,
}

/// The finding codes that mean a rendered file would be unsafe (a value
/// kubemagic cannot resolve, a control character that would inject lines):
/// with one of them nothing is rendered at all.
pub const UNSAFE_TO_RENDER: [&str; 2] = ["KM330", "KM339"];

impl LbModel {
    /// The lb host named `name`.
    pub fn host(&self, name: &str) -> Option<&LbHost> {
        self.hosts.iter().find(|h| h.name == name)
    }
    /// True when a finding is an error: the rendered files should not be deployed.
    pub fn has_errors(&self) -> bool {
        kubemagic_core::finding::has_errors(&self.findings)
    }
    /// True when rendering would write an unsafe file ([`UNSAFE_TO_RENDER`]):
    /// the renderers then return nothing.
    pub fn unsafe_to_render(&self) -> bool {
        self.findings
            .iter()
            .any(|f| UNSAFE_TO_RENDER.contains(&f.code.as_str()))
    }
    /// The secrets the model holds (the VRRP password): a report writer
    /// masks them wherever they would be printed.
    pub fn secrets(&self) -> Vec<String> {
        self.auth_password.iter().cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::build;
    use kubemagic_core::{Origin, Severity};
    use kubemagic_site::site::{InventoryKind, Site};
    use serde_json::json;

    fn o(file: &str, line: u32) -> Option<Origin> {
        Some(Origin::new(file, Some(line)))
    }

    /// Two lb hosts, three control-plane hosts, a VIP in the lb subnet:
    /// the clean case every test breaks in one place.
    fn clean() -> Site {
        let mut s = Site::new("/site");
        let c = s.inventory_mut(InventoryKind::Custom);
        for (h, a) in [("lb1", "10.0.0.5"), ("lb2", "10.0.0.6")] {
            c.add_host(h, &[LB_GROUP]);
            c.set_var(h, "ansible_host", json!(a), o("custom/hosts", 2));
            c.set_var(
                h,
                VIP_VAR,
                json!("10.0.0.10/24"),
                o("custom/group_vars/lb.yml", 1),
            );
        }
        let k = s.inventory_mut(InventoryKind::Kubespray);
        for (i, h) in ["m1", "m2", "m3"].iter().enumerate() {
            k.add_host(h, &["kube_control_plane", "etcd"]);
            k.set_var(
                h,
                "ip",
                json!(format!("10.0.0.{}", 11 + i)),
                o("k/hosts.yml", 3),
            );
        }
        s
    }

    fn codes(m: &LbModel) -> Vec<&str> {
        m.findings.iter().map(|f| f.code.as_str()).collect()
    }

    #[test]
    fn a_clean_site_gives_no_finding_and_the_whole_model() {
        let m = build(&clean());
        assert!(m.findings.is_empty(), "{:?}", m.findings);
        assert_eq!(m.vip, Some("10.0.0.10".parse().unwrap()));
        assert_eq!(m.vip_prefix, Some(24));
        assert_eq!(m.port, 6443);
        let names: Vec<_> = m.backends.iter().map(|b| b.name.as_str()).collect();
        assert_eq!(names, ["m1", "m2", "m3"]);
        assert_eq!(m.hosts[0].state, "MASTER");
        assert_eq!(m.hosts[1].state, "BACKUP");
        assert!(m.hosts[0].priority > m.hosts[1].priority);
        assert_eq!(
            m.hosts[0].peers,
            vec!["10.0.0.6".parse::<IpAddr>().unwrap()]
        );
    }

    #[test]
    fn the_vip_falls_back_to_kubesprays_loadbalancer_address_and_port() {
        let mut s = clean();
        for h in ["lb1", "lb2"] {
            s.inventory_mut(InventoryKind::Custom).hosts[h].shift_remove(VIP_VAR);
        }
        for h in ["m1", "m2", "m3"] {
            s.inventory_mut(InventoryKind::Kubespray).set_var(
                h,
                "loadbalancer_apiserver",
                json!({"address": "10.0.0.20", "port": 8443}),
                o("k/group_vars/all/all.yml", 7),
            );
        }
        let m = build(&s);
        assert!(m.findings.is_empty(), "{:?}", m.findings);
        assert_eq!(m.vip, Some("10.0.0.20".parse().unwrap()));
        assert_eq!(
            m.vip_variable.as_deref(),
            Some("loadbalancer_apiserver.address")
        );
        assert_eq!((m.port, m.backends[0].port), (8443, 6443));
    }

    #[test]
    fn openshift_uses_its_public_hostname_only_when_it_is_an_ip() {
        let mut s = Site::new("/site");
        let c = s.inventory_mut(InventoryKind::Custom);
        for (h, a) in [("lb1", "10.0.0.5"), ("lb2", "10.0.0.6")] {
            c.add_host(h, &[LB_GROUP]);
            c.set_var(h, "ansible_host", json!(a), None);
        }
        let os = s.inventory_mut(InventoryKind::Openshift);
        os.add_host("m1", &["masters"]);
        os.set_var("m1", "ansible_host", json!("10.0.0.11"), None);
        os.set_var(
            "m1",
            "openshift_master_cluster_public_hostname",
            json!("api.example.com"),
            o("oa/hosts", 9),
        );
        let m = build(&s);
        assert_eq!(codes(&m), ["KM335"]);
        assert_eq!(m.port, 8443);
        s.inventory_mut(InventoryKind::Openshift).set_var(
            "m1",
            "openshift_master_cluster_public_hostname",
            json!("10.0.0.30"),
            o("oa/hosts", 9),
        );
        let m = build(&s);
        assert!(m.findings.is_empty(), "{:?}", m.findings);
        assert_eq!(m.vip, Some("10.0.0.30".parse().unwrap()));
    }

    #[test]
    fn no_vip_anywhere_asks_for_one() {
        let mut s = clean();
        for h in ["lb1", "lb2"] {
            s.inventory_mut(InventoryKind::Custom).hosts[h].shift_remove(VIP_VAR);
        }
        let m = build(&s);
        assert_eq!(codes(&m), ["KM335"]);
        assert!(m.findings[0].message.contains(VIP_VAR));
    }

    #[test]
    fn a_vip_outside_every_lb_subnet_is_a_warning() {
        let mut s = clean();
        for h in ["lb1", "lb2"] {
            s.inventory_mut(InventoryKind::Custom).set_var(
                h,
                VIP_VAR,
                json!("10.9.0.10/24"),
                o("custom/group_vars/lb.yml", 1),
            );
        }
        let m = build(&s);
        assert_eq!(codes(&m), ["KM331"]);
        assert_eq!(m.findings[0].severity, Severity::Warning);
        assert_eq!(m.findings[0].line, Some(1));
    }

    #[test]
    fn a_vip_equal_to_a_host_address_is_an_error() {
        let mut s = clean();
        for h in ["lb1", "lb2"] {
            s.inventory_mut(InventoryKind::Custom).set_var(
                h,
                VIP_VAR,
                json!("10.0.0.12"),
                o("custom/group_vars/lb.yml", 1),
            );
        }
        let m = build(&s);
        assert_eq!(codes(&m), ["KM332"]);
        assert_eq!(m.findings[0].host.as_deref(), Some("m2"));
    }

    #[test]
    fn fewer_than_two_lb_hosts_is_an_error() {
        let mut s = clean();
        let c = s.inventory_mut(InventoryKind::Custom);
        c.groups[LB_GROUP].hosts.retain(|h| h == "lb1");
        let m = build(&s);
        assert_eq!(codes(&m), ["KM321"]);
        assert_eq!(m.hosts.len(), 1);
        assert!(m.hosts[0].peers.is_empty());
    }

    #[test]
    fn a_control_plane_host_without_address_is_an_error_and_no_backend_line() {
        let mut s = clean();
        s.inventory_mut(InventoryKind::Kubespray).hosts["m3"].shift_remove("ip");
        let m = build(&s);
        assert_eq!(codes(&m), ["KM333"]);
        assert_eq!(m.findings[0].host.as_deref(), Some("m3"));
        let cfg = crate::render::haproxy_cfg(&m, &m.hosts[0]);
        assert!(!cfg.contains("server m3"), "{cfg}");
    }

    #[test]
    fn an_lb_host_that_is_also_control_plane_clashes_on_the_api_port() {
        let mut s = clean();
        s.inventory_mut(InventoryKind::Kubespray)
            .add_host("lb1", &["kube_control_plane"])
            .set_var("lb1", "ip", json!("10.0.0.5"), None);
        let m = build(&s);
        assert_eq!(codes(&m), ["KM334"]);
        assert_eq!(m.findings[0].host.as_deref(), Some("lb1"));
        // Another frontend port resolves it.
        for h in ["m1", "m2", "m3", "lb1"] {
            s.inventory_mut(InventoryKind::Kubespray).set_var(
                h,
                "loadbalancer_apiserver",
                json!({"address": "10.0.0.10", "port": 8443}),
                None,
            );
        }
        assert!(build(&s).findings.is_empty());
    }

    #[test]
    fn an_lb_host_without_address_is_an_error() {
        let mut s = clean();
        s.inventory_mut(InventoryKind::Custom).hosts["lb2"].shift_remove("ansible_host");
        let m = build(&s);
        assert_eq!(codes(&m), ["KM336"]);
    }

    #[test]
    fn no_control_plane_is_an_error() {
        let mut s = clean();
        s.inventories.retain(|i| i.kind != InventoryKind::Kubespray);
        assert_eq!(codes(&build(&s)), ["KM337"]);
    }

    #[test]
    fn priorities_follow_inventory_order_unless_set_and_stay_distinct() {
        let mut s = clean();
        let c = s.inventory_mut(InventoryKind::Custom);
        c.add_host("lb3", &[LB_GROUP])
            .set_var("lb3", "ansible_host", json!("10.0.0.7"), None);
        c.set_var("lb3", PRIORITY_VAR, json!(200), None);
        c.set_var("lb2", PRIORITY_VAR, json!(150), None);
        let m = build(&s);
        let p: Vec<u8> = m.hosts.iter().map(|h| h.priority).collect();
        assert_eq!(p[1..], [150, 200]);
        assert!(p[0] != 150 && p[0] != 200, "{p:?}");
        let states: Vec<&str> = m.hosts.iter().map(|h| h.state.as_str()).collect();
        assert_eq!(states, ["BACKUP", "BACKUP", "MASTER"]);
    }

    #[test]
    fn an_auth_password_longer_than_vrrp_carries_is_a_warning_without_its_value() {
        let mut s = clean();
        for h in ["lb1", "lb2"] {
            s.inventory_mut(InventoryKind::Custom).set_var(
                h,
                AUTH_VAR,
                json!("longer-than-8"),
                o("custom/group_vars/lb.yml", 4),
            );
        }
        let m = build(&s);
        assert_eq!(codes(&m), ["KM338"]);
        assert!(!m.findings[0].message.contains("longer-than-8"));
    }

    #[test]
    fn the_auth_password_is_rendered_but_never_serialised() {
        let mut s = clean();
        for h in ["lb1", "lb2"] {
            s.inventory_mut(InventoryKind::Custom)
                .set_var(h, AUTH_VAR, json!("s3cr3tpw"), None);
        }
        let m = build(&s);
        assert!(m.findings.is_empty(), "{:?}", m.findings);
        assert!(m.authentication);
        let json = serde_json::to_string(&m).unwrap();
        assert!(!json.contains("s3cr3tpw"));
        let r = crate::render::render_all(&m);
        assert!(r[0].keepalived_conf.contains("auth_pass s3cr3tpw"));
        assert!(!r[0].haproxy_cfg.contains("s3cr3tpw"));
    }

    #[test]
    fn an_lb_variable_kubemagic_cannot_read_is_an_error_not_a_silent_default() {
        let mut s = clean();
        let vault = json!({"__ansible_vault": "$ANSIBLE_VAULT;1.1;AES256\n3132\n"});
        for h in ["lb1", "lb2"] {
            let c = s.inventory_mut(InventoryKind::Custom);
            c.set_var(h, VIP_VAR, vault.clone(), o("custom/group_vars/lb.yml", 1));
            c.set_var(
                h,
                INTERFACE_VAR,
                json!(["eth0"]),
                o("custom/group_vars/lb.yml", 2),
            );
        }
        let m = build(&s);
        assert_eq!(codes(&m), ["KM335", "KM339", "KM339"], "{:?}", m.findings);
        assert!(m.unsafe_to_render());
        assert!(crate::render::render_all(&m).is_empty());
        // A templated interface is the role's placeholder, as documented.
        let mut s = clean();
        for h in ["lb1", "lb2"] {
            s.inventory_mut(InventoryKind::Custom).set_var(
                h,
                INTERFACE_VAR,
                json!("{{ ansible_default_ipv4.interface }}"),
                None,
            );
        }
        let m = build(&s);
        assert!(m.findings.is_empty(), "{:?}", m.findings);
        assert_eq!(m.hosts[0].interface, None);
    }

    #[test]
    fn km321_is_one_finding_for_check_and_lb_render() {
        let mut s = clean();
        let c = s.inventory_mut(InventoryKind::Custom);
        c.groups[LB_GROUP].hosts.retain(|h| h == "lb1");
        let from_lb: Vec<_> = build(&s)
            .findings
            .into_iter()
            .filter(|f| f.code == "KM321")
            .collect();
        let from_check: Vec<_> = kubemagic_site::checks::run_all(&s)
            .into_iter()
            .filter(|f| f.code == "KM321")
            .collect();
        assert_eq!(from_lb.len(), 1);
        assert_eq!(from_lb, from_check);
    }
}
