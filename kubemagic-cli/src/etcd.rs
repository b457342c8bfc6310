//! `kubemagic etcd status|compact|defrag|alarm list|alarm disarm|snapshot save|usage|maintain|recover`.
//!
//! Translation only: flags become a `kubemagic_etcd::ConnectArgs`, and each
//! result goes to the library's writer (`kubemagic_etcd::print`, text or
//! nagios) or to the shared JSON printer, through the process-wide redactor
//! that knows the credentials of the endpoints as typed. This file prints
//! nothing itself. The tokio runtime lives here, not in `main`, so that the
//! other command families stay synchronous.

use crate::output::{self, print_json, CliError, Exit, OutputArg, OutputFormat};
use kubemagic_core::nagios::PluginOutput;
use kubemagic_core::{ByteSize, Redactor};
use kubemagic_etcd::config::{parse_duration, redactor_from_process_env};
use kubemagic_etcd::maintain::MaintainOptions;
use kubemagic_etcd::ops;
use kubemagic_etcd::{monitor, print};
use kubemagic_etcd::{Cluster, Config, ConnectArgs, EtcdError, Progress};
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
    /// Client URLs, comma-separated (ETCDCTL_ENDPOINTS; default 127.0.0.1:2379 as etcdctl): only
    /// to reach the cluster; every member of its member list is then queried on its own
    /// advertised URL.
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
    #[command(
        after_help = "Examples:\n  kubemagic etcd compact --env-file /etc/etcd.env\n  kubemagic etcd compact --revision 123456 --env-file /etc/etcd.env"
    )]
    Compact {
        /// Compact up to this revision (default: the current one). History
        /// before it can no longer be read or watched.
        #[arg(long, value_name = "REV")]
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
    #[command(
        after_help = "Examples:\n  kubemagic etcd alarm list --env-file /etc/etcd.env\n  kubemagic etcd alarm disarm --env-file /etc/etcd.env"
    )]
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
        /// Count only keys under this prefix; the resource is the next path
        /// segment (`/registry/pods/...` counts as `pods`).
        #[arg(long, default_value = "/registry/")]
        prefix: String,
        /// Count keys only (faster; bytes are then key bytes only).
        #[arg(long)]
        keys_only: bool,
        /// Keys read per request.
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
        /// Snapshots kept in DIR, at least 1 (default 7; needs --snapshot-dir). Only snapshots
        /// kubemagic wrote and recorded in DIR/.kubemagic-etcd-snapshots.json are ever deleted.
        #[arg(long, value_name = "N")]
        keep: Option<usize>,
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
    /// The raised alarms, one per (member, type).
    #[command(
        after_help = "Examples:\n  kubemagic etcd alarm list --env-file /etc/etcd.env\n  kubemagic -o json etcd alarm list --endpoints https://10.0.0.1:2379 --cacert ca.pem --cert c.pem --key k.pem"
    )]
    List,
    /// Disarm NOSPACE alarms, one per (member, type).
    #[command(
        after_help = "Examples:\n  kubemagic etcd alarm disarm --env-file /etc/etcd.env\n  kubemagic etcd alarm disarm --corrupt --env-file /etc/etcd.env   # only after investigating"
    )]
    Disarm {
        /// Also disarm CORRUPT alarms (only after investigating).
        #[arg(long)]
        corrupt: bool,
    },
}

#[derive(clap::Subcommand)]
pub enum SnapshotSub {
    /// Stream a snapshot to FILE (temporary file, fsync, rename) and print its SHA-256.
    #[command(
        after_help = "Examples:\n  kubemagic etcd snapshot save /var/backups/etcd.db --env-file /etc/etcd.env\n  kubemagic etcd snapshot save etcd2.db --endpoint https://10.0.0.2:2379 --env-file /etc/etcd.env"
    )]
    Save {
        /// Where to write the snapshot (replaced atomically; its directory must exist).
        #[arg(value_name = "FILE")]
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

/// Prints a plugin output (stdout, redacted) and returns its exit code.
fn plugin_exit(o: &PluginOutput) -> Result<Exit, CliError> {
    print::nagios(&mut output::stdout(), o)?;
    Ok(Exit::Code(o.state.code()))
}

/// Prints a bad command line as a plugin's UNKNOWN and returns its exit code.
/// The arguments were not parsed: every URL among them counts as typed
/// credentials for the redaction.
pub fn nagios_usage_error(message: &str) -> u8 {
    output::set_redactor(
        Redactor::new()
            .with_url_credentials(std::env::args())
            .with_url_credentials(std::env::var("ETCDCTL_ENDPOINTS").ok()),
    );
    let first = message
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("bad arguments")
        .trim_start_matches("error: ");
    let o = PluginOutput::unknown(monitor::SERVICE, first);
    let _ = print::nagios(&mut output::stdout(), &o);
    o.state.code()
}

/// `kubemagic etcd status --output nagios`: everything the plugin prints
/// goes to stdout; anything that is not a state of the cluster (bad
/// arguments, unreadable files, internal failure) is UNKNOWN.
fn run_nagios(args: Args, config: Result<Config, CliError>) -> Result<Exit, CliError> {
    let unknown = |why: String| plugin_exit(&PluginOutput::unknown(monitor::SERVICE, why));
    let Sub::Status { warning, critical } = args.command else {
        return unknown("--output nagios is only supported by `kubemagic etcd status`".into());
    };
    let th = match monitor::Thresholds::new(warning, critical) {
        Ok(t) => t,
        Err(e) => return unknown(e),
    };
    let config = match config {
        Ok(c) => c,
        Err(e) => return unknown(e.to_string()),
    };
    let rt = match kubemagic_etcd::runtime() {
        Ok(rt) => rt,
        Err(e) => return unknown(format!("cannot start the async runtime: {e}")),
    };
    plugin_exit(&rt.block_on(ops::nagios_check(config, th)))
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

/// `maintain --print-systemd-units`: the units running this very command.
fn print_systemd_units() -> Result<Exit, CliError> {
    use std::io::Write;
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
    let mut out = output::stdout();
    out.write_all(kubemagic_etcd::maintain::systemd_units(&command).as_bytes())?;
    out.flush()?;
    Ok(Exit::Ok)
}

pub fn run(args: Args, output_arg: OutputArg) -> Result<Exit, CliError> {
    // The redaction knows the endpoints' credentials before anything is
    // read or printed, errors about the configuration included.
    let connect = connect_args(&args.conn);
    if let Ok(c) = &connect {
        output::set_redactor(redactor_from_process_env(c));
    }
    if matches!(args.command, Sub::Member { .. } | Sub::Restore(_)) {
        return crate::etcd_member::run(args, output_arg);
    }
    let config = connect.and_then(|c| Config::from_process_env(&c).map_err(cli_err));
    if output_arg == OutputArg::Nagios {
        return run_nagios(args, config);
    }
    if let Sub::Maintain {
        print_systemd_units: true,
        ..
    } = &args.command
    {
        return print_systemd_units();
    }
    let format = output_arg.format();
    maintain_options(&args.command)?;
    let config = config?;
    print::notes(&mut output::stderr(), &config.notes)?;
    let rt = kubemagic_etcd::runtime()
        .map_err(|e| CliError::Failed(format!("cannot start the async runtime: {e}")))?;
    rt.block_on(ops::with_cluster(config, |cluster| async move {
        dispatch(&cluster, args.command, format).await
    }))
    .map_err(cli_err)?
}

/// `maintain`'s options, checked (a bad combination is a usage error, exit
/// 2, found before anything connects); the defaults for another command.
fn maintain_options(sub: &Sub) -> Result<MaintainOptions, CliError> {
    let Sub::Maintain {
        snapshot_dir,
        keep,
        defrag_min_size,
        defrag_min_free,
        compact,
        dry_run,
        print_systemd_units: _,
    } = sub
    else {
        return Ok(MaintainOptions::default());
    };
    let min_size: ByteSize = defrag_min_size
        .parse()
        .map_err(|e| CliError::Input(format!("--defrag-min-size: {e}")))?;
    let opts = MaintainOptions {
        snapshot_dir: snapshot_dir.clone(),
        keep: *keep,
        defrag_min_size: min_size,
        defrag_min_free_pct: *defrag_min_free,
        compact: *compact,
        dry_run: *dry_run,
    };
    opts.check_args()
        .map_err(|e| CliError::Input(e.to_string()))?;
    Ok(opts)
}

/// A report: the JSON document, or the library's text writer on stdout.
fn report<T: serde::Serialize>(
    format: OutputFormat,
    r: &T,
    text: impl FnOnce(&mut kubemagic_core::RedactingWriter<output::Stdout>, &T) -> std::io::Result<()>,
) -> Result<(), CliError> {
    match format {
        OutputFormat::Json => print_json(r),
        OutputFormat::Text => Ok(text(&mut output::stdout(), r)?),
    }
}

fn exit_if(ok: bool) -> Exit {
    if ok {
        Exit::Ok
    } else {
        Exit::Failed
    }
}

async fn dispatch(cluster: &Cluster, sub: Sub, format: OutputFormat) -> Result<Exit, CliError> {
    let show_progress = format == OutputFormat::Text && !output::quiet();
    let mut err = output::stderr();
    let mut progress = move |p: &Progress| {
        if show_progress {
            let _ = print::progress(&mut err, p);
        }
    };
    match sub {
        Sub::Status { .. } => {
            let st = ops::status(cluster).await;
            report(format, &st, print::status)?;
            Ok(exit_if(!st.has_errors()))
        }
        Sub::Compact { revision } => {
            let r = ops::compact(cluster, revision).await.map_err(cli_err)?;
            report(format, &r, print::compact)?;
            Ok(Exit::Ok)
        }
        Sub::Defrag {
            endpoint,
            only_fragmented,
        } => {
            let r = ops::defrag(cluster, endpoint.as_deref(), only_fragmented, &mut progress)
                .await
                .map_err(cli_err)?;
            report(format, &r, print::defrag)?;
            Ok(exit_if(r.succeeded()))
        }
        Sub::Alarm {
            command: AlarmSub::List,
        } => {
            let alarms = ops::alarm_list(cluster).await.map_err(cli_err)?;
            match format {
                OutputFormat::Json => print_json(&serde_json::json!({ "alarms": alarms }))?,
                OutputFormat::Text => print::alarm_list(&mut output::stdout(), &alarms)?,
            }
            Ok(Exit::Ok)
        }
        Sub::Alarm {
            command: AlarmSub::Disarm { corrupt },
        } => {
            let r = ops::alarm_disarm(cluster, corrupt).await.map_err(cli_err)?;
            report(format, &r, print::alarm_disarm)?;
            Ok(exit_if(r.kept.is_empty()))
        }
        Sub::Snapshot {
            command: SnapshotSub::Save { file, endpoint },
        } => {
            let r = ops::snapshot_save(cluster, &file, endpoint.as_deref())
                .await
                .map_err(cli_err)?;
            report(format, &r, print::snapshot)?;
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
            report(format, &r, print::usage)?;
            Ok(Exit::Ok)
        }
        Sub::Maintain { .. } => {
            let opts = maintain_options(&sub)?;
            let r = ops::maintain(cluster, &opts, &mut progress).await;
            report(format, &r, print::maintain)?;
            Ok(exit_if(r.succeeded()))
        }
        Sub::Recover { dry_run } => {
            let r = ops::recover(cluster, dry_run, &mut progress).await;
            match format {
                OutputFormat::Json => print_json(&r.to_json()?)?,
                OutputFormat::Text => print::recovery(&mut output::stdout(), &r)?,
            }
            Ok(exit_if(r.succeeded()))
        }
        Sub::Member { .. } | Sub::Restore(_) => crate::etcd_member::run_unconnected(),
    }
}
