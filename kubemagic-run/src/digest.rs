//! The digest of the inventory files a step uses, recorded in the journal:
//! a step whose inventory changed since it last succeeded runs again.
//!
//! What ansible-playbook reads for an inventory source: the source itself
//! (a file, or every file of a folder), and the `group_vars/` and
//! `host_vars/` folders beside it and beside the playbook.
//!
//! Also the keyed digest of a step's unmasked arguments ([`ArgsKey`]): the
//! journal keeps commands with their secrets masked, so it needs another
//! way to notice that a secret changed.

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
        // Regular files only, capped: a FIFO or /dev/zero swapped in after
        // the walk is refused, naming it.
        let content = kubemagic_fs::read(f, kubemagic_fs::limits::MAX_SOURCE_BYTES)?;
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

/// The name of the per-site key of argument digests inside
/// [`STATE_DIR`](crate::STATE_DIR).
pub const ARGS_KEY_FILE: &str = "args.key";
const KEY_LEN: usize = 32;

/// A per-site random key (32 bytes, `SITE/.kubemagic/args.key`, mode 0600)
/// for HMAC-SHA256 digests of step arguments.
///
/// Why keyed: a plain hash of `ansible_become_password=...` in the journal
/// would let anyone who can read the journal test password guesses offline.
/// With a key that only the site's owner can read, the digest says "changed"
/// or "unchanged" and nothing else. Losing the key only makes every step run
/// once more.
pub struct ArgsKey([u8; KEY_LEN]);

impl ArgsKey {
    fn path(site: &Path) -> PathBuf {
        site.join(crate::STATE_DIR).join(ARGS_KEY_FILE)
    }

    /// The site's key, if it has one yet (read as a regular file of exactly
    /// 32 bytes, else an error naming it).
    pub fn load(site: &Path) -> Result<Option<ArgsKey>, RunError> {
        let path = ArgsKey::path(site);
        match kubemagic_fs::read(&path, 4096) {
            Ok(bytes) => {
                let key: [u8; KEY_LEN] =
                    bytes.as_slice().try_into().map_err(|_| RunError::Config {
                        path: path.clone(),
                        message: format!(
                            "not a kubemagic key ({} bytes, expected {KEY_LEN}); remove it and every step runs once more",
                            bytes.len()
                        ),
                    })?;
                Ok(Some(ArgsKey(key)))
            }
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// The site's key, created (from the kernel's random source, written
    /// 0600) if it has none. Called under the site lock, so two runs never
    /// create two keys.
    pub fn load_or_create(site: &Path) -> Result<ArgsKey, RunError> {
        if let Some(k) = ArgsKey::load(site)? {
            return Ok(k);
        }
        let path = ArgsKey::path(site);
        let mut key = [0u8; KEY_LEN];
        let mut got = 0;
        while got < KEY_LEN {
            // SAFETY: getrandom fills at most the given length of our buffer.
            let n = unsafe { libc::getrandom(key[got..].as_mut_ptr().cast(), KEY_LEN - got, 0) };
            if n < 0 {
                let e = std::io::Error::last_os_error();
                if e.kind() == std::io::ErrorKind::Interrupted {
                    continue;
                }
                return Err(RunError::Io { path, source: e });
            }
            got += n as usize;
        }
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(RunError::io(dir))?;
        }
        kubemagic_fs::write_atomic(&path, &key, 0o600)?;
        Ok(ArgsKey(key))
    }

    /// `hmac-sha256:<hex>` over the folder and every argument, each
    /// length-prefixed (so `["a b"]` and `["a", "b"]` differ).
    pub fn digest(&self, cwd: &str, argv: &[String]) -> String {
        let mut msg = Vec::new();
        msg.extend_from_slice(b"kubemagic-args-v1\0");
        for part in std::iter::once(cwd).chain(argv.iter().map(String::as_str)) {
            msg.extend_from_slice(&(part.len() as u64).to_le_bytes());
            msg.extend_from_slice(part.as_bytes());
        }
        let mac = hmac_sha256(&self.0, &msg);
        let hex: String = mac.iter().map(|b| format!("{b:02x}")).collect();
        format!("hmac-sha256:{hex}")
    }
}

/// HMAC-SHA256 as RFC 2104 defines it (B = 64, ipad 0x36, opad 0x5c); the
/// key is at most one block here, so it is never hashed first.
fn hmac_sha256(key: &[u8; KEY_LEN], msg: &[u8]) -> [u8; 32] {
    let mut block = [0u8; 64];
    block[..KEY_LEN].copy_from_slice(key);
    let pad = |b: u8| -> [u8; 64] { block.map(|k| k ^ b) };
    let inner = Sha256::new()
        .chain_update(pad(0x36))
        .chain_update(msg)
        .finalize();
    Sha256::new()
        .chain_update(pad(0x5c))
        .chain_update(inner)
        .finalize()
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc_4231_test_case_1() {
        // RFC 4231 test case 1 uses a 20-byte key of 0x0b; ours are 32 bytes,
        // so check with a key padded by zeros, which HMAC treats the same.
        let mut key = [0u8; KEY_LEN];
        key[..20].copy_from_slice(&[0x0b; 20]);
        let mac = hmac_sha256(&key, b"Hi There");
        let hex: String = mac.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex,
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
        );
    }

    #[test]
    fn args_digest_changes_with_a_masked_secret_and_never_holds_it() {
        let d = tempfile::tempdir().unwrap();
        let k = ArgsKey::load_or_create(d.path()).unwrap();
        let argv = |pw: &str| -> Vec<String> {
            vec![
                "ansible-playbook".into(),
                "-e".into(),
                format!("ansible_become_password={pw}"),
                "cluster.yml".into(),
            ]
        };
        let a = k.digest("custom", &argv("s3cret-one"));
        let b = k.digest("custom", &argv("s3cret-two"));
        assert_ne!(a, b);
        assert_eq!(a, k.digest("custom", &argv("s3cret-one")));
        assert!(!a.contains("s3cret"));
        // Same key on reload; 0600; another site's key gives another digest.
        let again = ArgsKey::load(d.path()).unwrap().unwrap();
        assert_eq!(again.digest("custom", &argv("s3cret-one")), a);
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(ArgsKey::path(d.path()))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let other = tempfile::tempdir().unwrap();
        let k2 = ArgsKey::load_or_create(other.path()).unwrap();
        assert_ne!(k2.digest("custom", &argv("s3cret-one")), a);
    }

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
