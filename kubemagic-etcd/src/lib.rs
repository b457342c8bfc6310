//! kubemagic-etcd: see and fix a full etcd the way the seed's author wished
//! he could.
//!
//! Every member is addressed through its own single-endpoint client and
//! queried concurrently; quotas come from each member's `/metrics` because
//! etcd 3.4's Status RPC does not report them. Decisions (findings, defrag
//! order, whether a recovery may start, when NOSPACE may be disarmed) are
//! pure functions in [`findings`] and [`plan`]; [`ops`] carries them out.

#![deny(missing_docs)]

pub mod client;
pub mod config;
pub mod error;
pub mod findings;
pub mod health;
pub mod maintain;
pub mod member;
pub mod member_ops;
pub mod metrics;
pub mod model;
pub mod monitor;
pub mod ops;
pub mod plan;
pub mod print;
pub mod restore;
pub mod restore_ops;

pub use client::{Cluster, Member};
pub use config::{Config, ConnectArgs, EnvFile, Timeouts};
pub use error::EtcdError;
pub use model::{Alarm, AlarmKind, ClusterStatus, MemberId, MemberStatus};
pub use ops::Progress;

/// The tokio runtime the front ends drive this crate's async API with (two
/// workers: members are queried concurrently, and this is a 2-core tool).
pub fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
}
