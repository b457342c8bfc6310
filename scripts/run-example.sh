#!/usr/bin/env bash
# `make run`: what kubemagic does on the bundled example site.
set -euo pipefail
km=$1
site=$2
echo "== inventories of $site"
find "$site" -name hosts -o -name hosts.yml -o -name inventory.ini | sort | while read -r inv; do
  echo "-- $inv"
  "$km" inventory graph -i "$inv"
done
