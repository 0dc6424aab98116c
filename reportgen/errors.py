"""Errors a user can cause and fix; the CLI prints them as one line and exits 2."""

from __future__ import annotations


class ReportgenError(Exception):
    """A problem the user can fix: `message` says what is wrong, `hint` what to do."""

    exit_code = 2

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} {self.hint}".strip() if self.hint else self.message


class ConfigError(ReportgenError):
    """The settings file or a command-line option is wrong."""


class DataError(ReportgenError):
    """The customer table cannot be used as it is."""


class RuleError(ReportgenError):
    """segments.yaml or campaigns.yaml is wrong."""


class RenderError(ReportgenError):
    """A template, the chart browser or the PDF engine failed."""


class DeliveryError(ReportgenError):
    """The mail server refused the report for good (login, recipient, sender): exit code 3."""

    exit_code = 3


class DeliveryRetryLater(ReportgenError):
    """The mail server stayed unreachable or busy after every retry: exit code 75 (try later)."""

    exit_code = 75
