//! `--plan`: the renewal, as the commands of the stack and release that
//! wrote the certificates, each step cited from the upstream and marked due
//! when a certificate it renews is within the warning days.

use crate::model::Certificate;
use crate::site::Stack;
use kubemagic_site::Version;
use serde::Serialize;

/// The renewal plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Plan {
    /// The stack.
    pub stack: Stack,
    /// Its release, when known (`null`: the latest layout is assumed).
    pub release: Option<String>,
    /// The steps, in order.
    pub steps: Vec<Step>,
}

/// One step of the renewal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    /// What it renews.
    pub title: String,
    /// Where to run it (an inventory group, or the Ansible controller).
    pub on: String,
    /// The commands, in order.
    pub commands: Vec<String>,
    /// Where the upstream says so.
    pub source: String,
    /// Whether a certificate it renews is within the warning days (or
    /// expired).
    pub due: bool,
}

/// kubespray ships `k8s-certs-renew.sh` (kubeadm renew, then the static
/// pods restarted) since 2.16.0.
pub const KUBESPRAY_RENEW_SCRIPT_SINCE: Version = Version::new(2, 16, 0);

fn due(certs: &[Certificate], warning_days: i64, dirs: &[&str]) -> bool {
    certs
        .iter()
        .any(|c| c.days_left <= warning_days && dirs.iter().any(|d| c.path.contains(d)))
}

/// The renewal for `stack` at `release`, given the certificates read.
pub fn plan(
    stack: Stack,
    release: Option<Version>,
    certs: &[Certificate],
    warning_days: i64,
) -> Plan {
    let steps = match stack {
        Stack::Kubespray => kubespray(release, certs, warning_days),
        Stack::Openshift => openshift(certs, warning_days),
    };
    Plan {
        stack,
        release: release.map(|v| v.to_string()),
        steps,
    }
}

fn kubespray(release: Option<Version>, certs: &[Certificate], w: i64) -> Vec<Step> {
    let k8s_dirs = ["/etc/kubernetes/"];
    let control_plane = if release.is_none_or(|v| v >= KUBESPRAY_RENEW_SCRIPT_SINCE) {
        Step {
            title: "Kubernetes control plane certificates and kubeconfigs (kubeadm)".into(),
            on: "each host of kube_control_plane, one at a time".into(),
            commands: vec!["/usr/local/bin/k8s-certs-renew.sh".into()],
            source: "kubespray roles/kubernetes/control-plane/templates/k8s-certs-renew.sh.j2 (kubeadm certs renew all; crictl rmp of the kube-apiserver, kube-controller-manager, kube-scheduler pods; admin.conf copied to /root/.kube/config), v2.16.0 to v2.29.0; installed to bin_dir /usr/local/bin by roles/kubernetes/control-plane/tasks/main.yml".into(),
            due: due(certs, w, &k8s_dirs),
        }
    } else {
        Step {
            title: "Kubernetes control plane certificates and kubeconfigs (kubeadm)".into(),
            on: "each host of kube_control_plane, one at a time".into(),
            commands: vec![
                "/usr/local/bin/kubeadm alpha certs renew all".into(),
                "crictl pods --namespace kube-system --name 'kube-scheduler-*|kube-controller-manager-*|kube-apiserver-*' -q | xargs crictl rmp -f".into(),
                "cp /etc/kubernetes/admin.conf /root/.kube/config".into(),
            ],
            source: "kubespray before v2.16.0 has no k8s-certs-renew.sh; kubeadm before 1.20 has `certs renew` under `alpha` (kubeadm reference, kubeadm alpha certs)".into(),
            due: due(certs, w, &k8s_dirs),
        }
    };
    vec![
        control_plane,
        Step {
            title: "etcd member, admin and node certificates (kubespray's make-ssl-etcd.sh, the etcd CA kept)".into(),
            on: "the Ansible controller, then each etcd host".into(),
            commands: vec![
                "ansible-playbook -i INVENTORY cluster.yml --tags etcd-secrets,etcd -e force_etcd_cert_refresh=true".into(),
                "systemctl restart etcd   # on each etcd host, one at a time".into(),
                "crictl pods --namespace kube-system --name 'kube-apiserver-*' -q | xargs crictl rmp -f   # on each kube_control_plane host".into(),
            ],
            source: "kubespray roles/etcd/tasks/check_certs.yml (gen_certs when force_etcd_cert_refresh), roles/etcd/tasks/gen_certs_script.yml and roles/etcd/templates/make-ssl-etcd.sh.j2 (reuses ca.pem/ca-key.pem), roles/etcd/defaults/main.yml (force_etcd_cert_refresh), v2.24.0".into(),
            due: due(certs, w, &["/etc/ssl/etcd/"]),
        },
    ]
}

fn openshift(certs: &[Certificate], w: i64) -> Vec<Step> {
    let src = |p: &str| format!("openshift-ansible {p}, openshift-ansible-3.11.1159-1");
    let mut steps = vec![
        Step {
            title: "etcd certificates (before they expire: redeploying fails once they have)".into(),
            on: "the Ansible controller".into(),
            commands: vec!["ansible-playbook -i INVENTORY playbooks/openshift-etcd/redeploy-certificates.yml".into()],
            source: src("playbooks/openshift-etcd/redeploy-certificates.yml"),
            due: due(certs, w, &["/etc/etcd/", "master.etcd-client"]),
        },
        Step {
            title: "master certificates and kubeconfigs".into(),
            on: "the Ansible controller".into(),
            commands: vec!["ansible-playbook -i INVENTORY playbooks/openshift-master/redeploy-certificates.yml".into()],
            source: src("playbooks/openshift-master/redeploy-certificates.yml"),
            due: due(certs, w, &["/etc/origin/master/"]),
        },
        Step {
            title: "everything at once: etcd, masters, nodes, router, registry, consoles (the OpenShift CA kept)".into(),
            on: "the Ansible controller".into(),
            commands: vec!["ansible-playbook -i INVENTORY playbooks/redeploy-certificates.yml".into()],
            source: src("playbooks/redeploy-certificates.yml"),
            due: due(certs, w, &["/etc/origin/node/"]),
        },
    ];
    let ca_due = certs
        .iter()
        .any(|c| c.is_ca && c.days_left <= w && c.path.contains("/etc/origin/"));
    steps.push(Step {
        title: "the OpenShift CA itself (then every certificate it signed)".into(),
        on: "the Ansible controller".into(),
        commands: vec![
            "ansible-playbook -i INVENTORY playbooks/openshift-master/redeploy-openshift-ca.yml".into(),
            "ansible-playbook -i INVENTORY playbooks/redeploy-certificates.yml -e openshift_redeploy_openshift_ca=true".into(),
        ],
        source: src("playbooks/openshift-master/redeploy-openshift-ca.yml and playbooks/redeploy-certificates.yml (openshift_redeploy_openshift_ca)"),
        due: ca_due,
    });
    steps
}
