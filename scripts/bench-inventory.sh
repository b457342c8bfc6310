#!/usr/bin/env bash
# Inventory benchmark (issue 2): `kubemagic inventory list` (release build)
# against `ansible-inventory --list` on the same generated inventory, in the
# same run; outputs checked identical (parsed JSON), timings and ratios printed.
#   5,000 hosts in 50 groups with 52 group_vars files: target >= 100x faster
#   50,000 hosts: target <= 12x the 5,000-host time
#   a chain of nested children 1k/2k/4k/8k levels deep (issue 15): target
#   <= 2.5x per doubling (near-linear; it was cubic, 14.7 s at 8k)
#   a dense group graph (group i has every earlier group as a child, 200
#   groups; issue 22): kubemagic beside ansible-inventory, byte-identical
#   a range of 1,000,000 hosts: a FILE:LINE error, not gigabytes
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PY="$ROOT/.venv/bin/python"
ANSIBLE_INVENTORY="$ROOT/.venv/bin/ansible-inventory"
KM="$ROOT/target/release/kubemagic"
RUNS="${BENCH_RUNS:-5}"

(cd "$ROOT" && cargo build --release -q -p kubemagic-cli)

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/cwd"   # ansible-inventory runs from an empty directory

gen() { # gen DIR HOSTS_PER_GROUP
  "$PY" - "$1" "$2" <<'PYEOF'
import os, sys
d, per = sys.argv[1], int(sys.argv[2])
os.makedirs(os.path.join(d, "group_vars"), exist_ok=True)
groups = ["g%02d" % i for i in range(50)]
n = 0
with open(os.path.join(d, "hosts"), "w") as f:
    for gi, g in enumerate(groups):
        f.write("[%s]\n" % g)
        for i in range(per):
            n += 1
            f.write("node%06d ansible_host=127.%d.%d.%d node_index=%d rack=r%d\n"
                    % (n, (n >> 16) & 255, (n >> 8) & 255, n & 255, n, i % 8))
        f.write("\n[%s:vars]\ngroup_index=%d\nrole=%s\n\n" % (g, gi, "control" if gi < 3 else "worker"))
    f.write("[cluster:children]\n" + "\n".join(groups) + "\n")
    f.write("\n[all:vars]\nansible_user=deploy\n")
def vars_file(name, i):
    return ("# group_vars for %s\n%s_setting: %d\nshared_key: from_%s\nenabled: %s\n"
            "ports: [%d, %d]\nlimits:\n  cpu: %d\n  memory: \"%dMi\"\nlabels:\n  tier: t%d\n  name: %s\n"
            % (name, name, i, name, "yes" if i % 2 else "no", 8000 + i, 9000 + i, i % 7 + 1, 128 * (i + 1), i % 3, name))
with open(os.path.join(d, "group_vars", "all.yml"), "w") as f:
    f.write(vars_file("all", 100) + "etcd_quota_backend_bytes: 2147483648\n")
with open(os.path.join(d, "group_vars", "cluster.yml"), "w") as f:
    f.write(vars_file("cluster", 101))
for i, g in enumerate(groups):
    with open(os.path.join(d, "group_vars", g + ".yml"), "w") as f:
        f.write(vars_file(g, i))
PYEOF
}

# best_of OUT RUNS CMD...: runs CMD (stdout to OUT) RUNS times from the empty
# cwd; prints "WALL CPU" (seconds, best of the runs; CPU = user + sys of the
# child). The machine is shared, so CPU time is the steadier figure.
best_of() {
  local out="$1" runs="$2"; shift 2
  "$PY" - "$out" "$runs" "$WORK/cwd" "$@" <<'PYEOF'
import os, resource, subprocess, sys, time
out, runs, cwd, cmd = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4:]
best_wall = best_cpu = None
for _ in range(runs):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    with open(out, "wb") as f:
        subprocess.run(cmd, stdout=f, cwd=cwd, check=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    best_wall = wall if best_wall is None else min(best_wall, wall)
    best_cpu = cpu if best_cpu is None else min(best_cpu, cpu)
print("%.6f %.6f" % (best_wall, best_cpu))
PYEOF
}

same_json() {
  "$PY" -c 'import json,sys; a=json.load(open(sys.argv[1])); b=json.load(open(sys.argv[2])); sys.exit(0 if a==b else 1)' "$1" "$2"
}

echo "== inventory: generating 5,000 hosts / 50 groups / 52 group_vars files"
gen "$WORK/inv5k" 100
echo "== inventory: 50,000 hosts / 50 groups / 52 group_vars files"
gen "$WORK/inv50k" 1000

read -r w_ans c_ans < <(best_of "$WORK/ans5k.json" 1 "$ANSIBLE_INVENTORY" -i "$WORK/inv5k/hosts" --list)
read -r w_km5 c_km5 < <(best_of "$WORK/km5k.json" "$RUNS" "$KM" inventory list -i "$WORK/inv5k/hosts")
if same_json "$WORK/ans5k.json" "$WORK/km5k.json"; then same=identical; else same=DIFFERENT; fi
if cmp -s "$WORK/ans5k.json" "$WORK/km5k.json"; then bytes="byte-identical"; else bytes="not byte-identical"; fi
read -r w_km50 c_km50 < <(best_of "$WORK/km50k.json" "$RUNS" "$KM" inventory list -i "$WORK/inv50k/hosts")

ratio() { "$PY" -c "import sys; print(float(sys.argv[1]) / float(sys.argv[2]))" "$1" "$2"; }
printf '%-40s %10s %10s\n' "" "wall (s)" "cpu (s)"
printf '%-40s %10.4f %10.4f\n' "ansible-inventory --list, 5k hosts" "$w_ans" "$c_ans"
printf '%-40s %10.4f %10.4f   (best of %s)\n' "kubemagic inventory list, 5k hosts" "$w_km5" "$c_km5" "$RUNS"
printf '%-40s %10.4f %10.4f   (best of %s)\n' "kubemagic inventory list, 50k hosts" "$w_km50" "$c_km50" "$RUNS"
printf 'outputs (5k): %s JSON, %s\n' "$same" "$bytes"
printf 'speed-up vs ansible-inventory (5k): %.0fx wall, %.0fx cpu (target >= 100x)\n' "$(ratio "$w_ans" "$w_km5")" "$(ratio "$c_ans" "$c_km5")"
printf 'scaling 50k/5k: %.1fx wall, %.1fx cpu (target <= 12x)\n' "$(ratio "$w_km50" "$w_km5")" "$(ratio "$c_km50" "$c_km5")"
[ "$same" = identical ] || { echo "inventory bench: outputs differ" >&2; exit 1; }

echo "== inventory: nested children chains ([g0:children] g1, [g1:children] g2, ...)"
chain() { # chain FILE LEVELS
  "$PY" - "$1" "$2" <<'PYEOF'
import sys
path, n = sys.argv[1], int(sys.argv[2])
with open(path, "w") as f:
    f.write("[g0]\nh0\n\n")
    for i in range(n):
        f.write("[g%d:children]\ng%d\n\n" % (i, i + 1))
    f.write("[g%d]\nhlast\n" % n)
PYEOF
}
prev=""
ratios=()
for n in 1000 2000 4000 8000; do
  chain "$WORK/chain$n" "$n"
  read -r w c < <(best_of "$WORK/chain$n.json" 3 "$KM" inventory list -i "$WORK/chain$n")
  if [ -n "$prev" ]; then
    r="$(ratio "$w" "$prev")"
    ratios+=("$r")
    printf 'chain %5d levels: %8.4f s wall  (%.2fx the half)\n' "$n" "$w" "$r"
  else
    printf 'chain %5d levels: %8.4f s wall\n' "$n" "$w"
  fi
  prev="$w"
done
worst="$("$PY" -c 'import sys; print(max(float(x) for x in sys.argv[1:]))' "${ratios[@]}")"
printf 'chain growth per doubling: worst %.2fx (target <= 2.5x)\n' "$worst"

echo "== inventory: dense group graph (group i has every earlier group as a child; issue 22)"
dense() { # dense FILE GROUPS
  "$PY" - "$1" "$2" <<'PYEOF'
import sys
path, n = sys.argv[1], int(sys.argv[2])
with open(path, "w") as f:
    f.write("[g0]\nh0\n\n")
    for i in range(1, n):
        f.write("[g%d]\nh%d\n\n[g%d:vars]\nlevel=%d\n\n" % (i, i, i, i))
        f.write("[g%d:children]\n%s\n" % (i, "".join("g%d\n" % j for j in range(i))))
PYEOF
}
dense "$WORK/dense200" 200
read -r w_dans c_dans < <(best_of "$WORK/dense200.ans.json" 1 "$ANSIBLE_INVENTORY" -i "$WORK/dense200" --list)
read -r w_dkm c_dkm < <(best_of "$WORK/dense200.km.json" "$RUNS" "$KM" inventory list -i "$WORK/dense200")
if cmp -s "$WORK/dense200.ans.json" "$WORK/dense200.km.json"; then dbytes="byte-identical"; else dbytes="DIFFERENT"; fi
printf '%-40s %10.4f %10.4f\n' "ansible-inventory --list, dense 200" "$w_dans" "$c_dans"
printf '%-40s %10.4f %10.4f   (best of %s)\n' "kubemagic inventory list, dense 200" "$w_dkm" "$c_dkm" "$RUNS"
printf 'dense 200 groups: %s; kubemagic %.0fx faster wall, %.0fx cpu\n' "$dbytes" "$(ratio "$w_dans" "$w_dkm")" "$(ratio "$c_dans" "$c_dkm")"
[ "$dbytes" = byte-identical ] || { echo "dense bench: outputs differ" >&2; exit 1; }
dense "$WORK/dense400" 400
read -r w_d4 c_d4 < <(best_of "$WORK/dense400.km.json" "$RUNS" "$KM" inventory list -i "$WORK/dense400")
printf 'dense 400 groups (4x the edges): %.4f s wall, %.1fx the 200-group time\n' "$w_d4" "$(ratio "$w_d4" "$w_dkm")"

echo "== inventory: one range of 1,000,000 hosts"
printf '[g]\nh[0:999999]\n' > "$WORK/bigrange"
if "$KM" inventory list -i "$WORK/bigrange" >/dev/null 2>"$WORK/bigrange.err"; then
  echo "big range: loaded (expected an error above the cap)" >&2; exit 1
fi
printf 'big range refused: %s\n' "$(head -1 "$WORK/bigrange.err")"
