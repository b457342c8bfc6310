//! `kubemagic ceph prepare|render|validate|leftovers`: arguments in, one
//! library call, and the library's report writer (`kubemagic_ceph::report`)
//! pointed at stdout or stderr through the one redaction. Keys are printed
//! only inside the Secret manifests of `render --target csi`.

use crate::output::{CliError, Exit, OutputFormat};
use kubemagic_ceph::cli::Connection;
use kubemagic_ceph::doctor::{doctor, DoctorRequest};
use kubemagic_ceph::leftovers::{leftovers, LeftoversRequest};
use kubemagic_ceph::model::{ClientName, FsName, PgNum, PoolName};
use kubemagic_ceph::prepare::{
    prepare, CephFsRequest, PrepareRequest, DEFAULT_CLIENT, DEFAULT_POOL, DEFAULT_SUBVOLUME_GROUP,
};
use kubemagic_ceph::render::{self, RenderRequest, DEFAULT_ADMIN, DEFAULT_NAMESPACE};
use kubemagic_ceph::report::{self, Format};
use kubemagic_ceph::validate::{validate, KernelVersion, ValidateRequest};
use kubemagic_ceph::CephError;
use kubemagic_core::finding::has_errors;
use kubemagic_core::{Finding, RedactingWriter};
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
    /// The library's connection; a slow monitor is named on the progress
    /// line (`--progress`).
    fn connection(&self) -> Connection {
        Connection {
            ceph_conf: self.ceph_conf.clone(),
            keyring: self.keyring.clone(),
            name: Some(self.name.clone()),
            progress: kubemagic_ceph::cli::ProgressHook(Some(crate::progress::reporter())),
        }
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

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum Target {
    /// kubespray's rbd_provisioner_* / cephfs_provisioner_* group_vars.
    Kubespray,
    /// ceph-csi ConfigMaps, Secrets (one per ceph-csi user) and StorageClasses.
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
    /// Create the RBD pool and client (and CephFS subvolume group and client, and the ceph-csi users) Kubernetes needs; idempotent.
    #[command(
        after_help = "Examples:\n  kubemagic ceph prepare --pool kube --client kube --ceph-conf /etc/ceph/ceph.conf --keyring /etc/ceph/ceph.client.admin.keyring\n  kubemagic ceph prepare --csi --cephfs cephfs --dry-run --ceph-conf /etc/ceph/ceph.conf --keyring /etc/ceph/ceph.client.admin.keyring"
    )]
    Prepare {
        #[command(flatten)]
        conn: Conn,
        #[arg(long, default_value = DEFAULT_POOL)]
        pool: PoolName,
        /// Client name, with or without `client.`.
        #[arg(long, default_value = DEFAULT_CLIENT)]
        client: ClientName,
        /// pg_num of a new pool (a power of two); Ceph's default otherwise.
        #[arg(long)]
        pg_num: Option<PgNum>,
        #[command(flatten)]
        fs: FsArgs,
        /// Also the four ceph-csi users (csi-rbd-provisioner, csi-rbd-node,
        /// and with --cephfs csi-cephfs-provisioner, csi-cephfs-node) with
        /// ceph-csi's documented caps on this pool / file system / group.
        #[arg(long)]
        csi: bool,
        /// Print what would change and change nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Print kubespray vars, ceph-csi manifests or the equivalent commands.
    #[command(
        after_help = "Examples:\n  kubemagic ceph render --target kubespray --site examples/utgb\n  kubemagic -o yaml ceph render --target csi --site examples/utgb"
    )]
    Render {
        #[arg(long, value_enum)]
        target: Target,
        /// A site directory (reads SITE/ceph-ansible/hosts).
        #[arg(long, conflicts_with = "ceph_conf")]
        site: Option<PathBuf>,
        #[command(flatten)]
        conn: Conn,
        /// The cluster fsid (ceph-csi's clusterID), when the site lets ceph-ansible generate it.
        #[arg(long)]
        fsid: Option<String>,
        #[arg(long, default_value = DEFAULT_POOL)]
        pool: PoolName,
        #[arg(long, default_value = DEFAULT_CLIENT)]
        client: ClientName,
        /// Admin id written into kubespray's vars (never its key).
        #[arg(long, default_value = DEFAULT_ADMIN)]
        admin: ClientName,
        #[arg(long)]
        pg_num: Option<PgNum>,
        #[command(flatten)]
        fs: FsArgs,
        /// Namespace of the ceph-csi ConfigMaps and Secrets.
        #[arg(long, default_value = DEFAULT_NAMESPACE)]
        namespace: String,
    },
    /// Validate the cluster model (site or live) and RBD image features against their consumer.
    #[command(after_help = "Examples:\n  kubemagic ceph validate --site examples/utgb")]
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
    /// Is this Ceph ready to serve Kubernetes: health, PG budget, quotas, csi users' caps, ceph-csi config, and a live probe with the csi users' keys.
    #[command(
        after_help = "Examples:\n  kubemagic ceph doctor --ceph-conf /etc/ceph/ceph.conf --keyring /etc/ceph/ceph.client.admin.keyring --pool kube --csi-config config.json\n  kubemagic -o nagios ceph doctor --ceph-conf /etc/ceph/ceph.conf --keyring /etc/ceph/ceph.client.admin.keyring --fs cephfs"
    )]
    Doctor {
        #[command(flatten)]
        conn: Conn,
        /// A site whose ceph-ansible model is validated too.
        #[arg(long)]
        site: Option<PathBuf>,
        /// ceph-csi's config.json, or the ConfigMap holding it (YAML or JSON).
        #[arg(long, value_name = "FILE")]
        csi_config: Option<PathBuf>,
        /// The RBD pool PVCs use.
        #[arg(long, default_value = DEFAULT_POOL)]
        pool: PoolName,
        /// The pg_num `prepare` would give the pool if it is missing (PG budget).
        #[arg(long)]
        pg_num: Option<PgNum>,
        /// The CephFS file system PVCs use (checks the CephFS users, probes a subvolume).
        #[arg(long, value_name = "FS")]
        fs: Option<FsName>,
        /// ceph-csi's subvolume group.
        #[arg(long, default_value = DEFAULT_SUBVOLUME_GROUP)]
        subvolume_group: String,
        /// Also check this client's caps (the external rbd-provisioner's user).
        #[arg(long, value_name = "NAME")]
        client: Option<ClientName>,
        /// Skip the live probe (no image or subvolume is created).
        #[arg(long)]
        no_probe: bool,
    },
    /// Find (and with --delete remove) what the Ceph provisioners leave behind.
    #[command(
        after_help = "Examples:\n  kubemagic ceph leftovers --kubeconfig ~/.kube/config\n  kubemagic -o nagios ceph leftovers --kubeconfig ~/.kube/config"
    )]
    Leftovers {
        #[arg(long, value_name = "K")]
        kubeconfig: Option<PathBuf>,
        /// Delete: Kubernetes objects first (Secret, then PV), then with --ceph-conf the Ceph side.
        #[arg(long)]
        delete: bool,
        #[command(flatten)]
        conn: Conn,
    },
}

/// Input mistakes exit 2, failures of a live system exit 1.
fn ceph_err(e: CephError) -> CliError {
    CliError::lib(e)
}

fn exit_for(findings: &[Finding]) -> Exit {
    if has_errors(findings) {
        Exit::Failed
    } else {
        Exit::Ok
    }
}

/// The library's report format for the global `-o`.
fn format_of(format: OutputFormat, yaml: bool, nagios: bool) -> Format {
    match (format, yaml, nagios) {
        (_, _, true) => Format::Nagios,
        (OutputFormat::Json, true, _) => Format::Yaml,
        (OutputFormat::Json, false, _) => Format::Json,
        (OutputFormat::Text, ..) => Format::Text,
    }
}

/// The destinations: reports on stdout, notes on stderr, both through the
/// one redaction (which knows the admin key of `conn`).
fn stdout(conn: &Conn) -> RedactingWriter<crate::output::Stdout> {
    RedactingWriter::new(
        crate::output::raw_stdout(),
        report::redactor(&conn.connection()),
    )
}

fn stderr(conn: &Conn) -> RedactingWriter<crate::output::Stderr> {
    RedactingWriter::new(
        crate::output::raw_stderr(),
        report::redactor(&conn.connection()),
    )
}

/// `yaml`: `render` prints its manifests as a YAML stream (`---` between
/// documents, what `kubectl apply -f` reads); every other report is the JSON
/// document encoded as YAML.
pub fn run(args: Args, format: OutputFormat, yaml: bool, nagios: bool) -> Result<Exit, CliError> {
    if nagios && !matches!(*args.command, Sub::Leftovers { .. } | Sub::Doctor { .. }) {
        return Err(CliError::Input(
            "--output nagios: of the ceph commands only `ceph leftovers` and `ceph doctor` are checks".into(),
        ));
    }
    let fmt = format_of(format, yaml, nagios);
    match *args.command {
        Sub::Prepare {
            conn,
            pool,
            client,
            pg_num,
            fs,
            csi,
            dry_run,
        } => {
            let api = conn
                .connection()
                .open()
                .map_err(ceph_err)?
                .ok_or_else(|| CliError::Input("prepare needs --ceph-conf".into()))?;
            let cephfs = match fs.cephfs {
                Some(name) => Some(
                    CephFsRequest::new(name, Some(fs.subvolume_group), fs.cephfs_client, &client)
                        .map_err(ceph_err)?,
                ),
                None => None,
            };
            let req = PrepareRequest {
                cephfs,
                pool,
                client,
                pg_num,
                csi,
            };
            let rep = prepare(&api, &req, dry_run).map_err(ceph_err)?;
            let mut out = stdout(&conn);
            report::write_prepare(&mut out, &rep, &req, fmt)?;
            drop(out.finish()?);
            if fmt == Format::Text {
                let mut err = stderr(&conn);
                report::write_findings(&mut err, &rep.notes)?;
                err.finish()?;
            }
            Ok(exit_for(&rep.notes))
        }
        Sub::Render {
            target,
            site,
            conn,
            fsid,
            pool,
            client,
            admin,
            pg_num,
            fs,
            namespace,
        } => {
            let mut req = RenderRequest::new(target.into()).map_err(ceph_err)?;
            req.site = site;
            req.conn = conn.connection();
            req.fsid = fsid;
            req.pool = pool;
            req.client = client;
            req.admin = admin;
            req.pg_num = pg_num;
            req.cephfs = fs.cephfs;
            req.subvolume_group = Some(fs.subvolume_group);
            req.cephfs_client = fs.cephfs_client;
            req.namespace = namespace;
            let rendered = render::render(&req).map_err(ceph_err)?;
            let mut out = stdout(&conn);
            report::write_render(&mut out, &rendered, fmt)?;
            drop(out.finish()?);
            if fmt != Format::Json {
                let mut err = stderr(&conn);
                report::write_findings(&mut err, &rendered.findings)?;
                err.finish()?;
            }
            Ok(exit_for(&rendered.findings))
        }
        Sub::Validate {
            site,
            conn,
            image_features,
            krbd_kernel,
            rbd_provisioner,
        } => {
            let req = ValidateRequest {
                site,
                conn: conn.connection(),
                image_features,
                krbd_kernel,
                rbd_provisioner,
            };
            let rep = validate(&req).map_err(ceph_err)?;
            let mut out = stdout(&conn);
            report::write_validate(&mut out, &rep, fmt)?;
            drop(out.finish()?);
            Ok(exit_for(&rep.findings))
        }
        Sub::Doctor {
            conn,
            site,
            csi_config,
            pool,
            pg_num,
            fs,
            subvolume_group,
            client,
            no_probe,
        } => {
            let mut req = DoctorRequest::new(conn.connection(), pool);
            req.site = site;
            req.csi_config = csi_config;
            req.pg_num = pg_num;
            req.fs = fs;
            req.subvolume_group = subvolume_group;
            req.client = client.map(|c| c.entity());
            req.probe = !no_probe;
            run_doctor(&req, &conn, fmt)
        }
        Sub::Leftovers {
            kubeconfig,
            delete,
            conn,
        } => {
            let req = LeftoversRequest {
                kubeconfig,
                conn: conn.connection(),
                delete,
            };
            run_leftovers(&req, &conn, fmt)
        }
    }
}

/// `ceph doctor`: the report, or as a check (UNKNOWN when the cluster
/// cannot be asked).
fn run_doctor(req: &DoctorRequest, conn: &Conn, fmt: Format) -> Result<Exit, CliError> {
    let result = doctor(req);
    let mut out = stdout(conn);
    if fmt == Format::Nagios {
        let check = match &result {
            Ok(r) => report::doctor_check(r),
            Err(e) => kubemagic_core::nagios::PluginOutput::unknown("CEPH DOCTOR", e.to_string()),
        };
        report::write_nagios(&mut out, &check)?;
        drop(out.finish()?);
        return Ok(Exit::Code(check.state.code()));
    }
    let rep = result.map_err(ceph_err)?;
    report::write_doctor(&mut out, &rep, fmt)?;
    drop(out.finish()?);
    Ok(exit_for(&rep.findings))
}

/// `ceph leftovers`: the report, or as a check (UNKNOWN when Kubernetes
/// or Ceph cannot be asked).
fn run_leftovers(req: &LeftoversRequest, conn: &Conn, fmt: Format) -> Result<Exit, CliError> {
    let result = leftovers(req);
    let mut out = stdout(conn);
    if fmt == Format::Nagios {
        // A monitoring plugin: leftovers are WARNING; a cluster or API
        // that cannot be asked is UNKNOWN (the check could not decide).
        let check = report::leftovers_check(&result);
        report::write_nagios(&mut out, &check)?;
        drop(out.finish()?);
        return Ok(Exit::Code(check.state.code()));
    }
    let rep = result.map_err(ceph_err)?;
    report::write_leftovers(&mut out, &rep, fmt)?;
    drop(out.finish()?);
    Ok(Exit::Ok)
}
