"""kubemagic for Python: the same logic as the ``kubemagic`` command.

Ansible inventories read exactly as ansible-core reads them
(:class:`Inventory`), site checks (:func:`check`), deployment phases
(:func:`plan`), etcd repairs (:mod:`kubemagic.etcd`), Ceph provisioning
(:mod:`kubemagic.ceph`), the API load balancer (:mod:`kubemagic.lb`),
containerd's registries (:mod:`kubemagic.registry`) and the site's
certificates (:mod:`kubemagic.certs`).
Everything here is a thin translation of the Rust libraries; errors derive
from :class:`Error`.
"""

from __future__ import annotations

from typing import List, Optional, Sequence

from . import _kubemagic
from ._kubemagic import (
    CephError,
    CheckError,
    Error,
    EtcdError,
    Inventory,
    InventoryError,
    LbError,
    CertsError,
    PlanError,
    RegistryError,
    __version__,
    render_finding,
)
from . import ceph, certs, etcd, lb, registry, typedefs
from .typedefs import CheckReport, Finding, Phase, SiteInventories, StrPath

__all__ = [
    "__version__",
    "Error",
    "InventoryError",
    "CheckError",
    "PlanError",
    "EtcdError",
    "CephError",
    "LbError",
    "RegistryError",
    "CertsError",
    "Inventory",
    "check",
    "render_finding",
    "plan",
    "site_inventories",
    "etcd",
    "ceph",
    "typedefs",
    "lb",
    "registry",
    "certs",
]


def check(site: StrPath) -> CheckReport:
    """Run the site checks on a site directory.

    Returns what ``kubemagic check --output json`` prints: a dict with
    ``findings`` (dicts with code, severity ("error", "warning", "info"),
    message, file, line, host, group, variable; absent fields None),
    ``suppressed`` (the findings the site accepted, each with the same keys
    plus ``reason`` and ``ignored_at`` ({file, line}) where the ignore was
    written) and ``versions`` (the upstream releases the rules assumed).
    Raises CheckError when the site cannot be read (a missing directory, a
    kubemagic.yml that is not YAML or has an unknown key or addon, a
    ``kubemagic: ignore`` without a reason), InventoryError when one of its
    inventories cannot be parsed; both have ``.file`` and ``.line``.
    """
    return _kubemagic.check(site)


def plan(site: StrPath, targets: Optional[Sequence[str]] = None) -> List[Phase]:
    """The deployment phases of a site in execution order.

    Each phase is a dict ``{"name", "reason", "steps": [{"cwd", "argv"}]}`` as
    in ``kubemagic plan --output json``; ``targets`` restricts the plan to
    those phases and what they require. Raises PlanError.
    """
    if isinstance(targets, str):  # one phase name, not a sequence of letters
        targets = [targets]
    return _kubemagic.plan(site, None if targets is None else list(targets))


def site_inventories(site: StrPath) -> SiteInventories:
    """Which inventories a site has, where, and its name and flavor.

    ``{"name", "flavor", "inventories": {kind: path}}`` with kinds "custom",
    "kubespray", "ceph-ansible", "openshift-ansible", found as ``kubemagic
    check`` finds them (``kubespray_inventory`` in kubemagic.yml, ...). Reads
    no inventory. Raises CheckError (``.file``, ``.line``) for a bad site.
    """
    return _kubemagic.site_inventories(site)
