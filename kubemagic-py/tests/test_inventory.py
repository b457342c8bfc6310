"""kubemagic.Inventory against the real ansible-inventory/ansible on the
corpus: handwritten inventories, the upstream samples, tests/corpus/inventory."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import kubemagic
from conftest import CORPUS, Case

pytestmark = pytest.mark.usefixtures("engine_ready")


def all_hosts(listing: dict) -> list[str]:
    """Every host of an `ansible-inventory --list` document, in first-seen order."""
    seen: dict[str, None] = {}

    def walk(group: str) -> None:
        node = listing.get(group, {})
        for h in node.get("hosts", []):
            seen.setdefault(h)
        for child in node.get("children", []):
            walk(child)

    walk("all")
    return list(seen)


@pytest.fixture(scope="module")
def references() -> dict[str, dict]:
    """Runs the reference tools for every case once, a few at a time: the
    `--list` document, `--host` for the first, middle and last host, and
    `ansible PATTERN --list-hosts` for each pattern of the case."""

    def one(case: Case) -> tuple[str, dict]:
        listing = case.ansible_inventory_list()
        hosts = all_hosts(listing)
        sample = sorted({hosts[0], hosts[len(hosts) // 2], hosts[-1]}) if hosts else []
        return case.name, {
            "list": listing,
            "hosts": hosts,
            "host": {h: case.ansible_inventory_host(h) for h in sample},
            "patterns": {p: case.ansible_list_hosts(p) for p in case.patterns},
        }

    with ThreadPoolExecutor(max_workers=4) as pool:
        return dict(pool.map(one, CORPUS))


def load(case: Case) -> kubemagic.Inventory:
    return kubemagic.Inventory.load(list(case.sources), playbook_dir=case.playbook_dir)


@pytest.mark.parametrize("case", CORPUS, ids=lambda c: c.name)
def test_host_vars_equal_ansible_inventory_host(case: Case, references: dict) -> None:
    ref = references[case.name]
    inv = load(case)
    for host, expected in ref["host"].items():
        assert inv.host_vars(host) == expected, host


@pytest.mark.parametrize("case", CORPUS, ids=lambda c: c.name)
def test_every_host_vars_equal_list_hostvars(case: Case, references: dict) -> None:
    ref = references[case.name]
    inv = load(case)
    hostvars = ref["list"].get("_meta", {}).get("hostvars", {})
    for host in ref["hosts"]:
        assert inv.host_vars(host) == hostvars.get(host, {}), host


@pytest.mark.parametrize("case", CORPUS, ids=lambda c: c.name)
def test_to_ansible_list_equals_ansible_inventory_list(case: Case, references: dict) -> None:
    assert load(case).to_ansible_list() == references[case.name]["list"]


@pytest.mark.parametrize("case", CORPUS, ids=lambda c: c.name)
def test_hosts_match_ansible_list_hosts_in_order(case: Case, references: dict) -> None:
    inv = load(case)
    for pattern, expected in references[case.name]["patterns"].items():
        assert inv.hosts(pattern) == expected, pattern


@pytest.mark.parametrize("case", CORPUS, ids=lambda c: c.name)
def test_groups_are_those_of_the_list(case: Case, references: dict) -> None:
    listing = references[case.name]["list"]
    groups = {g for g in listing if g != "_meta"}
    # --list omits empty groups other than all/ungrouped; ours lists every group.
    assert groups <= set(load(case).groups())


def test_hosts_defaults_to_all(references: dict) -> None:
    case = CORPUS[0]
    assert load(case).hosts() == references[case.name]["patterns"]["all"]


def test_host_var_origins_point_at_the_defining_file(tmp_path: Path) -> None:
    hosts = tmp_path / "hosts"
    hosts.write_text("[etcd]\ne1 etcd_quota_backend_bytes=20971520\n")
    (tmp_path / "group_vars").mkdir()
    gv = tmp_path / "group_vars" / "etcd.yml"
    gv.write_text("etcd_memory_limit: 512M\n")
    origins = kubemagic.Inventory.load([hosts]).host_var_origins("e1")
    assert origins["etcd_quota_backend_bytes"][0] == str(hosts)
    assert origins["etcd_memory_limit"][0] == str(gv)


def test_dict_key_order_is_kept(tmp_path: Path) -> None:
    hosts = tmp_path / "hosts.yml"
    hosts.write_text("all:\n  hosts:\n    h1:\n      d: {zeta: 1, alpha: 2, mid: 3}\n")
    assert list(kubemagic.Inventory.load([hosts]).host_vars("h1")["d"]) == ["zeta", "alpha", "mid"]


def test_reversed_range_raises_inventory_error_with_file_and_line(tmp_path: Path) -> None:
    hosts = tmp_path / "hosts"
    hosts.write_text("[etcd]\nnode1\nnode[3:1]\n")
    with pytest.raises(kubemagic.InventoryError) as info:
        kubemagic.Inventory.load([str(hosts)])
    assert info.value.file == str(hosts)
    assert info.value.line == 3
    assert isinstance(info.value, kubemagic.Error)


def test_yaml_syntax_error_raises_inventory_error_with_line(tmp_path: Path) -> None:
    hosts = tmp_path / "hosts.yml"
    hosts.write_text("all:\n  hosts:\n    h1:\n  - broken: [\n")
    with pytest.raises(kubemagic.InventoryError) as info:
        kubemagic.Inventory.load([str(hosts)])
    assert info.value.file == str(hosts)
    assert isinstance(info.value.line, int)


def test_unknown_host_raises_inventory_error(tmp_path: Path) -> None:
    hosts = tmp_path / "hosts"
    hosts.write_text("[g]\nh1\n")
    with pytest.raises(kubemagic.InventoryError):
        kubemagic.Inventory.load([hosts]).host_vars("nope")


def test_missing_source_raises_inventory_error_naming_it(tmp_path: Path) -> None:
    missing = tmp_path / "absent"
    with pytest.raises(kubemagic.InventoryError) as info:
        kubemagic.Inventory.load([missing])
    assert str(missing) in str(info.value)


def test_to_ansible_list_export_matches_ansible(references: dict) -> None:
    case = next(c for c in CORPUS if c.name == "yaml_site")
    from conftest import run_tool

    expected = json.loads(run_tool("ansible-inventory", *case.ansible_args(), "--list", "--export").stdout)
    assert load(case).to_ansible_list(export=True) == expected


def test_graph_equals_ansible_inventory_graph() -> None:
    case = next(c for c in CORPUS if c.name == "ini_typed")
    from conftest import run_tool

    expected = run_tool("ansible-inventory", *case.ansible_args(), "--graph").stdout
    assert load(case).graph() == expected
