//! `--plan`: the renewal, as the commands of the stack and release that
//! wrote the certificates, each step cited from the upstream and marked due
//! when a certificate it renews is within the warning days.

use crate::model::Certificate;
use crate::site::{Service, Stack};
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

/// The renewal for `stack` at `release`, given the certificates read,
/// and for the site's Ceph services when it has them (or when Ceph's
/// certificates were read).
pub fn plan(
    stack: Stack,
    release: Option<Version>,
    certs: &[Certificate],
    services: &[Service],
    warning_days: i64,
) -> Plan {
    let mut steps = match stack {
        Stack::Kubespray => kubespray(release, certs, warning_days),
        Stack::Openshift => openshift(certs, services, warning_days),
    };
    steps.extend(ceph(certs, services, warning_days));
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

/// The certificate files of the services named `what`, made by the stack
/// (`supplied == false`) or supplied by the operator.
fn service_files<'a>(services: &'a [Service], what: &str, supplied: bool) -> Vec<&'a str> {
    services
        .iter()
        .filter(|s| s.what == what)
        .flat_map(|s| s.certs.iter())
        .filter(|c| c.supplied == supplied)
        .map(|c| c.path.as_str())
        .collect()
}

fn openshift(certs: &[Certificate], services: &[Service], w: i64) -> Vec<Step> {
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
    let default_router = [crate::expected::OPENSHIFT_ROUTER_CERT];
    let made = service_files(services, "OpenShift router", false);
    steps.push(Step {
        title: "the router's wildcard certificate (router-certs secret, router redeployed)".into(),
        on: "the Ansible controller".into(),
        commands: vec!["ansible-playbook -i INVENTORY playbooks/openshift-hosted/redeploy-router-certificates.yml".into()],
        source: src("playbooks/openshift-hosted/redeploy-router-certificates.yml; the file is roles/openshift_hosted/tasks/router.yml's /etc/origin/master/openshift-router.crt"),
        due: due(certs, w, if made.is_empty() { &default_router } else { &made }),
    });
    let supplied = service_files(services, "OpenShift router", true);
    if !supplied.is_empty() {
        steps.push(Step {
            title: "a router certificate you supplied (openshift_hosted_router_certificate)".into(),
            on: "your CA, then the Ansible controller".into(),
            commands: vec![
                "issue the certificate anew and replace the certfile/keyfile the inventory names".into(),
                "ansible-playbook -i INVENTORY playbooks/openshift-hosted/redeploy-router-certificates.yml   # router.yml copies the supplied files to /etc/origin/master".into(),
            ],
            source: src("roles/openshift_hosted/tasks/router.yml (Get the certificate contents for router) and playbooks/openshift-hosted/redeploy-router-certificates.yml"),
            due: due(certs, w, &supplied),
        });
    }
    let default_registry = [crate::expected::OPENSHIFT_REGISTRY_CERT];
    let made = service_files(services, "OpenShift registry", false);
    steps.push(Step {
        title: "the registry's self-signed certificate (registry-certificates secret, registry redeployed)".into(),
        on: "the Ansible controller".into(),
        commands: vec!["ansible-playbook -i INVENTORY playbooks/openshift-hosted/redeploy-registry-certificates.yml".into()],
        source: src("playbooks/openshift-hosted/redeploy-registry-certificates.yml (writes /etc/origin/master/registry.crt); the file is roles/openshift_hosted/tasks/secure/passthrough.yml's and reencrypt.yml's /etc/origin/master/registry.crt"),
        due: due(certs, w, if made.is_empty() { &default_registry } else { &made }),
    });
    let supplied = service_files(services, "OpenShift registry", true);
    if !supplied.is_empty() {
        steps.push(Step {
            title: "a registry certificate you supplied (openshift_hosted_registry_routecertificates)".into(),
            on: "your CA, then the Ansible controller".into(),
            commands: vec![
                "issue the certificate anew and replace the certfile/keyfile/cafile the inventory names".into(),
                "ansible-playbook -i INVENTORY playbooks/openshift-hosted/deploy_registry.yml   # secure.yml copies them to /etc/origin/master/named_certificates (redeploy-registry-certificates.yml would replace a passthrough certificate with a self-signed one)".into(),
            ],
            source: src("roles/openshift_hosted/tasks/secure/passthrough.yml and reencrypt.yml (Retrieve provided certificate files), playbooks/openshift-hosted/deploy_registry.yml"),
            due: due(certs, w, &supplied),
        });
    }
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

/// ceph-ansible's dashboard and RGW certificates: steps only for what the
/// site has.
fn ceph(certs: &[Certificate], services: &[Service], w: i64) -> Vec<Step> {
    let src = |p: &str, since: &str| format!("ceph-ansible {p}, {since}");
    let mut steps = Vec::new();
    let dashboard = services.iter().find(|s| s.what == "Ceph dashboard");
    let dashboard_files = [crate::expected::CEPH_DASHBOARD_CERT];
    if dashboard.is_some() || certs.iter().any(|c| c.path.ends_with(dashboard_files[0])) {
        let holders = dashboard
            .and_then(|s| s.certs.first())
            .map(|c| c.hosts.join(", "))
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "the first host of mgrs and each host of mons".into());
        steps.push(Step {
            title: "the Ceph dashboard's certificate (self-signed by ceph-ansible unless dashboard_crt is set)".into(),
            on: format!("{holders}, then the Ansible controller"),
            commands: vec![
                "rm /etc/ceph/ceph-dashboard.crt /etc/ceph/ceph-dashboard.key   # on each of those hosts; or point dashboard_crt/dashboard_key at new files".into(),
                "ansible-playbook -i INVENTORY dashboard.yml   # from the ceph-ansible checkout".into(),
            ],
            source: src("roles/ceph-dashboard/tasks/configure_dashboard.yml (openssl req on the first mgr only when the files are missing, copied to every mon; config-key set mgr/dashboard/crt; mgr module disable/enable dashboard), dashboard.yml (the ceph-dashboard play on mgrs, else mons) and site.yml.sample (import_playbook: dashboard.yml)", "stable-4.0 and stable-6.0"),
            due: due(certs, w, &dashboard_files),
        });
    }
    for c in services
        .iter()
        .filter(|s| s.what == "Ceph RADOS Gateway")
        .flat_map(|s| s.certs.iter())
    {
        let pem = &c.path;
        steps.push(Step {
            title: format!("the RADOS Gateway's certificate {pem} (certificate, chain and key in one PEM)"),
            on: "each host of rgws".into(),
            commands: vec![
                format!("install -m 0600 NEW.pem {pem}   # since stable-5.0 also: set radosgw_frontend_ssl_certificate_data and re-run site.yml --limit rgws"),
                "systemctl restart ceph-radosgw.target".into(),
            ],
            source: src("roles/ceph-defaults/defaults/main.yml (radosgw_frontend_ssl_certificate; radosgw_frontend_ssl_certificate_data since stable-5.0, written by roles/ceph-rgw/tasks/common.yml), roles/ceph-config/templates/ceph.conf.j2 (ssl_certificate=)", "stable-4.0 and stable-6.0"),
            due: due(certs, w, &[pem.as_str()]),
        });
    }
    steps
}
