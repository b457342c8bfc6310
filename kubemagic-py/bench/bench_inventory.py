#!/usr/bin/env python3
"""Benchmark: kubemagic.Inventory.load against ansible-core's own
InventoryManager, in the same Python process, on a generated inventory of
5,000 hosts in 50 groups with 52 group_vars files.

Two figures, each the best of several runs:
  load       Inventory.load(...)      vs InventoryManager(loader, sources)
  load+vars  load + host_vars(h) for every host
             vs InventoryManager + VariableManager.get_vars(host=h) for every
             host (what `ansible-inventory --list` does; run once, it is slow)
The headline ratio (target >= 50x) is `load`. Hosts and groups are checked
equal between the two before timing counts.
Usage: bench_inventory.py [--hosts N] [--groups G] [--runs R] [--no-vars]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path


def generate(root: Path, hosts: int, groups: int) -> Path:
    """INI inventory plus group_vars/all.yml, k8s_cluster.yml and one file per
    group (groups + 2 group_vars files). Addresses are loopback only."""
    inv = root / "hosts"
    per = hosts // groups
    lines: list[str] = []
    n = 0
    for g in range(groups):
        lines.append(f"[g{g:02d}]")
        for _ in range(per if g < groups - 1 else hosts - per * (groups - 1)):
            lines.append(
                f"node{n:05d} ansible_host=127.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255} "
                f"idx={n} rack=r{n % 40} enabled=True"
            )
            n += 1
        lines.append("")
    lines.append("[k8s_cluster:children]")
    lines += [f"g{g:02d}" for g in range(groups)]
    lines.append("")
    lines.append("[k8s_cluster:vars]")
    lines.append("kube_network_plugin=calico")
    inv.write_text("\n".join(lines) + "\n")
    gv = root / "group_vars"
    gv.mkdir()
    (gv / "all.yml").write_text(
        "etcd_quota_backend_bytes: 2147483648\nntp_servers: [127.0.0.1, 127.0.0.2]\n"
        "proxy:\n  http: http://127.0.0.1:3128\n  no_proxy: [localhost, 127.0.0.1]\n"
    )
    (gv / "k8s_cluster.yml").write_text("kube_version: v1.18.10\nkubelet_max_pods: 110\n")
    for g in range(groups):
        (gv / f"g{g:02d}.yml").write_text(
            f"group_index: {g}\nzone: z{g % 3}\nlabels:\n  tier: t{g % 5}\n  team: team{g}\n"
        )
    return inv


def best(fn, runs: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return min(times), result


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--hosts", type=int, default=5000)
    ap.add_argument("--groups", type=int, default=50)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--no-vars", action="store_true", help="skip the load+vars figure")
    args = ap.parse_args()

    import kubemagic

    # Ansible reads ./group_vars of the cwd too: run from an empty directory.
    with tempfile.TemporaryDirectory() as tmp, tempfile.TemporaryDirectory() as empty:
        os.chdir(empty)
        os.environ.setdefault("ANSIBLE_DEPRECATION_WARNINGS", "False")
        from ansible.inventory.manager import InventoryManager
        from ansible.parsing.dataloader import DataLoader
        from ansible.vars.manager import VariableManager

        inv_path = generate(Path(tmp), args.hosts, args.groups)
        src = str(inv_path)

        def ours_load():
            return kubemagic.Inventory.load([src])

        def ansible_load():
            return InventoryManager(loader=DataLoader(), sources=[src])

        try:
            ours_load()
        except kubemagic.InventoryError as e:
            if "not implemented" in str(e):
                print(f"bench_inventory: SKIPPED, inventory engine not in this build: {e}", file=sys.stderr)
                return 0
            raise

        t_ans, im = best(ansible_load, max(1, args.runs // 2))
        t_ours, inv = best(ours_load, args.runs)

        a_hosts = sorted(h.name for h in im.get_hosts("all"))
        o_hosts = sorted(inv.hosts("all"))
        if a_hosts != o_hosts:
            print(f"bench_inventory: host lists differ ({len(o_hosts)} vs {len(a_hosts)})", file=sys.stderr)
            return 1
        if set(im.groups) != set(inv.groups()):
            print("bench_inventory: group lists differ", file=sys.stderr)
            return 1

        print(f"python: Inventory.load of {len(o_hosts)} hosts, {args.groups} groups, {args.groups + 2} group_vars files")
        print(f"  kubemagic.Inventory.load      {t_ours * 1000:9.1f} ms")
        print(f"  ansible InventoryManager      {t_ans * 1000:9.1f} ms")
        print(f"  ratio                         {t_ans / t_ours:9.1f}x  (target >= 50x)")

        if not args.no_vars:
            def ours_vars():
                i = kubemagic.Inventory.load([src])
                return {h: i.host_vars(h) for h in i.hosts("all")}

            def ansible_vars():
                loader = DataLoader()
                m = InventoryManager(loader=loader, sources=[src])
                vm = VariableManager(loader=loader, inventory=m)
                return {h.name: vm.get_vars(host=h, include_hostvars=False, stage="all")
                        for h in m.get_hosts("all")}

            t_ov, ov = best(ours_vars, max(1, args.runs // 2))
            t_av, av = best(ansible_vars, 1)
            # Ansible's get_vars adds magic variables; ours are the inventory's.
            sample = o_hosts[len(o_hosts) // 2]
            mismatched = [k for k, v in ov[sample].items() if av[sample].get(k) != v]
            print(f"python: load + host_vars of every host")
            print(f"  kubemagic                     {t_ov * 1000:9.1f} ms")
            print(f"  ansible VariableManager       {t_av * 1000:9.1f} ms")
            print(f"  ratio                         {t_av / t_ov:9.1f}x"
                  + ("" if not mismatched else f"  (MISMATCH on {sample}: {mismatched})"))
            if mismatched:
                return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
