"""Type stubs for the native extension ``kubemagic._kubemagic``."""

import os
from typing import Any

_Path = str | os.PathLike[str]

class Error(Exception):
    """Base class of every error kubemagic raises."""

class InventoryError(Error):
    file: str | None
    line: int | None

class CheckError(Error): ...
class PlanError(Error): ...
class EtcdError(Error): ...
class CephError(Error): ...

class LbError(Error):
    file: str | None
    line: int | None

class Inventory:
    @staticmethod
    def load(
        sources: list[_Path], playbook_dir: _Path | None = None, hash_behaviour: str = "replace"
    ) -> Inventory: ...
    @property
    def sources(self) -> list[str]: ...
    def hosts(self, pattern: str = "all") -> list[str]: ...
    def groups(self) -> list[str]: ...
    def host_vars(self, host: str) -> dict[str, Any]: ...
    def host_var_origins(self, host: str) -> dict[str, tuple[str, int | None] | None]: ...
    def to_ansible_list(self, export: bool = False) -> dict[str, Any]: ...
    def graph(self, group: str | None = None, vars: bool = False) -> str: ...

def check(site: _Path) -> list[dict[str, Any]]: ...
def plan(site: _Path, targets: list[str] | None = None) -> list[dict[str, Any]]: ...
def etcd_status(
    endpoints: list[str] | None = None,
    env_file: _Path | None = None,
    cacert: _Path | None = None,
    cert: _Path | None = None,
    key: _Path | None = None,
) -> dict[str, Any]: ...
def etcd_recover(
    endpoints: list[str] | None = None,
    env_file: _Path | None = None,
    cacert: _Path | None = None,
    cert: _Path | None = None,
    key: _Path | None = None,
    dry_run: bool = False,
) -> dict[str, Any]: ...
def ceph_render(
    target: str,
    site: _Path | None = None,
    ceph_conf: _Path | None = None,
    keyring: _Path | None = None,
    pool: str | None = None,
    client: str | None = None,
) -> str: ...
def lb_render(site: _Path, host: str | None = None) -> dict[str, Any]: ...
def _roundtrip(obj: Any) -> Any: ...
