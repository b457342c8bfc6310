//! Every finding code kubemagic emits, in one list: codes are a contract
//! (scripts grep for them, `checks.ignore` names them, docs/checks.md
//! documents them), so two crates must never hand out the same code for
//! different things. Each crate keeps the details of its own codes (the site
//! checks their severities, titles and version ranges); this registry says
//! which crate owns each one, a test here proves the list has no duplicate,
//! and a workspace test proves every code a crate's sources use is listed
//! here under that crate.
//!
//! Families: KM1xx etcd (KM101–114 site checks, KM121–134 live `etcd
//! status`, KM141–143 a member's own configuration in `etcd member`), KM2xx Ceph
//! (KM201–245 site checks, KM221–235 `kubemagic ceph`, KM250–256 `kubemagic ceph doctor`),
//! KM3xx network and load balancer (KM330–339 `kubemagic lb`, KM340–349
//! TLS certificates, `kubemagic certs`), KM4xx
//! registries, KM5xx upstreams, KM6xx inventory layout, KM7xx OpenShift,
//! KM8xx kubespray's own inventory asserts, KM9xx kubemagic's own
//! configuration.

/// The crate that emits a code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Owner {
    /// `kubemagic check` (kubemagic-site); `kubemagic lb` reuses KM321.
    Site,
    /// `kubemagic etcd` on a live cluster (kubemagic-etcd).
    Etcd,
    /// `kubemagic ceph` (kubemagic-ceph).
    Ceph,
    /// `kubemagic lb` (kubemagic-lb).
    Lb,
    /// `kubemagic certs` (kubemagic-certs).
    Certs,
}

/// One registered code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Code {
    /// `KMnnn`.
    pub code: &'static str,
    /// Who emits it.
    pub owner: Owner,
}

impl Code {
    const fn new(code: &'static str, owner: Owner) -> Code {
        Code { code, owner }
    }
}

/// Every code, sorted.
pub const ALL: &[Code] = &[
    Code::new("KM101", Owner::Site),
    Code::new("KM102", Owner::Site),
    Code::new("KM103", Owner::Site),
    Code::new("KM104", Owner::Site),
    Code::new("KM105", Owner::Site),
    Code::new("KM111", Owner::Site),
    Code::new("KM112", Owner::Site),
    Code::new("KM113", Owner::Site),
    Code::new("KM114", Owner::Site),
    Code::new("KM121", Owner::Etcd),
    Code::new("KM122", Owner::Etcd),
    Code::new("KM123", Owner::Etcd),
    Code::new("KM124", Owner::Etcd),
    Code::new("KM125", Owner::Etcd),
    Code::new("KM126", Owner::Etcd),
    Code::new("KM127", Owner::Etcd),
    Code::new("KM128", Owner::Etcd),
    Code::new("KM129", Owner::Etcd),
    Code::new("KM130", Owner::Etcd),
    Code::new("KM131", Owner::Etcd),
    Code::new("KM132", Owner::Etcd),
    Code::new("KM133", Owner::Etcd),
    Code::new("KM134", Owner::Etcd),
    Code::new("KM141", Owner::Etcd),
    Code::new("KM142", Owner::Etcd),
    Code::new("KM143", Owner::Etcd),
    Code::new("KM201", Owner::Site),
    Code::new("KM202", Owner::Site),
    Code::new("KM203", Owner::Site),
    Code::new("KM211", Owner::Site),
    Code::new("KM212", Owner::Site),
    Code::new("KM213", Owner::Site),
    Code::new("KM221", Owner::Ceph),
    Code::new("KM222", Owner::Ceph),
    Code::new("KM223", Owner::Ceph),
    Code::new("KM224", Owner::Ceph),
    Code::new("KM225", Owner::Ceph),
    Code::new("KM226", Owner::Ceph),
    Code::new("KM227", Owner::Ceph),
    Code::new("KM228", Owner::Ceph),
    Code::new("KM229", Owner::Ceph),
    Code::new("KM230", Owner::Ceph),
    Code::new("KM231", Owner::Ceph),
    Code::new("KM232", Owner::Ceph),
    Code::new("KM233", Owner::Ceph),
    Code::new("KM234", Owner::Ceph),
    Code::new("KM235", Owner::Ceph),
    Code::new("KM241", Owner::Site),
    Code::new("KM242", Owner::Site),
    Code::new("KM243", Owner::Site),
    Code::new("KM244", Owner::Site),
    Code::new("KM245", Owner::Site),
    Code::new("KM250", Owner::Ceph),
    Code::new("KM251", Owner::Ceph),
    Code::new("KM252", Owner::Ceph),
    Code::new("KM253", Owner::Ceph),
    Code::new("KM254", Owner::Ceph),
    Code::new("KM255", Owner::Ceph),
    Code::new("KM256", Owner::Ceph),
    Code::new("KM301", Owner::Site),
    Code::new("KM311", Owner::Site),
    Code::new("KM321", Owner::Site),
    Code::new("KM322", Owner::Site),
    Code::new("KM323", Owner::Site),
    Code::new("KM324", Owner::Site),
    Code::new("KM330", Owner::Lb),
    Code::new("KM331", Owner::Lb),
    Code::new("KM332", Owner::Lb),
    Code::new("KM333", Owner::Lb),
    Code::new("KM334", Owner::Lb),
    Code::new("KM335", Owner::Lb),
    Code::new("KM336", Owner::Lb),
    Code::new("KM337", Owner::Lb),
    Code::new("KM338", Owner::Lb),
    Code::new("KM339", Owner::Lb),
    Code::new("KM340", Owner::Certs),
    Code::new("KM341", Owner::Certs),
    Code::new("KM342", Owner::Certs),
    Code::new("KM343", Owner::Certs),
    Code::new("KM344", Owner::Certs),
    Code::new("KM345", Owner::Certs),
    Code::new("KM346", Owner::Certs),
    Code::new("KM347", Owner::Certs),
    Code::new("KM348", Owner::Certs),
    Code::new("KM349", Owner::Certs),
    Code::new("KM401", Owner::Site),
    Code::new("KM402", Owner::Site),
    Code::new("KM403", Owner::Site),
    Code::new("KM404", Owner::Site),
    Code::new("KM405", Owner::Site),
    Code::new("KM501", Owner::Site),
    Code::new("KM502", Owner::Site),
    Code::new("KM503", Owner::Site),
    Code::new("KM504", Owner::Site),
    Code::new("KM505", Owner::Site),
    Code::new("KM601", Owner::Site),
    Code::new("KM602", Owner::Site),
    Code::new("KM603", Owner::Site),
    Code::new("KM604", Owner::Site),
    Code::new("KM701", Owner::Site),
    Code::new("KM702", Owner::Site),
    Code::new("KM703", Owner::Site),
    Code::new("KM704", Owner::Site),
    Code::new("KM705", Owner::Site),
    Code::new("KM706", Owner::Site),
    Code::new("KM707", Owner::Site),
    Code::new("KM708", Owner::Site),
    Code::new("KM801", Owner::Site),
    Code::new("KM802", Owner::Site),
    Code::new("KM803", Owner::Site),
    Code::new("KM804", Owner::Site),
    Code::new("KM805", Owner::Site),
    Code::new("KM806", Owner::Site),
    Code::new("KM807", Owner::Site),
    Code::new("KM808", Owner::Site),
    Code::new("KM809", Owner::Site),
    Code::new("KM810", Owner::Site),
    Code::new("KM901", Owner::Site),
];

/// The registry entry of `code`, if registered.
pub fn lookup(code: &str) -> Option<&'static Code> {
    ALL.iter().find(|c| c.code == code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_is_registered_once_and_well_formed() {
        let mut seen = std::collections::BTreeSet::new();
        for c in ALL {
            assert!(seen.insert(c.code), "{} registered twice", c.code);
            assert!(
                c.code.len() == 5
                    && c.code.starts_with("KM")
                    && c.code[2..].bytes().all(|b| b.is_ascii_digit()),
                "{}",
                c.code
            );
        }
        assert!(
            ALL.windows(2).all(|w| w[0].code < w[1].code),
            "keep ALL sorted"
        );
    }
}
