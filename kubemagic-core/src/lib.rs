//! Shared vocabulary of kubemagic.
//!
//! Every other crate speaks in these types so that a finding produced by the
//! site checks, by `kubemagic etcd status` or by the Ceph validation prints
//! and serialises the same way in the CLI and in Python, and so that the
//! bindings never need their own copy of a rule.
//!
//! # The rule: pure, no I/O
//!
//! Nothing here reads a file, opens a socket, spawns a process, looks at the
//! clock or the environment, or is `async`. Facts are gathered by the crates
//! at the edges (kubemagic-site, kubemagic-etcd's `ops`, kubemagic-run) and
//! handed in as plain data, so every decision made here is a function of its
//! arguments: testable without a cluster, and the same answer every time.
//! The dependencies say so too: serde, serde_json and thiserror only.
//!
//! # Modules
//!
//! Imports inside the crate flow one way (a workspace test proves there is
//! no cycle): `flavor` → `phase_spec` → `site_config` → `phase`.
//!
//! - [`finding`]: [`Finding`], [`Severity`], [`Origin`]: what every check
//!   and diagnosis reports, pointing at the file and line to fix.
//! - [`render`]: the one renderer of findings (text, `FILE:LINE:COL` lines,
//!   JSON) used by the CLI, Python and the Ansible collection.
//! - [`redact()`]: the one redaction every printed text goes through,
//!   so credentials in URLs and secret-looking keys are never printed.
//! - [`bytes`]: [`ByteSize`] and the [`Notation`] a size was written in
//!   (etcd reads digits only; `20Mi` for `20Gi` was the seed's worst
//!   incident).
//! - [`flavor`]: [`Flavor`], the orchestrator (kubespray or OpenShift).
//! - [`site_config`]: [`SiteConfig`], the types of a site's `kubemagic.yml`.
//! - [`phase_spec`]: the phase vocabulary kubemagic.yml is written in
//!   ([`PhaseName`], conditions, steps, overrides) and [`PhaseError`].
//! - [`phase`]: the phase [`Catalog`] (the seed's Makefile as data) and the
//!   planner that turns [`SiteFacts`] and a [`PlanRequest`] into a [`Plan`].
//! - [`progress`]: [`Progress`], the interface through which a slow
//!   operation names its steps (the CLI shows them on stderr; nothing here
//!   prints).
//! - [`error`]: [`KmError`], the trait every library error implements
//!   (file, line, column, [`ErrorKind`]), and the one mapping from an error
//!   to a CLI exit code and a Python exception, so the two never disagree.

#![deny(missing_docs)]

pub mod bytes;
pub mod code_docs;
pub mod codes;
pub mod error;
pub mod finding;
pub mod flavor;
pub mod nagios;
pub mod phase;
pub mod phase_spec;
pub mod progress;
pub mod redact;
pub mod render;
pub mod site_config;

pub use bytes::{ByteSize, ByteSizeError, Notation};
pub use error::{ErrorKind, KmError};
pub use finding::{Finding, Origin, Severity};
pub use phase::{Catalog, PhaseError, PhaseName, Plan, PlanRequest, SiteFacts};
pub use progress::{Progress, Silent};
pub use redact::{redact, RedactingWriter, Redactor};
pub use site_config::{
    ChecksConfig, Flavor, IgnoreRule, LbConfig, MirrorConfig, RegistryConfig, SiteConfig, Upstream,
};
