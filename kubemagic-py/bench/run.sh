#!/usr/bin/env bash
# make bench, Python part: builds the kubemagic wheel in release mode into the
# venv, then times Inventory.load against ansible-core's InventoryManager.
#   KUBEMAGIC_VENV   venv to use (default: .venv at the repository root)
set -euo pipefail
cd "$(dirname "$0")/../.."
venv=${KUBEMAGIC_VENV:-$PWD/.venv}
wheels=${CARGO_TARGET_DIR:-$PWD/target}/wheels-py-release
rm -f "$wheels"/kubemagic-*.whl
"$venv/bin/maturin" build --release -m kubemagic-py/Cargo.toml -i "$venv/bin/python" -o "$wheels" >/dev/null
"$venv/bin/python" -m pip install -q --disable-pip-version-check --force-reinstall --no-deps "$wheels"/kubemagic-*.whl
"$venv/bin/python" kubemagic-py/bench/bench_inventory.py "$@"
