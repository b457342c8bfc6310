#!/usr/bin/env bash
set -euo pipefail
echo "no benchmarks yet"

# kubemagic check on a generated 5,000-host site (issue 3).
scripts/bench-check.sh
kubemagic-py/bench/run.sh   # Python: Inventory.load vs ansible-core InventoryManager
