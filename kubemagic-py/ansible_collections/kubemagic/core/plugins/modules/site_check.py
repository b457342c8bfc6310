#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kubemagic maintainers
# Apache License 2.0 (see LICENSE at the collection root or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0

from __future__ import annotations

DOCUMENTATION = r"""
---
module: site_check
short_description: Check a kubemagic site (all its inventories) before deploying
version_added: "0.1.0"
description:
  - Runs the same checks as C(kubemagic check SITE) on a site directory
    (custom, kubespray, ceph-ansible and openshift-ansible inventories seen
    as one model) and returns the findings.
  - The task fails when any finding is an error, naming each one; warnings
    and infos are returned without failing.
  - "Findings the site accepts (C(checks.ignore) in C(kubemagic.yml), or an
    inline C(kubemagic: ignore[KM102] reason) comment) are returned under
    C(suppressed) with their reason and never fail the task."
  - "The module runs on the target host; the site path is read there. Use it
    with C(connection: local) on the controller."
  - Never changes anything, so it supports check mode.
options:
  path:
    description: The site directory (the one holding C(kubemagic.yml), C(custom/), C(kubespray/), ...).
    type: path
    required: true
    aliases: [site]
  fail_on_error:
    description: Fail the task when any finding has severity C(error).
    type: bool
    default: true
requirements:
  - kubemagic (the Python module from this repository, installed for the module's Python)
author:
  - kubemagic maintainers (@kubemagic)
"""

EXAMPLES = r"""
- name: Check the site before running kubespray
  kubemagic.core.site_check:
    path: "{{ playbook_dir }}/../sites/utgb"
  delegate_to: localhost

- name: Collect findings without failing
  kubemagic.core.site_check:
    path: /srv/sites/utgb
    fail_on_error: false
  register: site
"""

RETURN = r"""
findings:
  description: Every finding, as C(kubemagic check --output json) prints them.
  returned: always
  type: list
  elements: dict
  contains:
    code:
      description: Stable check code, documented in docs/checks.md.
      type: str
    severity:
      description: C(error), C(warning) or C(info).
      type: str
    message:
      description: What is wrong and how to fix it.
      type: str
    file:
      description: File the finding is about, or null.
      type: str
    line:
      description: 1-based line in that file, or null.
      type: int
    host:
      description: Host concerned, or null.
      type: str
    group:
      description: Group concerned, or null.
      type: str
    variable:
      description: Variable concerned, or null.
      type: str
suppressed:
  description: Findings the site accepted, with the keys of C(findings) plus C(reason) and C(ignored_at) (C(file), C(line) of the ignore).
  returned: always
  type: list
  elements: dict
versions:
  description: The upstream releases the checks assumed (C(upstream), C(version), C(source)).
  returned: always
  type: list
  elements: dict
error_count:
  description: Number of findings with severity error.
  returned: always
  type: int
  sample: 0
warning_count:
  description: Number of findings with severity warning (not C(warnings), which Ansible reserves).
  returned: always
  type: int
  sample: 2
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.kubemagic.core.plugins.module_utils.kubemagic_common import (
    findings_message,
    require_kubemagic,
    run_or_fail,
)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", required=True, aliases=["site"]),
            fail_on_error=dict(type="bool", default=True),
        ),
        supports_check_mode=True,
    )
    kubemagic = require_kubemagic(module)
    report = run_or_fail(module, kubemagic.check, module.params["path"])
    findings = report["findings"]
    errors = [f for f in findings if f.get("severity") == "error"]
    warnings = [f for f in findings if f.get("severity") == "warning"]
    result = dict(
        changed=False,
        findings=findings,
        suppressed=report["suppressed"],
        versions=report["versions"],
        error_count=len(errors),
        warning_count=len(warnings),
    )
    if errors and module.params["fail_on_error"]:
        module.fail_json(
            msg=findings_message(kubemagic, "site check", errors),
            **result
        )
    module.exit_json(**result)


if __name__ == "__main__":
    main()
