//! Ceph keyring files (`ceph.client.admin.keyring`).
//!
//! Written by hand: a keyring is Ceph's own INI dialect (`[client.admin]`
//! sections, `key = ...`, `caps mon = "..."`, `#`/`;` comments) and only the
//! `key` of one entity is needed here; a general INI crate would normalise
//! keys and values in ways Ceph does not. Keys keep their raw text so
//! validation can report stray whitespace.

use crate::error::{CephError, Result};
use crate::model::CephKey;
use std::collections::BTreeMap;
use std::path::Path;

/// Entities of a keyring and their keys, in file order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Keyring {
    /// Key of each entity (`client.admin`), by entity.
    pub entries: BTreeMap<String, CephKey>,
}

impl Keyring {
    /// Reads and parses a keyring file.
    pub fn read(path: &Path) -> Result<Keyring> {
        let text = std::fs::read_to_string(path).map_err(|source| CephError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Keyring::parse(&text, path)
    }

    /// Parses keyring text; `path` names the file in errors.
    pub fn parse(text: &str, path: &Path) -> Result<Keyring> {
        let mut entries = BTreeMap::new();
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
                entries.insert(entity, CephKey::new(raw));
            }
        }
        Ok(Keyring { entries })
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
    fn malformed_keyring_names_file_and_line() {
        let e = Keyring::parse("[client.admin]\nkey AQD\n", Path::new("/etc/x.keyring"))
            .unwrap_err()
            .to_string();
        assert_eq!(e, "/etc/x.keyring:2: expected `key = value`");
        assert!(Keyring::parse("key = x\n", Path::new("k")).is_err());
        assert!(Keyring::parse("[client.admin\n", Path::new("k")).is_err());
    }

    #[test]
    fn missing_entity_is_an_error() {
        let k = Keyring::parse("[client.admin]\nkey = x\n", Path::new("k")).unwrap();
        assert!(k.key("client.kube", Path::new("k")).is_err());
    }
}
