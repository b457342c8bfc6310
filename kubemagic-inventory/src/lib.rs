//! Ansible inventories read exactly as ansible-core 2.19 reads them.
//!
//! Data flows one way: files → parsers ([`ini`], [`yaml`]) calling the
//! [`data::InventoryData`] builder → vars files → resolution → exports.
//! See ARCHITECTURE.md for the map and the invariants.

pub mod data;
pub mod error;
pub mod inventory;
pub mod value;

pub use error::{InventoryError, Result};
pub use value::{Map, Value, Var, Vars};
pub use inventory::{HashBehaviour, Inventory, LoadOptions, VarsFileEntry, VarsKind};
