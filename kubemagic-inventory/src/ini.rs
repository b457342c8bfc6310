//! INI inventory parser (stub, being written).

use crate::data::InventoryData;
use crate::error::Result;
use std::path::Path;

/// Parses an INI inventory into `inv`.
pub fn parse_ini(_text: &str, _path: &Path, _inv: &mut InventoryData) -> Result<()> {
    Ok(())
}
