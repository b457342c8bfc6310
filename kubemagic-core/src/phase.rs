//! Deployment phases: the catalog (what the seed's Makefile did, as data) and
//! the planner (which phases run, in which order, and why).
//!
//! The seed drove a deployment with make targets that had to be typed in the
//! right order by someone who remembered it. Here the order is a graph the
//! planner checks (unknown requirements and cycles are errors naming the
//! phases involved) and walks stably, and every phase left out comes with the
//! reason it was left out. Pure: facts about the site (is Ceph present, which
//! kubespray inventory) are gathered by the caller and handed in as
//! [`SiteFacts`].

pub use crate::phase_spec::{
    AppliesWhen, PhaseError, PhaseKind, PhaseName, PhaseOverride, PlaybookStep,
};
use crate::site_config::{Flavor, SiteConfig, Upstream};
use serde::{Deserialize, Serialize};
use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap};

// The catalog's data (the seed's Makefile) apart from the planner below.
mod catalog;

/// The placeholder a step may use for the kubespray inventory folder name
/// (`kubespray/inventory/<name>`), which differs per site.
pub const KUBESPRAY_INVENTORY_PLACEHOLDER: &str = "{kubespray_inventory}";

/// The placeholder for the inventory file in that folder: kubespray accepts
/// `hosts.yml`, `hosts.yaml`, `inventory.ini` or `hosts.ini`.
pub const KUBESPRAY_HOSTS_PLACEHOLDER: &str = "{kubespray_hosts}";

/// The site's own inventory, for the seed's custom playbooks (prep-hosts,
/// post, addons): those phases apply only when it exists.
pub const CUSTOM_INVENTORY: &str = "custom/hosts";

/// The file `{kubespray_hosts}` stands for when none is found.
pub const DEFAULT_KUBESPRAY_HOSTS: &str = "hosts.yml";

/// A phase of the catalog: one step of a deployment as the seed's Makefile
/// had it (one make target), with its requirements and conditions made
/// explicit so the planner, not the operator's memory, orders it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Phase {
    /// Unique in the catalog; what `kubemagic run`/`--from` take.
    pub name: PhaseName,
    /// One line for `kubemagic plan`: what the phase deploys.
    pub description: String,
    /// Phases that must come first *when they apply*: a requirement that does
    /// not apply to the site (no Ceph, other flavor) is simply not run.
    pub requires: Vec<PhaseName>,
    /// The conditions under which the phase belongs to a deployment; a phase
    /// left out is shown with the condition that failed.
    pub applies_when: AppliesWhen,
    /// Playbooks or fetching upstreams (`init`).
    pub kind: PhaseKind,
    /// The `ansible-playbook` runs, in order; unused for
    /// [`PhaseKind::FetchUpstreams`].
    pub steps: Vec<PlaybookStep>,
    /// Printed before and after the phase runs (e.g. Tekton's manual fix).
    pub notes: Vec<String>,
    /// Set from kubemagic.yml to leave a default phase out of every plan.
    pub disabled: bool,
}

/// Facts about a site that decide which phases apply. Gathered by the caller
/// (kubemagic-run looks at the site directory); kept here as plain data so
/// that planning stays pure and testable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteFacts {
    /// The site's orchestrator (from kubemagic.yml or inferred by the caller).
    pub flavor: Flavor,
    /// Whether the site deploys Ceph, and the evidence (for explanations).
    pub ceph: bool,
    /// Why `ceph` is what it is (e.g. `ceph-ansible/hosts exists`): quoted in
    /// the plan's reasons so an operator can check the planner's premise.
    pub ceph_evidence: String,
    /// Addons enabled in kubemagic.yml.
    pub addons: BTreeSet<String>,
    /// The kubespray inventory folder name that `{kubespray_inventory}`
    /// stands for; `None` makes a step using it an error
    /// ([`PhaseError::Unresolved`]) rather than a path to a wrong folder.
    pub kubespray_inventory: Option<String>,
    /// The inventory file inside that folder (`hosts.yml` by default).
    pub kubespray_hosts: String,
    /// Which of the catalog's `exists` paths ([`Catalog::probe_paths`])
    /// exist in the site.
    pub existing: BTreeSet<String>,
    /// Pinned upstreams, keyed by folder name: decide whether `init` applies
    /// and become its fetch steps.
    pub upstreams: BTreeMap<String, Upstream>,
}

impl SiteFacts {
    /// Facts taken from kubemagic.yml alone; `ceph` must be decided by the
    /// caller from the site's files.
    pub fn from_config(
        config: &SiteConfig,
        flavor: Flavor,
        ceph: bool,
        ceph_evidence: impl Into<String>,
    ) -> SiteFacts {
        SiteFacts {
            flavor,
            ceph,
            ceph_evidence: ceph_evidence.into(),
            addons: config.addons.iter().cloned().collect(),
            kubespray_inventory: config.kubespray_inventory.clone(),
            kubespray_hosts: DEFAULT_KUBESPRAY_HOSTS.into(),
            existing: BTreeSet::new(),
            upstreams: config.upstreams.clone(),
        }
    }
}

/// The collection's playbook for the prep-hosts phase (the API load
/// balancer), used when the site has no `custom/prep-hosts.yml`.
pub const PREP_HOSTS_PLAYBOOK: &str = "kubemagic.core.prep_hosts";

/// The phase catalog, in the order the seed's README runs its make targets
/// (this order is also the planner's tie-break).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Catalog {
    phases: Vec<Phase>,
}

impl Catalog {
    /// A catalog from explicit phases (validated: requirements known, no cycle).
    pub fn new(phases: Vec<Phase>) -> Result<Catalog, PhaseError> {
        let c = Catalog { phases };
        c.validate()?;
        Ok(c)
    }

    /// The default catalog with kubemagic.yml's `phases` applied.
    pub fn for_site(config: &SiteConfig) -> Result<Catalog, PhaseError> {
        Catalog::default_catalog().with_overrides(&config.phases)
    }

    /// Applies kubemagic.yml overrides: a known name replaces the fields it
    /// gives; a new name is appended (so it sorts after the defaults unless
    /// its requirements say otherwise).
    pub fn with_overrides(mut self, overrides: &[PhaseOverride]) -> Result<Catalog, PhaseError> {
        let mut seen = BTreeSet::new();
        for o in overrides {
            if !seen.insert(o.name.clone()) {
                return Err(PhaseError::DuplicateOverride {
                    phase: o.name.clone(),
                });
            }
            let p = match self.phases.iter_mut().find(|p| p.name == o.name) {
                Some(p) => p,
                None => {
                    let Some(steps) = &o.steps else {
                        return Err(PhaseError::NewPhaseWithoutSteps {
                            phase: o.name.clone(),
                        });
                    };
                    self.phases.push(Phase {
                        name: o.name.clone(),
                        description: String::new(),
                        requires: vec![],
                        applies_when: AppliesWhen::default(),
                        kind: PhaseKind::Playbooks,
                        steps: steps.clone(),
                        notes: vec![],
                        disabled: false,
                    });
                    let last = self.phases.len() - 1;
                    &mut self.phases[last]
                }
            };
            if let Some(d) = &o.description {
                p.description = d.clone();
            }
            if let Some(r) = &o.requires {
                p.requires = r.clone();
            }
            if let Some(a) = &o.applies_when {
                p.applies_when = a.clone();
            }
            if let Some(s) = &o.steps {
                p.steps = s.clone();
                // Steps given in kubemagic.yml are playbooks, even for a phase
                // that used to fetch upstreams.
                p.kind = PhaseKind::Playbooks;
            }
            if let Some(n) = &o.notes {
                p.notes = n.clone();
            }
            if let Some(d) = o.disabled {
                p.disabled = d;
            }
        }
        self.validate()?;
        Ok(self)
    }

    /// The paths the caller must look for to fill [`SiteFacts::existing`].
    pub fn probe_paths(&self) -> BTreeSet<String> {
        self.phases
            .iter()
            .filter_map(|p| p.applies_when.exists.clone())
            .chain(
                self.phases
                    .iter()
                    .flat_map(|p| &p.steps)
                    .filter(|s| s.fallback.is_some())
                    .map(PlaybookStep::site_playbook),
            )
            .collect()
    }

    /// Every phase, in catalog order (the planner's tie-break), disabled
    /// ones included: for callers that list or document the catalog.
    pub fn phases(&self) -> &[Phase] {
        &self.phases
    }

    /// The phase called `name`, if any. Takes a `&str` so a name typed on
    /// the command line can be looked up before it is validated.
    pub fn get(&self, name: &str) -> Option<&Phase> {
        self.phases.iter().find(|p| p.name.as_str() == name)
    }

    fn index(&self, name: &PhaseName) -> Option<usize> {
        self.phases.iter().position(|p| &p.name == name)
    }

    fn known(&self) -> String {
        self.phases
            .iter()
            .map(|p| p.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Every requirement names a phase, and the graph has no cycle (the
    /// whole cycle is named, so the operator sees which entries to fix).
    fn validate(&self) -> Result<(), PhaseError> {
        for p in &self.phases {
            for r in &p.requires {
                if self.index(r).is_none() {
                    return Err(PhaseError::UnknownRequirement {
                        phase: p.name.clone(),
                        missing: r.clone(),
                        known: self.known(),
                    });
                }
            }
        }
        if let Some(path) = self.find_cycle() {
            return Err(PhaseError::Cycle { path });
        }
        Ok(())
    }

    /// Depth-first search with an explicit stack; on a back edge the stack
    /// from the target to the top is the cycle.
    fn find_cycle(&self) -> Option<Vec<PhaseName>> {
        #[derive(Clone, Copy, PartialEq)]
        enum Mark {
            New,
            Active,
            Done,
        }
        let n = self.phases.len();
        let edges: Vec<Vec<usize>> = self
            .phases
            .iter()
            .map(|p| p.requires.iter().filter_map(|r| self.index(r)).collect())
            .collect();
        let mut mark = vec![Mark::New; n];
        for root in 0..n {
            if mark[root] != Mark::New {
                continue;
            }
            // (node, next edge to look at)
            let mut stack: Vec<(usize, usize)> = vec![(root, 0)];
            mark[root] = Mark::Active;
            while let Some(&mut (node, ref mut next)) = stack.last_mut() {
                if let Some(&to) = edges[node].get(*next) {
                    *next += 1;
                    match mark[to] {
                        Mark::New => {
                            mark[to] = Mark::Active;
                            stack.push((to, 0));
                        }
                        Mark::Active => {
                            let start = stack.iter().position(|&(s, _)| s == to).unwrap_or(0);
                            let mut path: Vec<PhaseName> = stack[start..]
                                .iter()
                                .map(|&(s, _)| self.phases[s].name.clone())
                                .collect();
                            path.push(self.phases[to].name.clone());
                            return Some(path);
                        }
                        Mark::Done => {}
                    }
                } else {
                    mark[node] = Mark::Done;
                    stack.pop();
                }
            }
        }
        None
    }

    /// Why a phase does not apply (None: it applies). `requested` lifts the
    /// addon condition: asking for `deploy-tekton` by name enables it.
    fn not_applicable(&self, p: &Phase, facts: &SiteFacts, requested: bool) -> Option<String> {
        if p.disabled {
            return Some("disabled in kubemagic.yml".into());
        }
        let a = &p.applies_when;
        if let Some(f) = a.flavor {
            if f != facts.flavor {
                return Some(format!("{} only, and this site is {}", f, facts.flavor));
            }
        }
        if let Some(c) = a.ceph {
            if c != facts.ceph {
                return Some(if facts.ceph {
                    format!("only without Ceph, and {}", facts.ceph_evidence)
                } else {
                    format!("no Ceph on this site ({})", facts.ceph_evidence)
                });
            }
        }
        if let Some(u) = a.upstreams {
            if u == facts.upstreams.is_empty() {
                return Some(if u {
                    "no upstreams pinned in kubemagic.yml".into()
                } else {
                    "upstreams are pinned in kubemagic.yml".into()
                });
            }
        }
        if let Some(path) = &a.exists {
            if !facts.existing.contains(path) {
                return Some(format!("no {path} in the site"));
            }
        }
        if let Some(addon) = &a.addon {
            if !requested && !facts.addons.contains(addon) {
                return Some(format!("addon {addon} not enabled in kubemagic.yml"));
            }
        }
        None
    }

    fn applies_reason(&self, p: &Phase, facts: &SiteFacts) -> String {
        let a = &p.applies_when;
        let mut why = vec![];
        if let Some(f) = a.flavor {
            why.push(format!("site flavor is {}", f));
        }
        if a.ceph.is_some() {
            why.push(facts.ceph_evidence.clone());
        }
        if a.upstreams.is_some() {
            why.push(format!(
                "{} upstream(s) pinned in kubemagic.yml",
                facts.upstreams.len()
            ));
        }
        if let Some(path) = &a.exists {
            why.push(format!("{path} exists"));
        }
        if let Some(addon) = &a.addon {
            why.push(format!("addon {addon} enabled"));
        }
        if why.is_empty() {
            "part of every deployment".into()
        } else {
            why.join("; ")
        }
    }

    /// Decides which phases run and in which order.
    ///
    /// Without targets every applicable phase runs. With targets, those
    /// phases and (transitively) the applicable phases they require. `from`
    /// then drops everything ordered before it. Order: Kahn's algorithm over
    /// the requirements, taking the ready phase that comes first in the
    /// catalog, so the same site always gives the same order.
    pub fn plan(&self, facts: &SiteFacts, request: &PlanRequest) -> Result<Plan, PhaseError> {
        let n = self.phases.len();
        let mut reason: Vec<Option<String>> = vec![None; n];
        let mut skipped_reason: Vec<Option<String>> = vec![None; n];

        if request.targets.is_empty() {
            for (i, p) in self.phases.iter().enumerate() {
                match self.not_applicable(p, facts, false) {
                    None => reason[i] = Some(self.applies_reason(p, facts)),
                    Some(why) => skipped_reason[i] = Some(why),
                }
            }
        } else {
            let mut queue = vec![];
            for t in &request.targets {
                let Some(i) = self.phases.iter().position(|p| p.name.as_str() == t) else {
                    return Err(PhaseError::UnknownPhase {
                        phase: t.clone(),
                        known: self.known(),
                    });
                };
                let p = &self.phases[i];
                if let Some(why) = self.not_applicable(p, facts, true) {
                    return Err(PhaseError::NotApplicable {
                        phase: p.name.clone(),
                        why,
                    });
                }
                reason[i] = Some("requested".into());
                queue.push(i);
            }
            while let Some(i) = queue.pop() {
                for r in &self.phases[i].requires {
                    let Some(j) = self.index(r) else { continue };
                    if reason[j].is_some() || skipped_reason[j].is_some() {
                        continue;
                    }
                    match self.not_applicable(&self.phases[j], facts, false) {
                        None => {
                            reason[j] = Some(format!("required by {}", self.phases[i].name));
                            queue.push(j);
                        }
                        Some(why) => skipped_reason[j] = Some(why),
                    }
                }
            }
            for i in 0..n {
                if reason[i].is_none() && skipped_reason[i].is_none() {
                    skipped_reason[i] = Some("not requested".into());
                }
            }
        }

        // Kahn over the included phases; edges to excluded phases are dropped.
        let included: Vec<bool> = reason.iter().map(Option::is_some).collect();
        let mut indegree = vec![0usize; n];
        let mut dependents: Vec<Vec<usize>> = vec![vec![]; n];
        for (i, p) in self.phases.iter().enumerate() {
            if !included[i] {
                continue;
            }
            let reqs: BTreeSet<usize> = p
                .requires
                .iter()
                .filter_map(|r| self.index(r))
                .filter(|&j| included[j])
                .collect();
            indegree[i] = reqs.len();
            for j in reqs {
                dependents[j].push(i);
            }
        }
        let mut ready: BinaryHeap<Reverse<usize>> = (0..n)
            .filter(|&i| included[i] && indegree[i] == 0)
            .map(Reverse)
            .collect();
        let mut order = vec![];
        while let Some(Reverse(i)) = ready.pop() {
            order.push(i);
            for &d in &dependents[i] {
                indegree[d] -= 1;
                if indegree[d] == 0 {
                    ready.push(Reverse(d));
                }
            }
        }
        // The catalog is acyclic (validated), so every included phase is ordered.
        debug_assert_eq!(order.len(), included.iter().filter(|&&b| b).count());

        let mut start = 0;
        if let Some(from) = &request.from {
            let from = match PhaseName::new(from.clone()) {
                Ok(f) => f,
                Err(_) => {
                    return Err(PhaseError::UnknownPhase {
                        phase: from.clone(),
                        known: self.known(),
                    })
                }
            };
            if self.index(&from).is_none() {
                return Err(PhaseError::UnknownPhase {
                    phase: from.to_string(),
                    known: self.known(),
                });
            }
            let Some(pos) = order.iter().position(|&i| self.phases[i].name == from) else {
                return Err(PhaseError::FromNotPlanned { phase: from });
            };
            for &i in &order[..pos] {
                skipped_reason[i] = Some(format!("ordered before --from {from}"));
            }
            start = pos;
        }

        let mut phases = vec![];
        for &i in &order[start..] {
            let p = &self.phases[i];
            let mut why = reason[i].clone().unwrap_or_default();
            for st in p.steps.iter().filter(|s| s.fallback.is_some()) {
                let own = st.site_playbook();
                why.push_str(&if facts.existing.contains(&own) {
                    format!("; playbook {own} (the site's own)")
                } else {
                    format!(
                        "; playbook {} (kubemagic's: the site has no {own})",
                        st.fallback.as_deref().unwrap_or_default()
                    )
                });
            }
            phases.push(PlannedPhase {
                name: p.name.clone(),
                description: p.description.clone(),
                reason: why,
                kind: p.kind,
                steps: planned_steps(p, facts)?,
                notes: p.notes.clone(),
            });
        }
        let skipped = (0..n)
            .filter_map(|i| {
                skipped_reason[i].clone().map(|reason| SkippedPhase {
                    name: self.phases[i].name.clone(),
                    reason,
                })
            })
            .collect();
        Ok(Plan { phases, skipped })
    }
}

fn substitute(s: &str, phase: &Phase, facts: &SiteFacts) -> Result<String, PhaseError> {
    let s = s.replace(KUBESPRAY_HOSTS_PLACEHOLDER, &facts.kubespray_hosts);
    if !s.contains(KUBESPRAY_INVENTORY_PLACEHOLDER) {
        return Ok(s);
    }
    match &facts.kubespray_inventory {
        Some(inv) => Ok(s.replace(KUBESPRAY_INVENTORY_PLACEHOLDER, inv)),
        None => Err(PhaseError::Unresolved {
            phase: phase.name.clone(),
            placeholder: KUBESPRAY_INVENTORY_PLACEHOLDER.into(),
        }),
    }
}

fn planned_steps(p: &Phase, facts: &SiteFacts) -> Result<Vec<PlannedStep>, PhaseError> {
    match p.kind {
        PhaseKind::FetchUpstreams => Ok(facts
            .upstreams
            .iter()
            .map(|(dir, u)| PlannedStep {
                cwd: dir.clone(),
                argv: vec![
                    "git".into(),
                    "fetch".into(),
                    u.url.clone(),
                    u.git_ref.clone(),
                ],
                inventory: vec![],
                upstream: Some(dir.clone()),
            })
            .collect()),
        PhaseKind::Playbooks => p
            .steps
            .iter()
            .map(|s| {
                let inventory = s
                    .inventory
                    .iter()
                    .map(|i| substitute(i, p, facts))
                    .collect::<Result<Vec<_>, _>>()?;
                let mut argv = vec!["ansible-playbook".to_string()];
                for i in &inventory {
                    argv.push("-i".into());
                    argv.push(i.clone());
                }
                for a in &s.extra_args {
                    argv.push(substitute(a, p, facts)?);
                }
                argv.push(match &s.fallback {
                    Some(f) if !facts.existing.contains(&s.site_playbook()) => f.clone(),
                    _ => substitute(&s.playbook, p, facts)?,
                });
                Ok(PlannedStep {
                    cwd: substitute(&s.cwd, p, facts)?,
                    argv,
                    inventory,
                    upstream: None,
                })
            })
            .collect(),
    }
}

/// What to plan: target phases (empty: all that apply) and `--from`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlanRequest {
    /// Phase names as typed on the command line; unvalidated so that a bad
    /// name is reported by the planner with the list of known phases.
    pub targets: Vec<String>,
    /// `--from`: start the plan at this phase, skipping those ordered before
    /// it (to resume after a failure without rerunning what succeeded).
    pub from: Option<String>,
}

/// One command of a planned phase. `argv[0]` is `ansible-playbook` (the
/// runner substitutes the binary it found) or, for init, a description of
/// the git fetch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedStep {
    /// Relative to the site.
    pub cwd: String,
    /// The full command line, placeholders substituted: what `kubemagic plan`
    /// prints is what `kubemagic run` executes.
    pub argv: Vec<String>,
    /// The `-i` arguments, relative to `cwd` (their files are digested by the
    /// runner to notice an inventory change).
    #[serde(skip)]
    pub inventory: Vec<String>,
    /// For init: the upstream (folder name) this step fetches.
    #[serde(skip)]
    pub upstream: Option<String>,
}

/// A phase the plan runs, with why it was included and its concrete steps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedPhase {
    /// The phase.
    pub name: PhaseName,
    /// Why it runs (`requested`, `required by deploy-kube`, `site flavor is
    /// kubespray; custom/hosts exists`): every decision comes with its reason.
    pub reason: String,
    /// The commands, in order.
    pub steps: Vec<PlannedStep>,
    /// The catalog's one-line description.
    #[serde(default)]
    pub description: String,
    /// The phase's notes, printed before and after it runs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// How the runner executes the steps (not serialised: the JSON plan shows
    /// the commands themselves).
    #[serde(skip)]
    pub kind: PhaseKind,
}

/// A phase of the catalog the plan leaves out, and why: nothing disappears
/// from a plan without a stated reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkippedPhase {
    /// The phase.
    pub name: PhaseName,
    /// Why it is left out (`no Ceph on this site (no ceph-ansible/hosts)`,
    /// `ordered before --from deploy-kube`, `disabled in kubemagic.yml`).
    pub reason: String,
}

/// The planner's answer, in execution order; serialises as the documented
/// `kubemagic plan --output json` document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    /// The phases to run, in execution order.
    pub phases: Vec<PlannedPhase>,
    /// Every other phase of the catalog, in catalog order, with its reason.
    pub skipped: Vec<SkippedPhase>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn facts(flavor: Flavor, ceph: bool, addons: &[&str]) -> SiteFacts {
        SiteFacts {
            flavor,
            ceph,
            ceph_evidence: if ceph {
                "ceph-ansible/hosts exists".into()
            } else {
                "no ceph-ansible/hosts".into()
            },
            addons: addons.iter().map(|s| s.to_string()).collect(),
            kubespray_inventory: Some("utgb".into()),
            kubespray_hosts: DEFAULT_KUBESPRAY_HOSTS.into(),
            existing: [CUSTOM_INVENTORY.to_string()].into(),
            upstreams: BTreeMap::new(),
        }
    }

    fn names(plan: &Plan) -> Vec<&str> {
        plan.phases.iter().map(|p| p.name.as_str()).collect()
    }

    fn skipped<'a>(plan: &'a Plan, n: &str) -> &'a str {
        &plan
            .skipped
            .iter()
            .find(|s| s.name.as_str() == n)
            .unwrap()
            .reason
    }

    fn ov(v: serde_json::Value) -> Vec<PhaseOverride> {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn default_catalog_is_valid() {
        let c = Catalog::default_catalog();
        c.validate().unwrap();
        for p in c.phases() {
            PhaseName::new(p.name.as_str()).unwrap();
        }
    }

    #[test]
    fn kubespray_site_with_ceph_follows_the_seed_makefile_order() {
        let plan = Catalog::default_catalog()
            .plan(
                &facts(
                    Flavor::Kubespray,
                    true,
                    &["logging", "prometheus", "tekton"],
                ),
                &PlanRequest::default(),
            )
            .unwrap();
        assert_eq!(
            names(&plan),
            [
                "deploy-ceph",
                "prep-hosts",
                "deploy-kube",
                "deploy-post",
                "deploy-logging",
                "deploy-prometheus",
                "deploy-tekton"
            ]
        );
        assert_eq!(
            skipped(&plan, "init"),
            "no upstreams pinned in kubemagic.yml"
        );
        assert_eq!(
            skipped(&plan, "deploy-openshift"),
            "openshift only, and this site is kubespray"
        );
        let kube = &plan.phases[2];
        assert_eq!(kube.steps[0].cwd, "kubespray");
        assert_eq!(
            kube.steps[0].argv,
            [
                "ansible-playbook",
                "-i",
                "inventory/utgb/hosts.yml",
                "--become",
                "cluster.yml"
            ]
        );
        assert!(plan.phases[6].notes[0].contains("manual fix"));
    }

    #[test]
    fn openshift_site_runs_prerequisites_then_deploy_cluster() {
        let plan = Catalog::default_catalog()
            .plan(
                &facts(Flavor::Openshift, false, &["tekton"]),
                &PlanRequest::default(),
            )
            .unwrap();
        assert_eq!(names(&plan), ["deploy-openshift", "deploy-post"]);
        let argv: Vec<_> = plan.phases[0]
            .steps
            .iter()
            .map(|s| s.argv.last().unwrap().as_str())
            .collect();
        assert_eq!(
            argv,
            [
                "playbooks/prerequisites.yml",
                "playbooks/deploy_cluster.yml"
            ]
        );
        assert_eq!(
            skipped(&plan, "deploy-ceph"),
            "no Ceph on this site (no ceph-ansible/hosts)"
        );
        assert_eq!(
            skipped(&plan, "deploy-tekton"),
            "kubespray only, and this site is openshift"
        );
        assert_eq!(
            skipped(&plan, "deploy-logging"),
            "addon logging not enabled in kubemagic.yml"
        );
    }

    #[test]
    fn targets_pull_in_applicable_requirements_only() {
        let plan = Catalog::default_catalog()
            .plan(
                &facts(Flavor::Kubespray, false, &[]),
                &PlanRequest {
                    targets: vec!["deploy-logging".into()],
                    from: None,
                },
            )
            .unwrap();
        assert_eq!(
            names(&plan),
            ["prep-hosts", "deploy-kube", "deploy-post", "deploy-logging"]
        );
        assert_eq!(plan.phases[3].reason, "requested");
        assert_eq!(plan.phases[2].reason, "required by deploy-logging");
        assert_eq!(
            skipped(&plan, "deploy-ceph"),
            "no Ceph on this site (no ceph-ansible/hosts)"
        );
        assert_eq!(skipped(&plan, "deploy-prometheus"), "not requested");
    }

    #[test]
    fn site_playbook_phases_are_skipped_without_custom_hosts() {
        let mut f = facts(Flavor::Openshift, false, &["logging"]);
        f.existing.clear();
        let plan = Catalog::default_catalog()
            .plan(&f, &PlanRequest::default())
            .unwrap();
        assert_eq!(names(&plan), ["deploy-openshift"]);
        assert_eq!(skipped(&plan, "deploy-post"), "no custom/hosts in the site");
        assert_eq!(
            skipped(&plan, "deploy-logging"),
            "no custom/hosts in the site"
        );
    }

    #[test]
    fn requesting_a_phase_of_the_other_flavor_is_an_error() {
        let e = Catalog::default_catalog()
            .plan(
                &facts(Flavor::Openshift, false, &[]),
                &PlanRequest {
                    targets: vec!["deploy-tekton".into()],
                    from: None,
                },
            )
            .unwrap_err();
        assert_eq!(e.to_string(), "phase deploy-tekton does not apply to this site: kubespray only, and this site is openshift");
    }

    #[test]
    fn unknown_target_lists_known_phases() {
        let e = Catalog::default_catalog()
            .plan(
                &facts(Flavor::Kubespray, false, &[]),
                &PlanRequest {
                    targets: vec!["deploy-k8s".into()],
                    from: None,
                },
            )
            .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("unknown phase \"deploy-k8s\" (known: init, deploy-ceph"),
            "{e}"
        );
    }

    #[test]
    fn from_drops_earlier_phases_with_a_reason() {
        let plan = Catalog::default_catalog()
            .plan(
                &facts(Flavor::Kubespray, true, &[]),
                &PlanRequest {
                    targets: vec![],
                    from: Some("deploy-kube".into()),
                },
            )
            .unwrap();
        assert_eq!(names(&plan), ["deploy-kube", "deploy-post"]);
        assert_eq!(
            skipped(&plan, "prep-hosts"),
            "ordered before --from deploy-kube"
        );
    }

    #[test]
    fn from_a_phase_outside_the_plan_is_an_error() {
        let e = Catalog::default_catalog()
            .plan(
                &facts(Flavor::Kubespray, false, &[]),
                &PlanRequest {
                    targets: vec![],
                    from: Some("deploy-ceph".into()),
                },
            )
            .unwrap_err();
        assert_eq!(
            e,
            PhaseError::FromNotPlanned {
                phase: PhaseName::new("deploy-ceph").unwrap()
            }
        );
    }

    #[test]
    fn cycle_is_named_with_its_full_path() {
        let e = Catalog::default_catalog()
            .with_overrides(&ov(
                serde_json::json!([{"name": "deploy-ceph", "requires": ["deploy-post"]}]),
            ))
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "phase cycle: deploy-ceph -> deploy-post -> deploy-kube -> prep-hosts -> deploy-ceph"
        );
    }

    #[test]
    fn self_requirement_is_a_cycle() {
        let e = Catalog::default_catalog()
            .with_overrides(&ov(
                serde_json::json!([{"name": "init", "requires": ["init"]}]),
            ))
            .unwrap_err();
        assert_eq!(e.to_string(), "phase cycle: init -> init");
    }

    #[test]
    fn unknown_requirement_is_an_error() {
        let e = Catalog::default_catalog()
            .with_overrides(&ov(
                serde_json::json!([{"name": "deploy-post", "requires": ["deploy-k8s"]}]),
            ))
            .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("phase deploy-post requires deploy-k8s, which is not a phase"),
            "{e}"
        );
    }

    #[test]
    fn kubemagic_yml_adds_and_overrides_phases() {
        let c = Catalog::default_catalog()
            .with_overrides(&ov(serde_json::json!([
                {"name": "deploy-kube", "steps": [{"cwd": "kubespray", "inventory": ["inventory/x/hosts.yml"], "playbook": "cluster.yml"}]},
                {"name": "deploy-nagios", "requires": ["deploy-post"], "steps": [{"cwd": "custom", "inventory": ["hosts"], "playbook": "nagios.yml", "extra_args": ["-e", "x=1"]}]},
                {"name": "deploy-ceph", "disabled": true}
            ])))
            .unwrap();
        let plan = c
            .plan(
                &facts(Flavor::Kubespray, true, &[]),
                &PlanRequest::default(),
            )
            .unwrap();
        assert_eq!(
            names(&plan),
            ["prep-hosts", "deploy-kube", "deploy-post", "deploy-nagios"]
        );
        assert_eq!(
            plan.phases[1].steps[0].argv,
            [
                "ansible-playbook",
                "-i",
                "inventory/x/hosts.yml",
                "cluster.yml"
            ]
        );
        assert_eq!(
            plan.phases[3].steps[0].argv,
            ["ansible-playbook", "-i", "hosts", "-e", "x=1", "nagios.yml"]
        );
        assert_eq!(skipped(&plan, "deploy-ceph"), "disabled in kubemagic.yml");
    }

    #[test]
    fn new_phase_without_steps_is_an_error() {
        let e = Catalog::default_catalog()
            .with_overrides(&ov(serde_json::json!([{"name": "extra"}])))
            .unwrap_err();
        assert_eq!(
            e,
            PhaseError::NewPhaseWithoutSteps {
                phase: PhaseName::new("extra").unwrap()
            }
        );
    }

    #[test]
    fn bad_phase_name_in_kubemagic_yml_is_rejected() {
        let e = serde_json::from_value::<Vec<PhaseOverride>>(
            serde_json::json!([{"name": "Deploy_Kube"}]),
        )
        .unwrap_err();
        assert!(
            e.to_string().contains("invalid phase name \"Deploy_Kube\""),
            "{e}"
        );
    }

    #[test]
    fn missing_kubespray_inventory_is_reported_for_deploy_kube() {
        let mut f = facts(Flavor::Kubespray, false, &[]);
        f.kubespray_inventory = None;
        let e = Catalog::default_catalog()
            .plan(&f, &PlanRequest::default())
            .unwrap_err();
        assert!(
            matches!(e, PhaseError::Unresolved { ref phase, .. } if phase.as_str() == "deploy-kube")
        );
    }

    #[test]
    fn init_lists_one_fetch_per_upstream() {
        let mut f = facts(Flavor::Kubespray, false, &[]);
        f.upstreams.insert(
            "kubespray".into(),
            Upstream {
                url: "/srv/kubespray.git".into(),
                git_ref: "v2.13.2".into(),
            },
        );
        let plan = Catalog::default_catalog()
            .plan(&f, &PlanRequest::default())
            .unwrap();
        assert_eq!(plan.phases[0].name.as_str(), "init");
        assert_eq!(
            plan.phases[0].steps[0].upstream.as_deref(),
            Some("kubespray")
        );
        assert_eq!(
            plan.phases[1].reason,
            "site flavor is kubespray; custom/hosts exists; playbook kubemagic.core.prep_hosts (kubemagic's: the site has no custom/prep-hosts.yml)"
        );
    }

    #[test]
    fn prep_hosts_runs_the_sites_playbook_if_present_else_the_collections_and_says_which() {
        let catalog = Catalog::default_catalog();
        let req = PlanRequest {
            targets: vec!["prep-hosts".into()],
            from: None,
        };
        let mut f = facts(Flavor::Kubespray, false, &[]);
        assert!(catalog.probe_paths().contains("custom/prep-hosts.yml"));
        let plan = catalog.plan(&f, &req).unwrap();
        let p = &plan.phases[0];
        assert_eq!(p.steps[0].argv.last().unwrap(), PREP_HOSTS_PLAYBOOK);
        assert!(
            p.reason.contains(
                "kubemagic.core.prep_hosts (kubemagic's: the site has no custom/prep-hosts.yml)"
            ),
            "{}",
            p.reason
        );
        f.existing.insert("custom/prep-hosts.yml".into());
        let plan = catalog.plan(&f, &req).unwrap();
        let p = &plan.phases[0];
        assert_eq!(p.steps[0].argv.last().unwrap(), "prep-hosts.yml");
        assert!(
            p.reason
                .ends_with("; playbook custom/prep-hosts.yml (the site's own)"),
            "{}",
            p.reason
        );
    }

    #[test]
    fn plan_json_has_the_documented_shape() {
        let plan = Catalog::default_catalog()
            .plan(
                &facts(Flavor::Kubespray, false, &[]),
                &PlanRequest::default(),
            )
            .unwrap();
        let v = serde_json::to_value(&plan).unwrap();
        assert_eq!(v["phases"][0]["name"], "prep-hosts");
        assert_eq!(v["phases"][0]["steps"][0]["cwd"], "custom");
        assert_eq!(v["phases"][0]["steps"][0]["argv"][0], "ansible-playbook");
        assert!(v["skipped"][0]["reason"].is_string());
    }

    /// Random catalogs: phase i may require any phase j < i (so acyclic),
    /// listed in a random order; the plan must put every requirement first.
    fn arb_catalog() -> impl Strategy<Value = Catalog> {
        (1usize..12)
            .prop_flat_map(|n| {
                (
                    proptest::collection::vec(proptest::collection::vec(any::<bool>(), n), n),
                    Just((0..n).collect::<Vec<usize>>()).prop_shuffle(),
                )
            })
            .prop_map(|(adj, perm)| {
                let phases = perm
                    .iter()
                    .map(|&i| Phase {
                        name: PhaseName::trusted(format!("p{i}")),
                        description: String::new(),
                        requires: (0..i)
                            .filter(|&j| adj[i][j])
                            .map(|j| PhaseName::trusted(format!("p{j}")))
                            .collect(),
                        applies_when: AppliesWhen::default(),
                        kind: PhaseKind::Playbooks,
                        steps: vec![],
                        notes: vec![],
                        disabled: false,
                    })
                    .collect();
                Catalog::new(phases).unwrap()
            })
    }

    proptest! {
        #[test]
        fn order_respects_requires(c in arb_catalog()) {
            let plan = c.plan(&facts(Flavor::Kubespray, false, &[]), &PlanRequest::default()).unwrap();
            prop_assert_eq!(plan.phases.len(), c.phases().len());
            let pos = |n: &PhaseName| plan.phases.iter().position(|p| &p.name == n).unwrap();
            for p in c.phases() {
                for r in &p.requires {
                    prop_assert!(pos(r) < pos(&p.name), "{} before {}", r, p.name);
                }
            }
            // Stable: planning twice gives the same order.
            let again = c.plan(&facts(Flavor::Kubespray, false, &[]), &PlanRequest::default()).unwrap();
            prop_assert_eq!(plan, again);
        }
    }
}
