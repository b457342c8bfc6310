#!/usr/bin/env bash
# make bench: each benchmark runs kubemagic and the reference tool in the
# same run and prints both times and the ratio. Loopback only.
set -euo pipefail
cd "$(dirname "$0")/.."

# Inventory engine against ansible-inventory (issue 2).
scripts/bench-inventory.sh
# kubemagic check on a generated 5,000-host site (issue 3).
scripts/bench-check.sh
# NOSPACE recovery and status against etcdctl (issue 5).
scripts/bench-etcd.sh
# prepare against the hand-typed ceph commands (issue 6).
scripts/bench-ceph.sh
# Python: Inventory.load against ansible-core's InventoryManager (issue 7).
kubemagic-py/bench/run.sh
# API load balancer failover through the VIP (issue 13).
scripts/bench-lb.sh
