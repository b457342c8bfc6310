"""kubemagic.plan: the phases of `kubemagic plan`, from Python."""

from __future__ import annotations

from pathlib import Path

import pytest

import kubemagic


@pytest.fixture
def kubespray_site(tmp_path: Path) -> Path:
    inv = tmp_path / "kubespray" / "inventory" / "lab"
    inv.mkdir(parents=True)
    (inv / "hosts.yml").write_text("all:\n  hosts:\n    n1: {ansible_host: 127.0.0.1}\n")
    return tmp_path


def test_kubespray_site_plans_cluster_yml_with_its_inventory(kubespray_site: Path) -> None:
    phases = kubemagic.plan(kubespray_site, ["deploy-kube"])
    kube = next(p for p in phases if p["name"] == "deploy-kube")
    assert kube["reason"]
    step = kube["steps"][0]
    assert step["cwd"] == "kubespray"
    assert step["argv"][0] == "ansible-playbook" and step["argv"][-1] == "cluster.yml"
    assert "inventory/lab/hosts.yml" in step["argv"]


def test_phases_come_as_dicts_in_execution_order(kubespray_site: Path) -> None:
    phases = kubemagic.plan(str(kubespray_site))
    assert phases and all({"name", "reason", "steps"} <= set(p) for p in phases)
    assert kubemagic.plan(kubespray_site, targets=None) == phases


def test_unknown_phase_raises_plan_error(kubespray_site: Path) -> None:
    with pytest.raises(kubemagic.PlanError, match="no-such-phase"):
        kubemagic.plan(kubespray_site, ["no-such-phase"])


def test_missing_site_raises_plan_error(tmp_path: Path) -> None:
    with pytest.raises(kubemagic.PlanError) as info:
        kubemagic.plan(tmp_path / "absent")
    assert str(tmp_path / "absent") in str(info.value)
