"""kubemagic.check: the site checks of `kubemagic check`, from Python."""

from __future__ import annotations

from pathlib import Path

import pytest

import kubemagic
from conftest import HERE, REPO

BROKEN = HERE / "sites" / "broken"
KEYS = ["code", "severity", "message", "file", "line", "host", "group", "variable"]


def test_broken_site_reports_the_small_quota_and_the_even_etcd_count() -> None:
    findings = kubemagic.check(BROKEN)["findings"]
    errors = {f["code"] for f in findings if f["severity"] == "error"}
    assert {"KM101", "KM111"} <= errors
    quota = next(f for f in findings if f["code"] == "KM101")
    assert quota["file"].endswith("group_vars/all/etcd.yml") and quota["line"] == 1
    assert quota["variable"] == "etcd_quota_backend_bytes"


def test_findings_have_the_keys_of_the_cli_json() -> None:
    for f in kubemagic.check(str(BROKEN))["findings"]:
        assert list(f) == KEYS
        assert f["severity"] in ("error", "warning", "info")


def test_example_site_is_checked() -> None:
    site = REPO / "examples" / "utgb"
    if not site.is_dir():
        pytest.skip("examples/utgb not in this tree")
    report = kubemagic.check(site)
    assert isinstance(report["findings"], list)
    assert report["suppressed"] == []
    assert [v["upstream"] for v in report["versions"]] == ["kubespray", "ceph-ansible"]


def test_accepted_findings_come_back_under_suppressed_with_reason(tmp_path: Path) -> None:
    import shutil

    site = tmp_path / "site"
    shutil.copytree(BROKEN, site)
    gv = site / "kubespray" / "inventory" / "broken" / "group_vars" / "all" / "etcd.yml"
    gv.write_text("# kubemagic: ignore[KM101] a lab cluster, wiped daily\n" + gv.read_text())
    report = kubemagic.check(site)
    assert "KM101" not in {f["code"] for f in report["findings"]}
    (acc,) = [s for s in report["suppressed"] if s["code"] == "KM101"]
    assert acc["reason"] == "a lab cluster, wiped daily"
    assert acc["ignored_at"]["file"].endswith("etcd.yml") and acc["ignored_at"]["line"] == 1


def test_ignore_without_reason_raises_check_error_at_its_line(tmp_path: Path) -> None:
    import shutil

    site = tmp_path / "site"
    shutil.copytree(BROKEN, site)
    gv = site / "kubespray" / "inventory" / "broken" / "group_vars" / "all" / "etcd.yml"
    gv.write_text("# kubemagic: ignore[KM101]\n" + gv.read_text())
    with pytest.raises(kubemagic.CheckError) as info:
        kubemagic.check(site)
    assert info.value.file.endswith("etcd.yml") and info.value.line == 1


def test_missing_site_raises_check_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(kubemagic.CheckError) as info:
        kubemagic.check(tmp_path / "absent")
    assert info.value.file == str(tmp_path / "absent")
    assert isinstance(info.value, kubemagic.Error)


@pytest.mark.usefixtures("engine_ready")
def test_unreadable_inventory_raises_inventory_error_with_location(tmp_path: Path) -> None:
    inv = tmp_path / "kubespray" / "inventory" / "x"
    inv.mkdir(parents=True)
    (inv / "hosts.yml").write_text("all:\n  hosts:\n    h1:\n  - [broken\n")
    with pytest.raises(kubemagic.InventoryError) as info:
        kubemagic.check(tmp_path)
    assert info.value.file is not None and info.value.file.endswith("hosts.yml")


def test_broken_kubemagic_yml_raises_check_error_as_documented(tmp_path: Path) -> None:
    """The docstring says CheckError: a kubemagic.yml that is not YAML, or
    names an unknown addon, raises it with the file and line."""
    for text, line in (("name: x\nflavor: [kubespray\n", None), ("addons:\n  - loging\n", 2)):
        (tmp_path / "kubemagic.yml").write_text(text)
        with pytest.raises(kubemagic.CheckError) as info:
            kubemagic.check(tmp_path)
        assert info.value.file == str(tmp_path / "kubemagic.yml")
        if line is not None:
            assert info.value.line == line
            assert "did you mean `logging`?" in str(info.value)
