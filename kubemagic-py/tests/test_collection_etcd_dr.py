"""The collection's etcd disaster-recovery modules (issue 23) with the real
ansible-playbook against a real etcd 3.4 on loopback."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from test_collection import assert_ok, playbook


def test_etcd_dr_modules_refuse_restore_and_say_so(etcd_endpoint: str, tmp_path: Path) -> None:
    env = dict(os.environ, ETCDCTL_API="3")
    snap = tmp_path / "snap.db"
    subprocess.run(["etcdctl", "--endpoints", etcd_endpoint, "put", "/k", "v"],
                   check=True, capture_output=True, env=env)
    subprocess.run(["etcdctl", "--endpoints", etcd_endpoint, "snapshot", "save", str(snap)],
                   check=True, capture_output=True, env=env)
    data = bytearray(snap.read_bytes())
    data[len(data) // 2] ^= 1
    (tmp_path / "bad.db").write_bytes(bytes(data))
    assert_ok(playbook("etcd_dr.yml", endpoints=[etcd_endpoint], work=str(tmp_path)))
    assert not (tmp_path / "bad-dir").exists()
    assert not (tmp_path / "state").exists()
