//! Ceph keyring files (`ceph.client.admin.keyring`).
//!
//! Written by hand: a keyring is Ceph's own INI dialect (`[client.admin]`
//! sections, `key = ...`, `caps mon = "..."`, `#`/`;` comments) and only the
//! `key` of one entity is needed here; a general INI crate would normalise
//! keys and values in ways Ceph does not. Keys keep their raw text so
//! validation can report stray whitespace.

use crate::error::{CephError, Result};
use crate::model::CephKey;
use kubemagic_core::{Finding, Origin};
use std::collections::BTreeMap;
use std::path::Path;

/// Entities of a keyring and their keys, in file order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Keyring {
    /// Key of each entity (`client.admin`), by entity.
    pub entries: BTreeMap<String, CephKey>,
    /// Lines Ceph reads without the key their writer meant (`key AQ...==`
    /// without ` = `: Ceph takes `key AQ...=` for an option's name and the
    /// entity has no key), at their file and line.
    pub findings: Vec<Finding>,
}

impl Keyring {
    /// Reads (a regular file, size-capped: a keyring is a few hundred
    /// bytes) and parses a keyring file.
    pub fn read(path: &Path) -> Result<Keyring> {
        let text = kubemagic_fs::read_to_string(path, kubemagic_fs::limits::MAX_SOURCE_BYTES)?;
        Keyring::parse(&text, path)
    }

    /// Parses keyring text; `path` names the file in errors and findings.
    pub fn parse(text: &str, path: &Path) -> Result<Keyring> {
        let mut kr = Keyring::default();
        let mut section: Option<String> = None;
        for (i, line) in text.lines().enumerate() {
            let t = line.trim();
            if t.is_empty() || t.starts_with('#') || t.starts_with(';') {
                continue;
            }
            let err = |message: &str| CephError::Keyring {
                path: path.to_path_buf(),
                line: i + 1,
                message: message.to_string(),
            };
            if let Some(rest) = t.strip_prefix('[') {
                let name = rest
                    .strip_suffix(']')
                    .ok_or_else(|| err("unterminated section header"))?
                    .trim();
                if name.is_empty() {
                    return Err(err("empty section name"));
                }
                section = Some(name.to_string());
                continue;
            }
            if is_key_without_equals(t) {
                let entity = section.as_deref().unwrap_or("(no section)");
                kr.findings.push(
                    Finding::error(
                        "KM227",
                        format!("key of {entity} written without ` = ` (`key AQ...`): Ceph reads no key for {entity}; write `key = AQ...`"),
                    )
                    .at(Some(&Origin::new(path, u32::try_from(i + 1).ok()))),
                );
                continue;
            }
            let (k, _) = t
                .split_once('=')
                .ok_or_else(|| err("expected `key = value`"))?;
            if k.trim() == "key" {
                let entity = section
                    .clone()
                    .ok_or_else(|| err("key outside of a [section]"))?;
                // Keep the value's trailing characters: a key pasted with a
                // trailing blank must stay visible to validation.
                let raw = line
                    .split_once('=')
                    .map(|(_, r)| r.trim_start())
                    .unwrap_or_default();
                kr.entries.insert(entity, CephKey::new(raw));
            }
        }
        Ok(kr)
    }

    /// The key of `entity` (`client.admin`).
    pub fn key(&self, entity: &str, path: &Path) -> Result<&CephKey> {
        self.entries
            .get(entity)
            .ok_or_else(|| CephError::KeyringEntity {
                path: path.to_path_buf(),
                entity: entity.to_string(),
            })
    }

    /// The first `client.*` entity, which the ceph CLI uses when no `--name`
    /// is given only if it is `client.admin`; we use it as the admin id.
    pub fn first_client(&self) -> Option<&str> {
        self.entries
            .keys()
            .find(|e| e.starts_with("client."))
            .map(String::as_str)
    }
}

/// `key AQ...` or `key AQ...==`: the word `key`, a blank, then no ` = `
/// before the value (the `=` of a base64 padding is not a separator).
fn is_key_without_equals(t: &str) -> bool {
    let Some(rest) = t.strip_prefix("key") else {
        return false;
    };
    rest.starts_with([' ', '\t']) && !rest.trim_start().starts_with('=')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyring_sections_and_keys_are_read() {
        let text = "# admin\n[client.admin]\n\tkey = AQDz6AVr1iekDBAA80UikzfAeOZJlwWVjfW4+A==\n\tcaps mon = \"allow *\"\n";
        let k = Keyring::parse(text, Path::new("k")).unwrap();
        assert_eq!(
            k.key("client.admin", Path::new("k")).unwrap().expose(),
            "AQDz6AVr1iekDBAA80UikzfAeOZJlwWVjfW4+A=="
        );
        assert_eq!(k.first_client(), Some("client.admin"));
    }

    #[test]
    fn trailing_blank_after_key_is_kept_for_validation() {
        let text = "[client.kube]\nkey = AQDz6AVr1iekDBAA80UikzfAeOZJlwWVjfW4+A== \n";
        let k = Keyring::parse(text, Path::new("k")).unwrap();
        let key = k.key("client.kube", Path::new("k")).unwrap();
        assert_eq!(
            crate::validate::validate_key("client.kube", key)[0].code,
            "KM227"
        );
    }

    #[test]
    fn a_key_without_equals_is_a_finding_at_its_line() {
        for line in ["key AQDz6AVr1iekDBAA80UikzfAeOZJlwWVjfW4+A==", "key AQD"] {
            let text = format!("[client.admin]\n{line}\n");
            let k = Keyring::parse(&text, Path::new("/etc/x.keyring")).unwrap();
            assert!(k.entries.is_empty());
            assert_eq!(k.findings.len(), 1, "{line}");
            assert_eq!(k.findings[0].code, "KM227");
            assert_eq!(k.findings[0].line, Some(2));
            assert!(
                !k.findings[0].message.contains("AQDz"),
                "{:?}",
                k.findings[0]
            );
        }
    }

    #[test]
    fn malformed_keyring_names_file_and_line() {
        let e = Keyring::parse("[client.admin]\ncaps mon\n", Path::new("/etc/x.keyring"))
            .unwrap_err()
            .to_string();
        assert_eq!(e, "/etc/x.keyring:2: expected `key = value`");
        let e = Keyring::parse("[client.admin\n", Path::new("/t/k3.keyring")).unwrap_err();
        assert_eq!(
            kubemagic_core::redact(&e.to_string()),
            "/t/k3.keyring:1: unterminated section header"
        );
        assert!(Keyring::parse("key = x\n", Path::new("k")).is_err());
        assert!(Keyring::parse("[client.admin\n", Path::new("k")).is_err());
    }

    #[test]
    fn missing_entity_is_an_error() {
        let k = Keyring::parse("[client.admin]\nkey = x\n", Path::new("k")).unwrap();
        assert!(k.key("client.kube", Path::new("k")).is_err());
    }
}
