//! Every certificate of the site, before it expires.
//!
//! The outage a year after a kubespray install is certificate expiry, and
//! no tool knows the whole site: kubeadm's check errors on kubespray's
//! layout and knows nothing of kubespray's etcd certificates; OpenShift's
//! expiry role is 3.11-only and in-cluster exporters know no inventory.
//! This crate reads certificate files, kubeconfigs and TLS endpoints,
//! decides what is wrong (expired, near expiry, not yet valid, a chain that
//! does not verify against the CA beside it, SANs that lack the host or the
//! API VIP) and says how each stack renews them, per release.
//!
//! # Layout
//!
//! Pure decisions over plain data, I/O at the edges:
//! - leaves: [`error`], [`model`], [`time`], [`pem`] (PEM blocks, X.509
//!   parsing; private keys recognised and never decoded), [`kubeconfig`]
//!   (embedded certificates and the certificate files named:
//!   `client-key-data` and `client-key` are never read into a value).
//! - [`site`]: the one module that reads a site (kubemagic-site's public
//!   readers, `read::tls` for the router, registry, Ceph dashboard and
//!   RGW), [`expected`]: what each stack writes, cited per release.
//! - [`chain`], [`decide`], [`plan`]: pure.
//! - [`scan`] (files, through kubemagic-fs) and [`probe`] (a rustls
//!   handshake that only reads the served chain): the I/O.
//! - [`report`]: the writers, over `RedactingWriter`.
//!
//! [`check`] and [`probe_endpoints`] are the two calls the CLI and Python
//! make.

#![deny(missing_docs)]

pub mod chain;
pub mod decide;
pub mod error;
pub mod expected;
pub mod kubeconfig;
pub mod model;
pub mod pem;
pub mod plan;
pub mod probe;
pub mod report;
pub mod scan;
pub mod site;
pub mod time;

pub use error::CertsError;
pub use model::{Certificate, Chain, Kind, Skipped, Thresholds};
pub use report::{exit_code, write, Format, Report};
pub use site::{SiteView, Stack};

use decide::Expect;
use kubemagic_core::Finding;
use std::net::ToSocketAddrs;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// What `certs check` reads and how it decides.
#[derive(Debug, Clone)]
pub struct CheckRequest {
    /// Files and directories; empty: the site's stack's directories under
    /// `root` (every stack's without a site).
    pub paths: Vec<PathBuf>,
    /// The site, for SAN checks, the expected files and the plan.
    pub site: Option<PathBuf>,
    /// The site host the files belong to.
    pub host: Option<String>,
    /// The filesystem root the stack's directories are under (`/`; a
    /// copy of a host's files elsewhere).
    pub root: PathBuf,
    /// When expiry is a warning and an error.
    pub thresholds: Thresholds,
    /// The time to decide at, Unix seconds (now, or `--at`).
    pub at: i64,
    /// Add the renewal plan.
    pub plan: bool,
}

/// What `certs probe` dials and how it decides.
#[derive(Debug, Clone)]
pub struct ProbeRequest {
    /// `HOST:PORT` endpoints; empty with a site: the site's.
    pub endpoints: Vec<String>,
    /// The site, for its endpoints, SAN checks and the plan.
    pub site: Option<PathBuf>,
    /// When expiry is a warning and an error.
    pub thresholds: Thresholds,
    /// The time to decide at, Unix seconds.
    pub at: i64,
    /// Connect and handshake timeout per endpoint.
    pub timeout: Duration,
    /// Add the renewal plan.
    pub plan: bool,
}

fn read_site(site: Option<&Path>) -> Result<Option<SiteView>, CertsError> {
    site.map(site::read).transpose()
}

/// `kubemagic certs check`.
pub fn check(req: &CheckRequest) -> Result<Report, CertsError> {
    let view = read_site(req.site.as_deref())?;
    if req.host.is_some() && view.is_none() {
        return Err(CertsError::Usage("--host needs --site".into()));
    }
    if let (Some(v), Some(h)) = (&view, &req.host) {
        if v.host(h).is_none() {
            return Err(CertsError::Usage(format!(
                "--host {h}: not a host of the site with certificates kubemagic knows (known: {})",
                v.hosts
                    .iter()
                    .map(|h| h.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
    }
    let mut paths = req.paths.clone();
    let mut expected_files: Vec<PathBuf> = Vec::new();
    let mut extra = Vec::new();
    if paths.is_empty() {
        // The site's stack's directories, else every stack's: what this
        // host has of them.
        let stacks = match view.as_ref().and_then(|v| v.stack) {
            Some(stack) => vec![stack],
            None => vec![Stack::Kubespray, Stack::Openshift],
        };
        paths = stacks
            .iter()
            .flat_map(|s| expected::directories(*s).iter())
            .map(|d| req.root.join(d.trim_start_matches('/')))
            .filter(|p| p.exists())
            .collect();
        // The services' certificate files outside those directories (the
        // Ceph dashboard's, an RGW PEM), of this host when one is named.
        if let Some(v) = &view {
            expected_files = v
                .services
                .iter()
                .flat_map(|s| s.certs.iter())
                .filter(|c| {
                    req.host
                        .as_ref()
                        .is_none_or(|h| c.hosts.iter().any(|x| x == h))
                })
                .map(|c| req.root.join(c.path.trim_start_matches('/')))
                .filter(|f| f.exists() && !paths.iter().any(|d| f.starts_with(d)))
                .collect();
        }
        if paths.is_empty() && expected_files.is_empty() && req.host.is_none() {
            return Err(CertsError::Usage(format!(
                "no certificate directory of kubespray or OpenShift under {}: name the files or directories to check",
                req.root.display()
            )));
        }
        if let Some(v) = &view {
            extra = decide::missing(
                Expect {
                    site: v,
                    host: req.host.as_deref(),
                },
                &req.root,
            );
        }
    }
    let s = scan::scan(&paths, &expected_files, &req.root)?;
    let mut certs = s.certificates;
    chain::verify(&mut certs);
    let expect = view.as_ref().map(|v| Expect {
        site: v,
        host: req.host.as_deref(),
    });
    let mut findings = decide::decide(&mut certs, req.at, req.thresholds, expect);
    findings.extend(s.findings);
    findings.extend(extra);
    Ok(finish(
        certs,
        findings,
        s.skipped,
        view.as_ref(),
        req.thresholds,
        req.at,
        req.plan,
    ))
}

/// `kubemagic certs probe`.
pub fn probe_endpoints(req: &ProbeRequest) -> Result<Report, CertsError> {
    let view = read_site(req.site.as_deref())?;
    let mut targets = Vec::new();
    let mut findings = Vec::new();
    for e in &req.endpoints {
        targets.push(probe::Target::parse(e)?);
    }
    if targets.is_empty() {
        let v = view.as_ref().ok_or_else(|| {
            CertsError::Usage("name the endpoints to probe (HOST:PORT), or give --site".into())
        })?;
        for e in v.endpoints() {
            // A name the cluster uses inside its network (OpenShift's
            // internal API hostname) need not resolve where the probe
            // runs: a warning, not an error about the site.
            if e.inside_only && (e.host.as_str(), e.port).to_socket_addrs().is_err() {
                findings.push(
                    Finding::warning(
                        "KM349",
                        format!(
                            "{} ({}) does not resolve here: probe from inside the cluster's network to read it",
                            e.host, e.what
                        ),
                    )
                    .host(format!("{}:{}", e.host, e.port)),
                );
                continue;
            }
            targets.push(probe::Target {
                host: e.host,
                port: e.port,
                server_name: e.name,
                check_name: e.check_name,
            });
        }
    }
    // Each handshake waits on the network: on threads, so twenty dead
    // endpoints cost one timeout, not twenty.
    let results: Vec<Result<Vec<Vec<u8>>, String>> = std::thread::scope(|s| {
        let handles: Vec<_> = targets
            .iter()
            .map(|t| s.spawn(move || probe::served_chain(t, req.timeout)))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err("internal error: the probe panicked".into()))
            })
            .collect()
    });
    let mut certs = Vec::new();
    let mut leaves = Vec::new();
    for (t, r) in targets.iter().zip(results) {
        let at = t.display();
        match r {
            Ok(chain) => {
                for (i, der) in chain.into_iter().enumerate() {
                    let place = pem::Place {
                        path: &at,
                        kind: Kind::Served,
                        name: Some(i.to_string()),
                        scope: &at,
                    };
                    match pem::parse(der, place) {
                        Ok(c) => {
                            if i == 0 && t.check_name {
                                leaves.push((certs.len(), t.expected_name().to_string()));
                            }
                            certs.push(c);
                        }
                        Err(e) => findings.push(
                            Finding::error("KM349", format!("certificate {i} served: {e}"))
                                .host(at.clone()),
                        ),
                    }
                }
            }
            Err(e) => findings
                .push(Finding::error("KM349", format!("cannot probe: {e}")).host(at.clone())),
        }
    }
    chain::verify(&mut certs);
    let expect = view.as_ref().map(|v| Expect {
        site: v,
        host: None,
    });
    let mut decided = decide::decide(&mut certs, req.at, req.thresholds, expect);
    for (i, dialed) in leaves {
        decided.extend(decide::served_name(&certs[i], &dialed));
    }
    decided.extend(findings);
    Ok(finish(
        certs,
        decided,
        Vec::new(),
        view.as_ref(),
        req.thresholds,
        req.at,
        req.plan,
    ))
}

fn finish(
    mut certs: Vec<Certificate>,
    findings: Vec<Finding>,
    skipped: Vec<Skipped>,
    view: Option<&SiteView>,
    thresholds: Thresholds,
    at: i64,
    want_plan: bool,
) -> Report {
    certs.sort_by(|a, b| {
        a.not_after_ts
            .cmp(&b.not_after_ts)
            .then_with(|| a.path.cmp(&b.path))
    });
    let plan = want_plan.then(|| {
        let stack = view
            .and_then(|v| v.stack)
            .or_else(|| certs.iter().find_map(|c| expected::stack_of_path(&c.path)))
            .unwrap_or(Stack::Kubespray);
        let release = view.and_then(|v| v.release);
        let services = view.map(|v| v.services.as_slice()).unwrap_or_default();
        plan::plan(stack, release, &certs, services, thresholds.warning_days)
    });
    Report {
        certificates: certs,
        findings,
        skipped,
        plan,
        at: time::rfc3339(at),
        thresholds,
    }
}
