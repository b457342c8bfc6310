//! Accepted findings applied: the ignores read by [`crate::suppress`]
//! (kubemagic.yml's `checks.ignore`, inline `kubemagic: ignore[...]`)
//! split the findings into kept and suppressed; an ignore that matches
//! nothing becomes KM901.

use crate::site::Site;
use crate::suppress::{Ignore, Scope, Suppressed};
use kubemagic_core::Finding;

fn matches(site: &Site, ig: &Ignore, f: &Finding) -> bool {
    if !ig.codes.contains(&f.code) {
        return false;
    }
    match &ig.scope {
        Scope::Lines { file, lines } => {
            f.file.as_deref() == Some(file.as_path()) && f.line.is_some_and(|l| lines.contains(&l))
        }
        Scope::Site { hosts, groups } => {
            if hosts.is_empty() && groups.is_empty() {
                return true;
            }
            let host_ok = f.host.as_ref().is_some_and(|h| hosts.contains(h));
            let group_ok = f.group.as_ref().is_some_and(|g| groups.contains(g))
                || f.host.as_ref().is_some_and(|h| {
                    groups.iter().any(|g| {
                        site.inventories
                            .iter()
                            .any(|inv| inv.group_hosts(g).iter().any(|x| x == h))
                    })
                });
            host_ok || group_ok
        }
    }
}

/// Splits `findings` into kept and suppressed by the site's ignores, and
/// adds a KM901 warning for each ignore that matched nothing.
pub(crate) fn apply(site: &Site, findings: Vec<Finding>) -> (Vec<Finding>, Vec<Suppressed>) {
    if site.ignores.is_empty() {
        return (findings, Vec::new());
    }
    let mut used = vec![false; site.ignores.len()];
    let mut kept = Vec::new();
    let mut suppressed = Vec::new();
    for f in findings {
        match site.ignores.iter().position(|ig| matches(site, ig, &f)) {
            Some(i) => {
                used[i] = true;
                let ig = &site.ignores[i];
                suppressed.push(Suppressed {
                    finding: f,
                    reason: ig.reason.clone(),
                    ignored_at: ig.at.clone(),
                });
            }
            None => kept.push(f),
        }
    }
    for (ig, used) in site.ignores.iter().zip(used) {
        if !used {
            kept.push(
                super::common::finding(
                    "KM901",
                    format!(
                        "ignore[{}] matches no finding: the mistake it accepted is gone (or the ignore is misplaced); remove it",
                        ig.codes.join(",")
                    ),
                )
                .at(Some(&ig.at)),
            );
        }
    }
    (kept, suppressed)
}
