#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kubemagic maintainers
# Apache License 2.0 (see LICENSE at the collection root or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0

from __future__ import annotations

DOCUMENTATION = r"""
---
module: etcd_member_replace
short_description: Replace a dead etcd member (remove it, add the new one, return its environment)
version_added: "0.1.0"
description:
  - Does what C(kubemagic etcd member replace) does - refuses when the dead
    member still answers (unless O(force)) or when removing it would lose
    quorum; removes it, adds the new member (as a learner where every member
    runs etcd 3.4 or later) and returns the new member's environment
    (C(ETCD_NAME), C(ETCD_INITIAL_CLUSTER), C(ETCD_INITIAL_CLUSTER_STATE=existing), ...).
  - Journaled in O(state_dir) - a task re-run after an interruption resumes,
    never adds twice and never removes another member.
  - C(changed) is true when this run removed or added a member.
options:
  dead:
    description: Name of the dead member to remove.
    type: str
    required: true
  name:
    description: Name of the new member (may be the dead one's).
    type: str
    required: true
  peer_urls:
    description: Peer URLs of the new member.
    type: list
    elements: str
    required: true
  force:
    description: Replace the member even though it answers status.
    type: bool
    default: false
  no_learner:
    description: Add a voting member even where learners are supported.
    type: bool
    default: false
  state_dir:
    description: Where the journal is kept.
    type: path
    default: .kubemagic
  initial_cluster_token:
    description: C(ETCD_INITIAL_CLUSTER_TOKEN) in the returned environment (etcd ignores it on a join).
    type: str
    default: k8s_etcd
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
- name: Replace the dead etcd3 by a member on a new host
  kubemagic.core.etcd_member_replace:
    env_file: /etc/etcd.env
    dead: etcd3
    name: etcd3
    peer_urls:
      - https://10.0.0.14:2380
    state_dir: /var/lib/kubemagic
  register: replaced
  run_once: true
"""

RETURN = r"""
report:
  description: The replacement report (removed and added member, steps performed, journal, env, next steps).
  returned: always
  type: dict
env:
  description: The new member's environment, variable by variable.
  returned: success
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
            dead=dict(type="str", required=True),
            name=dict(type="str", required=True),
            peer_urls=dict(type="list", elements="str", required=True),
            force=dict(type="bool", default=False),
            no_learner=dict(type="bool", default=False),
            state_dir=dict(type="path", default=".kubemagic"),
            initial_cluster_token=dict(type="str", default="k8s_etcd", no_log=False),
        ),
        supports_check_mode=False,
    )
    kubemagic = require_kubemagic(module)
    p = module.params
    report = run_or_fail(
        module,
        kubemagic.etcd.member_replace,
        p["dead"],
        p["name"],
        p["peer_urls"],
        force=p["force"],
        no_learner=p["no_learner"],
        state_dir=p["state_dir"],
        initial_cluster_token=p["initial_cluster_token"],
        **etcd_connection(p),
    )
    changed = bool(report.get("performed"))
    module.exit_json(changed=changed, report=report, env=report.get("env", {}))


if __name__ == "__main__":
    main()
