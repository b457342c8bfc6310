//! `kubemagic registry render SITE`: containerd's registry files for every
//! host, and the kubespray variables of the site's release (kubemagic-registry).

use crate::output::{print_json, CliError, Exit, OutputArg};
use kubemagic_registry::{RegistryError, RenderReport};
use std::io::Write;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand)]
enum Command {
    /// Render containerd's registry files (hosts.toml, or the CRI fragment below 1.5) for every containerd host.
    #[command(
        after_help = "Output: text prints each host's files and the kubespray variables; -o json the report; \
-o yaml only the kubespray variables of the site's release (a group_vars file).\n\n\
Examples:\n  kubemagic registry render examples/utgb\n  kubemagic registry render examples/utgb --host worker1.utgb.example --dest /tmp/reg\n  \
kubemagic -o yaml registry render examples/utgb > group_vars/all/registries.yml\n\n\
Exit codes: 0 rendered, no error finding; 1 registry findings with errors (with --dest nothing is written); 2 the site could not be read."
    )]
    Render(RenderArgs),
}

#[derive(clap::Args)]
struct RenderArgs {
    /// The site directory.
    site: PathBuf,
    /// Only this host of the kubespray inventory.
    #[arg(long)]
    host: Option<String>,
    /// Write DIR/<host>/etc/containerd/... instead of printing.
    #[arg(long, value_name = "DIR")]
    dest: Option<PathBuf>,
}

impl From<RegistryError> for CliError {
    fn from(e: RegistryError) -> CliError {
        CliError::lib(e)
    }
}

pub fn run(args: Args, output: OutputArg) -> Result<Exit, CliError> {
    match args.command {
        Command::Render(a) => render(a, output),
    }
}

fn render(args: RenderArgs, output: OutputArg) -> Result<Exit, CliError> {
    let site = kubemagic_site::Site::load(&args.site)?;
    let report = kubemagic_registry::render(&site, args.host.as_deref())?;
    let exit = if report.has_errors() {
        Exit::Failed
    } else {
        Exit::Ok
    };
    let mut out = crate::output::stdout();
    if let Some(dest) = &args.dest {
        if report.has_errors() {
            findings(&report)?;
            return Err(CliError::Failed(format!(
                "not writing into {}: the registry declarations have errors (above)",
                dest.display()
            )));
        }
        let written = kubemagic_registry::write_files(&report, dest)?;
        match output {
            OutputArg::Json | OutputArg::Yaml => {
                print_json(&serde_json::json!({"written": written, "findings": report.findings}))?
            }
            _ => {
                for p in &written {
                    writeln!(out, "wrote {}", p.display())?;
                }
            }
        }
    } else {
        match output {
            OutputArg::Json => print_json(&report)?,
            OutputArg::Yaml => kubemagic_registry::write_yaml(&mut out, &report)?,
            _ => kubemagic_registry::write_text(&mut out, &report)?,
        }
    }
    out.flush()?;
    if output == OutputArg::Text {
        findings(&report)?;
    }
    Ok(exit)
}

/// Findings on stderr: stdout holds the files themselves.
fn findings(report: &RenderReport) -> Result<(), CliError> {
    let cwd = std::env::current_dir().ok();
    kubemagic_registry::write_findings(&mut crate::output::stderr(), report, cwd.as_deref())?;
    Ok(())
}
