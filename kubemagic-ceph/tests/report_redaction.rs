//! No secret reaches any Ceph report, in any format: the property behind
//! `kubemagic_ceph::report` (issue 22 item 2). Secrets come in the shapes
//! a Ceph site or keyring can carry them: a monitor address typed
//! `user:password@10.0.0.1` (scheme-less), a URL's userinfo, and the admin's
//! key (known to the redactor, whatever surrounds it).

use kubemagic_ceph::cli::Connection;
use kubemagic_ceph::leftovers::{LeftoverVolume, LeftoversReport};
use kubemagic_ceph::report::{self, Format};
use kubemagic_ceph::validate::{validate, ValidateReport, ValidateRequest};
use kubemagic_core::{Finding, RedactingWriter, Redactor};
use proptest::prelude::*;
use std::path::Path;

const FORMATS: [Format; 4] = [Format::Text, Format::Json, Format::Yaml, Format::Nagios];

/// A password as a user types it: letters, digits and the punctuation
/// allowed in a userinfo.
fn password() -> impl Strategy<Value = String> {
    let chars: Vec<char> = "abcXYZ0189-._~!$&*+;%".chars().collect();
    proptest::collection::vec(proptest::sample::select(chars), 6..18)
        .prop_map(|v| format!("Pw{}", v.into_iter().collect::<String>()))
}

/// A site whose monitor address carries `ops:PASSWORD@`.
fn leaky_site(dir: &Path, pw: &str) {
    let ca = dir.join("ceph-ansible");
    std::fs::create_dir_all(ca.join("group_vars")).unwrap();
    std::fs::write(
        ca.join("hosts"),
        format!("[mons]\nceph1 ansible_host=10.0.0.1 monitor_address=ops:{pw}@10.0.0.1\n[osds]\nceph1 devices='[\"/dev/sdb\"]'\n"),
    )
    .unwrap();
    std::fs::write(
        ca.join("group_vars/all.yml"),
        "fsid: 8ea25b82-518c-4114-9aaf-d0c02cbe6c81\npublic_network: 10.0.0.0/24\n",
    )
    .unwrap();
}

fn written(redactor: &Redactor, f: impl FnOnce(&mut RedactingWriter<Vec<u8>>)) -> String {
    let mut w = RedactingWriter::new(Vec::new(), redactor.clone());
    f(&mut w);
    String::from_utf8(w.finish().unwrap()).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn a_monitor_password_never_reaches_a_validate_report(pw in password()) {
        let d = tempfile::tempdir().unwrap();
        leaky_site(d.path(), &pw);
        let rep = validate(&ValidateRequest { site: Some(d.path().into()), ..Default::default() }).unwrap();
        prop_assert!(rep.findings.iter().any(|f| f.code == "KM228"), "{:?}", rep.findings);
        let r = Redactor::new();
        for fmt in FORMATS {
            let out = written(&r, |w| report::write_validate(w, &rep, fmt).unwrap());
            prop_assert!(!out.contains(&pw), "{fmt:?}: {out}");
            prop_assert!(out.contains("KM228"), "{fmt:?}: {out}");
        }
        let out = written(&r, |w| report::write_findings(w, &rep.findings).unwrap());
        prop_assert!(!out.contains(&pw), "{out}");
    }

    #[test]
    fn no_secret_reaches_any_prepare_leftovers_doctor_or_nagios_output(pw in password()) {
        let key = format!("AQD{pw}==");
        let r = Redactor::new().with_secrets([key.as_str()]);
        let mut rep = LeftoversReport::default();
        rep.volumes.push(LeftoverVolume {
            pv: format!("pv-http://u:{pw}@h"),
            claim: Some(format!("ns/c ops:{pw}@10.0.0.1")),
            user: None,
            path: Some(format!("/volumes/{key}")),
            secret: None,
        });
        for fmt in FORMATS {
            let out = written(&r, |w| report::write_leftovers(w, &rep, fmt).unwrap());
            prop_assert!(!out.contains(&pw), "{fmt:?}: {out}");
        }
        let v = ValidateReport { findings: vec![Finding::error("KM227", format!("key {key} of http://a:{pw}@h"))] };
        for fmt in FORMATS {
            let out = written(&r, |w| report::write_validate(w, &v, fmt).unwrap());
            prop_assert!(!out.contains(&pw), "{fmt:?}: {out}");
        }
        // prepare: notes and key locations quoting a secret.
        let prep = kubemagic_ceph::prepare::PrepareReport {
            dry_run: true,
            actions: vec![kubemagic_ceph::prepare::Action::CreatePool { pool: "kube".into(), pg_num: None }],
            changed: false,
            notes: vec![Finding::warning("KM231", format!("see http://u:{pw}@h and {key}"))],
            keys: vec![kubemagic_ceph::prepare::KeyLocation { entity: "client.kube".into(), read_with: format!("ceph auth get client.kube # {key}") }],
        };
        let preq = kubemagic_ceph::prepare::PrepareRequest { pool: "kube".parse().unwrap(), client: "kube".parse().unwrap(), pg_num: None, cephfs: None, csi: false };
        for fmt in [Format::Text, Format::Json, Format::Yaml] {
            let out = written(&r, |w| {
                report::write_prepare(w, &prep, &preq, fmt).unwrap();
                report::write_findings(w, &prep.notes).unwrap();
            });
            prop_assert!(!out.contains(&pw), "{fmt:?}: {out}");
        }
        // doctor: a probe error and a finding quoting a secret, every format.
        let doc = kubemagic_ceph::doctor::DoctorReport {
            findings: vec![Finding::error("KM256", format!("probe failed: key {key} mon ops:{pw}@10.0.0.1"))],
            facts: kubemagic_ceph::doctor::Facts {
                probes: vec![kubemagic_ceph::doctor::Probe { entity: "client.csi-rbd-provisioner".into(), command: format!("rbd create x # {key}"), error: Some(format!("http://a:{pw}@h")) }],
                ..Default::default()
            },
        };
        for fmt in FORMATS {
            let out = written(&r, |w| report::write_doctor(w, &doc, fmt).unwrap());
            prop_assert!(!out.contains(&pw), "{fmt:?}: {out}");
        }
        let check = report::leftovers_check(&Err(kubemagic_ceph::CephError::Request(format!("mon ops:{pw}@10.0.0.1 {key}"))));
        let out = written(&r, |w| report::write_nagios(w, &check).unwrap());
        prop_assert!(!out.contains(&pw), "{out}");
    }
}

#[test]
fn the_redactor_knows_the_admin_key_of_the_keyring() {
    let d = tempfile::tempdir().unwrap();
    let k = d.path().join("admin.keyring");
    let key = "AQDz6AVr1iekDBAA80UikzfAeOZJlwWVjfW4+A==";
    std::fs::write(&k, format!("[client.admin]\n\tkey = {key}\n")).unwrap();
    let conn = Connection {
        keyring: Some(k),
        name: Some("client.admin".into()),
        ..Default::default()
    };
    let r = report::redactor(&conn);
    let out = written(&r, |w| {
        report::write_findings(w, &[Finding::info("KM230", format!("quoted {key}"))]).unwrap()
    });
    assert!(!out.contains(key), "{out}");
}
