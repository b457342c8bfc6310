"""Ceph provisioning for Kubernetes (``kubemagic ceph``) for Python.

Errors raise :class:`kubemagic.CephError`.
"""

from __future__ import annotations

import os

from . import _kubemagic

__all__ = ["render"]

_Path = str | os.PathLike[str]


def render(
    target: str,
    site: _Path | None = None,
    ceph_conf: _Path | None = None,
    keyring: _Path | None = None,
    pool: str | None = None,
    client: str | None = None,
    fsid: str | None = None,
) -> str:
    """Render the Kubernetes side of Ceph storage.

    ``target`` is "kubespray" (the ``rbd_provisioner_*``/``cephfs_provisioner_*``
    group_vars), "csi" (ceph-csi manifests) or "commands" (the ceph commands to
    do it by hand). The cluster comes from a site (``site``) or a live cluster
    (``ceph_conf`` and ``keyring``). ``fsid`` gives ceph-csi's clusterID when
    the site lets ceph-ansible generate it. Defaults (pool and client
    ``kube``) are the library's, the same as the CLI's.
    """
    return _kubemagic.ceph_render(target, site, ceph_conf, keyring, pool, client, fsid)
