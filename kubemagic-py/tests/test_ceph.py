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


def _leaky_site(root: Path, pw: str) -> None:
    ca = root / "ceph-ansible"
    (ca / "group_vars").mkdir(parents=True)
    (ca / "hosts").write_text(
        "[mons]\n"
        f"ceph1 ansible_host=10.0.0.1 monitor_address=ops:{pw}@10.0.0.1\n"
        "ceph2 ansible_host=10.0.0.2 monitor_address=10.0.0.2\n"
        "[osds]\nceph1 devices='[\"/dev/sdb\"]'\n"
    )
    (ca / "group_vars" / "all.yml").write_text(
        "fsid: 8ea25b82-518c-4114-9aaf-d0c02cbe6c81\npublic_network: 10.0.0.0/24\n"
    )


@pytest.mark.parametrize("pw", ["Pw$ecr3t", "Pw-x.y~z!", "Pw%41;b&c"])
def test_a_monitor_password_never_reaches_python(tmp_path: Path, pw: str) -> None:
    _leaky_site(tmp_path, pw)
    report = kubemagic.ceph.validate(site=tmp_path)
    assert any(f["code"] == "KM228" for f in report["findings"])
    assert pw not in str(report)
    for target in ("kubespray", "csi", "commands"):
        with pytest.raises(kubemagic.CephError) as e:
            kubemagic.ceph.render(target, site=tmp_path)
        assert pw not in str(e.value)
        assert "KM228" in str(e.value)


def test_a_keyring_key_without_equals_is_a_finding_with_its_line(tmp_path: Path) -> None:
    k = tmp_path / "ceph.client.kube.keyring"
    k.write_text("[client.kube]\n\tkey AQDz6AVr1iekDBAA80UikzfAeOZJlwWVjfW4+A==\n")
    report = kubemagic.ceph.validate(keyring=k)
    [f] = report["findings"]
    assert (f["code"], f["line"]) == ("KM227", 2)
    assert "AQDz6AVr" not in str(report)


def test_a_keyring_error_keeps_its_line_number(tmp_path: Path) -> None:
    k = tmp_path / "k3.keyring"
    k.write_text("# admin\n[client.admin\n")
    with pytest.raises(kubemagic.CephError) as e:
        kubemagic.ceph.validate(keyring=k)
    assert "k3.keyring:2: unterminated section header" in str(e.value)


def test_doctor_without_a_ceph_conf_raises_naming_it(tmp_path: Path) -> None:
    with pytest.raises(kubemagic.CephError, match="ceph.conf"):
        kubemagic.ceph.doctor(tmp_path / "ceph.conf", tmp_path / "k.keyring")


def test_doctor_check_of_an_unreachable_cluster_is_unknown(tmp_path: Path) -> None:
    conf = tmp_path / "ceph.conf"
    conf.write_text("[global]\nmon host = 127.0.0.1:1\n")
    keyring = tmp_path / "admin.keyring"
    keyring.write_text("[client.admin]\n\tkey = AQDz6AVr1iekDBAA80UikzfAeOZJlwWVjfW4+A==\n")
    result = kubemagic.ceph.doctor_check(conf, keyring)
    assert result["state"] == "UNKNOWN" and result["exit_code"] == 3, result
    assert result["output"].startswith("CEPH DOCTOR UNKNOWN - ")
    assert "AQDz6AVr" not in result["output"]
