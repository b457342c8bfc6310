#!/usr/bin/env bash
# kubemagic ceph prepare against the hand-typed ceph/rbd commands, and the
# live model (five concurrent questions) against the same calls in a row, on
# a real Ceph started on loopback by the test harness (issue 6). Prints ratios.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test -q -p kubemagic-ceph --test real_ceph -- --ignored --nocapture bench_ 2>&1 \
  | grep -E '^ceph (prepare|live model)'
