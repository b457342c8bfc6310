"""The kubemagic.core collection passes `ansible-test sanity` (every test
that runs without containers or network beyond the package registries) and
`ansible-lint --profile production`.

ansible-test needs the collection under .../ansible_collections/NS/NAME,
which is where it lives (kubemagic-py/ansible_collections/kubemagic/core),
and bootstraps pip in its per-test virtualenvs with a script from a host
outside the registries: ansible_test_offline puts a stand-in in its cache
first (see that module)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ansible_test_offline import install_get_pip_stand_in
from conftest import BIN, PY_ROOT, ansible_env

COLLECTION = PY_ROOT / "ansible_collections" / "kubemagic" / "core"


def run(argv: list[str], timeout: int) -> subprocess.CompletedProcess[str]:
    start = time.monotonic()
    proc = subprocess.run(
        argv, cwd=COLLECTION, stdin=subprocess.DEVNULL, capture_output=True, text=True,
        timeout=timeout, env=ansible_env(ANSIBLE_COLLECTIONS_PATH=str(PY_ROOT)),
    )
    print(f"{' '.join(argv[:3])}: {time.monotonic() - start:.1f}s")
    return proc


def test_ansible_test_sanity_passes() -> None:
    install_get_pip_stand_in(sys.executable)
    py = f"{sys.version_info.major}.{sys.version_info.minor}"
    # Every sanity test that runs locally. The first run creates one venv per
    # test from PyPI (about 1 min); later runs reuse them (~20 s).
    proc = run([str(BIN / "ansible-test"), "sanity", "--local", "--python", py, "--color", "no"],
               timeout=900)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert "ERROR" not in proc.stdout, out


def test_ansible_lint_production_profile_passes() -> None:
    lint = BIN / "ansible-lint"
    if not lint.exists():
        pytest.fail(f"{lint} missing (scripts/deps.sh test installs ansible-lint)")
    # --offline: no galaxy/schema downloads; the collection's own files only.
    proc = run([str(lint), "--offline", "--profile", "production", "--nocolor"], timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_ignore_entries_carry_their_reason() -> None:
    for ignore in (COLLECTION / "tests" / "sanity").glob("ignore-*.txt"):
        for n, line in enumerate(ignore.read_text().splitlines(), start=1):
            assert " # " in line, f"{ignore}:{n}: ignore entry without a reason: {line}"


def test_site_check_return_values_are_each_a_documented_key() -> None:
    """Unquoted `, ` in flow-style descriptions once split them into extra
    keys, shown by ansible-doc as `...: null`."""
    import json

    from conftest import run_tool

    doc = json.loads(run_tool("ansible-doc", "--json", "kubemagic.core.site_check").stdout)
    contains = doc["kubemagic.core.site_check"]["return"]["findings"]["contains"]
    assert set(contains) == {"code", "severity", "message", "file", "line", "host", "group", "variable"}
    for name, entry in contains.items():
        assert isinstance(entry, dict) and set(entry) >= {"description", "type"}, (name, entry)
        assert None not in entry.values(), (name, entry)
