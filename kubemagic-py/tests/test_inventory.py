"""kubemagic.Inventory against the real ansible-inventory/ansible on the
corpus: handwritten inventories, the upstream samples, tests/corpus/inventory."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

import kubemagic
from conftest import CORPUS, ERROR_CASES, REPO, Case, ansible_env

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


ORACLE = REPO / "tests" / "tools" / "ansible_oracle.py"


def run_oracle(cases: list[Case], hash_behaviour: str) -> dict[str, dict]:
    """ansible-inventory's own code (InventoryCLI) on many cases in one Python
    process (tests/tools/ansible_oracle.py): starting Ansible once per query
    would take minutes."""
    roots = {c.name: c.graph_root for c in cases}
    jobs = [
        {"id": c.name, "sources": list(c.sources), "playbook_dir": c.playbook_dir,
         "list": True, "export": True,
         "hosts": "all" if c.host_queries is None else list(c.host_queries), "graph": [c.graph_root], "graph_vars": False,
         "patterns": list(c.patterns)}
        for c in cases
    ]
    with tempfile.TemporaryDirectory() as empty:
        proc = subprocess.run(
            [sys.executable, str(ORACLE)], input=json.dumps(jobs), cwd=empty,
            env=ansible_env(ANSIBLE_HASH_BEHAVIOUR=hash_behaviour),
            capture_output=True, text=True, timeout=600,
        )
    assert proc.returncode == 0, proc.stderr
    out = {}
    for res in json.loads(proc.stdout):
        assert not res["error"], f"{res['id']}: ansible-inventory failed: {res['error']}"
        out[res["id"]] = {
            "list": json.loads(res["list"]),
            "export": json.loads(res["export"]),
            # None: a host name that is also a pattern matching several hosts
            "host": {h: json.loads(t) for h, t in res["host"].items() if t is not None},
            "graph": res["graph"].get(roots[res["id"]]),
            "patterns": res["patterns"],
        }
    return out


@pytest.fixture(scope="module")
def references() -> dict[str, dict]:
    """The reference answers for every case, from ansible-core itself."""
    if not ORACLE.is_file():
        pytest.skip("tests/tools/ansible_oracle.py not in this tree")
    refs: dict[str, dict] = {}
    for hb in sorted({c.hash_behaviour for c in CORPUS}):
        refs.update(run_oracle([c for c in CORPUS if c.hash_behaviour == hb], hb))
    return refs


def load(case: Case) -> kubemagic.Inventory:
    return kubemagic.Inventory.load(
        list(case.sources), playbook_dir=case.playbook_dir, hash_behaviour=case.hash_behaviour
    )


@pytest.mark.parametrize("case", ERROR_CASES, ids=lambda c: c.name)
def test_bad_input_raises_inventory_error_at_the_expected_spot(case: Case) -> None:
    """What Ansible only warns about is an InventoryError naming file and line."""
    assert case.expect_error is not None
    suffix, line = case.expect_error
    with pytest.raises(kubemagic.InventoryError) as info:
        load(case)
    assert info.value.file is not None and info.value.file.endswith(suffix)
    if line is not None:
        assert info.value.line == line


def same(a: object, b: object) -> bool:
    """Equality as the corpus means it: NaN equals NaN (`.nan` values are
    compared with Ansible's, and Python's NaN is equal to nothing)."""
    if isinstance(a, float) and isinstance(b, float) and a != a and b != b:
        return True
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return a == b


@pytest.mark.parametrize("case", CORPUS, ids=lambda c: c.name)
def test_host_vars_equal_ansible_inventory_host(case: Case, references: dict) -> None:
    ref = references[case.name]
    inv = load(case)
    for host, expected in ref["host"].items():
        assert same(inv.host_vars(host), expected), host
    assert set(ref["host"]) <= set(inv.hosts("all"))


@pytest.mark.parametrize("case", CORPUS, ids=lambda c: c.name)
def test_to_ansible_list_equals_ansible_inventory_list(case: Case, references: dict) -> None:
    assert same(load(case).to_ansible_list(), references[case.name]["list"])


@pytest.mark.parametrize("case", CORPUS, ids=lambda c: c.name)
def test_hosts_match_ansible_list_hosts_in_order(case: Case, references: dict) -> None:
    inv = load(case)
    for pattern, expected in references[case.name]["patterns"].items():
        if isinstance(expected, dict):  # an error in Ansible must be one here
            with pytest.raises(kubemagic.InventoryError):
                inv.hosts(pattern)
        else:
            assert inv.hosts(pattern) == expected, pattern


@pytest.mark.parametrize("case", CORPUS, ids=lambda c: c.name)
def test_groups_are_those_of_the_list(case: Case, references: dict) -> None:
    listing = references[case.name]["list"]
    groups = {g for g in listing if g != "_meta"}
    # --list omits empty groups other than all/ungrouped; ours lists every group.
    assert groups <= set(load(case).groups())


def test_hosts_defaults_to_all(references: dict) -> None:
    case = CORPUS[0]  # handwritten: compares "all"
    assert load(case).hosts() == references[case.name]["patterns"]["all"]


@pytest.mark.parametrize("case", CORPUS, ids=lambda c: c.name)
def test_to_ansible_list_export_equals_ansible_inventory_export(case: Case, references: dict) -> None:
    assert same(load(case).to_ansible_list(export=True), references[case.name]["export"])


@pytest.mark.parametrize("case", CORPUS, ids=lambda c: c.name)
def test_graph_equals_ansible_inventory_graph(case: Case, references: dict) -> None:
    # the oracle's texts are what ansible-inventory prints, minus display's newline
    expected = references[case.name]["graph"]
    if isinstance(expected, dict):
        with pytest.raises(kubemagic.InventoryError):
            load(case).graph()
    else:
        assert load(case).graph(case.graph_root).rstrip("\n") == expected.rstrip("\n")


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


def test_reversed_letter_range_raises_inventory_error_with_file_and_line(tmp_path: Path) -> None:
    # A reversed numeric range is a warning (Ansible expands it to nothing);
    # a reversed letter range fails in Ansible too.
    hosts = tmp_path / "hosts"
    hosts.write_text("[etcd]\nnode1\nnode[c:a]\n")
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


def test_warnings_are_ansibles_with_kind_file_and_line(tmp_path: Path) -> None:
    hosts = tmp_path / "hosts.yml"
    hosts.write_text("all:\n  hosts:\n    h1:\n      port: 1\n      a: 1\n      a: 2\n")
    inv = kubemagic.Inventory.load(hosts)
    got = {(w["kind"], w["line"], w["subject"]) for w in inv.warnings}
    assert got == {("reserved_name", 4, "port"), ("duplicate_key", 6, None)}
    assert all(w["file"] == str(hosts) for w in inv.warnings)
    assert inv.host_vars("h1")["a"] == 2


def test_strict_turns_warnings_into_an_inventory_error(tmp_path: Path) -> None:
    hosts = tmp_path / "hosts"
    hosts.write_text("[my-group]\nh1\n")
    assert kubemagic.Inventory.load(hosts).warnings[0]["kind"] == "group_name"
    with pytest.raises(kubemagic.InventoryError) as info:
        kubemagic.Inventory.load(hosts, strict=True)
    assert "my-group" in str(info.value)


def test_non_string_keys_reach_python_as_json_keys(tmp_path: Path) -> None:
    # As `ansible-inventory --host` prints them: Ansible's JSON profile
    # folds 0 and '0' into one key, the later value winning.
    hosts = tmp_path / "hosts.yml"
    hosts.write_text("all:\n  hosts:\n    h1:\n      d: {'0': s, 0: i, true: t, ~: n}\n")
    inv = kubemagic.Inventory.load(hosts)
    assert inv.host_vars("h1")["d"] == {"0": "i", "true": "t", "null": "n"}
    assert "{'0': 's', 0: 'i', True: 't', None: 'n'}" in inv.graph(vars=True)
