//! `kubemagic etcd member list|add|remove|replace|promote` and `kubemagic
//! etcd restore`: flags in, library calls, reports out through the
//! library's writers over a `RedactingWriter`.

use crate::etcd::{Args, ConnFlags, Sub};
use crate::output::{CliError, Exit, OutputArg, OutputFormat};
use kubemagic_core::{RedactingWriter, Redactor};
use kubemagic_etcd::config::parse_duration;
use kubemagic_etcd::member::KUBESPRAY_TOKEN;
use kubemagic_etcd::member_ops::{self, MemberProgress, ReplaceRequest};
use kubemagic_etcd::restore::RestoreRequest;
use kubemagic_etcd::{restore_ops, Config, ConnectArgs};
use std::io::Write;
use std::path::PathBuf;

/// The test-only hook: `KUBEMAGIC_TEST_PAUSE_AT=removed|added` makes
/// `member replace` stop right after the cluster confirmed that step and
/// before the journal records it, so a test can kill -9 it there.
const PAUSE_HOOK: &str = "KUBEMAGIC_TEST_PAUSE_AT";

#[derive(clap::Subcommand)]
pub enum MemberSub {
    /// Members with their peer URLs and health; with --env-file, findings about that
    /// member's own configuration (KM141 data dir of another cluster, KM142
    /// ETCD_INITIAL_CLUSTER_STATE=new on a joining member, KM143 name reused with another peer URL).
    #[command(after_help = "Examples:\n  kubemagic etcd member list --env-file /etc/etcd.env")]
    List,
    /// Add a member (as a learner where every member runs 3.4+) and print its env.
    #[command(
        after_help = "Examples:\n  kubemagic etcd member add etcd4 --peer-urls https://10.0.0.14:2380 --env-file /etc/etcd.env"
    )]
    Add {
        name: String,
        /// Peer URLs of the new member, comma-separated.
        #[arg(long, value_delimiter = ',', required = true)]
        peer_urls: Vec<String>,
        /// Add a voting member even where learners are supported.
        #[arg(long)]
        no_learner: bool,
        /// ETCD_INITIAL_CLUSTER_TOKEN printed in the env (etcd ignores it on a join).
        #[arg(long, default_value = KUBESPRAY_TOKEN)]
        initial_cluster_token: String,
    },
    /// Remove a member: refused when it answers (unless --force) or when quorum would be lost.
    #[command(
        after_help = "Examples:\n  kubemagic etcd member remove etcd3 --env-file /etc/etcd.env"
    )]
    Remove {
        name: String,
        /// Remove it even though it answers status.
        #[arg(long)]
        force: bool,
    },
    /// Replace a dead member: remove it, add the new one, print the new member's env.
    /// Journaled in --state-dir: a re-run after an interruption resumes.
    #[command(
        after_help = "Examples:\n  kubemagic etcd member replace --dead etcd3 --name etcd3 --peer-urls https://10.0.0.14:2380 --env-file /etc/etcd.env\n  kubemagic -o json etcd member replace --dead etcd3 --name etcd3 --peer-urls https://10.0.0.14:2380 --state-dir /var/lib/kubemagic --env-file /etc/etcd.env"
    )]
    Replace {
        /// The dead member's name.
        #[arg(long)]
        dead: String,
        /// The new member's name (may be the dead one's).
        #[arg(long)]
        name: String,
        /// Peer URLs of the new member, comma-separated.
        #[arg(long, value_delimiter = ',', required = true)]
        peer_urls: Vec<String>,
        /// Replace a member that still answers status.
        #[arg(long)]
        force: bool,
        /// Add a voting member even where learners are supported.
        #[arg(long)]
        no_learner: bool,
        /// Where the journal lives (etcd-replace-<cluster id>.json).
        #[arg(long, default_value = ".kubemagic")]
        state_dir: PathBuf,
        /// ETCD_INITIAL_CLUSTER_TOKEN printed in the env (etcd ignores it on a join).
        #[arg(long, default_value = KUBESPRAY_TOKEN)]
        initial_cluster_token: String,
    },
    /// Promote a learner to a voting member, retrying until it has caught up.
    #[command(
        after_help = "Examples:\n  kubemagic etcd member promote etcd3 --wait 120s --env-file /etc/etcd.env"
    )]
    Promote {
        name: String,
        /// How long to retry while the learner catches up, e.g. 60s.
        #[arg(long, default_value = "60s")]
        wait: String,
    },
}

/// `etcd restore` flags.
#[derive(clap::Args)]
pub struct RestoreArgs {
    /// The snapshot (etcdctl snapshot save, kubemagic etcd snapshot save or maintain).
    #[arg(long)]
    pub snapshot: PathBuf,
    /// This member's name (not needed with --print-plan).
    #[arg(long, required_unless_present = "print_plan")]
    pub name: Option<String>,
    /// Every member of the restored cluster: NAME=PEER_URL,...
    #[arg(long, required_unless_present = "site", conflicts_with = "site")]
    pub initial_cluster: Option<String>,
    /// Take the members from this site's kubespray etcd group (names and peer URLs as
    /// kubespray derives them) and the data directory from its etcd_data_dir.
    #[arg(long, value_name = "DIR")]
    pub site: Option<PathBuf>,
    /// This member's peer URLs (not needed with --print-plan).
    #[arg(long, value_delimiter = ',', required_unless_present = "print_plan")]
    pub initial_advertise_peer_urls: Vec<String>,
    /// The data directory to create; must be empty unless --move-aside (default with
    /// --site: its etcd_data_dir, /var/lib/etcd).
    #[arg(long, required_unless_present = "site")]
    pub data_dir: Option<PathBuf>,
    /// ETCD_INITIAL_CLUSTER_TOKEN (default: derived from the snapshot's SHA-256, the same on every host).
    #[arg(long)]
    pub initial_cluster_token: Option<String>,
    /// Move a non-empty data directory aside (DIR.kubemagic-aside-TIME) instead of refusing.
    #[arg(long)]
    pub move_aside: bool,
    /// Where etcdutl (3.5+) or etcdctl (3.4) is; default PATH.
    #[arg(long)]
    pub bin_dir: Option<PathBuf>,
    /// Verify the snapshot and print the restore command and env of every member; write nothing.
    #[arg(long)]
    pub print_plan: bool,
}

fn connect_args(c: &ConnFlags) -> Result<ConnectArgs, CliError> {
    let d = |flag: &str, v: &Option<String>| {
        v.as_deref()
            .map(|s| parse_duration(s).map_err(|e| CliError::Input(format!("--{flag}: {e}"))))
            .transpose()
    };
    Ok(ConnectArgs {
        endpoints: c.endpoints.clone(),
        cacert: c.cacert.clone(),
        cert: c.cert.clone(),
        key: c.key.clone(),
        env_file: c.env_file.clone(),
        dial_timeout: d("dial-timeout", &c.dial_timeout)?,
        command_timeout: d("command-timeout", &c.command_timeout)?,
        defrag_timeout: d("defrag-timeout", &c.defrag_timeout)?,
    })
}

fn stdout() -> RedactingWriter<crate::output::Stdout> {
    RedactingWriter::new(crate::output::raw_stdout(), Redactor::new())
}

/// Writes a report: JSON, or text through the library's writer.
fn emit<T: serde::Serialize>(
    format: OutputFormat,
    report: &T,
    text: impl FnOnce(&mut RedactingWriter<crate::output::Stdout>, &T) -> std::io::Result<()>,
) -> Result<(), CliError> {
    match format {
        // The CLI's one document printer: redacted, JSON or `-o yaml`.
        OutputFormat::Json => crate::output::print_json(report),
        OutputFormat::Text => {
            let mut w = stdout();
            text(&mut w, report)?;
            w.finish()?.flush()?;
            Ok(())
        }
    }
}

fn lib(e: member_ops::MemberOpError) -> CliError {
    CliError::lib(e)
}

/// Runs `etcd member ...` or `etcd restore`.
pub fn run(args: Args, output: OutputArg) -> Result<Exit, CliError> {
    let format = output.format();
    match args.command {
        Sub::Restore(r) => restore(r, format),
        Sub::Member { command } => {
            let conn = connect_args(&args.conn)?;
            let config = Config::from_process_env(&conn).map_err(CliError::lib)?;
            let rt = kubemagic_etcd::runtime()
                .map_err(|e| CliError::Failed(format!("cannot start the async runtime: {e}")))?;
            rt.block_on(member(&config, conn.env_file, command, format))
        }
        _ => Err(CliError::Failed("not a member or restore command".into())),
    }
}

/// `etcd::run` sends member and restore commands here before connecting;
/// the dispatch of connected commands never sees them.
pub fn run_unconnected() -> Result<Exit, CliError> {
    Err(CliError::Failed(
        "internal: member and restore commands are run before connecting".into(),
    ))
}

fn progress_writer(text: bool) -> impl FnMut(&MemberProgress) {
    let pause_at = std::env::var(PAUSE_HOOK).ok();
    move |p: &MemberProgress| {
        let mut w = RedactingWriter::new(crate::output::raw_stderr(), Redactor::new());
        if text {
            let _ = match p {
                MemberProgress::Resumed { step } => {
                    writeln!(w, "resuming a replacement journaled at step {step:?}")
                }
                MemberProgress::Planned => writeln!(w, "plan journaled; nothing changed yet"),
                MemberProgress::Removed { id } => writeln!(w, "removed member {id}"),
                MemberProgress::Added { id } => writeln!(w, "added member {id}"),
            };
        }
        if pause_at.as_deref() == Some(p.name()) {
            let _ = writeln!(w, "kubemagic: {PAUSE_HOOK}: paused after {}", p.name());
            let _ = w.finish().map(|mut e| e.flush());
            std::thread::sleep(std::time::Duration::from_secs(3600));
            return;
        }
        let _ = w.finish().map(|mut e| e.flush());
    }
}

async fn member(
    config: &Config,
    env_file: Option<PathBuf>,
    sub: MemberSub,
    format: OutputFormat,
) -> Result<Exit, CliError> {
    match sub {
        MemberSub::List => {
            let r = member_ops::list(config, env_file.as_deref())
                .await
                .map_err(lib)?;
            emit(format, &r, member_ops::write_list_text)?;
            Ok(if kubemagic_core::finding::has_errors(&r.findings) {
                Exit::Failed
            } else {
                Exit::Ok
            })
        }
        MemberSub::Add {
            name,
            peer_urls,
            no_learner,
            initial_cluster_token,
        } => {
            let r = member_ops::add(
                config,
                &name,
                &peer_urls,
                no_learner,
                &initial_cluster_token,
            )
            .await
            .map_err(lib)?;
            emit(format, &r, member_ops::write_change_text)?;
            Ok(Exit::Ok)
        }
        MemberSub::Remove { name, force } => {
            let r = member_ops::remove(config, &name, force)
                .await
                .map_err(lib)?;
            emit(format, &r, member_ops::write_change_text)?;
            Ok(Exit::Ok)
        }
        MemberSub::Promote { name, wait } => {
            let wait =
                parse_duration(&wait).map_err(|e| CliError::Input(format!("--wait: {e}")))?;
            let r = member_ops::promote(config, &name, wait)
                .await
                .map_err(lib)?;
            emit(format, &r, member_ops::write_change_text)?;
            Ok(Exit::Ok)
        }
        MemberSub::Replace {
            dead,
            name,
            peer_urls,
            force,
            no_learner,
            state_dir,
            initial_cluster_token,
        } => {
            let req = ReplaceRequest {
                dead,
                name,
                peer_urls,
                force,
                no_learner,
                token: initial_cluster_token,
                state_dir,
            };
            let mut progress = progress_writer(format == OutputFormat::Text);
            let r = member_ops::replace(config, &req, &mut progress)
                .await
                .map_err(lib)?;
            emit(format, &r, member_ops::write_replace_text)?;
            Ok(Exit::Ok)
        }
    }
}

/// `--initial-cluster` and `--data-dir`, or what the site's kubespray
/// inventory gives for them.
fn cluster_and_dir(a: &RestoreArgs) -> Result<(String, PathBuf), CliError> {
    let from_site = match &a.site {
        Some(dir) => {
            let site = kubemagic_site::Site::load(dir)?;
            let (peers, dd) = kubemagic_site::etcd_peers::etcd_peers(&site)
                .map_err(|e| CliError::Input(format!("{}: {e}", dir.display())))?;
            Some((
                kubemagic_site::etcd_peers::initial_cluster(&peers),
                PathBuf::from(dd),
            ))
        }
        None => None,
    };
    let ic = match (&a.initial_cluster, &from_site) {
        (Some(ic), _) => ic.clone(),
        (None, Some((ic, _))) => ic.clone(),
        (None, None) => return Err(CliError::Input("give --initial-cluster or --site".into())),
    };
    let dd = match (&a.data_dir, from_site) {
        (Some(d), _) => d.clone(),
        (None, Some((_, d))) => d,
        (None, None) => return Err(CliError::Input("give --data-dir or --site".into())),
    };
    Ok((ic, dd))
}

fn restore(a: RestoreArgs, format: OutputFormat) -> Result<Exit, CliError> {
    let (initial_cluster, data_dir) = cluster_and_dir(&a)?;
    let req = RestoreRequest {
        snapshot: a.snapshot.clone(),
        name: a.name.unwrap_or_default(),
        initial_cluster,
        advertise_peer_urls: a.initial_advertise_peer_urls,
        data_dir,
        token: a.initial_cluster_token,
        move_aside: a.move_aside,
        bin_dir: a.bin_dir,
    };
    if a.print_plan {
        let (check, plan) = restore_ops::print_plan(&req).map_err(CliError::lib)?;
        let doc = serde_json::json!({ "snapshot": check, "plan": plan });
        emit(format, &doc, |w, _| {
            restore_ops::write_plan_text(w, &check, &plan, &a.snapshot)
        })?;
        return Ok(Exit::Ok);
    }
    let r = restore_ops::restore(&req).map_err(CliError::lib)?;
    emit(format, &r, restore_ops::write_restore_text)?;
    Ok(Exit::Ok)
}
