//! Which orchestrator deploys Kubernetes on a site: the leaf of the core's
//! imports, named by kubemagic.yml, the phase catalog and the checks.

use serde::{Deserialize, Serialize};

/// Which orchestrator deploys Kubernetes on this site.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Flavor {
    #[default]
    Kubespray,
    Openshift,
}

/// The name as kubemagic.yml writes it.
impl std::fmt::Display for Flavor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Flavor::Kubespray => "kubespray",
            Flavor::Openshift => "openshift",
        })
    }
}
