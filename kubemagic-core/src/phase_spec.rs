//! The phase vocabulary kubemagic.yml is written in: phase names, when a
//! phase applies, playbook steps, overrides, and the errors of planning.
//!
//! Kept apart from the catalog and planner ([`crate::phase`]) so that the
//! kubemagic.yml types ([`crate::site_config`]) can name a phase override
//! without importing the planner that reads them: imports flow one way,
//! `flavor` → `phase_spec` → `site_config` → `phase`.

use crate::flavor::Flavor;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A phase name: lowercase letters, digits and `-`, starting with a letter.
/// Validated so that a typo such as `Deploy_Kube` in kubemagic.yml is
/// reported where it is written rather than as "unknown phase" later.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PhaseName(String);

impl PhaseName {
    pub fn new(name: impl Into<String>) -> Result<PhaseName, PhaseError> {
        let name = name.into();
        let mut chars = name.chars();
        let ok = matches!(chars.next(), Some(c) if c.is_ascii_lowercase())
            && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if ok {
            Ok(PhaseName(name))
        } else {
            Err(PhaseError::InvalidName { name })
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// A name known to be valid (the catalog's own literals), unchecked.
    pub(crate) fn trusted(name: String) -> PhaseName {
        PhaseName(name)
    }
}

impl TryFrom<String> for PhaseName {
    type Error = PhaseError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        PhaseName::new(s)
    }
}

impl From<PhaseName> for String {
    fn from(n: PhaseName) -> String {
        n.0
    }
}

impl fmt::Display for PhaseName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// When a phase belongs to a deployment. Every condition given must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppliesWhen {
    /// Only for this orchestrator (e.g. Tekton: kubespray only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flavor: Option<Flavor>,
    /// Only when the site has (true) or has not (false) a Ceph cluster.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ceph: Option<bool>,
    /// Only when this addon is listed in kubemagic.yml `addons`, or the phase
    /// is asked for by name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub addon: Option<String>,
    /// Only when kubemagic.yml pins upstream repositories (the init phase).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upstreams: Option<bool>,
    /// Only when this file or folder (relative to the site) exists, e.g.
    /// `custom/hosts` for the phases that run the site's own playbooks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exists: Option<String>,
}

/// What a phase does.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PhaseKind {
    /// Runs its playbook steps with ansible-playbook.
    #[default]
    Playbooks,
    /// Clones or fetches every pinned upstream (the seed's `make init`).
    FetchUpstreams,
}

/// One `ansible-playbook` invocation. Paths are relative: `cwd` to the site,
/// inventories and playbook to `cwd`, exactly as one would type them after
/// `cd cwd` (which is what the seed's Makefile did).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlaybookStep {
    pub cwd: String,
    /// One `-i` each, in order.
    pub inventory: Vec<String>,
    pub playbook: String,
    #[serde(default)]
    pub extra_args: Vec<String>,
}

/// A phase as written in kubemagic.yml `phases`: every field optional, so an
/// entry naming a default phase overrides only the fields it gives, and an
/// entry with a new name adds a phase (then `steps` is required).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhaseOverride {
    pub name: PhaseName,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requires: Option<Vec<PhaseName>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub applies_when: Option<AppliesWhen>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub steps: Option<Vec<PlaybookStep>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhaseError {
    #[error("invalid phase name {name:?}: use lowercase letters, digits and '-', starting with a letter")]
    InvalidName { name: String },
    #[error("phase {phase} requires {missing}, which is not a phase (known: {known})")]
    UnknownRequirement {
        phase: PhaseName,
        missing: PhaseName,
        known: String,
    },
    #[error("phase cycle: {}", .path.iter().map(|p| p.as_str()).collect::<Vec<_>>().join(" -> "))]
    Cycle { path: Vec<PhaseName> },
    #[error("kubemagic.yml adds phase {phase} without steps")]
    NewPhaseWithoutSteps { phase: PhaseName },
    #[error("kubemagic.yml lists phase {phase} twice")]
    DuplicateOverride { phase: PhaseName },
    #[error("unknown phase {phase:?} (known: {known})")]
    UnknownPhase { phase: String, known: String },
    #[error("phase {phase} does not apply to this site: {why}")]
    NotApplicable { phase: PhaseName, why: String },
    #[error("--from {phase}: that phase is not part of this plan")]
    FromNotPlanned { phase: PhaseName },
    #[error("phase {phase} uses {placeholder} but the site's kubespray inventory folder is unknown (set kubespray_inventory in kubemagic.yml)")]
    Unresolved {
        phase: PhaseName,
        placeholder: String,
    },
}
