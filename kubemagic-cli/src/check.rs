//! `kubemagic check SITE`: every inventory of a site, checked as one model.

use crate::output::{print_json, CliError, Exit, OutputFormat};
use kubemagic_core::{Finding, Severity};
use kubemagic_site::checks;
use kubemagic_site::site::Site;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

#[derive(clap::Args)]
pub struct Args {
    /// The site directory (holding kubemagic.yml, custom/, kubespray/, ceph-ansible/, openshift-ansible/).
    pub site: PathBuf,
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
            let stdout = std::io::stdout();
            let mut out = stdout.lock();
            out.write_all(render_header(&site, color).as_bytes())?;
            let mut text = render_text(&report.findings, color);
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

/// ANSI styles, written by hand: four escape sequences do not need a crate.
struct Style {
    on: bool,
}

impl Style {
    fn paint(&self, code: &str, s: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
    fn severity(&self, sev: Severity) -> String {
        match sev {
            Severity::Error => self.paint("1;31", "error"),
            Severity::Warning => self.paint("1;33", "warning"),
            Severity::Info => self.paint("1;36", "info"),
        }
    }
}

/// A path relative to the working directory when under it: shorter to read.
fn display_path(p: &Path) -> String {
    std::env::current_dir()
        .ok()
        .and_then(|cwd| p.strip_prefix(&cwd).ok().map(|r| r.display().to_string()))
        .unwrap_or_else(|| p.display().to_string())
}

/// What was read: the site, each inventory found and its host count.
fn render_header(site: &Site, color: bool) -> String {
    let st = Style { on: color };
    let flavor = match site.config.flavor {
        Some(kubemagic_core::Flavor::Openshift) => "openshift",
        Some(kubemagic_core::Flavor::Kubespray) => "kubespray",
        None => "flavor not set",
    };
    let mut s = format!(
        "{} ({flavor}): {} inventor{}, {} machines\n",
        st.paint("1", &format!("site {}", site.name())),
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

/// Findings grouped by file (in order), then a summary line.
pub fn render_text(findings: &[Finding], color: bool) -> String {
    let st = Style { on: color };
    let mut s = String::new();
    let mut current: Option<Option<&PathBuf>> = None;
    for f in findings {
        if current != Some(f.file.as_ref()) {
            current = Some(f.file.as_ref());
            if !s.is_empty() {
                s.push('\n');
            }
            let title = f
                .file
                .as_deref()
                .map(display_path)
                .unwrap_or_else(|| "(site)".into());
            s.push_str(&st.paint("1", &title));
            s.push('\n');
        }
        let line = f
            .line
            .map(|l| format!("{l:>4}: "))
            .unwrap_or_else(|| "      ".into());
        s.push_str(&format!(
            "  {line}{} {} {}",
            st.severity(f.severity),
            st.paint("2", &f.code),
            f.message
        ));
        let mut ctx = Vec::new();
        if let Some(h) = &f.host {
            ctx.push(format!("host {h}"));
        }
        if let Some(g) = &f.group {
            ctx.push(format!("group {g}"));
        }
        if let Some(v) = &f.variable {
            ctx.push(format!("variable {v}"));
        }
        if !ctx.is_empty() {
            s.push_str(&st.paint("2", &format!(" [{}]", ctx.join(", "))));
        }
        s.push('\n');
    }
    let errors = findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .count();
    let warnings = findings
        .iter()
        .filter(|f| f.severity == Severity::Warning)
        .count();
    if !s.is_empty() {
        s.push('\n');
    }
    let summary = format!(
        "{errors} error{}, {warnings} warning{}",
        if errors == 1 { "" } else { "s" },
        if warnings == 1 { "" } else { "s" }
    );
    s.push_str(&if errors > 0 {
        st.paint("1;31", &summary)
    } else if warnings > 0 {
        st.paint("1;33", &summary)
    } else {
        st.paint("1;32", &summary)
    });
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_groups_by_file_and_is_plain_without_color() {
        let f = vec![
            Finding::error("KM101", "small")
                .at(Some(&kubemagic_core::Origin::new("/a.yml", Some(3))))
                .host("m1"),
            Finding::warning("KM112", "few")
                .at(Some(&kubemagic_core::Origin::new("/a.yml", Some(9)))),
            Finding::warning("KM501", "branch")
                .at(Some(&kubemagic_core::Origin::new("/b.yml", None))),
        ];
        let t = render_text(&f, false);
        assert!(!t.contains('\x1b'));
        assert_eq!(t.matches("/a.yml").count(), 1);
        assert!(t.contains("     3: error KM101 small [host m1]"));
        assert!(t.ends_with("1 error, 2 warnings\n"));
        assert!(render_text(&f, true).contains("\x1b[1;31merror"));
    }
}
