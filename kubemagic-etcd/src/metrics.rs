//! The three gauges kubemagic needs from a member's Prometheus `/metrics`.
//!
//! Written by hand rather than with a Prometheus parser crate: we read three
//! unlabelled gauges by exact name, which is a few lines, and the parser
//! crates on crates.io are either unmaintained or pull a whole client.

use kubemagic_core::ByteSize;

/// Sizes a member reports about its backend. etcd 3.4's Status RPC has no
/// quota field (`db_size_quota` arrived in 3.6), hence the metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MemberMetrics {
    /// `etcd_server_quota_backend_bytes`: the effective quota (2 GiB when
    /// the flag is 0 or unset).
    pub quota_backend_bytes: Option<ByteSize>,
    /// `etcd_mvcc_db_total_size_in_bytes`
    pub db_total_size: Option<ByteSize>,
    /// `etcd_mvcc_db_total_size_in_use_in_bytes`
    pub db_in_use: Option<ByteSize>,
}

/// The in-use size of a member's backend: Status's `dbSizeInUse` when the
/// member reports it (etcd ≥ 3.4; etcd 3.3 has no such field and the
/// decoder yields 0), else `/metrics`' in-use gauge, else unknown. A real
/// backend always has pages in use, so 0 means "not reported".
pub fn in_use(status_in_use: i64, metrics: Option<&MemberMetrics>) -> Option<ByteSize> {
    if status_in_use > 0 {
        return Some(ByteSize::b(status_in_use as u64));
    }
    metrics.and_then(|m| m.db_in_use).filter(|b| b.as_u64() > 0)
}

/// Parses Prometheus text exposition, keeping the three gauges above.
pub fn parse(text: &str) -> MemberMetrics {
    let mut m = MemberMetrics::default();
    for line in text.lines() {
        if line.starts_with('#') {
            continue;
        }
        let mut parts = line.split_whitespace();
        let (Some(name), Some(value)) = (parts.next(), parts.next()) else {
            continue;
        };
        let slot = match name {
            "etcd_server_quota_backend_bytes" => &mut m.quota_backend_bytes,
            "etcd_mvcc_db_total_size_in_bytes" => &mut m.db_total_size,
            "etcd_mvcc_db_total_size_in_use_in_bytes" => &mut m.db_in_use,
            _ => continue,
        };
        // Prometheus prints floats, e.g. `2.097152e+07`.
        if let Ok(v) = value.parse::<f64>() {
            if v.is_finite() && v >= 0.0 && v < u64::MAX as f64 {
                *slot = Some(ByteSize::b(v.round() as u64));
            }
        }
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_quota_and_sizes_in_scientific_notation() {
        let text =
            "# HELP etcd_server_quota_backend_bytes Current backend storage quota size in bytes.\n\
# TYPE etcd_server_quota_backend_bytes gauge\n\
etcd_server_quota_backend_bytes 2.097152e+07\n\
etcd_mvcc_db_total_size_in_bytes 2.1008384e+07\n\
etcd_mvcc_db_total_size_in_use_in_bytes 1.2288e+06\n\
etcd_debugging_mvcc_db_total_size_in_bytes 2.1008384e+07\n";
        let m = parse(text);
        assert_eq!(m.quota_backend_bytes, Some(ByteSize::mib(20)));
        assert_eq!(m.db_total_size, Some(ByteSize::b(21_008_384)));
        assert_eq!(m.db_in_use, Some(ByteSize::b(1_228_800)));
    }

    /// `/metrics` of an etcd 3.3.25 member (abridged): no quota gauge and
    /// no in-use gauge, only the total sizes.
    const ETCD_33_METRICS: &str = "\
# HELP etcd_debugging_mvcc_db_total_size_in_bytes Total size of the underlying database physically allocated in bytes.
# TYPE etcd_debugging_mvcc_db_total_size_in_bytes gauge
etcd_debugging_mvcc_db_total_size_in_bytes 2.4576e+06
# HELP etcd_mvcc_db_total_size_in_bytes Total size of the underlying database physically allocated in bytes.
# TYPE etcd_mvcc_db_total_size_in_bytes gauge
etcd_mvcc_db_total_size_in_bytes 2.4576e+06
# HELP etcd_server_has_leader Whether or not a leader exists. 1 is existence, 0 is not.
# TYPE etcd_server_has_leader gauge
etcd_server_has_leader 1
";

    #[test]
    fn etcd_33_without_in_use_anywhere_leaves_it_unknown() {
        // etcd 3.3's Status has no dbSizeInUse: the decoder yields 0.
        let m = parse(ETCD_33_METRICS);
        assert_eq!(m.db_total_size, Some(ByteSize::b(2_457_600)));
        assert_eq!(m.quota_backend_bytes, None);
        assert_eq!(in_use(0, Some(&m)), None);
        assert_eq!(in_use(0, None), None);
    }

    #[test]
    fn etcd_33_in_use_comes_from_metrics_when_status_lacks_it() {
        let text = format!("{ETCD_33_METRICS}etcd_mvcc_db_total_size_in_use_in_bytes 1.2288e+06\n");
        let m = parse(&text);
        assert_eq!(in_use(0, Some(&m)), Some(ByteSize::b(1_228_800)));
        // etcd >= 3.4: Status wins.
        assert_eq!(in_use(4096, Some(&m)), Some(ByteSize::b(4096)));
    }

    #[test]
    fn garbage_yields_nothing_not_a_panic() {
        assert_eq!(
            parse("etcd_server_quota_backend_bytes NaN\n\u{0}\nfoo"),
            MemberMetrics::default()
        );
    }
}
