//! The placement-group budget: what Ceph's monitors refuse with `ERANGE`
//! when a pool is created or grown past it (ceph-ansible issue 6271).
//!
//! Ceph 16.2's `OSDMonitor::check_pg_num` (src/mon/OSDMonitor.cc, tag
//! v16.2.15) sums `pg_num × size` over every pool plus the pool being
//! created, and refuses when the sum exceeds `mon_max_pg_per_osd × the OSDs
//! that are in`, counting at least 3 OSDs (verified on 16.2.15: one OSD in,
//! `osd pool create big 1024` answers "Error ERANGE: pg_num 1024 size 1
//! would mean 1024 total pgs, which exceeds max 750 (mon_max_pg_per_osd 250
//! times num_in_osds 3)"). The same sum is computed here, before anything
//! is created, so `prepare` refuses with the option's name and `doctor`
//! shows how much room is left.

use kubemagic_core::Finding;
use serde::Serialize;

/// The budget's inputs, as asked of the cluster.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct PgBudget {
    /// `mon_max_pg_per_osd`.
    pub max_per_osd: u64,
    /// OSDs `in` (`osd stat`'s `num_in_osds`).
    pub osds_in: u32,
    /// Σ `pg_num × size` over the existing pools.
    pub in_use: u64,
    /// `osd_pool_default_size`: the size of a pool `prepare` creates.
    pub default_size: u32,
    /// `osd_pool_default_pg_num`: its pg_num when none is asked for.
    pub default_pg_num: u32,
}

impl PgBudget {
    /// The OSDs Ceph counts: those in, at least 3 (the monitor's floor).
    pub fn osds_counted(&self) -> u32 {
        self.osds_in.max(3)
    }

    /// The most PG replicas the monitors accept.
    pub fn max(&self) -> u64 {
        self.max_per_osd * u64::from(self.osds_counted())
    }

    /// What a new pool of `pg_num` (the default when `None`) adds.
    pub fn new_pool(&self, pg_num: Option<u32>) -> u64 {
        u64::from(pg_num.unwrap_or(self.default_pg_num)) * u64::from(self.default_size.max(1))
    }

    /// KM251 when the pools in use plus `adding` exceed the budget: an
    /// error naming the option, the sum and what would fit.
    pub fn check(&self, adding: Option<(&str, u64)>) -> Option<Finding> {
        let add = adding.map_or(0, |(_, n)| n);
        let projected = self.in_use + add;
        if projected <= self.max() {
            return None;
        }
        let what = match adding {
            Some((pool, n)) => format!(
                "pools in use ({} PG replicas) plus pool {pool} ({n})",
                self.in_use
            ),
            None => format!("pools in use ({} PG replicas)", self.in_use),
        };
        Some(
            Finding::error(
                "KM251",
                format!(
                    "{what} = {projected}, over the budget of {} (mon_max_pg_per_osd {} × {} OSD(s), {} in, Ceph counts at least 3): Ceph refuses new pools and pg_num increases with ERANGE; a PVC's pool cannot be created. Use a smaller pg_num, add OSDs, or raise mon_max_pg_per_osd",
                    self.max(),
                    self.max_per_osd,
                    self.osds_counted(),
                    self.osds_in
                ),
            )
            .variable("mon_max_pg_per_osd"),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b() -> PgBudget {
        PgBudget {
            max_per_osd: 250,
            osds_in: 3,
            in_use: 600,
            default_size: 3,
            default_pg_num: 32,
        }
    }

    #[test]
    fn a_pool_within_the_budget_passes() {
        assert!(b().check(Some(("kube", b().new_pool(Some(32))))).is_none());
        assert!(b().check(None).is_none());
    }

    #[test]
    fn a_pool_over_the_budget_names_the_option() {
        let f = b().check(Some(("kube", b().new_pool(Some(64))))).unwrap();
        assert_eq!(f.code, "KM251");
        assert!(
            f.message.contains("mon_max_pg_per_osd 250 × 3"),
            "{}",
            f.message
        );
        assert!(f.message.contains("= 792"), "{}", f.message);
    }
}
