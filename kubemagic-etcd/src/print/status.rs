//! `etcd status` as a table, the alarms and the findings.

use super::table;
use crate::model::{ClusterStatus, MemberStatus};
use crate::plan::NOTHING_READ;
use kubemagic_core::RedactingWriter;
use std::io::{self, Write};

const HEADER: [&str; 12] = [
    "ENDPOINT",
    "ID",
    "NAME",
    "VERSION",
    "DB SIZE",
    "IN USE",
    "FRAG",
    "QUOTA",
    "% QUOTA",
    "IS LEADER",
    "RAFT TERM",
    "RAFT INDEX",
];

fn row(m: &MemberStatus) -> Vec<String> {
    let l = m.live.as_ref();
    let dash = || "-".to_string();
    vec![
        m.endpoint.clone(),
        m.id.map(|i| i.to_string()).unwrap_or_else(dash),
        m.name.clone().unwrap_or_else(dash),
        l.map(|l| l.version.clone()).unwrap_or_else(dash),
        l.map(|l| l.db_size.to_string()).unwrap_or_else(dash),
        match l.map(|l| l.db_size_in_use) {
            None => dash(),
            Some(None) => "unknown".into(),
            Some(Some(u)) => u.to_string(),
        },
        match (l, m.fragmentation()) {
            (None, _) => dash(),
            (Some(_), None) => "unknown".into(),
            (Some(_), Some(f)) => format!("{:.0} %", f * 100.0),
        },
        m.quota_backend_bytes
            .map(|q| q.to_string())
            .unwrap_or_else(dash),
        m.quota_fraction()
            .map(|f| format!("{:.0} %", f * 100.0))
            .unwrap_or_else(dash),
        match l {
            None => "unreachable".into(),
            Some(_) if m.is_leader() => "true".into(),
            Some(_) => "false".into(),
        },
        l.map(|l| l.raft_term.to_string()).unwrap_or_else(dash),
        l.map(|l| l.raft_index.to_string()).unwrap_or_else(dash),
    ]
}

/// The status table, the alarms ("unknown" when no member answered the
/// alarm list: never "none" for what was not seen) and the findings.
pub fn status<W: Write>(w: &mut RedactingWriter<W>, st: &ClusterStatus) -> io::Result<()> {
    let rows: Vec<Vec<String>> = st.members.iter().map(row).collect();
    table(w, &HEADER, &rows)?;
    if !st.alarms_known {
        let why = if crate::health::nothing_readable(&st.members) {
            NOTHING_READ
        } else {
            "no member answered the alarm list"
        };
        writeln!(w, "alarms: unknown ({why})")?;
    } else if st.alarms.is_empty() {
        writeln!(w, "alarms: none")?;
    } else {
        for a in &st.alarms {
            writeln!(w, "alarm: memberID:{} alarm:{}", a.member_id, a.alarm)?;
        }
    }
    if st.findings.is_empty() {
        writeln!(w, "no findings")?;
    }
    for f in &st.findings {
        writeln!(w, "{f}")?;
    }
    w.flush()
}
