#!/usr/bin/env python3
"""Generator for the `yaml_upstream_*_group_vars_uncommented` differential
cases: the upstream ceph-ansible and kubespray sample group_vars (under
/work/shared/upstream-samples, or $UPSTREAM_SAMPLES) ship their settings
commented out (`#key: value`); uncommenting them gives thousands of real
variables full of YAML 1.1 traps (yes/no, octal modes, versions like 1.10,
sexagesimal-looking values, anchors). A file that the real AnsibleLoader
cannot load once uncommented is skipped (ceph) or kept as shipped
(kubespray). Re-running rewrites the cases; run it with the venv's python."""
import glob, os, re, shutil, sys

import yaml
from ansible.parsing.yaml.loader import AnsibleLoader

U = os.environ.get(
    "UPSTREAM_SAMPLES",
    os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "upstream-samples"),
)
ROOT = os.path.join(os.path.dirname(__file__), "..", "corpus", "inventory")


def uncomment(text):
    """Uncomment top-level `#key:` lines and their indented continuations."""
    out, inblock = [], False
    for line in text.splitlines():
        m = re.match(r'^#([A-Za-z_][\w.-]*:(\s.*)?)$', line)
        if m:
            out.append(m.group(1))
            inblock = True
            continue
        if inblock:
            c = re.match(r'^#(\s+(- |\S+:|\S).*)$', line)
            if c and not line.startswith('# '):
                out.append(c.group(1))
                continue
            c2 = re.match(r'^#(  +.*)$', line)
            if c2:
                out.append(c2.group(1))
                continue
        inblock = False
        out.append(line)
    return "\n".join(out) + "\n"


def loads(text):
    try:
        d = yaml.load(text, Loader=AnsibleLoader)
        return d is None or isinstance(d, dict)
    except Exception:
        return False


def ceph(ver, name):
    case = os.path.join(ROOT, name)
    shutil.rmtree(case, ignore_errors=True)
    os.makedirs(case + "/group_vars")
    groups = []
    for f in sorted(glob.glob(f"{U}/{ver}/group_vars/*.yml.sample")):
        g = os.path.basename(f)[:-len(".yml.sample")]
        text = uncomment(open(f).read())
        if not loads(text):
            print("skipped (not loadable once uncommented):", ver, g, file=sys.stderr)
            continue
        open(f"{case}/group_vars/{g}.yml", "w").write(text)
        groups.append(g)
    inv = "all:\n  children:\n"
    for i, g in enumerate(g for g in groups if g not in ("all", "zone", "realm", "rhcs")):
        inv += f"    {g}:\n      hosts:\n        ceph-{g}-1:\n          ansible_host: 127.0.1.{i+1}\n"
    open(f"{case}/hosts.yml", "w").write(inv)


def kubespray(ver, name):
    case = os.path.join(ROOT, name)
    shutil.rmtree(case, ignore_errors=True)
    src = f"{U}/{ver}/inventory/sample"
    os.makedirs(case)
    for root, _dirs, files in os.walk(src + "/group_vars"):
        for fn in files:
            p = os.path.join(root, fn)
            rel = os.path.relpath(p, src)
            text = uncomment(open(p).read())
            if not loads(text):
                text = open(p).read()
            os.makedirs(os.path.dirname(f"{case}/{rel}"), exist_ok=True)
            open(f"{case}/{rel}", "w").write(text)
    old = ver == "kubespray-v2.13.2"
    cp = "kube-master" if old else "kube_control_plane"
    node = "kube-node" if old else "kube_node"
    k8s = "k8s-cluster" if old else "k8s_cluster"
    open(f"{case}/hosts.yaml", "w").write(f"""all:
  hosts:
    node1: {{ansible_host: 127.0.0.11, ip: 127.0.0.11}}
    node2: {{ansible_host: 127.0.0.12, ip: 127.0.0.12}}
  children:
    {cp}:
      hosts: {{node1: }}
    {node}:
      hosts: {{node1: , node2: }}
    etcd:
      hosts: {{node1: }}
    {k8s}:
      children: {{{cp}: , {node}: }}
    calico_rr:
      hosts: {{}}
""")


ceph("ceph-ansible-stable-4.0", "yaml_upstream_ceph_ansible_4_0_group_vars_uncommented")
ceph("ceph-ansible-stable-6.0", "yaml_upstream_ceph_ansible_6_0_group_vars_uncommented")
kubespray("kubespray-v2.13.2", "yaml_upstream_kubespray_2_13_group_vars_uncommented")
kubespray("kubespray-v2.16.0", "yaml_upstream_kubespray_2_16_group_vars_uncommented")
kubespray("kubespray-v2.26.0", "yaml_upstream_kubespray_2_26_group_vars_uncommented")
