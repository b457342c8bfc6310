"""kubemagic.etcd against a real etcd 3.4 on loopback: status, a dry run,
and the seed incident (a small quota, NOSPACE) recovered from Python."""

from __future__ import annotations

import json
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


def test_maintain_snapshots_the_leader_and_keeps_the_newest(etcd_endpoint: str, tmp_path: Path) -> None:
    require_etcd_module()
    snaps = tmp_path / "snapshots"
    snaps.mkdir()
    for _ in range(3):
        report = kubemagic.etcd.maintain(endpoints=etcd_endpoint, snapshot_dir=snaps, keep=2)
        assert report["succeeded"] is True and report["refusal"] is None, report
        assert report["snapshot"] is not None
    assert len([p for p in snaps.iterdir() if not p.name.startswith(".")]) == 2


def test_maintain_dry_run_plans_and_writes_nothing(etcd_endpoint: str, tmp_path: Path) -> None:
    require_etcd_module()
    snaps = tmp_path / "snapshots"
    snaps.mkdir()
    report = kubemagic.etcd.maintain(endpoints=[etcd_endpoint], snapshot_dir=snaps, dry_run=True)
    assert report["dry_run"] is True and report["plan"] is not None
    assert list(snaps.iterdir()) == []


@pytest.mark.parametrize(
    "kwargs,match",
    [
        (dict(defrag_min_size="lots"), "defrag_min_size"),
        (dict(defrag_min_free_pct=120.0), "percentage"),
    ],
)
def test_maintain_bad_arguments_are_value_errors(kwargs: dict, match: str) -> None:
    require_etcd_module()
    with pytest.raises(ValueError, match=match):
        kubemagic.etcd.maintain(endpoints=["http://127.0.0.1:9"], **kwargs)


@pytest.mark.parametrize(
    "kwargs,match",
    [(dict(snapshot_dir="s", keep=0), "keep must be at least 1"), (dict(keep=3), "snapshot_dir")],
)
def test_maintain_keep_zero_or_without_snapshot_dir_is_a_value_error(kwargs: dict, match: str) -> None:
    require_etcd_module()
    with pytest.raises(ValueError, match=match):
        kubemagic.etcd.maintain(endpoints=["http://127.0.0.1:9"], **kwargs)


@pytest.mark.parametrize("password", ["S3cr%t!x;y", "pa/ss#word"])
def test_status_recover_and_check_return_endpoint_passwords_masked(etcd_endpoint: str, password: str) -> None:
    """The endpoint as typed carries user:password: what Python gets back is
    redacted with the credentials as typed, reachable or not."""
    require_etcd_module()
    url = f"http://kmuser:{password}@{etcd_endpoint.split('://', 1)[1]}"
    for result in (
        kubemagic.etcd.status(endpoints=[url]),
        kubemagic.etcd.recover(endpoints=[url]),
        kubemagic.etcd.recover(endpoints=[url], dry_run=True),
        kubemagic.etcd.check(endpoints=[url]),
    ):
        text = json.dumps(result)
        assert password not in text, text
        assert "127.0.0.1" in text, text


def test_an_error_quoting_an_endpoint_hides_a_password_with_a_space() -> None:
    require_etcd_module()
    with pytest.raises(kubemagic.EtcdError) as info:
        kubemagic.etcd.status(endpoints=["http://kmuser:pa ss word@127.0.0.1:9"])
    assert "pa ss word" not in str(info.value), str(info.value)


def test_check_of_a_healthy_member_is_ok_with_perfdata(etcd_endpoint: str) -> None:
    require_etcd_module()
    result = kubemagic.etcd.check(endpoints=[etcd_endpoint])
    assert result["state"] == "OK" and result["exit_code"] == 0, result
    assert result["output"].startswith("ETCD OK - ") and " | " in result["output"]


def test_check_with_thresholds_out_of_order_is_unknown(etcd_endpoint: str) -> None:
    require_etcd_module()
    result = kubemagic.etcd.check(endpoints=[etcd_endpoint], warning_pct=90, critical_pct=80)
    assert result["state"] == "UNKNOWN" and result["exit_code"] == 3


def test_check_of_a_cluster_with_no_member_answering_is_critical() -> None:
    require_etcd_module()
    result = kubemagic.etcd.check(endpoints=["http://127.0.0.1:9"])
    assert result["state"] == "CRITICAL" and result["exit_code"] == 2
    assert "127.0.0.1:9" in result["output"]
