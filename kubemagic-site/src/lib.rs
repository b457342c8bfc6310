//! kubemagic's policy over a deployment, on top of Ansible's truth.
//!
//! `kubemagic-inventory` reads each inventory exactly as ansible-core does
//! and knows nothing of kubemagic. This crate holds what kubemagic itself
//! decides: what a site is ([`site`]: kubemagic.yml, which inventories a
//! deployment has, group roles across kubespray versions), what its
//! variables mean ([`read`], the one reading: node and monitor addresses, the
//! API endpoint, the load balancer, Ceph pools) and every check over it
//! ([`checks`], one file per family, a registry of codes).
//! A tool that only wants the exact inventory engine depends on
//! `kubemagic-inventory` alone and gets none of this.

#![deny(missing_docs)]

pub mod checks;
pub mod config_check;
pub mod error;
pub mod etcd_peers;
pub mod read;
pub mod site;
pub mod suppress;
pub mod values;
pub mod versions;

pub use checks::{check_site, report, run_all, CheckReport};
pub use site::{InventoryKind, Role, Site, SiteError, SiteInventory};
pub use suppress::Suppressed;
pub use versions::{SiteVersions, Upstream, UpstreamVersion, Version};
