//! One single-endpoint client per member.
//!
//! An etcd-client `Client` balances over all its endpoints, so a status or a
//! defragmentation through a multi-endpoint client may land on any member.
//! kubemagic builds one client per member and addresses members explicitly.

use crate::config::{Config, Timeouts};
use crate::error::EtcdError;
use crate::metrics::{self, MemberMetrics};
use crate::model::{ListedMember, MemberId};
use crate::plan;
use etcd_client::{Certificate, ConnectOptions, Identity, TlsOptions};
use std::future::Future;
use std::time::Duration;

/// A connection to exactly one member.
#[derive(Clone)]
pub struct Member {
    /// The one client URL this connection talks to. Each member gets its own
    /// single-endpoint client because etcd clients balance requests over
    /// their endpoints, while Status, defragment and `/metrics` must reach the
    /// member they are about, not whichever one the balancer picked.
    pub endpoint: String,
    /// Id, name and role from the member list; `None`/empty when the member
    /// list could not be read and this is a bootstrap endpoint.
    pub id: Option<MemberId>,
    /// Name from the member list.
    pub name: Option<String>,
    /// A learner according to the member list: it does not vote.
    pub is_learner: bool,
    pub(crate) client: etcd_client::Client,
    http: reqwest::Client,
    pub(crate) timeouts: Timeouts,
}

/// How the members were found.
#[derive(Debug, Clone, Default)]
pub struct Discovery {
    /// The endpoints the caller gave (flags, environment or env file): only
    /// used to reach the cluster and ask it for its member list.
    pub bootstrap: Vec<String>,
    /// The bootstrap endpoint whose member answered the member list.
    pub answered_by: Option<String>,
    /// Why each bootstrap endpoint failed, when none answered.
    pub errors: Vec<(String, String)>,
    /// Bootstrap endpoints that could not even be connected to: status
    /// reports them without asking again (a dead member costs one dial
    /// timeout, not two).
    pub dead: Vec<String>,
    /// Listed members that advertise no client URL (added but never
    /// started): they count for quorum but cannot be queried.
    pub unaddressable: Vec<ListedMember>,
}

/// Connections to every member of the cluster.
#[derive(Clone)]
pub struct Cluster {
    /// The configuration the cluster was reached with.
    pub config: Config,
    /// One per listed member with a client URL (every bootstrap endpoint
    /// when no member list could be read).
    pub members: Vec<Member>,
    /// The member list as the cluster reported it (empty when no bootstrap
    /// endpoint answered).
    pub member_list: Vec<ListedMember>,
    /// How the members were found. Members come from the cluster's member
    /// list rather than from the endpoints given, so that a member left out
    /// of `--endpoints` is still checked and defragmented.
    pub discovery: Discovery,
}

impl Cluster {
    /// Asks the cluster for its member list through the bootstrap endpoints
    /// (all at once, the first answer wins: one round trip), then builds one
    /// client per listed member on its own advertised client URL. Decisions
    /// about a cluster come from the cluster, not from a possibly stale or
    /// partial list typed by a user. When no endpoint answers, the
    /// bootstrap endpoints are the members (all reported unreachable).
    pub async fn connect(config: Config) -> Result<Cluster, EtcdError> {
        let http = http_client(&config)?;
        let mut boot = Vec::with_capacity(config.endpoints.len());
        for ep in &config.endpoints {
            boot.push(Member::new(ep, &config, &http).await?);
        }
        let mut discovery = Discovery {
            bootstrap: config.endpoints.clone(),
            ..Default::default()
        };
        let mut set = tokio::task::JoinSet::new();
        for (i, m) in boot.iter().enumerate() {
            let m = m.clone();
            set.spawn(async move { (i, m.member_list().await) });
        }
        let mut answer = None;
        let mut errors: Vec<(usize, EtcdError)> = Vec::new();
        while let Some(r) = set.join_next().await {
            match r {
                Ok((i, Ok(list))) => {
                    answer = Some((i, list));
                    break;
                }
                Ok((i, Err(e))) => errors.push((i, e)),
                Err(_) => {}
            }
        }
        set.abort_all();
        let Some((i, (answering_id, list))) = answer else {
            errors.sort_by_key(|(i, _)| *i);
            discovery.dead = errors
                .iter()
                .filter(|(_, e)| matches!(e, EtcdError::Unreachable { .. }))
                .map(|(i, _)| boot[*i].endpoint.clone())
                .collect();
            discovery.errors = errors
                .into_iter()
                .map(|(i, e)| (boot[i].endpoint.clone(), e.to_string()))
                .collect();
            return Ok(Cluster {
                config,
                members: boot,
                member_list: Vec::new(),
                discovery,
            });
        };
        discovery.answered_by = Some(boot[i].endpoint.clone());
        let tls = config.tls.is_some();
        let mut members = Vec::with_capacity(list.len());
        for lm in &list {
            let Some(ep) =
                plan::client_endpoint(lm, answering_id, &boot[i].endpoint, &config.endpoints, tls)
            else {
                discovery.unaddressable.push(lm.clone());
                continue;
            };
            let mut m = match boot.iter().find(|b| b.endpoint == ep) {
                Some(b) => b.clone(),
                None => Member::new(&ep, &config, &http).await?,
            };
            m.id = Some(lm.id);
            m.name = Some(lm.name.clone()).filter(|n| !n.is_empty());
            m.is_learner = lm.is_learner;
            members.push(m);
        }
        Ok(Cluster {
            config,
            members,
            member_list: list,
            discovery,
        })
    }

    /// The member for `endpoint`, given with or without its scheme.
    pub fn member(&self, endpoint: &str) -> Option<&Member> {
        let e = endpoint.trim_end_matches('/');
        self.members.iter().find(|m| {
            m.endpoint == e
                || m.endpoint
                    .split_once("://")
                    .is_some_and(|(_, rest)| rest == e)
        })
    }

    /// The member a one-member request (alarms, compaction, usage) goes to
    /// before any status is known: the one that answered the member list.
    pub(crate) fn first_answering(&self) -> Option<&Member> {
        self.discovery
            .answered_by
            .as_deref()
            .and_then(|e| self.member(e))
    }
}

fn tls_options(config: &Config) -> TlsOptions {
    let mut t = TlsOptions::new();
    if let Some(tls) = &config.tls {
        if let Some((_, ca)) = &tls.ca {
            t = t.ca_certificate(Certificate::from_pem(ca));
        }
        if let Some((_, cert, _, key)) = &tls.identity {
            t = t.identity(Identity::from_pem(cert, key));
        }
    }
    t
}

fn http_client(config: &Config) -> Result<reqwest::Client, EtcdError> {
    let mut b = reqwest::Client::builder()
        .connect_timeout(config.timeouts.dial)
        .timeout(config.timeouts.command)
        .use_rustls_tls();
    if let Some(tls) = &config.tls {
        if let Some((path, ca)) = &tls.ca {
            let cert = reqwest::Certificate::from_pem(ca).map_err(|e| EtcdError::BadPem {
                what: "CA certificate",
                path: path.clone(),
                message: e.to_string(),
            })?;
            b = b.add_root_certificate(cert).tls_built_in_root_certs(false);
        }
        if let Some((cpath, cert, _, key)) = &tls.identity {
            let mut pem = cert.clone();
            pem.push(b'\n');
            pem.extend_from_slice(key);
            let id = reqwest::Identity::from_pem(&pem).map_err(|e| EtcdError::BadPem {
                what: "client certificate and key",
                path: cpath.clone(),
                message: e.to_string(),
            })?;
            b = b.identity(id);
        }
    }
    b.build()
        .map_err(|e| EtcdError::Config(format!("cannot build the HTTP client for /metrics: {e}")))
}

impl Member {
    /// A client for one endpoint; nothing is dialled yet (channels connect
    /// lazily, so an unreachable member is reported by the first call made
    /// to it, under its own name).
    async fn new(ep: &str, config: &Config, http: &reqwest::Client) -> Result<Member, EtcdError> {
        let mut opts = ConnectOptions::new().with_connect_timeout(config.timeouts.dial);
        if ep.starts_with("https://") {
            opts = opts.with_tls(tls_options(config));
        }
        let client = etcd_client::Client::connect([ep], Some(opts))
            .await
            .map_err(|e| match e {
                etcd_client::Error::InvalidArgs(m) | etcd_client::Error::EndpointError(m) => {
                    EtcdError::InvalidEndpoint {
                        endpoint: ep.to_string(),
                        message: m,
                    }
                }
                etcd_client::Error::InvalidUri(u) => EtcdError::InvalidEndpoint {
                    endpoint: ep.to_string(),
                    message: u.to_string(),
                },
                other => EtcdError::from_client(ep, "connect", other),
            })?;
        Ok(Member {
            endpoint: ep.to_string(),
            id: None,
            name: None,
            is_learner: false,
            client,
            http: http.clone(),
            timeouts: config.timeouts,
        })
    }

    /// The member list as this member sees it, with this member's own id
    /// (from the response header).
    pub async fn member_list(&self) -> Result<(MemberId, Vec<ListedMember>), EtcdError> {
        let mut c = self.client.clone();
        let r = self
            .call("member list", self.timeouts.command, async move {
                c.member_list().await
            })
            .await?;
        let me = MemberId(r.header().map(|h| h.member_id()).unwrap_or(0));
        Ok((
            me,
            r.members()
                .iter()
                .map(|x| ListedMember {
                    id: MemberId(x.id()),
                    name: x.name().to_string(),
                    client_urls: x.client_urls().to_vec(),
                    is_learner: x.is_learner(),
                })
                .collect(),
        ))
    }

    /// Runs one RPC under a deadline. A deadline hit is classified with a
    /// plain TCP connect so that "connection refused" reads as unreachable
    /// rather than as a vague timeout.
    pub(crate) async fn call<T, F>(
        &self,
        op: &'static str,
        after: Duration,
        fut: F,
    ) -> Result<T, EtcdError>
    where
        F: Future<Output = Result<T, etcd_client::Error>>,
    {
        let started = tokio::time::Instant::now();
        tokio::pin!(fut);
        // A dead member makes the balanced channel wait for readiness until
        // the deadline. When no answer came within the dial timeout, a plain
        // TCP connect tells "connection refused" at once; a member that
        // accepts TCP is given the rest of the deadline. (Probing only then
        // keeps healthy members' logs free of half-open connections.)
        let dial = self.timeouts.dial.min(after);
        match tokio::time::timeout(dial, &mut fut).await {
            Ok(Ok(v)) => return Ok(v),
            Ok(Err(e)) => {
                return Err(self
                    .refine(EtcdError::from_client(&self.endpoint, op, e))
                    .await)
            }
            Err(_) => {
                if let Some(e) = self.tcp_unreachable().await {
                    return Err(e);
                }
            }
        }
        let rest = after.saturating_sub(started.elapsed());
        match tokio::time::timeout(rest, &mut fut).await {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => Err(EtcdError::from_client(&self.endpoint, op, e)),
            Err(_) => Err(self.classify_timeout(op, after).await),
        }
    }

    /// A plaintext endpoint whose member accepts TCP but drops the gRPC
    /// stream is almost always a TLS member addressed with http://: say so.
    async fn refine(&self, e: EtcdError) -> EtcdError {
        match e {
            EtcdError::Unreachable { endpoint, reason }
                if self.endpoint.starts_with("http://") && self.tcp_unreachable().await.is_none() =>
            {
                EtcdError::Tls {
                    endpoint,
                    reason: format!(
                        "the member accepts connections but dropped a plaintext gRPC stream ({reason}); \
                         it probably serves TLS"
                    ),
                }
            }
            other => other,
        }
    }

    /// `Some` when a TCP connection to the member cannot be opened.
    async fn tcp_unreachable(&self) -> Option<EtcdError> {
        let hostport = self
            .endpoint
            .split_once("://")
            .map(|(_, r)| r)
            .unwrap_or(&self.endpoint)
            .to_string();
        match tokio::time::timeout(
            self.timeouts.dial,
            tokio::net::TcpStream::connect(&hostport),
        )
        .await
        {
            Ok(Ok(_)) => None,
            Ok(Err(e)) => Some(EtcdError::Unreachable {
                endpoint: self.endpoint.clone(),
                reason: e.to_string(),
            }),
            Err(_) => Some(EtcdError::Unreachable {
                endpoint: self.endpoint.clone(),
                reason: format!("no TCP answer within {}s", self.timeouts.dial.as_secs_f32()),
            }),
        }
    }

    async fn classify_timeout(&self, op: &'static str, after: Duration) -> EtcdError {
        self.tcp_unreachable().await.unwrap_or(EtcdError::Timeout {
            endpoint: self.endpoint.clone(),
            op,
            after,
        })
    }

    /// Status of this member alone, within the command timeout. A timeout
    /// is reported as [`EtcdError::Unreachable`] when the member's port does
    /// not accept TCP either.
    pub async fn status(&self) -> Result<etcd_client::StatusResponse, EtcdError> {
        let mut c = self.client.clone();
        self.call(
            "status",
            self.timeouts.command,
            async move { c.status().await },
        )
        .await
    }

    /// Reads the quota and sizes from `/metrics`.
    pub async fn metrics(&self) -> Result<MemberMetrics, EtcdError> {
        let url = format!("{}/metrics", self.endpoint);
        let err = |message: String| EtcdError::Metrics {
            endpoint: self.endpoint.clone(),
            message,
        };
        let resp = self.http.get(&url).send().await.map_err(|e| {
            let mut s = e.to_string();
            let mut src = std::error::Error::source(&e);
            while let Some(x) = src {
                s.push_str(": ");
                s.push_str(&x.to_string());
                src = x.source();
            }
            err(s)
        })?;
        if !resp.status().is_success() {
            return Err(err(format!("HTTP {}", resp.status())));
        }
        let text = resp.text().await.map_err(|e| err(e.to_string()))?;
        Ok(metrics::parse(&text))
    }
}
