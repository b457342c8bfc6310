//! The digest of the inventory files a step uses, recorded in the journal:
//! a step whose inventory changed since it last succeeded runs again.
//!
//! What ansible-playbook reads for an inventory source: the source itself
//! (a file, or every file of a folder), and the `group_vars/` and
//! `host_vars/` folders beside it and beside the playbook.

use crate::RunError;
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn walk(root: &Path, out: &mut BTreeSet<PathBuf>) -> Result<(), RunError> {
    for entry in walkdir::WalkDir::new(root).follow_links(true) {
        let entry = entry.map_err(|e| RunError::Io {
            path: e.path().unwrap_or(root).to_path_buf(),
            source: e
                .into_io_error()
                .unwrap_or_else(|| std::io::Error::other("symlink loop")),
        })?;
        if entry.file_type().is_file() {
            out.insert(entry.into_path());
        }
    }
    Ok(())
}

/// sha256 over (path relative to the site, length, content) of every file,
/// in path order, as `sha256:<hex>`. A missing inventory is part of the
/// digest too (ansible-playbook will complain about it, not us).
pub fn inventory_digest(
    site: &Path,
    cwd: &str,
    inventories: &[String],
    playbook: Option<&str>,
) -> Result<String, RunError> {
    let base = site.join(cwd);
    let mut files = BTreeSet::new();
    let mut missing = BTreeSet::new();
    let mut var_dirs = vec![];
    for inv in inventories {
        let p = base.join(inv);
        if p.is_dir() {
            walk(&p, &mut files)?;
        } else if p.is_file() {
            files.insert(p.clone());
            if let Some(parent) = p.parent() {
                var_dirs.push(parent.to_path_buf());
            }
        } else {
            missing.insert(inv.clone());
        }
    }
    if let Some(pb) = playbook {
        if let Some(parent) = base.join(pb).parent() {
            var_dirs.push(parent.to_path_buf());
        }
    }
    for d in var_dirs {
        for sub in ["group_vars", "host_vars"] {
            let v = d.join(sub);
            if v.is_dir() {
                walk(&v, &mut files)?;
            }
        }
    }
    let mut h = Sha256::new();
    for f in &files {
        let content = std::fs::read(f).map_err(RunError::io(f))?;
        let rel = f.strip_prefix(site).unwrap_or(f);
        h.update(rel.to_string_lossy().as_bytes());
        h.update([0]);
        h.update((content.len() as u64).to_le_bytes());
        h.update(&content);
    }
    for m in &missing {
        h.update(b"missing:");
        h.update(m.as_bytes());
        h.update([0]);
    }
    let hex: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
    Ok(format!("sha256:{hex}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_vars_change_changes_the_digest() {
        let d = tempfile::tempdir().unwrap();
        let s = d.path();
        std::fs::create_dir_all(s.join("custom/group_vars/all")).unwrap();
        std::fs::write(s.join("custom/hosts"), "localhost\n").unwrap();
        std::fs::write(s.join("custom/group_vars/all/x.yml"), "a: 1\n").unwrap();
        let inv = vec!["hosts".to_string()];
        let a = inventory_digest(s, "custom", &inv, Some("p.yml")).unwrap();
        assert_eq!(
            a,
            inventory_digest(s, "custom", &inv, Some("p.yml")).unwrap()
        );
        std::fs::write(s.join("custom/group_vars/all/x.yml"), "a: 2\n").unwrap();
        let b = inventory_digest(s, "custom", &inv, Some("p.yml")).unwrap();
        assert_ne!(a, b);
        assert!(b.starts_with("sha256:") && b.len() == 7 + 64);
    }

    #[test]
    fn missing_inventory_still_digests() {
        let d = tempfile::tempdir().unwrap();
        let a = inventory_digest(d.path(), ".", &["nope".into()], None).unwrap();
        let b = inventory_digest(d.path(), ".", &["other".into()], None).unwrap();
        assert_ne!(a, b);
    }
}
