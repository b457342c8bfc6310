//! Which orchestrator deploys Kubernetes on a site: the leaf of the core's
//! imports, named by kubemagic.yml, the phase catalog and the checks.

use serde::{Deserialize, Serialize};

/// Which orchestrator deploys Kubernetes on this site.
///
/// It decides which phases apply (kubespray's `deploy-kube` or
/// openshift-ansible's `deploy-openshift`) and which checks run, so it is a
/// closed enum: a misspelt flavor in kubemagic.yml is a parse error there,
/// not a third orchestrator nobody handles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Flavor {
    /// kubespray (`kubespray/`). The default, and what flavor inference
    /// falls back to, so a site without kubemagic.yml still gets a plan.
    #[default]
    Kubespray,
    /// OpenShift 3 with openshift-ansible (`openshift-ansible/`).
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
