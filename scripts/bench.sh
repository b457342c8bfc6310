#!/usr/bin/env bash
set -euo pipefail

# Inventory engine against ansible-inventory (issue 2).
scripts/bench-inventory.sh

# kubemagic check on a generated 5,000-host site (issue 3).
scripts/bench-check.sh
echo "no benchmarks yet"
scripts/bench-etcd.sh
scripts/bench-ceph.sh
kubemagic-py/bench/run.sh   # Python: Inventory.load vs ansible-core InventoryManager
