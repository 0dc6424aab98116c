"""Send a period's report.eml over SMTP, once per period and recipient.

The login comes from the environment (REPORTGEN_SMTP_USER, REPORTGEN_SMTP_PASSWORD) and is never
written anywhere. Temporary failures (connection refused or dropped, time-outs, 4xx replies) are
retried with exponential backoff and end in exit 75; permanent ones (no STARTTLS, a TLS handshake
on a plain port, an untrusted certificate, a login the server does not offer or refuses, a login it
demands, recipient or sender refused, 5xx replies) stop at once with exit 3 and name the setting. OUT/deliveries.jsonl records each recipient a report went to, so a
retried job does not send it twice; --resend sends anyway.
"""

from __future__ import annotations

import email
import email.policy
import logging
import os
import smtplib
import socket
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from filelock import FileLock
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential

from .config import Smtp
from .errors import ConfigError, DeliveryError, DeliveryRetryLater
from .files import append_lines, dumps, read_jsonl
from .history import now

log = logging.getLogger("reportgen")
LEDGER = "deliveries.jsonl"
USER_ENV, PASSWORD_ENV = "REPORTGEN_SMTP_USER", "REPORTGEN_SMTP_PASSWORD"


@dataclass(frozen=True)
class Delivery:
    sent_to: tuple[str, ...]
    skipped: tuple[str, ...]  # already sent earlier


def _ledger(out: Path) -> list[dict[str, str]]:
    """Deliveries so far; a torn or foreign line is skipped with a warning, never a crash."""
    return read_jsonl(out / LEDGER, "delivery records", lambda r: isinstance(r.get("recipient"), str) and isinstance(r.get("period"), str))


def already_sent(out: Path, period: str) -> set[str]:
    return {r["recipient"].lower() for r in _ledger(out) if r.get("period") == period}


def _record(out: Path, period: str, recipients: list[str], message_id: str) -> None:
    append_lines(out / LEDGER, [dumps({"period": period, "recipient": r, "sent_at": now(), "message_id": message_id}) for r in recipients])


class _Failure(Exception):
    """A failed try, already classified: `transient` ones are retried and end in exit 75, the
    others stop at once with exit 3 and say which setting to change."""

    def __init__(self, message: str, transient: bool) -> None:
        super().__init__(message)
        self.message = message
        self.transient = transient


def _transient(exc: BaseException) -> bool:
    return isinstance(exc, _Failure) and exc.transient


def _needs_login(code: int, text: str) -> bool:
    return code == 530 or "5.7.0" in text or "auth" in text.lower()


def _classify(exc: BaseException, smtp: Smtp, phase: str) -> _Failure:
    """What went wrong, in the user's terms. smtplib's and ssl's exceptions are OSErrors, so the
    protocol and TLS cases are told apart before the network-level ones."""
    where = f"{smtp.host}:{smtp.port}"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return _Failure(
            f"The mail server {where} presented a certificate that cannot be trusted ({exc.verify_message or exc.reason}). "
            "Set email.smtp.ca_file to the CA certificate that signed it, or fix the server's certificate.",
            False,
        )
    if isinstance(exc, (ssl.SSLEOFError, ssl.SSLZeroReturnError)):
        return _Failure(f"The connection to the mail server {where} closed during the TLS handshake ({exc.reason}).", True)
    if isinstance(exc, ssl.SSLError):
        if smtp.security == "ssl":
            advice = "It expects a plain start: set email.smtp.security to 'starttls' (or 'none'), or email.smtp.port to its TLS port (usually 465)."
        else:
            advice = "Check email.smtp.security and email.smtp.port with the server's administrator."
        return _Failure(f"The TLS handshake with the mail server {where} failed ({exc.reason or exc}). {advice}", False)
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        if phase == "login":
            return _Failure(
                f"The mail server {where} does not offer a login (no AUTH{' before STARTTLS' if smtp.security == 'none' else ''}), "
                f"but {USER_ENV} is set. Unset {USER_ENV} and {PASSWORD_ENV}"
                + (", or set email.smtp.security to 'starttls' if it offers a login only over TLS." if smtp.security == "none" else "."),
                False,
            )
        return _Failure(f"The mail server {where} does not offer STARTTLS. Set email.smtp.security to 'ssl' (and its TLS port, usually 465) or 'none'.", False)
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return _Failure(f"The mail server {where} refused the login ({exc.smtp_code}). Check {USER_ENV} and {PASSWORD_ENV}.", False)
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        texts = " ".join(msg.decode(errors="replace") for _, msg in exc.recipients.values())
        if codes and all(_needs_login(c, texts) for c in codes) and not os.environ.get(USER_ENV):
            return _Failure(f"The mail server {where} requires a login ({codes[0]}). Set {USER_ENV} and {PASSWORD_ENV} in the environment.", False)
        refused = ", ".join(f"{r} ({code} {msg.decode(errors='replace')})" for r, (code, msg) in exc.recipients.items())
        if codes and all(400 <= c < 500 for c in codes):
            return _Failure(f"The mail server {where} deferred every recipient: {refused}.", True)
        return _Failure(f"The mail server {where} refused every recipient: {refused}. Fix the addresses.", False)
    if isinstance(exc, smtplib.SMTPResponseException):
        text = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        if 400 <= exc.smtp_code < 500:
            return _Failure(f"The mail server {where} answered {exc.smtp_code} {text} (busy or temporarily unable).", True)
        if _needs_login(exc.smtp_code, text) and not os.environ.get(USER_ENV):
            return _Failure(f"The mail server {where} requires a login ({exc.smtp_code} {text}). Set {USER_ENV} and {PASSWORD_ENV} in the environment.", False)
        if isinstance(exc, smtplib.SMTPSenderRefused):
            return _Failure(f"The mail server {where} refused the sender {exc.sender} ({exc.smtp_code} {text}). Set email.sender to an address it accepts.", False)
        return _Failure(f"The mail server {where} answered {exc.smtp_code} {text}.", False)
    if isinstance(exc, socket.gaierror) and exc.errno != socket.EAI_AGAIN:
        return _Failure(f"The mail server name {smtp.host!r} cannot be resolved ({exc.strerror}). Check email.smtp.host.", False)
    if isinstance(exc, smtplib.SMTPServerDisconnected) or (isinstance(exc, OSError) and not isinstance(exc, smtplib.SMTPException)):
        return _Failure(f"Could not reach the mail server {where} ({type(exc).__name__}: {exc}).", True)  # network level
    return _Failure(f"The mail server {where} could not take the report ({type(exc).__name__}: {exc}).", False)


def _context(smtp: Smtp) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if smtp.ca_file is not None:
        try:
            context.load_verify_locations(cafile=str(smtp.ca_file))
        except (OSError, ssl.SSLError) as exc:
            raise ConfigError(f"email.smtp.ca_file '{smtp.ca_file}' cannot be used ({exc}).", "Give a PEM file of CA certificates.") from None
    return context


def _send_once(smtp: Smtp, message: EmailMessage, recipients: list[str]) -> dict[str, tuple[int, bytes]]:
    phase = "connect"
    client: smtplib.SMTP | None = None
    try:
        context = _context(smtp)
        if smtp.security == "ssl":
            client = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=smtp.timeout, context=context)
        else:
            client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout)
            if smtp.security == "starttls":
                phase = "starttls"
                client.starttls(context=context)
        user, password = os.environ.get(USER_ENV), os.environ.get(PASSWORD_ENV)
        if user:
            phase = "login"
            client.login(user, password or "")
        phase = "send"
        return client.send_message(message, to_addrs=recipients)
    except (smtplib.SMTPException, OSError, ssl.SSLError) as exc:
        raise _classify(exc, smtp, phase) from exc
    finally:
        if client is not None:
            try:
                client.quit()
            except (smtplib.SMTPException, OSError):
                client.close()


def send(folder: Path, period: str, recipients: list[str], sender: str, smtp: Smtp, resend: bool = False) -> Delivery:
    """Send folder/report.eml to the recipients that have not had this period's report yet."""
    if not recipients:
        raise ConfigError("No recipients to send the report to.", "Pass --to a@example.com or set email.recipients in the config.")
    eml = folder / "report.eml"
    if not eml.is_file():
        raise ConfigError(f"There is no report for {period} at {folder}.", f"Run 'reportgen run --period {period}' first.")
    out = folder.parent
    with FileLock(str(out / f".{LEDGER}.lock")):
        if (out / LEDGER).is_symlink():  # sending first would mail a report the ledger cannot record
            raise ConfigError(f"{out / LEDGER} is a symbolic link; reportgen records deliveries only in a plain file.", "Remove the link, then send again.")
        done = set() if resend else already_sent(out, period)
        pending = [r for r in dict.fromkeys(recipients) if r.lower() not in done]
        skipped = tuple(r for r in recipients if r.lower() in done)
        if not pending:
            log.info("The %s report was already sent to %s; nothing to do (--resend sends again).", period, ", ".join(skipped))
            return Delivery((), skipped)
        message = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        for header, value in (("To", ", ".join(pending)), ("From", sender), ("Date", formatdate()), ("Message-ID", make_msgid(domain="reportgen"))):
            del message[header]
            message[header] = value
        try:
            refused = Retrying(
                stop=stop_after_attempt(smtp.attempts),
                wait=wait_exponential(multiplier=smtp.retry_wait, max=60),
                retry=retry_if_exception(_transient),
                before_sleep=lambda state: log.warning("Sending failed (%s); trying again.", state.outcome.exception()),  # type: ignore[union-attr]
                reraise=True,
            )(_send_once, smtp, message, pending)
        except _Failure as exc:
            if exc.transient:
                raise DeliveryRetryLater(exc.message, f"Gave up after {smtp.attempts} tries; run 'reportgen send' again later.") from None
            raise DeliveryError(exc.message) from None
        accepted = [r for r in pending if r not in refused]
        _record(out, period, accepted, str(message["Message-ID"]))
        if refused:
            bad = ", ".join(f"{r} ({code} {msg.decode(errors='replace')})" for r, (code, msg) in refused.items())
            raise DeliveryError(f"Sent to {', '.join(accepted)}, but the mail server refused {bad}.", "Fix those addresses and send again.")
        log.info("Sent the %s report to %s.", period, ", ".join(accepted))
        return Delivery(tuple(accepted), skipped)
