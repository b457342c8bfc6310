#!/usr/bin/env bash
# Benchmarks `kubemagic etcd` against etcdctl on real etcd clusters (3.4, or
# the $ETCD/$ETCDCTL given: make bench runs it on 3.5 too) on
# loopback (127.0.0.1 only), in the same run:
#   1. the seed's NOSPACE incident (3 members, one with a 20 MiB quota)
#      recovered by `kubemagic etcd recover` and by the manual etcdctl
#      sequence (compact, defrag x3, alarm disarm); target ratio <= 1.2;
#   2. status of a 5-member cluster against 5 sequential
#      `etcdctl endpoint status` calls;
#   3. `kubemagic etcd status --output nagios` (one bootstrap endpoint: member
#      list, then every member) against `etcdctl endpoint status` on every
#      endpoint plus `etcdctl alarm list`, on 3 members.
set -euo pipefail
cd "$(dirname "$0")/.."

ETCD=${ETCD:-/usr/bin/etcd}
ETCDCTL=${ETCDCTL:-etcdctl}
export ETCDCTL_API=3
target=${CARGO_TARGET_DIR:-target}
if [ -z "${KM:-}" ]; then
  cargo build -q --release -p kubemagic-cli
  KM="$target/release/kubemagic"
fi

work=$(mktemp -d)
pids=()
cleanup() {
  stop_cluster
  rm -rf "$work"
}
trap cleanup EXIT

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }

# free_ports N: N free loopback ports, one per line.
free_ports() {
  python3 - "$1" <<'PY'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); socks.append(s)
print("\n".join(str(s.getsockname()[1]) for s in socks))
PY
}

# start_cluster NAME N SMALL_QUOTA_INDEX: sets ENDPOINTS (comma-separated)
# and EPS (array); member SMALL_QUOTA_INDEX (or none if -1) gets 20 MiB.
start_cluster() {
  local name=$1 n=$2 small=$3
  mapfile -t ports < <(free_ports $((2 * n)))
  local initial="" i
  for ((i = 0; i < n; i++)); do
    initial+="${initial:+,}m$i=http://127.0.0.1:${ports[$((2 * i + 1))]}"
  done
  EPS=()
  for ((i = 0; i < n; i++)); do
    local c=${ports[$((2 * i))]} p=${ports[$((2 * i + 1))]} quota=()
    [ "$i" = "$small" ] && quota=(--quota-backend-bytes 20971520)
    "$ETCD" --name "m$i" --data-dir "$work/$name/m$i" \
      --listen-client-urls "http://127.0.0.1:$c" --advertise-client-urls "http://127.0.0.1:$c" \
      --listen-peer-urls "http://127.0.0.1:$p" --initial-advertise-peer-urls "http://127.0.0.1:$p" \
      --initial-cluster "$initial" --initial-cluster-state new --initial-cluster-token "$name-$$" \
      "${quota[@]}" \
      >"$work/$name-m$i.log" 2>&1 &
    pids+=($!)
    disown $!  # killed by stop_cluster; no job-status noise
    EPS+=("http://127.0.0.1:$c")
  done
  ENDPOINTS=$(IFS=,; echo "${EPS[*]}")
  for _ in $(seq 1 200); do
    "$ETCDCTL" --endpoints="$ENDPOINTS" endpoint health >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "bench-etcd: cluster $name did not become healthy" >&2
  exit 1
}

stop_cluster() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  # Wait for the members to be gone so that the next cluster has the CPU.
  for p in "${pids[@]}"; do while kill -0 "$p" 2>/dev/null; do sleep 0.05; done; done
  pids=()
}

# Rewrites ten keys with 100 KB values until etcd refuses (NOSPACE).
fill_until_nospace() {
  head -c 102400 /dev/zero | tr '\0' x >"$work/value"
  local i
  for i in $(seq 1 400); do
    if ! "$ETCDCTL" --endpoints="${EPS[0]}" put "/registry/configmaps/default/cm-$((i % 10))" <"$work/value" >/dev/null 2>"$work/put.err"; then
      grep -q "database space exceeded" "$work/put.err" || { cat "$work/put.err" >&2; exit 1; }
      echo "  NOSPACE after $i writes"
      return 0
    fi
  done
  echo "bench-etcd: no NOSPACE after 400 writes" >&2
  exit 1
}

check_recovered() {
  [ -z "$("$ETCDCTL" --endpoints="$ENDPOINTS" alarm list)" ] || { echo "bench-etcd: alarm left" >&2; exit 1; }
  "$ETCDCTL" --endpoints="$ENDPOINTS" put /bench/after ok >/dev/null
}

echo "== etcd NOSPACE incident: kubemagic etcd recover vs etcdctl (compact, defrag x3, disarm)"
start_cluster km 3 2
fill_until_nospace
t0=$(now)
"$KM" etcd recover --endpoints "$ENDPOINTS" >"$work/recover.out" 2>&1 || { cat "$work/recover.out"; exit 1; }
[ -z "${BENCH_VERBOSE:-}" ] || cat "$work/recover.out"
t1=$(now)
check_recovered
km_recover=$(elapsed "$t0" "$t1")
[ -z "${BENCH_VERBOSE:-}" ] || "$KM" etcd status --endpoints "$ENDPOINTS" || true
stop_cluster

start_cluster ctl 3 2
fill_until_nospace
t0=$(now)
rev=$("$ETCDCTL" --endpoints="${EPS[0]}" endpoint status --write-out=json | grep -o '"revision":[0-9]*' | head -1 | grep -o '[0-9]*$')
"$ETCDCTL" --endpoints="${EPS[0]}" compact "$rev" >/dev/null
for e in "${EPS[@]}"; do "$ETCDCTL" --endpoints="$e" defrag >/dev/null; done
"$ETCDCTL" --endpoints="$ENDPOINTS" alarm disarm >/dev/null
t1=$(now)
check_recovered
ctl_recover=$(elapsed "$t0" "$t1")
stop_cluster
printf "  kubemagic etcd recover: %ss   etcdctl sequence: %ss   ratio %s (target <= 1.2)\n" \
  "$km_recover" "$ctl_recover" "$(awk -v a="$km_recover" -v b="$ctl_recover" 'BEGIN { printf "%.2f", a / b }')"

echo "== etcd status of a 5-member cluster: kubemagic etcd status vs 5 sequential etcdctl endpoint status"
start_cluster five 5 -1
runs=10
t0=$(now)
for _ in $(seq 1 $runs); do "$KM" etcd status --endpoints "$ENDPOINTS" >/dev/null; done
t1=$(now)
for _ in $(seq 1 $runs); do
  for e in "${EPS[@]}"; do "$ETCDCTL" --endpoints="$e" endpoint status >/dev/null; done
done
t2=$(now)
km_status=$(awk -v a="$(elapsed "$t0" "$t1")" -v n=$runs 'BEGIN { printf "%.4f", a / n }')
ctl_status=$(awk -v a="$(elapsed "$t1" "$t2")" -v n=$runs 'BEGIN { printf "%.4f", a / n }')
stop_cluster
printf "  kubemagic etcd status: %ss   5 x etcdctl endpoint status: %ss   ratio %s (kubemagic also reads /metrics, alarms, member list)\n" \
  "$km_status" "$ctl_status" "$(awk -v a="$km_status" -v b="$ctl_status" 'BEGIN { printf "%.2f", a / b }')"

echo "== etcd status --output nagios (3 members, one endpoint given) vs etcdctl endpoint status + alarm list"
start_cluster ng 3 -1
runs=10
t0=$(now)
for _ in $(seq 1 $runs); do
  rc=0; "$KM" etcd status --output nagios --endpoints "${EPS[0]}" >/dev/null || rc=$?
  [ "$rc" -le 1 ] || { echo "bench-etcd: nagios check exited $rc" >&2; exit 1; }
done
t1=$(now)
for _ in $(seq 1 $runs); do
  "$ETCDCTL" --endpoints="$ENDPOINTS" endpoint status >/dev/null
  "$ETCDCTL" --endpoints="$ENDPOINTS" alarm list >/dev/null
done
t2=$(now)
km_ng=$(awk -v a="$(elapsed "$t0" "$t1")" -v n=$runs 'BEGIN { printf "%.4f", a / n }')
ctl_ng=$(awk -v a="$(elapsed "$t1" "$t2")" -v n=$runs 'BEGIN { printf "%.4f", a / n }')
stop_cluster
printf "  kubemagic etcd status --output nagios: %ss   etcdctl endpoint status + alarm list: %ss   ratio %s\n" \
  "$km_ng" "$ctl_ng" "$(awk -v a="$km_ng" -v b="$ctl_ng" 'BEGIN { printf "%.2f", a / b }')"
