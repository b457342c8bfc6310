#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kubemagic maintainers
# Apache License 2.0 (see LICENSE at the collection root or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0

from __future__ import annotations

DOCUMENTATION = r"""
---
module: etcd_recover
short_description: Recover an etcd cluster from NOSPACE (compact, defragment, disarm, probe)
version_added: "0.1.0"
description:
  - Does what C(kubemagic etcd recover) does, safely and idempotently -
    refuses without quorum; compacts to the current revision; defragments
    members one by one, followers first, leader last; disarms NOSPACE only
    once every member is below its quota with margin; proves a write works;
    reports the root cause (small or asymmetric quota) and the fix.
  - In check mode nothing changes (a dry run) and the planned steps are
    returned.
  - C(changed) is true only when the cluster had an alarm (e.g. NOSPACE)
    that the run cleared; on a healthy cluster the housekeeping compaction
    and defragmentation change no state, so C(changed=false).
  - The task fails when recovery was refused (no quorum, unhealthy member)
    or stopped part-way; the report says why and the alarm stays armed.
options:
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
- name: See what recovery would do
  kubemagic.core.etcd_recover:
    env_file: /etc/etcd.env
  check_mode: true

- name: Recover from a NOSPACE alarm
  kubemagic.core.etcd_recover:
    env_file: /etc/etcd.env
  run_once: true
"""

RETURN = r"""
report:
  description: The recovery report (steps taken or planned, member sizes before and after, root cause, advice).
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
        ),
        supports_check_mode=True,
    )
    kubemagic = require_kubemagic(module)
    p = module.params
    report = run_or_fail(
        module,
        kubemagic.etcd.recover,
        **etcd_connection(p),
        dry_run=module.check_mode,
    )
    # `changed` comes from the binding: true only when it cleared an alarm.
    changed = bool(report.get("changed", False)) and not module.check_mode
    if not report.get("succeeded", True):
        why = report.get("stopped") or report.get("refusal") or "recovery did not succeed"
        module.fail_json(msg="etcd recovery: %s" % (why,), changed=changed, report=report)
    module.exit_json(changed=changed, report=report)


if __name__ == "__main__":
    main()
