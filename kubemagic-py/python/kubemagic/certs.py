"""Every certificate of the site before it expires (``kubemagic certs``)
for Python.

Both functions return what ``kubemagic -o json certs check|probe`` prints
(``certificates``, ``findings``, ``skipped``, ``plan`` when asked, ``at``,
``thresholds``) plus ``nagios`` (``{"text", "exit"}``: the Monitoring
Plugins output and exit code) and ``text`` (the text report). Private keys
are never read into them. Bad input raises :class:`kubemagic.CertsError`
(``.file``, ``.line``, ``.kind``).
"""

from __future__ import annotations

import os
from typing import Any, Sequence

from . import _kubemagic

__all__ = ["check", "probe"]

_Path = str | os.PathLike[str]


def check(
    paths: Sequence[_Path] = (),
    site: _Path | None = None,
    host: str | None = None,
    root: _Path = "/",
    warning_days: int = 30,
    critical_days: int = 7,
    at: str | None = None,
    plan: bool = False,
) -> dict[str, Any]:
    """Read certificate files, directories and kubeconfigs and decide.

    With ``site`` and ``host`` and no ``paths``, the directories the site's
    stack writes (under ``root``) are read and missing files reported.
    ``at`` (RFC 3339 or ``YYYY-MM-DD``) decides as at another time.
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    return _kubemagic.certs_check(
        list(paths), site, host, root, warning_days, critical_days, at, plan
    )


def probe(
    endpoints: Sequence[str] = (),
    site: _Path | None = None,
    warning_days: int = 30,
    critical_days: int = 7,
    at: str | None = None,
    timeout: float = 5.0,
    plan: bool = False,
) -> dict[str, Any]:
    """TLS handshake to each ``HOST:PORT`` (or the site's endpoints), only
    to read the served chain; an endpoint that cannot be reached is an
    error finding (KM349)."""
    if isinstance(endpoints, str):
        endpoints = [endpoints]
    return _kubemagic.certs_probe(
        list(endpoints), site, warning_days, critical_days, at, timeout, plan
    )
