//! Dynamic shell completion: the words a shell offers for an argument come
//! from the libraries at the moment Tab is pressed (clap_complete's
//! `CompleteEnv`): finding codes from the registry, phase names from the
//! catalog of the site in the current directory (its kubemagic.yml
//! overrides included), host names from that site's inventories.
//!
//! A completer never fails: outside a site it offers what it knows without
//! one (every code, the default phases) and nothing for hosts.

use crate::output::{CliError, Exit};
use clap_complete::engine::CompletionCandidate;
use std::path::Path;

/// Every registered code, with its title as help.
pub fn codes() -> Vec<CompletionCandidate> {
    kubemagic_core::code_docs::all()
        .into_iter()
        .map(|d| CompletionCandidate::new(d.code).help(Some(d.title.into())))
        .collect()
}

/// The phases of the site in the current directory (the default catalog
/// outside a site, or when its kubemagic.yml cannot be read).
pub fn phases() -> Vec<CompletionCandidate> {
    let config = kubemagic_site::site::load_config(Path::new("."))
        .ok()
        .flatten()
        .map(|(_, c)| c)
        .unwrap_or_default();
    let catalog = kubemagic_core::Catalog::for_site(&config)
        .unwrap_or_else(|_| kubemagic_core::Catalog::default_catalog());
    catalog
        .phases()
        .iter()
        .map(|p| CompletionCandidate::new(p.name.as_str()).help(Some(p.description.clone().into())))
        .collect()
}

/// The hosts of the site in the current directory, every inventory.
pub fn hosts() -> Vec<CompletionCandidate> {
    match kubemagic_site::Site::load(Path::new(".")) {
        Ok(site) => site
            .host_names()
            .into_iter()
            .map(|h| CompletionCandidate::new(h.to_string()))
            .collect(),
        Err(_) => Vec::new(),
    }
}

/// The first word of `plan`/`run`: a site directory, or (in a site) a
/// phase name.
pub fn site_or_phase(current: &std::ffi::OsStr) -> Vec<CompletionCandidate> {
    use clap_complete::engine::{PathCompleter, ValueCompleter};
    let mut out = PathCompleter::dir().complete(current);
    if Path::new("custom").is_dir()
        || Path::new("kubespray").is_dir()
        || Path::new("openshift-ansible").is_dir()
        || Path::new("ceph-ansible").is_dir()
    {
        let typed = current.to_string_lossy();
        out.extend(
            phases()
                .into_iter()
                .filter(|c| c.get_value().to_string_lossy().starts_with(typed.as_ref())),
        );
    }
    out
}

/// `kubemagic completion SHELL`: clap_complete's registration script, which
/// calls `kubemagic` back for the candidates above; `--static`: the
/// classic script of subcommands and flags.
pub fn completion(
    command: fn() -> clap::Command,
    shell: clap_complete::Shell,
    static_script: bool,
) -> Result<Exit, CliError> {
    if static_script {
        // Into a buffer first: the generator panics on a closed pipe.
        let mut buf = Vec::new();
        clap_complete::generate(shell, &mut command(), "kubemagic", &mut buf);
        std::io::Write::write_all(&mut crate::output::raw_stdout(), &buf)?;
        return Ok(Exit::Ok);
    }
    // What `COMPLETE=<shell> kubemagic` prints: the registration.
    std::env::set_var("COMPLETE", shell.to_string());
    let argv0 = std::env::args_os()
        .next()
        .unwrap_or_else(|| "kubemagic".into());
    clap_complete::CompleteEnv::with_factory(command)
        .bin("kubemagic")
        .try_complete([argv0], std::env::current_dir().ok().as_deref())
        .map_err(|e| CliError::Input(e.to_string()))?;
    Ok(Exit::Ok)
}
