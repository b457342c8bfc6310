//! `scripts/kubemagic-inventory`: kubemagic serving as an Ansible inventory
//! script, read by the real `ansible-inventory` (skipped, loudly, without
//! the venv that `make test` installs).

use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

#[test]
fn ansible_reads_kubemagic_as_an_inventory_script_with_the_same_result() {
    let ansible = repo().join(".venv/bin/ansible-inventory");
    if !ansible.exists() {
        eprintln!("SKIPPED: no {} (run `make test`)", ansible.display());
        return;
    }
    let source = repo().join("examples/utgb/kubespray/inventory/utgb/hosts.yml");
    let empty = tempfile::tempdir().unwrap();
    let list = |inventory: &Path| -> serde_json::Value {
        let out = Command::new(&ansible)
            .args(["--list", "-i"])
            .arg(inventory)
            .current_dir(empty.path())
            .env("KUBEMAGIC", env!("CARGO_BIN_EXE_kubemagic"))
            .env("KUBEMAGIC_INVENTORY", &source)
            .env("ANSIBLE_INVENTORY_UNPARSED_FAILED", "true")
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let through_script = list(&repo().join("scripts/kubemagic-inventory"));
    let direct = list(&source);
    // The script's group_vars are kubemagic's business, so the hostvars it
    // reports already include them; ansible adds nothing beside the script.
    assert_eq!(through_script["all"], direct["all"]);
    assert_eq!(
        through_script["_meta"]["hostvars"],
        direct["_meta"]["hostvars"]
    );
    assert!(direct["_meta"]["hostvars"]
        .as_object()
        .is_some_and(|h| !h.is_empty()));
}
