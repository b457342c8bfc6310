//! The findings, as pure functions of the certificates read, the time, the
//! thresholds and (with `--site`) what the site says each host is.
//!
//! Codes (registered in `kubemagic_core::codes`, documented in
//! docs/checks.md): KM340 an expected certificate is missing, KM341
//! expired, KM342 within the critical days, KM343 within the warning days,
//! KM344 not yet valid, KM345 a chain that does not verify, KM346 a
//! serving certificate that does not name its host, KM347 an apiserver
//! certificate that does not name the API VIP, KM348 a file that is not
//! the certificate its name says, KM349 an endpoint that could not be
//! probed.

use crate::expected::{self, Expected};
use crate::model::{Certificate, Chain, Kind, Thresholds};
use crate::site::SiteView;
use crate::time::{days_between, rfc3339};
use kubemagic_core::{Finding, Origin};
use std::net::IpAddr;
use std::path::Path;

/// What the site expects of the certificates read on one host.
#[derive(Debug, Clone, Copy)]
pub struct Expect<'a> {
    /// The site.
    pub site: &'a SiteView,
    /// The host the files were read on (`--host`).
    pub host: Option<&'a str>,
}

/// Sets `days_left` and, with a site, the host each file belongs to; then
/// every finding about the certificates.
pub fn decide(
    certs: &mut [Certificate],
    now: i64,
    t: Thresholds,
    expect: Option<Expect<'_>>,
) -> Vec<Finding> {
    let mut out = Vec::new();
    for c in certs.iter_mut() {
        c.days_left = days_between(now, c.not_after_ts);
        if let Some(e) = expect {
            if c.kind != Kind::Served {
                c.host = owner(&c.path, e);
            }
        }
    }
    for c in certs.iter() {
        out.extend(validity(c, now, t));
        if let Chain::Broken { ca, reason } = &c.chain {
            out.push(place(
                Finding::error(
                    "KM345",
                    format!("{}: {reason} (CA beside it: {ca})", who(c)),
                ),
                c,
            ));
        }
        if let Some(e) = expect {
            out.extend(names(c, e));
        }
    }
    out
}

/// The host a file belongs to: the site host its file name ends with
/// (`member-etcd2.pem` on etcd1 is etcd2's), else `--host`.
fn owner(path: &str, e: Expect<'_>) -> Option<String> {
    let stem = Path::new(path)
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("");
    e.site
        .hosts
        .iter()
        .filter(|h| stem.ends_with(&format!("-{}", h.name)))
        .max_by_key(|h| h.name.len())
        .map(|h| h.name.clone())
        .or_else(|| e.host.map(str::to_string))
}

/// How a finding names the certificate: its subject, and the kubeconfig
/// user or position when the file holds several.
fn who(c: &Certificate) -> String {
    match &c.name {
        Some(n) => format!("{} [{n}]", c.subject),
        None => c.subject.clone(),
    }
}

fn place(f: Finding, c: &Certificate) -> Finding {
    let f = match c.kind {
        Kind::Served => f.host(c.path.clone()),
        _ => f.at(Some(&Origin::new(&c.path, None))),
    };
    match (&c.host, c.kind) {
        (Some(h), k) if k != Kind::Served => f.host(h.clone()),
        _ => f,
    }
}

fn validity(c: &Certificate, now: i64, t: Thresholds) -> Option<Finding> {
    let f = if now >= c.not_after_ts {
        Finding::error(
            "KM341",
            format!(
                "{}: expired {} day(s) ago (not after {})",
                who(c),
                days_between(c.not_after_ts, now),
                c.not_after
            ),
        )
    } else if now < c.not_before_ts {
        Finding::error(
            "KM344",
            format!(
                "{}: not valid before {} (now {}): a clock or a certificate made for the wrong time",
                who(c),
                c.not_before,
                rfc3339(now)
            ),
        )
    } else if c.days_left <= t.critical_days {
        Finding::error(
            "KM342",
            format!(
                "{}: expires in {} day(s) ({}), within --critical-days {}",
                who(c),
                c.days_left,
                c.not_after,
                t.critical_days
            ),
        )
    } else if c.days_left <= t.warning_days {
        Finding::warning(
            "KM343",
            format!(
                "{}: expires in {} day(s) ({}), within --warning-days {}",
                who(c),
                c.days_left,
                c.not_after,
                t.warning_days
            ),
        )
    } else {
        return None;
    };
    Some(place(f, c))
}

/// Whether `sans` cover `name` (an address, or a DNS name with `*.`
/// wildcards matching one label), as TLS clients match them.
pub fn covers(sans: &[String], name: &str) -> bool {
    let name = name.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = name.parse::<IpAddr>() {
        return sans.iter().any(|s| s.parse::<IpAddr>().ok() == Some(ip));
    }
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    sans.iter().any(|s| {
        let s = s.trim_end_matches('.').to_ascii_lowercase();
        match s.strip_prefix("*.") {
            Some(rest) => name
                .split_once('.')
                .is_some_and(|(label, tail)| !label.is_empty() && tail == rest),
            None => s == name,
        }
    })
}

/// Whether a certificate is an apiserver's: kubeadm and OpenShift both put
/// the in-cluster service name in it.
fn is_apiserver(c: &Certificate) -> bool {
    c.server_auth && !c.is_ca && c.sans.iter().any(|s| s == "kubernetes.default")
}

/// The expected serving certificate `c` is, for its host, if any.
fn serving_entry(c: &Certificate, e: Expect<'_>) -> Option<&'static Expected> {
    let stack = e.site.stack?;
    let host = c.host.as_deref()?;
    expected::expected(stack, e.site.release)
        .iter()
        .find(|x| x.serves && expected::matches(x.path, host, &c.path))
}

fn names(c: &Certificate, e: Expect<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    if c.kind != Kind::Served && c.server_auth && !c.is_ca {
        if let Some(x) = serving_entry(c, e) {
            let host = c.host.as_deref().unwrap_or_default();
            if let Some(h) = e.site.host(host) {
                let mut lacking: Vec<String> = h
                    .addresses
                    .iter()
                    .map(|a| a.to_string())
                    .filter(|a| !covers(&c.sans, a))
                    .collect();
                if !covers(&c.sans, &h.name) {
                    lacking.push(h.name.clone());
                }
                if !lacking.is_empty() {
                    out.push(place(
                        Finding::error(
                            "KM346",
                            format!(
                                "{}: serves TLS on {host} but its SANs lack {} (SANs: {}; written by {})",
                                who(c),
                                lacking.join(", "),
                                c.sans.join(", "),
                                x.source
                            ),
                        ),
                        c,
                    ));
                }
            }
        }
    }
    if is_apiserver(c) {
        // Every name clients are given for the API (OpenShift: the public
        // and the internal cluster hostname).
        let lacking: Vec<&str> = e
            .site
            .api_names
            .iter()
            .map(String::as_str)
            .filter(|n| !covers(&c.sans, n))
            .collect();
        if !lacking.is_empty() {
            out.push(place(
                Finding::error(
                    "KM347",
                    format!(
                        "{}: an apiserver certificate whose SANs lack the API name {}: clients through the load balancer will refuse it (SANs: {})",
                        who(c),
                        lacking.join(", "),
                        c.sans.join(", ")
                    ),
                ),
                c,
            ));
        }
    }
    out.extend(service_name(c, e));
    out
}

/// KM346 for a service's certificate file (the router's wildcard): it
/// must cover the name the service is reached by.
fn service_name(c: &Certificate, e: Expect<'_>) -> Option<Finding> {
    if c.kind == Kind::Served || c.is_ca {
        return None;
    }
    let host = c.host.as_deref()?;
    let s = e
        .site
        .services
        .iter()
        .find(|s| s.cert_at(host, &c.path).is_some())?;
    let name = s.name.as_deref()?;
    (!covers(&c.sans, name)).then(|| {
        place(
            Finding::error(
                "KM346",
                format!(
                    "{}: the {} certificate, but its SANs do not cover {name} (SANs: {})",
                    who(c),
                    s.what,
                    c.sans.join(", ")
                ),
            ),
            c,
        )
    })
}

/// KM346 for a served chain: the leaf must name what was dialed.
pub fn served_name(leaf: &Certificate, dialed: &str) -> Option<Finding> {
    (!covers(&leaf.sans, dialed)).then(|| {
        place(
            Finding::error(
                "KM346",
                format!(
                    "{}: served for {dialed}, but its SANs lack it (SANs: {})",
                    who(leaf),
                    leaf.sans.join(", ")
                ),
            ),
            leaf,
        )
    })
}

/// KM340: expected certificates of `host` that are not under `root`.
pub fn missing(e: Expect<'_>, root: &Path) -> Vec<Finding> {
    let Some(host) = e.host else {
        return Vec::new();
    };
    let Some(h) = e.site.host(host) else {
        return Vec::new();
    };
    let stack_files = e
        .site
        .stack
        .into_iter()
        .flat_map(|stack| {
            expected::expected(stack, e.site.release)
                .iter()
                .map(move |x| (stack, x))
        })
        .filter(|(_, x)| h.roles.contains(&x.role))
        .map(|(stack, x)| {
            (
                x.path.replace("{host}", host),
                format!("{} writes it ({})", stack.name(), x.source),
            )
        });
    // The services' files (router, registry, Ceph dashboard, RGW), from
    // the variables kubemagic-site read them from.
    let service_files = e.site.services.iter().flat_map(|s| {
        s.certs
            .iter()
            .filter(|c| c.hosts.iter().any(|h| h == host))
            .map(move |c| {
                (
                    c.path.clone(),
                    format!("the {} uses it ({})", s.what, c.variable),
                )
            })
    });
    stack_files
        .chain(service_files)
        .filter_map(|(rel, why)| {
            let p = root.join(rel.trim_start_matches('/'));
            (!p.exists()).then(|| {
                Finding::warning(
                    "KM340",
                    format!("{} is missing on {host}, where {why}", p.display()),
                )
                .host(host)
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sans_cover_addresses_names_and_one_label_wildcards() {
        let sans: Vec<String> = ["10.0.0.1", "*.apps.example", "API.example"]
            .map(String::from)
            .to_vec();
        assert!(covers(&sans, "10.0.0.1"));
        assert!(!covers(&sans, "10.0.0.2"));
        assert!(covers(&sans, "api.example"));
        assert!(covers(&sans, "x.apps.example"));
        assert!(!covers(&sans, "x.y.apps.example"));
        assert!(!covers(&sans, "apps.example"));
    }
}
