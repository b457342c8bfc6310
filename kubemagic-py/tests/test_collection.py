"""The kubemagic.core collection with the real ansible-doc and
ansible-playbook (localhost, connection local)."""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

import kubemagic
from conftest import HERE, PY_ROOT, REPO, ansible_env, run_tool

# Every module the collection ships, read from its folder so that a new
# module is documented, listed and spec-checked without editing this list.
MODULES = sorted(
    p.stem
    for p in (PY_ROOT / "ansible_collections/kubemagic/core/plugins/modules").glob("*.py")
    if p.stem != "__init__"
)
PLAYBOOKS = HERE / "playbooks"
BROKEN_SITE = HERE / "sites" / "broken"


def example_site() -> Path:
    site = REPO / "examples" / "utgb"
    if not site.is_dir():
        pytest.skip("examples/utgb not merged into this branch yet")
    return site


def playbook(name: str, **extra_vars: object) -> subprocess.CompletedProcess[str]:
    return run_tool(
        "ansible-playbook", "-i", "localhost,", str(PLAYBOOKS / name),
        "-e", json.dumps(extra_vars), check=False,
    )


def assert_ok(proc: subprocess.CompletedProcess[str]) -> None:
    assert proc.returncode == 0, f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"


def available(call) -> bool:
    try:
        call()
    except NotImplementedError:
        return False
    except Exception:  # any kubemagic or OS error means the library is there
        return True
    return True


@pytest.mark.parametrize("module", MODULES)
def test_ansible_doc_renders_every_module(module: str) -> None:
    out = run_tool("ansible-doc", f"kubemagic.core.{module}").stdout
    assert f"kubemagic.core.{module}" in out
    assert "OPTIONS" in out and "EXAMPLES" in out and "RETURN VALUES" in out


def test_ansible_doc_lists_the_collection() -> None:
    out = run_tool("ansible-doc", "--list", "kubemagic.core").stdout
    for module in MODULES:
        assert f"kubemagic.core.{module}" in out


def module_utils():
    """The collection's shared module_utils, loaded from its file."""
    import importlib.util

    path = PY_ROOT / "ansible_collections/kubemagic/core/plugins/module_utils/kubemagic_common.py"
    spec = importlib.util.spec_from_file_location("kubemagic_common", path)
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def argument_spec(module: str) -> dict[str, dict[str, object]]:
    """The argument_spec passed to AnsibleModule in a module's source."""
    path = PY_ROOT / "ansible_collections/kubemagic/core/plugins/modules" / f"{module}.py"
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "AnsibleModule":
            spec = next(k.value for k in node.keywords if k.arg == "argument_spec")
            assert isinstance(spec, ast.Call)
            # `dict(SHARED_SPEC, name=dict(...))`: shared specs come from module_utils.
            merged: dict[str, dict[str, object]] = {}
            for arg in spec.args:
                assert isinstance(arg, ast.Name), ast.dump(arg)
                merged.update(getattr(module_utils(), arg.id))
            merged.update({
                k.arg: {kw.arg: ast.literal_eval(kw.value) for kw in k.value.keywords}
                for k in spec.keywords
                if k.arg and isinstance(k.value, ast.Call)
            })
            return merged
    raise AssertionError(f"no AnsibleModule call in {path}")


@pytest.mark.parametrize("module", MODULES)
def test_documented_options_match_the_argument_spec(module: str) -> None:
    """ansible-doc's options are exactly the module's argument_spec, with the
    same types, requiredness and defaults."""
    doc = json.loads(run_tool("ansible-doc", "--json", f"kubemagic.core.{module}").stdout)
    options = doc[f"kubemagic.core.{module}"]["doc"]["options"]
    spec = argument_spec(module)
    assert set(options) == set(spec)
    for name, opt in options.items():
        assert opt.get("type") == spec[name].get("type"), name
        assert bool(opt.get("required", False)) == bool(spec[name].get("required", False)), name
        assert opt.get("default") == spec[name].get("default"), name
        assert opt.get("choices") == spec[name].get("choices"), name


def bare_python() -> str:
    """A Python without kubemagic: the interpreter the venv was made from."""
    base = getattr(sys, "_base_executable", None) or shutil.which("python3")
    if not base or os.path.abspath(base) == os.path.abspath(sys.executable):
        pytest.skip("no Python outside the venv to run the module with")
    probe = subprocess.run([base, "-c", "import kubemagic"], capture_output=True)
    if probe.returncode == 0:
        pytest.skip(f"{base} has kubemagic installed")
    return base


def test_module_without_kubemagic_fails_saying_how_to_install_it() -> None:
    assert_ok(playbook("missing_kubemagic.yml", site=str(BROKEN_SITE), bare_python=bare_python()))


def test_site_check_playbook_returns_findings_and_fails_on_errors() -> None:
    if not available(lambda: kubemagic.check(str(BROKEN_SITE))):
        pytest.skip("kubemagic.check not merged into this build yet")
    assert_ok(playbook("site_check.yml", site=str(example_site()), broken_site=str(BROKEN_SITE)))


def test_etcd_playbook_against_a_real_etcd(etcd_endpoint: str) -> None:
    if not available(lambda: kubemagic.etcd.status(endpoints=[etcd_endpoint])):
        pytest.skip("kubemagic.etcd not merged into this build yet")
    assert_ok(playbook("etcd.yml", endpoints=[etcd_endpoint]))


def test_ceph_provisioning_playbook_renders_kubespray_vars(tmp_path: Path) -> None:
    site = example_site()
    if not available(lambda: kubemagic.ceph.render("kubespray", site=str(site))):
        pytest.skip("kubemagic.ceph not merged into this build yet")
    assert_ok(playbook("ceph.yml", site=str(site), out=str(tmp_path / "ceph.yml")))
