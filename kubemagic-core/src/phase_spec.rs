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
    /// Validates `name`. The error names the offending text so the reader of
    /// kubemagic.yml can report it at the entry that holds it.
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
    /// The name as written, e.g. for matching a `--from` argument.
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
    /// Directory to run in, relative to the site (`kubespray`, `custom`):
    /// the upstream's own `ansible.cfg` there is then picked up as Ansible
    /// would when run by hand.
    pub cwd: String,
    /// One `-i` each, in order.
    pub inventory: Vec<String>,
    /// The playbook file, relative to `cwd`.
    pub playbook: String,
    /// Extra `ansible-playbook` arguments (e.g. `--become`), placed before
    /// the playbook; may use the catalog's placeholders.
    #[serde(default)]
    pub extra_args: Vec<String>,
}

/// A phase as written in kubemagic.yml `phases`: every field optional, so an
/// entry naming a default phase overrides only the fields it gives, and an
/// entry with a new name adds a phase (then `steps` is required).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhaseOverride {
    /// A default phase to override, or a new phase to add.
    pub name: PhaseName,
    /// Replaces the one-line description shown by `kubemagic plan`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Replaces the whole requirement list (not appended to it), so a
    /// requirement can be removed as well as added.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requires: Option<Vec<PhaseName>>,
    /// Replaces the conditions as a whole: a partial `applies_when` does not
    /// merge with the default one, so what is written is what applies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub applies_when: Option<AppliesWhen>,
    /// Replaces the steps; a phase given steps becomes a playbook phase even
    /// if it fetched upstreams before. Required for a new phase.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub steps: Option<Vec<PlaybookStep>>,
    /// Replaces the notes printed before and after the phase.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<Vec<String>>,
    /// `true` leaves the phase out of every plan (with that reason shown),
    /// which is how a site says "we never run this" without deleting it from
    /// the catalog everyone else shares.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled: Option<bool>,
}

/// Why a catalog or a plan cannot be made. Every variant is bad input (a
/// kubemagic.yml entry or a command-line argument), and each names the
/// phases involved and, where useful, the known phases, so the message alone
/// says what to fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhaseError {
    /// A phase name that is not lowercase letters, digits and `-`.
    #[error("invalid phase name {name:?}: use lowercase letters, digits and '-', starting with a letter")]
    InvalidName {
        /// The name as written.
        name: String,
    },
    /// A `requires` entry that names no phase of the catalog.
    #[error("phase {phase} requires {missing}, which is not a phase (known: {known})")]
    UnknownRequirement {
        /// The phase whose `requires` is wrong.
        phase: PhaseName,
        /// The requirement that names nothing.
        missing: PhaseName,
        /// Every phase of the catalog, comma-separated, to spot the typo.
        known: String,
    },
    /// Requirements that go round: no order can satisfy them.
    #[error("phase cycle: {}", .path.iter().map(|p| p.as_str()).collect::<Vec<_>>().join(" -> "))]
    Cycle {
        /// The whole cycle, first phase repeated at the end, so every entry
        /// to look at is named rather than only the one where search stopped.
        path: Vec<PhaseName>,
    },
    /// A kubemagic.yml entry with a new name but no `steps`: it would add a
    /// phase that does nothing, which is almost always a misspelt override.
    #[error("kubemagic.yml adds phase {phase} without steps")]
    NewPhaseWithoutSteps {
        /// The new (probably misspelt) name.
        phase: PhaseName,
    },
    /// Two kubemagic.yml entries for one phase: which one wins would be an
    /// accident of order, so it is refused.
    #[error("kubemagic.yml lists phase {phase} twice")]
    DuplicateOverride {
        /// The phase listed twice.
        phase: PhaseName,
    },
    /// A target or `--from` that is not a phase of the catalog.
    #[error("unknown phase {phase:?} (known: {known})")]
    UnknownPhase {
        /// The name as typed (unvalidated, hence a `String`).
        phase: String,
        /// Every phase of the catalog, comma-separated.
        known: String,
    },
    /// A target asked for by name that does not apply to this site (e.g.
    /// `deploy-ceph` without Ceph): refused rather than silently skipped.
    #[error("phase {phase} does not apply to this site: {why}")]
    NotApplicable {
        /// The requested phase.
        phase: PhaseName,
        /// The planner's reason, the same one `kubemagic plan` shows.
        why: String,
    },
    /// `--from` names a phase that the plan does not contain, so there is no
    /// point to start from.
    #[error("--from {phase}: that phase is not part of this plan")]
    FromNotPlanned {
        /// The `--from` phase.
        phase: PhaseName,
    },
    /// A step uses a placeholder the site gives no value for.
    #[error("phase {phase} uses {placeholder} but the site's kubespray inventory folder is unknown (set kubespray_inventory in kubemagic.yml)")]
    Unresolved {
        /// The phase whose step cannot be written out.
        phase: PhaseName,
        /// The placeholder, e.g. `{kubespray_inventory}`.
        placeholder: String,
    },
}
