#!/usr/bin/env bash
# `make run`: what kubemagic does on the bundled example site.
#   scripts/run-example.sh KUBEMAGIC_BINARY SITE
# Runs `kubemagic check SITE` (exit 1 on errors, which fails `make run`),
# then `kubemagic plan SITE` when the binary has that subcommand.
set -euo pipefail
km=${1:-target/debug/kubemagic}
site=${2:-examples/utgb}

echo "== kubemagic check $site"
"$km" check "$site"

if "$km" plan --help >/dev/null 2>&1; then
  echo
  echo "== kubemagic plan $site"
  "$km" plan "$site"
fi
