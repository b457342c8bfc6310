"""The shapes kubemagic's functions return, as TypedDicts for type checkers.

They describe the JSON documents of ``kubemagic ... --output json``; at run
time the values are plain dicts and lists. Written with ``typing`` names
(``List``, ``Optional``) because the wheel supports CPython 3.9.
"""

from __future__ import annotations

import os
from typing import Any, Dict, List, Literal, Optional, TypedDict, Union

__all__ = [
    "StrPath",
    "Severity",
    "Finding",
    "SuppressedFinding",
    "PluginResult",
    "ValidateReport",
    "WarningKind",
    "InventoryWarning",
    "AssumedVersion",
    "CheckReport",
    "PlanStep",
    "Phase",
    "EtcdMember",
    "EtcdAlarm",
    "EtcdStatus",
    "RecoveryStep",
    "DefragSkip",
    "DefragPlan",
    "RecoveryPlan",
    "RecoverReport",
    "RenderTarget",
    "SiteInventories",
]

#: A path argument: ``str`` or any ``os.PathLike`` (``pathlib.Path``).
StrPath = Union[str, "os.PathLike[str]"]

Severity = Literal["error", "warning", "info"]


class Finding(TypedDict):
    """One diagnostic, as every kubemagic command emits it."""

    code: str
    severity: Severity
    message: str
    file: Optional[str]
    line: Optional[int]
    host: Optional[str]
    group: Optional[str]
    variable: Optional[str]


WarningKind = Literal[
    "skipped",
    "unparsed",
    "group_name",
    "reserved_name",
    "group_is_host",
    "duplicate_localhost",
    "duplicate_key",
    "questionable",
]


class InventoryWarning(TypedDict):
    """What Ansible warns about while reading an inventory (every kind but
    ``questionable``, which kubemagic adds where Ansible is silent)."""

    kind: WarningKind
    file: str
    line: Optional[int]
    col: Optional[int]
    message: str
    subject: Optional[str]


class PluginResult(TypedDict):
    """A Monitoring Plugins result: ``output`` is exactly what the CLI's
    ``--output nagios`` prints, ``exit_code`` what it exits with."""

    state: Literal["OK", "WARNING", "CRITICAL", "UNKNOWN"]
    exit_code: int
    output: str


class ValidateReport(TypedDict):
    """``kubemagic ceph validate --output json``."""

    findings: List[Finding]


class SuppressedFinding(Finding):
    """A finding the site accepted: why, and where the ignore is written."""

    reason: str
    ignored_at: Dict[str, Any]


class AssumedVersion(TypedDict):
    """The upstream release the checks assumed, and where it was read."""

    upstream: str
    version: Any
    source: Any


class CheckReport(TypedDict):
    """What ``kubemagic.check`` returns (``kubemagic check --output json``)."""

    findings: List[Finding]
    suppressed: List[SuppressedFinding]
    versions: List[AssumedVersion]


class PlanStep(TypedDict):
    """One command of a phase: run ``argv`` in ``cwd`` (relative to the site)."""

    cwd: str
    argv: List[str]


class _PhaseRequired(TypedDict):
    name: str
    reason: str
    steps: List[PlanStep]
    description: str


class Phase(_PhaseRequired, total=False):
    """One phase of ``kubemagic plan --output json`` (``notes`` only when any)."""

    notes: List[str]


class EtcdMember(TypedDict):
    """One member; the live fields are None when it could not be reached."""

    endpoint: str
    id: Optional[str]
    name: Optional[str]
    reachable: bool
    version: Optional[str]
    db_size: Optional[int]
    db_size_in_use: Optional[int]
    quota_backend_bytes: Optional[int]
    is_leader: bool
    is_learner: bool
    raft_term: Optional[int]
    raft_index: Optional[int]
    revision: Optional[int]
    errors: List[str]


class EtcdAlarm(TypedDict):
    """A raised alarm (``alarm`` is e.g. "NOSPACE", "CORRUPT")."""

    member_id: str
    alarm: str


class EtcdStatus(TypedDict):
    """``kubemagic etcd status --output json``."""

    members: List[EtcdMember]
    alarms: List[EtcdAlarm]
    findings: List[Finding]


class RecoveryStep(TypedDict):
    """One step a recovery ran."""

    step: str
    ok: bool
    detail: str


class DefragSkip(TypedDict):
    """A member left out of defragmentation, and why."""

    endpoint: str
    reason: str


class DefragPlan(TypedDict):
    """Members to defragment, followers first, leader last."""

    order: List[str]
    skipped: List[DefragSkip]


class RecoveryPlan(TypedDict):
    """What a recovery will do (the whole answer of a dry run)."""

    compact_revision: int
    defrag: DefragPlan
    disarm: List[EtcdAlarm]
    root_cause: List[str]
    fix: str


class RecoverReport(TypedDict):
    """``kubemagic etcd recover --output json`` plus ``succeeded``/``changed``.

    ``refusal`` is None or ``{"refusal": "no_quorum" | "no_leader" |
    "unhealthy" | "corrupt", ...its fields}``.
    """

    dry_run: bool
    refusal: Optional[Dict[str, Any]]
    plan: Optional[RecoveryPlan]
    steps: List[RecoveryStep]
    stopped: Optional[str]
    disarmed: List[EtcdAlarm]
    write_probe_ok: bool
    root_cause: List[str]
    fix: str
    before: EtcdStatus
    after: Optional[EtcdStatus]
    succeeded: bool
    changed: bool


#: What :func:`kubemagic.ceph.render` renders (it returns the text).
RenderTarget = Literal["kubespray", "csi", "commands"]


class SiteInventories(TypedDict):
    """A site's name, flavor and inventory sources by kind ("custom",
    "kubespray", "ceph-ansible", "openshift-ansible")."""

    name: str
    flavor: Literal["kubespray", "openshift"]
    inventories: Dict[str, str]
