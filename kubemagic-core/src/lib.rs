//! Shared vocabulary of kubemagic.
//!
//! This crate is pure: no I/O, no async, no process spawning. Every other
//! crate speaks in these types so that a finding produced by the inventory
//! checks, by `kubemagic etcd status` or by the Ceph validation prints and
//! serialises the same way in the CLI and in Python.

pub mod bytes;
pub mod finding;
pub mod phase;
pub mod site_config;

pub use bytes::{ByteSize, ByteSizeError, Notation};
pub use finding::{Finding, Origin, Severity};
pub use phase::{Catalog, PhaseError, PhaseName, Plan, PlanRequest, SiteFacts};
pub use site_config::{ChecksConfig, Flavor, IgnoreRule, LbConfig, SiteConfig, Upstream};
