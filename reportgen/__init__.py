"""reportgen: monthly customer-segment briefings from a customer table."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .version import __version__

if TYPE_CHECKING:
    from .model import Report

__all__ = ["__version__", "run"]


def run(config: str | None = None, **overrides: Any) -> "Report":
    """Run the whole pipeline from Python; keyword arguments override the config file.

    Example: ``reportgen.run(data="customers.csv", period="2026-11", out="output")``.
    """
    from .settings_file import load_settings
    from .pipeline import run as run_pipeline

    return run_pipeline(load_settings(config, overrides))
