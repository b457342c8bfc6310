#!/usr/bin/env bash
# kubemagic ceph prepare against the hand-typed ceph/rbd commands, the
# live model (five concurrent questions) against the same calls in a row,
# and `ceph doctor` against the same ceph/rbd calls typed one after another,
# on a real Ceph started on loopback by the test harness (issues 6, 26).
# Prints ratios.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test -q -p kubemagic-ceph --test real_ceph -- --ignored --nocapture bench_ 2>&1 \
  | grep -E '^ceph (prepare|live model)'
cargo test -q -p kubemagic-ceph --test doctor_ceph -- --ignored --nocapture bench_ 2>&1 \
  | grep -E '^ceph doctor'
