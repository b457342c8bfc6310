//! The model from the site's one reading: who the lb hosts are, their
//! priorities and peers, the VIP and ports, the backends. No judgement
//! here: what is wrong is `validate`'s.

use crate::model::{Backend, LbHost, LbModel, DEFAULT_ROUTER_ID, PRIORITY_STEP, TOP_PRIORITY};
use kubemagic_site::read::api::{self, ApiEndpoint, KUBESPRAY_DEFAULT_API_PORT};
use kubemagic_site::read::lb::{self, ControlPlane, LbHostSpec, LbSpec, Secret, Vip};
use kubemagic_site::read::Sourced;
use kubemagic_site::site::Site;

/// What the model was derived from, kept for validation (origins, the
/// variables that set each value).
#[derive(Debug)]
pub(crate) struct Facts<'a> {
    /// The lb group and its variable names.
    pub spec: LbSpec<'a>,
    /// Each lb host as the site describes it, in the model's order.
    pub hosts: Vec<LbHostSpec>,
    /// The control plane, when the site has a kubespray or OpenShift inventory.
    pub control_plane: Option<ControlPlane<'a>>,
    /// The VIP and the variable that gave it.
    pub vip: Option<Vip>,
    /// The frontend port and the variable that gave it.
    pub frontend: Sourced<u16>,
    /// The port kube-apiserver listens on.
    pub listen: u16,
    /// `keepalived_auth_password` as the inventory gives it.
    pub auth: Secret,
}

/// Distinct VRRP priorities: explicit ones kept, the others 150, 140, ...
/// in inventory order, never equal to an explicit one.
pub(crate) fn priorities(explicit: &[Option<u8>]) -> Vec<u8> {
    let mut next = TOP_PRIORITY;
    let mut out = Vec::with_capacity(explicit.len());
    for e in explicit {
        out.push(match e {
            Some(p) => *p,
            None => {
                while explicit.contains(&Some(next)) && next > PRIORITY_STEP {
                    next -= 1;
                }
                let p = next;
                next = next.saturating_sub(PRIORITY_STEP).max(1);
                p
            }
        });
    }
    out
}

fn lb_hosts(specs: &[LbHostSpec]) -> Vec<LbHost> {
    let explicit: Vec<Option<u8>> = specs.iter().map(|h| h.priority).collect();
    let prio = priorities(&explicit);
    let top = prio.iter().copied().max();
    // The first host holding the top priority is the MASTER.
    let master = prio.iter().position(|p| Some(*p) == top);
    specs
        .iter()
        .enumerate()
        .map(|(i, h)| LbHost {
            name: h.name.clone(),
            address: h.address,
            interface: h.interface.as_ref().map(|s| s.value.clone()),
            priority: prio[i],
            state: if master == Some(i) {
                "MASTER"
            } else {
                "BACKUP"
            }
            .into(),
            peers: specs
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .filter_map(|(_, p)| p.address)
                .collect(),
        })
        .collect()
}

fn ports(api: Option<&ApiEndpoint>) -> (Sourced<u16>, u16) {
    match api {
        Some(e) => (e.client_port.clone(), e.listen_port.value),
        None => (
            Sourced::default_of(KUBESPRAY_DEFAULT_API_PORT, "kube_apiserver_port"),
            KUBESPRAY_DEFAULT_API_PORT,
        ),
    }
}

/// The model of `site` (no findings yet) and the facts it came from.
pub(crate) fn derive(site: &Site) -> (LbModel, Facts<'_>) {
    let spec = lb::spec(site);
    let api = api::endpoint(site);
    let control_plane = lb::control_plane(site);
    let (frontend, listen) = ports(api.as_ref());
    let vip = spec.vip(api.as_ref());
    let host_specs = spec.host_specs(site);
    let settings = spec.settings();
    let backends = control_plane
        .iter()
        .flat_map(|cp| cp.hosts.iter())
        .map(|(name, address)| Backend {
            name: name.to_string(),
            address: *address,
            port: listen,
        })
        .collect();
    let auth_password = match &settings.auth {
        Secret::Value(s) => Some(s.value.clone()),
        _ => None,
    };
    let model = LbModel {
        site: site.name(),
        inventory: spec.inventory.map(|c| c.path.clone()),
        vip: vip.as_ref().map(|v| v.ip.value),
        vip_prefix: vip.as_ref().and_then(|v| v.prefix),
        vip_variable: vip.as_ref().map(|v| v.ip.variable.clone()),
        port: frontend.value,
        port_variable: frontend.variable.clone(),
        bind_vip: settings.bind_vip,
        router_id: settings.router_id.unwrap_or(DEFAULT_ROUTER_ID),
        advert_int: settings.advert_int.unwrap_or(1),
        stats_port: settings.stats_port,
        authentication: auth_password.is_some(),
        auth_password,
        hosts: lb_hosts(&host_specs),
        backends,
        findings: Vec::new(),
    };
    let facts = Facts {
        spec,
        hosts: host_specs,
        control_plane,
        vip,
        frontend,
        listen,
        auth: settings.auth,
    };
    (model, facts)
}
