//! Ceph for Kubernetes: everything between a Ceph cluster and the
//! provisioners that Kubernetes uses against it.
//!
//! - [`model`]: the [`CephCluster`] (fsid, monitors, pools, clients) and the
//!   validated value types it is made of;
//! - [`validate`]: findings about a cluster model and about what consumes it
//!   (image features against krbd or the external rbd-provisioner, ceph-csi
//!   limits, keys with stray whitespace);
//! - [`site`]: the model built from the site's one reading of its
//!   ceph-ansible inventory, each value with its file and line;
//! - [`api`]: the small [`api::CephApi`] trait behind which all Ceph I/O
//!   lives, and [`cli::CephCli`], its implementation over the `ceph`, `rbd`
//!   and `rados` commands (argument vectors, `--format json`, no shell);
//! - [`prepare`]: the pure planner (observed state → actions) and the
//!   idempotent executor for `kubemagic ceph prepare`, ceph-csi's four
//!   users included;
//! - [`render`]: kubespray group_vars, ceph-csi manifests (k8s-openapi
//!   types) and the equivalent hand-typed commands;
//! - [`leftovers`]: what three provisioners leave behind (cephfs-provisioner
//!   1.2.2, rbd-provisioner, ceph-csi), as pure functions over Kubernetes
//!   objects and Ceph listings, and the kube client and Ceph calls around them;
//! - [`report`]: every report as text, JSON, YAML or Nagios, written
//!   through `kubemagic_core::RedactingWriter` (the CLI and Python choose
//!   only the format and the destination).
//!
//! Each command is one call taking a request struct and returning a
//! `Serialize` report ([`validate::validate`], [`render::render`],
//! [`leftovers::leftovers`], [`prepare::prepare`]) that [`report`] writes:
//! the CLI and Python only parse arguments and choose where it goes.
//!
//! Keys never reach a log or a text report: they live in [`model::CephKey`],
//! whose `Debug` and `Display` are redacted, and only the Secret manifests
//! of [`render`] expose them (the ceph-csi users' keys, never the admin's).

#![deny(missing_docs)]

pub mod api;
pub mod budget;
pub mod cli;
pub mod doctor;
pub mod error;
pub mod keyring;
pub mod leftovers;
pub mod model;
pub mod prepare;
pub mod render;
pub mod report;
pub mod site;
pub mod validate;

pub use error::{CephError, Result};
pub use model::{
    CephCluster, CephKey, Client, ClientName, MonAddr, Monitor, MsgrVersion, PgNum, Pool, PoolName,
};
