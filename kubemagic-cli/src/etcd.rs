//! `kubemagic etcd status|compact|defrag|alarm list|alarm disarm|snapshot save|usage|maintain|recover`.
//!
//! Translation only: flags become a `kubemagic_etcd::ConnectArgs`, results
//! become text tables or JSON. The tokio runtime lives here, not in `main`,
//! so that the other command families stay synchronous.

use crate::output::{print_json, CliError, Exit, OutputArg, OutputFormat};
use kubemagic_core::nagios::PluginOutput;
use kubemagic_core::{ByteSize, Finding};
use kubemagic_etcd::config::parse_duration;
use kubemagic_etcd::monitor;
use kubemagic_etcd::ops::{self, RecoveryReport};
use kubemagic_etcd::{Cluster, ClusterStatus, Config, ConnectArgs, EtcdError, Progress};
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub conn: ConnFlags,
    #[command(subcommand)]
    pub command: Sub,
}

/// Connection flags, as etcdctl takes them. Unset flags fall back to
/// `ETCDCTL_*` variables, then to `--env-file`.
#[derive(clap::Args)]
pub struct ConnFlags {
    /// Client URLs, comma-separated (ETCDCTL_ENDPOINTS): only to reach the cluster; every
    /// member of its member list is then queried on its own advertised URL.
    #[arg(long, global = true, value_delimiter = ',')]
    pub endpoints: Vec<String>,
    /// CA certificate (ETCDCTL_CACERT).
    #[arg(long, global = true)]
    pub cacert: Option<PathBuf>,
    /// Client certificate (ETCDCTL_CERT).
    #[arg(long, global = true)]
    pub cert: Option<PathBuf>,
    /// Client key (ETCDCTL_KEY).
    #[arg(long, global = true)]
    pub key: Option<PathBuf>,
    /// kubespray's /etc/etcd.env: the local member's client URLs (ETCD_ADVERTISE_CLIENT_URLS,
    /// ETCD_LISTEN_CLIENT_URLS), peer certificates, quota.
    #[arg(long, global = true)]
    pub env_file: Option<PathBuf>,
    /// Dial timeout, e.g. 2s (ETCDCTL_DIAL_TIMEOUT).
    #[arg(long, global = true)]
    pub dial_timeout: Option<String>,
    /// Timeout of ordinary requests, e.g. 5s (ETCDCTL_COMMAND_TIMEOUT).
    #[arg(long, global = true)]
    pub command_timeout: Option<String>,
    /// Timeout of one member's defragmentation, e.g. 10m.
    #[arg(long, global = true)]
    pub defrag_timeout: Option<String>,
}

#[derive(clap::Subcommand)]
pub enum Sub {
    /// Every member queried on its own: sizes, quota, leader, alarms, findings.
    /// With `--output nagios`: a Monitoring Plugins check (exit 0 OK, 1 WARNING,
    /// 2 CRITICAL, 3 UNKNOWN).
    #[command(
        after_help = "Examples:\n  kubemagic etcd status --env-file /etc/etcd.env\n  kubemagic etcd status --endpoints https://10.0.0.1:2379 --cacert ca.pem --cert c.pem --key k.pem\n  kubemagic etcd status -o nagios --env-file /etc/etcd.env --warning 80 --critical 95"
    )]
    Status {
        /// Nagios: WARNING when a member's database reaches this % of its quota.
        #[arg(long, default_value_t = 80.0)]
        warning: f64,
        /// Nagios: CRITICAL when a member's database reaches this % of its quota.
        #[arg(long, default_value_t = 95.0)]
        critical: f64,
    },
    /// Compact the key history (to the current revision unless --revision).
    #[command(after_help = "Examples:\n  kubemagic etcd compact --env-file /etc/etcd.env")]
    Compact {
        #[arg(long)]
        revision: Option<i64>,
    },
    /// Defragment members one at a time, followers first, leader last.
    #[command(
        after_help = "Examples:\n  kubemagic etcd defrag --only-fragmented --env-file /etc/etcd.env"
    )]
    Defrag {
        /// Only this member.
        #[arg(long)]
        endpoint: Option<String>,
        /// Only members with >= 45 % free pages (db >= 100 MB or above half its quota) or above 80 % of quota.
        #[arg(long)]
        only_fragmented: bool,
    },
    /// List or disarm alarms.
    #[command(after_help = "Examples:\n  kubemagic etcd alarm list --env-file /etc/etcd.env")]
    Alarm {
        #[command(subcommand)]
        command: AlarmSub,
    },
    /// Save a snapshot.
    #[command(
        after_help = "Examples:\n  kubemagic etcd snapshot save /var/backups/etcd.db --env-file /etc/etcd.env"
    )]
    Snapshot {
        #[command(subcommand)]
        command: SnapshotSub,
    },
    /// Keys and bytes per Kubernetes resource: what filled the database.
    #[command(
        after_help = "Examples:\n  kubemagic etcd usage --env-file /etc/etcd.env\n  kubemagic etcd usage --prefix /registry/events --env-file /etc/etcd.env"
    )]
    Usage {
        #[arg(long, default_value = "/registry/")]
        prefix: String,
        /// Count keys only (faster; bytes are then key bytes only).
        #[arg(long)]
        keys_only: bool,
        #[arg(long, default_value_t = 1000)]
        page_size: i64,
    },
    /// Routine upkeep for a daily timer, under a lock: snapshot with retention, optional
    /// compaction, defragmentation of the members that need it (followers first, leader last).
    #[command(
        after_help = "Examples:\n  kubemagic etcd maintain --snapshot-dir /var/backups/etcd --keep 7 --env-file /etc/etcd.env\n  kubemagic etcd maintain --dry-run --env-file /etc/etcd.env\n  kubemagic etcd maintain --print-systemd-units --env-file /etc/etcd.env"
    )]
    Maintain {
        /// Take a verified snapshot from the leader into DIR, named with time and member.
        #[arg(long, value_name = "DIR")]
        snapshot_dir: Option<PathBuf>,
        /// Snapshots kept in DIR (the oldest kubemagic wrote are deleted; other files never).
        #[arg(long, value_name = "N", default_value_t = 7)]
        keep: usize,
        /// Defragment a member only when its database is at least SIZE...
        #[arg(long, value_name = "SIZE", default_value = "100MB")]
        defrag_min_size: String,
        /// ...and at least PCT % of it is free pages (or it is above 80 % of its quota).
        #[arg(long, value_name = "PCT", default_value_t = 45.0)]
        defrag_min_free: f64,
        /// Compact the key history to the current revision first.
        #[arg(long)]
        compact: bool,
        /// Print the plan and change nothing.
        #[arg(long)]
        dry_run: bool,
        /// Print a systemd service and timer (daily, randomized) running this command, and exit.
        #[arg(long)]
        print_systemd_units: bool,
    },
    /// Repair a NOSPACE incident: compact, defragment, disarm, prove a write.
    #[command(
        after_help = "Examples:\n  kubemagic etcd recover --env-file /etc/etcd.env\n  kubemagic etcd recover --dry-run --endpoints https://10.0.0.1:2379 --cacert ca.pem --cert c.pem --key k.pem"
    )]
    Recover {
        /// Print the plan and change nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Membership: list, add, remove, replace a dead member, promote a learner.
    #[command(
        after_help = "Examples:\n  kubemagic etcd member list --env-file /etc/etcd.env\n  kubemagic etcd member replace --dead etcd3 --name etcd3 --peer-urls https://10.0.0.13:2380 --env-file /etc/etcd.env\n  kubemagic etcd member promote etcd3 --env-file /etc/etcd.env"
    )]
    Member {
        #[command(subcommand)]
        command: crate::etcd_member::MemberSub,
    },
    /// Restore this member's data directory from a verified snapshot (quorum lost).
    #[command(
        after_help = "Examples:\n  kubemagic etcd restore --print-plan --snapshot etcd.db --initial-cluster etcd1=https://10.0.0.11:2380,etcd2=https://10.0.0.12:2380,etcd3=https://10.0.0.13:2380 --data-dir /var/lib/etcd\n  kubemagic etcd restore --snapshot etcd.db --name etcd1 --initial-cluster ... --initial-advertise-peer-urls https://10.0.0.11:2380 --data-dir /var/lib/etcd --move-aside"
    )]
    Restore(crate::etcd_member::RestoreArgs),
}

#[derive(clap::Subcommand)]
pub enum AlarmSub {
    List,
    /// Disarm NOSPACE alarms, one per (member, type).
    Disarm {
        /// Also disarm CORRUPT alarms (only after investigating).
        #[arg(long)]
        corrupt: bool,
    },
}

#[derive(clap::Subcommand)]
pub enum SnapshotSub {
    /// Stream a snapshot to FILE (temporary file, fsync, rename) and print its SHA-256.
    Save {
        file: PathBuf,
        /// Member to take it from (default: the leader).
        #[arg(long)]
        endpoint: Option<String>,
    },
}

fn cli_err(e: EtcdError) -> CliError {
    CliError::lib(e)
}

fn duration(flag: &str, v: &Option<String>) -> Result<Option<std::time::Duration>, CliError> {
    v.as_deref()
        .map(|s| parse_duration(s).map_err(|e| CliError::Input(format!("--{flag}: {e}"))))
        .transpose()
}

/// True when the command line asks for `--output nagios` (read from the raw
/// arguments, for errors clap reports before anything is parsed).
pub fn nagios_requested(args: impl Iterator<Item = String>) -> bool {
    let args: Vec<String> = args.collect();
    args.iter()
        .any(|a| a == "--output=nagios" || a == "-onagios" || a == "-o=nagios")
        || args
            .windows(2)
            .any(|w| (w[0] == "--output" || w[0] == "-o") && w[1] == "nagios")
}

/// Prints a bad command line as a plugin's UNKNOWN and returns its exit code.
pub fn nagios_usage_error(message: &str) -> u8 {
    let first = message
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("bad arguments")
        .trim_start_matches("error: ");
    let o = PluginOutput::unknown(monitor::SERVICE, first);
    print!("{}", o.render());
    o.state.code()
}

/// `kubemagic etcd status --output nagios`: everything the plugin prints
/// goes to stdout; anything that is not a state of the cluster (bad
/// arguments, unreadable files, internal failure) is UNKNOWN.
fn run_nagios(args: Args) -> Exit {
    let unknown = |why: String| {
        let o = PluginOutput::unknown(monitor::SERVICE, why);
        print!("{}", o.render());
        Exit::Code(o.state.code())
    };
    let Sub::Status { warning, critical } = args.command else {
        return unknown("--output nagios is only supported by `kubemagic etcd status`".into());
    };
    let th = match monitor::Thresholds::new(warning, critical) {
        Ok(t) => t,
        Err(e) => return unknown(e),
    };
    let config = match connect_args(&args.conn)
        .and_then(|c| Config::from_process_env(&c).map_err(cli_err))
    {
        Ok(c) => c,
        Err(e) => return unknown(e.to_string()),
    };
    let rt = match kubemagic_etcd::runtime() {
        Ok(rt) => rt,
        Err(e) => return unknown(format!("cannot start the async runtime: {e}")),
    };
    let o = rt.block_on(ops::nagios_check(config, th));
    print!("{}", o.render());
    Exit::Code(o.state.code())
}

fn connect_args(c: &ConnFlags) -> Result<ConnectArgs, CliError> {
    Ok(ConnectArgs {
        endpoints: c.endpoints.clone(),
        cacert: c.cacert.clone(),
        cert: c.cert.clone(),
        key: c.key.clone(),
        env_file: c.env_file.clone(),
        dial_timeout: duration("dial-timeout", &c.dial_timeout)?,
        command_timeout: duration("command-timeout", &c.command_timeout)?,
        defrag_timeout: duration("defrag-timeout", &c.defrag_timeout)?,
    })
}

pub fn run(args: Args, output: OutputArg) -> Result<Exit, CliError> {
    if output == OutputArg::Nagios {
        return Ok(run_nagios(args));
    }
    if let Sub::Maintain {
        print_systemd_units: true,
        ..
    } = &args.command
    {
        let exe = std::env::current_exe()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|_| "kubemagic".into());
        let given: Vec<String> = std::env::args()
            .skip(1)
            .filter(|a| a != "--print-systemd-units")
            .collect();
        let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/"));
        let command: Vec<String> = std::iter::once(exe)
            .chain(kubemagic_etcd::maintain::absolute_path_args(&given, &cwd))
            .collect();
        print!("{}", kubemagic_etcd::maintain::systemd_units(&command));
        return Ok(Exit::Ok);
    }
    if matches!(args.command, Sub::Member { .. } | Sub::Restore(_)) {
        return crate::etcd_member::run(args, output);
    }
    let format = output.format();
    let c = &args.conn;
    let connect = connect_args(c)?;
    let config = Config::from_process_env(&connect).map_err(cli_err)?;
    let rt = kubemagic_etcd::runtime()
        .map_err(|e| CliError::Failed(format!("cannot start the async runtime: {e}")))?;
    rt.block_on(async move {
        let cluster = Cluster::connect(config).await.map_err(cli_err)?;
        dispatch(&cluster, args.command, format).await
    })
}

async fn dispatch(cluster: &Cluster, sub: Sub, format: OutputFormat) -> Result<Exit, CliError> {
    let text = format == OutputFormat::Text;
    let mut progress = move |p: &Progress| {
        if text {
            print_progress(p)
        }
    };
    match sub {
        Sub::Status { .. } => {
            let st = ops::status(cluster).await;
            match format {
                OutputFormat::Json => print_json(&st)?,
                OutputFormat::Text => print_status(&st),
            }
            Ok(if st.has_errors() {
                Exit::Failed
            } else {
                Exit::Ok
            })
        }
        Sub::Compact { revision } => {
            let r = ops::compact(cluster, revision).await.map_err(cli_err)?;
            match format {
                OutputFormat::Json => print_json(&r)?,
                OutputFormat::Text if r.already_compacted => {
                    println!(
                        "already compacted at or past revision {} ({})",
                        r.revision, r.endpoint
                    )
                }
                OutputFormat::Text => {
                    println!("compacted to revision {} ({})", r.revision, r.endpoint)
                }
            }
            Ok(Exit::Ok)
        }
        Sub::Defrag {
            endpoint,
            only_fragmented,
        } => {
            let r = ops::defrag(cluster, endpoint.as_deref(), only_fragmented, &mut progress)
                .await
                .map_err(cli_err)?;
            match format {
                OutputFormat::Json => print_json(&r)?,
                OutputFormat::Text => {
                    for s in &r.skipped {
                        println!("skipped {}: {}", s.endpoint, s.reason);
                    }
                    if r.results.is_empty() && r.succeeded() {
                        println!("nothing to defragment");
                    }
                    for x in &r.results {
                        match &x.error {
                            Some(e) => println!("FAILED {}: {e}", x.endpoint),
                            None => println!(
                                "defragmented {}: {} -> {} in {:.1}s",
                                x.endpoint,
                                size(x.before),
                                size(x.after),
                                x.seconds
                            ),
                        }
                    }
                }
            }
            Ok(if r.succeeded() {
                Exit::Ok
            } else {
                Exit::Failed
            })
        }
        Sub::Alarm {
            command: AlarmSub::List,
        } => {
            let alarms = ops::alarm_list(cluster).await.map_err(cli_err)?;
            match format {
                OutputFormat::Json => print_json(&serde_json::json!({ "alarms": alarms }))?,
                OutputFormat::Text => {
                    if alarms.is_empty() {
                        println!("no alarm");
                    }
                    for a in &alarms {
                        println!("memberID:{} alarm:{}", a.member_id, a.alarm);
                    }
                }
            }
            Ok(Exit::Ok)
        }
        Sub::Alarm {
            command: AlarmSub::Disarm { corrupt },
        } => {
            let r = ops::alarm_disarm(cluster, corrupt).await.map_err(cli_err)?;
            match format {
                OutputFormat::Json => print_json(&r)?,
                OutputFormat::Text => {
                    for a in &r.disarmed {
                        println!("disarmed memberID:{} alarm:{}", a.member_id, a.alarm);
                    }
                    for k in &r.kept {
                        println!(
                            "kept memberID:{} alarm:{} ({})",
                            k.member_id, k.alarm, k.reason
                        );
                    }
                    if r.disarmed.is_empty() && r.kept.is_empty() {
                        println!("no alarm to disarm");
                    }
                    for w in &r.warnings {
                        println!("warning: {w}: the alarm will be raised again at the next write");
                    }
                }
            }
            Ok(if r.kept.is_empty() {
                Exit::Ok
            } else {
                Exit::Failed
            })
        }
        Sub::Snapshot {
            command: SnapshotSub::Save { file, endpoint },
        } => {
            let r = ops::snapshot_save(cluster, &file, endpoint.as_deref())
                .await
                .map_err(cli_err)?;
            match format {
                OutputFormat::Json => print_json(&r)?,
                OutputFormat::Text => println!(
                    "snapshot saved to {} ({}, revision {}, from {})\nsha256 {}",
                    r.path.display(),
                    r.size,
                    r.revision.map(|r| r.to_string()).unwrap_or("?".into()),
                    r.endpoint,
                    r.sha256
                ),
            }
            Ok(Exit::Ok)
        }
        Sub::Usage {
            prefix,
            keys_only,
            page_size,
        } => {
            let r = ops::usage(cluster, &prefix, keys_only, page_size)
                .await
                .map_err(cli_err)?;
            match format {
                OutputFormat::Json => print_json(&r)?,
                OutputFormat::Text => {
                    let rows: Vec<Vec<String>> = r
                        .resources
                        .iter()
                        .map(|x| vec![x.resource.clone(), x.keys.to_string(), x.bytes.to_string()])
                        .collect();
                    print_table(&["RESOURCE", "KEYS", "BYTES"], &rows);
                    println!(
                        "total: {} keys, {} under {} at revision {} ({}{})",
                        r.total_keys,
                        r.total_bytes,
                        r.prefix,
                        r.revision,
                        r.endpoint,
                        if r.keys_only { ", keys only" } else { "" }
                    );
                }
            }
            Ok(Exit::Ok)
        }
        Sub::Maintain {
            snapshot_dir,
            keep,
            defrag_min_size,
            defrag_min_free,
            compact,
            dry_run,
            print_systemd_units: _,
        } => {
            let min_size: ByteSize = defrag_min_size
                .parse()
                .map_err(|e| CliError::Input(format!("--defrag-min-size: {e}")))?;
            let opts = kubemagic_etcd::maintain::MaintainOptions {
                snapshot_dir,
                keep,
                defrag_min_size: min_size,
                defrag_min_free_pct: defrag_min_free,
                compact,
                dry_run,
            };
            opts.check_args()
                .map_err(|e| CliError::Input(format!("--defrag-min-free: {e}")))?;
            let r = ops::maintain(cluster, &opts, &mut progress).await;
            match format {
                OutputFormat::Json => print_json(&r)?,
                OutputFormat::Text => print_maintain(&r),
            }
            Ok(if r.succeeded() {
                Exit::Ok
            } else {
                Exit::Failed
            })
        }
        Sub::Recover { dry_run } => {
            let r = ops::recover(cluster, dry_run, &mut progress).await;
            match format {
                OutputFormat::Json => print_json(&r.to_json()?)?,
                OutputFormat::Text => print_recovery(&r),
            }
            Ok(if r.succeeded() {
                Exit::Ok
            } else {
                Exit::Failed
            })
        }
        Sub::Member { .. } | Sub::Restore(_) => crate::etcd_member::run_unconnected(),
    }
}

fn size(s: Option<ByteSize>) -> String {
    s.map(|s| s.to_string()).unwrap_or_else(|| "?".into())
}

fn print_progress(p: &Progress) {
    match p {
        Progress::Compacting { revision } => eprintln!("compacting to revision {revision}..."),
        Progress::Compacted { revision, already } => {
            if *already {
                eprintln!("already compacted at revision {revision}")
            } else {
                eprintln!("compacted to revision {revision}")
            }
        }
        Progress::DefragStart {
            endpoint,
            index,
            total,
            db_size,
        } => eprintln!(
            "[{index}/{total}] defragmenting {endpoint} ({})...",
            size(*db_size)
        ),
        Progress::DefragDone {
            endpoint,
            before,
            after,
            elapsed,
        } => eprintln!(
            "      {endpoint}: {} -> {} in {:.1}s",
            size(*before),
            size(*after),
            elapsed.as_secs_f64()
        ),
        Progress::Disarmed { alarm } => {
            eprintln!("disarmed {} of member {}", alarm.alarm, alarm.member_id)
        }
        Progress::Probed => eprintln!("write probe succeeded"),
    }
}

fn print_table(header: &[&str], rows: &[Vec<String>]) {
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            if i < widths.len() {
                widths[i] = widths[i].max(c.chars().count());
            }
        }
    }
    let line = |cells: Vec<&str>| {
        let parts: Vec<String> = cells
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{c:<w$}", w = widths[i]))
            .collect();
        println!("{}", parts.join("  ").trim_end());
    };
    line(header.to_vec());
    for r in rows {
        line(r.iter().map(String::as_str).collect());
    }
}

fn print_findings(findings: &[Finding]) {
    if findings.is_empty() {
        println!("no findings");
    }
    for f in findings {
        println!("{f}");
    }
}

fn print_status(st: &ClusterStatus) {
    let rows: Vec<Vec<String>> = st
        .members
        .iter()
        .map(|m| {
            let l = m.live.as_ref();
            vec![
                m.endpoint.clone(),
                m.id.map(|i| i.to_string()).unwrap_or("-".into()),
                m.name.clone().unwrap_or("-".into()),
                l.map(|l| l.version.clone()).unwrap_or("-".into()),
                l.map(|l| l.db_size.to_string()).unwrap_or("-".into()),
                match l.map(|l| l.db_size_in_use) {
                    None => "-".into(),
                    Some(None) => "unknown".into(),
                    Some(Some(u)) => u.to_string(),
                },
                match (l, m.fragmentation()) {
                    (None, _) => "-".into(),
                    (Some(_), None) => "unknown".into(),
                    (Some(_), Some(f)) => format!("{:.0} %", f * 100.0),
                },
                m.quota_backend_bytes
                    .map(|q| q.to_string())
                    .unwrap_or("-".into()),
                m.quota_fraction()
                    .map(|f| format!("{:.0} %", f * 100.0))
                    .unwrap_or("-".into()),
                match l {
                    None => "unreachable".into(),
                    Some(_) if m.is_leader() => "true".into(),
                    Some(_) => "false".into(),
                },
                l.map(|l| l.raft_term.to_string()).unwrap_or("-".into()),
                l.map(|l| l.raft_index.to_string()).unwrap_or("-".into()),
            ]
        })
        .collect();
    print_table(
        &[
            "ENDPOINT",
            "ID",
            "NAME",
            "VERSION",
            "DB SIZE",
            "IN USE",
            "FRAG",
            "QUOTA",
            "% QUOTA",
            "IS LEADER",
            "RAFT TERM",
            "RAFT INDEX",
        ],
        &rows,
    );
    if st.alarms.is_empty() {
        println!("alarms: none");
    } else {
        for a in &st.alarms {
            println!("alarm: memberID:{} alarm:{}", a.member_id, a.alarm);
        }
    }
    print_findings(&st.findings);
}

fn print_maintain(r: &ops::MaintainReport) {
    if let Some(refusal) = &r.refusal {
        println!("refused: {refusal}");
        return;
    }
    if let Some(p) = &r.plan {
        if r.dry_run || r.nothing_to_do {
            println!("plan:");
            if let Some(rev) = p.compact_revision {
                println!("  compact to revision {rev}");
            }
            if let Some(from) = &p.snapshot_from {
                println!("  snapshot from {from}");
            }
            if !p.defrag.is_empty() {
                println!("  defragment: {}", p.defrag.join(" -> "));
            }
        }
        for s in &p.skipped {
            println!("  no defrag for {}: {}", s.endpoint, s.reason);
        }
    }
    if r.nothing_to_do {
        println!("nothing to do");
        return;
    }
    if r.dry_run {
        println!("dry run: nothing changed");
        return;
    }
    if let Some(c) = &r.compacted {
        println!("compacted to revision {}", c.revision);
    }
    if let Some(s) = &r.snapshot {
        println!(
            "snapshot {} ({}, from {}) sha256 {}",
            s.path.display(),
            s.size,
            s.endpoint,
            s.sha256
        );
    }
    for d in &r.deleted_snapshots {
        println!("deleted old snapshot {}", d.display());
    }
    for x in &r.defrag {
        match &x.error {
            Some(e) => println!("FAILED {}: {e}", x.endpoint),
            None => println!(
                "defragmented {}: {} -> {} in {:.1}s",
                x.endpoint,
                size(x.before),
                size(x.after),
                x.seconds
            ),
        }
    }
    for e in &r.errors {
        println!("ERROR: {e}");
    }
}

fn print_recovery(r: &RecoveryReport) {
    if let Some(p) = &r.plan {
        println!("plan:");
        println!("  1. status: every member healthy, quorum present");
        println!("  2. compact to revision {} (physical)", p.compact_revision);
        println!(
            "  3. defragment one by one, followers first: {}",
            p.defrag.order.join(" -> ")
        );
        for s in &p.defrag.skipped {
            println!("     skip {}: {}", s.endpoint, s.reason);
        }
        if p.disarm.is_empty() {
            println!("  4. disarm: no NOSPACE alarm raised");
        } else {
            let list: Vec<String> = p
                .disarm
                .iter()
                .map(|a| format!("{} of {}", a.alarm, a.member_id))
                .collect();
            println!(
                "  4. disarm {} once every member is below 90 % of its quota",
                list.join(", ")
            );
        }
        println!("  5. prove a write works under {}", ops::PROBE_PREFIX);
    }
    if !r.dry_run || r.refusal.is_some() {
        for s in &r.steps {
            println!(
                "{} {}: {}",
                if s.ok { "ok  " } else { "FAIL" },
                s.step,
                s.detail
            );
        }
    }
    if let Some(refusal) = &r.refusal {
        println!("refused: {refusal}");
    }
    if let Some(stop) = &r.stopped {
        println!("STOPPED: {stop}");
    }
    if r.dry_run && r.refusal.is_none() {
        println!("dry run: nothing changed");
    } else if r.succeeded() {
        println!("recovered: writes work and no alarm is left");
    }
    println!("root cause:");
    for c in &r.root_cause {
        println!("  - {c}");
    }
    println!("fix: {}", r.fix);
}
