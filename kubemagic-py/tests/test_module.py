"""The Python face of kubemagic: exceptions, the value converter, argument
checking, the type stubs, and errors of every entry point."""

from __future__ import annotations

import ast
import threading
from pathlib import Path

import pytest

import kubemagic
from kubemagic import _kubemagic

STUB = Path(kubemagic.__file__).with_name("_kubemagic.pyi")


def test_every_error_derives_from_kubemagic_error() -> None:
    for cls in (kubemagic.InventoryError, kubemagic.CheckError, kubemagic.PlanError,
                kubemagic.EtcdError, kubemagic.CephError):
        assert issubclass(cls, kubemagic.Error)
    assert issubclass(kubemagic.Error, Exception)
    assert kubemagic.Error.__module__ == "kubemagic"


def test_converter_round_trips_json_like_values_in_order() -> None:
    value = {"zeta": 1, "alpha": [1, -2, 2.5, None, True, False, "x", {"b": 1, "a": 2}],
             "big": 2**64 - 1, "neg": -(2**63), "empty": {}, "nested": [[]]}
    back = _kubemagic._roundtrip(value)
    assert back == value
    assert list(back) == list(value)
    assert list(back["alpha"][7]) == ["b", "a"]
    assert type(back["alpha"][5]) is bool and type(back["zeta"]) is int


def test_converter_turns_tuples_into_lists_as_ansible_does() -> None:
    assert _kubemagic._roundtrip((1, (2, 3))) == [1, [2, 3]]


@pytest.mark.parametrize("bad", [{1: "int key"}, {"s": {1, 2}}, float("nan"), 2**70, object()])
def test_converter_rejects_what_has_no_json_equivalent(bad: object) -> None:
    with pytest.raises(TypeError):
        _kubemagic._roundtrip(bad)


def test_load_without_sources_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="at least one"):
        kubemagic.Inventory.load([])


def test_load_rejects_an_unknown_hash_behaviour(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="replace"):
        kubemagic.Inventory.load([tmp_path], hash_behaviour="deep")


def test_load_error_carries_file_and_line_attributes(tmp_path: Path) -> None:
    with pytest.raises(kubemagic.InventoryError) as info:
        kubemagic.Inventory.load([tmp_path / "absent"])
    assert hasattr(info.value, "file") and hasattr(info.value, "line")


def test_load_releases_the_gil(tmp_path: Path) -> None:
    """Loads in several threads at once finish and agree: the GIL is
    released around the Rust call and reacquired cleanly afterwards."""
    hosts = tmp_path / "hosts"
    hosts.write_text("[g]\n" + "".join(f"h{i} v={i}\n" for i in range(2000)))
    results: list[object] = []

    def work() -> None:
        try:
            results.append(kubemagic.Inventory.load([hosts]).groups())
        except kubemagic.InventoryError as e:  # stub engine: still a clean error
            results.append(type(e).__name__)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(results) == 4 and all(r == results[0] for r in results)


def stub_names() -> set[str]:
    tree = ast.parse(STUB.read_text())
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
    return names


def test_stub_declares_exactly_what_the_native_module_exports() -> None:
    native = {n for n in dir(_kubemagic) if not n.startswith("__")}
    assert stub_names() == native


def test_stub_declares_every_inventory_method() -> None:
    tree = ast.parse(STUB.read_text())
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Inventory")
    declared = {n.name for n in cls.body if isinstance(n, ast.FunctionDef)}
    public = {n for n in dir(kubemagic.Inventory) if not n.startswith("_")}
    assert declared == public


def test_package_is_marked_typed() -> None:
    assert Path(kubemagic.__file__).with_name("py.typed").exists()


def test_public_api_is_exported() -> None:
    for name in kubemagic.__all__:
        assert hasattr(kubemagic, name), name
    assert callable(kubemagic.etcd.status) and callable(kubemagic.etcd.recover)
    assert callable(kubemagic.ceph.render)


@pytest.mark.parametrize(
    "call",
    [
        lambda: kubemagic.etcd.status(env_file="/nonexistent/etcd.env"),
        lambda: kubemagic.etcd.recover(env_file="/nonexistent/etcd.env", dry_run=True),
        lambda: kubemagic.ceph.render("kubespray", site="/nonexistent-site"),
        lambda: kubemagic.check("/nonexistent-site"),
        lambda: kubemagic.plan("/nonexistent-site"),
    ],
    ids=["etcd.status", "etcd.recover", "ceph.render", "check", "plan"],
)
def test_bad_input_raises_a_kubemagic_error_naming_it(call) -> None:
    with pytest.raises(kubemagic.Error) as info:
        call()
    assert "nonexistent" in str(info.value)
