//! Operations against a live cluster, one module per operation: `status`
//! (and the light health round between two steps), `alarm`, `defrag` (and
//! compaction), `snapshot`, `usage`, `maintain` (under `lock`) and
//! `recover`. Decisions are delegated to `plan`, `maintain`, `health` and
//! `findings`; these modules only talk to etcd and return reports, which
//! [`crate::print`] writes.

mod alarm;
mod defrag;
mod lock;
mod maintain;
mod recover;
mod retention;
mod snapshot;
mod status;
mod usage;

pub use alarm::{alarm_disarm, alarm_list, disarm_one, DisarmReport, KeptAlarm};
pub use defrag::{compact, defrag, CompactReport, DefragReport, DefragResult};
pub use lock::{MaintainLock, MaintainLockError};
pub use maintain::{maintain, MaintainReport};
pub use recover::{recover, RecoveryReport, StepReport, PROBE_PREFIX};
pub use snapshot::{snapshot_save, SnapshotReport};
pub use status::{first_unhealthy_now, health_now, status};
pub use usage::{resource_of, usage, ResourceUsage, UsageReport};

use crate::client::{Cluster, Member};
use crate::error::EtcdError;
use crate::model::{Alarm, ClusterStatus};
use crate::Config;
use kubemagic_core::ByteSize;
use std::time::Duration;

/// What an operation reports while it runs (the CLI prints these as
/// progress; tests use them to act at a precise moment).
#[derive(Debug, Clone, PartialEq)]
pub enum Progress {
    /// A compaction starts.
    Compacting {
        /// The revision to compact to.
        revision: i64,
    },
    /// The compaction is done.
    Compacted {
        /// The revision compacted to.
        revision: i64,
        /// History was already compacted at or past `revision`.
        already: bool,
    },
    /// One member's defragmentation starts.
    DefragStart {
        /// The member's endpoint.
        endpoint: String,
        /// 1-based position in the defragmentation order.
        index: usize,
        /// Members to defragment in all.
        total: usize,
        /// Its database size before, when known.
        db_size: Option<ByteSize>,
    },
    /// One member's defragmentation is done.
    DefragDone {
        /// The member's endpoint.
        endpoint: String,
        /// Database size before, when known.
        before: Option<ByteSize>,
        /// Database size after, read from the member again.
        after: Option<ByteSize>,
        /// How long the defragmentation took.
        elapsed: Duration,
    },
    /// An alarm was disarmed.
    Disarmed {
        /// The alarm.
        alarm: Alarm,
    },
    /// The test write after the disarm succeeded: the cluster accepts writes.
    Probed,
}

/// The member one-member requests go to: the leader, else any reachable
/// member.
pub(crate) fn first_reachable<'a>(cluster: &'a Cluster, st: &ClusterStatus) -> Option<&'a Member> {
    st.leader()
        .or_else(|| st.members.iter().find(|m| m.is_reachable()))
        .and_then(|m| cluster.member(&m.endpoint))
}

/// The one way the front ends reach a cluster: connects with `config` (the
/// member list through the bootstrap endpoints, one client per member) and
/// runs `op` on it. The CLI's commands, its Nagios check and Python's
/// functions all come through here.
pub async fn with_cluster<T, F, Fut>(config: Config, op: F) -> Result<T, EtcdError>
where
    F: FnOnce(Cluster) -> Fut,
    Fut: std::future::Future<Output = T>,
{
    let cluster = Cluster::connect(config).await?;
    Ok(op(cluster).await)
}

/// `kubemagic etcd status --output nagios`: connect, read every member's
/// status, apply the monitoring rules ([`crate::monitor::report`]). A
/// cluster that cannot be asked at all is UNKNOWN here only when even the
/// connection could not be set up (bad configuration); unreachable members
/// are CRITICAL through the rules.
pub async fn nagios_check(
    config: Config,
    thresholds: crate::monitor::Thresholds,
) -> kubemagic_core::nagios::PluginOutput {
    match with_cluster(config, |c| async move { status(&c).await }).await {
        Ok(st) => crate::monitor::report(&st, thresholds),
        Err(e) => {
            kubemagic_core::nagios::PluginOutput::unknown(crate::monitor::SERVICE, e.to_string())
        }
    }
}
