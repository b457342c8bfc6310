"""etcd diagnosis and repair (``kubemagic etcd``) for Python.

Connection arguments are those of etcdctl: ``endpoints`` (list of URLs),
``cacert``/``cert``/``key``, or ``env_file`` (``/etc/etcd.env`` as kubespray
writes it). Errors raise :class:`kubemagic.EtcdError`.
"""

from __future__ import annotations

from typing import List, Optional, Sequence

from . import _kubemagic
from .typedefs import EtcdStatus, RecoverReport, StrPath

__all__ = ["status", "recover"]


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
