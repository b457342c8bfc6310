"""kubemagic.certs (check, probe), the kubemagic.core.cert_facts module, the
kubemagic.core.certs_report playbook and the certificate services of
kubemagic.core.nagios_checks, on certificates made here with the real
openssl, and a real `openssl s_server` on loopback."""

from __future__ import annotations

import base64
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

import pytest

import kubemagic
from conftest import run_tool
from test_monitoring_roles import play

# 2030-01-01: every certificate below is made to expire after that.
AT = "2030-01-01"


def openssl(*args: str) -> None:
    subprocess.run(["openssl", *args], check=True, capture_output=True)


def make_pki(d: Path, days: int, san: str = "IP:127.0.0.1") -> None:
    """ca.crt/ca.key and server.crt/server.key (days from now) in `d`."""
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-days", "3650", "-subj", "/CN=py-ca", "-keyout", str(d / "ca.key"), "-out", str(d / "ca.crt"))
    openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-subj", "/CN=py-server", "-keyout", str(d / "server.key"), "-out", str(d / "server.csr"))
    ext = d / "ext.cnf"
    ext.write_text(f"subjectAltName={san}\nextendedKeyUsage=serverAuth\n")
    openssl("x509", "-req", "-in", str(d / "server.csr"), "-CA", str(d / "ca.crt"), "-CAkey",
            str(d / "ca.key"), "-CAcreateserial", "-days", str(days), "-extfile", str(ext),
            "-out", str(d / "server.crt"))
    (d / "server.csr").unlink()


def secrets(d: Path) -> list[str]:
    out = []
    for k in d.glob("*.key"):
        text = k.read_text()
        out += [l for l in text.splitlines() if not l.startswith("-----") and len(l) >= 16]
        out.append(base64.b64encode(text.encode()).decode())
    return out


def test_check_reports_expiry_chain_and_skips_keys(tmp_path: Path) -> None:
    make_pki(tmp_path, 20)
    r = kubemagic.certs.check([tmp_path])
    assert [c["subject"] for c in r["certificates"]] == ["CN=py-server", "CN=py-ca"]
    leaf = r["certificates"][0]
    assert leaf["days_left"] in (19, 20)
    assert leaf["chain"] == {"status": "verified", "ca": str(tmp_path / "ca.crt")}
    assert [f["code"] for f in r["findings"]] == ["KM343"]
    assert sorted(Path(s["path"]).name for s in r["skipped"]) == ["ca.key", "server.key"]
    assert r["nagios"]["exit"] == 1 and r["nagios"]["text"].startswith("CERTS WARNING")
    blob = repr(r)
    assert all(s not in blob for s in secrets(tmp_path))
    # As at a later date: expired, an error.
    later = kubemagic.certs.check(str(tmp_path / "server.crt"), at="2099-01-01", plan=True)
    assert [f["code"] for f in later["findings"]] == ["KM341"]
    assert later["plan"]["stack"] == "kubespray"


def test_bad_input_raises_certs_error_with_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "x.crt"
    bad.write_text("not a certificate\n")
    with pytest.raises(kubemagic.CertsError) as e:
        kubemagic.certs.check([bad])
    assert e.value.file == str(bad)
    assert e.value.kind == "input"
    with pytest.raises(kubemagic.CertsError):
        kubemagic.certs.probe(["no-port"])


@pytest.fixture
def s_server(tmp_path: Path) -> Iterator[str]:
    make_pki(tmp_path, 3)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        ["openssl", "s_server", "-quiet", "-www", "-accept", f"127.0.0.1:{port}",
         "-cert", str(tmp_path / "server.crt"), "-key", str(tmp_path / "server.key")],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    pytest.fail("openssl s_server did not start")
                time.sleep(0.05)
        yield f"127.0.0.1:{port}"
    finally:
        proc.kill()
        proc.wait()


def test_probe_reads_the_served_certificate(s_server: str) -> None:
    r = kubemagic.certs.probe([s_server], timeout=3)
    assert r["certificates"][0]["path"] == s_server
    assert r["certificates"][0]["subject"] == "CN=py-server"
    assert [f["code"] for f in r["findings"]] == ["KM342"]
    assert r["nagios"]["exit"] == 2


def test_cert_facts_and_the_site_wide_table(tmp_path: Path) -> None:
    d = tmp_path / "pki"
    d.mkdir()
    make_pki(d, 20)
    book = tmp_path / "play.yml"
    book.write_text(
        "- import_playbook: kubemagic.core.certs_report\n"
    )
    inv = tmp_path / "hosts"
    inv.write_text(f"node1 ansible_connection=local ansible_python_interpreter={sys.executable}\n")
    proc = run_tool(
        "ansible-playbook", "-i", str(inv), str(book), "--check",
        "-e", '{"certs_paths": ["%s"], "certs_at": "%s"}' % (d, "2031-01-01"), check=False,
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    # Nearest expiry first: the leaf (expired by 2031) before the CA.
    assert "CN=py-server" in out, out
    leaf = out.index("CN=py-server")
    ca = out.index("CN=py-ca")
    assert leaf < ca, out
    assert "node1" in out
    assert "1 error(s), 0 warning(s)" in out, out
    assert all(s not in out for s in secrets(d))


def test_nagios_checks_writes_the_certificate_services(tmp_path: Path) -> None:
    conf = tmp_path / "conf.d"
    conf.mkdir()
    play(tmp_path, "nagios_checks", {
        "nagios_checks_config_dir": str(conf),
        "nagios_checks_kubemagic": "/usr/local/bin/kubemagic",
        "nagios_checks_host_name": "deploy",
        "nagios_checks_certs_site": "/srv/sites/utgb",
        "nagios_checks_certs_paths": ["/etc/kubernetes/ssl", "/etc/ssl/etcd/ssl"],
        "nagios_checks_reload": False,
    })
    text = (conf / "kubemagic.cfg").read_text()
    assert "command_line    /usr/local/bin/kubemagic --output nagios certs probe --warning-days 30 --critical-days 7 --site /srv/sites/utgb" in text
    assert "command_line    /usr/local/bin/kubemagic --output nagios certs check --warning-days 30 --critical-days 7 /etc/kubernetes/ssl /etc/ssl/etcd/ssl" in text
    assert text.count("define service") == 2
