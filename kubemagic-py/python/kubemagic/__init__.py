"""kubemagic for Python: the same logic as the ``kubemagic`` command.

Ansible inventories read exactly as ansible-core reads them
(:class:`Inventory`), site checks (:func:`check`), deployment phases
(:func:`plan`), etcd repairs (:mod:`kubemagic.etcd`) and Ceph provisioning
(:mod:`kubemagic.ceph`). Everything here is a thin translation of the Rust
libraries; errors derive from :class:`Error`.
"""

from __future__ import annotations

import os
from typing import Any, Sequence

from . import _kubemagic
from ._kubemagic import (
    CephError,
    CheckError,
    Error,
    EtcdError,
    Inventory,
    InventoryError,
    PlanError,
)
from . import ceph, etcd

__all__ = [
    "Error",
    "InventoryError",
    "CheckError",
    "PlanError",
    "EtcdError",
    "CephError",
    "Inventory",
    "check",
    "plan",
    "etcd",
    "ceph",
]


def check(site: str | os.PathLike[str]) -> dict[str, Any]:
    """Run the site checks on a site directory.

    Returns what ``kubemagic check --output json`` prints: a dict with
    ``findings`` (dicts with code, severity ("error", "warning", "info"),
    message, file, line, host, group, variable; absent fields None),
    ``suppressed`` (the findings the site accepted, each with the same keys
    plus ``reason`` and ``ignored_at`` ({file, line}) where the ignore was
    written) and ``versions`` (the upstream releases the rules assumed).
    Raises CheckError when the site cannot be read, a ``kubemagic: ignore``
    without a reason included.
    """
    return _kubemagic.check(site)


def plan(
    site: str | os.PathLike[str], targets: Sequence[str] | None = None
) -> list[dict[str, Any]]:
    """The deployment phases of a site in execution order.

    Each phase is a dict ``{"name", "reason", "steps": [{"cwd", "argv"}]}`` as
    in ``kubemagic plan --output json``; ``targets`` restricts the plan to
    those phases and what they require. Raises PlanError.
    """
    return _kubemagic.plan(site, None if targets is None else list(targets))
