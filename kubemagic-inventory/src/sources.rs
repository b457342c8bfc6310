//! Inventory sources: files, directories and host lists, dispatched to the
//! parsers in the order of Ansible's enabled inventory plugins
//! (`INVENTORY_ENABLED`: host_list, script, auto, yaml, ini, toml), as
//! `InventoryManager.parse_sources`/`parse_source` do.
//!
//! Where Ansible only warns (a source that no plugin could parse, a missing
//! path), kubemagic fails with the file and line, because a silently
//! dropped inventory gives wrong answers with confidence.

use crate::data::InventoryData;
use crate::error::{InventoryError, Result, Warning, WarningKind};
use crate::text::{decode_utf8, splitext_ext};
use std::path::{Component, Path, PathBuf};

/// Names a directory source never reads, as `manager.py`'s `IGNORED`:
/// hidden entries, `host_vars`, `group_vars`, `vars_plugins`, and the
/// default `INVENTORY_IGNORE_EXTS` (`REJECT_EXTS` + `.orig .cfg .retry`).
const IGNORED_NAMES: [&str; 3] = ["host_vars", "group_vars", "vars_plugins"];
const IGNORED_EXTS: [&str; 12] = [
    ".pyc", ".pyo", ".swp", ".bak", "~", ".rpm", ".md", ".txt", ".rst", ".orig", ".cfg", ".retry",
];

/// `True` when a directory source skips an entry of this name.
pub fn is_ignored_entry(name: &str) -> bool {
    name.starts_with('.')
        || IGNORED_NAMES.contains(&name)
        || IGNORED_EXTS.iter().any(|e| name.ends_with(e))
}

/// Ansible's `unfrackpath(source, follow=False)`: `~` expanded, made
/// absolute against the working directory, normalised without resolving
/// symlinks.
pub fn unfrack(source: &Path) -> PathBuf {
    let s = source.to_string_lossy();
    let expanded = if s == "~" || s.starts_with("~/") {
        match std::env::var_os("HOME") {
            Some(home) => {
                PathBuf::from(home).join(s.trim_start_matches('~').trim_start_matches('/'))
            }
            None => source.to_path_buf(),
        }
    } else {
        source.to_path_buf()
    };
    let abs = if expanded.is_absolute() {
        expanded
    } else {
        std::env::current_dir()
            .map(|d| d.join(&expanded))
            .unwrap_or(expanded)
    };
    normpath(&abs)
}

/// `os.path.normpath` for absolute paths.
fn normpath(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// Whether a source string is an inline host list (`-i 'a,b,'`), which
/// Ansible's `host_list` plugin takes when the path does not exist.
pub fn is_host_list(source: &Path) -> bool {
    source.to_string_lossy().contains(',') && !source.exists()
}

/// Parses every source into `data` and reconciles, as `parse_sources`.
/// Returns the parsed file paths (Ansible's `processed_sources`).
pub fn parse_sources(sources: &[PathBuf], data: &mut InventoryData) -> Result<Vec<PathBuf>> {
    let mut processed = Vec::new();
    for source in sources {
        if source.as_os_str().is_empty() {
            continue;
        }
        if is_host_list(source) {
            parse_host_list(&source.to_string_lossy(), data)?;
            continue;
        }
        let path = unfrack(source);
        parse_source(&path, data, &mut processed, false)?;
    }
    // Ansible reconciles only when something was parsed; with nothing parsed
    // the fresh inventory is already consistent.
    data.reconcile()?;
    Ok(processed)
}

/// Returns whether anything was parsed (Ansible's `parsed`).
/// `walked`: the file was found by walking a directory source rather than
/// named by the user. Ansible warns "Unable to parse ... as an inventory
/// source" and goes on for both; kubemagic stops on a file the user named
/// (an inventory that silently loses a file is the mistake it exists to
/// catch) and warns for a walked one (kubespray's sample directory holds
/// kubeadm `patches/`, users keep an `ssh_config` or notes beside hosts).
fn parse_source(
    path: &Path,
    data: &mut InventoryData,
    processed: &mut Vec<PathBuf>,
    walked: bool,
) -> Result<bool> {
    if path.is_dir() {
        let mut names: Vec<String> = Vec::new();
        let rd = std::fs::read_dir(path).map_err(|e| InventoryError::io(path, e))?;
        for entry in rd {
            let entry = entry.map_err(|e| InventoryError::io(path, e))?;
            names.push(entry.file_name().to_string_lossy().into_owned());
        }
        names.sort();
        let mut parsed = false;
        for name in names {
            if is_ignored_entry(&name) {
                continue;
            }
            parsed |= parse_source(&path.join(name), data, processed, true)?;
        }
        if !parsed {
            // A directory that yields no inventory (only group_vars, or
            // files no plugin reads): Ansible warns for it too.
            let why = "no file in it is an inventory";
            if !walked {
                return Err(InventoryError::parse(path, None, why));
            }
            data.warnings.push(unparsed(path, None, why));
        }
        return Ok(parsed);
    }
    if !path.exists() {
        return Err(InventoryError::parse(
            path,
            None,
            "inventory source does not exist (ansible-inventory would only warn and skip it)",
        ));
    }
    // A FIFO or a device is refused even when walked: Ansible would read it
    // and block (or never finish), so there is no behaviour to match.
    let bytes = kubemagic_fs::read(path, kubemagic_fs::limits::MAX_SOURCE_BYTES)?;
    let parsed = decode_utf8(bytes, path).and_then(|text| parse_file(path, &text, data));
    match parsed {
        Ok(()) => {
            processed.push(path.to_path_buf());
            Ok(true)
        }
        Err(e) if walked => {
            let (line, why) = match &e {
                InventoryError::Parse { line, message, .. } => (*line, message.clone()),
                other => (None, other.to_string()),
            };
            data.warnings.push(unparsed(path, line, &why));
            Ok(false)
        }
        Err(e) => Err(e),
    }
}

/// Ansible's "Unable to parse PATH as an inventory source", and why.
fn unparsed(path: &Path, line: Option<u32>, why: &str) -> Warning {
    Warning::new(
        WarningKind::Unparsed,
        path,
        line,
        None,
        format!(
            "Unable to parse {} as an inventory source, skipped as Ansible skips it: {why}",
            path.display()
        ),
    )
}

/// One file through the plugin chain. `yaml` takes extensionless files and
/// `.yml/.yaml/.json`; `ini` takes anything but `.toml`; when the first
/// plugin fails without having touched the inventory, the next is tried,
/// exactly as Ansible's loop does (so an empty `hosts.yml` is an empty INI
/// inventory, not an error).
fn parse_file(path: &Path, text: &str, data: &mut InventoryData) -> Result<()> {
    let ext = splitext_ext(path);
    match ext.as_str() {
        ".toml" => Err(InventoryError::parse(
            path,
            None,
            "TOML inventories are not supported by kubemagic",
        )),
        "" | ".yml" | ".yaml" | ".json" => {
            use crate::yaml_inventory::{parse_yaml_inventory_or_decline, YamlParse};
            match parse_yaml_inventory_or_decline(text, path, data)? {
                YamlParse::Parsed => Ok(()),
                YamlParse::Declined(yaml_err) => match crate::ini::parse_ini(text, path, data) {
                    Ok(()) => Ok(()),
                    Err(ini_err) => {
                        if ext.is_empty() && !looks_like_yaml(text) {
                            Err(ini_err)
                        } else {
                            Err(yaml_err)
                        }
                    }
                },
            }
        }
        _ => crate::ini::parse_ini(text, path, data),
    }
}

/// For an extensionless file both plugins failed on: report the YAML error
/// when the file reads as YAML (first meaningful line is `key:`), else the
/// INI one.
fn looks_like_yaml(text: &str) -> bool {
    for line in text.lines() {
        let t = line.trim();
        if t.is_empty() || t.starts_with('#') || t.starts_with(';') || t == "---" {
            continue;
        }
        return !t.starts_with('[') && (t.ends_with(':') || t.contains(": ") || t.starts_with('{'));
    }
    false
}

/// Ansible's `host_list` plugin: `-i 'host1,host2:2222,'`.
fn parse_host_list(list: &str, data: &mut InventoryData) -> Result<()> {
    for h in list.split(',') {
        let h = h.trim();
        if h.is_empty() {
            continue;
        }
        let (host, port) = match crate::pattern::parse_address(h, false) {
            Some((host, port)) => (host, port),
            None => (h.to_string(), None),
        };
        if data.host_id(&host).is_none() {
            let port = match port {
                Some(p) => Some(u16::try_from(p).map_err(|_| {
                    InventoryError::Model(format!("port out of range in host list entry {h}"))
                })?),
                None => None,
            };
            data.add_host(&host, Some("ungrouped"), port, None)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitext_ignores_leading_dots() {
        assert_eq!(splitext_ext(Path::new("/a/.hosts")), "");
        assert_eq!(splitext_ext(Path::new("/a/hosts.yml")), ".yml");
        assert_eq!(splitext_ext(Path::new("/a.b/hosts")), "");
    }

    #[test]
    fn directory_walk_skips_ansible_ignored_names() {
        assert!(is_ignored_entry(".git"));
        assert!(is_ignored_entry("group_vars"));
        assert!(is_ignored_entry("hosts.retry"));
        assert!(is_ignored_entry("notes.txt"));
        assert!(!is_ignored_entry("hosts.ini"));
    }
}
