"""The deploy-post roles of issue 16, run for real by ansible-playbook on
localhost into temporary directories: kubemagic.core.etcd_maintenance writes
the units `kubemagic etcd maintain --print-systemd-units` prints, and
kubemagic.core.nagios_checks the Nagios objects of docs/monitoring.md."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import REPO, run_tool

KUBEMAGIC = REPO / "target" / "debug" / "kubemagic"


def play(tmp_path: Path, role: str, vars_: dict[str, object]) -> str:
    lines = "\n".join(f"        {k}: {v!r}" for k, v in vars_.items())
    book = tmp_path / "play.yml"
    book.write_text(
        "- hosts: localhost\n  connection: local\n  gather_facts: false\n"
        "  vars:\n    ansible_python_interpreter: '{{ ansible_playbook_python }}'\n  tasks:\n"
        f"    - ansible.builtin.include_role:\n        name: kubemagic.core.{role}\n      vars:\n{lines}\n"
    )
    return run_tool("ansible-playbook", "-i", "localhost,", str(book)).stdout


@pytest.fixture
def kubemagic_bin() -> Path:
    if not KUBEMAGIC.exists():
        pytest.fail(f"{KUBEMAGIC} is missing: `cargo build -p kubemagic-cli` first (make test does)")
    return KUBEMAGIC


def test_etcd_maintenance_writes_kubemagics_own_units(tmp_path: Path, kubemagic_bin: Path) -> None:
    units = tmp_path / "units"
    units.mkdir()
    out = play(tmp_path, "etcd_maintenance", {
        "etcd_maintenance_kubemagic": str(kubemagic_bin),
        "etcd_maintenance_env_file": "/etc/etcd.env",
        "etcd_maintenance_snapshot_dir": str(tmp_path / "snap"),
        "etcd_maintenance_keep": 3,
        "etcd_maintenance_unit_dir": str(units),
        "etcd_maintenance_manage_service": False,
    })
    service = (units / "kubemagic-etcd-maintain.service").read_text()
    timer = (units / "kubemagic-etcd-maintain.timer").read_text()
    assert service.startswith("[Unit]"), service
    assert f"ExecStart={kubemagic_bin} etcd maintain" in service
    assert "--keep 3" in service and "--print-systemd-units" not in service
    assert "OnCalendar=daily" in timer and "RandomizedDelaySec=" in timer
    assert (tmp_path / "snap").is_dir()
    # A second run changes nothing.
    again = play(tmp_path, "etcd_maintenance", {
        "etcd_maintenance_kubemagic": str(kubemagic_bin),
        "etcd_maintenance_env_file": "/etc/etcd.env",
        "etcd_maintenance_snapshot_dir": str(tmp_path / "snap"),
        "etcd_maintenance_keep": 3,
        "etcd_maintenance_unit_dir": str(units),
        "etcd_maintenance_manage_service": False,
    })
    assert "changed=0" in again, again
    assert "failed=0" in out


def test_nagios_checks_writes_commands_and_services(tmp_path: Path) -> None:
    conf = tmp_path / "conf.d"
    conf.mkdir()
    play(tmp_path, "nagios_checks", {
        "nagios_checks_config_dir": str(conf),
        "nagios_checks_kubemagic": "/usr/local/bin/kubemagic",
        "nagios_checks_host_name": "deploy",
        "nagios_checks_etcd_env_file": "/etc/etcd.env",
        "nagios_checks_site": "/srv/sites/utgb",
        "nagios_checks_reload": False,
    })
    text = (conf / "kubemagic.cfg").read_text()
    assert "command_line    /usr/local/bin/kubemagic etcd status --output nagios --warning 80 --critical 95 --env-file /etc/etcd.env" in text
    assert "command_line    /usr/local/bin/kubemagic check --output nagios /srv/sites/utgb" in text
    assert text.count("define service") == 2
