"""Ceph provisioning for Kubernetes (``kubemagic ceph``) for Python.

Errors raise :class:`kubemagic.CephError`.
"""

from __future__ import annotations

from typing import Optional


from . import _kubemagic
from .typedefs import RenderTarget, StrPath

__all__ = ["render"]



def render(
    target: RenderTarget,
    site: Optional[StrPath] = None,
    ceph_conf: Optional[StrPath] = None,
    keyring: Optional[StrPath] = None,
    pool: Optional[str] = None,
    client: Optional[str] = None,
) -> str:
    """Render the Kubernetes side of Ceph storage.

    ``target`` is "kubespray" (the ``rbd_provisioner_*``/``cephfs_provisioner_*``
    group_vars), "csi" (ceph-csi manifests) or "commands" (the ceph commands to
    do it by hand). The cluster comes from a site (``site``) or a live cluster
    (``ceph_conf`` and ``keyring``).
    """
    return _kubemagic.ceph_render(target, site, ceph_conf, keyring, pool, client)
