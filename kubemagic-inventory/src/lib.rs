//! Ansible inventories read exactly as ansible-core 2.19 reads them.
//!
//! Data flows one way: files → parsers (INI, YAML) calling the
//! `InventoryData` builder → vars files → resolution → exports.
//! See ARCHITECTURE.md for the map and the invariants.
//!
//! Every module is private; what other crates may use is the list of
//! re-exports below, so the engine's internals (group ids, the builder, the
//! YAML composer) can change without breaking the site, the CLI or Python.
//! The modules import each other without a cycle (enforced by the
//! `module_imports_form_a_dag` test), so each can be read bottom-up.

// Every public item says why it exists: the crate is consumed by the
// site checks, the CLI and Python, whose authors read these docs.
#![deny(missing_docs)]

mod data;
mod error;
mod export;
mod ini;
mod inventory;
mod pattern;
mod pyliteral;
mod pyrepr;
mod ranges;
mod resolve;
mod sources;
mod text;
mod value;
mod vars_files;
mod yaml;
mod yaml_inventory;

pub use error::{InventoryError, Result, Warning, WarningKind};
pub use export::{host_value, to_python_json, write_list};
pub use inventory::{Inventory, LoadOptions};
pub use pyliteral::{literal_eval, LiteralError};
pub use resolve::HashBehaviour;
pub use value::{
    as_nonfinite, json_keys, map_key, value_str, Map, MapKey, Value, Var, Vars, NONSTRING_KEY_MARK,
};
pub use vars_files::{VarsFileEntry, VarsKind};
pub use yaml::{load_nodes, load_yaml, Node, NodeKind};

/// Pieces of the parsers checked against the real Python, in the crate so
/// that they need not be public.
#[cfg(test)]
mod tests {
    mod ini_pieces_vs_python;
}
