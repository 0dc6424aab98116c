"""Delivery against a real SMTP server (aiosmtpd) on 127.0.0.1, checked by what it received."""

from __future__ import annotations

import email
import email.policy
import json
import shutil
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from click.testing import CliRunner

from reportgen.cli import cli

from .conftest import MALL

pytestmark = pytest.mark.e2e  # sends the report of a full run (mall_folder) or runs one


@dataclass
class Recorder:
    """An SMTP handler that keeps what it accepts and can refuse or stall on request."""

    received: list[Any] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)
    busy_replies: int = 0  # answer DATA with 451 this many times first

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: ANN001, ANN201, N802
        if address in self.refuse:
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001, ANN201, N802
        if self.busy_replies:
            self.busy_replies -= 1
            return "451 4.3.0 Busy, try again later"
        self.received.append(envelope)
        return "250 Message accepted"


def _authenticate(server, session, envelope, mechanism, auth_data):  # noqa: ANN001, ANN202
    ok = (auth_data.login, auth_data.password) == (b"reports", b"s3cret-pass")
    return AuthResult(success=ok, handled=False)  # handled=False: the server answers 535 itself


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server() -> Iterator[tuple[Recorder, int]]:
    handler = Recorder()
    port = _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, authenticator=_authenticate, auth_require_tls=False, auth_required=False)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


@pytest.fixture
def work(tmp_path: Path, mall_folder: Path) -> Path:
    """A copy of a finished 2026-11 report, with its own delivery ledger."""
    shutil.copytree(mall_folder, tmp_path / "out" / "2026-11")
    return tmp_path


def _config(work: Path, port: int, **smtp: Any) -> Path:
    settings = {"host": "127.0.0.1", "port": port, "security": "none", "attempts": 3, "retry_wait": 0.01, **smtp}
    path = work / "reportgen.yaml"
    path.write_text(json.dumps({"out": str(work / "out"), "email": {"sender": "reports@shop.example", "smtp": settings}}))
    return path


def _send(work: Path, port: int, *args: str, env: dict[str, str] | None = None, **smtp: Any) -> Any:
    config = _config(work, port, **smtp)
    return CliRunner().invoke(cli, ["send", "--config", str(config), "--period", "2026-11", *args], env=env)


def test_send_delivers_the_report(server: tuple[Recorder, int], work: Path) -> None:
    handler, port = server
    result = _send(work, port, "--to", "anna@shop.example,ben@shop.example")
    assert result.exit_code == 0, result.output
    assert len(handler.received) == 1
    envelope = handler.received[0]
    assert envelope.mail_from == "reports@shop.example"
    assert envelope.rcpt_tos == ["anna@shop.example", "ben@shop.example"]
    msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
    assert msg["Subject"] == "Customer segments briefing — November 2026"
    assert msg["To"] == "anna@shop.example, ben@shop.example"
    html = msg.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "Premium spenders" in html
    images = [p for p in msg.walk() if p.get_content_type() == "image/png"]
    assert len(images) == 6 and all(p.get_content_disposition() == "inline" for p in images)
    assert all(f"cid:{p['Content-ID'].strip('<>')}" in html for p in images)
    pdf = [p for p in msg.walk() if p.get_content_type() == "application/pdf"]
    assert len(pdf) == 1 and pdf[0].get_filename() == "briefing.pdf" and pdf[0].get_content().startswith(b"%PDF")


def test_second_send_sends_nothing_unless_resend(server: tuple[Recorder, int], work: Path) -> None:
    handler, port = server
    assert _send(work, port, "--to", "anna@shop.example").exit_code == 0
    again = _send(work, port, "--to", "anna@shop.example")
    assert again.exit_code == 0 and "Already sent earlier" in again.output
    assert len(handler.received) == 1
    more = _send(work, port, "--to", "anna@shop.example,carl@shop.example")
    assert more.exit_code == 0 and handler.received[-1].rcpt_tos == ["carl@shop.example"]
    forced = _send(work, port, "--to", "anna@shop.example", "--resend")
    assert forced.exit_code == 0 and len(handler.received) == 3
    ledger = [json.loads(line) for line in (work / "out" / "deliveries.jsonl").read_text().splitlines()]
    assert [r["recipient"] for r in ledger] == ["anna@shop.example", "carl@shop.example", "anna@shop.example"]


def test_login_comes_from_the_environment(server: tuple[Recorder, int], work: Path) -> None:
    handler, port = server
    env = {"REPORTGEN_SMTP_USER": "reports", "REPORTGEN_SMTP_PASSWORD": "s3cret-pass"}
    assert _send(work, port, "--to", "anna@shop.example", env=env).exit_code == 0
    wrong = _send(work, port, "--to", "ben@shop.example", env={**env, "REPORTGEN_SMTP_PASSWORD": "wrong-pass"})
    assert wrong.exit_code == 3
    assert "refused the login (535)" in wrong.stderr and "REPORTGEN_SMTP_PASSWORD" in wrong.stderr
    assert "wrong-pass" not in wrong.output and "s3cret" not in wrong.output
    assert len(handler.received) == 1
    for path in (work / "out").rglob("*"):  # credentials are never written anywhere
        if path.is_file() and path.suffix in (".json", ".jsonl", ".eml", ".html", ".csv"):
            assert b"s3cret-pass" not in path.read_bytes()


def test_temporary_failures_are_retried(server: tuple[Recorder, int], work: Path) -> None:
    handler, port = server
    handler.busy_replies = 2
    result = _send(work, port, "--to", "anna@shop.example")
    assert result.exit_code == 0, result.output
    assert len(handler.received) == 1


def test_unreachable_server_gives_up_with_exit_75(work: Path) -> None:
    result = _send(work, _free_port(), "--to", "anna@shop.example")
    assert result.exit_code == 75
    assert "Could not reach the mail server 127.0.0.1" in result.stderr and "Gave up after 3 tries" in result.stderr
    assert not (work / "out" / "deliveries.jsonl").exists()


def test_refused_recipient_is_permanent(server: tuple[Recorder, int], work: Path) -> None:
    handler, port = server
    handler.refuse = {"nobody@shop.example"}
    result = _send(work, port, "--to", "anna@shop.example,nobody@shop.example")
    assert result.exit_code == 3
    assert "refused nobody@shop.example (550" in result.stderr
    assert handler.received[0].rcpt_tos == ["anna@shop.example"]
    ledger = (work / "out" / "deliveries.jsonl").read_text()
    assert "anna@shop.example" in ledger and "nobody" not in ledger
    everyone_refused = _send(work, port, "--to", "nobody@shop.example")
    assert everyone_refused.exit_code == 3 and "refused every recipient" in everyone_refused.stderr


def test_no_recipients_and_no_report(server: tuple[Recorder, int], work: Path) -> None:
    _, port = server
    result = _send(work, port)
    assert result.exit_code == 2 and "No recipients" in result.stderr
    config = _config(work, port)
    missing = CliRunner().invoke(cli, ["send", "--config", str(config), "--period", "2025-01", "--to", "a@b.example"])
    assert missing.exit_code == 2 and "There is no report for 2025-01" in missing.stderr


def test_run_and_send_in_one_job(server: tuple[Recorder, int], tmp_path: Path) -> None:
    handler, port = server
    config = _config(tmp_path, port)
    args = ["run", "--config", str(config), "--data", str(MALL), "--period", "2026-07", "--send", "--to", "boss@shop.example"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert handler.received[0].rcpt_tos == ["boss@shop.example"]
    assert CliRunner().invoke(cli, args).exit_code == 0  # a retried job re-runs the period ...
    assert len(handler.received) == 1  # ... but does not mail it twice


# --- TLS, STARTTLS and login: each failure in its class (exit 3 with the setting, or 75) ---------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for localhost / 127.0.0.1, made with the openssl command."""
    assert shutil.which("openssl"), "openssl is installed by scripts/setup.sh --test"
    import subprocess

    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "2",
         "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
        check=True, capture_output=True,
    )
    return cert, key


def _tls_server(certificate: tuple[Path, Path], implicit: bool, **options: Any) -> tuple[Recorder, int, Controller]:
    import ssl

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(certificate[0]), str(certificate[1]))
    handler, port = Recorder(), _free_port()
    tls = {"ssl_context": context} if implicit else {"tls_context": context, "require_starttls": False}
    controller = Controller(handler, hostname="127.0.0.1", port=port, authenticator=_authenticate, **tls, **options)
    controller.start()
    return handler, port, controller


def test_default_starttls_delivers_over_tls(certificate: tuple[Path, Path], work: Path) -> None:
    handler, port, controller = _tls_server(certificate, implicit=False)
    try:
        env = {"REPORTGEN_SMTP_USER": "reports", "REPORTGEN_SMTP_PASSWORD": "s3cret-pass"}
        config = work / "reportgen.yaml"  # security left at its default, starttls
        config.write_text(json.dumps({"out": str(work / "out"), "email": {"sender": "reports@shop.example", "smtp": {
            "host": "127.0.0.1", "port": port, "attempts": 2, "retry_wait": 0.01, "ca_file": str(certificate[0])}}}))
        result = CliRunner().invoke(cli, ["send", "--config", str(config), "--period", "2026-11", "--to", "anna@shop.example"], env=env)
        assert result.exit_code == 0, result.output
        assert len(handler.received) == 1
        untrusted = _send(work, port, "--to", "ben@shop.example", "--resend", security="starttls")
        assert untrusted.exit_code == 3, untrusted.output
        assert "certificate" in untrusted.stderr and "email.smtp.ca_file" in untrusted.stderr
        assert len(handler.received) == 1
    finally:
        controller.stop()


def test_ssl_delivers_and_an_untrusted_certificate_is_permanent(certificate: tuple[Path, Path], work: Path) -> None:
    handler, port, controller = _tls_server(certificate, implicit=True)
    try:
        ok = _send(work, port, "--to", "anna@shop.example", security="ssl", ca_file=str(certificate[0]))
        assert ok.exit_code == 0, ok.output
        assert len(handler.received) == 1
        untrusted = _send(work, port, "--to", "ben@shop.example", security="ssl")
        assert untrusted.exit_code == 3, untrusted.output
        assert "cannot be trusted" in untrusted.stderr and "email.smtp.ca_file" in untrusted.stderr
        assert "trying again" not in untrusted.stderr  # not retried
        plain = _send(work, port, "--to", "ben@shop.example", security="none", timeout=3)
        assert plain.exit_code in (3, 75), plain.output  # a plain start on a TLS port: the server never greets
    finally:
        controller.stop()


def test_tls_on_a_plain_port_is_permanent(server: tuple[Recorder, int], work: Path) -> None:
    _, port = server
    result = _send(work, port, "--to", "anna@shop.example", security="ssl")
    assert result.exit_code == 3, result.output
    assert "TLS handshake" in result.stderr and "email.smtp.security" in result.stderr


def test_no_starttls_offered_is_permanent(server: tuple[Recorder, int], work: Path) -> None:
    _, port = server
    result = _send(work, port, "--to", "anna@shop.example", security="starttls")
    assert result.exit_code == 3, result.output
    assert "does not offer STARTTLS" in result.stderr and "email.smtp.security" in result.stderr


def test_login_to_a_server_without_auth_names_the_login(work: Path) -> None:
    handler, port = Recorder(), _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)  # AUTH only after TLS, which it lacks
    controller.start()
    try:
        env = {"REPORTGEN_SMTP_USER": "reports", "REPORTGEN_SMTP_PASSWORD": "s3cret-pass"}
        result = _send(work, port, "--to", "anna@shop.example", env=env)
        assert result.exit_code == 3, result.output
        assert "does not offer a login" in result.stderr and "REPORTGEN_SMTP_USER" in result.stderr
        assert "STARTTLS." not in result.stderr.split("does not offer a login")[0]
    finally:
        controller.stop()


def test_server_that_demands_a_login_says_so(work: Path) -> None:
    handler, port = Recorder(), _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, authenticator=_authenticate, auth_require_tls=False, auth_required=True)
    controller.start()
    try:
        result = _send(work, port, "--to", "anna@shop.example")
        assert result.exit_code == 3, result.output
        assert "requires a login" in result.stderr and "REPORTGEN_SMTP_USER" in result.stderr
        assert "refused the sender" not in result.stderr
    finally:
        controller.stop()


def test_unknown_host_is_permanent(work: Path) -> None:
    result = _send(work, 25, "--to", "anna@shop.example", host="no-such-host.invalid")
    assert result.exit_code == 3, result.output
    assert "email.smtp.host" in result.stderr


def test_damaged_ledger_does_not_stop_send(server: tuple[Recorder, int], work: Path) -> None:
    """A send killed mid-write leaves a torn last line; a hand-edited line may not be a record."""
    handler, port = server
    ledger = work / "out" / "deliveries.jsonl"
    ledger.write_text('{"period": "2026-11", "recipient": "anna@shop.example"}\n[1, 2]\n{"period": "2026-11", "recip')
    result = _send(work, port, "--to", "anna@shop.example,ben@shop.example")
    assert result.exit_code == 0, result.output
    assert handler.received[0].rcpt_tos == ["ben@shop.example"]  # anna's record still counts
    assert "skipped 2 damaged line(s)" in result.stderr
    last = ledger.read_text().splitlines()[-1]
    assert json.loads(last)["recipient"] == "ben@shop.example"  # written on a line of its own
