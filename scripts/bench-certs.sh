#!/usr/bin/env bash
# Benchmark (issue 24): `kubemagic certs check` on 2,000 certificate files
# (20 directories of a CA and 99 certificates it signed, expiries from 3 to
# 300 days, keys beside them) against the reference loop operators run,
# `openssl x509 -enddate -noout -in FILE` for each file, in the same run.
# Goal: >= 20x. kubemagic does more per file (it parses every field, checks
# each certificate's signature against the CA beside it and decides the
# findings), so the ratio is a floor.
set -euo pipefail
cd "$(dirname "$0")/.."
files=${BENCH_CERTS_FILES:-2000}
runs=${BENCH_RUNS:-5}
# KM=path/to/kubemagic measures a binary already built (a debug build is
# slower: the ratio it gives is a floor).
if [ -z "${KM:-}" ]; then
  cargo build --release -q -p kubemagic-cli
fi
km=${KM:-target/release/kubemagic}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# A CA and ten leaves of chosen expiries, made once with openssl; each
# directory gets the CA and copies of the leaves, so every file is a real
# certificate whose chain verifies.
gen="$work/gen"
mkdir -p "$gen"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
  -subj /CN=bench-ca -keyout "$gen/ca.key" -out "$gen/ca.crt" 2>/dev/null
days=(3 10 20 45 90 120 180 240 270 300)
for i in "${!days[@]}"; do
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -subj "/CN=bench-$i" -keyout "$gen/leaf$i.key" 2>/dev/null |
    openssl x509 -req -CA "$gen/ca.crt" -CAkey "$gen/ca.key" -CAcreateserial \
      -days "${days[$i]}" -out "$gen/leaf$i.crt" 2>/dev/null
done
tree="$work/tree"
per_dir=100
dirs=$(( (files + per_dir - 1) / per_dir ))
n=0
for d in $(seq -w 1 "$dirs"); do
  mkdir -p "$tree/d$d"
  cp "$gen/ca.crt" "$tree/d$d/ca.crt"; cp "$gen/ca.key" "$tree/d$d/ca.key"; n=$((n + 1))
  for j in $(seq 1 $((per_dir - 1))); do
    [ "$n" -ge "$files" ] && break
    i=$((j % 10))
    cp "$gen/leaf$i.crt" "$tree/d$d/c$j.crt"; cp "$gen/leaf$i.key" "$tree/d$d/c$j.key"
    n=$((n + 1))
  done
done
count=$(find "$tree" -name '*.crt' | wc -l)

# Best of N wall-clock times, in milliseconds.
best_ms() {
  local best=""
  for _ in $(seq "$runs"); do
    local t0 t1 ms
    t0=$(date +%s%N)
    "$@" >/dev/null 2>&1 || true
    t1=$(date +%s%N)
    ms=$(( (t1 - t0) / 1000000 ))
    if [ -z "$best" ] || [ "$ms" -lt "$best" ]; then best=$ms; fi
  done
  echo "$best"
}

read_all() {
  find "$tree" -name '*.crt' -print0 | while IFS= read -r -d '' f; do
    openssl x509 -enddate -noout -in "$f"
  done
}

seen=$("$km" -o json certs check "$tree" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["certificates"]))' || true)
[ "$seen" = "$count" ] || { echo "bench: kubemagic read $seen certificates of $count"; exit 1; }
km_ms=$(best_ms "$km" -o json certs check "$tree")
RUNS_SAVED=$runs; runs=1
ref_ms=$(best_ms read_all)
runs=$RUNS_SAVED
cpu_ms="?"
if [ -x /usr/bin/time ]; then
  # (exit 1 is expected: the 3-day certificates are error findings)
  cpu_ms=$( { /usr/bin/time -f "%U %S" "$km" -o json certs check "$tree" >/dev/null || true; } 2>&1 | tail -1 | awk '{ printf "%d", ($1 + $2) * 1000 }')
fi
echo "kubemagic certs check, $count certificate files: ${km_ms} ms wall, ${cpu_ms} ms CPU"
echo "openssl x509 -enddate loop on the same files: ${ref_ms} ms; ratio $(awk -v a="$ref_ms" -v b="$km_ms" 'BEGIN { printf "%.1fx", a / (b > 0 ? b : 1) }') (goal >= 20x)"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
