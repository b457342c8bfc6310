//! Variable values and their origins.
//!
//! Values are an ordered JSON-like tree (`serde_json::Value` with
//! `preserve_order`): Ansible's own output is JSON, and key order must
//! survive merging. Each top-level variable keeps the [`Origin`] of the
//! definition that set it, so a check can point at the winning file and line;
//! the origin is dropped only when exporting to Ansible's JSON.

use indexmap::IndexMap;
use kubemagic_core::Origin;

pub type Value = serde_json::Value;
pub type Map = serde_json::Map<String, Value>;

/// A variable's value and where it was set.
#[derive(Debug, Clone, PartialEq)]
pub struct Var {
    pub value: Value,
    pub origin: Option<Origin>,
}

/// Variables of one host or group, in definition order.
pub type Vars = IndexMap<String, Var>;
