#!/usr/bin/env bash
set -euo pipefail
echo "no benchmarks yet"
scripts/bench-ceph.sh
