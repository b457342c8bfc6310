"""etcd diagnosis and repair (``kubemagic etcd``) for Python.

Connection arguments are those of etcdctl: ``endpoints`` (list of URLs),
``cacert``/``cert``/``key``, or ``env_file`` (``/etc/etcd.env`` as kubespray
writes it). Errors raise :class:`kubemagic.EtcdError`.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence

from . import _kubemagic
from .typedefs import EtcdStatus, PluginResult, RecoverReport, StrPath

__all__ = [
    "status",
    "recover",
    "maintain",
    "check",
    "member_list",
    "member_replace",
    "member_promote",
    "restore",
]


def _listed(endpoints: Optional[Sequence[str]]) -> Optional[List[str]]:
    """One endpoint or several: a str is one URL, not a sequence of letters."""
    if endpoints is None:
        return None
    if isinstance(endpoints, str):
        return [endpoints]
    return list(endpoints)



def status(
    endpoints: Optional[Sequence[str]] = None,
    env_file: Optional[StrPath] = None,
    cacert: Optional[StrPath] = None,
    cert: Optional[StrPath] = None,
    key: Optional[StrPath] = None,
) -> EtcdStatus:
    """Every member's status, the alarms and the findings, as
    ``kubemagic etcd status --output json``: ``{"members", "alarms", "findings"}``."""
    return _kubemagic.etcd_status(
        _listed(endpoints), env_file, cacert, cert, key
    )


def recover(
    endpoints: Optional[Sequence[str]] = None,
    env_file: Optional[StrPath] = None,
    cacert: Optional[StrPath] = None,
    cert: Optional[StrPath] = None,
    key: Optional[StrPath] = None,
    dry_run: bool = False,
) -> RecoverReport:
    """Recover a cluster from NOSPACE (compact, defragment, disarm, probe).

    Returns the report of ``kubemagic etcd recover --output json`` (steps,
    plan or refusal, root cause, fix, status before and after) plus
    ``succeeded`` (writes work, no alarm left) and ``changed`` (the cluster
    had an alarm that this run cleared; never in a dry run). With
    ``dry_run=True`` nothing changes and the report holds the plan.
    """
    return _kubemagic.etcd_recover(
        _listed(endpoints),
        env_file,
        cacert,
        cert,
        key,
        dry_run,
    )


def maintain(
    endpoints: Optional[Sequence[str]] = None,
    env_file: Optional[StrPath] = None,
    cacert: Optional[StrPath] = None,
    cert: Optional[StrPath] = None,
    key: Optional[StrPath] = None,
    snapshot_dir: Optional[StrPath] = None,
    keep: Optional[int] = None,
    defrag_min_size: str = "100MB",
    defrag_min_free_pct: float = 45.0,
    compact: bool = False,
    dry_run: bool = False,
) -> Dict[str, Any]:
    """Routine upkeep, as ``kubemagic etcd maintain --output json``: a
    snapshot of the leader into ``snapshot_dir`` keeping ``keep`` of them
    (default 7, at least 1, only with ``snapshot_dir``: else ValueError; only
    snapshots kubemagic wrote and recorded are ever deleted),
    then the members whose database is at least ``defrag_min_size`` with at
    least ``defrag_min_free_pct`` % free pages (or above 80 % of the quota)
    defragmented one at a time, followers first. Refuses (``refusal``) when
    a member is down or an alarm is raised. Adds ``succeeded``."""
    return _kubemagic.etcd_maintain(
        _listed(endpoints),
        env_file,
        cacert,
        cert,
        key,
        snapshot_dir,
        keep,
        defrag_min_size,
        defrag_min_free_pct,
        compact,
        dry_run,
    )


def check(
    endpoints: Optional[Sequence[str]] = None,
    env_file: Optional[StrPath] = None,
    cacert: Optional[StrPath] = None,
    cert: Optional[StrPath] = None,
    key: Optional[StrPath] = None,
    warning_pct: float = 80.0,
    critical_pct: float = 95.0,
) -> PluginResult:
    """The etcd Monitoring Plugins check (``kubemagic -o nagios etcd
    status``): CRITICAL on an alarm, a member down (or none answering) or
    no leader, WARNING or CRITICAL when a database reaches
    ``warning_pct``/``critical_pct`` % of its quota, UNKNOWN when the
    arguments or the env file are wrong."""
    return _kubemagic.etcd_nagios(
        _listed(endpoints), env_file, cacert, cert, key, warning_pct, critical_pct
    )


def member_list(
    endpoints: Optional[Sequence[str]] = None,
    env_file: Optional[StrPath] = None,
    cacert: Optional[StrPath] = None,
    cert: Optional[StrPath] = None,
    key: Optional[StrPath] = None,
) -> Dict[str, Any]:
    """The member list with peer URLs and health, as ``kubemagic etcd
    member list --output json``: ``{"cluster_id", "members", "findings"}``;
    with ``env_file``, findings KM141-KM143 about that member."""
    return _kubemagic.etcd_member_list(_listed(endpoints), env_file, cacert, cert, key)


def member_replace(
    dead: str,
    name: str,
    peer_urls: Sequence[str],
    endpoints: Optional[Sequence[str]] = None,
    env_file: Optional[StrPath] = None,
    cacert: Optional[StrPath] = None,
    cert: Optional[StrPath] = None,
    key: Optional[StrPath] = None,
    force: bool = False,
    no_learner: bool = False,
    state_dir: Optional[StrPath] = None,
    initial_cluster_token: Optional[str] = None,
) -> Dict[str, Any]:
    """Replace the dead member ``dead`` by ``name`` at ``peer_urls``, as
    ``kubemagic etcd member replace --output json``: refused (EtcdError,
    ``kind == "failure"``) when ``dead`` answers (unless ``force``) or
    quorum would be lost; journaled in ``state_dir`` (default
    ``.kubemagic``), so a second call after an interruption resumes. The
    report's ``env`` is the new member's environment."""
    return _kubemagic.etcd_member_replace(
        dead,
        name,
        _listed(peer_urls) or [],
        _listed(endpoints),
        env_file,
        cacert,
        cert,
        key,
        force,
        no_learner,
        state_dir,
        initial_cluster_token,
    )


def member_promote(
    name: str,
    endpoints: Optional[Sequence[str]] = None,
    env_file: Optional[StrPath] = None,
    cacert: Optional[StrPath] = None,
    cert: Optional[StrPath] = None,
    key: Optional[StrPath] = None,
    wait_seconds: float = 60.0,
) -> Dict[str, Any]:
    """Promote the learner ``name`` to a voting member, retrying for at
    most ``wait_seconds`` while it catches up."""
    return _kubemagic.etcd_member_promote(
        name, _listed(endpoints), env_file, cacert, cert, key, wait_seconds
    )


def restore(
    snapshot: StrPath,
    name: str,
    initial_cluster: str,
    initial_advertise_peer_urls: Sequence[str],
    data_dir: StrPath,
    initial_cluster_token: Optional[str] = None,
    move_aside: bool = False,
    bin_dir: Optional[StrPath] = None,
) -> Dict[str, Any]:
    """Restore this member's data directory from ``snapshot``, as
    ``kubemagic etcd restore --output json``: the snapshot is verified
    first (a corrupt or truncated file raises EtcdError, ``kind ==
    "input"``, and nothing is written), a non-empty ``data_dir`` is refused
    unless ``move_aside``; the report's ``env`` has
    ``ETCD_INITIAL_CLUSTER_STATE=new``."""
    return _kubemagic.etcd_restore(
        snapshot,
        name,
        initial_cluster,
        _listed(initial_advertise_peer_urls) or [],
        data_dir,
        initial_cluster_token,
        move_aside,
        bin_dir,
    )
