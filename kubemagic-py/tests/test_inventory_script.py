"""scripts/kubemagic-inventory finds the kubemagic binary: KUBEMAGIC, else
`kubemagic` on PATH, else target/release then target/debug beside the
repository. The binary here is a recorder standing in for kubemagic (what
is tested is which file the script runs and with which arguments; the CLI's
own test, kubemagic-cli/tests/inventory_script.rs, runs the real one)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from conftest import REPO

SCRIPT = REPO / "scripts" / "kubemagic-inventory"


def fake_repo(tmp_path: Path, profiles: tuple[str, ...]) -> Path:
    root = tmp_path / "repo"
    (root / "scripts").mkdir(parents=True)
    shutil.copy(SCRIPT, root / "scripts" / "kubemagic-inventory")
    for profile in profiles:
        binary = root / "target" / profile / "kubemagic"
        binary.parent.mkdir(parents=True)
        binary.write_text(f'#!/bin/sh\necho "{profile} $*"\n')
        binary.chmod(0o755)
    return root


def run(root: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {"PATH": "/usr/bin:/bin", "KUBEMAGIC_INVENTORY": "a/hosts:b/hosts.yml"}
    base.update(env)
    return subprocess.run([str(root / "scripts" / "kubemagic-inventory"), *args],
                          env=base, capture_output=True, text=True, timeout=30)


def test_uses_target_release_before_target_debug(tmp_path: Path) -> None:
    root = fake_repo(tmp_path, ("debug", "release"))
    proc = run(root, "--list")
    assert proc.stdout.strip() == "release inventory list -i a/hosts -i b/hosts.yml", proc.stderr


def test_uses_target_debug_when_no_release_build(tmp_path: Path) -> None:
    root = fake_repo(tmp_path, ("debug",))
    proc = run(root, "--host", "node1")
    assert proc.stdout.strip() == "debug inventory host -i a/hosts -i b/hosts.yml node1", proc.stderr


def test_kubemagic_on_path_wins_over_the_repository_build(tmp_path: Path) -> None:
    root = fake_repo(tmp_path, ("debug",))
    bindir = tmp_path / "bin"
    bindir.mkdir()
    (bindir / "kubemagic").write_text('#!/bin/sh\necho "path $*"\n')
    (bindir / "kubemagic").chmod(0o755)
    proc = run(root, "--list", PATH=f"{bindir}{os.pathsep}/usr/bin:/bin")
    assert proc.stdout.startswith("path inventory list"), proc.stderr


def test_says_how_to_get_a_binary_when_there_is_none(tmp_path: Path) -> None:
    root = fake_repo(tmp_path, ())
    proc = run(root, "--list")
    assert proc.returncode == 2
    assert "make install" in proc.stderr and str(root / "target") in proc.stderr
