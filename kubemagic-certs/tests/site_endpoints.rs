//! What `certs probe --site` dials on the bundled sites: the OpenShift
//! example's two API names (the VIP the issue found missing), its masters
//! and etcd members, and the router on each infra node with a name under
//! the apps domain as SNI.

use std::path::Path;

fn site(name: &str) -> kubemagic_certs::SiteView {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples")
        .join(name);
    kubemagic_certs::site::read(&dir).unwrap()
}

#[test]
fn the_openshift_example_is_probed_on_both_api_names_and_its_routers() {
    let v = site("okd");
    let eps = v.endpoints();
    let dialed: Vec<String> = eps
        .iter()
        .map(|e| format!("{}:{} {}", e.host, e.port, e.what))
        .collect();
    for want in [
        "console.okd.utgb.example:8443 API VIP",
        "api.okd.utgb.example:8443 API VIP",
        "okd-master1.utgb.example:8443 kube-apiserver on okd-master1.utgb.example",
        "okd-master1.utgb.example:2379 etcd client on okd-master1.utgb.example",
        "okd-infra1.utgb.example:443 OpenShift router on okd-infra1.utgb.example",
        "okd-infra2.utgb.example:443 OpenShift router on okd-infra2.utgb.example",
    ] {
        assert!(
            dialed.iter().any(|d| d == want),
            "{want} not in {dialed:#?}"
        );
    }
    let router = eps
        .iter()
        .find(|e| e.what.starts_with("OpenShift router"))
        .unwrap();
    assert_eq!(
        router.name.as_deref(),
        Some("kubemagic-probe.apps.okd.utgb.example")
    );
    // No compute node serves the router.
    assert!(!dialed
        .iter()
        .any(|d| d.contains("okd-node1") && d.contains(":443")));
}

#[test]
fn the_kubespray_example_is_probed_on_its_vip_only_once() {
    let v = site("utgb");
    let vips: Vec<_> = v
        .endpoints()
        .into_iter()
        .filter(|e| e.what == "API VIP")
        .collect();
    assert_eq!(vips.len(), 1, "{vips:?}");
}
