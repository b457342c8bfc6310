#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kubemagic maintainers
# Apache License 2.0 (see LICENSE at the collection root or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0

from __future__ import annotations

DOCUMENTATION = r"""
---
module: ceph_provisioning
short_description: Render the Kubernetes side of Ceph storage (kubespray vars or ceph-csi manifests)
version_added: "0.1.0"
description:
  - Renders, as C(kubemagic ceph render) does, either the kubespray
    C(rbd_provisioner_*)/C(cephfs_provisioner_*) group_vars, the ceph-csi
    manifests (ConfigMap, StorageClasses, Secrets), or the ceph commands to
    do it by hand.
  - The Ceph cluster comes from a kubemagic site (its ceph-ansible inventory)
    or from a live cluster (C(ceph_conf) and C(keyring)).
  - With C(dest), the rendering is written to that file (changed when its
    content differs); without, it is only returned. Check mode writes nothing.
  - With a live cluster, the checks of C(kubemagic ceph doctor) run first,
    before anything is rendered or written (health, the PG budget, quotas,
    the csi users' caps, O(csi_config)), and (outside check mode, unless
    O(doctor_probe=false)) a live probe with the csi users' own keys. A
    finding of severity error fails the task and changes nothing; warnings
    are reported as warnings.
options:
  target:
    description: What to render.
    type: str
    required: true
    choices: [kubespray, csi, commands]
  site:
    description: A kubemagic site directory to read the Ceph cluster from.
    type: path
  ceph_conf:
    description: C(ceph.conf) of a live cluster.
    type: path
  keyring:
    description: Keyring for the live cluster.
    type: path
  pool:
    description: RBD pool for Kubernetes volumes.
    type: str
  client:
    description: Ceph client name (without C(client.)) Kubernetes uses.
    type: str
  dest:
    description: File to write the rendering to (mode 0600, it may hold keys).
    type: path
  doctor:
    description: Run C(kubemagic ceph doctor)'s checks on the live cluster before changing anything.
    type: bool
    default: true
  doctor_probe:
    description: Let the doctor create and delete a 1 MiB RBD image (and subvolume) as the csi users; never in check mode.
    type: bool
    default: true
  csi_config:
    description: ceph-csi's C(config.json), or the ConfigMap holding it, for the doctor to compare with the cluster.
    type: path
  kubespray_group_vars:
    description:
      - With O(target=kubespray) and O(site), write the rendering to C(group_vars/all/kubemagic-ceph.yml) beside the
        site's kubespray inventory (the one C(kubemagic check) and C(kubemagic plan) use), instead of O(dest).
    type: bool
    default: false
requirements:
  - kubemagic (the Python module from this repository, installed for the module's Python)
author:
  - kubemagic maintainers (@kubemagic)
"""

EXAMPLES = r"""
- name: kubespray group_vars for the rbd/cephfs provisioners from the site
  kubemagic.core.ceph_provisioning:
    target: kubespray
    site: /srv/sites/utgb
    dest: /srv/sites/utgb/kubespray/inventory/utgb/group_vars/k8s_cluster/ceph.yml

- name: ceph-csi manifests from a live cluster
  kubemagic.core.ceph_provisioning:
    target: csi
    ceph_conf: /etc/ceph/ceph.conf
    keyring: /etc/ceph/ceph.client.admin.keyring
    pool: kube
    client: kube
  register: csi
"""

RETURN = r"""
content:
  description: The rendering (YAML). Secrets' keys appear only here, never in logs.
  returned: always
  type: str
doctor:
  description: The findings of the doctor's checks (C(kubemagic ceph doctor --output json)).
  returned: when ceph_conf is given and doctor is true
  type: list
  elements: dict
dest:
  description: The file written, when C(dest) or C(kubespray_group_vars) was given.
  returned: when dest or kubespray_group_vars is given
  type: str
"""

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.kubemagic.core.plugins.module_utils.kubemagic_common import (
    require_kubemagic,
    run_or_fail,
)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            target=dict(type="str", required=True, choices=["kubespray", "csi", "commands"]),
            site=dict(type="path"),
            ceph_conf=dict(type="path"),
            keyring=dict(type="path", no_log=False),
            pool=dict(type="str"),
            client=dict(type="str"),
            dest=dict(type="path"),
            kubespray_group_vars=dict(type="bool", default=False),
            doctor=dict(type="bool", default=True),
            doctor_probe=dict(type="bool", default=True),
            csi_config=dict(type="path"),
        ),
        required_one_of=[("site", "ceph_conf")],
        mutually_exclusive=[("site", "ceph_conf"), ("dest", "kubespray_group_vars")],
        required_together=[("ceph_conf", "keyring")],
        supports_check_mode=True,
    )
    kubemagic = require_kubemagic(module)
    p = module.params
    findings = None
    if p["ceph_conf"] and p["doctor"]:
        # The doctor's checks before anything changes: an error stops here.
        report = run_or_fail(
            module,
            kubemagic.ceph.doctor,
            p["ceph_conf"],
            p["keyring"],
            pool=p["pool"],
            csi_config=p["csi_config"],
            probe=p["doctor_probe"] and not module.check_mode,
        )
        findings = report["findings"]
        errors = [f for f in findings if f["severity"] == "error"]
        for f in findings:
            if f["severity"] == "warning":
                module.warn("%s %s" % (f["code"], f["message"]))
        if errors:
            module.fail_json(
                msg="kubemagic ceph doctor: %d error(s): %s"
                % (len(errors), "; ".join("%s %s" % (f["code"], f["message"]) for f in errors)),
                doctor=findings,
            )
    content = run_or_fail(
        module,
        kubemagic.ceph.render,
        p["target"],
        site=p["site"],
        ceph_conf=p["ceph_conf"],
        keyring=p["keyring"],
        pool=p["pool"],
        client=p["client"],
    )
    result = dict(changed=False, content=content)
    if findings is not None:
        result["doctor"] = findings
    dest = p["dest"]
    if p["kubespray_group_vars"]:
        # The site's one reading names its kubespray inventory.
        if p["target"] != "kubespray" or not p["site"]:
            module.fail_json(msg="kubespray_group_vars needs target=kubespray and site")
        found = run_or_fail(module, kubemagic.site_inventories, p["site"])["inventories"].get("kubespray")
        if not found:
            module.fail_json(msg="%s has no kubespray inventory" % p["site"])
        folder = os.path.join(os.path.dirname(found), "group_vars", "all")
        if not module.check_mode and not os.path.isdir(folder):
            os.makedirs(folder)
        dest = os.path.join(folder, "kubemagic-ceph.yml")
    if dest:
        result["dest"] = dest
        current = None
        if os.path.exists(dest):
            with open(dest, "r", encoding="utf-8") as f:
                current = f.read()
        if current != content:
            result["changed"] = True
            if not module.check_mode:
                tmp = dest + ".kubemagic-tmp"
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                with os.fdopen(fd, "w", encoding="utf-8") as f:
                    f.write(content)
                module.atomic_move(tmp, dest)
                # atomic_move gives a new file the umask's mode; it may hold keys.
                os.chmod(dest, 0o600)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
