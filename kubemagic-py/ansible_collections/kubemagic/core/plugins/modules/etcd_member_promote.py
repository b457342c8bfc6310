#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kubemagic maintainers
# Apache License 2.0 (see LICENSE at the collection root or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0

from __future__ import annotations

DOCUMENTATION = r"""
---
module: etcd_member_promote
short_description: Promote an etcd learner to a voting member once it has caught up
version_added: "0.1.0"
description:
  - Does what C(kubemagic etcd member promote) does - retries for at most
    O(wait_seconds) while etcd says the learner has not caught up (or has not
    published its name yet), then promotes it.
  - C(changed) is false when the member already votes.
options:
  name:
    description: The learner's name.
    type: str
    required: true
  wait_seconds:
    description: How long to retry while the learner catches up.
    type: float
    default: 60.0
  endpoints:
    description: Client URLs of the members, as etcdctl's C(--endpoints).
    type: list
    elements: str
  env_file:
    description: An etcd environment file as kubespray writes it (C(/etc/etcd.env)).
    type: path
  cacert:
    description: CA certificate, as etcdctl's C(--cacert).
    type: path
  cert:
    description: Client certificate, as etcdctl's C(--cert).
    type: path
  key:
    description: Client key, as etcdctl's C(--key).
    type: path
requirements:
  - kubemagic (the Python module from this repository, installed for the module's Python)
author:
  - kubemagic maintainers (@kubemagic)
"""

EXAMPLES = r"""
- name: Promote the new member
  kubemagic.core.etcd_member_promote:
    env_file: /etc/etcd.env
    name: etcd3
  run_once: true
"""

RETURN = r"""
report:
  description: The member promoted, and whether it already voted.
  returned: always
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.kubemagic.core.plugins.module_utils.kubemagic_common import (
    ETCD_CONNECTION_SPEC,
    etcd_connection,
    require_kubemagic,
    run_or_fail,
)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            ETCD_CONNECTION_SPEC,
            name=dict(type="str", required=True),
            wait_seconds=dict(type="float", default=60.0),
        ),
        supports_check_mode=False,
    )
    kubemagic = require_kubemagic(module)
    p = module.params
    report = run_or_fail(
        module,
        kubemagic.etcd.member_promote,
        p["name"],
        wait_seconds=p["wait_seconds"],
        **etcd_connection(p),
    )
    module.exit_json(changed=not report.get("already", False), report=report)


if __name__ == "__main__":
    main()
