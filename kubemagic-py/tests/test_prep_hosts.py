"""kubemagic.core.prep_hosts writes kubespray's Ceph variables beside the
site's kubespray inventory (the seed's prep-hosts did it by hand), from the
site's one reading: the real ansible-playbook on a copy of examples/utgb,
limited to localhost (the lb hosts of the example are not reachable here;
the load balancer play is proven by test_lb_role.py)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from conftest import REPO, run_tool


def test_prep_hosts_writes_kubesprays_ceph_vars_beside_its_inventory(tmp_path: Path) -> None:
    site = tmp_path / "utgb"
    shutil.copytree(REPO / "examples" / "utgb", site)
    args = [
        "-i", str(site / "custom" / "hosts"),
        "-i", "localhost,",
        "--limit", "localhost",
        "-e", f"ansible_python_interpreter={sys.executable}",
        "-e", f"kubemagic_site={site}",
        "kubemagic.core.prep_hosts",
    ]
    check = run_tool("ansible-playbook", "--check", *args).stdout
    dest = site / "kubespray" / "inventory" / "utgb" / "group_vars" / "all" / "kubemagic-ceph.yml"
    assert not dest.exists(), check
    out = run_tool("ansible-playbook", *args).stdout
    text = dest.read_text()
    assert "provisioner" in text, text
    assert dest.stat().st_mode & 0o777 == 0o600
    assert "changed=1" in out, out
    again = run_tool("ansible-playbook", *args).stdout
    assert "changed=0" in again, again
