"""The type stubs are usable: the README's Python examples and the package's
own Python code pass `mypy --strict` against the installed kubemagic (its
.pyi stubs and py.typed), and the stubs promise nothing the module lacks."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

import kubemagic
from conftest import PY_ROOT, REPO


def run_mypy(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    try:
        import mypy  # noqa: F401
    except ImportError:
        pytest.fail("mypy is not installed in this venv (scripts/deps.sh test installs it)")
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental",
         "--python-version", f"{sys.version_info.major}.{sys.version_info.minor}", *args],
        cwd=cwd, capture_output=True, text=True, timeout=300,
    )


def readme_python_blocks() -> list[str]:
    text = (REPO / "README.md").read_text()
    return re.findall(r"^```python\n(.*?)^```", text, flags=re.S | re.M)


def test_readme_python_examples_pass_mypy_strict(tmp_path: Path) -> None:
    blocks = readme_python_blocks()
    assert blocks, "README.md has no ```python block to type-check"
    for n, block in enumerate(blocks):
        (tmp_path / f"readme_example_{n}.py").write_text(block)
    # Run from tmp_path so `kubemagic` resolves to the installed wheel, as a
    # user's script would see it, not to the source tree.
    proc = run_mypy(*sorted(p.name for p in tmp_path.glob("*.py")), cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_package_python_passes_mypy_strict(tmp_path: Path) -> None:
    proc = run_mypy("-p", "kubemagic", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_stubs_name_what_the_module_has() -> None:
    stub = (PY_ROOT / "python/kubemagic/_kubemagic.pyi").read_text()
    names = set(re.findall(r"^(?:def|class) (\w+)", stub, flags=re.M))
    missing = [n for n in names if not hasattr(kubemagic._kubemagic, n)]
    assert not missing, f"stubbed but not in the module: {missing}"


def test_every_exception_has_file_and_line() -> None:
    for cls in (kubemagic.Error, kubemagic.InventoryError, kubemagic.CheckError,
                kubemagic.PlanError, kubemagic.EtcdError, kubemagic.CephError):
        e = cls("x")
        assert e.file is None and e.line is None, cls


def test_version_is_the_wheel_version() -> None:
    from importlib.metadata import version

    assert kubemagic.__version__ == version("kubemagic")
    assert re.fullmatch(r"\d+\.\d+\.\d+.*", kubemagic.__version__)


def test_load_takes_one_path_or_an_iterable_of_paths(tmp_path: Path) -> None:
    hosts = tmp_path / "hosts"
    hosts.write_text("[web]\nw1\n")
    for sources in (str(hosts), hosts, [hosts], (str(hosts),), iter([hosts])):
        inv = kubemagic.Inventory.load(sources)  # type: ignore[arg-type]
        assert inv.hosts() == ["w1"], sources
    with pytest.raises(TypeError):
        kubemagic.Inventory.load(42)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        kubemagic.Inventory.load([])


def test_one_plan_target_is_a_name_not_a_sequence_of_letters() -> None:
    site = REPO / "examples" / "utgb"
    if not site.is_dir():
        pytest.skip("examples/utgb not in this checkout")
    assert kubemagic.plan(site, "deploy-kube") == kubemagic.plan(site, ["deploy-kube"])
