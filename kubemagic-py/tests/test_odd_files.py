"""Odd files and odd values from Python (issue 22, item 3): a deeply nested
group_vars file, a FIFO in group_vars and a value that contains itself
raise kubemagic's errors; none of them kills the interpreter."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import kubemagic
from conftest import REPO
from kubemagic import _kubemagic

UTGB = REPO / "examples" / "utgb"


def nested(depth: int) -> str:
    lines = ["deep:"]
    for i in range(1, depth):
        lines.append("  " * i + f"k{i}:")
    lines.append("  " * depth + "leaf: v")
    return "\n".join(lines) + "\n"


@pytest.fixture
def site(tmp_path: Path) -> Path:
    if not UTGB.is_dir():
        pytest.skip("examples/utgb not in this tree")
    dest = tmp_path / "site"
    shutil.copytree(UTGB, dest)
    return dest


def test_two_hundred_nested_mappings_raise_inventory_error_not_a_crash(site: Path) -> None:
    gv = site / "custom" / "group_vars" / "all.yml"
    gv.write_text(gv.read_text() + nested(200))
    # In a child interpreter: a stack overflow there (exit 139 before the
    # fix) fails this test instead of killing pytest.
    code = (
        "import sys, kubemagic\n"
        "try:\n"
        "    kubemagic.check(sys.argv[1])\n"
        "except kubemagic.InventoryError as e:\n"
        "    print('ERR', e.file, e.line, e)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(site)], capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("ERR "), out.stdout + out.stderr
    assert "group_vars/all.yml" in out.stdout and "nested more than 128" in out.stdout


def test_a_fifo_in_group_vars_raises_naming_it(site: Path) -> None:
    fifo = site / "custom" / "group_vars" / "lb.yml"
    fifo.unlink()
    os.mkfifo(fifo)
    with pytest.raises(kubemagic.Error) as info:
        kubemagic.check(site)
    assert "lb.yml" in str(info.value) and "FIFO" in str(info.value)


def test_a_value_that_contains_itself_is_a_value_error() -> None:
    loop: list[object] = []
    loop.append(loop)
    with pytest.raises(ValueError):
        _kubemagic._roundtrip(loop)
    deep: object = "v"
    for _ in range(300):
        deep = [deep]
    with pytest.raises(ValueError):
        _kubemagic._roundtrip(deep)
    fine: object = "v"
    for _ in range(100):
        fine = {"k": fine}
    assert _kubemagic._roundtrip(fine) == fine
