#!/usr/bin/env bash
set -euo pipefail
echo "no benchmarks yet"
kubemagic-py/bench/run.sh   # Python: Inventory.load vs ansible-core InventoryManager
