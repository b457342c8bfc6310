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

pub fn run(args: Args, format: OutputFormat) -> Result<Exit, CliError> {
    // A SiteError carries the file and line of inventory errors too.
    let site = Site::load(&args.site)?;
    let findings = checks::run_all(&site);
    match format {
        OutputFormat::Json => {
            print_json(&serde_json::json!({ "findings": kubemagic_core::render::json(&findings) }))?
        }
        OutputFormat::Text => {
            let color = std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
            let stdout = std::io::stdout();
            let mut out = stdout.lock();
            if !crate::output::quiet() {
                out.write_all(render_header(&site, color).as_bytes())?;
            }
            let cwd = std::env::current_dir().ok();
            let opts = kubemagic_core::render::TextOptions {
                color,
                relative_to: cwd.as_deref(),
            };
            out.write_all(kubemagic_core::render::text(&findings, &opts).as_bytes())?;
        }
    }
    // Freeing every resolved variable of a large site takes a fifth of the
    // run (10,000 maps); the process is about to exit and the OS reclaims it.
    std::mem::forget(site);
    Ok(if kubemagic_core::finding::has_errors(&findings) {
        Exit::Failed
    } else {
        Exit::Ok
    })
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
