#!/usr/bin/env python3
"""Generates a large site for `kubemagic check` benchmarks.

    scripts/gen-bench-site.py DIR [HOSTS]

A kubespray inventory (YAML) of HOSTS hosts in 50 node groups plus etcd and
control plane, kubespray-like group_vars, a custom/hosts (INI) naming the
same machines with the same addresses plus two load balancers, and a
ceph-ansible inventory. All addresses are in 127.0.0.0/8. The site is clean
(no errors) so the benchmark measures the full pass over every host.
"""
import os
import sys

out = sys.argv[1]
n = int(sys.argv[2]) if len(sys.argv) > 2 else 5000


def addr(i):
    return f"127.{1 + i // 65536}.{(i // 256) % 256}.{i % 256}"


def w(path, text):
    path = os.path.join(out, path)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


names = [f"node{i:05d}" for i in range(n)]
masters = names[:3]
groups = {f"rack{g:02d}": [] for g in range(50)}
for i, h in enumerate(names[3:], start=3):
    groups[f"rack{i % 50:02d}"].append(h)

w("kubemagic.yml", "name: bench\nflavor: kubespray\nkubespray_inventory: bench\n"
  "upstreams:\n  kubespray:\n    url: https://github.com/kubernetes-sigs/kubespray.git\n    ref: v2.26.0\n")

y = ["all:", "  hosts:"]
for i, h in enumerate(names):
    y += [f"    {h}:", f"      ansible_host: {addr(i)}", f"      ip: {addr(i)}"]
y += ["  children:", "    kube_control_plane:", "      hosts:"] + [f"        {m}:" for m in masters]
y += ["    etcd:", "      hosts:"] + [f"        {m}:" for m in masters]
y += ["    kube_node:", "      children:"] + [f"        {g}:" for g in groups]
for g, hs in groups.items():
    y += [f"    {g}:", "      hosts:"] + [f"        {h}:" for h in hs]
y += ["    k8s_cluster:", "      children:", "        kube_control_plane:", "        kube_node:"]
w("kubespray/inventory/bench/hosts.yml", "\n".join(y) + "\n")

k = "kubespray/inventory/bench/group_vars"
w(f"{k}/all/all.yml", "loadbalancer_apiserver:\n  address: 127.0.0.250\n  port: 6443\n"
  "apiserver_loadbalancer_domain_name: api.bench.example\n"
  "http_proxy: http://127.0.0.1:3128\nhttps_proxy: http://127.0.0.1:3128\n"
  "no_proxy: localhost,127.0.0.0/8,.bench.example,10.233.0.0/17\n")
w(f"{k}/all/etcd.yml", "etcd_quota_backend_bytes: 8589934592\n")
w(f"{k}/all/containerd.yml", "containerd_version: 1.7.22\ncontainerd_registries_mirrors:\n"
  "  - prefix: docker.io\n    mirrors:\n      - host: https://127.0.0.1:5000\n        capabilities: [pull, resolve]\n        skip_verify: false\n")
w(f"{k}/k8s_cluster/k8s-cluster.yml", "kube_network_plugin: calico\ncontainer_manager: containerd\n"
  "kube_service_addresses: 10.233.0.0/18\nkube_pods_subnet: 10.233.64.0/18\n")
w(f"{k}/k8s_cluster/addons.yml", "cert_manager_enabled: true\n")
for g in groups:
    w(f"{k}/{g}.yml", f"rack: {g}\nnode_labels:\n  topology.kubernetes.io/zone: {g}\n")

c = ["[lb]", "lb1 ansible_host=127.0.0.251", "lb2 ansible_host=127.0.0.252", "", "[monitored]"]
c += [f"{h} ansible_host={addr(i)}" for i, h in enumerate(names)]
w("custom/hosts", "\n".join(c) + "\n")
backends = "".join(f"  - {{name: {m}, address: {addr(i)}, port: 6443}}\n" for i, m in enumerate(masters))
w("custom/group_vars/lb.yml", f"keepalived_vip: 127.0.0.250\nhaproxy_apiserver_backends:\n{backends}")
w("custom/group_vars/monitored.yml", "nagios_check_interval: 5\n")

ceph = ["[mons]"] + [f"{h} ansible_host={addr(i)} monitor_address={addr(i)}" for i, h in enumerate(names[3:6], start=3)]
ceph += ["", "[osds]"] + names[3:53]
w("ceph-ansible/hosts", "\n".join(ceph) + "\n")
w("ceph-ansible/group_vars/osds.yml", "devices:\n  - /dev/sdb\n")
w("ceph-ansible/group_vars/all.yml", "ceph_origin: repository\nceph_repository: community\nceph_stable_release: pacific\ndashboard_enabled: false\n")
