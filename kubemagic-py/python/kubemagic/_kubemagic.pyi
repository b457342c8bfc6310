"""Type stubs for the native extension ``kubemagic._kubemagic``."""

import os
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple, Union

from .typedefs import (
    CheckReport,
    EtcdStatus,
    Finding,
    InventoryWarning,
    Phase,
    PluginResult,
    RecoverReport,
    SiteInventories,
    ValidateReport,
)

_Path = Union[str, os.PathLike[str]]

__version__: str

class Error(Exception):
    """Base class of every error kubemagic raises. ``file`` and ``line`` say
    where the problem is (None when unknown or not about a file); ``kind`` is
    ``"input"`` (fix what you wrote) or ``"failure"`` (an operation failed),
    the split that gives the CLI's exit code 2 or 1 (None when unknown)."""

    file: Optional[str]
    line: Optional[int]
    kind: Optional[str]

class InventoryError(Error): ...
class CheckError(Error): ...
class PlanError(Error): ...
class EtcdError(Error): ...
class CephError(Error): ...

class LbError(Error):
    file: str | None
    line: int | None

class RegistryError(Error):
    file: str | None
    line: int | None

class CertsError(Error):
    file: str | None
    line: int | None

class Inventory:
    @staticmethod
    def load(
        sources: Union[_Path, Iterable[_Path]],
        playbook_dir: Optional[_Path] = None,
        hash_behaviour: str = "replace",
        strict: bool = False,
    ) -> Inventory: ...
    @property
    def warnings(self) -> List[InventoryWarning]: ...
    @property
    def sources(self) -> List[str]: ...
    def hosts(self, pattern: str = "all") -> List[str]: ...
    def groups(self) -> List[str]: ...
    def host_vars(self, host: str) -> Dict[str, Any]: ...
    def host_var_origins(self, host: str) -> Dict[str, Optional[Tuple[str, Optional[int]]]]: ...
    def to_ansible_list(self, export: bool = False) -> Dict[str, Any]: ...
    def graph(self, group: Optional[str] = None, vars: bool = False) -> str: ...

def check(site: _Path) -> CheckReport: ...
def render_finding(finding: Finding) -> str: ...
def plan(site: _Path, targets: Optional[Sequence[str]] = None) -> List[Phase]: ...
def site_inventories(site: _Path) -> SiteInventories: ...
def etcd_status(
    endpoints: Optional[Sequence[str]] = None,
    env_file: Optional[_Path] = None,
    cacert: Optional[_Path] = None,
    cert: Optional[_Path] = None,
    key: Optional[_Path] = None,
) -> EtcdStatus: ...
def etcd_recover(
    endpoints: Optional[Sequence[str]] = None,
    env_file: Optional[_Path] = None,
    cacert: Optional[_Path] = None,
    cert: Optional[_Path] = None,
    key: Optional[_Path] = None,
    dry_run: bool = False,
) -> RecoverReport: ...
def ceph_render(
    target: str,
    site: Optional[_Path] = None,
    ceph_conf: Optional[_Path] = None,
    keyring: Optional[_Path] = None,
    pool: Optional[str] = None,
    client: Optional[str] = None,
    fsid: Optional[str] = None,
) -> str: ...
def ceph_validate(
    site: Optional[_Path] = None,
    ceph_conf: Optional[_Path] = None,
    keyring: Optional[_Path] = None,
    image_features: Optional[str] = None,
    krbd_kernel: Optional[str] = None,
    rbd_provisioner: bool = False,
) -> ValidateReport: ...
def ceph_leftovers(
    kubeconfig: Optional[_Path] = None,
    ceph_conf: Optional[_Path] = None,
    keyring: Optional[_Path] = None,
    delete: bool = False,
    nagios: bool = False,
) -> Dict[str, Any]: ...
def ceph_doctor(
    ceph_conf: _Path,
    keyring: _Path,
    pool: Optional[str] = None,
    csi_config: Optional[_Path] = None,
    fs: Optional[str] = None,
    subvolume_group: Optional[str] = None,
    client: Optional[str] = None,
    pg_num: Optional[int] = None,
    site: Optional[_Path] = None,
    probe: bool = True,
    nagios: bool = False,
    text: bool = False,
) -> Any: ...
def etcd_maintain(
    endpoints: Optional[Sequence[str]] = None,
    env_file: Optional[_Path] = None,
    cacert: Optional[_Path] = None,
    cert: Optional[_Path] = None,
    key: Optional[_Path] = None,
    snapshot_dir: Optional[_Path] = None,
    keep: Optional[int] = None,
    defrag_min_size: str = "100MB",
    defrag_min_free_pct: float = 45.0,
    compact: bool = False,
    dry_run: bool = False,
) -> Dict[str, Any]: ...
def etcd_nagios(
    endpoints: Optional[Sequence[str]] = None,
    env_file: Optional[_Path] = None,
    cacert: Optional[_Path] = None,
    cert: Optional[_Path] = None,
    key: Optional[_Path] = None,
    warning_pct: float = 80.0,
    critical_pct: float = 95.0,
) -> PluginResult: ...
def lb_render(site: _Path, host: str | None = None) -> dict[str, Any]: ...
def registry_render(site: _Path, host: str | None = None) -> dict[str, Any]: ...
def certs_check(
    paths: list[_Path],
    site: _Path | None = None,
    host: str | None = None,
    root: _Path = "/",
    warning_days: int = 30,
    critical_days: int = 7,
    at: str | None = None,
    plan: bool = False,
) -> dict[str, Any]: ...
def certs_probe(
    endpoints: list[str],
    site: _Path | None = None,
    warning_days: int = 30,
    critical_days: int = 7,
    at: str | None = None,
    timeout: float = 5.0,
    plan: bool = False,
) -> dict[str, Any]: ...
def _roundtrip(obj: Any) -> Any: ...
def etcd_member_list(
    endpoints: Optional[Sequence[str]] = None,
    env_file: Optional[_Path] = None,
    cacert: Optional[_Path] = None,
    cert: Optional[_Path] = None,
    key: Optional[_Path] = None,
) -> Dict[str, Any]: ...
def etcd_member_replace(
    dead: str,
    name: str,
    peer_urls: Sequence[str],
    endpoints: Optional[Sequence[str]] = None,
    env_file: Optional[_Path] = None,
    cacert: Optional[_Path] = None,
    cert: Optional[_Path] = None,
    key: Optional[_Path] = None,
    force: bool = False,
    no_learner: bool = False,
    state_dir: Optional[_Path] = None,
    initial_cluster_token: Optional[str] = None,
) -> Dict[str, Any]: ...
def etcd_member_promote(
    name: str,
    endpoints: Optional[Sequence[str]] = None,
    env_file: Optional[_Path] = None,
    cacert: Optional[_Path] = None,
    cert: Optional[_Path] = None,
    key: Optional[_Path] = None,
    wait_seconds: float = 60.0,
) -> Dict[str, Any]: ...
def etcd_restore(
    snapshot: _Path,
    name: str,
    initial_cluster: str,
    initial_advertise_peer_urls: Sequence[str],
    data_dir: _Path,
    initial_cluster_token: Optional[str] = None,
    move_aside: bool = False,
    bin_dir: Optional[_Path] = None,
) -> Dict[str, Any]: ...
