//! What is wrong with a derived model: every finding of `kubemagic lb`,
//! one function per concern, each pointing at the variable to fix.

use crate::derive::Facts;
use crate::model::{LbModel, AUTH_VAR, INTERFACE_VAR, LB_GROUP, VIP_VAR};
use ipnet::IpNet;
use kubemagic_core::{Finding, Origin, Severity};
use kubemagic_site::read::address::{site_node_address, NODE_ADDRESS_VARS};
use kubemagic_site::read::lb::Secret;
use kubemagic_site::site::Site;
use std::net::IpAddr;

fn finding(code: &str, severity: Severity, message: String) -> Finding {
    Finding::new(code, severity, message)
}

/// Every finding of the model.
pub(crate) fn validate(site: &Site, model: &LbModel, facts: &Facts) -> Vec<Finding> {
    let mut out = Vec::new();
    no_vip(facts, &mut out);
    out.extend(facts.spec.too_few_hosts());
    lb_hosts_without_address(facts, &mut out);
    backends(facts, &mut out);
    vip_placement(site, model, facts, &mut out);
    port_clash(model, facts, &mut out);
    auth(facts, &mut out);
    unresolvable(facts, &mut out);
    control_characters(site, model, facts, &mut out);
    out
}

/// KM335: no virtual address anywhere.
fn no_vip(facts: &Facts, out: &mut Vec<Finding>) {
    if facts.vip.is_none() {
        out.push(
            finding(
                "KM335",
                Severity::Error,
                format!(
                    "no virtual address for the API load balancer: set {VIP_VAR} for the lb group (or kubespray's loadbalancer_apiserver.address; an OpenShift openshift_master_cluster_public_hostname that is an IP)"
                ),
            )
            .group(LB_GROUP)
            .variable(VIP_VAR)
            .at(facts.spec.origin.as_ref()),
        );
    }
}

/// KM336: an lb host its VRRP peers cannot reach.
fn lb_hosts_without_address(facts: &Facts, out: &mut Vec<Finding>) {
    for h in facts.hosts.iter().filter(|h| h.address.is_none()) {
        out.push(
            finding(
                "KM336",
                Severity::Error,
                format!(
                    "lb host {} has no address ({}): its VRRP peers cannot reach it",
                    h.name,
                    NODE_ADDRESS_VARS.join(", ")
                ),
            )
            .host(h.name.clone())
            .group(LB_GROUP)
            .at(h.origin.as_ref().or(facts.spec.origin.as_ref())),
        );
    }
}

/// KM337 (no API server to forward to) and KM333 (one without address).
fn backends(facts: &Facts, out: &mut Vec<Finding>) {
    let Some(cp) = &facts.control_plane else {
        out.push(
            finding(
                "KM337",
                Severity::Error,
                "the site has no kubespray or openshift-ansible inventory: HAProxy would have no API server to forward to".into(),
            )
            .group(LB_GROUP)
            .at(facts.spec.origin.as_ref()),
        );
        return;
    };
    if cp.hosts.is_empty() {
        out.push(
            finding(
                "KM337",
                Severity::Error,
                format!(
                    "{} has no control-plane host: HAProxy would have no API server to forward to",
                    cp.inventory.path.display()
                ),
            )
            .at(Some(&Origin::new(cp.inventory.path.clone(), None))),
        );
    }
    for (h, _) in cp.hosts.iter().filter(|(_, a)| a.is_none()) {
        out.push(
            finding(
                "KM333",
                Severity::Error,
                format!(
                    "control-plane host {h} has no address ({}): it cannot be an HAProxy backend",
                    NODE_ADDRESS_VARS.join(", ")
                ),
            )
            .host(*h)
            .at(Some(&cp.host_origin(h))),
        );
    }
}

/// KM332 (the VIP is a host's address) and KM331 (the VIP in no lb host's
/// subnet).
fn vip_placement(site: &Site, model: &LbModel, facts: &Facts, out: &mut Vec<Finding>) {
    let Some(vip) = &facts.vip else { return };
    let ip = vip.ip.value;
    for h in site.host_names() {
        if site_node_address(site, h) == Some(ip) {
            out.push(vip.ip.locate(
                finding(
                    "KM332",
                    Severity::Error,
                    format!("the virtual address {ip} ({}) is also the address of host {h}: the VIP must be a free address", vip.ip.variable),
                )
                .host(h),
            ));
        }
    }
    let lb_addrs: Vec<IpAddr> = model.hosts.iter().filter_map(|h| h.address).collect();
    let plen = vip.prefix.unwrap_or(if ip.is_ipv4() { 24 } else { 64 });
    let in_subnet = |a: &IpAddr| {
        IpNet::new(*a, plen)
            .map(|n| n.trunc().contains(&ip))
            .unwrap_or(false)
    };
    if !lb_addrs.is_empty() && !lb_addrs.iter().any(in_subnet) {
        out.push(vip.ip.locate(
            finding(
                "KM331",
                Severity::Warning,
                format!(
                    "the virtual address {ip} ({}) is in no lb host's subnet ({}/{plen}{}): VRRP moves it only within one L2 segment",
                    vip.ip.variable,
                    lb_addrs.iter().map(|a| a.to_string()).collect::<Vec<_>>().join(", "),
                    if vip.prefix.is_none() { ", assumed: write the VIP as ADDR/PREFIX to say" } else { "" }
                ),
            )
            .group(LB_GROUP),
        ));
    }
}

/// KM334: a local API server on an lb host takes HAProxy's port.
fn port_clash(model: &LbModel, facts: &Facts, out: &mut Vec<Finding>) {
    if facts.frontend.value != facts.listen {
        return;
    }
    for h in &model.hosts {
        let shared = model
            .backends
            .iter()
            .any(|b| b.name == h.name || (b.address.is_some() && b.address == h.address));
        if shared {
            out.push(facts.frontend.locate(
                finding(
                    "KM334",
                    Severity::Error,
                    format!(
                        "lb host {} is also a control-plane host and HAProxy's port {} is kube-apiserver's: one of them cannot bind; give loadbalancer_apiserver another port or use other lb hosts",
                        h.name, facts.frontend.value
                    ),
                )
                .host(h.name.clone()),
            ));
        }
    }
}

/// KM338 (a password VRRP cuts) and KM339 (a password kubemagic cannot
/// resolve: never rendered as "no authentication").
fn auth(facts: &Facts, out: &mut Vec<Finding>) {
    match &facts.auth {
        Secret::Unset => {}
        // VRRP v2 PASS authentication carries 8 bytes; Keepalived silently
        // uses the first 8, so two sites differing after them would match.
        Secret::Value(pw) if pw.value.len() > 8 => out.push(
            pw.locate(finding(
                "KM338",
                Severity::Warning,
                format!(
                    "{AUTH_VAR} has {} characters: VRRP authentication uses only the first 8",
                    pw.value.chars().count()
                ),
            ))
            .group(LB_GROUP),
        ),
        Secret::Value(_) => {}
        Secret::Unresolvable { at, what } => out.push(
            at.locate(finding(
                "KM339",
                Severity::Error,
                format!(
                    "{AUTH_VAR} is {what}: kubemagic cannot know the password, and will not render keepalived.conf without the authentication the site asks for; set it to the plain value (e.g. from a file kept out of version control) or drop it"
                ),
            ))
            .group(LB_GROUP),
        ),
    }
}

/// KM339 for the other variables: a value kubemagic cannot read is never
/// replaced by a default behind the operator's back.
fn unresolvable(facts: &Facts, out: &mut Vec<Finding>) {
    for (host, at, what) in facts.spec.unresolvable() {
        let mut f = at.locate(finding(
            "KM339",
            Severity::Error,
            format!(
                "{} is {what}: kubemagic cannot know its value, and renders nothing rather than a default in its place; set the plain value",
                at.name()
            ),
        ));
        f = match host {
            Some(h) => f.host(h),
            None => f.group(LB_GROUP),
        };
        out.push(f);
    }
}

/// The first control character of `s`, as `U+XXXX`.
fn control_char(s: &str) -> Option<String> {
    s.chars()
        .find(|c| c.is_control())
        .map(|c| format!("U+{:04X}", c as u32))
}

/// KM330: a control character (a newline above all) in any value written
/// into haproxy.cfg or keepalived.conf would end its line and inject the
/// rest as configuration. The value is not quoted in the message: it may be
/// a secret.
fn control_characters(site: &Site, model: &LbModel, facts: &Facts, out: &mut Vec<Finding>) {
    let mut flag = |what: String,
                    c: String,
                    host: Option<&str>,
                    variable: Option<&str>,
                    at: Option<&Origin>| {
        let mut f = finding(
            "KM330",
            Severity::Error,
            format!("{what} holds a control character ({c}): written into haproxy.cfg or keepalived.conf it would inject lines; remove it"),
        )
        .at(at);
        if let Some(h) = host {
            f = f.host(h);
        }
        if let Some(v) = variable {
            f = f.variable(v);
        }
        out.push(f);
    };
    if let Some(c) = control_char(&model.site) {
        let at = site.config_file.as_ref().map(|f| Origin::new(f, None));
        flag(
            "the site name".into(),
            c,
            None,
            None,
            at.as_ref().or(Some(&Origin::new(site.root.clone(), None))),
        );
    }
    for h in &facts.hosts {
        if let Some(c) = control_char(&h.name) {
            flag(
                format!("the lb host name {:?}", h.name.escape_debug().to_string()),
                c,
                None,
                None,
                h.origin.as_ref().or(facts.spec.origin.as_ref()),
            );
        }
        if let Some(i) = &h.interface {
            if let Some(c) = control_char(&i.value) {
                flag(
                    format!("{INTERFACE_VAR} of {}", h.name),
                    c,
                    Some(&h.name),
                    Some(INTERFACE_VAR),
                    i.origin.as_ref(),
                );
            }
        }
    }
    if let Some(cp) = &facts.control_plane {
        for (h, _) in &cp.hosts {
            if let Some(c) = control_char(h) {
                flag(
                    format!(
                        "the control-plane host name {:?}",
                        h.escape_debug().to_string()
                    ),
                    c,
                    None,
                    None,
                    Some(&cp.host_origin(h)),
                );
            }
        }
    }
    if let Secret::Value(pw) = &facts.auth {
        if let Some(c) = control_char(&pw.value) {
            flag(AUTH_VAR.into(), c, None, Some(AUTH_VAR), pw.origin.as_ref());
        }
    }
}
