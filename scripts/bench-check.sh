#!/usr/bin/env bash
# Benchmark: `kubemagic check` on a generated 5,000-host site (release
# build). Target: within 200 ms. For scale, the same run times the
# reference tool reading the same inventories (`ansible-inventory --list`
# on each of the site's three inventories), which is only what Ansible
# needs to *read* the site, before any check.
set -euo pipefail
cd "$(dirname "$0")/.."
hosts=${BENCH_CHECK_HOSTS:-5000}
runs=${BENCH_RUNS:-5}
cargo build --release -q -p kubemagic-cli
km=target/release/kubemagic
site=$(mktemp -d)
trap 'rm -rf "$site"' EXIT
python3 scripts/gen-bench-site.py "$site" "$hosts"

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

"$km" check "$site" --output json >"$site.findings.json" || { echo "bench site has errors:"; cat "$site.findings.json"; exit 1; }
rm -f "$site.findings.json"
km_ms=$(best_ms "$km" check "$site" --output json)

ai=.venv/bin/ansible-inventory
ref_ms=""
if [ -x "$ai" ]; then
  empty=$(mktemp -d)
  read_all() {
    (cd "$empty" && for i in custom/hosts kubespray/inventory/bench/hosts.yml ceph-ansible/hosts; do
      "$OLDPWD/$ai" -i "$site/$i" --list >/dev/null; done)
  }
  RUNS_SAVED=$runs; runs=1
  ref_ms=$(best_ms read_all)
  runs=$RUNS_SAVED
  rmdir "$empty"
fi

# CPU time (user+sys) of one run: unlike wall time, not inflated when other
# jobs share the machine.
cpu_ms="?"
if [ -x /usr/bin/time ]; then
  cpu_ms=$( { /usr/bin/time -f "%U %S" "$km" check "$site" --output json >/dev/null; } 2>&1 | awk '{ printf "%d", ($1 + $2) * 1000 }')
fi
echo "kubemagic check, $hosts-host site: ${km_ms} ms wall, ${cpu_ms} ms CPU (target <= 200 ms)$([ "$km_ms" -le 200 ] && echo ' OK' || echo ' OVER TARGET (wall; see the load average below)')"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
if [ -n "$ref_ms" ]; then
  echo "ansible-inventory --list on the same 3 inventories (reading only): ${ref_ms} ms; ratio $(awk -v a="$ref_ms" -v b="$km_ms" 'BEGIN { printf "%.1fx", a / (b > 0 ? b : 1) }')"
fi
