//! The maintain lock: one `kubemagic etcd maintain` per cluster at a time.

use crate::client::{Cluster, Member};
use crate::error::EtcdError;
use crate::maintain;
use etcd_client::{Compare, CompareOp, PutOptions, Txn, TxnOp};

/// The lock of one maintain run: a key under [`maintain::LOCK_KEY`]
/// attached to a lease that a background task keeps alive. Dropping it
/// without [`MaintainLock::release`] lets the lease expire.
pub struct MaintainLock {
    lease: i64,
    member: Member,
    keeper: tokio::task::JoinHandle<()>,
}

impl MaintainLock {
    /// Takes the lock, or says who holds it. Put-if-absent in one
    /// transaction, so two runs cannot both win.
    pub async fn acquire(cluster: &Cluster, holder: &str) -> Result<Self, MaintainLockError> {
        let m = cluster
            .first_answering()
            .or_else(|| cluster.members.first())
            .ok_or(MaintainLockError::Etcd(EtcdError::NoHealthyMember(
                "maintain lock",
            )))?
            .clone();
        let ttl = maintain::LOCK_TTL.as_secs() as i64;
        let mut c = m.client.clone();
        let lease = m
            .call("lease grant", m.timeouts.command, async move {
                c.lease_grant(ttl, None).await
            })
            .await?
            .id();
        let mut c = m.client.clone();
        let txn = Txn::new()
            .when(vec![Compare::create_revision(
                maintain::LOCK_KEY,
                CompareOp::Equal,
                0,
            )])
            .and_then(vec![TxnOp::put(
                maintain::LOCK_KEY,
                holder,
                Some(PutOptions::new().with_lease(lease)),
            )])
            .or_else(vec![TxnOp::get(maintain::LOCK_KEY, None)]);
        let r = m
            .call("lock", m.timeouts.command, async move { c.txn(txn).await })
            .await;
        let r = match r {
            Ok(r) => r,
            Err(e) => {
                revoke(&m, lease).await;
                return Err(e.into());
            }
        };
        if !r.succeeded() {
            revoke(&m, lease).await;
            let holder = r
                .op_responses()
                .into_iter()
                .find_map(|op| match op {
                    etcd_client::TxnOpResponse::Get(g) => g
                        .kvs()
                        .first()
                        .map(|kv| String::from_utf8_lossy(kv.value()).to_string()),
                    _ => None,
                })
                .unwrap_or_else(|| "unknown holder".into());
            return Err(MaintainLockError::Locked(holder));
        }
        let mut c = m.client.clone();
        let keeper = tokio::spawn(async move {
            let Ok((mut k, mut stream)) = c.lease_keep_alive(lease).await else {
                return;
            };
            loop {
                if k.keep_alive().await.is_err() {
                    return;
                }
                let _ = stream.message().await;
                tokio::time::sleep(maintain::LOCK_TTL / 3).await;
            }
        });
        Ok(MaintainLock {
            lease,
            member: m,
            keeper,
        })
    }

    /// Releases the lock now (revokes the lease, which deletes the key).
    pub async fn release(self) {
        self.keeper.abort();
        revoke(&self.member, self.lease).await;
    }
}

async fn revoke(m: &Member, lease: i64) {
    let mut c = m.client.clone();
    let _ = m
        .call("lease revoke", m.timeouts.command, async move {
            c.lease_revoke(lease).await
        })
        .await;
}

/// Why the maintain lock was not taken.
#[derive(Debug, thiserror::Error)]
pub enum MaintainLockError {
    /// Another run holds the lock: its holder.
    #[error("held by {0}")]
    Locked(String),
    /// etcd failed while the lock was being taken.
    #[error(transparent)]
    Etcd(#[from] EtcdError),
}

/// Who holds the lock, for the other runs' refusal: pid, host and start.
pub(super) fn lock_holder() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "unknown host".into());
    format!(
        "pid {} on {host}, started {}",
        std::process::id(),
        maintain::timestamp(std::time::SystemTime::now())
    )
}
