"""containerd's registries (``kubemagic registry render``) for Python.

Errors raise :class:`kubemagic.RegistryError` (or
:class:`kubemagic.InventoryError` for an unreadable inventory).
"""

from __future__ import annotations

import os
from typing import Any

from . import _kubemagic

__all__ = ["render"]

_Path = str | os.PathLike[str]


def render(site: _Path, host: str | None = None) -> dict[str, Any]:
    """Render every containerd host's registry files from the site.

    Returns what ``kubemagic registry render --output json`` prints:
    ``{"kubespray", "era", "hosts": [{"host", "containerd", "registries",
    "files": [{"path", "content"}], "config_toml"}], "kubespray_vars",
    "notes", "findings"}``. ``host`` keeps one host of the kubespray
    inventory.
    """
    return _kubemagic.registry_render(site, host)
