"""kubemagic.ceph.render from Python (site-based; the live-cluster path is
tested against a real Ceph in kubemagic-ceph's own tests)."""

from __future__ import annotations

from pathlib import Path

import pytest

import kubemagic
from conftest import REPO

SITE = REPO / "examples" / "utgb"


def require_site() -> Path:
    if not (SITE / "ceph-ansible" / "hosts").is_file():
        pytest.skip("examples/utgb/ceph-ansible not in this tree")
    return SITE


def test_kubespray_vars_point_at_the_v1_monitors() -> None:
    text = kubemagic.ceph.render("kubespray", site=require_site())
    line = next(l for l in text.splitlines() if l.startswith("rbd_provisioner_monitors:"))
    assert all(m.endswith(":6789") for m in line.split(":", 1)[1].strip().split(","))
    assert "rbd_provisioner_pool: kube" in text


def test_pool_and_client_are_passed_through() -> None:
    text = kubemagic.ceph.render("kubespray", site=require_site(), pool="k8s", client="k8suser")
    assert "rbd_provisioner_pool: k8s" in text and "rbd_provisioner_user_id: k8suser" in text


def test_commands_need_no_cluster() -> None:
    text = kubemagic.ceph.render("commands", pool="kube", client="kube")
    assert "ceph osd pool create kube" in text


@pytest.mark.parametrize(
    "kwargs,match",
    [
        (dict(target="helm"), "target"),
        (dict(target="csi", site="x", ceph_conf="y"), "not both"),
        (dict(target="csi"), "needs a site"),
        (dict(target="commands", pool=".hidden"), "hidden|\\."),
    ],
)
def test_bad_arguments_are_value_errors(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        kubemagic.ceph.render(**kwargs)


def test_missing_ceph_conf_raises_ceph_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(kubemagic.CephError) as info:
        kubemagic.ceph.render("csi", ceph_conf=tmp_path / "ceph.conf", keyring=tmp_path / "k")
    assert info.value.file == str(tmp_path / "ceph.conf")


def test_csi_from_the_example_site_has_no_admin_key_and_ceph_config() -> None:
    text = kubemagic.ceph.render("csi", site=require_site())
    assert "name: ceph-config" in text and "name: csi-rbd-node" in text
    assert "adminKey" not in text  # RBD only: no CephFS Secret, no admin anywhere


def test_validate_image_features_against_an_old_kernel_client() -> None:
    report = kubemagic.ceph.validate(
        image_features="layering,exclusive-lock,object-map,fast-diff,deep-flatten",
        krbd_kernel="4.4.0-210-generic",
    )
    assert any(f["severity"] == "error" for f in report["findings"]), report


def test_validate_layering_only_is_clean_for_any_consumer() -> None:
    assert kubemagic.ceph.validate(image_features="layering")["findings"] == []
    assert kubemagic.ceph.validate(image_features="layering", rbd_provisioner=True)["findings"] == []


def test_validate_the_example_site_returns_findings_not_exceptions() -> None:
    report = kubemagic.ceph.validate(site=require_site())
    assert isinstance(report["findings"], list)
    assert not any(f["severity"] == "error" for f in report["findings"]), report


@pytest.mark.parametrize(
    "kwargs,match",
    [
        (dict(image_features="layering", krbd_kernel="5.4", rbd_provisioner=True), "one"),
        (dict(image_features="layering", krbd_kernel="five"), "kernel|version"),
        (dict(), "validate needs"),
    ],
)
def test_validate_bad_arguments_are_value_errors(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        kubemagic.ceph.validate(**kwargs)


def test_leftovers_check_without_kubernetes_is_unknown(tmp_path: Path) -> None:
    result = kubemagic.ceph.leftovers_check(kubeconfig=tmp_path / "kubeconfig")
    assert result["state"] == "UNKNOWN" and result["exit_code"] == 3, result
    assert result["output"].startswith("CEPH LEFTOVERS UNKNOWN - ")


def test_leftovers_without_kubernetes_raises_ceph_error(tmp_path: Path) -> None:
    with pytest.raises(kubemagic.CephError):
        kubemagic.ceph.leftovers(kubeconfig=tmp_path / "kubeconfig")
