"""The kubemagic.core.site inventory plugin under the real ansible-inventory:
`ansible-inventory -i x.kubemagic.yml --list` gives the hosts, groups (with
children) and host variables that `ansible-inventory -i <the site's
inventory file> --list` gives, for every inventory of the bundled sites."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from conftest import REPO, ansible_env, run_tool

UTGB = REPO / "examples" / "utgb"
OKD = REPO / "examples" / "okd"

# (site, inventory option, the file ansible-inventory reads for it)
CASES = [
    (UTGB, "kubespray", UTGB / "kubespray/inventory/utgb/hosts.yml"),
    (UTGB, "ceph-ansible", UTGB / "ceph-ansible/hosts"),
    (UTGB, "custom", UTGB / "custom/hosts"),
    (OKD, "openshift-ansible", OKD / "openshift-ansible/hosts"),
]


def normalized(doc: dict[str, Any]) -> dict[str, Any]:
    """Groups as {name: (sorted hosts, sorted children)} and the hostvars:
    what an inventory gives Ansible, without JSON key order."""
    groups = {
        name: (sorted(entry.get("hosts", [])), sorted(entry.get("children", [])))
        for name, entry in doc.items() if name != "_meta"
    }
    return {"groups": groups, "hostvars": doc.get("_meta", {}).get("hostvars", {})}


def source_file(tmp_path: Path, name: str = "site.kubemagic.yml", **options: object) -> Path:
    path = tmp_path / name
    # One `key: value` line each, values as JSON scalars (valid YAML).
    lines = [f"{k}: {json.dumps(v)}" for k, v in {"plugin": "kubemagic.core.site", **options}.items()]
    path.write_text("\n".join(lines) + "\n")
    return path


def listing(source: Path, **env: str) -> dict[str, Any]:
    return json.loads(run_tool("ansible-inventory", "-i", str(source), "--list",
                               env=ansible_env(**env)).stdout)


def require(path: Path) -> None:
    if not path.exists():
        pytest.skip(f"{path} not in this checkout")


@pytest.mark.parametrize("site,kind,reference", CASES, ids=[f"{c[0].name}-{c[1]}" for c in CASES])
def test_plugin_lists_what_ansible_inventory_lists_for_the_site_file(
        tmp_path: Path, site: Path, kind: str, reference: Path) -> None:
    require(reference)
    ours = listing(source_file(tmp_path, path=str(site), inventory=kind))
    theirs = json.loads(run_tool("ansible-inventory", "-i", str(reference), "--list").stdout)
    assert normalized(ours) == normalized(theirs)
    assert ours["_meta"]["hostvars"], "no host variables at all: the comparison proves nothing"


@pytest.mark.parametrize("site,expected", [(UTGB, "kubespray"), (OKD, "openshift-ansible")])
def test_default_inventory_is_the_one_of_the_site_flavor(tmp_path: Path, site: Path, expected: str) -> None:
    reference = next(r for s, k, r in CASES if s == site and k == expected)
    require(reference)
    ours = listing(source_file(tmp_path, path=str(site)))
    theirs = json.loads(run_tool("ansible-inventory", "-i", str(reference), "--list").stdout)
    assert normalized(ours) == normalized(theirs)


def test_relative_path_is_relative_to_the_source_file(tmp_path: Path) -> None:
    require(UTGB)
    shutil.copytree(UTGB, tmp_path / "sites" / "utgb")
    inventories = tmp_path / "inventories"
    inventories.mkdir()
    ours = listing(source_file(inventories, "utgb.kubemagic.yaml", path="../sites/utgb"))
    assert "etcd" in ours and ours["_meta"]["hostvars"]


def test_cached_inventory_is_served_without_reading_the_site(tmp_path: Path) -> None:
    require(UTGB)
    site = tmp_path / "utgb"
    shutil.copytree(UTGB, site)
    source = source_file(tmp_path, path=str(site), inventory="ceph-ansible", cache=True,
                         cache_plugin="ansible.builtin.jsonfile",
                         cache_connection=str(tmp_path / "cache"))
    first = listing(source)
    assert list((tmp_path / "cache").iterdir()), "cache enabled but nothing written"
    (site / "ceph-ansible" / "hosts").unlink()
    assert listing(source) == first
    # --flush-cache reads the site again, which now lacks that inventory.
    proc = run_tool("ansible-inventory", "-i", str(source), "--list", "--flush-cache",
                    env=ansible_env(ANSIBLE_INVENTORY_UNPARSED_FAILED="true"), check=False)
    assert proc.returncode != 0 and "has no ceph-ansible inventory" in proc.stderr, proc.stderr


def test_bad_site_file_fails_naming_file_and_line(tmp_path: Path) -> None:
    require(UTGB)
    site = tmp_path / "utgb"
    shutil.copytree(UTGB, site)
    bad = site / "ceph-ansible" / "group_vars" / "mons.yml"
    bad.write_text("---\nmonitor_interface: eth0\n  broken: [\n")
    source = source_file(tmp_path, path=str(site), inventory="ceph-ansible")
    proc = run_tool("ansible-inventory", "-i", str(source), "--list",
                    env=ansible_env(ANSIBLE_INVENTORY_UNPARSED_FAILED="true"), check=False)
    assert proc.returncode != 0
    assert f"{bad}:3" in proc.stderr.replace("\n", " "), proc.stderr


def test_unknown_inventory_kind_fails_naming_the_source(tmp_path: Path) -> None:
    require(UTGB)
    source = source_file(tmp_path, path=str(UTGB), inventory="rook")
    proc = run_tool("ansible-inventory", "-i", str(source), "--list",
                    env=ansible_env(ANSIBLE_INVENTORY_UNPARSED_FAILED="true"), check=False)
    assert proc.returncode != 0
    # "inventory: rook" is line 3 of the source written above.
    assert f"{source}:3" in proc.stderr and "rook" in proc.stderr, proc.stderr
