//! `kubemagic ceph prepare|render|validate|leftovers`: arguments in, library
//! calls, text or JSON out. Keys are printed only inside the Secret
//! manifests of `render --target csi`.

use crate::output::{print_json, CliError, Exit, OutputFormat};
use kubemagic_ceph::api::CephApi;
use kubemagic_ceph::cli::CephCli;
use kubemagic_ceph::keyring::Keyring;
use kubemagic_ceph::model::{ClientName, FsName, PgNum, PoolName};
use kubemagic_ceph::prepare::{prepare, CephFsRequest, PrepareRequest, DEFAULT_SUBVOLUME_GROUP};
use kubemagic_ceph::render::{self, RenderInput};
use kubemagic_ceph::validate::{
    parse_features, validate_cluster, validate_image_features, validate_key, Consumer,
    KernelVersion,
};
use kubemagic_ceph::{leftovers, site, CephCluster, CephError};
use kubemagic_core::finding::has_errors;
use kubemagic_core::Finding;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// Boxed: the Ceph options are large next to the other command families.
    #[command(subcommand)]
    pub command: Box<Sub>,
}

/// How to reach a live cluster.
#[derive(clap::Args, Clone)]
pub struct Conn {
    /// ceph.conf of the cluster (never /etc/ceph unless given).
    #[arg(long, value_name = "CONF")]
    pub ceph_conf: Option<PathBuf>,
    /// Keyring of the admin client.
    #[arg(long, value_name = "KEYRING")]
    pub keyring: Option<PathBuf>,
    /// Admin client name, as `ceph --name` (default client.admin).
    #[arg(long, value_name = "ENTITY", default_value = "client.admin")]
    pub name: String,
}

impl Conn {
    /// The CLI client, after checking the files exist (a clearer message
    /// than the one librados gives through the ceph tool).
    fn cli(&self) -> Result<Option<CephCli>, CliError> {
        let Some(conf) = &self.ceph_conf else {
            return Ok(None);
        };
        for f in std::iter::once(conf).chain(self.keyring.as_ref()) {
            if !f.is_file() {
                return Err(input(format!("{}: no such file", f.display())));
            }
        }
        let mut c = CephCli::new(conf, self.keyring.clone());
        c.name = Some(self.name.clone());
        Ok(Some(c))
    }
}

/// CephFS options shared by prepare and render.
#[derive(clap::Args, Clone)]
pub struct FsArgs {
    /// Also prepare/render CephFS for this file system.
    #[arg(long, value_name = "FS")]
    pub cephfs: Option<FsName>,
    /// ceph-csi's subvolume group.
    #[arg(long, default_value = DEFAULT_SUBVOLUME_GROUP)]
    pub subvolume_group: String,
    /// The CephFS client (default: <client>-cephfs).
    #[arg(long, value_name = "NAME")]
    pub cephfs_client: Option<ClientName>,
}

impl FsArgs {
    fn request(&self, client: &ClientName) -> Result<Option<CephFsRequest>, CliError> {
        let Some(fs) = &self.cephfs else {
            return Ok(None);
        };
        let fs_client = match &self.cephfs_client {
            Some(c) => c.clone(),
            None => format!("{client}-cephfs")
                .parse::<ClientName>()
                .map_err(input)?,
        };
        Ok(Some(CephFsRequest {
            fs: fs.clone(),
            subvolume_group: self.subvolume_group.clone(),
            client: fs_client,
        }))
    }
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum Target {
    /// kubespray's rbd_provisioner_* / cephfs_provisioner_* group_vars.
    Kubespray,
    /// ceph-csi ConfigMap, Secrets and StorageClasses.
    Csi,
    /// The ceph commands to prepare the cluster by hand.
    Commands,
}

impl From<Target> for render::Target {
    fn from(t: Target) -> render::Target {
        match t {
            Target::Kubespray => render::Target::Kubespray,
            Target::Csi => render::Target::Csi,
            Target::Commands => render::Target::Commands,
        }
    }
}

#[derive(clap::Subcommand)]
pub enum Sub {
    /// Create the RBD pool and client (and CephFS subvolume group and client) Kubernetes needs; idempotent.
    Prepare {
        #[command(flatten)]
        conn: Conn,
        #[arg(long)]
        pool: PoolName,
        /// Client name, with or without `client.`.
        #[arg(long)]
        client: ClientName,
        /// pg_num of a new pool (a power of two); Ceph's default otherwise.
        #[arg(long)]
        pg_num: Option<PgNum>,
        #[command(flatten)]
        fs: FsArgs,
        /// Print what would change and change nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Print kubespray vars, ceph-csi manifests or the equivalent commands.
    Render {
        #[arg(long, value_enum)]
        target: Target,
        /// A site directory (reads SITE/ceph-ansible/hosts).
        #[arg(long, conflicts_with = "ceph_conf")]
        site: Option<PathBuf>,
        #[command(flatten)]
        conn: Conn,
        #[arg(long, default_value = "kube")]
        pool: PoolName,
        #[arg(long, default_value = "kube")]
        client: ClientName,
        /// Admin id written into the manifests/vars.
        #[arg(long, default_value = "admin")]
        admin: ClientName,
        #[arg(long)]
        pg_num: Option<PgNum>,
        #[command(flatten)]
        fs: FsArgs,
        /// Namespace of the ceph-csi ConfigMap and Secrets.
        #[arg(long, default_value = "ceph-csi")]
        namespace: String,
    },
    /// Validate the cluster model (site or live) and RBD image features against their consumer.
    Validate {
        #[arg(long, conflicts_with = "ceph_conf")]
        site: Option<PathBuf>,
        #[command(flatten)]
        conn: Conn,
        /// RBD image features, e.g. layering,exclusive-lock.
        #[arg(long)]
        image_features: Option<String>,
        /// Nodes map with krbd on this kernel (e.g. 4.19 or `uname -r`).
        #[arg(long, conflicts_with = "rbd_provisioner")]
        krbd_kernel: Option<KernelVersion>,
        /// Images are created by the external rbd-provisioner.
        #[arg(long)]
        rbd_provisioner: bool,
    },
    /// Find (and with --delete remove) what the cephfs-provisioner leaves behind.
    Leftovers {
        #[arg(long, value_name = "K")]
        kubeconfig: Option<PathBuf>,
        /// Delete each Secret, then its PV, then orphan Secrets; with --ceph-conf also the cephx users.
        #[arg(long)]
        delete: bool,
        #[command(flatten)]
        conn: Conn,
    },
}

fn input(e: impl std::fmt::Display) -> CliError {
    CliError::Input(e.to_string())
}

/// Input mistakes exit 2, failures of a live system exit 1.
fn ceph_err(e: CephError) -> CliError {
    match e {
        CephError::Spawn { .. }
        | CephError::Command { .. }
        | CephError::Json { .. }
        | CephError::NoSuchFs(_)
        | CephError::Kube { .. }
        | CephError::Yaml(_)
        | CephError::Runtime(_) => CliError::Failed(e.to_string()),
        _ => CliError::Input(e.to_string()),
    }
}

fn print_findings(findings: &[Finding]) {
    for f in findings {
        eprintln!("{f}");
    }
}

pub fn run(args: Args, format: OutputFormat) -> Result<Exit, CliError> {
    match *args.command {
        Sub::Prepare {
            conn,
            pool,
            client,
            pg_num,
            fs,
            dry_run,
        } => {
            let api = conn
                .cli()?
                .ok_or_else(|| input("prepare needs --ceph-conf"))?;
            let req = PrepareRequest {
                cephfs: fs.request(&client)?,
                pool,
                client,
                pg_num,
            };
            let report = prepare(&api, &req, dry_run).map_err(ceph_err)?;
            match format {
                OutputFormat::Json => print_json(&report)?,
                OutputFormat::Text => {
                    let verb = if report.dry_run { "would" } else { "did" };
                    for a in &report.actions {
                        println!("{verb}: {}  ({})", a.describe(), a.command());
                    }
                    if report.actions.is_empty() {
                        println!(
                            "no change: pool {}, {} already prepared",
                            req.pool,
                            req.client.entity()
                        );
                    }
                    for k in &report.keys {
                        println!(
                            "key of {}: in the monitors' auth database; read it with `{}`",
                            k.entity, k.read_with
                        );
                    }
                    print_findings(&report.notes);
                }
            }
            Ok(if has_errors(&report.notes) {
                Exit::Failed
            } else {
                Exit::Ok
            })
        }
        Sub::Render {
            target,
            site,
            conn,
            pool,
            client,
            admin,
            pg_num,
            fs,
            namespace,
        } => {
            let cephfs = fs.request(&client)?;
            let input_ = RenderInput {
                cluster: CephCluster::default(),
                pool,
                client,
                admin,
                cephfs,
                pg_num,
                namespace,
                user_key: None,
                admin_key: None,
                cephfs_user_key: None,
            };
            let api = conn.cli()?;
            let source = match (&site, &api) {
                (Some(site), _) => render::Source::Site(site),
                (None, Some(api)) => render::Source::Live {
                    api,
                    keyring: conn.keyring.as_deref(),
                },
                (None, None) if matches!(target, Target::Commands) => render::Source::Nothing,
                (None, None) => {
                    return Err(input(
                        "render needs --site SITE or --ceph-conf CONF --keyring KEYRING",
                    ))
                }
            };
            let rendered = render::render(target.into(), source, input_).map_err(ceph_err)?;
            let findings = rendered.findings;
            match format {
                OutputFormat::Json => {
                    print_json(&serde_json::json!({"text": rendered.text, "findings": findings}))?
                }
                OutputFormat::Text => {
                    print!("{}", rendered.text);
                    print_findings(&findings);
                }
            }
            Ok(if has_errors(&findings) {
                Exit::Failed
            } else {
                Exit::Ok
            })
        }
        Sub::Validate {
            site,
            conn,
            image_features,
            krbd_kernel,
            rbd_provisioner,
        } => {
            let mut findings = Vec::new();
            match (&site, conn.cli()?) {
                (Some(site), _) => {
                    let (cluster, f) = site::from_site(site).map_err(ceph_err)?;
                    findings.extend(f);
                    findings.extend(validate_cluster(&cluster));
                }
                (None, Some(api)) => {
                    findings.extend(validate_cluster(&api.cluster().map_err(ceph_err)?))
                }
                (None, None) if image_features.is_some() || conn.keyring.is_some() => {}
                (None, None) => {
                    return Err(input(
                        "validate needs --site, --ceph-conf, --keyring or --image-features",
                    ))
                }
            }
            // Every key of the keyring: a key pasted with a trailing blank
            // or newline is refused by cephx only when a node mounts.
            if let Some(path) = &conn.keyring {
                let kr = Keyring::read(path).map_err(ceph_err)?;
                for (entity, key) in &kr.entries {
                    findings.extend(validate_key(entity, key).into_iter().map(|f| Finding {
                        file: Some(path.clone()),
                        ..f
                    }));
                }
            }
            if let Some(list) = &image_features {
                let feats = parse_features(list).map_err(ceph_err)?;
                let consumer = match (krbd_kernel, rbd_provisioner) {
                    (Some(k), _) => Consumer::Krbd(k),
                    (None, true) => Consumer::RbdProvisioner,
                    (None, false) => Consumer::Librbd,
                };
                findings.extend(validate_image_features(&feats, consumer));
            }
            match format {
                OutputFormat::Json => print_json(&serde_json::json!({"findings": findings}))?,
                OutputFormat::Text => {
                    for f in &findings {
                        println!("{f}");
                    }
                    if findings.is_empty() {
                        println!("no finding");
                    }
                }
            }
            Ok(if has_errors(&findings) {
                Exit::Failed
            } else {
                Exit::Ok
            })
        }
        Sub::Leftovers {
            kubeconfig,
            delete,
            conn,
        } => {
            let ceph_api = conn.cli()?;
            let kubeconfig = kubeconfig.as_deref();
            let (found, deleted) = leftovers::block_on(async {
                let client = leftovers::client(kubeconfig).await?;
                let found = leftovers::scan(&client).await?;
                let deleted = if delete {
                    leftovers::delete(&client, &found).await?
                } else {
                    vec![]
                };
                Ok::<_, CephError>((found, deleted))
            })
            .map_err(ceph_err)?
            .map_err(ceph_err)?;
            let cleanup = found.ceph_cleanup();
            let users_deleted = match (delete, ceph_api) {
                (true, Some(api)) => {
                    leftovers::delete_ceph_users(&api, &cleanup).map_err(ceph_err)?
                }
                _ => vec![],
            };
            match format {
                OutputFormat::Json => print_json(&serde_json::json!({
                    "volumes": found.volumes,
                    "orphan_secrets": found.orphan_secrets,
                    "deleted": deleted,
                    "ceph_cleanup": cleanup,
                    "ceph_users_deleted": users_deleted,
                }))?,
                OutputFormat::Text => {
                    if found.is_empty() {
                        println!("no cephfs-provisioner leftovers");
                    }
                    for v in &found.volumes {
                        let secret = v
                            .secret
                            .as_ref()
                            .map(|s| {
                                format!(
                                    "{}/{}{}",
                                    s.namespace,
                                    s.name,
                                    if s.exists { "" } else { " (already gone)" }
                                )
                            })
                            .unwrap_or_else(|| "-".into());
                        println!(
                            "PV {}: Released, reclaim policy Delete, claim {}; secret {secret}",
                            v.pv,
                            v.claim.as_deref().unwrap_or("-")
                        );
                    }
                    for s in &found.orphan_secrets {
                        println!("orphan Secret {}/{} (its PV is gone)", s.namespace, s.name);
                    }
                    for d in &deleted {
                        let what = if d.existed { "deleted" } else { "already gone" };
                        match &d.namespace {
                            Some(ns) => println!("{what}: {} {ns}/{}", d.kind, d.name),
                            None => println!("{what}: {} {}", d.kind, d.name),
                        }
                    }
                    if !cleanup.is_empty() {
                        println!("Ceph side:");
                        for c in &cleanup {
                            let done = users_deleted
                                .iter()
                                .any(|u| u.entity == format!("client.{}", c.user));
                            println!("  {}{}", c.command, if done { "  (done)" } else { "" });
                            if let Some(p) = &c.path {
                                println!("  remove the share {p} from CephFS (mount it with an admin key)");
                            }
                        }
                    }
                }
            }
            Ok(Exit::Ok)
        }
    }
}
