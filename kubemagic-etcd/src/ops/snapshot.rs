//! `snapshot save`: a verified snapshot streamed into a temporary file and
//! renamed into place.

use super::first_reachable;
use super::status::status;
use crate::client::Cluster;
use crate::error::EtcdError;
use kubemagic_core::ByteSize;
use serde::Serialize;
use std::path::{Path, PathBuf};

/// A snapshot written to disk.
#[derive(Debug, Clone, Serialize)]
pub struct SnapshotReport {
    /// The member it was streamed from.
    pub endpoint: String,
    /// The file written.
    pub path: PathBuf,
    /// Its size.
    pub size: ByteSize,
    /// SHA-256 of the file as written, hex.
    pub sha256: String,
    /// The member's revision in the status read just before the snapshot;
    /// `None` when that status could not be read.
    pub revision: Option<i64>,
}

/// Streams a snapshot from one member (the leader unless `endpoint` names
/// one) into a temporary file beside `path`, checks etcd's trailing SHA-256
/// (the server appends the digest of the database to the stream), fsyncs,
/// renames into place and fsyncs the directory. A failure leaves no partial
/// file at `path`.
pub async fn snapshot_save(
    cluster: &Cluster,
    path: &Path,
    endpoint: Option<&str>,
) -> Result<SnapshotReport, EtcdError> {
    use sha2::{Digest, Sha256};
    use tokio::io::AsyncWriteExt;

    let st = status(cluster).await;
    let m = match endpoint {
        Some(e) => cluster
            .member(e)
            .ok_or_else(|| EtcdError::InvalidEndpoint {
                endpoint: e.to_string(),
                message: format!(
                    "not the client URL of any member (members: {})",
                    cluster
                        .members
                        .iter()
                        .map(|m| m.endpoint.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            })?,
        None => first_reachable(cluster, &st).ok_or(EtcdError::NoHealthyMember("snapshot"))?,
    };
    let revision = st
        .members
        .iter()
        .find(|s| s.endpoint == m.endpoint)
        .and_then(|s| s.live.as_ref().map(|l| l.revision));
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let io = |source| EtcdError::Io {
        path: path.to_path_buf(),
        source,
    };
    let tmp = tempfile::Builder::new()
        .prefix(".kubemagic-snapshot-")
        .tempfile_in(&dir)
        .map_err(|source| EtcdError::Io {
            path: dir.clone(),
            source,
        })?;
    let (std_file, tmp_path) = tmp.into_parts();
    let mut file = tokio::fs::File::from_std(std_file);

    let mut c = m.client.clone();
    let mut stream = m
        .call(
            "snapshot",
            m.timeouts.command,
            async move { c.snapshot().await },
        )
        .await?;
    let mut whole = Sha256::new();
    let mut body = Sha256::new();
    // The last 32 bytes are etcd's digest of everything before them; keep
    // them back until the stream ends.
    let mut tail: Vec<u8> = Vec::with_capacity(64);
    let mut size: u64 = 0;
    loop {
        let msg = m
            .call("snapshot", m.timeouts.defrag, stream.message())
            .await?;
        let Some(msg) = msg else { break };
        let blob = msg.blob();
        whole.update(blob);
        size += blob.len() as u64;
        file.write_all(blob).await.map_err(io)?;
        tail.extend_from_slice(blob);
        if tail.len() > 32 {
            let cut = tail.len() - 32;
            body.update(&tail[..cut]);
            tail.drain(..cut);
        }
    }
    if tail.len() != 32 {
        return Err(EtcdError::SnapshotIntegrity {
            endpoint: m.endpoint.clone(),
            message: format!("stream ended after {size} bytes, too short to hold a digest"),
        });
    }
    if body.finalize().as_slice() != tail.as_slice() {
        return Err(EtcdError::SnapshotIntegrity {
            endpoint: m.endpoint.clone(),
            message: "trailing SHA-256 does not match the data (truncated or corrupted stream)"
                .into(),
        });
    }
    file.flush().await.map_err(io)?;
    file.sync_all().await.map_err(io)?;
    drop(file);
    tmp_path.persist(path).map_err(|e| io(e.error))?;
    if let Ok(d) = std::fs::File::open(&dir) {
        // Make the rename itself durable.
        let _ = d.sync_all();
    }
    let sha256 = whole
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok(SnapshotReport {
        endpoint: m.endpoint.clone(),
        path: path.to_path_buf(),
        size: ByteSize::b(size),
        sha256,
        revision,
    })
}
