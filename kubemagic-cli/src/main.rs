//! `kubemagic`: argument parsing and printing only. Every behaviour lives in
//! the library crates; this binary translates arguments into library calls
//! and results into text or JSON.
//!
//! Exit codes, for scripts: 0 success; 1 findings with errors or an
//! operation that failed; 2 usage or input error. `etcd status --output
//! nagios` exits as a monitoring plugin: 0 OK, 1 WARNING, 2 CRITICAL,
//! 3 UNKNOWN.

// Doc comments here are clap's help text, printed verbatim: `<host>` is a
// placeholder for the user, not an HTML tag.
#![allow(rustdoc::invalid_html_tags)]

mod ceph;
mod certs;
mod check;
mod codes;
mod complete;
mod etcd;
mod etcd_member;
mod inventory;
mod lb;
mod output;
mod phases;
mod progress;
mod registry;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use output::Exit;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "kubemagic",
    version = env!("KUBEMAGIC_LONG_VERSION"),
    about = "On-prem Kubernetes sites: inventories, checks, phases, etcd and Ceph operations",
    after_help = "Examples:\n  kubemagic check examples/utgb\n  kubemagic -o json plan examples/utgb\n  \
                  kubemagic inventory list -i examples/utgb/custom/hosts\n  \
                  kubemagic etcd status --env-file /etc/etcd.env\n  kubemagic completion bash > /etc/bash_completion.d/kubemagic\n\n\
                  Exit codes: 0 success; 1 findings with errors or an operation that failed; 2 usage or input error."
)]
struct Cli {
    /// Output format for every command: text for people, json or yaml (the same document) for scripts.
    #[arg(short = 'o', long, global = true, value_enum, default_value_t = output::OutputArg::Text)]
    output: output::OutputArg,
    /// Print less: no headers or progress, only results and errors.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    quiet: bool,
    /// Print more: the cause of each error, and what a command is doing.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    /// Colour text output: auto (a terminal without NO_COLOR), always, never.
    #[arg(long, global = true, value_enum, default_value_t = output::ColorArg::Auto)]
    color: output::ColorArg,
    /// Same as --color=never.
    #[arg(long, global = true)]
    no_color: bool,
    /// Show what a command is still doing after 2 s, on stderr: auto (a terminal), always (also a log), never.
    #[arg(long, global = true, value_enum, default_value_t = progress::ProgressArg::Auto)]
    progress: progress::ProgressArg,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Read Ansible inventories exactly as ansible-inventory does.
    #[command(
        after_help = "Examples:\n  kubemagic inventory list -i examples/utgb/custom/hosts\n  kubemagic inventory host -i examples/utgb/custom/hosts lb1.utgb.example\n  kubemagic inventory graph --vars -i examples/utgb/kubespray/inventory/utgb/hosts.yml\n  kubemagic inventory hosts -i examples/utgb/custom/hosts 'lb:!lb2'"
    )]
    Inventory(inventory::Args),
    /// Check a whole site (every inventory) against the seed's hard lessons.
    #[command(
        after_help = "Examples:\n  kubemagic check examples/utgb\n  kubemagic -o json check examples/seed-mistakes | jq '.findings[] | .code'\n\nExit codes: 0 no error finding; 1 error findings; 2 the site could not be read (or is not a site)."
    )]
    Check(check::Args),
    /// Diagnose and repair etcd: status, compact, defrag, alarms, snapshot, usage, recover.
    #[command(
        after_help = "Examples:\n  kubemagic etcd status --env-file /etc/etcd.env\n  kubemagic etcd recover --endpoints https://10.0.0.1:2379 --cacert ca.pem --cert c.pem --key k.pem\n  kubemagic etcd defrag --only-fragmented --env-file /etc/etcd.env"
    )]
    Etcd(Box<etcd::Args>),
    /// Ceph for Kubernetes: prepare pools and clients, render kubespray/ceph-csi, clean cephfs leftovers.
    #[command(
        after_help = "Examples:\n  kubemagic ceph validate --site examples/utgb\n  kubemagic ceph prepare --pool kube --client kube --ceph-conf /etc/ceph/ceph.conf\n  kubemagic ceph leftovers --kubeconfig ~/.kube/config"
    )]
    Ceph(ceph::Args),
    /// The HAProxy/Keepalived load balancer in front of the Kubernetes API, rendered from the site.
    #[command(
        after_help = "Examples:\n  kubemagic lb render examples/utgb\n  kubemagic lb render examples/utgb --host lb1.utgb.example --dest /tmp/lb\n  kubemagic -o json lb render examples/utgb\n\nExit codes: 0 rendered, no error finding; 1 error findings (with --dest nothing is written); 2 the site could not be read."
    )]
    Lb(lb::Args),
    /// Container registries for every containerd: hosts.toml files, the CRI fragment, the kubespray variables.
    #[command(
        after_help = "Examples:\n  kubemagic registry render examples/utgb\n  kubemagic registry render examples/utgb --dest /tmp/reg\n  kubemagic -o yaml registry render examples/utgb"
    )]
    Registry(registry::Args),
    /// Every certificate of the site before it expires: files, kubeconfigs, TLS endpoints, renewal plan.
    #[command(
        after_help = "Examples:\n  kubemagic certs check /etc/kubernetes /etc/ssl/etcd/ssl\n  kubemagic certs probe --site examples/utgb\n  kubemagic -o nagios certs check /etc/origin/master\n\nExit codes: 0 no error finding; 1 error findings; 2 bad input (-o nagios: 0-3)."
    )]
    Certs(certs::Args),
    /// Show which deployment phases would run, in order, and why.
    #[command(
        after_help = "Examples:\n  kubemagic plan examples/utgb\n  kubemagic plan examples/utgb deploy-kube\n  kubemagic -o json plan examples/utgb --from deploy-kube"
    )]
    Plan(phases::PlanArgs),
    /// Run the deployment phases with ansible-playbook: ordered, journaled, resumable.
    #[command(
        after_help = "Examples:\n  kubemagic run --dry-run examples/utgb\n  kubemagic run examples/utgb deploy-kube\n  kubemagic run --from deploy-kube examples/utgb"
    )]
    Run(phases::RunArgs),
    /// Check out every upstream of kubemagic.yml at its pinned ref.
    #[command(after_help = "Examples:\n  kubemagic init examples/utgb")]
    Init(phases::InitArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    #[command(
        after_help = "The script asks kubemagic for candidates as you type: phase names (plan, run, --from), \
                      host names (inventory host, lb render --host) from the site in the current directory, \
                      finding codes (check --skip, explain).\n\n\
                      Examples:\n  kubemagic completion bash > /etc/bash_completion.d/kubemagic\n  \
                            kubemagic completion zsh > \"${fpath[1]}/_kubemagic\"\n  \
                            kubemagic completion fish > ~/.config/fish/completions/kubemagic.fish\n  \
                            kubemagic completion --static bash > kubemagic.bash"
    )]
    Completion {
        /// The shell to write the script for.
        shell: clap_complete::Shell,
        /// A script that never runs kubemagic: subcommands and flags only,
        /// no phase, host or code names.
        #[arg(long = "static")]
        static_script: bool,
    },
    /// Show the documentation of a finding code (its docs/checks.md entry).
    #[command(
        after_help = "Examples:\n  kubemagic explain KM101\n  kubemagic -o json explain KM801"
    )]
    Explain {
        /// The code, e.g. KM101.
        #[arg(value_name = "CODE", add = clap_complete::ArgValueCandidates::new(complete::codes))]
        code: String,
    },
    /// List every finding code: severity, command, title, upstream rule mirrored (as ansible-lint -L).
    #[command(
        after_help = "Examples:\n  kubemagic codes\n  kubemagic -o json codes | jq '.[] | select(.severity == \"error\") | .code'"
    )]
    Codes,
    /// Write the man pages (kubemagic.1 and one per subcommand) into a directory.
    #[command(
        after_help = "Examples:\n  kubemagic man target/man && man -l target/man/kubemagic-check.1"
    )]
    Man {
        /// Directory to write the pages into (created if missing).
        dir: std::path::PathBuf,
    },
}

fn main() -> ExitCode {
    // A shell asking for completions (COMPLETE=bash kubemagic -- ...):
    // answered here, before anything else is printed.
    clap_complete::CompleteEnv::with_factory(Cli::command).complete();
    let matches = Cli::command().try_get_matches();
    let cli = match matches.and_then(|m| {
        let label = command_label(&m);
        Ok((Cli::from_arg_matches(&m)?, label))
    }) {
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
    let (cli, label) = cli;
    // Commands choose between text and a document; `yaml` is the same
    // document encoded by the shared printer (output::print_json).
    let format = output::configure(cli.output, cli.quiet, cli.verbose);
    output::set_color(if cli.no_color {
        output::ColorArg::Never
    } else {
        cli.color
    });
    if matches!(
        cli.output,
        output::OutputArg::Sarif | output::OutputArg::Github
    ) && !matches!(cli.command, Command::Check(_))
    {
        output::print_error(
            &output::CliError::Input(
                "--output sarif|github is supported by `kubemagic check`".into(),
            ),
            format,
        );
        return Exit::Usage.into();
    }
    if cli.output == output::OutputArg::Nagios
        && !matches!(
            cli.command,
            Command::Etcd(_) | Command::Check(_) | Command::Ceph(_) | Command::Certs(_)
        )
    {
        output::print_error(
            &output::CliError::Input(
                "--output nagios is supported by `kubemagic check`, `etcd status`, `ceph` and `certs`"
                    .into(),
            ),
            format,
        );
        return Exit::Usage.into();
    }
    progress::configure(
        cli.progress,
        cli.quiet,
        matches!(cli.command, Command::Run(_)),
    );
    // Every command is a step: any operation over 2 s is shown. `run`
    // streams ansible-playbook's own output and shows its steps itself.
    let step = (!matches!(cli.command, Command::Run(_)))
        .then(|| kubemagic_core::progress::step(progress::reporter(), &label));
    let result = match cli.command {
        Command::Inventory(args) => inventory::run(args, format),
        Command::Check(args) if cli.output == output::OutputArg::Nagios => Ok(check::nagios(args)),
        Command::Check(args)
            if matches!(
                cli.output,
                output::OutputArg::Sarif | output::OutputArg::Github
            ) =>
        {
            check::ci(args, cli.output)
        }
        Command::Check(args) => check::run(args, format),
        Command::Etcd(args) => etcd::run(*args, cli.output),
        Command::Ceph(args) => ceph::run(
            args,
            format,
            cli.output == output::OutputArg::Yaml,
            cli.output == output::OutputArg::Nagios,
        ),
        Command::Lb(args) => lb::run(args, format),
        Command::Registry(args) => registry::run(args, cli.output),
        Command::Certs(args) => certs::run(args, cli.output),
        Command::Plan(args) => phases::plan(args, format),
        Command::Run(args) => phases::run(args, format),
        Command::Init(args) => phases::init(args, format),
        Command::Completion {
            shell,
            static_script,
        } => complete::completion(Cli::command, shell, static_script),
        Command::Explain { code } => codes::explain(&code, format),
        Command::Codes => codes::codes(format),
        Command::Man { dir } => write_man_pages(&dir),
    };
    // Ended before an error is printed: its "done" line comes first.
    drop(step);
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

/// The command as typed, subcommands only (`etcd defrag`): the label of
/// the command's progress step (no argument values: they may hold
/// credentials).
fn command_label(m: &clap::ArgMatches) -> String {
    let mut names = Vec::new();
    let mut cur = m;
    while let Some((name, sub)) = cur.subcommand() {
        names.push(name);
        cur = sub;
    }
    names.join(" ")
}

/// Writes `kubemagic.1` and `kubemagic-SUB[-SUB].1` for every subcommand
/// (`make man`): the pages come from the same clap definitions as `--help`,
/// so they cannot drift from it.
fn write_man_pages(dir: &std::path::Path) -> Result<Exit, output::CliError> {
    fn write(cmd: &clap::Command, name: &str, dir: &std::path::Path) -> std::io::Result<()> {
        let cmd = cmd.clone().name(name.to_string());
        let mut buf = Vec::new();
        clap_mangen::Man::new(cmd.clone()).render(&mut buf)?;
        std::fs::write(dir.join(format!("{name}.1")), buf)?;
        for sub in cmd
            .get_subcommands()
            .filter(|s| !s.is_hide_set() && s.get_name() != "help")
        {
            write(sub, &format!("{name}-{}", sub.get_name()), dir)?;
        }
        Ok(())
    }
    std::fs::create_dir_all(dir)?;
    let mut cmd = Cli::command();
    cmd.build();
    write(&cmd, "kubemagic", dir)?;
    Ok(Exit::Ok)
}
