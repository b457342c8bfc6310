#!/usr/bin/env bash
# Python-side tests: builds the kubemagic wheel (maturin, dev profile: CI
# wants a fast build, not a fast module), installs it into the venv, then runs
# pytest on kubemagic-py/tests: the module against the real ansible-inventory,
# and the kubemagic.core collection with the real ansible-doc/ansible-playbook/
# ansible-inventory, `ansible-test sanity --local` and `ansible-lint --profile
# production` on the collection, `mypy --strict` on the README's Python
# examples and the package.
#   KUBEMAGIC_VENV         venv to use (default: .venv at the repository root)
#   KUBEMAGIC_WHEEL_TEST=1 also run `make wheel` (release build with zig,
#                          minutes) and check its tag with auditwheel
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
venv=${KUBEMAGIC_VENV:-$root/.venv}
py=$venv/bin/python
if [ ! -x "$py" ] || [ ! -x "$venv/bin/maturin" ]; then
  echo "test-python: no venv with maturin at $venv (run scripts/deps.sh test, or set KUBEMAGIC_VENV)" >&2
  exit 2
fi

wheels=${CARGO_TARGET_DIR:-$root/target}/wheels-py
rm -f "$wheels"/kubemagic-*.whl
"$venv/bin/maturin" build --profile dev -m kubemagic-py/Cargo.toml -i "$py" -o "$wheels"
"$py" -m pip install -q --disable-pip-version-check --force-reinstall --no-deps "$wheels"/kubemagic-*.whl

# -p no:cacheprovider: leave no .pytest_cache in the source tree.
"$py" -m pytest -q -p no:cacheprovider kubemagic-py/tests "$@"
