"""Send a period's report.eml over SMTP, once per period and recipient.

The login comes from the environment (REPORTGEN_SMTP_USER, REPORTGEN_SMTP_PASSWORD) and is never
written anywhere. Temporary failures (connection refused or dropped, time-outs, 4xx replies) are
retried with exponential backoff; permanent ones (login refused, recipient or sender refused,
5xx replies) stop at once. OUT/deliveries.jsonl records each recipient a report went to, so a
retried job does not send it twice; --resend sends anyway.
"""

from __future__ import annotations

import email
import email.policy
import json
import logging
import os
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from filelock import FileLock
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential

from .config import Smtp
from .errors import ConfigError, DeliveryError, DeliveryRetryLater
from .history import now

log = logging.getLogger("reportgen")
LEDGER = "deliveries.jsonl"
USER_ENV, PASSWORD_ENV = "REPORTGEN_SMTP_USER", "REPORTGEN_SMTP_PASSWORD"


@dataclass(frozen=True)
class Delivery:
    sent_to: tuple[str, ...]
    skipped: tuple[str, ...]  # already sent earlier


def _ledger(out: Path) -> list[dict[str, str]]:
    path = out / LEDGER
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def already_sent(out: Path, period: str) -> set[str]:
    return {r["recipient"].lower() for r in _ledger(out) if r.get("period") == period}


def _record(out: Path, period: str, recipients: list[str], message_id: str) -> None:
    with (out / LEDGER).open("a", encoding="utf-8") as fh:
        for r in recipients:
            fh.write(json.dumps({"period": period, "recipient": r, "sent_at": now(), "message_id": message_id}) + "\n")


def _transient(exc: BaseException) -> bool:
    if isinstance(exc, (smtplib.SMTPAuthenticationError, smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused)):
        return False
    if isinstance(exc, smtplib.SMTPResponseException):
        return 400 <= exc.smtp_code < 500
    return isinstance(exc, (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError, ConnectionError, TimeoutError, OSError))


def _connect(smtp: Smtp) -> smtplib.SMTP:
    context = ssl.create_default_context()
    if smtp.security == "ssl":
        client: smtplib.SMTP = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=smtp.timeout, context=context)
    else:
        client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout)
        if smtp.security == "starttls":
            client.starttls(context=context)
    user, password = os.environ.get(USER_ENV), os.environ.get(PASSWORD_ENV)
    if user:
        client.login(user, password or "")
    return client


def _send_once(smtp: Smtp, message: EmailMessage, recipients: list[str]) -> dict[str, tuple[int, bytes]]:
    client = _connect(smtp)
    try:
        return client.send_message(message, to_addrs=recipients)
    finally:
        try:
            client.quit()
        except smtplib.SMTPException:
            client.close()


def _explain(exc: BaseException, smtp: Smtp) -> str:
    where = f"{smtp.host}:{smtp.port}"
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return f"The mail server {where} refused the login ({exc.smtp_code}). Check {USER_ENV} and {PASSWORD_ENV}."
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        refused = ", ".join(f"{r} ({code} {msg.decode(errors='replace')})" for r, (code, msg) in exc.recipients.items())
        return f"The mail server {where} refused every recipient: {refused}. Fix the addresses."
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return f"The mail server {where} refused the sender {exc.sender} ({exc.smtp_code}). Set email.sender to an address it accepts."
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"The mail server {where} answered {exc.smtp_code} {exc.smtp_error.decode(errors='replace')}."
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return f"The mail server {where} does not offer STARTTLS. Set email.smtp.security to 'ssl' or 'none'."
    return f"Could not reach the mail server {where} ({type(exc).__name__}: {exc})."


def send(folder: Path, period: str, recipients: list[str], sender: str, smtp: Smtp, resend: bool = False) -> Delivery:
    """Send folder/report.eml to the recipients that have not had this period's report yet."""
    if not recipients:
        raise ConfigError("No recipients to send the report to.", "Pass --to a@example.com or set email.recipients in the config.")
    eml = folder / "report.eml"
    if not eml.is_file():
        raise ConfigError(f"There is no report for {period} at {folder}.", f"Run 'reportgen run --period {period}' first.")
    out = folder.parent
    with FileLock(str(out / f".{LEDGER}.lock")):
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
                before_sleep=lambda state: log.warning("Sending failed (%s); trying again.", _explain(state.outcome.exception(), smtp)),  # type: ignore[union-attr]
                reraise=True,
            )(_send_once, smtp, message, pending)
        except Exception as exc:
            if _transient(exc):
                raise DeliveryRetryLater(_explain(exc, smtp), f"Gave up after {smtp.attempts} tries; run 'reportgen send' again later.") from None
            raise DeliveryError(_explain(exc, smtp)) from None
        accepted = [r for r in pending if r not in refused]
        _record(out, period, accepted, str(message["Message-ID"]))
        if refused:
            bad = ", ".join(f"{r} ({code} {msg.decode(errors='replace')})" for r, (code, msg) in refused.items())
            raise DeliveryError(f"Sent to {', '.join(accepted)}, but the mail server refused {bad}.", "Fix those addresses and send again.")
        log.info("Sent the %s report to %s.", period, ", ".join(accepted))
        return Delivery(tuple(accepted), skipped)
