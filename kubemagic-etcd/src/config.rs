//! How to reach the cluster: endpoints, TLS files and timeouts, from flags,
//! `ETCDCTL_*` environment variables or kubespray's `/etc/etcd.env`.
//!
//! Precedence is the one etcdctl users expect: flags win over environment
//! variables, which win over the env file.

use crate::error::EtcdError;
use kubemagic_core::{ByteSize, Finding, Notation, Origin, Redactor};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// What the caller gave; every field optional. The CLI fills it from flags.
#[derive(Debug, Clone, Default)]
pub struct ConnectArgs {
    /// Client URLs; empty to fall back to `ETCDCTL_ENDPOINTS`, then the env
    /// file.
    pub endpoints: Vec<String>,
    /// CA bundle to verify the members' certificates with.
    pub cacert: Option<PathBuf>,
    /// Client certificate.
    pub cert: Option<PathBuf>,
    /// Client key.
    pub key: Option<PathBuf>,
    /// An env file such as kubespray's `/etc/etcd.env`, read for endpoints,
    /// TLS files and the configured quota.
    pub env_file: Option<PathBuf>,
    /// Overrides [`Timeouts::dial`].
    pub dial_timeout: Option<Duration>,
    /// Overrides [`Timeouts::command`].
    pub command_timeout: Option<Duration>,
    /// Overrides [`Timeouts::defrag`].
    pub defrag_timeout: Option<Duration>,
}

/// Timeouts. Dialing and ordinary requests are short so that a dead member
/// is reported in seconds; defragmentation rewrites the whole database and
/// blocks the member meanwhile, so it gets its own, long timeout (the server
/// keeps defragmenting after a client gives up anyway).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// Connecting to a member.
    pub dial: Duration,
    /// An ordinary request (status, member list, alarms, `/metrics`).
    pub command: Duration,
    /// One member's defragmentation, and a physical compaction.
    pub defrag: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            dial: Duration::from_secs(2),
            command: Duration::from_secs(5),
            defrag: Duration::from_secs(600),
        }
    }
}

impl Timeouts {
    /// The defaults, overridden by the flags, then by `ETCDCTL_*_TIMEOUT`.
    fn resolve(
        args: &ConnectArgs,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Timeouts, EtcdError> {
        let mut t = Timeouts::default();
        if let Some(d) = args.dial_timeout {
            t.dial = d;
        } else if let Some(v) = env("ETCDCTL_DIAL_TIMEOUT") {
            t.dial = parse_duration(&v)?;
        }
        if let Some(d) = args.command_timeout {
            t.command = d;
        } else if let Some(v) = env("ETCDCTL_COMMAND_TIMEOUT") {
            t.command = parse_duration(&v)?;
        }
        if let Some(d) = args.defrag_timeout {
            t.defrag = d;
        }
        Ok(t)
    }
}

/// PEM material read at configuration time, so that a missing file is
/// reported by name before any member is contacted.
#[derive(Clone)]
pub struct TlsMaterial {
    /// CA bundle (path, PEM) that replaces the system roots.
    pub ca: Option<(PathBuf, Vec<u8>)>,
    /// Client certificate and key (paths, PEM).
    pub identity: Option<(PathBuf, Vec<u8>, PathBuf, Vec<u8>)>,
}

impl std::fmt::Debug for TlsMaterial {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print key material.
        f.debug_struct("TlsMaterial")
            .field("ca", &self.ca.as_ref().map(|c| &c.0))
            .field("cert", &self.identity.as_ref().map(|i| &i.0))
            .field("key", &self.identity.as_ref().map(|i| &i.2))
            .finish()
    }
}

/// The quota an env file asks for, with where it says so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfiguredQuota {
    /// The quota in bytes.
    pub bytes: ByteSize,
    /// FILE:LINE of `ETCD_QUOTA_BACKEND_BYTES`.
    pub origin: Origin,
    /// `ETCD_NAME` of the member this env file configures, when present.
    pub member_name: Option<String>,
}

/// A resolved connection configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Client URLs with their scheme, one per member.
    pub endpoints: Vec<String>,
    /// TLS files, already read; `None` when none was given.
    pub tls: Option<TlsMaterial>,
    /// Timeouts, defaults overridden by the caller's.
    pub timeouts: Timeouts,
    /// The quota the env file asks for, compared with what the members
    /// actually run with.
    pub configured_quota: Option<ConfiguredQuota>,
    /// What is wrong in the configuration itself (e.g. a quota written
    /// `20Mi` in the env file): reported with FILE:LINE beside the live
    /// status, never a reason not to look at the cluster.
    pub findings: Vec<Finding>,
    /// The redaction every report about this cluster is written through:
    /// it knows the credentials of the endpoints as they were typed (see
    /// [`redactor`]).
    pub redactor: Redactor,
    /// What the operator should know about how the cluster is reached
    /// (e.g. that the default endpoint is used), for stderr.
    pub notes: Vec<String>,
}

/// The endpoint used when none is given anywhere, as etcdctl does.
pub const DEFAULT_ENDPOINT: &str = "127.0.0.1:2379";

/// The redaction for a connection: [`Redactor`] plus the userinfo of every
/// URL the caller typed, in `--endpoints`, `ETCDCTL_ENDPOINTS` or the env
/// file (any of its values holding `://`), exactly as typed. Patterns alone
/// miss a password holding `/`, `#` or a space; the typed string does not.
/// Built before anything else is read (an env file that fails to parse
/// contributes nothing), so errors about the configuration itself are
/// redacted too.
pub fn redactor(args: &ConnectArgs, env: &dyn Fn(&str) -> Option<String>) -> Redactor {
    let mut urls: Vec<String> = args.endpoints.clone();
    urls.extend(env("ETCDCTL_ENDPOINTS"));
    if let Some(f) = args.env_file.as_deref().and_then(|p| EnvFile::read(p).ok()) {
        urls.extend(
            f.vars
                .into_values()
                .map(|(v, _)| v)
                .filter(|v| v.contains("://")),
        );
    }
    Redactor::new().with_url_credentials(urls)
}

/// [`redactor`] with the process environment.
pub fn redactor_from_process_env(args: &ConnectArgs) -> Redactor {
    redactor(args, &|k| std::env::var(k).ok())
}

/// The quota the env file asks for. A value etcd cannot read (etcd reads a
/// plain byte count: `20Mi` is the seed's class of mistake, and etcd
/// refuses to start with it) is a KM134 finding pointing at the line.
fn configured_quota(f: &EnvFile, findings: &mut Vec<Finding>) -> Option<ConfiguredQuota> {
    let v = f.get("ETCD_QUOTA_BACKEND_BYTES")?;
    let line = f.line("ETCD_QUOTA_BACKEND_BYTES");
    let origin = Origin::new(f.path.clone(), line);
    let problem = match ByteSize::parse_with_notation(v) {
        Ok((bytes, Notation::Plain)) => {
            return Some(ConfiguredQuota {
                bytes,
                origin,
                member_name: f.get("ETCD_NAME").map(str::to_string),
            })
        }
        Ok((bytes, _)) => format!(
            "ETCD_QUOTA_BACKEND_BYTES is `{v}`: etcd reads a plain byte count and will not start \
             with this value; write {} ({bytes})",
            bytes.as_u64()
        ),
        Err(e) => format!("ETCD_QUOTA_BACKEND_BYTES is `{v}`: {e}"),
    };
    findings.push(
        Finding::error("KM134", problem)
            .at(Some(&origin))
            .variable("ETCD_QUOTA_BACKEND_BYTES"),
    );
    None
}

/// Variables of an env file, with the 1-based line each came from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EnvFile {
    /// The file read.
    pub path: PathBuf,
    /// Each variable's value and the line it came from, by name.
    pub vars: BTreeMap<String, (String, u32)>,
}

impl EnvFile {
    /// Reads and parses an env file; a missing or unreadable one is an
    /// [`EtcdError::MissingFile`].
    pub fn read(path: &Path) -> Result<EnvFile, EtcdError> {
        // A regular file of bounded size: a FIFO or a link to /dev/zero
        // given as --env-file is refused, never read for ever.
        let text = kubemagic_fs::read_to_string(path, kubemagic_fs::limits::MAX_SOURCE_BYTES)
            .map_err(|source| EtcdError::Unreadable {
                what: "env",
                source,
            })?;
        EnvFile::parse(path, &text)
    }

    /// Parses `KEY=value` lines as systemd's `EnvironmentFile=` and a shell
    /// `. /etc/etcd.env` both accept them: comments, blank lines, optional
    /// `export `, optional single or double quotes around the value.
    pub fn parse(path: &Path, text: &str) -> Result<EnvFile, EtcdError> {
        let mut vars = BTreeMap::new();
        for (i, raw) in text.lines().enumerate() {
            let line_no = i + 1;
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
                continue;
            }
            let line = line.strip_prefix("export ").unwrap_or(line).trim_start();
            let Some((k, v)) = line.split_once('=') else {
                return Err(EtcdError::EnvFile {
                    file: path.to_path_buf(),
                    line: line_no,
                    message: format!("expected KEY=value, found `{line}`"),
                });
            };
            let k = k.trim();
            if k.is_empty() || !k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(EtcdError::EnvFile {
                    file: path.to_path_buf(),
                    line: line_no,
                    message: format!("`{k}` is not a variable name"),
                });
            }
            let v = v.trim();
            let v = if v.len() >= 2
                && ((v.starts_with('"') && v.ends_with('"'))
                    || (v.starts_with('\'') && v.ends_with('\'')))
            {
                &v[1..v.len() - 1]
            } else {
                v
            };
            vars.insert(k.to_string(), (v.to_string(), line_no as u32));
        }
        Ok(EnvFile {
            path: path.to_path_buf(),
            vars,
        })
    }

    /// A variable's value; `None` when it is absent or empty (an empty
    /// value means unset).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.vars
            .get(key)
            .map(|(v, _)| v.as_str())
            .filter(|v| !v.is_empty())
    }

    fn line(&self, key: &str) -> Option<u32> {
        self.vars.get(key).map(|(_, l)| *l)
    }

    fn first(&self, keys: &[&str]) -> Option<String> {
        keys.iter().find_map(|k| self.get(k)).map(str::to_string)
    }

    /// The local member's client URLs: `ETCD_ADVERTISE_CLIENT_URLS`, then
    /// `ETCD_LISTEN_CLIENT_URLS` (a wildcard listen address reached on
    /// loopback). Only a bootstrap: the member list gives the others. Not
    /// `ETCD_INITIAL_CLUSTER` with "peer port − 1", which is wrong wherever
    /// ports are not 2379/2380 (kubespray's events etcd: 2383/2382... ).
    pub fn client_endpoints(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for key in ["ETCD_ADVERTISE_CLIENT_URLS", "ETCD_LISTEN_CLIENT_URLS"] {
            let Some(v) = self.get(key) else { continue };
            for url in v.split(',').map(str::trim).filter(|u| !u.is_empty()) {
                let url = url
                    .replace("://0.0.0.0:", "://127.0.0.1:")
                    .replace("://[::]:", "://[::1]:");
                if !out.contains(&url) {
                    out.push(url);
                }
            }
        }
        out
    }
}

fn read_pem(what: &'static str, path: &Path) -> Result<(PathBuf, Vec<u8>), EtcdError> {
    let bytes = kubemagic_fs::read(path, kubemagic_fs::limits::MAX_SOURCE_BYTES)
        .map_err(|source| EtcdError::Unreadable { what, source })?;
    let text = String::from_utf8_lossy(&bytes);
    if !text.contains("-----BEGIN ") {
        return Err(EtcdError::BadPem {
            what,
            path: path.to_path_buf(),
            message: "no `-----BEGIN` block".into(),
        });
    }
    Ok((path.to_path_buf(), bytes))
}

/// Parses `5s`, `500ms`, `2m`, or a bare number of seconds, as etcdctl's
/// `--dial-timeout` style flags and `ETCDCTL_*_TIMEOUT` variables.
pub fn parse_duration(s: &str) -> Result<Duration, EtcdError> {
    let s = s.trim();
    let bad = || EtcdError::Config(format!("`{s}` is not a duration (e.g. 2s, 500ms, 10m)"));
    let (num, mult_ms) = if let Some(n) = s.strip_suffix("ms") {
        (n, 1.0)
    } else if let Some(n) = s.strip_suffix('s') {
        (n, 1000.0)
    } else if let Some(n) = s.strip_suffix('m') {
        (n, 60_000.0)
    } else if let Some(n) = s.strip_suffix('h') {
        (n, 3_600_000.0)
    } else {
        (s, 1000.0)
    };
    let v: f64 = num.trim().parse().map_err(|_| bad())?;
    if !v.is_finite() || v <= 0.0 || v * mult_ms > 1e12 {
        return Err(bad());
    }
    Ok(Duration::from_millis((v * mult_ms).round() as u64))
}

/// Adds a scheme to a bare `host:port`: https when TLS material was given,
/// http otherwise (what etcdctl does).
fn normalise_endpoint(ep: &str, tls: bool) -> Result<String, EtcdError> {
    let ep = ep.trim().trim_end_matches('/');
    let invalid = |message: &str| EtcdError::InvalidEndpoint {
        endpoint: ep.to_string(),
        message: message.to_string(),
    };
    let with_scheme = if ep.starts_with("http://") || ep.starts_with("https://") {
        ep.to_string()
    } else if ep.contains("://") {
        return Err(invalid("only http:// and https:// are supported"));
    } else if tls {
        format!("https://{ep}")
    } else {
        format!("http://{ep}")
    };
    let rest = with_scheme.split_once("://").map(|(_, r)| r).unwrap_or("");
    match rest.rsplit_once(':') {
        Some((host, port)) if !host.is_empty() && port.parse::<u16>().is_ok() => Ok(with_scheme),
        _ => Err(invalid("expected [scheme://]host:port")),
    }
}

impl Config {
    /// [`Config::resolve`] with the process environment: what the CLI and
    /// the Python module use.
    pub fn from_process_env(args: &ConnectArgs) -> Result<Config, EtcdError> {
        Config::resolve(args, &|k| std::env::var(k).ok())
    }

    /// Resolves flags, environment (through `env`, so tests need not touch
    /// the process environment) and the env file into a configuration.
    pub fn resolve(
        args: &ConnectArgs,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Config, EtcdError> {
        let file = match &args.env_file {
            Some(p) => Some(EnvFile::read(p)?),
            None => None,
        };
        let env_nonempty = |k: &str| env(k).filter(|v| !v.trim().is_empty());
        let env_first = |keys: &[&str]| keys.iter().find_map(|k| env_nonempty(k));
        let file_first = |keys: &[&str]| file.as_ref().and_then(|f| f.first(keys));

        let pick_path =
            |flag: &Option<PathBuf>, env_keys: &[&str], file_keys: &[&str]| -> Option<PathBuf> {
                flag.clone()
                    .or_else(|| env_first(env_keys).map(PathBuf::from))
                    .or_else(|| file_first(file_keys).map(PathBuf::from))
            };
        let cacert = pick_path(
            &args.cacert,
            &["ETCDCTL_CACERT", "ETCDCTL_CA_FILE"],
            &[
                "ETCDCTL_CA_FILE",
                "ETCDCTL_CACERT",
                "ETCD_TRUSTED_CA_FILE",
                "ETCD_PEER_TRUSTED_CA_FILE",
            ],
        );
        let cert = pick_path(
            &args.cert,
            &["ETCDCTL_CERT", "ETCDCTL_CERT_FILE"],
            &[
                "ETCD_PEER_CERT_FILE",
                "ETCDCTL_CERT",
                "ETCDCTL_CERT_FILE",
                "ETCD_CERT_FILE",
            ],
        );
        let key = pick_path(
            &args.key,
            &["ETCDCTL_KEY", "ETCDCTL_KEY_FILE"],
            &[
                "ETCD_PEER_KEY_FILE",
                "ETCDCTL_KEY",
                "ETCDCTL_KEY_FILE",
                "ETCD_KEY_FILE",
            ],
        );

        let ca = cacert
            .as_deref()
            .map(|p| read_pem("CA certificate", p))
            .transpose()?;
        let identity = match (cert, key) {
            (Some(c), Some(k)) => {
                let (cp, cb) = read_pem("client certificate", &c)?;
                let (kp, kb) = read_pem("client key", &k)?;
                Some((cp, cb, kp, kb))
            }
            (Some(c), None) => {
                return Err(EtcdError::Config(format!(
                    "client certificate {} given without a key (--key or ETCDCTL_KEY)",
                    c.display()
                )))
            }
            (None, Some(k)) => {
                return Err(EtcdError::Config(format!(
                    "client key {} given without a certificate (--cert or ETCDCTL_CERT)",
                    k.display()
                )))
            }
            (None, None) => None,
        };
        let tls = if ca.is_some() || identity.is_some() {
            Some(TlsMaterial { ca, identity })
        } else {
            None
        };

        let raw_endpoints: Vec<String> = if !args.endpoints.is_empty() {
            args.endpoints
                .iter()
                .flat_map(|e| e.split(','))
                .map(str::to_string)
                .collect()
        } else if let Some(e) = env_nonempty("ETCDCTL_ENDPOINTS") {
            e.split(',').map(str::to_string).collect()
        } else if let Some(f) = &file {
            let local = f.client_endpoints();
            if !local.is_empty() {
                local
            } else {
                f.first(&["ETCDCTL_ENDPOINTS"])
                    .map(|e| e.split(',').map(str::to_string).collect())
                    .unwrap_or_default()
            }
        } else {
            Vec::new()
        };
        let mut notes = Vec::new();
        let raw_endpoints = if raw_endpoints.iter().all(|e| e.trim().is_empty()) {
            notes.push(format!(
                "no endpoint given (--endpoints, ETCDCTL_ENDPOINTS or --env-file): using \
                 {DEFAULT_ENDPOINT}, as etcdctl does"
            ));
            vec![DEFAULT_ENDPOINT.to_string()]
        } else {
            raw_endpoints
        };
        let mut endpoints = Vec::new();
        for e in raw_endpoints
            .iter()
            .map(|e| e.trim())
            .filter(|e| !e.is_empty())
        {
            let n = normalise_endpoint(e, tls.is_some())?;
            if !endpoints.contains(&n) {
                endpoints.push(n);
            }
        }

        let timeouts = Timeouts::resolve(args, &env_nonempty)?;

        let mut findings = Vec::new();
        let configured_quota = file
            .as_ref()
            .and_then(|f| configured_quota(f, &mut findings));

        Ok(Config {
            endpoints,
            tls,
            timeouts,
            configured_quota,
            findings,
            redactor: redactor(args, env),
            notes,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KUBESPRAY_ENV: &str = "\
# Environment file for etcd v3.4.13
ETCD_DATA_DIR=/var/lib/etcd
ETCD_ADVERTISE_CLIENT_URLS=https://10.0.0.1:2379
ETCD_NAME=etcd1
ETCD_PROXY=off
ETCD_INITIAL_CLUSTER=etcd1=https://10.0.0.1:2380,etcd2=https://10.0.0.2:2380,etcd3=https://10.0.0.3:2380
ETCD_QUOTA_BACKEND_BYTES=20971520

# TLS settings
ETCD_TRUSTED_CA_FILE=/etc/ssl/etcd/ssl/ca.pem
ETCD_PEER_CERT_FILE=/etc/ssl/etcd/ssl/member-node1.pem
ETCD_PEER_KEY_FILE=/etc/ssl/etcd/ssl/member-node1-key.pem
";

    #[test]
    fn env_file_endpoints_are_the_local_members_client_urls() {
        let f = EnvFile::parse(Path::new("/etc/etcd.env"), KUBESPRAY_ENV).unwrap();
        assert_eq!(f.client_endpoints(), vec!["https://10.0.0.1:2379"]);
        assert_eq!(f.get("ETCD_QUOTA_BACKEND_BYTES"), Some("20971520"));
    }

    #[test]
    fn kubespray_events_etcd_is_reached_on_its_own_client_port_not_peer_minus_one() {
        // kubespray's etcd-events: client 2383, peer 2382 (peer - 1 = 2381 is wrong).
        let text = "ETCD_NAME=etcd1-events\n\
ETCD_ADVERTISE_CLIENT_URLS=https://10.0.0.1:2383\n\
ETCD_LISTEN_CLIENT_URLS=https://10.0.0.1:2383,https://127.0.0.1:2383\n\
ETCD_INITIAL_CLUSTER=etcd1-events=https://10.0.0.1:2382,etcd2-events=https://10.0.0.2:2382\n";
        let f = EnvFile::parse(Path::new("/etc/etcd-events.env"), text).unwrap();
        assert_eq!(
            f.client_endpoints(),
            vec!["https://10.0.0.1:2383", "https://127.0.0.1:2383"]
        );
        let wildcard = EnvFile::parse(
            Path::new("/etc/etcd.env"),
            "ETCD_LISTEN_CLIENT_URLS=http://0.0.0.0:2379\n",
        )
        .unwrap();
        assert_eq!(wildcard.client_endpoints(), vec!["http://127.0.0.1:2379"]);
    }

    #[test]
    fn missing_certificate_file_is_named_in_the_error() {
        let dir = tempfile::tempdir().unwrap();
        let env = dir.path().join("etcd.env");
        std::fs::write(&env, KUBESPRAY_ENV).unwrap();
        let args = ConnectArgs {
            env_file: Some(env),
            ..Default::default()
        };
        let err = Config::resolve(&args, &|_| None).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("/etc/ssl/etcd/ssl/ca.pem"), "{msg}");
        assert!(err.is_input_error());
    }

    #[test]
    fn flags_win_over_environment_and_bare_endpoints_get_a_scheme() {
        let args = ConnectArgs {
            endpoints: vec!["127.0.0.1:2379,127.0.0.1:22379".into()],
            ..Default::default()
        };
        let env = |k: &str| (k == "ETCDCTL_ENDPOINTS").then(|| "http://127.0.0.9:1".to_string());
        let c = Config::resolve(&args, &env).unwrap();
        assert_eq!(
            c.endpoints,
            vec!["http://127.0.0.1:2379", "http://127.0.0.1:22379"]
        );
        let c = Config::resolve(&ConnectArgs::default(), &env).unwrap();
        assert_eq!(c.endpoints, vec!["http://127.0.0.9:1"]);
    }

    #[test]
    fn no_endpoints_anywhere_is_etcdctls_default_said_in_a_note() {
        let c = Config::resolve(&ConnectArgs::default(), &|_| None).unwrap();
        assert_eq!(c.endpoints, vec!["http://127.0.0.1:2379"]);
        assert!(c.notes[0].contains("using 127.0.0.1:2379"), "{:?}", c.notes);
    }

    #[test]
    fn the_redactor_knows_endpoint_passwords_from_flags_environment_and_env_file() {
        let dir = tempfile::tempdir().unwrap();
        let env = dir.path().join("etcd.env");
        std::fs::write(
            &env,
            "ETCD_ADVERTISE_CLIENT_URLS=http://u:file/pw#1@127.0.0.1:2379\n",
        )
        .unwrap();
        let args = ConnectArgs {
            endpoints: vec!["http://u:flag pw@127.0.0.1:1".into()],
            env_file: Some(env),
            ..Default::default()
        };
        let r = redactor(&args, &|k| {
            (k == "ETCDCTL_ENDPOINTS").then(|| "http://u:env/pw@127.0.0.1:2".to_string())
        });
        let out = r.redact("flag pw, env/pw and file/pw#1");
        assert_eq!(out, "***, *** and ***");
    }

    #[test]
    fn malformed_env_file_line_reports_file_and_line() {
        let err =
            EnvFile::parse(Path::new("/etc/etcd.env"), "A=1\nthis is not a var\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "/etc/etcd.env:2: expected KEY=value, found `this is not a var`"
        );
    }

    #[test]
    fn quota_with_a_unit_in_env_file_is_a_finding_naming_file_and_line_not_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let env = dir.path().join("etcd.env");
        std::fs::write(
            &env,
            "ETCD_NAME=etcd3\nETCD_QUOTA_BACKEND_BYTES=20Mi\nETCDCTL_ENDPOINTS=http://127.0.0.1:2379\n",
        )
        .unwrap();
        let args = ConnectArgs {
            env_file: Some(env.clone()),
            ..Default::default()
        };
        let c = Config::resolve(&args, &|_| None).unwrap();
        assert!(c.configured_quota.is_none());
        let f = &c.findings[0];
        assert_eq!(f.code, "KM134");
        assert_eq!(f.file.as_deref(), Some(env.as_path()));
        assert_eq!(f.line, Some(2));
        assert!(f.message.contains("20971520"), "{}", f.message);
        let garbage = dir.path().join("garbage.env");
        std::fs::write(
            &garbage,
            "ETCD_QUOTA_BACKEND_BYTES=lots\nETCDCTL_ENDPOINTS=http://127.0.0.1:2379\n",
        )
        .unwrap();
        let c = Config::resolve(
            &ConnectArgs {
                env_file: Some(garbage),
                ..Default::default()
            },
            &|_| None,
        )
        .unwrap();
        assert_eq!(c.findings[0].code, "KM134");
        assert_eq!(c.findings[0].line, Some(1));
    }

    #[test]
    fn quota_in_env_file_is_parsed_with_its_origin() {
        let dir = tempfile::tempdir().unwrap();
        let env = dir.path().join("etcd.env");
        std::fs::write(
            &env,
            "ETCD_NAME=etcd3\nETCD_QUOTA_BACKEND_BYTES=20971520\nETCDCTL_ENDPOINTS=http://127.0.0.1:2379\n",
        )
        .unwrap();
        let c = Config::resolve(
            &ConnectArgs {
                env_file: Some(env.clone()),
                ..Default::default()
            },
            &|_| None,
        )
        .unwrap();
        let q = c.configured_quota.unwrap();
        assert_eq!(q.bytes, ByteSize::mib(20));
        assert_eq!(q.origin, Origin::new(env, Some(2)));
        assert_eq!(q.member_name.as_deref(), Some("etcd3"));
    }

    #[test]
    fn durations_parse_like_etcdctl_flags() {
        assert_eq!(parse_duration("2s").unwrap(), Duration::from_secs(2));
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("10m").unwrap(), Duration::from_secs(600));
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("-1s").is_err());
    }
}
