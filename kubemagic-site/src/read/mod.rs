//! The one reading of every site variable kubemagic interprets.
//!
//! An inventory holds values; what they *mean* (which variable gives a
//! node's address, where clients reach the API, which hosts balance it,
//! which pools ceph-ansible creates) depends on the upstream and its
//! release. That meaning is decided here and nowhere else: the checks
//! (`crate::checks`), the load balancer (kubemagic-lb) and the Ceph model
//! (kubemagic-ceph) consume these typed facts, so they cannot disagree on
//! them. Every fact keeps the variable and the file and line that set it
//! ([`Sourced`]), so whoever reports on it points at what to fix.
//!
//! Bottom-up: [`sourced`] (the value-with-origin type), [`address`] (node
//! and monitor addresses), [`api`] (the API endpoint), [`lb`] (the load
//! balancer's hosts, VIP and backends), [`ceph`] (pools and monitors),
//! [`registries`] (containerd's registries, per kubespray release), [`tls`]
//! (the TLS services besides the API and etcd: OpenShift's router and
//! registry, Ceph's dashboard and RGW, with their certificate files).

pub mod address;
pub mod api;
pub mod ceph;
pub mod lb;
pub mod registries;
pub mod sourced;
pub mod tls;

pub use address::{mon_address, node_address, site_node_address, MonAddress, NODE_ADDRESS_VARS};
pub use api::{ApiEndpoint, Orchestrator};
pub use ceph::{ceph_pools, CephPool, CephPools};
pub use lb::{control_plane, ControlPlane, LbSpec, Secret, Vip, LB_GROUP};
pub use sourced::Sourced;
