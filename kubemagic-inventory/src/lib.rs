//! Ansible inventories read exactly as ansible-core 2.19 reads them.
//!
//! Data flows one way: files → parsers ([`ini`], [`yaml`]) calling the
//! [`data::InventoryData`] builder → vars files → resolution → exports.
//! See ARCHITECTURE.md for the map and the invariants.

pub mod data;
pub mod error;
pub mod export;
pub mod ini;
pub mod inventory;
pub mod pattern;
pub mod pyliteral;
pub mod ranges;
pub mod resolve;
pub mod sources;
pub mod value;
pub mod vars_files;
pub mod yaml;
pub mod yaml_inventory;

pub use error::{InventoryError, Result};
pub use inventory::{HashBehaviour, Inventory, LoadOptions, VarsFileEntry, VarsKind};
pub use value::{Map, Value, Var, Vars};
