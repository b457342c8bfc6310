#!/usr/bin/env bash
# Benchmarks etcd disaster recovery (issue 23) against the documented
# etcdctl/etcdutl sequence on real etcd (3.4, or the $ETCD/$ETCDCTL given)
# on loopback, in the same run: from "quorum lost" (every member of a
# 3-member cluster gone) to "cluster writable" (a put succeeds):
#   kubemagic etcd restore on each member (snapshot verified, data dir
#   checked, the release's own tool) then etcd started with the printed env,
#   against `etcdctl snapshot restore` (3.4) / `etcdutl snapshot restore`
#   (3.5) on each member then etcd started with the same flags.
set -euo pipefail
cd "$(dirname "$0")/.."

ETCD=${ETCD:-/usr/bin/etcd}
ETCDCTL=${ETCDCTL:-etcdctl}
export ETCDCTL_API=3
bindir=$(dirname "$(command -v "$ETCDCTL")")
target=${CARGO_TARGET_DIR:-target}
if [ -z "${KM:-}" ]; then
  cargo build -q --release -p kubemagic-cli
  KM="$target/release/kubemagic"
fi

work=$(mktemp -d)
pids=()
stop_all() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do while kill -0 "$p" 2>/dev/null; do sleep 0.05; done; done
  pids=()
}
cleanup() {
  stop_all
  rm -rf "$work"
}
trap cleanup EXIT

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }

mapfile -t ports < <(python3 - <<'PY'
import socket
socks = []
for _ in range(6):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); socks.append(s)
print("\n".join(str(s.getsockname()[1]) for s in socks))
PY
)
initial=""
for i in 0 1 2; do initial+="${initial:+,}m$i=http://127.0.0.1:${ports[$((2 * i + 1))]}"; done
EPS=(); for i in 0 1 2; do EPS+=("http://127.0.0.1:${ports[$((2 * i))]}"); done
ENDPOINTS=$(IFS=,; echo "${EPS[*]}")

# start DIR STATE TOKEN: the three members on their data dirs under DIR.
start() {
  local dir=$1 state=$2 token=$3 i
  for i in 0 1 2; do
    local c=${ports[$((2 * i))]} p=${ports[$((2 * i + 1))]}
    "$ETCD" --name "m$i" --data-dir "$dir/m$i" \
      --listen-client-urls "http://127.0.0.1:$c" --advertise-client-urls "http://127.0.0.1:$c" \
      --listen-peer-urls "http://127.0.0.1:$p" --initial-advertise-peer-urls "http://127.0.0.1:$p" \
      --initial-cluster "$initial" --initial-cluster-state "$state" --initial-cluster-token "$token" \
      >>"$work/etcd-m$i.log" 2>&1 &
    pids+=($!)
    disown $!
  done
}

# Waits until a write succeeds.
writable() {
  for _ in $(seq 1 400); do
    "$ETCDCTL" --endpoints="$ENDPOINTS" --dial-timeout=1s put /bench/after ok >/dev/null 2>&1 && return 0
    sleep 0.05
  done
  echo "bench-etcd-dr: cluster never became writable" >&2
  exit 1
}

echo "== etcd quorum lost -> writable: kubemagic etcd restore x3 vs $(basename "$ETCDCTL") sequence"
start "$work/orig" new "orig-$$"
writable
for i in $(seq 1 200); do "$ETCDCTL" --endpoints="${EPS[0]}" put "/registry/k/$i" "v$i" >/dev/null; done
"$ETCDCTL" --endpoints="${EPS[0]}" snapshot save "$work/snap.db" >/dev/null 2>&1
stop_all

tool=("$ETCDCTL")
[ -x "$bindir/etcdutl" ] && tool=("$bindir/etcdutl")

# One round each, alternating; election timing varies by a second from one
# start to the next, so the sums over several rounds are compared.
rounds=${BENCH_ROUNDS:-5}
km=0
ctl=0
for r in $(seq 1 "$rounds"); do
  rm -rf "$work/km" "$work/ctl"
  t0=$(now)
  for i in 0 1 2; do
    "$KM" etcd restore --snapshot "$work/snap.db" --name "m$i" --initial-cluster "$initial" \
      --initial-advertise-peer-urls "http://127.0.0.1:${ports[$((2 * i + 1))]}" \
      --data-dir "$work/km/m$i" --bin-dir "$bindir" >"$work/km-$i.out" 2>&1 || { cat "$work/km-$i.out"; exit 1; }
  done
  start "$work/km" new ignored
  writable
  t1=$(now)
  km=$(awk -v a="$km" -v b="$(elapsed "$t0" "$t1")" 'BEGIN { printf "%.3f", a + b }')
  [ "$("$ETCDCTL" --endpoints="$ENDPOINTS" get /registry/k/ --prefix --keys-only | grep -c /registry/k/)" = 200 ] \
    || { echo "bench-etcd-dr: keys missing after kubemagic restore" >&2; exit 1; }
  stop_all

  t0=$(now)
  for i in 0 1 2; do
    "${tool[@]}" snapshot restore "$work/snap.db" --name "m$i" --initial-cluster "$initial" \
      --initial-cluster-token "restored-$$" \
      --initial-advertise-peer-urls "http://127.0.0.1:${ports[$((2 * i + 1))]}" \
      --data-dir "$work/ctl/m$i" >/dev/null 2>&1
  done
  start "$work/ctl" new ignored
  writable
  t1=$(now)
  ctl=$(awk -v a="$ctl" -v b="$(elapsed "$t0" "$t1")" 'BEGIN { printf "%.3f", a + b }')
  stop_all
done
per() { awk -v a="$1" -v n="$rounds" 'BEGIN { printf "%.3f", a / n }'; }
printf "  kubemagic etcd restore x3 + start: %ss   %s snapshot restore x3 + start: %ss   ratio %s (mean of %s rounds)\n" \
  "$(per "$km")" "$(basename "${tool[0]}")" "$(per "$ctl")" "$(awk -v a="$km" -v b="$ctl" 'BEGIN { printf "%.2f", a / b }')" "$rounds"
