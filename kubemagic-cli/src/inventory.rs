//! `kubemagic inventory list|host|graph|hosts`: the `ansible-inventory`
//! and `ansible PATTERN --list-hosts` views of an inventory.

use crate::output::{CliError, Exit, OutputFormat};
use kubemagic_inventory::{HashBehaviour, Inventory, LoadOptions};
use std::io::Write;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: Sub,
}

/// Where the inventory comes from, shared by every subcommand.
#[derive(clap::Args, Clone)]
pub struct SourceArgs {
    /// Inventory source: a file, a directory or a `host1,host2,` list;
    /// repeat for several, as with ansible.
    #[arg(short = 'i', long = "inventory", required = true)]
    pub inventory: Vec<PathBuf>,
    /// Also read group_vars/ and host_vars/ from this directory (Ansible's
    /// `--playbook-dir`).
    #[arg(long)]
    pub playbook_dir: Option<PathBuf>,
    /// Merge dictionaries across levels (`hash_behaviour = merge`).
    #[arg(long)]
    pub hash_merge: bool,
    /// Make every warning an error (exit 2): a key Ansible skips, a range
    /// that expands to nothing, a file in a directory source no plugin reads.
    #[arg(long)]
    pub strict: bool,
}

impl SourceArgs {
    fn load(&self) -> Result<Inventory, CliError> {
        let opts = LoadOptions {
            playbook_dir: self.playbook_dir.clone(),
            hash_behaviour: if self.hash_merge {
                HashBehaviour::Merge
            } else {
                HashBehaviour::Replace
            },
            strict: self.strict,
        };
        let inv = Inventory::load(&self.inventory, &opts)?;
        // Warnings go to stderr, so stdout stays exactly Ansible's output.
        let mut err = crate::output::raw_stderr();
        for w in inv.warnings() {
            let _ = writeln!(err, "{w}");
        }
        Ok(inv)
    }
}

#[derive(clap::Subcommand)]
pub enum Sub {
    /// Like `ansible-inventory --list`: every group and host, with host vars.
    #[command(
        after_help = "Examples:\n  kubemagic inventory list -i examples/utgb/custom/hosts\n  kubemagic inventory list --export -i examples/utgb/kubespray/inventory/utgb/hosts.yml"
    )]
    List {
        #[command(flatten)]
        src: SourceArgs,
        /// Like `--export`: group vars under groups, host vars unresolved.
        #[arg(long)]
        export: bool,
    },
    /// Like `ansible-inventory --host HOST`: the host's resolved variables.
    #[command(
        after_help = "Examples:\n  kubemagic inventory host -i examples/utgb/custom/hosts lb1.utgb.example"
    )]
    Host {
        #[command(flatten)]
        src: SourceArgs,
        /// The host (a pattern selecting exactly one host, as Ansible's --host).
        #[arg(add = clap_complete::ArgValueCandidates::new(crate::complete::hosts))]
        host: String,
    },
    /// Like `ansible-inventory --graph [GROUP]`.
    #[command(
        after_help = "Examples:\n  kubemagic inventory graph -i examples/utgb/custom/hosts\n  kubemagic inventory graph --vars -i examples/utgb/custom/hosts lb"
    )]
    Graph {
        #[command(flatten)]
        src: SourceArgs,
        /// Start the graph at this group (default: all).
        group: Option<String>,
        /// Show variables, as `--graph --vars`.
        #[arg(long)]
        vars: bool,
    },
    /// Like `ansible PATTERN --list-hosts`: the hosts a pattern selects.
    #[command(
        after_help = "Examples:\n  kubemagic inventory hosts -i examples/utgb/custom/hosts 'lb:!lb2.utgb.example'\n  kubemagic inventory hosts -i examples/utgb/custom/hosts 'lb:!lb2'   # warns: Could not match supplied host pattern, ignoring: lb2"
    )]
    Hosts {
        #[command(flatten)]
        src: SourceArgs,
        /// An Ansible host pattern: `all`, `web:&prod`, `lb:!lb2`, `~node[0-9]+`, `etcd[0:1]`.
        pattern: String,
    },
}

pub fn run(args: Args, format: OutputFormat) -> Result<Exit, CliError> {
    match run_inner(args, format) {
        // `kubemagic inventory list | head`: a closed pipe is not a failure.
        Err(CliError::Io(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(Exit::Ok),
        Err(CliError::Json(e)) if e.io_error_kind() == Some(std::io::ErrorKind::BrokenPipe) => {
            Ok(Exit::Ok)
        }
        other => other,
    }
}

fn run_inner(args: Args, format: OutputFormat) -> Result<Exit, CliError> {
    match args.command {
        Sub::List { src, export } => {
            let inv = src.load()?;
            let mut w = std::io::BufWriter::with_capacity(1 << 16, crate::output::raw_stdout());
            if crate::output::yaml() {
                // The same document as Ansible's JSON, encoded as YAML.
                crate::output::write_document(&mut w, &inv.to_ansible_list(export)?)?;
            } else {
                kubemagic_inventory::write_list(&inv, export, &mut w)?;
            }
            w.flush()?;
            // The process ends here: skip freeing every host and variable
            // one by one (a tenth of the run on 5,000 hosts).
            std::mem::forget(inv);
        }
        Sub::Host { src, host } => {
            let v = src.load()?.ansible_host(&host)?;
            let mut w = crate::output::raw_stdout();
            if crate::output::yaml() {
                crate::output::write_document(&mut w, &v)?;
            } else {
                w.write_all(kubemagic_inventory::to_python_json(&v).as_bytes())?;
            }
        }
        Sub::Graph { src, group, vars } => {
            let inv = src.load()?;
            let text = inv.graph(group.as_deref(), vars)?;
            let mut w = crate::output::raw_stdout();
            match format {
                OutputFormat::Text => writeln!(w, "{text}")?,
                OutputFormat::Json => {
                    let mut v = inv.graph_value(group.as_deref(), vars)?;
                    if let Some(m) = v.as_object_mut() {
                        m.insert("warnings".into(), serde_json::to_value(inv.warnings())?);
                    }
                    crate::output::write_document(&mut w, &v)?;
                }
            }
        }
        Sub::Hosts { src, pattern } => {
            let inv = src.load()?;
            let (hosts, unmatched) = inv.select_noting(&pattern)?;
            // As Ansible warns, on stderr: stdout stays the host list.
            for w in &unmatched {
                crate::output::warn(w);
            }
            if hosts.is_empty() {
                crate::output::warn("No hosts matched, nothing to do");
            }
            let mut w = crate::output::raw_stdout();
            match format {
                OutputFormat::Text => {
                    for h in hosts {
                        writeln!(w, "{h}")?;
                    }
                }
                OutputFormat::Json => {
                    let v = serde_json::json!({
                        "hosts": hosts,
                        "warnings": inv.warnings(),
                        "unmatched": unmatched,
                    });
                    crate::output::write_document(&mut w, &v)?;
                }
            }
        }
    }
    Ok(Exit::Ok)
}
