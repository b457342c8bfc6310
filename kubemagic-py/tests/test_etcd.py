"""kubemagic.etcd against a real etcd 3.4 on loopback: status, a dry run,
and the seed incident (a small quota, NOSPACE) recovered from Python."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

import kubemagic
from conftest import start_etcd


def require_etcd_module() -> None:
    try:
        kubemagic.etcd.status(endpoints=["http://127.0.0.1:9"])
    except NotImplementedError as e:
        pytest.skip(f"kubemagic.etcd not in this build yet: {e}")
    except kubemagic.Error:
        pass


def test_status_of_one_member(etcd_endpoint: str) -> None:
    require_etcd_module()
    st = kubemagic.etcd.status(endpoints=[etcd_endpoint])
    assert set(st) >= {"members", "alarms", "findings"}
    assert len(st["members"]) == 1 and st["alarms"] == []
    assert st["members"][0]["endpoint"] == etcd_endpoint


def test_dry_run_recovery_of_a_healthy_cluster_changes_nothing(etcd_endpoint: str) -> None:
    require_etcd_module()
    report = kubemagic.etcd.recover(endpoints=[etcd_endpoint], dry_run=True)
    assert report["dry_run"] is True and report["changed"] is False


def test_missing_env_file_raises_etcd_error_naming_it(tmp_path: Path) -> None:
    require_etcd_module()
    missing = tmp_path / "etcd.env"
    with pytest.raises(kubemagic.EtcdError) as info:
        kubemagic.etcd.status(env_file=missing)
    assert str(missing) in str(info.value)


def test_seed_incident_nospace_is_recovered(tmp_path: Path) -> None:
    """A 2 MiB quota filled by 100 KB writes raises NOSPACE; recover() clears
    it, says it changed something, and writes work again."""
    require_etcd_module()
    gen = start_etcd(tmp_path / "etcd", quota_bytes=2 * 1024 * 1024)
    url = next(gen)
    try:
        env = dict(os.environ, ETCDCTL_API="3")
        blob = "x" * 100_000
        for i in range(60):
            put = subprocess.run(["etcdctl", "--endpoints", url, "put", f"/fill/{i % 5}", blob],
                                 capture_output=True, text=True, env=env)
            if put.returncode != 0:
                assert "database space exceeded" in put.stderr
                break
        else:
            pytest.fail("the quota was never reached")
        before = kubemagic.etcd.status(endpoints=[url])
        assert any("NOSPACE" in str(a.get("alarm")) for a in before["alarms"])
        dry = kubemagic.etcd.recover(endpoints=[url], dry_run=True)
        assert dry["changed"] is False
        assert kubemagic.etcd.status(endpoints=[url])["alarms"], "a dry run must not disarm"
        report = kubemagic.etcd.recover(endpoints=[url])
        assert report["changed"] is True and report["succeeded"] is True
        assert kubemagic.etcd.status(endpoints=[url])["alarms"] == []
    finally:
        gen.close()
