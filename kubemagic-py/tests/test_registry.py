"""containerd's registries: ``kubemagic.registry.render`` and the
``kubemagic.core.containerd_registries`` role, run with the real
ansible-playbook on localhost (connection local) into a scratch root: check
mode writes nothing, a real run writes hosts.toml and sets config_path
under the existing registry table, a second run changes nothing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import kubemagic
from conftest import BIN, ansible_env


def _site(root: Path, kubespray: str = "v2.26.0", containerd: str = "1.7.22") -> Path:
    site = root / "site"
    inv = site / "kubespray/inventory/lab"
    (inv / "group_vars/all").mkdir(parents=True)
    (site / "kubemagic.yml").write_text(
        "name: lab\nflavor: kubespray\nkubespray_inventory: lab\nupstreams:\n"
        f"  kubespray:\n    url: https://github.com/kubernetes-sigs/kubespray.git\n    ref: {kubespray}\n"
    )
    (inv / "hosts.yml").write_text(
        "all:\n  hosts:\n    node1:\n      ansible_connection: local\n"
        "  children:\n    kube_node:\n      hosts:\n        node1:\n"
    )
    (inv / "group_vars/all/containerd.yml").write_text(
        f"container_manager: containerd\ncontainerd_version: {containerd}\n"
        "containerd_registries_mirrors:\n"
        "  - prefix: registry.lab.example:5000\n"
        "    mirrors:\n      - host: http://10.0.0.5:5000\n        capabilities: [pull, resolve]\n"
    )
    return site


def test_render_returns_hosts_toml_and_the_release_variables(tmp_path: Path) -> None:
    r = kubemagic.registry.render(_site(tmp_path))
    (host,) = r["hosts"]
    assert host["host"] == "node1"
    (f,) = host["files"]
    assert f["path"] == "etc/containerd/certs.d/registry.lab.example:5000/hosts.toml"
    assert '[host."http://10.0.0.5:5000"]' in f["content"]
    assert r["kubespray_vars"]["containerd_registries_mirrors"][0]["prefix"] == "registry.lab.example:5000"
    assert r["findings"] == []


def test_render_of_an_unknown_host_raises_registry_error(tmp_path: Path) -> None:
    with pytest.raises(kubemagic.RegistryError) as e:
        kubemagic.registry.render(_site(tmp_path), host="nope")
    assert "node1" in str(e.value)


def _play(site: Path, root: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    play = root.parent / "play.yml"
    play.write_text(
        "- name: Registries\n  hosts: node1\n  gather_facts: false\n  roles:\n"
        "    - role: kubemagic.core.containerd_registries\n"
    )
    argv = [
        str(BIN / "ansible-playbook"), "-i", str(site / "kubespray/inventory/lab/hosts.yml"), str(play),
        "-e", f"ansible_python_interpreter={sys.executable}",
        "-e", f"kubemagic_site={site}", "-e", f"containerd_registries_root={root}", *extra,
    ]
    return subprocess.run(argv, env=ansible_env(), capture_output=True, text=True, timeout=300,
                          stdin=subprocess.DEVNULL, cwd=str(root.parent))


def _recap(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == 0, f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    return next(line for line in proc.stdout.splitlines() if line.startswith("node1 "))


def test_role_check_mode_then_real_run_then_idempotent(tmp_path: Path) -> None:
    site = _site(tmp_path)
    root = tmp_path / "root"
    (root / "etc/containerd").mkdir(parents=True)
    config = root / "etc/containerd/config.toml"
    config.write_text('version = 2\n[plugins."io.containerd.grpc.v1.cri".registry]\n')
    hosts_toml = root / "etc/containerd/certs.d/registry.lab.example:5000/hosts.toml"

    recap = _recap(_play(site, root, "--check", "--diff"))
    assert "changed=0" not in recap
    assert not hosts_toml.exists()
    assert "config_path" not in config.read_text()

    _recap(_play(site, root))
    assert 'server = "https://registry.lab.example:5000"' in hosts_toml.read_text()
    text = config.read_text()
    assert text.count('[plugins."io.containerd.grpc.v1.cri".registry]') == 1
    assert 'config_path = "/etc/containerd/certs.d"' in text

    assert "changed=0" in _recap(_play(site, root))


def test_role_on_containerd_older_than_1_5_writes_the_fragment_only(tmp_path: Path) -> None:
    site = _site(tmp_path, kubespray="v2.16.0", containerd="1.4.4")
    (site / "kubespray/inventory/lab/group_vars/all/containerd.yml").write_text(
        "container_manager: containerd\ncontainerd_version: 1.4.4\n"
        "containerd_registries:\n  registry.lab.example:5000: http://10.0.0.5:5000\n"
    )
    root = tmp_path / "root"
    (root / "etc/containerd").mkdir(parents=True)
    config = root / "etc/containerd/config.toml"
    config.write_text("version = 2\n")
    _recap(_play(site, root))
    fragment = (root / "etc/containerd/kubemagic-registries.toml").read_text()
    assert 'endpoint = ["http://10.0.0.5:5000"]' in fragment
    assert config.read_text() == "version = 2\n"
    assert not (root / "etc/containerd/certs.d").exists()
