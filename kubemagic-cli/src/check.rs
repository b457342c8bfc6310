//! `kubemagic check SITE`: every inventory of a site, checked as one model.

use crate::output::{print_json, CliError, Exit, OutputArg, OutputFormat};
use kubemagic_site::checks::{self, CheckReport};
use kubemagic_site::site::Site;
use std::io::Write;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// The site directory (holding kubemagic.yml, custom/, kubespray/,
    /// ceph-ansible/, openshift-ansible/); default: the current directory.
    #[arg(default_value = ".", value_hint = clap::ValueHint::DirPath)]
    pub site: PathBuf,
    /// Leave out findings with these codes (repeat, or comma-separated), as
    /// ansible-lint's -x; beside the ignores written in the site
    /// (kubemagic.yml `checks.ignore`, `# kubemagic: ignore[KM...]`).
    #[arg(short = 'x', long = "skip", value_name = "KM...", value_delimiter = ',',
          add = clap_complete::ArgValueCandidates::new(crate::complete::codes))]
    pub skip: Vec<String>,
}

/// The site read and checked, `--skip` applied; the count of skipped
/// findings beside the report.
fn checked(args: &Args) -> Result<(Site, CheckReport, usize), CliError> {
    let mut skip = Vec::new();
    for code in &args.skip {
        let code = code.trim().to_ascii_uppercase();
        if kubemagic_core::codes::lookup(&code).is_none() {
            let near = kubemagic_site::config_check::did_you_mean(
                &code,
                kubemagic_core::codes::ALL.iter().map(|c| c.code),
            );
            return Err(CliError::Input(format!(
                "--skip {code}: not a kubemagic code{} (kubemagic codes lists them)",
                near.map(|n| format!(", did you mean {n}?"))
                    .unwrap_or_default()
            )));
        }
        skip.push(code);
    }
    // A SiteError carries the file and line of inventory errors too.
    let site = Site::load(&args.site)?;
    let mut report = checks::report(&site);
    let skipped = report.skip(&skip);
    Ok((site, report, skipped))
}

/// `check -o sarif` / `-o github`: the findings for CI, written by the
/// shared renderer. Paths are relative to the current directory (the
/// repository root in CI), which is what annotations are matched against.
pub fn ci(args: Args, output: OutputArg) -> Result<Exit, CliError> {
    let (site, report, _) = checked(&args)?;
    let cwd = std::env::current_dir().ok();
    let text = match output {
        OutputArg::Sarif => {
            let accepted: Vec<kubemagic_core::render::Accepted<'_>> = report
                .suppressed
                .iter()
                .map(|s| (&s.finding, s.reason.as_str()))
                .collect();
            let log = kubemagic_core::render::sarif(
                &report.findings,
                &accepted,
                |code| {
                    let doc = kubemagic_core::code_docs::doc(code);
                    kubemagic_core::render::RuleInfo {
                        title: doc.as_ref().map(|d| d.title.clone()).unwrap_or_default(),
                        help_uri: None,
                    }
                },
                &kubemagic_core::render::SarifOptions {
                    version: env!("CARGO_PKG_VERSION"),
                    relative_to: cwd.as_deref(),
                },
            );
            let mut t = serde_json::to_string_pretty(&log)?;
            t.push('\n');
            t
        }
        _ => kubemagic_core::render::github(&report.findings, cwd.as_deref()),
    };
    crate::output::print_text(&text)?;
    let failed = report.has_errors();
    std::mem::forget(site);
    Ok(if failed { Exit::Failed } else { Exit::Ok })
}

/// `kubemagic check SITE --output nagios`: the site as a monitoring plugin
/// (CRITICAL on error findings, WARNING on warnings; accepted findings do
/// not count). A site that cannot be read is UNKNOWN (exit 3): the check
/// could not decide, which is not the same as a broken site.
pub fn nagios(args: Args) -> Exit {
    let out = match checked(&args) {
        Ok((site, report, _)) => {
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
    let (site, report, skipped) = checked(&args)?;
    match format {
        // {"findings": [...], "suppressed": [...], "versions": [...]}
        OutputFormat::Json => print_json(&report)?,
        OutputFormat::Text => {
            let color = crate::output::color();
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
            if !report.suppressed.is_empty() || skipped > 0 {
                // "1 error, 2 warnings" → "1 error, 2 warnings, 3 suppressed".
                if text.ends_with('\n') {
                    text.pop();
                }
                if !report.suppressed.is_empty() {
                    text.push_str(&format!(
                        ", {} suppressed (accepted in kubemagic.yml or by inline ignores; {})",
                        report.suppressed.len(),
                        if crate::output::verbose() > 0 {
                            "listed below"
                        } else {
                            "-v lists them"
                        }
                    ));
                }
                if skipped > 0 {
                    text.push_str(&format!(", {skipped} skipped (--skip)"));
                }
                text.push('\n');
            }
            if crate::output::verbose() > 0 {
                let accepted: Vec<_> = report
                    .suppressed
                    .iter()
                    .map(|s| (&s.finding, s.reason.as_str(), &s.ignored_at))
                    .collect();
                text.push_str(&kubemagic_core::render::accepted_text(&accepted, &opts));
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
