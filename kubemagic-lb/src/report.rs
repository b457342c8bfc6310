//! The text report of `kubemagic lb render`, written through the one
//! redacting writer (`kubemagic_core::RedactingWriter`): the CLI only picks
//! where each part goes (the files on stdout, the findings on stderr).

use crate::model::LbModel;
use crate::render::render_all;
use kubemagic_core::redact::{RedactingWriter, Redactor};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// The redactor for a report on `model`: the patterns every report masks,
/// plus the model's own secrets (the VRRP password), so a keepalived.conf
/// shown on a terminal never shows it (`--dest` writes the real file).
pub fn redactor(model: &LbModel) -> Redactor {
    Redactor::new().with_secrets(model.secrets())
}

/// Each lb host's two files, headed `### HOST/FILE`; nothing when the model
/// is unsafe to render (the findings say why).
pub fn write_files<W: Write>(out: &mut RedactingWriter<W>, model: &LbModel) -> io::Result<()> {
    for r in render_all(model) {
        writeln!(out, "### {}/haproxy.cfg\n{}", r.host, r.haproxy_cfg)?;
        writeln!(out, "### {}/keepalived.conf\n{}", r.host, r.keepalived_conf)?;
    }
    Ok(())
}

/// The paths `--dest` wrote, one `wrote PATH` line each.
pub fn write_written<W: Write>(
    out: &mut RedactingWriter<W>,
    written: &[PathBuf],
) -> io::Result<()> {
    for p in written {
        writeln!(out, "wrote {}", p.display())?;
    }
    Ok(())
}

/// The findings, as `kubemagic_core::render::text` renders them (paths
/// relative to `relative_to`).
pub fn write_findings<W: Write>(
    out: &mut RedactingWriter<W>,
    model: &LbModel,
    relative_to: Option<&Path>,
) -> io::Result<()> {
    if model.findings.is_empty() {
        return Ok(());
    }
    let opts = kubemagic_core::render::TextOptions {
        color: false,
        relative_to,
    };
    write!(
        out,
        "{}",
        kubemagic_core::render::text(&model.findings, &opts)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use kubemagic_site::site::{InventoryKind, Site};
    use serde_json::json;

    #[test]
    fn the_vrrp_password_never_reaches_the_text_report() {
        let mut s = Site::new("/site");
        let c = s.inventory_mut(InventoryKind::Custom);
        for (h, a) in [("lb1", "10.0.0.5"), ("lb2", "10.0.0.6")] {
            c.add_host(h, &["lb"]);
            c.set_var(h, "ansible_host", json!(a), None);
            c.set_var(h, "keepalived_vip", json!("10.0.0.10/24"), None);
            c.set_var(h, "keepalived_auth_password", json!("Zq8#xv2!"), None);
        }
        let k = s.inventory_mut(InventoryKind::Kubespray);
        k.add_host("m1", &["kube_control_plane"]);
        k.set_var("m1", "ip", json!("10.0.0.11"), None);
        let m = crate::build(&s);
        assert!(m.findings.is_empty(), "{:?}", m.findings);
        let mut w = RedactingWriter::new(Vec::new(), redactor(&m));
        write_files(&mut w, &m).unwrap();
        write_findings(&mut w, &m, None).unwrap();
        let text = String::from_utf8(w.finish().unwrap()).unwrap();
        assert!(text.contains("auth_type PASS"), "{text}");
        assert!(!text.contains("Zq8#xv2!"), "{text}");
    }
}
