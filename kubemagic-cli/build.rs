//! Stamps `kubemagic --version` with the git description of the checkout it
//! was built from (`0.1.0 (v0.1.0-12-gabc1234-dirty)`): an operator reporting
//! a problem can say exactly which build ran. Outside a git checkout (a
//! crates.io source, a tarball) the version is the crate's alone.

use std::process::Command;

fn main() {
    let describe = Command::new("git")
        .args(["describe", "--always", "--dirty", "--tags"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty());
    let version = env!("CARGO_PKG_VERSION");
    let long = match describe {
        Some(d) => format!("{version} (git {d})"),
        None => version.to_string(),
    };
    println!("cargo:rustc-env=KUBEMAGIC_LONG_VERSION={long}");
    // Re-run when HEAD moves or the index changes (a commit, a checkout).
    for p in ["../.git/HEAD", "../.git/index"] {
        if std::path::Path::new(p).exists() {
            println!("cargo:rerun-if-changed={p}");
        }
    }
}
