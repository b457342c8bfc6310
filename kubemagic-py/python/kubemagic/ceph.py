"""Ceph provisioning for Kubernetes (``kubemagic ceph``) for Python.

Errors raise :class:`kubemagic.CephError`.
"""

from __future__ import annotations

from typing import Any, Dict, Optional, cast

from . import _kubemagic
from .typedefs import PluginResult, RenderTarget, StrPath, ValidateReport

__all__ = ["render", "validate", "leftovers", "leftovers_check", "doctor", "doctor_check"]



def render(
    target: RenderTarget,
    site: Optional[StrPath] = None,
    ceph_conf: Optional[StrPath] = None,
    keyring: Optional[StrPath] = None,
    pool: Optional[str] = None,
    client: Optional[str] = None,
    fsid: Optional[str] = None,
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


def validate(
    site: Optional[StrPath] = None,
    ceph_conf: Optional[StrPath] = None,
    keyring: Optional[StrPath] = None,
    image_features: Optional[str] = None,
    krbd_kernel: Optional[str] = None,
    rbd_provisioner: bool = False,
) -> ValidateReport:
    """The findings of ``kubemagic ceph validate``: the cluster model from a
    site (``site``) or a live cluster (``ceph_conf``), every key of
    ``keyring``, and RBD ``image_features`` (``"layering,exclusive-lock"``)
    against their consumer: the kernel client of ``krbd_kernel``
    (``"5.4"``, ``uname -r``), the external rbd-provisioner, else librbd.
    Findings are returned, not raised: they are the answer."""
    return _kubemagic.ceph_validate(
        site, ceph_conf, keyring, image_features, krbd_kernel, rbd_provisioner
    )


def leftovers(
    kubeconfig: Optional[StrPath] = None,
    ceph_conf: Optional[StrPath] = None,
    keyring: Optional[StrPath] = None,
    delete: bool = False,
) -> Dict[str, Any]:
    """What the Ceph provisioners left behind, as ``kubemagic ceph leftovers
    --output json``: released PVs, orphan Secrets and, with a cluster
    (``ceph_conf``), stale images and subvolumes no PV references. With
    ``delete=True`` they are removed in the CLI's safe order (Kubernetes
    objects, then Ceph data, then users); a volume a PV references is
    refused."""
    return _kubemagic.ceph_leftovers(kubeconfig, ceph_conf, keyring, delete, False)


def leftovers_check(
    kubeconfig: Optional[StrPath] = None,
    ceph_conf: Optional[StrPath] = None,
    keyring: Optional[StrPath] = None,
) -> PluginResult:
    """``leftovers`` as a Monitoring Plugins check (``kubemagic -o nagios
    ceph leftovers``): WARNING when anything is left, UNKNOWN when
    Kubernetes or Ceph cannot be asked."""
    return cast(PluginResult, _kubemagic.ceph_leftovers(kubeconfig, ceph_conf, keyring, False, True))


def doctor(
    ceph_conf: StrPath,
    keyring: StrPath,
    pool: Optional[str] = None,
    csi_config: Optional[StrPath] = None,
    fs: Optional[str] = None,
    subvolume_group: Optional[str] = None,
    client: Optional[str] = None,
    pg_num: Optional[int] = None,
    site: Optional[StrPath] = None,
    probe: bool = True,
) -> Dict[str, Any]:
    """``kubemagic ceph doctor --output json``: is this Ceph ready to serve
    Kubernetes. ``{"findings": [...], "facts": {...}}``: health checks
    (KM250), the PG budget with the pool ``prepare`` would add (KM251),
    quotas (KM252), the csi users' caps against ceph-csi's documented ones
    (KM253), ``csi_config``'s clusterID and monitors (KM254, KM255), and
    unless ``probe=False`` a live probe with the csi users' own keys
    (KM256: an RBD image in ``pool``, a subvolume of ``fs`` in
    ``subvolume_group``). Findings are returned, not raised."""
    return cast(
        Dict[str, Any],
        _kubemagic.ceph_doctor(
            ceph_conf, keyring, pool, csi_config, fs, subvolume_group, client, pg_num, site, probe
        ),
    )


def doctor_check(
    ceph_conf: StrPath,
    keyring: StrPath,
    pool: Optional[str] = None,
    csi_config: Optional[StrPath] = None,
    fs: Optional[str] = None,
) -> PluginResult:
    """``doctor`` as a Monitoring Plugins check (``kubemagic -o nagios ceph
    doctor``): CRITICAL on errors, WARNING on warnings, UNKNOWN when the
    cluster cannot be asked."""
    return cast(
        PluginResult,
        _kubemagic.ceph_doctor(
            ceph_conf, keyring, pool, csi_config, fs, None, None, None, None, True, True
        ),
    )
