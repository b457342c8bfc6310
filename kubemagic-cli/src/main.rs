//! `kubemagic`: argument parsing and printing only. Every behaviour lives in
//! the library crates; this binary translates arguments into library calls
//! and results into text or JSON.
//!
//! Exit codes, for scripts: 0 success; 1 findings with errors or an
//! operation that failed; 2 usage or input error. `etcd status --output
//! nagios` exits as a monitoring plugin: 0 OK, 1 WARNING, 2 CRITICAL,
//! 3 UNKNOWN.

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
            // A monitoring plugin's bad arguments are UNKNOWN (exit 3), not
            // a state of the monitored system.
            if e.use_stderr() && etcd::nagios_requested(std::env::args()) {
                return ExitCode::from(etcd::nagios_usage_error(&e.to_string()));
            }
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let format = cli.output.format();
    if cli.output == OutputArg::Nagios && !matches!(cli.command, Command::Etcd(_)) {
        output::print_error(
            &output::CliError::Input(
                "--output nagios is only supported by `kubemagic etcd status`".into(),
            ),
            format,
        );
        return Exit::Usage.into();
    }
    let result = match cli.command {
        Command::Inventory(args) => inventory::run(args, format),
        Command::Check(args) => check::run(args, format),
        Command::Etcd(args) => etcd::run(*args, cli.output),
        Command::Ceph(args) => ceph::run(args, format),
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
