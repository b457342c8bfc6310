"""kubemagic.lb.render: the API load balancer of `kubemagic lb render`, from Python."""

from __future__ import annotations

from pathlib import Path

import pytest

import kubemagic
from conftest import REPO

UTGB = REPO / "examples" / "utgb"


def test_example_site_renders_both_files_for_each_lb_host() -> None:
    r = kubemagic.lb.render(UTGB)
    assert sorted(r["files"]) == ["lb1.utgb.example", "lb2.utgb.example"]
    files = r["files"]["lb1.utgb.example"]
    assert "option httpchk GET /healthz" in files["haproxy.cfg"]
    assert "virtual_ipaddress" in files["keepalived.conf"]
    assert r["model"]["vip"] == "10.42.253.10"
    assert r["model"]["findings"] == []


def test_the_model_never_holds_the_vrrp_password() -> None:
    r = kubemagic.lb.render(str(UTGB), host="lb2.utgb.example")
    assert list(r["files"]) == ["lb2.utgb.example"]
    assert r["model"]["authentication"] is True
    assert "k33p-utg" not in repr(r["model"])
    assert "auth_pass k33p-utg" in r["files"]["lb2.utgb.example"]["keepalived.conf"]


def test_unknown_host_raises_lb_error_naming_the_lb_group() -> None:
    with pytest.raises(kubemagic.LbError) as info:
        kubemagic.lb.render(UTGB, host="nope")
    assert "lb1.utgb.example" in str(info.value)
    assert info.value.file.endswith("custom/hosts")


def test_missing_site_raises_lb_error(tmp_path: Path) -> None:
    with pytest.raises(kubemagic.Error):
        kubemagic.lb.render(tmp_path / "absent")


def test_ansible_doc_renders_the_module_and_the_role() -> None:
    from conftest import run_tool

    out = run_tool("ansible-doc", "kubemagic.core.lb_render").stdout
    assert "OPTIONS" in out and "EXAMPLES" in out and "RETURN VALUES" in out
    out = run_tool("ansible-doc", "-t", "role", "kubemagic.core.apiserver_lb").stdout
    assert "kubemagic_site" in out and "apiserver_lb_manage_services" in out
