//! The external load balancer in front of the Kubernetes API (HAProxy +
//! Keepalived on the site's `lb` hosts), owned by kubemagic.
//!
//! Only kubemagic sees the whole site at once: which hosts are the control
//! plane (kubespray's or OpenShift's inventory), their addresses, the API
//! port, and the address kubespray writes into every kubeconfig. So the load
//! balancer is *derived* from the site ([`build`]) rather than typed
//! a second time into `custom/group_vars`, and rendered ([`render`]) into the
//! two files each lb host needs. Everything here is pure: the site is read by
//! `kubemagic-site` (its one reading, `kubemagic_site::read`), files are
//! written by the CLI (`kubemagic_fs::write_atomic`) or the Ansible role, and
//! the text report is written by [`report`] through the one redacting writer.

#![deny(missing_docs)]

mod derive;
pub mod model;
pub mod render;
pub mod report;
mod validate;

pub use model::{Backend, LbHost, LbModel};
pub use render::{render_all, render_host, RenderedHost, INTERFACE_PLACEHOLDER};

use kubemagic_site::site::{Site, SiteError};
use std::path::Path;

/// Why the load balancer of a site could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum LbError {
    /// The site itself could not be read (names the file and line).
    #[error(transparent)]
    Site(#[from] SiteError),
    /// `--host` named a host that is not in the `lb` group.
    #[error("{host} is not in the lb group of {file}{}", if known.is_empty() { String::from(" (the group is empty or absent)") } else { format!(" (lb hosts: {})", known.join(", ")) })]
    UnknownHost {
        /// The host asked for.
        host: String,
        /// The inventory holding the lb group (`custom/hosts`).
        file: std::path::PathBuf,
        /// The hosts the lb group has.
        known: Vec<String>,
    },
}

impl LbError {
    /// The file at fault, for error reports.
    pub fn file(&self) -> Option<&Path> {
        match self {
            LbError::Site(e) => e.file(),
            LbError::UnknownHost { file, .. } => Some(file),
        }
    }
    /// The line at fault, when known.
    pub fn line(&self) -> Option<u32> {
        match self {
            LbError::Site(e) => e.line(),
            LbError::UnknownHost { .. } => None,
        }
    }
}

/// The core error contract: every variant is bad input (exit 2, a Python
/// input exception): the site or the host named must be fixed.
impl kubemagic_core::error::KmError for LbError {
    fn file(&self) -> Option<&Path> {
        LbError::file(self)
    }
    fn line(&self) -> Option<u32> {
        LbError::line(self)
    }
    fn kind(&self) -> kubemagic_core::error::ErrorKind {
        kubemagic_core::error::ErrorKind::Input
    }
}

/// Builds the load-balancer model of `site`, with its findings sorted by
/// file, line, code and host.
pub fn build(site: &Site) -> LbModel {
    let (mut model, facts) = crate::derive::derive(site);
    let mut findings = crate::validate::validate(site, &model, &facts);
    findings.sort_by(|a, b| {
        (&a.file, a.line, &a.code, &a.host).cmp(&(&b.file, b.line, &b.code, &b.host))
    });
    model.findings = findings;
    model
}

/// Reads the site in `dir` and builds its load-balancer model: what
/// `kubemagic lb render` and the Python `kubemagic.lb.render` start from.
pub fn load(dir: &Path) -> Result<LbModel, LbError> {
    let site = Site::load(dir)?;
    Ok(build(&site))
}
