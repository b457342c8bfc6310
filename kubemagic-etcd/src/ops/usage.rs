//! `usage`: keys and bytes per Kubernetes resource, at one revision.

use super::first_reachable;
use super::status::status;
use crate::client::Cluster;
use crate::error::EtcdError;
use etcd_client::GetOptions;
use kubemagic_core::ByteSize;
use serde::Serialize;
use std::collections::BTreeMap;

/// Keys and bytes of one Kubernetes resource (see [`resource_of`]).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ResourceUsage {
    /// The resource, e.g. `pods` or `apiregistration.k8s.io/apiservices`.
    pub resource: String,
    /// Number of keys.
    pub keys: u64,
    /// Key plus value bytes (key bytes only with `keys_only`).
    pub bytes: ByteSize,
}

/// Where a member's keyspace goes, per resource: what fills a database.
#[derive(Debug, Clone, Serialize)]
pub struct UsageReport {
    /// The member read.
    pub endpoint: String,
    /// The key prefix scanned.
    pub prefix: String,
    /// The revision every page was read at, so that the totals are one
    /// consistent view.
    pub revision: i64,
    /// Whether only keys were read (cheaper; bytes then count keys only).
    pub keys_only: bool,
    /// Keys under the prefix.
    pub total_keys: u64,
    /// Bytes under the prefix.
    pub total_bytes: ByteSize,
    /// Sorted by bytes, largest first.
    pub resources: Vec<ResourceUsage>,
}

/// The Kubernetes resource a key belongs to: `/registry/pods/ns/name` →
/// `pods`; `/registry/apiregistration.k8s.io/apiservices/x` →
/// `apiregistration.k8s.io/apiservices` (API groups contain a dot).
pub fn resource_of(key: &[u8], prefix: &str) -> String {
    let k = String::from_utf8_lossy(key);
    let rest = k.strip_prefix(prefix).unwrap_or(&k);
    let mut parts = rest.split('/').filter(|p| !p.is_empty());
    match (parts.next(), parts.next()) {
        (Some(a), Some(b)) if a.contains('.') => format!("{a}/{b}"),
        (Some(a), _) => a.to_string(),
        _ => "(root)".to_string(),
    }
}

/// The end of the key range that holds every key starting with `prefix`.
fn prefix_end(prefix: &[u8]) -> Vec<u8> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < 0xff {
            end.push(last + 1);
            return end;
        }
    }
    vec![0]
}

/// Counts keys and bytes per resource under `prefix`, page by page at one
/// pinned revision (so the totals are a consistent picture), through a
/// serializable read on one member so the leader is not loaded.
pub async fn usage(
    cluster: &Cluster,
    prefix: &str,
    keys_only: bool,
    page: i64,
) -> Result<UsageReport, EtcdError> {
    let st = status(cluster).await;
    let m = first_reachable(cluster, &st).ok_or(EtcdError::NoHealthyMember("usage"))?;
    let end = prefix_end(prefix.as_bytes());
    let mut from = prefix.as_bytes().to_vec();
    let mut revision = 0i64;
    let mut per: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    loop {
        let mut opts = GetOptions::new()
            .with_range(end.clone())
            .with_limit(page.max(1));
        if keys_only {
            opts = opts.with_keys_only();
        }
        if revision > 0 {
            opts = opts.with_revision(revision);
        }
        let mut c = m.client.clone();
        let key = from.clone();
        let resp = m
            .call("get", m.timeouts.command, async move {
                c.get(key, Some(opts)).await
            })
            .await?;
        if revision == 0 {
            revision = resp.header().map(|h| h.revision()).unwrap_or(0);
        }
        let kvs = resp.kvs();
        for kv in kvs {
            let e = per.entry(resource_of(kv.key(), prefix)).or_default();
            e.0 += 1;
            e.1 += (kv.key().len() + kv.value().len()) as u64;
        }
        match kvs.last() {
            Some(last) if resp.more() => {
                from = last.key().to_vec();
                from.push(0);
            }
            _ => break,
        }
    }
    let mut resources: Vec<ResourceUsage> = per
        .into_iter()
        .map(|(resource, (keys, bytes))| ResourceUsage {
            resource,
            keys,
            bytes: ByteSize::b(bytes),
        })
        .collect();
    resources.sort_by(|a, b| b.bytes.cmp(&a.bytes).then(a.resource.cmp(&b.resource)));
    Ok(UsageReport {
        endpoint: m.endpoint.clone(),
        prefix: prefix.to_string(),
        revision,
        keys_only,
        total_keys: resources.iter().map(|r| r.keys).sum(),
        total_bytes: ByteSize::b(resources.iter().map(|r| r.bytes.as_u64()).sum()),
        resources,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_map_to_kubernetes_resources() {
        assert_eq!(
            resource_of(b"/registry/pods/default/web-1", "/registry/"),
            "pods"
        );
        assert_eq!(
            resource_of(
                b"/registry/apiregistration.k8s.io/apiservices/v1.",
                "/registry/"
            ),
            "apiregistration.k8s.io/apiservices"
        );
        assert_eq!(resource_of(b"/registry/", "/registry/"), "(root)");
    }

    #[test]
    fn prefix_end_increments_the_last_byte() {
        assert_eq!(prefix_end(b"/registry/"), b"/registry0".to_vec());
        assert_eq!(prefix_end(b"a\xff"), b"b".to_vec());
        assert_eq!(prefix_end(b""), vec![0]);
    }
}
