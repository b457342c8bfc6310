#!/usr/bin/env bash
# kubemagic ceph prepare against the hand-typed ceph/rbd commands, on a real
# Ceph started on loopback by the test harness (issue 6). Prints ratios.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test -q -p kubemagic-ceph --test real_ceph -- --ignored --nocapture bench_prepare_against_manual_commands 2>&1 \
  | grep -E '^ceph prepare'
