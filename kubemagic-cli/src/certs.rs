//! `kubemagic certs check|probe`: every certificate of the site before it
//! expires (kubemagic-certs). Arguments in, the library's report out
//! through its writer.

use crate::output::{CliError, Exit, OutputArg};
use kubemagic_certs::{CertsError, Format, Thresholds};
use kubemagic_core::{RedactingWriter, Redactor};
use std::path::PathBuf;
use std::time::Duration;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand)]
enum Command {
    /// Read certificate files, directories and kubeconfigs; report expiry, chains and SANs.
    #[command(
        after_help = "Examples:\n  kubemagic certs check /etc/kubernetes /etc/ssl/etcd/ssl\n  kubemagic certs check --site examples/utgb --host master1.utgb.example\n  kubemagic -o nagios certs check /etc/origin/master --warning-days 60\n  kubemagic certs check /etc/kubernetes --plan --at 2027-06-01\n\nExit codes: 0 no error finding; 1 error findings (expired, within --critical-days, broken chain, missing SAN); 2 bad input.\nWith -o nagios: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN."
    )]
    Check(CheckArgs),
    /// TLS handshake to each endpoint, only to read the chain it serves.
    #[command(
        after_help = "Examples:\n  kubemagic certs probe 10.0.0.10:6443 10.0.0.11:2379\n  kubemagic certs probe --site examples/utgb\n  kubemagic -o json certs probe api.example:6443 | jq '.certificates[0].days_left'\n\nExit codes: as `certs check`; an endpoint that cannot be reached is an error finding (KM349)."
    )]
    Probe(ProbeArgs),
}

#[derive(clap::Args)]
struct Common {
    /// The site: its host addresses, API VIP, stack and release.
    #[arg(long, value_name = "SITE")]
    site: Option<PathBuf>,
    /// Warn when a certificate expires within this many days.
    #[arg(long, default_value_t = 30, value_name = "DAYS")]
    warning_days: i64,
    /// Error when a certificate expires within this many days.
    #[arg(long, default_value_t = 7, value_name = "DAYS")]
    critical_days: i64,
    /// Decide as at this time (RFC 3339 or YYYY-MM-DD, UTC) instead of now.
    #[arg(long, value_name = "TIME")]
    at: Option<String>,
    /// Add the renewal commands for the site's stack and release.
    #[arg(long)]
    plan: bool,
}

#[derive(clap::Args)]
struct CheckArgs {
    /// Certificate files (*.crt, *.pem, *.cert), kubeconfigs, or directories (read recursively); none: the stack's directories under --root (kubespray's and OpenShift's without --site).
    #[arg(value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// The site host these files are on (needs --site): its SANs are checked, and with no PATH the stack's directories are read.
    #[arg(long, value_name = "HOST", requires = "site")]
    host: Option<String>,
    /// Where the stack's directories are found when no PATH is given.
    #[arg(long, default_value = "/", value_name = "DIR")]
    root: PathBuf,
    #[command(flatten)]
    common: Common,
}

#[derive(clap::Args)]
struct ProbeArgs {
    /// Endpoints, HOST:PORT; none with --site: the site's API VIP, apiservers and etcd members.
    #[arg(value_name = "HOST:PORT")]
    endpoints: Vec<String>,
    /// Seconds to wait for each connection and handshake.
    #[arg(long, default_value_t = 5, value_name = "SECONDS")]
    timeout: u64,
    #[command(flatten)]
    common: Common,
}

fn format_of(output: OutputArg) -> Format {
    match output {
        OutputArg::Text => Format::Text,
        OutputArg::Json => Format::Json,
        OutputArg::Yaml => Format::Yaml,
        OutputArg::Nagios => Format::Nagios,
        // Refused for every command but `check` before it gets here.
        OutputArg::Sarif | OutputArg::Github => Format::Text,
    }
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

fn when(c: &Common) -> Result<(Thresholds, i64), CertsError> {
    let t = Thresholds::new(c.warning_days, c.critical_days)?;
    let at = match &c.at {
        Some(text) => kubemagic_certs::time::parse_at(text)?,
        None => now(),
    };
    Ok((t, at))
}

pub fn run(args: Args, output: OutputArg) -> Result<Exit, CliError> {
    let format = format_of(output);
    let report = match args.command {
        Command::Check(a) => when(&a.common).and_then(|(thresholds, at)| {
            kubemagic_certs::check(&kubemagic_certs::CheckRequest {
                paths: a.paths,
                site: a.common.site,
                host: a.host,
                root: a.root,
                thresholds,
                at,
                plan: a.common.plan,
            })
        }),
        Command::Probe(a) => when(&a.common).and_then(|(thresholds, at)| {
            kubemagic_certs::probe_endpoints(&kubemagic_certs::ProbeRequest {
                endpoints: a.endpoints,
                site: a.common.site,
                thresholds,
                at,
                timeout: Duration::from_secs(a.timeout.max(1)),
                plan: a.common.plan,
            })
        }),
    };
    let mut out = RedactingWriter::new(crate::output::raw_stdout(), Redactor::new());
    let report = match report {
        Ok(r) => r,
        // A plugin that could not decide is UNKNOWN (3), not a state.
        Err(e) if format == Format::Nagios => {
            let p = kubemagic_core::nagios::PluginOutput::unknown(
                kubemagic_certs::report::NAGIOS_SERVICE,
                e.to_string(),
            );
            std::io::Write::write_all(&mut out, p.render().as_bytes())?;
            drop(out.finish()?);
            return Ok(Exit::Code(p.state.code()));
        }
        Err(e) => return Err(CliError::lib(e)),
    };
    kubemagic_certs::write(&report, format, &mut out)?;
    drop(out.finish()?);
    Ok(
        match (format, kubemagic_certs::exit_code(&report, format)) {
            (Format::Nagios, c) => Exit::Code(c),
            (_, 0) => Exit::Ok,
            _ => Exit::Failed,
        },
    )
}
