"""Lets ``ansible-test sanity`` run where only the package registries are
reachable (CI, developer machines).

ansible-test creates one virtualenv per sanity test and bootstraps pip in it
with a ``get-pip-<version>.py`` script it downloads from a host outside the
registries (``ansible_test/_util/target/setup/requirements.py``, function
``bootstrap``); it uses ``~/.ansible/test/cache/get_pip_<version>.py`` instead
when that file exists. :func:`install_get_pip_stand_in` puts a stand-in there
that runs pip from the pip wheel fetched from PyPI with ``pip download``:
same pip, same command line, no outside host.

Run as a script (``python ansible_test_offline.py``) it installs the stand-in
for the ansible-test of the running Python and prints its path.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

CACHE = Path.home() / ".ansible" / "test" / "cache"

STAND_IN = '''\
"""Stand-in for get-pip-{version}.py, written by kubemagic's
kubemagic-py/tests/ansible_test_offline.py: runs pip {version} from its wheel
(fetched from PyPI) to install the packages on the command line, as
get-pip.py does with the wheel it embeds."""
import sys

WHEEL = {wheel!r}
sys.path.insert(0, WHEEL)
from pip._internal.cli.main import main  # noqa: E402

# get-pip.py's own options: setuptools and wheel are installed only when
# named, so these flags have nothing left to turn off.
args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
# The pip requirement itself comes from the wheel on disk, not the index.
args = [WHEEL if a in ("pip", "pip=={version}") else a for a in args]
sys.exit(main(["install", *args]))
'''


def pip_version() -> str:
    """The pip version ansible-test bootstraps into its virtualenvs (the
    ``pip='X'`` default of ``get_venv_packages`` in its python_requirements)."""
    import re

    import ansible_test

    source = Path(ansible_test.__file__).parent / "_internal" / "python_requirements.py"
    found = re.search(r"\bpip='([0-9][^']*)'", source.read_text())
    if not found:
        raise RuntimeError(f"no pip version in {source}: ansible-test changed its bootstrap")
    return found.group(1)


def install_get_pip_stand_in(python: str = sys.executable) -> Path:
    """Writes ``get_pip_<version>.py`` into ansible-test's cache (once) and
    returns its path; the pip wheel comes from PyPI through ``pip download``."""
    version = pip_version()
    target = CACHE / f"get_pip_{version.replace('.', '_')}.py"
    if target.is_file():
        return target
    wheels = CACHE / "pip-wheels"
    wheels.mkdir(parents=True, exist_ok=True)
    wheel = wheels / f"pip-{version}-py3-none-any.whl"
    if not wheel.is_file():
        subprocess.run(
            [python, "-m", "pip", "download", "-q", "--disable-pip-version-check",
             "--no-deps", "--only-binary", ":all:", "-d", str(wheels), f"pip=={version}"],
            check=True,
        )
    if not wheel.is_file():
        raise RuntimeError(f"pip download left no {wheel.name} in {wheels}")
    tmp = target.with_suffix(".tmp")
    tmp.write_text(STAND_IN.format(version=version, wheel=str(wheel)))
    os.replace(tmp, target)
    return target


if __name__ == "__main__":
    print(install_get_pip_stand_in())
