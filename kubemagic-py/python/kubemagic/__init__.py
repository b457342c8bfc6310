"""kubemagic for Python: the same logic as the ``kubemagic`` command.

Ansible inventories read exactly as ansible-core reads them
(:class:`Inventory`), site checks (:func:`check`), deployment phases
(:func:`plan`), etcd repairs (:mod:`kubemagic.etcd`), Ceph provisioning
(:mod:`kubemagic.ceph`) and the API load balancer (:mod:`kubemagic.lb`).
Everything here is a thin translation of the Rust libraries; errors derive
from :class:`Error`.
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
    LbError,
    PlanError,
)
from . import ceph, etcd, lb

__all__ = [
    "Error",
    "InventoryError",
    "CheckError",
    "PlanError",
    "EtcdError",
    "CephError",
    "LbError",
    "Inventory",
    "check",
    "plan",
    "etcd",
    "ceph",
    "lb",
]


def check(site: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Run the site checks on a site directory.

    Returns the findings as dicts with the keys of ``kubemagic check --output
    json``: code, severity ("error", "warning", "info"), message, file, line,
    host, group, variable (absent fields None). Raises CheckError when the
    site cannot be read.
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
