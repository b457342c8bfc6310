//! `kubemagic certs check --output nagios` run by a real Nagios Core 4
//! (Debian's nagios4-core) with its own configuration in a temporary
//! directory: OK with a certificate 300 days from expiry, CRITICAL once it
//! is replaced by one expiring in 3 days, WARNING with one in 20, as Nagios
//! itself records it in status.dat. (The Nagios set-up is the one of
//! etcd_nagios4.rs, for this service.)

mod certs_support;

use certs_support::*;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const NAGIOS: &str = "/usr/sbin/nagios4";

struct Nagios {
    child: Child,
    status: PathBuf,
}

impl Drop for Nagios {
    fn drop(&mut self) {
        // SIGTERM: Nagios stops its workers and removes its files.
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_nagios(dir: &Path, command_line: &str) -> Nagios {
    let d = dir.display();
    std::fs::create_dir_all(dir.join("checkresults")).unwrap();
    std::fs::write(
        dir.join("objects.cfg"),
        format!(
            "define timeperiod {{\n timeperiod_name 24x7\n alias 24x7\n sunday 00:00-24:00\n monday 00:00-24:00\n \
tuesday 00:00-24:00\n wednesday 00:00-24:00\n thursday 00:00-24:00\n friday 00:00-24:00\n saturday 00:00-24:00\n}}\n\
define command {{\n command_name check_kubemagic_certs\n command_line {command_line}\n}}\n\
define command {{\n command_name notify_none\n command_line /bin/true\n}}\n\
define contact {{\n contact_name nobody\n host_notifications_enabled 0\n service_notifications_enabled 0\n \
host_notification_period 24x7\n service_notification_period 24x7\n host_notification_options n\n \
service_notification_options n\n host_notification_commands notify_none\n service_notification_commands notify_none\n}}\n\
define host {{\n host_name k8s\n address 127.0.0.1\n max_check_attempts 1\n check_period 24x7\n \
active_checks_enabled 0\n contacts nobody\n notification_period 24x7\n}}\n\
define service {{\n host_name k8s\n service_description certificates\n check_command check_kubemagic_certs\n \
max_check_attempts 1\n check_interval 1\n retry_interval 1\n check_period 24x7\n contacts nobody\n \
notification_period 24x7\n}}\n"
        ),
    )
    .unwrap();
    let cfg = dir.join("nagios.cfg");
    std::fs::write(
        &cfg,
        format!(
            "log_file={d}/nagios.log\ncfg_file={d}/objects.cfg\nobject_cache_file={d}/objects.cache\n\
precached_object_file={d}/objects.precache\nstatus_file={d}/status.dat\nstatus_update_interval=1\n\
nagios_user=root\nnagios_group=root\ncheck_external_commands=0\ncommand_file={d}/nagios.cmd\n\
lock_file={d}/nagios.lock\ntemp_file={d}/nagios.tmp\ntemp_path={d}\ncheck_result_path={d}/checkresults\n\
state_retention_file={d}/retention.dat\nretain_state_information=0\ninterval_length=1\n\
check_result_reaper_frequency=1\nservice_inter_check_delay_method=n\nmax_service_check_spread=1\n\
enable_notifications=0\nquery_socket={d}/nagios.qh\n"
        ),
    )
    .unwrap();
    let verify = Command::new(NAGIOS).arg("-v").arg(&cfg).output().unwrap();
    assert!(
        verify.status.success(),
        "nagios4 -v rejected the configuration:\n{}",
        String::from_utf8_lossy(&verify.stdout)
    );
    let log = std::fs::File::create(dir.join("nagios.out")).unwrap();
    let child = Command::new(NAGIOS)
        .arg(&cfg)
        .stdin(Stdio::null())
        .stdout(Stdio::from(log.try_clone().unwrap()))
        .stderr(Stdio::from(log))
        .spawn()
        .unwrap();
    Nagios {
        child,
        status: dir.join("status.dat"),
    }
}

/// The service's block of status.dat, as key → value.
fn service_status(path: &Path) -> Option<HashMap<String, String>> {
    let text = std::fs::read_to_string(path).ok()?;
    let start = text.find("servicestatus {")?;
    let block = &text[start..];
    let end = block.find('}')?;
    Some(
        block[..end]
            .lines()
            .skip(1)
            .filter_map(|l| l.trim().split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    )
}

/// Waits until Nagios has recorded a check result with `state` whose
/// output starts with `prefix`; returns the service status.
fn wait_for(n: &Nagios, state: &str, prefix: &str) -> HashMap<String, String> {
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut last = None;
    while Instant::now() < deadline {
        if let Some(s) = service_status(&n.status) {
            if s.get("has_been_checked").map(String::as_str) == Some("1")
                && s.get("current_state").map(String::as_str) == Some(state)
                && s.get("plugin_output")
                    .is_some_and(|o| o.starts_with(prefix))
            {
                return s;
            }
            last = Some(s);
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    panic!("Nagios never recorded state {state} `{prefix}...`; last status: {last:#?}");
}

#[test]
fn nagios4_sees_ok_then_critical_then_warning_as_the_certificate_changes() {
    assert!(
        Path::new(NAGIOS).exists(),
        "{NAGIOS} missing: run scripts/deps.sh test (Debian nagios4-core)"
    );
    let dir = tempfile::tempdir().unwrap();
    let certs = dir.path().join("pki");
    let mut pki = Pki::now();
    let ca = pki.ca("nagios-ca", 3650);
    let put = |pki: &mut Pki, days: i64| {
        let l = pki.leaf(&ca, "apiserver", days, &["127.0.0.1"], true);
        // Written beside and renamed: Nagios never reads half a file.
        let tmp = dir.path().join("next.crt");
        write(&tmp, &l.cert);
        std::fs::rename(&tmp, certs.join("apiserver.crt")).unwrap();
        write(&certs.join("apiserver.key"), &l.key);
    };
    std::fs::create_dir_all(&certs).unwrap();
    write(&certs.join("ca.crt"), &ca.pem());
    put(&mut pki, 300);
    let km = env!("CARGO_BIN_EXE_kubemagic");
    let nagios = start_nagios(
        &dir.path().join("nagios"),
        &format!("{km} --output nagios certs check {}", certs.display()),
    );
    let s = wait_for(
        &nagios,
        "0",
        "CERTS OK - 2 certificate(s), nearest expiry in 300 day(s)",
    );
    assert!(
        s["performance_data"].starts_with("'days_left'=300;30;7"),
        "{}",
        s["performance_data"]
    );
    put(&mut pki, 3);
    let s = wait_for(
        &nagios,
        "2",
        "CERTS CRITICAL - 2 certificate(s), nearest expiry in 3 day(s)",
    );
    assert!(
        s["performance_data"].starts_with("'days_left'=3;30;7"),
        "{}",
        s["performance_data"]
    );
    assert!(
        s.get("long_plugin_output")
            .is_some_and(|l| l.contains("KM342")),
        "{s:#?}"
    );
    put(&mut pki, 20);
    wait_for(
        &nagios,
        "1",
        "CERTS WARNING - 2 certificate(s), nearest expiry in 20 day(s)",
    );
    let all: String = std::fs::read_to_string(dir.path().join("nagios/status.dat")).unwrap();
    for secret in &pki.secrets {
        assert!(
            !all.contains(secret.as_str()),
            "a private key reached Nagios"
        );
    }
}
