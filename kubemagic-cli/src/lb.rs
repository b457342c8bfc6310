//! `kubemagic lb render SITE`: the HAProxy/Keepalived load balancer in front
//! of the Kubernetes API, rendered from the site (kubemagic-lb).

use crate::output::{print_json, CliError, Exit, OutputFormat};
use kubemagic_lb::{render_host, LbError, LbModel};
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand)]
enum Command {
    /// Render haproxy.cfg and keepalived.conf for every lb host (or one).
    #[command(
        after_help = "Examples:\n  kubemagic lb render examples/utgb\n  kubemagic lb render examples/utgb --dest /tmp/lb\n  kubemagic -o json lb render examples/utgb --host lb1.utgb.example"
    )]
    Render(RenderArgs),
}

#[derive(clap::Args)]
struct RenderArgs {
    /// The site directory.
    site: PathBuf,
    /// Only this lb host.
    #[arg(long)]
    host: Option<String>,
    /// Write DIR/<host>/haproxy.cfg and DIR/<host>/keepalived.conf instead of printing them.
    #[arg(long, value_name = "DIR")]
    dest: Option<PathBuf>,
}

impl From<LbError> for CliError {
    fn from(e: LbError) -> CliError {
        CliError::lib(e)
    }
}

pub fn run(args: Args, format: OutputFormat) -> Result<Exit, CliError> {
    match args.command {
        Command::Render(a) => render(a, format),
    }
}

fn render(args: RenderArgs, format: OutputFormat) -> Result<Exit, CliError> {
    let mut model = kubemagic_lb::load(&args.site)?;
    if let Some(h) = &args.host {
        if model.host(h).is_none() {
            return Err(LbError::UnknownHost {
                host: h.clone(),
                file: model
                    .inventory
                    .clone()
                    .unwrap_or_else(|| args.site.join("custom/hosts")),
                known: model.hosts.iter().map(|h| h.name.clone()).collect(),
            }
            .into());
        }
        model.hosts.retain(|x| &x.name == h);
    }
    let exit = if model.has_errors() {
        Exit::Failed
    } else {
        Exit::Ok
    };
    match (&args.dest, format) {
        (None, OutputFormat::Json) => print_json(&model)?,
        (None, OutputFormat::Text) => {
            let mut out = crate::output::stdout();
            for h in &model.hosts {
                let r = render_host(&model, h);
                writeln!(out, "### {}/haproxy.cfg\n{}", r.host, r.haproxy_cfg)?;
                writeln!(out, "### {}/keepalived.conf\n{}", r.host, r.keepalived_conf)?;
            }
            print_findings(&model);
        }
        (Some(dest), _) => {
            // A configuration with errors (no VIP, no backend...) is not
            // written where a role would deploy it.
            if model.has_errors() {
                print_findings(&model);
                return Err(CliError::Failed(format!(
                    "not writing into {}: the load balancer has errors (above)",
                    dest.display()
                )));
            }
            let written = write_all(&model, dest)?;
            match format {
                OutputFormat::Json => print_json(&serde_json::json!({
                    "written": written, "findings": model.findings,
                }))?,
                OutputFormat::Text => {
                    let mut out = crate::output::stdout();
                    for p in &written {
                        writeln!(out, "wrote {}", p.display())?;
                    }
                    print_findings(&model);
                }
            }
        }
    }
    Ok(exit)
}

/// Findings on stderr: stdout holds the configuration itself.
fn print_findings(model: &LbModel) {
    if !model.findings.is_empty() {
        let cwd = std::env::current_dir().ok();
        let opts = kubemagic_core::render::TextOptions {
            color: false,
            relative_to: cwd.as_deref(),
        };
        eprint!("{}", kubemagic_core::render::text(&model.findings, &opts));
    }
}

/// Writes each host's two files; keepalived.conf may hold the VRRP password,
/// so it is created readable by its owner only.
fn write_all(model: &LbModel, dest: &Path) -> Result<Vec<PathBuf>, CliError> {
    let mut written = Vec::new();
    for h in &model.hosts {
        let r = render_host(model, h);
        let dir = dest.join(&r.host);
        std::fs::create_dir_all(&dir)
            .map_err(|e| CliError::Input(format!("{}: {e}", dir.display())))?;
        for (name, text, mode) in [
            ("haproxy.cfg", &r.haproxy_cfg, 0o644),
            ("keepalived.conf", &r.keepalived_conf, 0o600),
        ] {
            let p = dir.join(name);
            write_file(&p, text, mode)
                .map_err(|e| CliError::Input(format!("{}: {e}", p.display())))?;
            written.push(p);
        }
    }
    Ok(written)
}

fn write_file(p: &Path, text: &str, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(mode)
        .open(p)?;
    f.set_permissions(std::fs::Permissions::from_mode(mode))?;
    f.write_all(text.as_bytes())
}
