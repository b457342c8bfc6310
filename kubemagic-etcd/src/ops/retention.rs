//! `maintain --snapshot-dir`: the snapshot, its record in the manifest, and
//! the retention that deletes only what the manifest records.

use super::maintain::MaintainReport;
use super::snapshot::snapshot_save;
use crate::client::Cluster;
use crate::maintain::{self, DirEntry, Manifest, ManifestEntry};
use crate::model::ClusterStatus;
use std::path::Path;

/// The run stopped; the report says why.
pub(super) struct Stopped;

/// Reads the manifest; a missing one is empty (a first run, or a directory
/// maintain never wrote into). One that cannot be parsed stops retention:
/// without the record, nothing may be deleted.
fn read_manifest(dir: &Path) -> Result<Manifest, String> {
    let path = dir.join(maintain::MANIFEST);
    match kubemagic_fs::read(&path, kubemagic_fs::limits::MAX_STATE_BYTES) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map_err(|e| format!("{}: {e}; no snapshot deleted", path.display())),
        Err(e) if e.is_not_found() => Ok(Manifest::default()),
        Err(e) => Err(format!("{e}; no snapshot deleted")),
    }
}

fn write_manifest(dir: &Path, m: &Manifest) -> Result<(), String> {
    let path = dir.join(maintain::MANIFEST);
    let mut text = serde_json::to_vec_pretty(m).map_err(|e| e.to_string())?;
    text.push(b'\n');
    kubemagic_fs::write_atomic(&path, &text, 0o600).map_err(|e| e.to_string())
}

/// The regular files of the snapshot directory, with their sizes and ages.
fn list(dir: &Path) -> Result<Vec<(DirEntry, std::time::Duration)>, String> {
    let rd = std::fs::read_dir(dir).map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
    let now = std::time::SystemTime::now();
    Ok(rd
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            // symlink_metadata: a link is never a snapshot of ours.
            let meta = e.path().symlink_metadata().ok()?;
            if !meta.is_file() {
                return None;
            }
            let age = meta
                .modified()
                .ok()
                .and_then(|m| now.duration_since(m).ok())
                .unwrap_or_default();
            let name = e.file_name().into_string().ok()?;
            Some((
                DirEntry {
                    name,
                    size: meta.len(),
                },
                age,
            ))
        })
        .collect())
}

/// Takes the snapshot into `dir`, records it in the manifest, removes the
/// temporary files dead runs left and deletes the oldest recorded
/// snapshots beyond `keep`.
pub(super) async fn snapshot_and_prune(
    cluster: &Cluster,
    st: &ClusterStatus,
    dir: &Path,
    from: &str,
    keep: usize,
    report: &mut MaintainReport,
) -> Result<(), Stopped> {
    let who = st
        .members
        .iter()
        .find(|m| m.endpoint == from)
        .map(|m| {
            m.name
                .clone()
                .or(m.id.map(|i| i.to_string()))
                .unwrap_or_else(|| m.endpoint.clone())
        })
        .unwrap_or_else(|| from.to_string());
    let name = maintain::snapshot_name(std::time::SystemTime::now(), &who);
    let path = dir.join(&name);
    let snap = match snapshot_save(cluster, &path, Some(from)).await {
        Ok(r) => r,
        Err(e) => {
            report.errors.push(format!("snapshot failed: {e}"));
            return Err(Stopped);
        }
    };
    let entry = ManifestEntry {
        name: name.clone(),
        size: snap.size.as_u64(),
        sha256: snap.sha256.clone(),
    };
    report.snapshot = Some(snap);
    let fail = |report: &mut MaintainReport, e: String| {
        report.errors.push(e);
        Stopped
    };
    let mut manifest = read_manifest(dir).map_err(|e| fail(report, e))?;
    manifest.snapshots.retain(|e| e.name != name);
    manifest.snapshots.push(entry);
    write_manifest(dir, &manifest).map_err(|e| fail(report, e))?;
    let files = list(dir).map_err(|e| fail(report, e))?;
    for (f, age) in &files {
        if maintain::is_stale_temporary(&f.name, *age) {
            let p = dir.join(&f.name);
            match std::fs::remove_file(&p) {
                Ok(()) => report.removed_temporary.push(p),
                Err(e) => report
                    .errors
                    .push(format!("cannot delete {}: {e}", p.display())),
            }
        }
    }
    let present: Vec<DirEntry> = files.into_iter().map(|(f, _)| f).collect();
    for old in maintain::snapshots_to_delete(&manifest, &present, &name, keep) {
        let p = dir.join(&old);
        match std::fs::remove_file(&p) {
            Ok(()) => {
                manifest.snapshots.retain(|e| e.name != old);
                report.deleted_snapshots.push(p);
            }
            Err(e) => report
                .errors
                .push(format!("cannot delete {}: {e}", p.display())),
        }
    }
    // Entries whose file is gone (deleted by hand) are forgotten too.
    manifest
        .snapshots
        .retain(|e| present.iter().any(|f| f.name == e.name) || e.name == name);
    write_manifest(dir, &manifest).map_err(|e| fail(report, e))
}
