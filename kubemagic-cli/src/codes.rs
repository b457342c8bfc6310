//! `kubemagic explain CODE` and `kubemagic codes`: the documentation of
//! finding codes (`kubemagic_core::code_docs`) in the terminal.

use crate::output::{self, CliError, Exit, OutputFormat};

/// `kubemagic explain CODE`: the code's entry of docs/checks.md (or its row
/// of the README's etcd table / docs/architecture-ceph.md).
pub fn explain(code: &str, format: OutputFormat) -> Result<Exit, CliError> {
    let Some(doc) = kubemagic_core::code_docs::doc(code) else {
        let near = kubemagic_site::config_check::did_you_mean(
            &code.to_ascii_uppercase(),
            kubemagic_core::codes::ALL.iter().map(|c| c.code),
        );
        return Err(CliError::Input(format!(
            "{code}: not a kubemagic code{} (kubemagic codes lists them)",
            near.map(|n| format!(", did you mean {n}?"))
                .unwrap_or_default()
        )));
    };
    match format {
        OutputFormat::Json => output::print_json(&doc)?,
        OutputFormat::Text => output::print_text(&format!(
            "{} ({}, {}): {}\n\n{}\n\nDocumented in {}.\n",
            doc.code, doc.severity, doc.command, doc.title, doc.text, doc.doc
        ))?,
    }
    Ok(Exit::Ok)
}

/// `kubemagic codes`: one line per code, as `ansible-lint -L` lists rules.
pub fn codes(format: OutputFormat) -> Result<Exit, CliError> {
    let all = kubemagic_core::code_docs::all();
    match format {
        OutputFormat::Json => {
            let rows: Vec<serde_json::Value> = all
                .iter()
                .map(|d| {
                    serde_json::json!({
                        "code": d.code, "severity": d.severity, "command": d.command,
                        "title": d.title, "upstream": d.upstream, "doc": d.doc,
                    })
                })
                .collect();
            output::print_json(&rows)?
        }
        OutputFormat::Text => {
            let mut text = String::new();
            for d in &all {
                text.push_str(&format!(
                    "{}  {:<13} {:<21} {}\n",
                    d.code, d.severity, d.command, d.title
                ));
                if let Some(u) = &d.upstream {
                    text.push_str(&format!("       upstream: {u}\n"));
                }
            }
            output::print_text(&text)?
        }
    }
    Ok(Exit::Ok)
}
