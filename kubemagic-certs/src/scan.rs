//! Reading certificate files, kubeconfigs and directories of them.
//!
//! Which files count is decided by name first: `*.crt`, `*.pem`, `*.cert`,
//! `*.cer` are read as PEM; `*.conf`, `*.kubeconfig`, `kubeconfig` as
//! kubeconfigs when they embed a certificate; `*.key` and `*-key.pem`
//! (kubespray's and openssl's key names) are skipped *without being
//! opened*. A PEM file holding only private keys is skipped too. Every read
//! goes through `kubemagic_fs` (regular files only, size cap).
//!
//! The certificate files a kubeconfig names (`client-certificate`,
//! `certificate-authority`) are read too, wherever they are (under the
//! scan's root: a copy of a host's files keeps its layout), once each,
//! and not again when the scan lists them itself.

use crate::kubeconfig;
use crate::model::{Certificate, Kind, Skipped};
use crate::pem::{self, Block, Place};
use crate::CertsError;
use kubemagic_core::{Finding, Origin};
use kubemagic_fs::limits::MAX_CERT_BYTES;
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// What a scan read.
#[derive(Debug, Default)]
pub struct Scan {
    /// The certificates, in file order.
    pub certificates: Vec<Certificate>,
    /// Private keys recognised and skipped.
    pub skipped: Vec<Skipped>,
    /// Files inside scanned directories that could not be read as what
    /// their name says (KM348).
    pub findings: Vec<Finding>,
}

/// How a file's name classifies it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Named {
    Key,
    Pem,
    Kubeconfig,
    Other,
}

fn classify(path: &Path) -> Named {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let ext = name.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
    if ext == "key" || name.ends_with("-key.pem") || name.ends_with("_key.pem") || name == "key.pem"
    {
        return Named::Key;
    }
    match ext {
        "crt" | "pem" | "cert" | "cer" => Named::Pem,
        "conf" | "kubeconfig" => Named::Kubeconfig,
        _ if name == "kubeconfig" => Named::Kubeconfig,
        _ => Named::Other,
    }
}

/// What the reading of one scan shares: the root absolute paths in
/// kubeconfigs are under, the files the scan lists, the files read (both
/// by canonical path, so a link and its target count once).
struct Ctx<'a> {
    root: &'a Path,
    listed: HashSet<PathBuf>,
    seen: HashSet<PathBuf>,
}

/// The identity of a file for deduplication: its canonical path, else the
/// path as given (a file that does not exist is reported once anyway).
fn key(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

/// Reads every path: files as named, directories recursively (links to
/// directories are not followed, so a loop cannot trap the scan), and the
/// `expected` files as if found in a directory (one that does not read is
/// a finding, not the end of the scan). `root` is where the absolute paths
/// a kubeconfig names are (`/`, or a copy of a host's files).
pub fn scan(paths: &[PathBuf], expected: &[PathBuf], root: &Path) -> Result<Scan, CertsError> {
    let mut out = Scan::default();
    let mut files: Vec<(PathBuf, bool)> = expected.iter().map(|f| (f.clone(), true)).collect();
    for p in paths {
        let meta = std::fs::metadata(p).map_err(|source| CertsError::Dir {
            path: p.clone(),
            source,
        })?;
        if meta.is_dir() {
            let mut found = Vec::new();
            walk(p, &mut found)?;
            files.extend(found.into_iter().map(|f| (f, true)));
        } else {
            files.push((p.clone(), false));
        }
    }
    let mut ctx = Ctx {
        root,
        listed: files.iter().map(|(f, _)| key(f)).collect(),
        seen: HashSet::new(),
    };
    for (f, in_dir) in files {
        let f = within(root, f);
        if !ctx.seen.insert(key(&f)) {
            continue;
        }
        if in_dir {
            read_listed(&f, &mut out, &mut ctx)?;
        } else {
            read_named(&f, &mut out, &mut ctx)?;
        }
    }
    Ok(out)
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>) -> Result<(), CertsError> {
    let rd = std::fs::read_dir(dir).map_err(|source| CertsError::Dir {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut entries: Vec<(PathBuf, std::fs::FileType)> = rd
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_type().ok().map(|t| (e.path(), t)))
        .collect();
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    for (path, t) in entries {
        if t.is_dir() {
            walk(&path, files)?;
        } else if (t.is_file() || t.is_symlink()) && classify(&path) != Named::Other {
            files.push(path);
        }
    }
    Ok(())
}

fn skip_key(path: &Path, out: &mut Scan) {
    out.skipped.push(Skipped {
        path: path.display().to_string(),
        reason: "private key".into(),
    });
}

/// A file found in a directory: what cannot be read is a finding, so one
/// odd file does not hide the rest of the directory.
fn read_listed(path: &Path, out: &mut Scan, ctx: &mut Ctx<'_>) -> Result<(), CertsError> {
    let named = classify(path);
    if named == Named::Key {
        skip_key(path, out);
        return Ok(());
    }
    if named == Named::Kubeconfig && !kubemagic_fs::is_regular(path) {
        return Ok(());
    }
    let bytes = match kubemagic_fs::read(path, MAX_CERT_BYTES) {
        Ok(b) => b,
        Err(e) => {
            out.findings.push(unreadable(path, None, &e.to_string()));
            return Ok(());
        }
    };
    let r = match named {
        Named::Kubeconfig if !kubeconfig::looks_like(&bytes) => return Ok(()),
        Named::Kubeconfig => read_kubeconfig(path, &bytes, out, ctx),
        _ => read_pem(path, &bytes, out, false),
    };
    if let Err(e) = r {
        let line = kubemagic_core::KmError::line(&e);
        out.findings.push(unreadable(path, line, &e.to_string()));
    }
    Ok(())
}

/// A file named on the command line: anything but a certificate (or a
/// kubeconfig embedding one, or a key) is bad input.
fn read_named(path: &Path, out: &mut Scan, ctx: &mut Ctx<'_>) -> Result<(), CertsError> {
    if classify(path) == Named::Key {
        skip_key(path, out);
        return Ok(());
    }
    let bytes = kubemagic_fs::read(path, MAX_CERT_BYTES)?;
    if kubeconfig::looks_like(&bytes) && !bytes.starts_with(b"-----BEGIN") {
        return read_kubeconfig(path, &bytes, out, ctx);
    }
    read_pem(path, &bytes, out, true)
}

fn unreadable(path: &Path, line: Option<u32>, why: &str) -> Finding {
    Finding::warning("KM348", format!("not read as a certificate: {why}"))
        .at(Some(&Origin::new(path, line)))
}

fn scope_of(path: &Path) -> String {
    path.parent()
        .map(|p| p.display().to_string())
        .unwrap_or_default()
}

/// The certificates of one PEM text, read from `path` (or embedded in the
/// kubeconfig at `path`, with `name`). Returns how many keys it held.
fn certs_of(
    path: &Path,
    text: &[u8],
    kind: Kind,
    name: Option<&str>,
    out: &mut Scan,
) -> Result<(usize, usize), CertsError> {
    let path_text = path.display().to_string();
    let scope = scope_of(path);
    let blocks = pem::blocks(text);
    let n_certs = blocks
        .iter()
        .filter(|b| matches!(b, Block::Certificate { .. } | Block::Corrupt { .. }))
        .count();
    let mut certs = 0;
    let mut keys = 0;
    for b in blocks {
        match b {
            Block::PrivateKey => keys += 1,
            Block::Other => {}
            Block::Corrupt { line } => {
                return Err(CertsError::Parse {
                    file: path.to_path_buf(),
                    line: Some(line),
                    message: "certificate block is not base64".into(),
                })
            }
            Block::Certificate { der, line } => {
                let label = match (name, n_certs) {
                    (Some(n), 1) => Some(n.to_string()),
                    (Some(n), _) => Some(format!("{n}[{certs}]")),
                    (None, 1) => None,
                    (None, _) => Some(certs.to_string()),
                };
                let place = Place {
                    path: &path_text,
                    kind,
                    name: label,
                    scope: &scope,
                };
                let c = pem::parse(der, place).map_err(|message| CertsError::Parse {
                    file: path.to_path_buf(),
                    line: Some(line),
                    message,
                })?;
                out.certificates.push(c);
                certs += 1;
            }
        }
    }
    Ok((certs, keys))
}

fn read_pem(path: &Path, bytes: &[u8], out: &mut Scan, named: bool) -> Result<(), CertsError> {
    let (certs, keys) = certs_of(path, bytes, Kind::Certificate, None, out)?;
    if certs == 0 && keys > 0 {
        skip_key(path, out);
    } else if certs == 0 && (named || !bytes.trim_ascii().is_empty()) {
        return Err(CertsError::Parse {
            file: path.to_path_buf(),
            line: None,
            message: "no PEM certificate in it".into(),
        });
    }
    Ok(())
}

fn read_kubeconfig(
    path: &Path,
    bytes: &[u8],
    out: &mut Scan,
    ctx: &mut Ctx<'_>,
) -> Result<(), CertsError> {
    let certs = kubeconfig::certificates(path, bytes)?;
    for e in certs.embedded {
        let (n, _) = certs_of(path, &e.pem, e.kind, Some(&e.name), out)?;
        if n == 0 {
            return Err(CertsError::Parse {
                file: path.to_path_buf(),
                line: None,
                message: format!("{:?} embeds no PEM certificate", e.name),
            });
        }
    }
    for r in certs.referenced {
        let file = resolve(ctx.root, path, &r.path);
        // Read once, and not here when the scan lists it itself.
        let k = key(&file);
        if ctx.listed.contains(&k) || !ctx.seen.insert(k) {
            continue;
        }
        let field = match r.kind {
            Kind::KubeconfigCa => "certificate-authority",
            _ => "client-certificate",
        };
        let label = format!("{} ({field} of {})", r.name, path.display());
        let read = kubemagic_fs::read(&file, MAX_CERT_BYTES)
            .map_err(|e| e.to_string())
            .and_then(|b| {
                certs_of(&file, &b, r.kind, Some(&label), out).map_err(|e| e.to_string())
            });
        match read {
            Ok((0, _)) => out.findings.push(unreadable(
                path,
                None,
                &format!(
                    "{field} {} of {:?} holds no PEM certificate",
                    file.display(),
                    r.name
                ),
            )),
            Ok(_) => {}
            Err(e) => out.findings.push(unreadable(
                path,
                None,
                &format!("{field} {} of {:?}: {e}", file.display(), r.name),
            )),
        }
    }
    Ok(())
}

/// Where a path a kubeconfig names is: relative to the kubeconfig's
/// directory (as kubectl reads it), absolute under the scan's root. Under
/// a root other than `/` (a copy of a host's files) every link on the way
/// is followed inside the copy, as the host would follow it (the kubelet's
/// `kubelet-client-current.pem` links to its dated file by absolute path),
/// and `..` stops at the root: never out to this machine's files.
fn resolve(root: &Path, kubeconfig: &Path, named: &str) -> PathBuf {
    let named = Path::new(named.trim());
    if root == Path::new("/") {
        return if named.is_absolute() {
            named.to_path_buf()
        } else {
            kubeconfig
                .parent()
                .map(|d| d.join(named))
                .unwrap_or_else(|| named.to_path_buf())
        };
    }
    // The path inside the copy, as the host spells it.
    let inside = if named.is_absolute() {
        named.to_path_buf()
    } else {
        let dir = kubeconfig
            .parent()
            .and_then(|d| d.strip_prefix(root).ok())
            .map(|d| Path::new("/").join(d))
            .unwrap_or_else(|| PathBuf::from("/"));
        dir.join(named)
    };
    in_root(root, &inside)
}

/// A file found under a root other than `/` that is a link: resolved
/// inside the root ([`in_root`]), as on the host; anything else as given.
fn within(root: &Path, file: PathBuf) -> PathBuf {
    if root == Path::new("/") || !file.is_symlink() {
        return file;
    }
    match file.strip_prefix(root) {
        Ok(rel) => in_root(root, &Path::new("/").join(rel)),
        Err(_) => file,
    }
}

/// `inside` (an absolute path as the host sees it) resolved component by
/// component under `root`: links are read and their targets resolved the
/// same way (absolute ones from `root`), `..` never climbs above `root`.
/// After 40 links (a loop) the path is returned as reached, and reading it
/// fails.
fn in_root(root: &Path, inside: &Path) -> PathBuf {
    use std::path::Component;
    let mut todo: Vec<std::ffi::OsString> = inside
        .components()
        .rev()
        .filter_map(|c| match c {
            Component::Normal(n) => Some(n.to_os_string()),
            Component::ParentDir => Some("..".into()),
            _ => None,
        })
        .collect();
    let mut done: Vec<std::ffi::OsString> = Vec::new();
    let mut links = 0;
    while let Some(c) = todo.pop() {
        if c == ".." {
            done.pop();
            continue;
        }
        let here: PathBuf = root.join(done.iter().collect::<PathBuf>()).join(&c);
        match std::fs::read_link(&here) {
            Ok(target) if links < 40 => {
                links += 1;
                if target.is_absolute() {
                    done.clear();
                }
                for t in target.components().rev() {
                    match t {
                        Component::Normal(n) => todo.push(n.to_os_string()),
                        Component::ParentDir => todo.push("..".into()),
                        _ => {}
                    }
                }
            }
            _ => done.push(c),
        }
    }
    root.join(done.iter().collect::<PathBuf>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_under_a_root_stay_inside_it() {
        let d = tempfile::tempdir().unwrap();
        let root = d.path().join("root");
        std::fs::create_dir_all(root.join("var/lib/kubelet/pki")).unwrap();
        std::fs::create_dir_all(root.join("etc")).unwrap();
        std::fs::write(root.join("var/lib/kubelet/pki/dated.pem"), "x").unwrap();
        std::os::unix::fs::symlink(
            "/var/lib/kubelet/pki/dated.pem",
            root.join("var/lib/kubelet/pki/current.pem"),
        )
        .unwrap();
        // A directory link by absolute path, and a relative link climbing
        // past the root.
        std::os::unix::fs::symlink("/var/lib/kubelet", root.join("etc/kubelet")).unwrap();
        std::os::unix::fs::symlink("../../../../../../etc/passwd", root.join("etc/up")).unwrap();
        let kc = root.join("etc/kubernetes/kubelet.conf");
        assert_eq!(
            resolve(&root, &kc, "/etc/kubelet/pki/current.pem"),
            root.join("var/lib/kubelet/pki/dated.pem")
        );
        assert_eq!(resolve(&root, &kc, "../up"), root.join("etc/passwd"));
        assert_eq!(
            resolve(&root, &kc, "../../var/lib/kubelet/pki/current.pem"),
            root.join("var/lib/kubelet/pki/dated.pem")
        );
    }

    #[test]
    fn names_decide_what_is_opened() {
        assert_eq!(classify(Path::new("/x/apiserver.key")), Named::Key);
        assert_eq!(classify(Path::new("/x/member-a-key.pem")), Named::Key);
        assert_eq!(classify(Path::new("/x/member-a.pem")), Named::Pem);
        assert_eq!(classify(Path::new("/x/admin.conf")), Named::Kubeconfig);
        assert_eq!(
            classify(Path::new("/x/admin.kubeconfig")),
            Named::Kubeconfig
        );
        assert_eq!(classify(Path::new("/x/openssl.cnf")), Named::Other);
    }
}
