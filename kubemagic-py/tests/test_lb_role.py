"""The kubemagic.core.apiserver_lb role through the kubemagic.core.prep_hosts
playbook, with the real ansible-playbook, haproxy and keepalived: in check
mode (nothing written, diff without the VRRP password), for real, then
again (idempotent). The lb host is localhost (connection local) inside a
network namespace made by the test, holding the host's address, so the
role resolves the VIP's interface there. Files go to a temporary directory
(apiserver_lb_manage_services=false): the machine's own /etc is not touched."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

import kubemagic
from conftest import BIN, ansible_env

NS = f"kmlb-role-{os.getpid()}"
PASSWORD = "r0lepass"


def _need() -> str | None:
    for tool in ("ip", "haproxy", "keepalived"):
        if not shutil.which(tool, path="/usr/sbin:/usr/bin:/sbin:/bin"):
            return f"`{tool}` not installed (scripts/deps.sh test installs it)"
    if os.geteuid() != 0:
        return "not root: cannot create a network namespace"
    return None


@pytest.fixture
def netns():
    why = _need()
    if why:
        print(f"SKIPPED apiserver_lb role test: {why}", file=sys.stderr)
        pytest.skip(why)
    subprocess.run(["ip", "netns", "del", NS], capture_output=True)
    made = subprocess.run(["ip", "netns", "add", NS], capture_output=True, text=True)
    if made.returncode != 0:
        why = f"`ip netns add` failed (needs CAP_NET_ADMIN): {made.stderr.strip()}"
        print(f"SKIPPED apiserver_lb role test: {why}", file=sys.stderr)
        pytest.skip(why)
    try:
        for argv in (
            ["ip", "link", "set", "lo", "up"],
            ["ip", "link", "add", "eth0", "type", "veth", "peer", "name", "kmpeer"],
            ["ip", "addr", "add", "10.250.1.11/24", "dev", "eth0"],
            ["ip", "link", "set", "eth0", "up"],
        ):
            subprocess.run(["ip", "netns", "exec", NS, *argv], check=True, capture_output=True)
        yield NS
    finally:
        subprocess.run(["ip", "netns", "del", NS], capture_output=True)


def _site(root: Path) -> Path:
    site = root / "site"
    (site / "custom/group_vars").mkdir(parents=True)
    (site / "custom/hosts").write_text(
        "[lb]\nlb1 ansible_host=10.250.1.11 ansible_connection=local\n"
        "lb2 ansible_host=10.250.1.12 ansible_connection=local\n"
    )
    (site / "custom/group_vars/lb.yml").write_text(
        f"keepalived_vip: 10.250.1.100/24\nkeepalived_auth_password: {PASSWORD}\n"
    )
    inv = site / "kubespray/inventory/t"
    inv.mkdir(parents=True)
    (inv / "hosts.yml").write_text(
        "all:\n  hosts:\n    cp1: {ip: 10.250.1.21}\n    cp2: {ip: 10.250.1.22}\n    cp3: {ip: 10.250.1.23}\n"
        "  children:\n    kube_control_plane:\n      hosts: {cp1: , cp2: , cp3: }\n"
    )
    return site


def _play(ns: str, site: Path, out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    argv = [
        "ip", "netns", "exec", ns, str(BIN / "ansible-playbook"),
        "-i", str(site / "custom/hosts"), "kubemagic.core.prep_hosts", "--limit", "lb1",
        "-e", f"ansible_python_interpreter={sys.executable}",
        "-e", "ansible_become=false",
        "-e", "apiserver_lb_manage_services=false",
        "-e", f"apiserver_lb_haproxy_config={out / 'haproxy.cfg'}",
        "-e", f"apiserver_lb_keepalived_config={out / 'keepalived.conf'}",
        *extra,
    ]
    return subprocess.run(argv, env=ansible_env(), capture_output=True, text=True, timeout=300,
                          stdin=subprocess.DEVNULL, cwd=str(site / "custom"))


def _recap(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == 0, f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    return next(line for line in proc.stdout.splitlines() if line.startswith("lb1 "))


def test_role_check_mode_then_real_run_then_idempotent(netns: str, tmp_path: Path) -> None:
    site = _site(tmp_path)
    out = tmp_path / "etc"
    out.mkdir()

    checked = _play(netns, site, out, "--check", "--diff")
    recap = _recap(checked)
    assert "changed=0" not in recap, recap
    assert not (out / "haproxy.cfg").exists(), "check mode wrote a file"
    assert "option httpchk GET /healthz" in checked.stdout, "no diff of haproxy.cfg"
    assert PASSWORD not in checked.stdout + checked.stderr

    real = _play(netns, site, out, "--diff")
    assert "changed=0" not in _recap(real)
    assert PASSWORD not in real.stdout + real.stderr
    rendered = kubemagic.lb.render(site, host="lb1")["files"]["lb1"]
    assert (out / "haproxy.cfg").read_text() == rendered["haproxy.cfg"]
    conf = (out / "keepalived.conf").read_text()
    # The interface placeholder resolved on the host: eth0 holds 10.250.1.11.
    assert conf == rendered["keepalived.conf"].replace("@KUBEMAGIC_INTERFACE@", "eth0")
    assert stat.S_IMODE((out / "keepalived.conf").stat().st_mode) == 0o600

    again = _play(netns, site, out)
    assert "changed=0" in _recap(again), again.stdout
