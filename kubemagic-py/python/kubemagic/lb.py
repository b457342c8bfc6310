"""The HAProxy/Keepalived load balancer in front of the Kubernetes API
(``kubemagic lb render``) for Python.

Errors raise :class:`kubemagic.LbError` (or :class:`kubemagic.InventoryError`
for an unreadable inventory).
"""

from __future__ import annotations

import os
from typing import Any

from . import _kubemagic

__all__ = ["render"]

_Path = str | os.PathLike[str]


def render(site: _Path, host: str | None = None) -> dict[str, Any]:
    """Build the site's load balancer and render its files.

    Returns ``{"model": ..., "files": {host: {"haproxy.cfg": str,
    "keepalived.conf": str}}}``. ``model`` is what ``kubemagic lb render
    --output json`` prints (lb hosts, VIP, port, backends, findings); it never
    holds the VRRP password, which only ``keepalived.conf`` contains.
    ``host`` keeps one lb host.
    """
    return _kubemagic.lb_render(site, host)
