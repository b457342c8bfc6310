//! `kubemagic etcd maintain`: routine upkeep meant for a daily timer —
//! snapshot with retention, optional compaction, and defragmentation of only
//! the members that need it, one at a time, followers first, leader last.
//! Everything here is pure (the plan, snapshot naming and retention, the
//! systemd units); `ops::maintain` carries it out under a lease-held lock.

use crate::model::{ClusterStatus, MemberStatus};
use crate::plan::Skipped;
use kubemagic_core::ByteSize;
use serde::Serialize;
use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The lock key's prefix: one maintain run per cluster at a time.
pub const LOCK_KEY: &str = "/kubemagic/maintain/lock";
/// Written (twice) after a compaction so that every member's backend
/// commits and releases the pages the compaction freed.
pub const LAST_COMPACTION_KEY: &str = "/kubemagic/maintain/last-compaction";
/// The lock's lease TTL: a run that dies frees the lock after this long; a
/// live run keeps the lease alive.
pub const LOCK_TTL: Duration = Duration::from_secs(30);
/// Name prefix of the snapshots maintain writes; retention only ever
/// considers files named `PREFIX<timestamp>-<member>.db`.
pub const SNAPSHOT_PREFIX: &str = "kubemagic-etcd-";

/// What the caller asked for.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MaintainOptions {
    /// Where to write a snapshot of the leader; no snapshot when `None`.
    pub snapshot_dir: Option<PathBuf>,
    /// Snapshots to keep in `snapshot_dir` (counting the new one);
    /// [`DEFAULT_KEEP`] when `None`. Only meaningful with `snapshot_dir`
    /// ([`MaintainOptions::check_args`] refuses it alone, and refuses `0`).
    pub keep: Option<usize>,
    /// A member is defragmented when its database is at least this big...
    pub defrag_min_size: ByteSize,
    /// ...and at least this % of it is free pages (or when it is above
    /// 80 % of its quota, whatever its size and fragmentation).
    pub defrag_min_free_pct: f64,
    /// Compact history to the current revision before defragmenting.
    pub compact: bool,
    /// Plan and report only; touch nothing.
    pub dry_run: bool,
}

impl MaintainOptions {
    /// Checks the options a caller typed before anything connects (the CLI
    /// and Python both call it; a refusal is a usage error, exit 2): the
    /// free-pages threshold is a percentage, `keep` is at least 1 (0 would
    /// delete the snapshot just written) and only given with a snapshot
    /// directory (silently ignoring it would leave an operator believing
    /// retention runs).
    pub fn check_args(&self) -> Result<(), MaintainArgError> {
        if !(0.0..=100.0).contains(&self.defrag_min_free_pct) {
            return Err(MaintainArgError::FreeNotAPercentage(
                self.defrag_min_free_pct,
            ));
        }
        match (self.keep, &self.snapshot_dir) {
            (Some(0), _) => Err(MaintainArgError::KeepZero),
            (Some(_), None) => Err(MaintainArgError::KeepWithoutDir),
            _ => Ok(()),
        }
    }

    /// The number of snapshots retention keeps.
    pub fn keep(&self) -> usize {
        self.keep.unwrap_or(DEFAULT_KEEP).max(1)
    }
}

/// Snapshots kept when `--keep` is not given.
pub const DEFAULT_KEEP: usize = 7;

/// Options that make no sense together or alone (a usage error).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MaintainArgError {
    /// `--defrag-min-free` outside 0..=100.
    #[error("--defrag-min-free: {0} is not a percentage (0 to 100)")]
    FreeNotAPercentage(f64),
    /// `--keep 0`.
    #[error("--keep must be at least 1 (0 would delete the snapshot just written)")]
    KeepZero,
    /// `--keep` without `--snapshot-dir`.
    #[error("--keep applies to the snapshots of --snapshot-dir: give --snapshot-dir too")]
    KeepWithoutDir,
}

impl Default for MaintainOptions {
    fn default() -> Self {
        MaintainOptions {
            snapshot_dir: None,
            keep: None,
            defrag_min_size: ByteSize::b(100_000_000),
            defrag_min_free_pct: 45.0,
            compact: false,
            dry_run: false,
        }
    }
}

/// Why maintain will not touch the cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(tag = "refusal", rename_all = "snake_case")]
pub enum MaintainRefusal {
    /// A member is unreachable or unhealthy.
    #[error("member {endpoint} is unhealthy ({reason}): maintenance needs every member healthy")]
    MemberDown {
        /// The member's label.
        endpoint: String,
        /// Why it is unhealthy.
        reason: String,
    },
    /// No member knows a leader.
    #[error("no quorum or no leader: restore the cluster first")]
    NoLeader,
    /// An alarm is raised: NOSPACE is `recover`'s job, CORRUPT needs a
    /// human.
    #[error("{alarm} alarm raised on member {member}: run `kubemagic etcd recover` (NOSPACE) or investigate (CORRUPT) first")]
    Alarm {
        /// The id of the member that raised it.
        member: String,
        /// The alarm type (`NOSPACE`, `CORRUPT`, ...).
        alarm: String,
    },
    /// Another run holds the maintain lock.
    #[error("another `kubemagic etcd maintain` holds {LOCK_KEY} ({holder}); try again when it is done (the lock expires {}s after its holder dies)", LOCK_TTL.as_secs())]
    Locked {
        /// Who holds it: pid, host and start time.
        holder: String,
    },
}

/// What a run will do.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MaintainPlan {
    /// Revision to compact to, with `--compact`.
    pub compact_revision: Option<i64>,
    /// Member to snapshot (the leader), with `--snapshot-dir`.
    pub snapshot_from: Option<String>,
    /// Members to defragment, in order: followers first, leader last. With
    /// `--compact` this is decided again after the compaction (which frees
    /// pages), and the report carries the list actually used.
    pub defrag: Vec<String>,
    /// Members left out of the defragmentation, with why.
    pub skipped: Vec<Skipped>,
}

impl MaintainPlan {
    /// True when the run has nothing to do.
    pub fn is_empty(&self) -> bool {
        self.compact_revision.is_none() && self.snapshot_from.is_none() && self.defrag.is_empty()
    }
}

/// Whether a member's database needs a defragmentation: at least
/// `min_size` with at least `min_free_pct` % free pages, or above 80 % of
/// its quota. Unknown fragmentation (etcd 3.3) only counts through the
/// quota rule.
pub fn needs_defrag(m: &MemberStatus, min_size: ByteSize, min_free_pct: f64) -> bool {
    let Some(l) = &m.live else { return false };
    let fragmented = m
        .fragmentation()
        .is_some_and(|f| f * 100.0 >= min_free_pct && l.db_size >= min_size);
    fragmented || crate::health::near_quota(m)
}

/// Decides a maintain run: refuses with any member unhealthy (a member
/// down, a member without a leader) or any alarm; otherwise compaction
/// (with `--compact`), a snapshot from the leader (with `--snapshot-dir`)
/// and the members worth a defragmentation, leader last.
pub fn maintain_plan(
    st: &ClusterStatus,
    opts: &MaintainOptions,
) -> Result<MaintainPlan, MaintainRefusal> {
    for m in &st.members {
        if let Some(reason) = crate::health::unhealthy_reason(m) {
            return Err(MaintainRefusal::MemberDown {
                endpoint: m.label(),
                reason,
            });
        }
    }
    let Some(leader) = st.leader() else {
        return Err(MaintainRefusal::NoLeader);
    };
    if let Some(a) = st.alarms.first() {
        return Err(MaintainRefusal::Alarm {
            member: a.member_id.to_string(),
            alarm: a.alarm.to_string(),
        });
    }
    let mut followers = Vec::new();
    let mut last = None;
    let mut skipped = Vec::new();
    for m in &st.members {
        if !m.is_voting() {
            skipped.push(Skipped {
                endpoint: m.endpoint.clone(),
                reason: "learner (not a voting member)".into(),
                unhealthy: false,
            });
        } else if !needs_defrag(m, opts.defrag_min_size, opts.defrag_min_free_pct) {
            skipped.push(Skipped {
                endpoint: m.endpoint.clone(),
                reason: format!(
                    "no defragmentation needed: fragmentation {} (threshold {} % of at least {}), \
                     below 80 % of its quota",
                    m.fragmentation()
                        .map(|f| format!("{:.0} %", f * 100.0))
                        .unwrap_or_else(|| "unknown".into()),
                    opts.defrag_min_free_pct,
                    opts.defrag_min_size
                ),
                unhealthy: false,
            });
        } else if m.is_leader() {
            last = Some(m.endpoint.clone());
        } else {
            followers.push(m.endpoint.clone());
        }
    }
    followers.extend(last);
    Ok(MaintainPlan {
        compact_revision: opts
            .compact
            .then(|| leader.live.as_ref().map(|l| l.revision))
            .flatten(),
        snapshot_from: opts.snapshot_dir.as_ref().map(|_| leader.endpoint.clone()),
        defrag: followers,
        skipped,
    })
}

/// `YYYYMMDDTHHMMSS.mmmZ` of a time, in UTC (proleptic Gregorian).
pub fn timestamp(t: SystemTime) -> String {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = d.as_secs();
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}{month:02}{day:02}T{:02}{:02}{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        d.subsec_millis()
    )
}

/// The file name of a snapshot taken at `t` from `member`:
/// `kubemagic-etcd-<timestamp>-<member>.db`, the member reduced to
/// `[A-Za-z0-9._]` so the name is one path component.
pub fn snapshot_name(t: SystemTime, member: &str) -> String {
    let safe: String = member
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{SNAPSHOT_PREFIX}{}-{safe}.db", timestamp(t))
}

/// The timestamp of a file name maintain wrote, `None` for any other file.
fn written_by_us(name: &str) -> Option<&str> {
    let rest = name.strip_prefix(SNAPSHOT_PREFIX)?.strip_suffix(".db")?;
    let (ts, member) = rest.split_once('-')?;
    let b = ts.as_bytes();
    let shape = b.len() == 20
        && b[8] == b'T'
        && b[15] == b'.'
        && b[19] == b'Z'
        && b.iter()
            .enumerate()
            .all(|(i, c)| matches!(i, 8 | 15 | 19) || c.is_ascii_digit());
    (shape && !member.is_empty()).then_some(ts)
}

/// Name of the manifest maintain keeps beside its snapshots: the record of
/// every snapshot it wrote and verified. Retention deletes only what is
/// recorded there, so a file that merely matches the name pattern (a copy,
/// a hand-made backup dated 1999 or 9999) is never touched.
pub const MANIFEST: &str = ".kubemagic-etcd-snapshots.json";

/// Name prefix of the temporary file a snapshot is streamed into before
/// its rename (`ops::snapshot_save`).
pub const TEMP_PREFIX: &str = ".kubemagic-snapshot-";

/// A temporary file older than this was left by a run that died: nothing
/// writes to it any more (a live stream touches it continuously).
pub const STALE_TEMP_AGE: Duration = Duration::from_secs(600);

/// One snapshot maintain wrote, verified against etcd's digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct ManifestEntry {
    /// The file name in the snapshot directory.
    pub name: String,
    /// Its size in bytes when written.
    pub size: u64,
    /// SHA-256 of the file as written, hex.
    pub sha256: String,
}

/// The manifest: every snapshot maintain wrote and has not deleted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Manifest {
    /// Oldest first.
    pub snapshots: Vec<ManifestEntry>,
}

/// A file in the snapshot directory: its name and size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirEntry {
    /// The file name.
    pub name: String,
    /// Its size in bytes.
    pub size: u64,
}

/// Which snapshots to delete so that `keep` remain: only files whose name
/// maintain generates *and* that the manifest records with the size they
/// still have (anything else is left alone), oldest first by the
/// timestamp in the name, never `just_written`.
pub fn snapshots_to_delete(
    manifest: &Manifest,
    present: &[DirEntry],
    just_written: &str,
    keep: usize,
) -> Vec<String> {
    let mut ours: Vec<(&str, &str)> = present
        .iter()
        .filter(|f| {
            manifest
                .snapshots
                .iter()
                .any(|e| e.name == f.name && e.size == f.size)
        })
        .filter_map(|f| written_by_us(&f.name).map(|ts| (ts, f.name.as_str())))
        .collect();
    ours.sort();
    let excess = ours.len().saturating_sub(keep.max(1));
    ours.into_iter()
        .filter(|(_, n)| *n != just_written)
        .take(excess)
        .map(|(_, n)| n.to_string())
        .collect()
}

/// Whether a file is a temporary snapshot file a dead run left: our prefix,
/// untouched for [`STALE_TEMP_AGE`].
pub fn is_stale_temporary(name: &str, age: Duration) -> bool {
    name.starts_with(TEMP_PREFIX) && age >= STALE_TEMP_AGE
}

/// Flags whose value is a path: made absolute for a systemd unit, which
/// runs in `/`, not in the directory the units were printed from.
pub const PATH_FLAGS: &[&str] = &[
    "--snapshot-dir",
    "--env-file",
    "--cacert",
    "--cert",
    "--key",
];

/// `args` with the value of every [`PATH_FLAGS`] flag (`--flag VALUE` or
/// `--flag=VALUE`) made absolute against `cwd`.
pub fn absolute_path_args(args: &[String], cwd: &std::path::Path) -> Vec<String> {
    let abs = |v: &str| -> String {
        let p = std::path::Path::new(v);
        if p.is_absolute() {
            v.to_string()
        } else {
            cwd.join(p).display().to_string()
        }
    };
    let mut out = Vec::with_capacity(args.len());
    let mut next_is_path = false;
    for a in args {
        if next_is_path {
            out.push(abs(a));
            next_is_path = false;
            continue;
        }
        match a.split_once('=') {
            Some((flag, v)) if PATH_FLAGS.contains(&flag) => out.push(format!("{flag}={}", abs(v))),
            _ => {
                next_is_path = PATH_FLAGS.contains(&a.as_str());
                out.push(a.clone());
            }
        }
    }
    out
}

/// A systemd service and timer running `command` daily, at a random time
/// within the hour after midnight (so that the members of many clusters
/// are not defragmented at the same second), catching up a missed run.
pub fn systemd_units(command: &[String]) -> String {
    let quoted: Vec<String> = command
        .iter()
        .map(|a| {
            if a.is_empty()
                || a.chars()
                    .any(|c| c.is_whitespace() || c == '"' || c == '\'' || c == '\\')
            {
                format!("\"{}\"", a.replace('\\', "\\\\").replace('"', "\\\""))
            } else {
                a.replace('%', "%%")
            }
        })
        .collect();
    format!(
        "# /etc/systemd/system/kubemagic-etcd-maintain.service\n\
[Unit]\n\
Description=kubemagic etcd maintain: snapshot, compaction, defragmentation where needed\n\
Wants=network-online.target\n\
After=network-online.target etcd.service\n\
\n\
[Service]\n\
Type=oneshot\n\
ExecStart={}\n\
Nice=10\n\
IOSchedulingClass=best-effort\n\
IOSchedulingPriority=7\n\
\n\
# /etc/systemd/system/kubemagic-etcd-maintain.timer\n\
[Unit]\n\
Description=Daily kubemagic etcd maintain\n\
\n\
[Timer]\n\
OnCalendar=daily\n\
RandomizedDelaySec=1h\n\
Persistent=true\n\
\n\
[Install]\n\
WantedBy=timers.target\n",
        quoted.join(" ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::tests::{member, unreachable};
    use crate::model::{Alarm, AlarmKind, MemberId};

    fn status(members: Vec<MemberStatus>, alarms: Vec<Alarm>) -> ClusterStatus {
        ClusterStatus {
            members,
            alarms_known: true,
            alarms,
            findings: vec![],
            member_list: vec![],
        }
    }

    #[test]
    fn only_fragmented_or_nearly_full_members_are_defragmented_leader_last() {
        let ms = vec![
            // leader, 300 MB with 60 % free: yes (last)
            member(
                1,
                ByteSize::mib(300),
                ByteSize::mib(120),
                ByteSize::gib(2),
                1,
            ),
            // big but compact: no
            member(
                2,
                ByteSize::mib(300),
                ByteSize::mib(290),
                ByteSize::gib(2),
                1,
            ),
            // small but above 80 % of its quota: yes
            member(
                3,
                ByteSize::mib(17),
                ByteSize::mib(17),
                ByteSize::mib(20),
                1,
            ),
            // fragmented but small: no
            member(4, ByteSize::mib(50), ByteSize::mib(1), ByteSize::gib(2), 1),
        ];
        let p = maintain_plan(&status(ms.clone(), vec![]), &MaintainOptions::default()).unwrap();
        assert_eq!(
            p.defrag,
            vec![ms[2].endpoint.clone(), ms[0].endpoint.clone()]
        );
        assert_eq!(p.skipped.len(), 2);
        assert_eq!(p.compact_revision, None);
        assert_eq!(p.snapshot_from, None);
        let opts = MaintainOptions {
            compact: true,
            snapshot_dir: Some("/backup".into()),
            ..Default::default()
        };
        let p = maintain_plan(&status(ms.clone(), vec![]), &opts).unwrap();
        assert_eq!(p.compact_revision, Some(500));
        assert_eq!(p.snapshot_from.as_deref(), Some(ms[0].endpoint.as_str()));
    }

    #[test]
    fn a_clean_cluster_has_nothing_to_do() {
        let ms = vec![member(
            1,
            ByteSize::mib(8),
            ByteSize::mib(7),
            ByteSize::gib(2),
            1,
        )];
        let p = maintain_plan(&status(ms, vec![]), &MaintainOptions::default()).unwrap();
        assert!(p.is_empty());
    }

    #[test]
    fn a_member_down_or_an_alarm_refuses_everything() {
        let ms = vec![
            member(1, ByteSize::mib(300), ByteSize::mib(1), ByteSize::gib(2), 1),
            unreachable(2),
        ];
        let r = maintain_plan(&status(ms, vec![]), &MaintainOptions::default()).unwrap_err();
        assert!(r.to_string().contains("2399"), "{r}");
        let ms = vec![member(
            1,
            ByteSize::mib(1),
            ByteSize::mib(1),
            ByteSize::gib(2),
            1,
        )];
        let alarms = vec![Alarm {
            member_id: MemberId(1),
            alarm: AlarmKind::Nospace,
        }];
        let r = maintain_plan(&status(ms, alarms), &MaintainOptions::default()).unwrap_err();
        assert!(r.to_string().contains("recover"), "{r}");
    }

    #[test]
    fn timestamps_are_utc_and_sort_as_text() {
        let t = UNIX_EPOCH + Duration::from_millis(1_795_845_600_123); // 2026-11-28T06:00:00.123Z
        assert_eq!(timestamp(t), "20261128T060000.123Z");
        assert_eq!(timestamp(UNIX_EPOCH), "19700101T000000.000Z");
        assert_eq!(
            snapshot_name(t, "etcd/1 x"),
            "kubemagic-etcd-20261128T060000.123Z-etcd_1_x.db"
        );
    }

    #[test]
    fn retention_deletes_only_recorded_oldest_files_never_the_new_one() {
        let t0 = UNIX_EPOCH + Duration::from_secs(1_795_845_600);
        let ours: Vec<String> = (0..4)
            .map(|i| snapshot_name(t0 + Duration::from_secs(86_400 * i), "etcd1"))
            .collect();
        let manifest = Manifest {
            snapshots: ours
                .iter()
                .map(|n| ManifestEntry {
                    name: n.clone(),
                    size: 10,
                    sha256: "x".into(),
                })
                .collect(),
        };
        let mut present: Vec<DirEntry> = ours
            .iter()
            .map(|n| DirEntry {
                name: n.clone(),
                size: 10,
            })
            .collect();
        for n in [
            "kubemagic-etcd-important.db",
            "manual-backup.db",
            ".kubemagic-snapshot-tmp",
            // The name pattern, never recorded: not ours.
            "kubemagic-etcd-19990101T000000.000Z-etcd1.db",
            "kubemagic-etcd-99991231T235959.999Z-etcd1.db",
        ] {
            present.push(DirEntry {
                name: n.into(),
                size: 10,
            });
        }
        let del = snapshots_to_delete(&manifest, &present, &ours[3], 2);
        assert_eq!(del, vec![ours[0].clone(), ours[1].clone()]);
        // Even if the clock went backwards, the new file is never deleted.
        let del = snapshots_to_delete(&manifest, &present, &ours[0], 1);
        assert!(!del.contains(&ours[0]));
        assert_eq!(del.len(), 3);
        // A recorded name whose file changed size is no longer ours.
        present[1].size = 11;
        let del = snapshots_to_delete(&manifest, &present, &ours[3], 1);
        assert_eq!(del, vec![ours[0].clone(), ours[2].clone()]);
    }

    #[test]
    fn relative_paths_are_made_absolute_for_the_unit() {
        let args: Vec<String> = [
            "etcd",
            "--env-file=etc/etcd.env",
            "maintain",
            "--snapshot-dir",
            "b",
            "--keep",
            "2",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        assert_eq!(
            absolute_path_args(&args, std::path::Path::new("/root")),
            vec![
                "etcd",
                "--env-file=/root/etc/etcd.env",
                "maintain",
                "--snapshot-dir",
                "/root/b",
                "--keep",
                "2"
            ]
        );
    }

    #[test]
    fn systemd_units_run_daily_with_a_random_delay() {
        let u = systemd_units(&[
            "/usr/local/bin/kubemagic".into(),
            "etcd".into(),
            "--snapshot-dir".into(),
            "/var/backups/etcd dir".into(),
        ]);
        assert!(u.contains(
            "ExecStart=/usr/local/bin/kubemagic etcd --snapshot-dir \"/var/backups/etcd dir\""
        ));
        assert!(u.contains("OnCalendar=daily"));
        assert!(u.contains("RandomizedDelaySec="));
        assert!(u.contains("Type=oneshot"));
    }
}
