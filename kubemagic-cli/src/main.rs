//! `kubemagic`: argument parsing and printing only. Every behaviour lives in
//! the library crates; this binary translates arguments into library calls
//! and results into text or JSON.
//!
//! Exit codes, for scripts: 0 success; 1 findings with errors or an
//! operation that failed; 2 usage or input error.

mod ceph;
mod check;
mod etcd;
mod inventory;
mod output;
mod phases;

use clap::{Parser, Subcommand};
use output::{Exit, OutputArg};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "kubemagic",
    version,
    about = "On-prem Kubernetes sites: inventories, checks, phases, etcd and Ceph operations"
)]
struct Cli {
    /// Output format for every command.
    /// (`yaml`: the YAML stream of `ceph render` only.)
    #[arg(long, global = true, value_enum, default_value_t = OutputArg::Text)]
    output: OutputArg,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Read Ansible inventories exactly as ansible-inventory does.
    Inventory(inventory::Args),
    /// Check a whole site (every inventory) against the seed's hard lessons.
    Check(check::Args),
    /// Diagnose and repair etcd: status, compact, defrag, alarms, snapshot, usage, recover.
    Etcd(Box<etcd::Args>),
    /// Ceph for Kubernetes: prepare pools and clients, render kubespray/ceph-csi, clean cephfs leftovers.
    Ceph(ceph::Args),
    /// Show which deployment phases would run, in order, and why.
    Plan(phases::PlanArgs),
    /// Run the deployment phases with ansible-playbook: ordered, journaled, resumable.
    Run(phases::RunArgs),
    /// Check out every upstream of kubemagic.yml at its pinned ref.
    Init(phases::InitArgs),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let format = cli.output.format();
    let yaml = cli.output == OutputArg::Yaml;
    let result = match cli.command {
        Command::Ceph(args) => ceph::run(args, format, yaml),
        _ if yaml => Err(output::CliError::Input(
            "--output yaml is for `ceph render` only; use text or json".into(),
        )),
        Command::Inventory(args) => inventory::run(args, format),
        Command::Check(args) => check::run(args, format),
        Command::Etcd(args) => etcd::run(*args, format),
        Command::Plan(args) => phases::plan(args, format),
        Command::Run(args) => phases::run(args, format),
        Command::Init(args) => phases::init(args, format),
    };
    match result {
        Ok(exit) => exit.into(),
        // The reader went away (`kubemagic ... | head`): nothing to report.
        Err(output::CliError::Io(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => {
            ExitCode::SUCCESS
        }
        Err(e) => {
            output::print_error(&e, format);
            Exit::from_error(&e).into()
        }
    }
}
