"""kubemagic.etcd disaster recovery (issue 23) against a real etcd 3.4 on
loopback: the member list, a refused replacement, a restore from a
snapshot and the refusal of a corrupted one."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

import kubemagic


def _snapshot(url: str, path: Path) -> None:
    env = dict(os.environ, ETCDCTL_API="3")
    for i in range(20):
        subprocess.run(["etcdctl", "--endpoints", url, "put", f"/registry/k/{i}", "v"],
                       check=True, capture_output=True, env=env)
    subprocess.run(["etcdctl", "--endpoints", url, "snapshot", "save", str(path)],
                   check=True, capture_output=True, env=env)


def test_member_list_names_the_one_member(etcd_endpoint: str) -> None:
    listed = kubemagic.etcd.member_list(endpoints=etcd_endpoint)
    assert [m["name"] for m in listed["members"]] == ["km"]
    assert listed["members"][0]["healthy"] is True and listed["findings"] == []


def test_replacing_a_healthy_member_is_refused_and_journals_nothing(
    etcd_endpoint: str, tmp_path: Path
) -> None:
    with pytest.raises(kubemagic.EtcdError) as info:
        kubemagic.etcd.member_replace(
            "km", "km2", ["http://127.0.0.1:1"], endpoints=etcd_endpoint,
            state_dir=tmp_path / "state",
        )
    assert "is healthy" in str(info.value)
    assert getattr(info.value, "kind") == "failure"
    assert not (tmp_path / "state").exists()


def test_restore_writes_a_new_cluster_and_refuses_a_flipped_byte(
    etcd_endpoint: str, tmp_path: Path
) -> None:
    snap = tmp_path / "snap.db"
    _snapshot(etcd_endpoint, snap)
    peer = "http://127.0.0.1:2380"
    bad = tmp_path / "bad.db"
    data = bytearray(snap.read_bytes())
    data[len(data) // 2] ^= 1
    bad.write_bytes(bytes(data))
    with pytest.raises(kubemagic.EtcdError) as info:
        kubemagic.etcd.restore(bad, "a", f"a={peer}", [peer], tmp_path / "bad-dir")
    assert getattr(info.value, "kind") == "input"
    assert not (tmp_path / "bad-dir").exists()

    report = kubemagic.etcd.restore(snap, "a", f"a={peer}", [peer], tmp_path / "restored")
    assert report["env"]["ETCD_INITIAL_CLUSTER_STATE"] == "new"
    assert report["env"]["ETCD_INITIAL_CLUSTER_TOKEN"].startswith("kubemagic-restore-")
    assert (tmp_path / "restored" / "member" / "snap" / "db").exists()
