#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kubemagic maintainers
# Apache License 2.0 (see LICENSE at the collection root or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0

from __future__ import annotations

DOCUMENTATION = r"""
---
module: etcd_status
short_description: Status of every etcd member, alarms and findings
version_added: "0.1.0"
description:
  - Queries every etcd member individually, as C(kubemagic etcd status) does,
    and returns members (db size, db size in use, quota, leader, raft term
    and index), alarms (e.g. NOSPACE) and findings (quota asymmetry, db near
    quota, fragmentation, unreachable member, no leader, version skew).
  - Changes nothing; supports check mode.
options:
  endpoints:
    description: Client URLs of the members, as etcdctl's C(--endpoints). Default from C(env_file) or C(ETCDCTL_ENDPOINTS).
    type: list
    elements: str
  env_file:
    description: An etcd environment file as kubespray writes it (C(/etc/etcd.env)); endpoints and certificates are read from it.
    type: path
  cacert:
    description: CA certificate to verify the members, as etcdctl's C(--cacert).
    type: path
  cert:
    description: Client certificate, as etcdctl's C(--cert).
    type: path
  key:
    description: Client key, as etcdctl's C(--key).
    type: path
  fail_on_error:
    description: Fail the task when any finding has severity C(error) (e.g. a NOSPACE alarm).
    type: bool
    default: false
requirements:
  - kubemagic (the Python module from this repository, installed for the module's Python)
author:
  - kubemagic maintainers (@kubemagic)
"""

EXAMPLES = r"""
- name: Status of the etcd cluster, as kubespray configured it
  kubemagic.core.etcd_status:
    env_file: /etc/etcd.env
  register: etcd

- name: Status through explicit endpoints
  kubemagic.core.etcd_status:
    endpoints:
      - https://127.0.0.1:2379
    cacert: /etc/ssl/etcd/ssl/ca.pem
    cert: /etc/ssl/etcd/ssl/admin.pem
    key: /etc/ssl/etcd/ssl/admin-key.pem
"""

RETURN = r"""
members:
  description: One entry per member (endpoint, id, name, version, db_size, db_size_in_use, quota_backend_bytes, is_leader, raft_term, raft_index, errors).
  returned: always
  type: list
  elements: dict
alarms:
  description: Active alarms, each C({member_id, alarm}).
  returned: always
  type: list
  elements: dict
findings:
  description: Findings as in C(kubemagic check).
  returned: always
  type: list
  elements: dict
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
            fail_on_error=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    kubemagic = require_kubemagic(module)
    p = module.params
    status = run_or_fail(
        module,
        kubemagic.etcd.status,
        **etcd_connection(p),
    )
    result = dict(changed=False, **status)
    errors = [f for f in status.get("findings", []) if f.get("severity") == "error"]
    if errors and p["fail_on_error"]:
        module.fail_json(
            msg="etcd: %s" % "; ".join("%s: %s" % (f.get("code"), f.get("message")) for f in errors),
            **result
        )
    module.exit_json(**result)


if __name__ == "__main__":
    main()
