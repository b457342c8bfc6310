//! Random inventories (placeholder; filled below).
mod support;
#[test]
fn placeholder() {}
