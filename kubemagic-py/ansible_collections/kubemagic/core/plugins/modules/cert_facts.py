#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kubemagic maintainers
# Apache License 2.0 (see LICENSE at the collection root or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0

from __future__ import annotations

DOCUMENTATION = r"""
---
module: cert_facts
short_description: Every certificate of a host and its expiry, as kubemagic certs check reports them
version_added: "0.1.0"
description:
  - Reads the certificate files, directories and kubeconfigs of the host it runs on, as
    C(kubemagic certs check) does, and returns the report (certificates nearest expiry first,
    findings, skipped key files). With no O(paths), the directories kubespray and OpenShift 3.11
    write (C(/etc/kubernetes), C(/etc/ssl/etcd/ssl), C(/etc/origin/master), C(/etc/origin/node),
    C(/etc/etcd)) that exist under O(root).
  - Private keys are never read into the result (key files are skipped, C(client-key-data) is never read).
  - Never changes anything, so it supports check mode. The playbook C(kubemagic.core.certs_report)
    runs it on every host and prints one table sorted by expiry.
options:
  paths:
    description: Certificate files, kubeconfigs or directories (read recursively).
    type: list
    elements: path
    default: []
  root:
    description: Where the stack's directories are looked for when O(paths) is empty.
    type: path
    default: /
  warning_days:
    description: Days left to expiry that are a warning finding.
    type: int
    default: 30
  critical_days:
    description: Days left to expiry that are an error finding.
    type: int
    default: 7
  at:
    description: Decide as at this time (RFC 3339 or YYYY-MM-DD) instead of now.
    type: str
  host:
    description: The name the certificates are reported under (default the host the task runs for).
    type: str
  fail_on_error:
    description: Fail the task when a finding is an error (expired, within O(critical_days), broken chain).
    type: bool
    default: false
requirements:
  - kubemagic (the Python module from this repository, installed for the module's Python)
author:
  - kubemagic maintainers (@kubemagic)
"""

EXAMPLES = r"""
- name: Certificates of every Kubernetes host
  kubemagic.core.cert_facts:
    host: "{{ inventory_hostname }}"
    warning_days: 60
  register: certs
"""

RETURN = r"""
certificates:
  description: Each certificate (path, kind, name, subject, issuer, serial, not_before, not_after,
    days_left, sans, is_ca, server_auth, chain, host), nearest expiry first.
  returned: always
  type: list
  elements: dict
findings:
  description: Findings KM340-KM349 (code, severity, message, file, line, host).
  returned: always
  type: list
  elements: dict
skipped_keys:
  description: Private key files recognised and not read (path, reason); the library's C(skipped),
    renamed because Ansible reads a result's C(skipped) as a skipped task.
  returned: always
  type: list
  elements: dict
nagios:
  description: The Monitoring Plugins verdict (text, exit).
  returned: always
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.kubemagic.core.plugins.module_utils.kubemagic_common import (
    require_kubemagic,
    run_or_fail,
)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            paths=dict(type="list", elements="path", default=[]),
            root=dict(type="path", default="/"),
            warning_days=dict(type="int", default=30),
            critical_days=dict(type="int", default=7),
            at=dict(type="str"),
            host=dict(type="str"),
            fail_on_error=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    kubemagic = require_kubemagic(module)
    p = module.params
    r = run_or_fail(
        module,
        kubemagic.certs.check,
        p["paths"],
        root=p["root"],
        warning_days=p["warning_days"],
        critical_days=p["critical_days"],
        at=p["at"],
    )
    certificates = r["certificates"]
    if p["host"]:
        for c in certificates:
            c["host"] = c.get("host") or p["host"]
    result = dict(
        changed=False,
        certificates=certificates,
        findings=r["findings"],
        skipped_keys=r["skipped"],
        nagios=r["nagios"],
    )
    errors = [f for f in r["findings"] if f.get("severity") == "error"]
    if errors and p["fail_on_error"]:
        module.fail_json(
            msg="%d certificate error(s): %s"
            % (len(errors), "; ".join(kubemagic.render_finding(f) for f in errors)),
            **result
        )
    module.exit_json(**result)


if __name__ == "__main__":
    main()
