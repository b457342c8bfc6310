#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kubemagic maintainers
# Apache License 2.0 (see LICENSE at the collection root or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0

from __future__ import annotations

DOCUMENTATION = r"""
---
module: registry_render
short_description: Render containerd's registry files for the hosts of a kubemagic site
version_added: "0.1.0"
description:
  - Reads the site's registry declarations in the shape its kubespray release uses
    (or kubemagic.yml C(registries:)) and renders, per containerd host, one
    C(hosts.toml) per registry (containerd 1.5 and later) or the CRI
    C(config.toml) fragment (older containerd), as C(kubemagic registry render SITE) does.
  - The task fails when a registry finding is an error (a declaration of the wrong shape
    for the release, mirrors beside config_path), naming each one.
  - "Runs where the site is (C(delegate_to: localhost)); never changes anything,
    so it supports check mode. Used by the C(kubemagic.core.containerd_registries) role."
options:
  path:
    description: The site directory.
    type: path
    required: true
    aliases: [site]
  host:
    description: Render only this host of the kubespray inventory.
    type: str
  fail_on_error:
    description: Fail the task when any registry finding has severity C(error).
    type: bool
    default: true
requirements:
  - kubemagic (the Python module from this repository, installed for the module's Python)
author:
  - kubemagic maintainers (@kubemagic)
"""

EXAMPLES = r"""
- name: Render the site's registries
  kubemagic.core.registry_render:
    path: /srv/sites/utgb
  delegate_to: localhost
  run_once: true
  register: registries
"""

RETURN = r"""
hosts:
  description: Per host, C(containerd) ([major, minor] or null), C(files) (a list of C(path), relative to C(/), and C(content)) and C(config_toml).
  returned: always
  type: dict
kubespray_vars:
  description: The same registries as the variables of the site's kubespray release.
  returned: always
  type: dict
notes:
  description: What that release's variables cannot express.
  returned: always
  type: list
  elements: str
findings:
  description: The registry findings of the site check (KM40x).
  returned: always
  type: list
  elements: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.kubemagic.core.plugins.module_utils.kubemagic_common import (
    require_kubemagic,
    run_or_fail,
)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", required=True, aliases=["site"]),
            host=dict(type="str"),
            fail_on_error=dict(type="bool", default=True),
        ),
        supports_check_mode=True,
    )
    kubemagic = require_kubemagic(module)
    r = run_or_fail(module, kubemagic.registry.render, module.params["path"], module.params["host"])
    errors = [f for f in r["findings"] if f.get("severity") == "error"]
    if errors and module.params["fail_on_error"]:
        module.fail_json(
            msg="the registry declarations have %d error(s): %s"
            % (len(errors), "; ".join("%s %s" % (f["code"], f["message"]) for f in errors)),
            findings=r["findings"],
        )
    hosts = {
        h["host"]: dict(containerd=h["containerd"], files=h["files"], config_toml=h["config_toml"])
        for h in r["hosts"]
    }
    module.exit_json(
        changed=False,
        hosts=hosts,
        kubespray_vars=r["kubespray_vars"],
        notes=r["notes"],
        findings=r["findings"],
    )


if __name__ == "__main__":
    main()
