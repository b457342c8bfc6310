//! The Ceph cluster as Kubernetes sees it: an fsid, monitors, pools and
//! clients. Names and numbers that Ceph would reject are rejected when the
//! value is built ([`PoolName`], [`PgNum`], [`ClientName`]), so a planner
//! or a renderer never holds one.

use crate::error::{CephError, Result};
use kubemagic_core::Origin;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;

/// The port a monitor listens on for the legacy v1 protocol (what the
/// in-tree and external provisioners and the kernel client before 5.11
/// speak).
pub const MON_V1_PORT: u16 = 6789;
/// The port of the msgr2 protocol (Nautilus and later).
pub const MON_V2_PORT: u16 = 3300;

/// A pool name as Ceph accepts it for an RBD pool.
///
/// Not empty, and no leading `.`: names starting with a dot are reserved for
/// Ceph's own pools (`.mgr`, `.rgw.root`) and `ceph osd pool create`
/// refuses them on recent releases.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PoolName(String);

impl PoolName {
    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for PoolName {
    type Error = CephError;
    fn try_from(name: String) -> Result<Self> {
        let reason = if name.is_empty() {
            Some("a pool name cannot be empty")
        } else if name.starts_with('.') {
            Some("names starting with '.' are reserved for Ceph's own pools")
        } else if name.chars().any(|c| c.is_whitespace() || c.is_control()) {
            Some("a pool name cannot contain whitespace or control characters")
        } else if name.len() > 255 {
            Some("a pool name is at most 255 bytes")
        } else {
            None
        };
        match reason {
            Some(reason) => Err(CephError::PoolName { name, reason }),
            None => Ok(PoolName(name)),
        }
    }
}

impl FromStr for PoolName {
    type Err = CephError;
    fn from_str(s: &str) -> Result<Self> {
        PoolName::try_from(s.to_string())
    }
}

impl From<PoolName> for String {
    fn from(p: PoolName) -> String {
        p.0
    }
}

impl fmt::Display for PoolName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A placement-group count: a power of two, as Ceph recommends (other
/// values leave PGs of uneven size, and the autoscaler only ever picks
/// powers of two).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "u32", into = "u32")]
pub struct PgNum(u32);

impl PgNum {
    /// The count.
    pub fn get(self) -> u32 {
        self.0
    }
}

impl TryFrom<u32> for PgNum {
    type Error = CephError;
    fn try_from(v: u32) -> Result<Self> {
        if v == 0 {
            Err(CephError::PgNum {
                value: v.to_string(),
                reason: "pg_num must be at least 1",
            })
        } else if !v.is_power_of_two() {
            Err(CephError::PgNum {
                value: v.to_string(),
                reason: "pg_num must be a power of two (e.g. 32, 64, 128)",
            })
        } else {
            Ok(PgNum(v))
        }
    }
}

impl FromStr for PgNum {
    type Err = CephError;
    fn from_str(s: &str) -> Result<Self> {
        let v: u32 = s.trim().parse().map_err(|_| CephError::PgNum {
            value: s.to_string(),
            reason: "not a positive integer",
        })?;
        PgNum::try_from(v)
    }
}

impl From<PgNum> for u32 {
    fn from(p: PgNum) -> u32 {
        p.0
    }
}

impl fmt::Display for PgNum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A client name without its `client.` prefix (`kube` for `client.kube`).
/// Accepts `client.kube` too and strips the prefix.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ClientName(String);

impl ClientName {
    /// The name, without `client.`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// The auth entity, `client.NAME`.
    pub fn entity(&self) -> String {
        format!("client.{}", self.0)
    }
}

impl TryFrom<String> for ClientName {
    type Error = CephError;
    fn try_from(name: String) -> Result<Self> {
        let bare = name.strip_prefix("client.").unwrap_or(&name);
        let reason = if bare.is_empty() {
            Some("a client name cannot be empty")
        } else if bare
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '/')
        {
            Some("a client name cannot contain whitespace, control characters or '/'")
        } else {
            None
        };
        match reason {
            Some(reason) => Err(CephError::ClientName { name, reason }),
            None => Ok(ClientName(bare.to_string())),
        }
    }
}

impl FromStr for ClientName {
    type Err = CephError;
    fn from_str(s: &str) -> Result<Self> {
        ClientName::try_from(s.to_string())
    }
}

impl From<ClientName> for String {
    fn from(c: ClientName) -> String {
        c.0
    }
}

impl fmt::Display for ClientName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A CephFS file system name (`ceph fs ls`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct FsName(String);

impl FsName {
    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for FsName {
    type Error = CephError;
    fn try_from(name: String) -> Result<Self> {
        if name.is_empty() {
            Err(CephError::FsName {
                name,
                reason: "a file system name cannot be empty",
            })
        } else if name
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '/' || c == ',')
        {
            Err(CephError::FsName {
                name,
                reason: "a file system name cannot contain whitespace, '/' or ','",
            })
        } else {
            Ok(FsName(name))
        }
    }
}

impl FromStr for FsName {
    type Err = CephError;
    fn from_str(s: &str) -> Result<Self> {
        FsName::try_from(s.to_string())
    }
}

impl From<FsName> for String {
    fn from(c: FsName) -> String {
        c.0
    }
}

impl fmt::Display for FsName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A cephx secret. `Debug` and `Display` never show it: only the Secret
/// manifests call [`CephKey::expose`].
#[derive(Clone, PartialEq, Eq)]
pub struct CephKey(String);

impl CephKey {
    /// Keeps the key exactly as given (stray whitespace included) so that
    /// validation can report it; [`CephKey::expose`] trims it.
    pub fn new(raw: impl Into<String>) -> Self {
        CephKey(raw.into())
    }
    /// The key itself, trimmed. For Secret manifests only.
    pub fn expose(&self) -> &str {
        self.0.trim()
    }
    /// The key as it was read, untrimmed, for validation.
    pub fn raw(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for CephKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CephKey(<redacted>)")
    }
}

impl fmt::Display for CephKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Messenger protocol of a monitor address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MsgrVersion {
    /// The legacy protocol (port 6789).
    V1,
    /// msgr2 (port 3300).
    V2,
}

/// One address of a monitor: protocol, IP (v4 or v6) and port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct MonAddr {
    /// v1 or v2.
    pub version: MsgrVersion,
    /// IP and port.
    pub addr: SocketAddr,
}

impl MonAddr {
    /// `IP:PORT`, with an IPv6 address in brackets (`[fd00::1]:6789`), as
    /// ceph-csi's `monitors` list and `mon_host` expect.
    pub fn host_port(&self) -> String {
        self.addr.to_string()
    }
}

impl fmt::Display for MonAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v = match self.version {
            MsgrVersion::V1 => "v1",
            MsgrVersion::V2 => "v2",
        };
        write!(f, "{v}:{}", self.addr)
    }
}

/// A monitor and its addresses (an addrvec: usually v2 then v1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Monitor {
    /// The monitor's name (`mon dump`) or its inventory host.
    pub name: String,
    /// Its addresses, as the monitor map lists them.
    pub addrs: Vec<MonAddr>,
    /// Where a site declared its address, for findings about it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<Origin>,
}

impl Monitor {
    /// A monitor on the default ports of both protocols.
    pub fn on_default_ports(name: impl Into<String>, ip: IpAddr) -> Self {
        Monitor {
            name: name.into(),
            addrs: vec![
                MonAddr {
                    version: MsgrVersion::V2,
                    addr: SocketAddr::new(ip, MON_V2_PORT),
                },
                MonAddr {
                    version: MsgrVersion::V1,
                    addr: SocketAddr::new(ip, MON_V1_PORT),
                },
            ],
            origin: None,
        }
    }
    /// The v1 address, which the cephfs/rbd provisioners and ceph-csi's
    /// `monitors` list use.
    pub fn v1(&self) -> Option<&MonAddr> {
        self.addrs.iter().find(|a| a.version == MsgrVersion::V1)
    }
    /// The monitor's IP (of its first address).
    pub fn ip(&self) -> Option<IpAddr> {
        self.addrs.first().map(|a| a.addr.ip())
    }
}

/// Parses one `mon_host`-style entry: `IP`, `IP:PORT`, `[IPv6]:PORT`,
/// `v1:IP:PORT` or an addrvec `[v2:IP:3300,v1:IP:6789]`. A bare IP means
/// both protocols on their default ports, as Ceph reads `mon_host`.
pub fn parse_mon_entry(name: &str, entry: &str) -> Result<Monitor> {
    let entry = entry.trim();
    let bad = |reason: &str| CephError::MonAddr {
        value: entry.to_string(),
        reason: reason.to_string(),
    };
    if let Ok(ip) = entry.parse::<IpAddr>() {
        return Ok(Monitor::on_default_ports(name, ip));
    }
    let inner = if entry.starts_with("[v") && entry.ends_with(']') {
        &entry[1..entry.len() - 1]
    } else {
        entry
    };
    let mut addrs = Vec::new();
    for part in inner.split(',') {
        let part = part.trim();
        let (version, rest) = if let Some(r) = part.strip_prefix("v2:") {
            (Some(MsgrVersion::V2), r)
        } else if let Some(r) = part.strip_prefix("v1:") {
            (Some(MsgrVersion::V1), r)
        } else {
            (None, part)
        };
        let rest = rest.split('/').next().unwrap_or(rest); // drop a `/nonce`
        let addr: SocketAddr = match rest.parse() {
            Ok(a) => a,
            Err(_) => match rest
                .trim_start_matches('[')
                .trim_end_matches(']')
                .parse::<IpAddr>()
            {
                Ok(ip) => {
                    let port = if version == Some(MsgrVersion::V2) {
                        MON_V2_PORT
                    } else {
                        MON_V1_PORT
                    };
                    SocketAddr::new(ip, port)
                }
                Err(_) => return Err(bad("not an IP address, IP:PORT or [v2:IP:PORT,v1:IP:PORT]")),
            },
        };
        let version = version.unwrap_or(if addr.port() == MON_V2_PORT {
            MsgrVersion::V2
        } else {
            MsgrVersion::V1
        });
        addrs.push(MonAddr { version, addr });
    }
    if addrs.is_empty() {
        return Err(bad("empty address"));
    }
    Ok(Monitor {
        name: name.to_string(),
        addrs,
        origin: None,
    })
}

/// A pool as declared (ceph-ansible) or observed (`ceph osd pool ls detail`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pool {
    /// The pool's name, as declared (validated by the checks, not here).
    pub name: String,
    /// The declared pg_num; `None` when unset or templated (`{{ ... }}`).
    pub pg_num: Option<u32>,
    /// Replica count (`size`); `None` when unset (the cluster default).
    pub size: Option<u32>,
    /// The application enabled on the pool (`rbd`, `cephfs`, `rgw`).
    pub application: Option<String>,
    /// The CRUSH type the pool's rule spreads replicas across (`host`,
    /// `osd`, `rack`): from the live rule, else what the site's
    /// `osd_crush_chooseleaf_type` gives. `None`: Ceph's default, `host`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_domain: Option<String>,
    /// Where a site declared the pool, for findings about it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<Origin>,
}

/// The failure domain of Ceph's and ceph-ansible's default replicated rule.
pub const DEFAULT_FAILURE_DOMAIN: &str = "host";

/// A cephx client and its caps (`ceph auth get`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Client {
    /// `client.NAME`.
    pub entity: String,
    /// Caps by service (`mon`, `osd`, `mgr`, `mds`).
    pub caps: BTreeMap<String, String>,
    /// The key, when it was read (never printed: [`CephKey`] redacts).
    pub key: Option<CephKey>,
}

/// The cluster model. Built from a ceph-ansible site ([`crate::site`]) or
/// from a live cluster ([`crate::api::CephApi::cluster`]).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CephCluster {
    /// The cluster fsid, ceph-csi's clusterID. `None` when a site lets
    /// ceph-ansible generate it (`generate_fsid`).
    pub fsid: Option<String>,
    /// The monitors, in monitor-map (or inventory) order.
    pub monitors: Vec<Monitor>,
    /// Pools declared (site) or present (live).
    pub pools: Vec<Pool>,
    /// cephx clients known to the model (keys validated when present).
    pub clients: Vec<Client>,
    /// Number of OSDs (declared devices, or `ceph osd stat`), when known.
    pub osd_count: Option<u32>,
    /// How many CRUSH buckets of each type hold at least one OSD (`osd`,
    /// `host`, `rack`...): what a pool's replicas can spread across. A site
    /// knows `host` (distinct hosts in `osds`) and `osd` (declared devices).
    pub failure_domains: BTreeMap<String, u32>,
    /// `public_network`: the networks monitors must be reachable on.
    pub public_networks: Vec<ipnet::IpNet>,
    /// Where a site set each cluster-wide variable (`fsid`,
    /// `public_network`), for findings about it.
    pub origins: BTreeMap<String, Origin>,
}

impl CephCluster {
    /// The v1 monitor addresses (`IP:6789`, IPv6 bracketed), as the
    /// provisioners and ceph-csi want them.
    pub fn v1_monitors(&self) -> Vec<String> {
        self.monitors
            .iter()
            .filter_map(|m| m.v1())
            .map(MonAddr::host_port)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_pool_name_is_rejected() {
        assert!(matches!(
            PoolName::from_str(""),
            Err(CephError::PoolName { .. })
        ));
    }

    #[test]
    fn pool_name_with_leading_dot_is_rejected() {
        let e = PoolName::from_str(".mgr").unwrap_err().to_string();
        assert!(e.contains("reserved"), "{e}");
        assert!(PoolName::from_str("kube.rbd").is_ok());
    }

    #[test]
    fn pg_num_must_be_a_power_of_two() {
        assert!(PgNum::from_str("100")
            .unwrap_err()
            .to_string()
            .contains("power of two"));
        assert!(PgNum::from_str("0").is_err());
        assert!(PgNum::from_str("abc").is_err());
        assert_eq!(PgNum::from_str("128").unwrap().get(), 128);
    }

    #[test]
    fn client_name_accepts_and_strips_the_client_prefix() {
        let c = ClientName::from_str("client.kube").unwrap();
        assert_eq!(c.as_str(), "kube");
        assert_eq!(c.entity(), "client.kube");
        assert!(ClientName::from_str("client.").is_err());
        assert!(ClientName::from_str("a b").is_err());
    }

    #[test]
    fn key_is_redacted_in_debug_and_display() {
        let k = CephKey::new("AQDz6AVr1iekDBAA80UikzfAeOZJlwWVjfW4+A==");
        assert!(!format!("{k:?}").contains("AQD"));
        assert!(!format!("{k}").contains("AQD"));
        assert_eq!(k.expose(), "AQDz6AVr1iekDBAA80UikzfAeOZJlwWVjfW4+A==");
    }

    #[test]
    fn bare_ip_means_both_protocols_on_default_ports() {
        let m = parse_mon_entry("a", "10.0.0.1").unwrap();
        assert_eq!(m.v1().unwrap().host_port(), "10.0.0.1:6789");
        assert_eq!(m.addrs[0].to_string(), "v2:10.0.0.1:3300");
    }

    #[test]
    fn addrvec_with_ipv6_is_parsed_and_bracketed() {
        let m = parse_mon_entry("a", "[v2:[fd00::1]:3300,v1:[fd00::1]:6789]").unwrap();
        assert_eq!(m.addrs.len(), 2);
        assert_eq!(m.v1().unwrap().host_port(), "[fd00::1]:6789");
        let bare6 = parse_mon_entry("b", "fd00::2").unwrap();
        assert_eq!(bare6.v1().unwrap().host_port(), "[fd00::2]:6789");
    }

    #[test]
    fn garbage_monitor_address_is_an_error() {
        assert!(parse_mon_entry("a", "mon-1.example").is_err());
        assert!(parse_mon_entry("a", "v1:10.0.0.1:notaport").is_err());
    }
}
