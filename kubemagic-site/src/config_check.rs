//! What kubemagic.yml may say, checked on its positioned YAML tree before
//! it becomes a [`SiteConfig`]: an unknown key, an unknown flavor, an addon
//! no phase knows and a `phases` entry the catalog refuses are each an
//! error at the line that holds them, with the nearest known word.
//!
//! Why not serde alone: serde names the offending word but not its place,
//! and searching the document for that word afterwards finds the first
//! occurrence, not the faulty one (`flavor: kubesprey` was reported at the
//! `kubespray:` key of `upstreams`). And serde cannot know the addons: they
//! are whatever the phase catalog's `applies_when.addon` names, so a typo
//! (`- loging`) passed as "0 errors" and the plan then quietly skipped the
//! addon.

use crate::error::SiteError;
use kubemagic_core::phase::Catalog;
use kubemagic_core::phase_spec::PhaseError;
use kubemagic_core::SiteConfig;
use kubemagic_inventory::{Node, NodeKind};
use std::path::Path;

/// The shape of a part of kubemagic.yml.
enum Shape {
    /// Anything (its type is serde's to check).
    Any,
    /// A mapping with these keys only.
    Map(&'static [(&'static str, Shape)]),
    /// A mapping whose keys are free (upstream names) and values of a shape.
    MapOf(&'static Shape),
    /// A list of items of a shape.
    SeqOf(&'static Shape),
    /// One of these words.
    Word(&'static [&'static str]),
}

/// `kubespray` or `openshift` (`kubemagic_core::Flavor`).
const FLAVOR: Shape = Shape::Word(&["kubespray", "openshift"]);

/// One entry of `phases` (`kubemagic_core::phase_spec::PhaseOverride`).
const PHASE: Shape = Shape::Map(&[
    ("name", Shape::Any),
    ("description", Shape::Any),
    ("requires", Shape::Any),
    (
        "applies_when",
        Shape::Map(&[
            ("flavor", FLAVOR),
            ("ceph", Shape::Any),
            ("addon", Shape::Any),
            ("upstreams", Shape::Any),
            ("exists", Shape::Any),
        ]),
    ),
    (
        "steps",
        Shape::SeqOf(&Shape::Map(&[
            ("cwd", Shape::Any),
            ("inventory", Shape::Any),
            ("playbook", Shape::Any),
            ("extra_args", Shape::Any),
            ("fallback", Shape::Any),
        ])),
    ),
    ("notes", Shape::Any),
    ("disabled", Shape::Any),
]);

/// The whole file ([`SiteConfig`]).
const SITE: Shape = Shape::Map(&[
    ("name", Shape::Any),
    ("flavor", FLAVOR),
    ("kubespray_inventory", Shape::Any),
    (
        "upstreams",
        Shape::MapOf(&Shape::Map(&[("url", Shape::Any), ("ref", Shape::Any)])),
    ),
    ("addons", Shape::Any),
    ("phases", Shape::SeqOf(&PHASE)),
    (
        "checks",
        Shape::Map(&[(
            "ignore",
            Shape::SeqOf(&Shape::Map(&[
                ("code", Shape::Any),
                ("reason", Shape::Any),
                ("hosts", Shape::Any),
                ("groups", Shape::Any),
            ])),
        )]),
    ),
    (
        "lb",
        Shape::Map(&[("vip_var", Shape::Any), ("backends_var", Shape::Any)]),
    ),
]);

fn error(file: &Path, node: &Node, message: String) -> SiteError {
    SiteError::Config {
        file: file.to_path_buf(),
        line: Some(node.line),
        message: format!("kubemagic.yml: {message}"),
    }
}

/// The known word nearest to `typed`, when one is near enough to be the
/// intended one: one edit in four letters, or one containing the other
/// (`logging` for the phase `deploy-logging`).
pub fn did_you_mean<'a>(typed: &str, known: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let typed_l = typed.to_ascii_lowercase();
    known
        .into_iter()
        .filter(|k| *k != typed)
        .map(|k| {
            let d = strsim::levenshtein(&typed_l, &k.to_ascii_lowercase());
            let near = d <= (k.len().max(typed.len()) / 4).max(1)
                || (typed.len() >= 3 && (k.contains(typed) || typed.contains(k)));
            (k, d, near)
        })
        .filter(|(_, _, near)| *near)
        .min_by_key(|(_, d, _)| *d)
        .map(|(k, _, _)| k)
}

fn hint(typed: &str, known: &[&str]) -> String {
    match did_you_mean(typed, known.iter().copied()) {
        Some(k) => format!(" (did you mean `{k}`?)"),
        None => format!(" (known: {})", known.join(", ")),
    }
}

/// Checks the keys and words of the document against [`SITE`].
pub fn check_shape(file: &Path, node: &Node) -> Result<(), SiteError> {
    walk(file, node, &SITE, "")
}

fn walk(file: &Path, node: &Node, shape: &Shape, at: &str) -> Result<(), SiteError> {
    match (shape, &node.kind) {
        (Shape::Map(fields), NodeKind::Map(entries)) => {
            for (k, v) in entries {
                let Some(key) = k.kind.as_str() else { continue };
                let Some((_, sub)) = fields.iter().find(|(name, _)| *name == key) else {
                    let known: Vec<&str> = fields.iter().map(|(n, _)| *n).collect();
                    let place = if at.is_empty() {
                        String::new()
                    } else {
                        format!(" in {at}")
                    };
                    return Err(error(
                        file,
                        k,
                        format!("unknown key `{key}`{place}{}", hint(key, &known)),
                    ));
                };
                walk(file, v, sub, &join(at, key))?;
            }
        }
        (Shape::MapOf(sub), NodeKind::Map(entries)) => {
            for (k, v) in entries {
                let key = k.kind.as_str().unwrap_or("?");
                walk(file, v, sub, &join(at, key))?;
            }
        }
        (Shape::SeqOf(sub), NodeKind::Seq(items)) => {
            for item in items {
                walk(file, item, sub, &format!("{at}[]"))?;
            }
        }
        (Shape::Word(words), kind) => {
            if let Some(w) = kind.as_str() {
                if !words.contains(&w) {
                    return Err(error(
                        file,
                        node,
                        format!("{at}: unknown value `{w}`{}", hint(w, words)),
                    ));
                }
            }
        }
        // A wrong type is serde's to report.
        _ => {}
    }
    Ok(())
}

fn join(at: &str, key: &str) -> String {
    if at.is_empty() {
        key.to_string()
    } else {
        format!("{at}.{key}")
    }
}

/// Checks what only the phase catalog knows: each `phases` entry applies
/// (an error names the entry's line) and each addon is one some phase
/// enables.
pub fn check_meaning(file: &Path, node: &Node, config: &SiteConfig) -> Result<(), SiteError> {
    let catalog = Catalog::for_site(config).map_err(|e| phase_error(file, node, &e))?;
    let mut known: Vec<&str> = catalog
        .phases()
        .iter()
        .filter_map(|p| p.applies_when.addon.as_deref())
        .collect();
    known.sort_unstable();
    known.dedup();
    if let Some(NodeKind::Seq(items)) = node.get("addons").map(|n| &n.kind) {
        for item in items {
            let Some(addon) = item.kind.as_str() else {
                continue;
            };
            if !known.contains(&addon) {
                return Err(error(
                    file,
                    item,
                    format!(
                        "unknown addon `{addon}`{}: no phase is enabled by it",
                        hint(addon, &known)
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// A catalog error at the `phases` entry it is about (the second one for a
/// phase listed twice), with the nearest default phase for a new phase
/// without steps (most likely a misspelt override).
fn phase_error(file: &Path, node: &Node, e: &PhaseError) -> SiteError {
    let entries: Vec<&Node> = match node.get("phases").map(|n| &n.kind) {
        Some(NodeKind::Seq(items)) => items.iter().collect(),
        _ => Vec::new(),
    };
    let named = |name: &str| -> Vec<&Node> {
        entries
            .iter()
            .copied()
            .filter(|n| n.get("name").and_then(|v| v.kind.as_str()) == Some(name))
            .collect()
    };
    let (at, extra) = match e {
        PhaseError::NewPhaseWithoutSteps { phase } => {
            let defaults = Catalog::default_catalog();
            let names: Vec<&str> = defaults.phases().iter().map(|p| p.name.as_str()).collect();
            (
                named(phase.as_str()).first().copied(),
                hint(phase.as_str(), &names),
            )
        }
        PhaseError::DuplicateOverride { phase } => {
            (named(phase.as_str()).get(1).copied(), String::new())
        }
        PhaseError::UnknownRequirement { phase, .. } => {
            (named(phase.as_str()).first().copied(), String::new())
        }
        PhaseError::Cycle { path } => (
            path.iter().find_map(|p| named(p.as_str()).first().copied()),
            String::new(),
        ),
        _ => (None, String::new()),
    };
    let at = at.unwrap_or(node);
    let message = e.to_string();
    let message = message.strip_prefix("kubemagic.yml ").unwrap_or(&message);
    SiteError::Config {
        file: file.to_path_buf(),
        line: Some(at.line),
        message: format!("kubemagic.yml: {message}{extra}"),
    }
}

#[cfg(test)]
mod tests {
    use super::did_you_mean;

    #[test]
    fn nearest_word_is_suggested_only_when_near() {
        let known = ["kubespray", "openshift"];
        assert_eq!(did_you_mean("kubesprey", known), Some("kubespray"));
        assert_eq!(did_you_mean("openshfit", known), Some("openshift"));
        assert_eq!(did_you_mean("nomad", known), None);
        assert_eq!(
            did_you_mean("logging", ["deploy-logging", "deploy-kube"]),
            Some("deploy-logging")
        );
    }
}
