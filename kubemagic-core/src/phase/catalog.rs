//! The default phase catalog: the seed's Makefile as data, apart from the
//! planner (`super`) that orders and filters it.

use super::*;

fn name(s: &str) -> PhaseName {
    // Only called on the literals of the default catalog, which are valid
    // (proved by `default_catalog_is_valid`).
    PhaseName::trusted(s.to_string())
}

fn step(cwd: &str, inventory: &str, playbook: &str, extra: &[&str]) -> PlaybookStep {
    PlaybookStep {
        cwd: cwd.into(),
        inventory: vec![inventory.into()],
        playbook: playbook.into(),
        extra_args: extra.iter().map(|s| s.to_string()).collect(),
        fallback: None,
    }
}

fn phase(
    n: &str,
    description: &str,
    requires: &[&str],
    applies_when: AppliesWhen,
    steps: Vec<PlaybookStep>,
) -> Phase {
    Phase {
        name: name(n),
        description: description.into(),
        requires: requires.iter().map(|r| name(r)).collect(),
        applies_when,
        kind: PhaseKind::Playbooks,
        steps,
        notes: vec![],
        disabled: false,
    }
}

impl Catalog {
    /// The seed's Makefile as data.
    pub fn default_catalog() -> Catalog {
        let kube_inv =
            format!("inventory/{KUBESPRAY_INVENTORY_PLACEHOLDER}/{KUBESPRAY_HOSTS_PLACEHOLDER}");
        let mut init = phase(
            "init",
            "Clone or fetch each upstream (kubespray, ceph-ansible, openshift-ansible) at its pinned ref",
            &[],
            AppliesWhen { upstreams: Some(true), ..Default::default() },
            vec![],
        );
        init.kind = PhaseKind::FetchUpstreams;
        let mut tekton = phase(
            "deploy-tekton",
            "Tekton pipelines",
            &["deploy-post"],
            AppliesWhen {
                flavor: Some(Flavor::Kubespray),
                addon: Some("tekton".into()),
                exists: Some(CUSTOM_INVENTORY.into()),
                ..Default::default()
            },
            vec![step("custom", "hosts", "deploy-tekton.yml", &[])],
        );
        tekton.notes.push(
            "WARNING: Tekton needs a manual fix after deployment (see the seed README: \
             buildah needs a privileged ServiceAccount on AppArmor nodes)"
                .into(),
        );
        let phases = vec![
            init,
            phase(
                "deploy-ceph",
                "Ceph cluster with ceph-ansible",
                &["init"],
                AppliesWhen {
                    ceph: Some(true),
                    ..Default::default()
                },
                vec![step("ceph-ansible", "hosts", "site.yml", &[])],
            ),
            phase(
                "prep-hosts",
                "Load balancers, Ceph repository, RBD pool and Kubernetes' Ceph credentials",
                &["init", "deploy-ceph"],
                AppliesWhen {
                    flavor: Some(Flavor::Kubespray),
                    exists: Some(CUSTOM_INVENTORY.into()),
                    ..Default::default()
                },
                vec![PlaybookStep {
                    fallback: Some(PREP_HOSTS_PLAYBOOK.into()),
                    ..step("custom", "hosts", "prep-hosts.yml", &[])
                }],
            ),
            phase(
                "deploy-kube",
                "Kubernetes with kubespray",
                &["init", "prep-hosts"],
                AppliesWhen {
                    flavor: Some(Flavor::Kubespray),
                    ..Default::default()
                },
                vec![step("kubespray", &kube_inv, "cluster.yml", &["--become"])],
            ),
            phase(
                "deploy-openshift",
                "OpenShift with openshift-ansible",
                &["init", "deploy-ceph"],
                AppliesWhen {
                    flavor: Some(Flavor::Openshift),
                    ..Default::default()
                },
                vec![
                    step(
                        "openshift-ansible",
                        "hosts",
                        "playbooks/prerequisites.yml",
                        &[],
                    ),
                    step(
                        "openshift-ansible",
                        "hosts",
                        "playbooks/deploy_cluster.yml",
                        &[],
                    ),
                ],
            ),
            phase(
                "deploy-post",
                "Nagios monitoring, backups, OpenShift persistent storage and LDAP group sync",
                &["deploy-kube", "deploy-openshift"],
                AppliesWhen {
                    exists: Some(CUSTOM_INVENTORY.into()),
                    ..Default::default()
                },
                vec![step("custom", "hosts", "deploy-post.yml", &[])],
            ),
            phase(
                "deploy-logging",
                "Logging stack (EFK)",
                &["deploy-post"],
                AppliesWhen {
                    addon: Some("logging".into()),
                    exists: Some(CUSTOM_INVENTORY.into()),
                    ..Default::default()
                },
                vec![step("custom", "hosts", "deploy-logging.yml", &[])],
            ),
            phase(
                "deploy-prometheus",
                "Monitoring stack (Prometheus)",
                &["deploy-post"],
                AppliesWhen {
                    addon: Some("prometheus".into()),
                    exists: Some(CUSTOM_INVENTORY.into()),
                    ..Default::default()
                },
                vec![step("custom", "hosts", "deploy-prometheus.yml", &[])],
            ),
            tekton,
        ];
        Catalog { phases }
    }
}
