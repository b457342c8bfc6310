# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kubemagic maintainers
# Apache License 2.0 (see LICENSE at the collection root or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Shared by the kubemagic.core modules: importing kubemagic, and failing
with install instructions when it is missing."""

from __future__ import annotations

import sys
import traceback

try:
    import kubemagic  # noqa: F401

    HAS_KUBEMAGIC = True
    KUBEMAGIC_IMPORT_ERROR = None
except ImportError:  # pragma: no cover - exercised through ansible-playbook
    kubemagic = None
    HAS_KUBEMAGIC = False
    KUBEMAGIC_IMPORT_ERROR = traceback.format_exc()


def missing_kubemagic_message():
    """How to install kubemagic, for the Python that runs this module."""
    return (
        "The kubemagic Python module is not installed for the Python that runs "
        "this module (%s). Install the kubemagic wheel into that Python: from a "
        "kubemagic checkout, run `make wheel` "
        "then `%s -m pip install dist/kubemagic-*.whl` (or `make test`, "
        "which installs it into .venv), or point ansible_python_interpreter at "
        "a Python that has it." % (sys.executable, sys.executable)
    )


def require_kubemagic(module):
    """Fail the task with install instructions unless kubemagic imports."""
    if not HAS_KUBEMAGIC:
        module.fail_json(msg=missing_kubemagic_message(), exception=KUBEMAGIC_IMPORT_ERROR)
    return kubemagic


def run_or_fail(module, func, *args, **kwargs):
    """Call a kubemagic function; turn its errors into a failed task."""
    try:
        return func(*args, **kwargs)
    except NotImplementedError as e:
        module.fail_json(msg=str(e))
    except kubemagic.Error as e:
        extra = {}
        for attr in ("file", "line"):
            value = getattr(e, attr, None)
            if value is not None:
                extra[attr] = value
        module.fail_json(msg="%s: %s" % (type(e).__name__, e), **extra)
    return None  # not reached: fail_json exits


# How etcd_status and etcd_recover reach etcd: the options of
# `kubemagic etcd` (flags, or kubespray's /etc/etcd.env).
ETCD_CONNECTION_SPEC = dict(
    endpoints=dict(type="list", elements="str"),
    env_file=dict(type="path"),
    cacert=dict(type="path"),
    cert=dict(type="path"),
    key=dict(type="path", no_log=False),
)


def etcd_connection(params):
    """The connection keyword arguments of kubemagic.etcd.* from module params."""
    return {name: params[name] for name in ETCD_CONNECTION_SPEC}


FINDINGS_IN_MESSAGE = 10


def findings_message(kubemagic, what, findings, limit=FINDINGS_IN_MESSAGE):
    """A failure message a person can read: a count, then one finding per
    line in the shared renderer's `FILE:LINE:COL: severity: CODE message`
    form (`kubemagic.render_finding`), the first `limit` of them; the rest
    are in the task's `findings`."""
    lines = ["%s found %d error(s):" % (what, len(findings))]
    lines.extend(kubemagic.render_finding(f) for f in findings[:limit])
    if len(findings) > limit:
        lines.append("... and %d more (see findings)" % (len(findings) - limit))
    return "\n".join(lines)
