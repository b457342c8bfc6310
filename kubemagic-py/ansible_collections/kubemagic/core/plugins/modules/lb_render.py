#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kubemagic maintainers
# Apache License 2.0 (see LICENSE at the collection root or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0

from __future__ import annotations

DOCUMENTATION = r"""
---
module: lb_render
short_description: Render the HAProxy/Keepalived load balancer of a kubemagic site
version_added: "0.1.0"
description:
  - Builds the load balancer in front of the Kubernetes API from a site, as
    C(kubemagic lb render SITE) does (lb hosts from the C(lb) group of
    C(custom/hosts), the VIP, the API port, every control-plane host as a
    backend), and returns each lb host's C(haproxy.cfg) and C(keepalived.conf).
  - The task fails when a finding is an error (no VIP, no backend, ...), naming each one.
  - "C(keepalived.conf) holds the VRRP password when C(keepalived_auth_password)
    is set: register the result with C(no_log: true). The C(model) never holds it."
  - "Runs where the site is (C(delegate_to: localhost)); never changes anything,
    so it supports check mode. Used by the C(kubemagic.core.apiserver_lb) role."
options:
  path:
    description: The site directory.
    type: path
    required: true
    aliases: [site]
  host:
    description: Render only this lb host.
    type: str
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
- name: Render the site's load balancer
  kubemagic.core.lb_render:
    path: /srv/sites/utgb
  delegate_to: localhost
  run_once: true
  no_log: true
  register: lb
"""

RETURN = r"""
model:
  description: The load balancer, as C(kubemagic lb render --output json) prints it (no password).
  returned: always
  type: dict
files:
  description: Per lb host, C(haproxy_cfg) and C(keepalived_conf) (the files' text).
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
            path=dict(type="path", required=True, aliases=["site"]),
            host=dict(type="str"),
            fail_on_error=dict(type="bool", default=True),
        ),
        supports_check_mode=True,
    )
    kubemagic = require_kubemagic(module)
    r = run_or_fail(module, kubemagic.lb.render, module.params["path"], module.params["host"])
    files = {
        h: dict(haproxy_cfg=f["haproxy.cfg"], keepalived_conf=f["keepalived.conf"])
        for h, f in r["files"].items()
    }
    result = dict(changed=False, model=r["model"], files=files)
    errors = [f for f in r["model"]["findings"] if f.get("severity") == "error"]
    if errors and module.params["fail_on_error"]:
        module.fail_json(
            msg="the load balancer has %d error(s): %s"
            % (len(errors), "; ".join("%s %s" % (f["code"], f["message"]) for f in errors)),
            model=r["model"],
        )
    module.exit_json(**result)


if __name__ == "__main__":
    main()
