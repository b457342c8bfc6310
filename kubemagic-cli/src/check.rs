//! `kubemagic check SITE`: every inventory of a site, checked as one model.

use crate::output::{print_json, CliError, Exit, OutputFormat};
use kubemagic_site::checks;
use kubemagic_site::site::Site;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// The site directory (holding kubemagic.yml, custom/, kubespray/, ceph-ansible/, openshift-ansible/).
    pub site: PathBuf,
}

/// `kubemagic check SITE --output nagios`: the site as a monitoring plugin
/// (CRITICAL on error findings, WARNING on warnings; accepted findings do
/// not count). A site that cannot be read is UNKNOWN (exit 3): the check
/// could not decide, which is not the same as a broken site.
pub fn nagios(args: Args) -> Exit {
    let out = match Site::load(&args.site) {
        Ok(site) => {
            let report = checks::report(&site);
            std::mem::forget(site);
            kubemagic_core::render::nagios("KUBEMAGIC", &report.findings)
        }
        Err(e) => kubemagic_core::nagios::PluginOutput::unknown("KUBEMAGIC", e.to_string()),
    };
    // A reader gone away (EPIPE) changes nothing: the state is the exit code.
    let _ = crate::output::stdout().write_all(out.render().as_bytes());
    Exit::Code(out.state.code())
}

pub fn run(args: Args, format: OutputFormat) -> Result<Exit, CliError> {
    // A SiteError carries the file and line of inventory errors too.
    let site = Site::load(&args.site)?;
    let report = checks::report(&site);
    match format {
        // {"findings": [...], "suppressed": [...], "versions": [...]}
        OutputFormat::Json => print_json(&report)?,
        OutputFormat::Text => {
            let color = std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
            let mut out = crate::output::stdout();
            if !crate::output::quiet() {
                out.write_all(render_header(&site, color).as_bytes())?;
            }
            let cwd = std::env::current_dir().ok();
            let opts = kubemagic_core::render::TextOptions {
                color,
                relative_to: cwd.as_deref(),
            };
            let mut text = kubemagic_core::render::text(&report.findings, &opts);
            if !report.suppressed.is_empty() {
                // "1 error, 2 warnings" → "1 error, 2 warnings, 3 suppressed".
                if text.ends_with('\n') {
                    text.pop();
                }
                text.push_str(&format!(
                    ", {} suppressed (accepted in kubemagic.yml or by inline ignores; see --output json)\n",
                    report.suppressed.len()
                ));
            }
            out.write_all(text.as_bytes())?;
        }
    }
    let failed = report.has_errors();
    // Freeing every resolved variable of a large site takes a fifth of the
    // run (10,000 maps); the process is about to exit and the OS reclaims it.
    std::mem::forget(site);
    std::mem::forget(report);
    Ok(if failed { Exit::Failed } else { Exit::Ok })
}

/// What was read: the site, each inventory found and its host count.
fn render_header(site: &Site, color: bool) -> String {
    let flavor = match site.config.flavor {
        Some(kubemagic_core::Flavor::Openshift) => "openshift",
        Some(kubemagic_core::Flavor::Kubespray) => "kubespray",
        None => "flavor not set",
    };
    let mut s = format!(
        "{} ({flavor}): {} inventor{}, {} machines\n",
        if color {
            format!("\x1b[1msite {}\x1b[0m", site.name())
        } else {
            format!("site {}", site.name())
        },
        site.inventories.len(),
        if site.inventories.len() == 1 {
            "y"
        } else {
            "ies"
        },
        site.host_names().len()
    );
    // The upstream releases the rules assumed (versions are data).
    if !site.versions.0.is_empty() {
        let list: Vec<String> = site.versions.0.iter().map(|v| v.to_string()).collect();
        s.push_str(&format!("  assuming {}\n", list.join(", ")));
    }
    for inv in &site.inventories {
        let rel = inv.path.strip_prefix(&site.root).unwrap_or(&inv.path);
        s.push_str(&format!(
            "  {:<44} {:>6} hosts\n",
            rel.display(),
            inv.hosts.len()
        ));
    }
    s.push('\n');
    s
}
