//! `kubemagic lb render SITE`: the HAProxy/Keepalived load balancer in front
//! of the Kubernetes API, rendered from the site (kubemagic-lb).

use crate::output::{print_json, CliError, Exit, OutputFormat};
use kubemagic_core::RedactingWriter;
use kubemagic_lb::{render_all, report, LbError, LbModel};
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
    #[arg(long, add = clap_complete::ArgValueCandidates::new(crate::complete::hosts))]
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
    // stdout holds the configuration (or the JSON document), stderr the
    // findings: the report writers are the library's.
    let mut stdout = RedactingWriter::new(crate::output::raw_stdout(), report::redactor(&model));
    match (&args.dest, format) {
        (None, OutputFormat::Json) => print_json(&model)?,
        (None, OutputFormat::Text) => {
            report::write_files(&mut stdout, &model)?;
            print_findings(&model)?;
        }
        (Some(dest), _) => {
            // A configuration with errors (no VIP, no backend, an
            // unresolvable password...) is not written where a role would
            // deploy it.
            if model.has_errors() {
                print_findings(&model)?;
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
                    report::write_written(&mut stdout, &written)?;
                    print_findings(&model)?;
                }
            }
        }
    }
    let _ = stdout.finish()?;
    Ok(exit)
}

/// Findings on stderr: stdout holds the configuration itself.
fn print_findings(model: &LbModel) -> Result<(), CliError> {
    let cwd = std::env::current_dir().ok();
    let mut err = RedactingWriter::new(crate::output::raw_stderr(), report::redactor(model));
    report::write_findings(&mut err, model, cwd.as_deref())?;
    let _ = err.finish()?;
    Ok(())
}

/// Writes each host's two files, both readable by their owner only (the
/// README's promise; keepalived.conf may hold the VRRP password), each
/// atomically: a link planted at the destination is replaced, never
/// followed, and a reader never sees half a file.
fn write_all(model: &LbModel, dest: &Path) -> Result<Vec<PathBuf>, CliError> {
    let mut written = Vec::new();
    for r in render_all(model) {
        let dir = dest.join(&r.host);
        std::fs::create_dir_all(&dir)
            .map_err(|e| CliError::Input(format!("{}: {e}", dir.display())))?;
        for (name, text) in [
            ("haproxy.cfg", &r.haproxy_cfg),
            ("keepalived.conf", &r.keepalived_conf),
        ] {
            let p = dir.join(name);
            kubemagic_fs::write_atomic(&p, text.as_bytes(), 0o600).map_err(CliError::lib)?;
            written.push(p);
        }
    }
    Ok(written)
}
