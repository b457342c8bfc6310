#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kubemagic maintainers
# Apache License 2.0 (see LICENSE at the collection root or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0

from __future__ import annotations

DOCUMENTATION = r"""
---
module: etcd_restore
short_description: Restore an etcd member's data directory from a verified snapshot
version_added: "0.1.0"
description:
  - Does what C(kubemagic etcd restore) does on this host - verifies the
    snapshot (its size and the SHA-256 etcd appends; a corrupted or truncated
    file fails the task and nothing is written), refuses a non-empty
    O(data_dir) unless O(move_aside) (the old directory is renamed, never
    deleted), restores with the release's own tool (C(etcdutl) on 3.5+,
    C(etcdctl) on 3.4) and returns the member's environment with
    C(ETCD_INITIAL_CLUSTER_STATE=new).
  - Run it on every member with the same O(snapshot), O(initial_cluster) and
    O(initial_cluster_token) (the default token is derived from the
    snapshot, so it is the same everywhere).
  - Always C(changed) when it succeeds; etcd must be stopped first.
options:
  snapshot:
    description: The snapshot file on this host.
    type: path
    required: true
  name:
    description: This member's name (C(ETCD_NAME)).
    type: str
    required: true
  initial_cluster:
    description: Every member of the restored cluster, C(name=peer URL,...).
    type: str
    required: true
  initial_advertise_peer_urls:
    description: This member's peer URLs.
    type: list
    elements: str
    required: true
  data_dir:
    description: The data directory to create.
    type: path
    required: true
  initial_cluster_token:
    description: C(ETCD_INITIAL_CLUSTER_TOKEN) of the restored cluster; derived from the snapshot's SHA-256 when unset.
    type: str
  move_aside:
    description: Rename a non-empty O(data_dir) aside instead of failing.
    type: bool
    default: false
  bin_dir:
    description: Directory of C(etcdutl)/C(etcdctl); C(PATH) when unset.
    type: path
requirements:
  - kubemagic (the Python module from this repository, installed for the module's Python)
author:
  - kubemagic maintainers (@kubemagic)
"""

EXAMPLES = r"""
- name: Restore this member from the snapshot
  kubemagic.core.etcd_restore:
    snapshot: /var/backups/etcd/snapshot.db
    name: etcd1
    initial_cluster: etcd1=https://10.0.0.11:2380,etcd2=https://10.0.0.12:2380,etcd3=https://10.0.0.13:2380
    initial_advertise_peer_urls:
      - https://10.0.0.11:2380
    data_dir: /var/lib/etcd
    move_aside: true
  register: restored
"""

RETURN = r"""
report:
  description: The restore report (verified snapshot, tool, data dir, directory moved aside, new cluster id, env).
  returned: always
  type: dict
env:
  description: The member's environment, variable by variable.
  returned: success
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
            snapshot=dict(type="path", required=True),
            name=dict(type="str", required=True),
            initial_cluster=dict(type="str", required=True),
            initial_advertise_peer_urls=dict(type="list", elements="str", required=True),
            data_dir=dict(type="path", required=True),
            initial_cluster_token=dict(type="str", no_log=False),
            move_aside=dict(type="bool", default=False),
            bin_dir=dict(type="path"),
        ),
        supports_check_mode=False,
    )
    kubemagic = require_kubemagic(module)
    p = module.params
    report = run_or_fail(
        module,
        kubemagic.etcd.restore,
        p["snapshot"],
        p["name"],
        p["initial_cluster"],
        p["initial_advertise_peer_urls"],
        p["data_dir"],
        initial_cluster_token=p["initial_cluster_token"],
        move_aside=p["move_aside"],
        bin_dir=p["bin_dir"],
    )
    module.exit_json(changed=True, report=report, env=report.get("env", {}))


if __name__ == "__main__":
    main()
